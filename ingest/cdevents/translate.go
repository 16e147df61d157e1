package cdevents

import (
	"encoding/json"
	"net/url"
	"strings"
	"time"

	ce "github.com/cloudevents/sdk-go/v2/event"

	"github.com/deploylens/deploylens/delivery"
	"github.com/deploylens/deploylens/ingest"
	"github.com/deploylens/deploylens/server"
)

// cdevent is the part of a CDEvent deploylens reads; field names follow the
// CDEvents spec, which kept them from 0.3 to the 0.6 drafts.
type cdevent struct {
	Context struct {
		Version     string `json:"version"`     // up to 0.4
		SpecVersion string `json:"specversion"` // 0.5 onwards
		ID          string `json:"id"`
		Source      string `json:"source"`
		Type        string `json:"type"`
		Timestamp   string `json:"timestamp"`
	} `json:"context"`
	Subject struct {
		ID      string  `json:"id"`
		Source  string  `json:"source"`
		Content content `json:"content"`
	} `json:"subject"`
}

type ref struct {
	ID     string `json:"id"`
	Source string `json:"source"`
}

type content struct {
	// change
	Description string `json:"description"`
	Repository  *ref   `json:"repository"`
	// pipelineRun, taskRun, build, test runs
	PipelineName string `json:"pipelineName"`
	TaskName     string `json:"taskName"`
	PipelineRun  *ref   `json:"pipelineRun"`
	Outcome      string `json:"outcome"`
	Errors       string `json:"errors"`
	URI          string `json:"uri"`
	URL          string `json:"url"`
	TestSuite    *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"testSuite"`
	TestCase *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"testCase"`
	// service, deployment, incident
	Environment *ref   `json:"environment"`
	Service     *ref   `json:"service"`
	ArtifactID  string `json:"artifactId"`
}

func (d *cdevent) timestamp() (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, d.Context.Timestamp)
	return t.UTC(), err == nil
}

// Translate re-reads a stored CloudEvent (replay).
func Translate(raw *ingest.Raw) ([]delivery.Event, ingest.Outcome, error) {
	var e ce.Event
	if err := json.Unmarshal(raw.Body, &e); err != nil {
		return nil, "", ingest.BadRequest("the stored CloudEvent cannot be read: " + err.Error())
	}
	return translate(&e, raw.DeliveryID, raw.ReceivedAt)
}

// kind splits "dev.cdevents.service.deployed.0.2.0" into subject and
// predicate; ok is false for event types that are not CDEvents.
func kind(typ string) (subject, predicate string, ok bool) {
	rest, ok := strings.CutPrefix(typ, "dev.cdevents.")
	if !ok {
		return "", "", false
	}
	parts := strings.SplitN(rest, ".", 3)
	if len(parts) < 2 {
		return "", "", false
	}
	return parts[0], parts[1], true
}

func translate(e *ce.Event, id string, received time.Time) ([]delivery.Event, ingest.Outcome, error) {
	subject, predicate, ok := kind(e.Type())
	if !ok {
		return nil, ingest.OutcomeStoredRaw, nil
	}
	var doc cdevent
	if len(e.Data()) > 0 {
		if err := json.Unmarshal(e.Data(), &doc); err != nil {
			return nil, "", ingest.BadRequest("the CDEvent data is not a CDEvent: "+err.Error(), server.Detail{Field: "data", Message: err.Error()})
		}
	}
	at, ok := doc.timestamp()
	if !ok {
		at = e.Time().UTC()
	}
	if at.IsZero() {
		at = received
	}
	c := doc.Subject.Content
	ev := delivery.Event{ID: id, Source: Source, ObservedAt: at, Attributes: map[string]string{"cdevents_type": e.Type()}}
	if c.Environment != nil {
		ev.Environment = c.Environment.ID
	}
	if c.Service != nil {
		ev.Service = c.Service.ID
	}
	switch subject {
	case "change":
		if doc.Subject.ID == "" {
			return nil, "", missing("subject.id")
		}
		ch := &delivery.Change{ID: doc.Subject.ID, Title: c.Description}
		if c.Repository != nil {
			ch.Repo = c.Repository.ID
		}
		switch predicate {
		case "created":
			ch.OpenedAt = at
		case "reviewed":
			ch.FirstReviewAt = at
		case "merged":
			ch.MergedAt = at
		case "abandoned":
			ev.Attributes["state"] = "abandoned"
		}
		ev.Change = ch
	case "pipelinerun", "taskrun", "build", "testcaserun", "testsuiterun":
		s, err := stage(&doc, subject, predicate, at)
		if err != nil {
			return nil, "", err
		}
		ev.Stage = s
		if c.PipelineName != "" {
			ev.Attributes["pipeline_name"] = c.PipelineName
		}
	case "service", "deployment":
		d := &delivery.Deployment{Version: version(c.ArtifactID)}
		if ev.Service == "" {
			ev.Service = doc.Subject.ID
			if subject == "deployment" {
				ev.Service = artifactName(c.ArtifactID)
			}
		}
		switch subject + "." + predicate {
		case "service.deployed", "service.upgraded":
			d.ID, d.FinishedAt, d.Status = e.ID(), at, delivery.StatusSuccess
		case "service.rolledback":
			d.ID, d.FinishedAt, d.Status, d.Unplanned = e.ID(), at, delivery.StatusSuccess, true
			ev.Attributes["rollback"] = "true"
		case "deployment.queued", "deployment.started":
			d.ID, d.StartedAt = doc.Subject.ID, at
		case "deployment.finished":
			d.ID, d.FinishedAt, d.Status = doc.Subject.ID, at, outcomeStatus(c.Outcome)
		default: // service.removed, service.published: no deployment
			return nil, ingest.OutcomeStoredRaw, nil
		}
		if ev.Service == "" {
			return nil, "", missing("subject.id")
		}
		if ev.Environment == "" {
			return nil, "", missing("subject.content.environment.id")
		}
		if c.ArtifactID != "" {
			ev.Attributes["artifact"] = c.ArtifactID
		}
		ev.Deployment = d
	case "incident":
		if doc.Subject.ID == "" {
			return nil, "", missing("subject.id")
		}
		in := &delivery.Incident{ID: doc.Subject.ID, Title: c.Description}
		switch predicate {
		case "detected", "reported":
			in.OpenedAt = at
		case "resolved":
			in.ResolvedAt = at
		}
		if ev.Environment == "" {
			ev.Environment = delivery.DefaultEnvironment
		}
		ev.Incident = in
	default: // environment.*, artifact.*, ticket.*, ...: kept raw
		return nil, ingest.OutcomeStoredRaw, nil
	}
	return []delivery.Event{ev}, ingest.OutcomeStored, nil
}

