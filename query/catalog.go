// Package query serves deploylens' read API: the service catalog, DORA
// metrics, waits, canary verdicts and reviews, computed in ClickHouse.
package query

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/gin-gonic/gin"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/server"
	"github.com/deploylens/deploylens/store"
)

// CatalogEntry is one service and the team that owns it.
type CatalogEntry struct {
	Service    string            `json:"service"`
	Team       string            `json:"team"`
	Attributes map[string]string `json:"attributes"`
	UpdatedAt  time.Time         `json:"updated_at"`
}

// TeamSummary is one team in listings.
type TeamSummary struct {
	Team     string `json:"team"`
	Services uint64 `json:"services"`
}

// Catalog reads and writes the service catalog (service → team).
type Catalog struct {
	Conn driver.Conn
	Now  func() time.Time
}

const selectCatalog = `SELECT service, argMax(team, updated_at) AS team, argMax(attributes, updated_at), max(updated_at)
FROM service_catalog
GROUP BY service
HAVING argMax(deleted, updated_at) = false`

// Services lists catalog entries, of one team if team is not empty.
func (c *Catalog) Services(ctx context.Context, team string) ([]CatalogEntry, error) {
	q := "SELECT * FROM (" + selectCatalog + ") WHERE (? = '' OR team = ?) ORDER BY service"
	rows, err := c.Conn.Query(ctx, q, team, team)
	if err != nil {
		return nil, fmt.Errorf("read service catalog: %w", err)
	}
	defer rows.Close()
	out := []CatalogEntry{}
	for rows.Next() {
		var e CatalogEntry
		if err := rows.Scan(&e.Service, &e.Team, &e.Attributes, &e.UpdatedAt); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Put sets the owner of a service.
func (c *Catalog) Put(ctx context.Context, e CatalogEntry) (CatalogEntry, error) {
	e.UpdatedAt = c.now()
	if e.Attributes == nil {
		e.Attributes = map[string]string{}
	}
	err := store.InsertRow(ctx, c.Conn, "INSERT INTO service_catalog (service, team, updated_at, deleted, attributes)",
		e.Service, e.Team, e.UpdatedAt, false, e.Attributes)
	if err != nil {
		return e, fmt.Errorf("write service catalog: %w", err)
	}
	return e, nil
}

// Delete removes a service from the catalog.
func (c *Catalog) Delete(ctx context.Context, service string) error {
	err := store.InsertRow(ctx, c.Conn, "INSERT INTO service_catalog (service, team, updated_at, deleted, attributes)",
		service, "", c.now(), true, map[string]string{})
	if err != nil {
		return fmt.Errorf("write service catalog: %w", err)
	}
	return nil
}

func (c *Catalog) now() time.Time {
	if c.Now != nil {
		return c.Now().UTC()
	}
	return time.Now().UTC()
}

// names of teams and services: printable, no control characters, bounded.
var validName = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}._:/@ -]{0,127}$`)

// RegisterCatalog adds the catalog endpoints.
func RegisterCatalog(s *server.Server, cat *Catalog) {
	read := s.API("/api/v1", auth.RoleRead)
	read.GET("/teams", func(c *gin.Context) {
		entries, err := cat.Services(c.Request.Context(), "")
		if err != nil {
			storeError(c, err)
			return
		}
		p := server.PrincipalOf(c)
		counts := map[string]uint64{}
		var order []string
		for _, e := range entries {
			if !p.CanSeeTeam(e.Team) {
				continue
			}
			if _, ok := counts[e.Team]; !ok {
				order = append(order, e.Team)
			}
			counts[e.Team]++
		}
		teams := make([]TeamSummary, 0, len(order))
		slices.Sort(order)
		for _, t := range order {
			teams = append(teams, TeamSummary{Team: t, Services: counts[t]})
		}
		c.JSON(http.StatusOK, gin.H{"teams": teams})
	})
	read.GET("/services", func(c *gin.Context) {
		team := c.Query("team")
		if team != "" && !server.RequireTeam(c, team) {
			return
		}
		entries, err := cat.Services(c.Request.Context(), team)
		if err != nil {
			storeError(c, err)
			return
		}
		p := server.PrincipalOf(c)
		visible := entries[:0]
		for _, e := range entries {
			if p.CanSeeTeam(e.Team) {
				visible = append(visible, e)
			}
		}
		c.JSON(http.StatusOK, gin.H{"services": visible})
	})

	admin := s.API("/api/v1/catalog", auth.RoleAdmin)
	admin.PUT("/services/:name", func(c *gin.Context) {
		name := c.Param("name")
		if !validName.MatchString(name) {
			server.Error(c, http.StatusBadRequest, "invalid service name", server.Detail{Field: "name", Message: "1-128 letters, digits or . _ : / @ - and spaces, starting with a letter or digit"})
			return
		}
		var body struct {
			Team       *string           `json:"team"`
			Attributes map[string]string `json:"attributes"`
		}
		if !server.BindJSON(c, &body) {
			return
		}
		if body.Team == nil || !validName.MatchString(*body.Team) {
			server.Error(c, http.StatusBadRequest, "team is required", server.Detail{Field: "team", Message: "1-128 letters, digits or . _ : / @ - and spaces"})
			return
		}
		e, err := cat.Put(c.Request.Context(), CatalogEntry{Service: name, Team: *body.Team, Attributes: body.Attributes})
		if err != nil {
			storeError(c, err)
			return
		}
		c.JSON(http.StatusOK, e)
	})
	admin.DELETE("/services/:name", func(c *gin.Context) {
		if err := cat.Delete(c.Request.Context(), c.Param("name")); err != nil {
			storeError(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	})
}

func storeError(c *gin.Context, err error) {
	c.Header("Retry-After", "5")
	server.Error(c, http.StatusServiceUnavailable, "the store is unavailable: "+err.Error())
}
