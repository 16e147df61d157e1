// Package delivery holds the entities deploylens measures delivery with:
// changes, pipeline stages, deployments and incidents (DESIGN.md §5), plus the
// pushes that link a deployed commit to the changes it shipped. They are plain
// values; receivers under ingest/ make them from what tools send, and the
// store keeps one row per event that mentions an entity.
package delivery

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Type names what an event is about.
type Type string

const (
	TypeChange     Type = "change"
	TypeStage      Type = "pipeline_stage"
	TypeDeployment Type = "deployment"
	TypeIncident   Type = "incident"
	TypePush       Type = "push"
)

// DefaultEnvironment is the environment of an event that names none.
const DefaultEnvironment = "production"

// Event is one statement about one entity. Later events about the same
// entity fill in or override its fields; an empty field says nothing.
// Exactly one of Change, Stage, Deployment, Incident and Push is set.
type Event struct {
	// ID is the idempotency key: the same ID is the same event however often
	// it arrives. Receivers derive it deterministically from the delivery.
	ID string
	// Source is the receiver that made the event: native, cdevents, github,
	// gitlab, pagerduty, opsgenie.
	Source string
	// ObservedAt orders events about one entity: the latest event to give a
	// field a value decides it, whatever order they arrived in.
	ObservedAt  time.Time
	Team        string
	Service     string
	Environment string
	Attributes  map[string]string

	Change     *Change
	Stage      *PipelineStage
	Deployment *Deployment
	Incident   *Incident
	Push       *Push
}

// Type reports which entity the event is about.
func (e *Event) Type() Type {
	switch {
	case e.Change != nil:
		return TypeChange
	case e.Stage != nil:
		return TypeStage
	case e.Deployment != nil:
		return TypeDeployment
	case e.Incident != nil:
		return TypeIncident
	case e.Push != nil:
		return TypePush
	}
	return ""
}

// Change is a unit of work on its way to production: a pull or merge
// request, or a commit pushed straight to the deployed branch.
type Change struct {
	ID            string
	Repo          string
	Title         string
	Author        string
	Branch        string
	BaseBranch    string
	FirstCommitAt time.Time
	OpenedAt      time.Time
	FirstReviewAt time.Time
	ApprovedAt    time.Time
	MergedAt      time.Time
	MergeCommit   string
	Commits       []string
	Labels        []string
}

// StageKind says what a pipeline stage does.
type StageKind string

const (
	KindOther    StageKind = "other"
	KindBuild    StageKind = "build"
	KindTest     StageKind = "test"
	KindApproval StageKind = "approval"
	KindDeploy   StageKind = "deploy"
	KindBake     StageKind = "bake"
	KindCanary   StageKind = "canary"
)

// StageKinds lists the valid kinds.
var StageKinds = []StageKind{KindBuild, KindTest, KindApproval, KindDeploy, KindBake, KindCanary, KindOther}

// StageResult is how a stage ended; empty while it has not.
type StageResult string

const (
	ResultUnknown   StageResult = ""
	ResultSuccess   StageResult = "success"
	ResultFailure   StageResult = "failure"
	ResultCancelled StageResult = "cancelled"
	ResultSkipped   StageResult = "skipped"
)

// StageResults lists the valid results.
var StageResults = []StageResult{ResultSuccess, ResultFailure, ResultCancelled, ResultSkipped}

// WholeRun is the stage name of a row that describes a whole pipeline run
// (a GitHub workflow run, a GitLab pipeline) rather than one of its jobs.
const WholeRun = "(run)"

// PipelineStage is one stage (job, task) of one pipeline run.
type PipelineStage struct {
	Pipeline   string
	RunID      string
	Stage      string
	Kind       StageKind
	QueuedAt   time.Time
	StartedAt  time.Time
	FinishedAt time.Time
	Result     StageResult
	Commit     string
	ChangeIDs  []string
}

// DeploymentStatus is how a deployment ended; empty while it runs.
type DeploymentStatus string

