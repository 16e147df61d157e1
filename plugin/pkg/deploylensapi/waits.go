package deploylensapi

import "time"

// Waits is GET /api/v1/waits (query/waits.Report): the window's waits,
// the top waiting stages, and the same per week.
type Waits struct {
	Team        string   `json:"team"`
	Teams       []string `json:"teams"`
	Service     string   `json:"service"`
	Environment string   `json:"environment"`
	WaitPeriod
	TopWaits []StageWait  `json:"top_waits"`
	Weeks    []WaitPeriod `json:"weeks"`
}

// WaitPeriod is the waits of the changes deployed in a period.
type WaitPeriod struct {
	Start          time.Time     `json:"start"`
	End            time.Time     `json:"end"`
	Changes        int64         `json:"changes"`
	LeadSeconds    float64       `json:"lead_seconds"`
	WaitingSeconds float64       `json:"waiting_seconds"`
	ActiveSeconds  float64       `json:"active_seconds"`
	WaitingShare   *float64      `json:"waiting_share"`
	Segments       []WaitSegment `json:"segments"`
	Stages         []StageWait   `json:"stages"`
}

// WaitSegment is one named segment of lead time, summed over changes.
type WaitSegment struct {
	Name          string   `json:"name"`
	State         string   `json:"state"` // waiting or active
	TotalSeconds  float64  `json:"total_seconds"`
	Changes       int64    `json:"changes"`
	MedianSeconds *float64 `json:"median_seconds"`
}

// StageWait is the waiting and active time of one pipeline stage.
type StageWait struct {
	Pipeline       string  `json:"pipeline"`
	Stage          string  `json:"stage"`
	WaitingSeconds float64 `json:"waiting_seconds"`
	ActiveSeconds  float64 `json:"active_seconds"`
}

// Timeline is GET /api/v1/changes/{id}/timeline (query/waits.Timeline).
type Timeline struct {
	ChangeID       string            `json:"change_id"`
	DeploymentID   string            `json:"deployment_id"`
	Team           string            `json:"team"`
	Service        string            `json:"service"`
	Environment    string            `json:"environment"`
	StartedAt      time.Time         `json:"started_at"`
	StartedFrom    string            `json:"started_from"`
	DeployedAt     time.Time         `json:"deployed_at"`
	LeadSeconds    float64           `json:"lead_seconds"`
	ActiveSeconds  float64           `json:"active_seconds"`
	WaitingSeconds float64           `json:"waiting_seconds"`
	Segments       []TimelineSegment `json:"segments"`
}

// TimelineSegment is one stretch of a change's lead time.
type TimelineSegment struct {
	Name     string    `json:"name"`
	State    string    `json:"state"`
	Pipeline string    `json:"pipeline"`
	Stage    string    `json:"stage"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Seconds  float64   `json:"seconds"`
}
