package deploylensapi

import "time"

// Deployment is one row of GET /api/v1/deployments.
type Deployment struct {
	DeploymentID  string    `json:"deployment_id"`
	Team          string    `json:"team"`
	Service       string    `json:"service"`
	Environment   string    `json:"environment"`
	Version       string    `json:"version"`
	Commit        string    `json:"commit"`
	StartedAt     time.Time `json:"started_at"`
	FinishedAt    time.Time `json:"finished_at"`
	Status        string    `json:"status"`
	Failed        bool      `json:"failed"`
	RolledBack    bool      `json:"rolled_back"`
	RollbackOf    string    `json:"rollback_of"`
	Unplanned     bool      `json:"unplanned"`
	ChangeIDs     []string  `json:"change_ids"`
	Changes       int64     `json:"changes"`
	Incidents     int64     `json:"incidents"`
	CanaryVerdict string    `json:"canary_verdict"`
}

// Environment is one row of GET /api/v1/environments.
type Environment struct {
	Environment    string    `json:"environment"`
	Deployments    int64     `json:"deployments"`
	LastFinishedAt time.Time `json:"last_finished_at"`
}

// Incident is one row of GET /api/v1/incidents.
type Incident struct {
	IncidentID         string    `json:"incident_id"`
	Team               string    `json:"team"`
	Service            string    `json:"service"`
	Environment        string    `json:"environment"`
	Severity           string    `json:"severity"`
	Title              string    `json:"title"`
	OpenedAt           time.Time `json:"opened_at"`
	ResolvedAt         time.Time `json:"resolved_at"`
	CausedByDeployment string    `json:"caused_by_deployment"`
}

// CanaryAnalysis is one analysis of GET /api/v1/canary/analyses
// (query/canary/analysis.Analysis, without its request and full result).
type CanaryAnalysis struct {
	ID           string       `json:"id"`
	Status       string       `json:"status"`
	Team         string       `json:"team"`
	Service      string       `json:"service"`
	Environment  string       `json:"environment"`
	DeploymentID string       `json:"deployment_id"`
	CreatedAt    time.Time    `json:"created_at"`
	UpdatedAt    time.Time    `json:"updated_at"`
	Start        time.Time    `json:"start"`
	End          time.Time    `json:"end"`
	Verdict      string       `json:"verdict"`
	Score        *float64     `json:"score"`
	Rule         string       `json:"rule"`
	Reason       string       `json:"reason"`
	StoppedEarly bool         `json:"stopped_early"`
	Error        string       `json:"error"`
	Looks        []CanaryLook `json:"looks"`
}

// CanaryLook is one interval judgment of an analysis.
type CanaryLook struct {
	Look           int       `json:"look"`
	To             time.Time `json:"to"`
	Verdict        string    `json:"verdict"`
	Score          float64   `json:"score"`
	Rule           string    `json:"rule"`
	FailingMetrics []string  `json:"failing_metrics"`
}
