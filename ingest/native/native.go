// Package native receives deploylens' own v1 events (DESIGN.md §5) on
// POST /api/v1/events: one JSON object, a JSON array of them, or NDJSON.
// Pipeline steps, scripts and `deploylens event` send these.
package native

import (
	"github.com/gin-gonic/gin"

	"github.com/deploylens/deploylens/ingest"
)

// Source names this receiver in rows, raw copies and metrics.
const Source = "native"

// Receiver stores native events.
type Receiver struct {
	Writer  *ingest.Writer
	MaxBody int64
}

// Register mounts POST /events on an authenticated (ingest role) group.
func (r *Receiver) Register(g gin.IRoutes) {
	g.POST("/events", r.Writer.Handle(Source, r.MaxBody, func(c *gin.Context, body []byte) ([]ingest.Item, error) {
		return Decode(body, ingest.RedactHeaders(c.Request.Header), r.Writer.Now)
	}))
}
