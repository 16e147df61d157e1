package deploylensapi

import (
	"time"
)

// Health is GET /healthz.
type Health struct {
	Status  string `json:"status"`
	Version string `json:"version"`
}

// Readiness is GET /readyz.
type Readiness struct {
	Status string `json:"status"`
	Error  string `json:"error"`
}

// Ready reports whether the server said it is ready.
func (r Readiness) Ready() bool { return r.Status == "ready" }

// Team is one team of GET /api/v1/teams.
type Team struct {
	Team     string `json:"team"`
	Services uint64 `json:"services"`
}

// Service is one catalog entry of GET /api/v1/services.
type Service struct {
	Service    string            `json:"service"`
	Team       string            `json:"team"`
	Attributes map[string]string `json:"attributes"`
	UpdatedAt  time.Time         `json:"updated_at"`
}