const (
	StatusUnknown DeploymentStatus = ""
	StatusSuccess DeploymentStatus = "success"
	StatusFailure DeploymentStatus = "failure"
)

// Deployment is one deployment of one service to one environment.
type Deployment struct {
	ID         string
	Version    string
	Commit     string
	Branch     string
	Repo       string
	StartedAt  time.Time
	FinishedAt time.Time
	Status     DeploymentStatus
	RollbackOf string
	Unplanned  bool
	ChangeIDs  []string
	Commits    []string
}

// Incident is a production failure of a service.
type Incident struct {
	ID                 string
	Severity           string
	Title              string
	OpenedAt           time.Time
	ResolvedAt         time.Time
	CausedByDeployment string
}

// Push is a set of commits pushed onto a branch, from Before to After. The
// chain of pushes lets a deployment of a commit find the changes it shipped.
type Push struct {
	Repo        string
	Branch      string
	Before      string
	After       string
	PushedAt    time.Time
	Commits     []string
	CommitTimes []time.Time
}

// ErrNoEntity is returned by Validate for an event about nothing.
var ErrNoEntity = errors.New("the event names no entity")

// Validate checks what every stored event needs: an id and its entity's key.
// It returns one error per missing field, named as in the native schema.
func (e *Event) Validate() []FieldError {
	var errs []FieldError
	need := func(field, v string) {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, FieldError{Field: field, Message: "is required"})
		}
	}
	need("id", e.ID)
	n := 0
	for _, set := range []bool{e.Change != nil, e.Stage != nil, e.Deployment != nil, e.Incident != nil, e.Push != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return append(errs, FieldError{Field: "type", Message: fmt.Sprintf("an event describes exactly one entity, this one %d", n)})
	}
	switch {
	case e.Change != nil:
		need("change_id", e.Change.ID)
	case e.Stage != nil:
		need("pipeline", e.Stage.Pipeline)
		need("run_id", e.Stage.RunID)
		need("stage", e.Stage.Stage)
	case e.Deployment != nil:
		need("deployment_id", e.Deployment.ID)
	case e.Incident != nil:
		need("incident_id", e.Incident.ID)
	case e.Push != nil:
		need("repo", e.Push.Repo)
		need("branch", e.Push.Branch)
	}
	return errs
}

// FieldError says what is wrong with one field of an event.
type FieldError struct {
	Field   string
	Message string
}

func (f FieldError) Error() string { return f.Field + ": " + f.Message }

// Latest returns the latest of the given times (zero if all are zero). It is
// the usual ObservedAt of an event: the moment of the last thing it reports.
func Latest(times ...time.Time) time.Time {
	var out time.Time
	for _, t := range times {
		if t.After(out) {
			out = t
		}
	}
	return out
}

// GuessStageKind infers a stage's kind from its name, for sources that do not
// say (a CI job called "unit-tests" tests, "deploy-prod" deploys).
func GuessStageKind(name string) StageKind {
	n := strings.ToLower(name)
	switch {
	case strings.Contains(n, "canary"):
		return KindCanary
	case strings.Contains(n, "approv") || strings.Contains(n, "gate") || strings.Contains(n, "manual"):
		return KindApproval
	case strings.Contains(n, "bake") || strings.Contains(n, "soak"):
		return KindBake
	case strings.Contains(n, "deploy") || strings.Contains(n, "release") || strings.Contains(n, "rollout") || strings.Contains(n, "promote"):
		return KindDeploy
	case strings.Contains(n, "test") || strings.Contains(n, "lint") || strings.Contains(n, "check") || strings.Contains(n, "scan") || strings.Contains(n, "e2e") || strings.Contains(n, "codeql"):
		return KindTest
	case strings.Contains(n, "build") || strings.Contains(n, "compile") || strings.Contains(n, "package") || strings.Contains(n, "image"):
		return KindBuild
	}
	return KindOther
}
