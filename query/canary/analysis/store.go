package analysis

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/deploylens/deploylens/store"
)

// ErrNotFound is returned for an analysis or config that does not exist.
var ErrNotFound = errors.New("not found")

const insertAnalysis = `INSERT INTO canary_analyses (id, created_at, updated_at, team, service, environment,
    deployment_id, status, verdict, score, request, result)`

// The latest row of an analysis wins (ReplacingMergeTree(updated_at) keeps
// it after merges; LIMIT 1 BY picks it before).
const selectAnalysis = `
SELECT result FROM canary_analyses
WHERE id = {id:String}
ORDER BY updated_at DESC
LIMIT 1`

const selectAnalysesOfDeployment = `
SELECT result FROM (
    SELECT id, team, created_at, result FROM canary_analyses
    WHERE deployment_id = {deployment_id:String}
    ORDER BY updated_at DESC
    LIMIT 1 BY id
)
WHERE has({teams:Array(String)}, team) OR {all:Bool}
ORDER BY created_at DESC
LIMIT 100`

func save(ctx context.Context, conn driver.Conn, a *Analysis) error {
	reqJSON, err := json.Marshal(a.Request)
	if err != nil {
		return fmt.Errorf("store analysis %s: %w", a.ID, err)
	}
	resJSON, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("store analysis %s: %w", a.ID, err)
	}
	score := 0.0
	if a.Score != nil {
		score = *a.Score
	}
	if err := store.InsertRow(ctx, conn, insertAnalysis, a.ID, a.CreatedAt, a.UpdatedAt, a.Team, a.Service,
		a.Environment, a.DeploymentID, string(a.Status), string(a.Verdict), score, string(reqJSON), string(resJSON)); err != nil {
		return fmt.Errorf("store analysis %s: %w", a.ID, err)
	}
	return nil
}

// Load reads an analysis; ErrNotFound if there is none.
func Load(ctx context.Context, conn driver.Conn, id string) (*Analysis, error) {
	var raw string
	ctx = clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{"id": store.StringParam(id)}))
	if err := conn.QueryRow(ctx, selectAnalysis).Scan(&raw); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("load analysis %s: %w", id, err)
	}
	var a Analysis
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		return nil, fmt.Errorf("load analysis %s: %w", id, err)
	}
	return &a, nil
}

// OfDeployment lists the analyses of a deployment that teams (or all, when
// allTeams) may see, newest first.
func OfDeployment(ctx context.Context, conn driver.Conn, deploymentID string, teams []string, allTeams bool) ([]*Analysis, error) {
	ctx = clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{
		"deployment_id": store.StringParam(deploymentID), "teams": arrayLiteral(teams), "all": fmt.Sprint(allTeams),
	}))
	rows, err := conn.Query(ctx, selectAnalysesOfDeployment)
	if err != nil {
		return nil, fmt.Errorf("list analyses of deployment %s: %w", deploymentID, err)
	}
	defer rows.Close()
	out := []*Analysis{}
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		var a Analysis
		if err := json.Unmarshal([]byte(raw), &a); err != nil {
			return nil, err
		}
		out = append(out, &a)
	}
	return out, rows.Err()
}

// StoredConfig is a named config and the team that owns it.
type StoredConfig struct {
	Name      string    `json:"name"`
	Team      string    `json:"team"`
	UpdatedAt time.Time `json:"updated_at"`
	Config    Config    `json:"config"`
}

const insertConfig = `INSERT INTO canary_configs (name, team, updated_at, deleted, config)`

const selectConfig = `
SELECT team, updated_at, deleted, config FROM canary_configs
WHERE name = {name:String}
ORDER BY updated_at DESC
LIMIT 1`

// SaveConfig stores a named config for team.
func SaveConfig(ctx context.Context, conn driver.Conn, sc StoredConfig) error {
	b, err := json.Marshal(sc.Config)
	if err != nil {
		return fmt.Errorf("store canary config %q: %w", sc.Name, err)
	}
	if err := store.InsertRow(ctx, conn, insertConfig, sc.Name, sc.Team, sc.UpdatedAt, false, string(b)); err != nil {
		return fmt.Errorf("store canary config %q: %w", sc.Name, err)
	}
	return nil
}

// LoadConfig reads a named config; ErrNotFound if there is none.
func LoadConfig(ctx context.Context, conn driver.Conn, name string) (*StoredConfig, error) {
	var (
		sc      = StoredConfig{Name: name}
		deleted bool
		raw     string
	)
	ctx = clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{"name": store.StringParam(name)}))
	if err := conn.QueryRow(ctx, selectConfig).Scan(&sc.Team, &sc.UpdatedAt, &deleted, &raw); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("load canary config %q: %w", name, err)
	}
	if deleted {
		return nil, ErrNotFound
	}
	if err := json.Unmarshal([]byte(raw), &sc.Config); err != nil {
		return nil, fmt.Errorf("load canary config %q: %w", name, err)
	}
	sc.UpdatedAt = sc.UpdatedAt.UTC()
	return &sc, nil
}

// selectServiceOwner finds the team owning a service: the catalog's, else
// the team its latest deployment named.
const selectServiceOwner = `
SELECT team FROM (
    SELECT argMax(team, updated_at) AS team, 0 AS rank FROM service_catalog
    WHERE service = {service:String}
    GROUP BY service
    HAVING argMax(deleted, updated_at) = false
    UNION ALL
    SELECT team, 1 AS rank FROM (
        SELECT team FROM deployments
        WHERE service = {service:String} AND team != ''
        ORDER BY finished_at DESC
        LIMIT 1
    )
)
ORDER BY rank
LIMIT 1`

// ServiceOwner returns the team that owns service, "" when neither the
// catalog nor any deployment names one. Telemetry rows carry no team, so
// this is what scopes an analysis of a service's telemetry.
func ServiceOwner(ctx context.Context, conn driver.Conn, service string) (string, error) {
	ctx = clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{"service": store.StringParam(service)}))
	var team string
	if err := conn.QueryRow(ctx, selectServiceOwner).Scan(&team); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("look up the owner of service %q: %w", service, err)
	}
	return team, nil
}