func missing(field string) error {
	return ingest.BadRequest("the CDEvent lacks "+field, server.Detail{Field: field, Message: "is required"})
}

// stage maps a CI run: the CI system (context source) is the pipeline, the
// pipeline run its run, and each task, build or test suite a stage of it.
func stage(doc *cdevent, subject, predicate string, at time.Time) (*delivery.PipelineStage, error) {
	c := doc.Subject.Content
	s := &delivery.PipelineStage{Pipeline: doc.Context.Source, RunID: doc.Subject.ID}
	switch subject {
	case "pipelinerun":
		s.Stage, s.Kind = delivery.WholeRun, delivery.KindOther
	case "taskrun":
		s.Stage, s.Kind = c.TaskName, delivery.GuessStageKind(c.TaskName)
		if c.PipelineRun != nil && c.PipelineRun.ID != "" {
			s.RunID = c.PipelineRun.ID
		}
		if s.Stage == "" {
			s.Stage = doc.Subject.ID
		}
	case "build":
		s.Stage, s.Kind = "build", delivery.KindBuild
	default:
		s.Stage, s.Kind = "test", delivery.KindTest
		if c.TestSuite != nil && c.TestSuite.Name != "" {
			s.Stage = c.TestSuite.Name
		} else if c.TestCase != nil && c.TestCase.Name != "" {
			s.Stage = c.TestCase.Name
		}
	}
	if s.Pipeline == "" || s.RunID == "" {
		return nil, missing("subject.id")
	}
	switch predicate {
	case "queued":
		s.QueuedAt = at
	case "started":
		s.StartedAt = at
	case "finished":
		s.FinishedAt = at
		s.Result = outcomeResult(c.Outcome)
	case "skipped":
		s.FinishedAt, s.Result = at, delivery.ResultSkipped
	}
	return s, nil
}

func outcomeResult(o string) delivery.StageResult {
	switch strings.ToLower(o) {
	case "success", "pass":
		return delivery.ResultSuccess
	case "failure", "fail", "error":
		return delivery.ResultFailure
	case "cancel", "cancelled", "canceled":
		return delivery.ResultCancelled
	case "skip", "skipped":
		return delivery.ResultSkipped
	}
	return delivery.ResultUnknown
}

func outcomeStatus(o string) delivery.DeploymentStatus {
	if outcomeResult(o) == delivery.ResultSuccess {
		return delivery.StatusSuccess
	}
	if o == "" {
		return delivery.StatusUnknown
	}
	return delivery.StatusFailure
}

// version of a package URL: pkg:oci/myapp@sha256%3Aabc → sha256:abc.
func version(purl string) string {
	_, v, ok := strings.Cut(purl, "@")
	if !ok {
		return ""
	}
	v, _, _ = strings.Cut(v, "?")
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

// artifactName of a package URL: pkg:oci/myapp@... → myapp.
func artifactName(purl string) string {
	p, _, _ := strings.Cut(strings.TrimPrefix(purl, "pkg:"), "@")
	if i := strings.LastIndex(p, "/"); i >= 0 {
		p = p[i+1:]
	}
	return p
}
