package gitlab

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/deploylens/deploylens/delivery"
	"github.com/deploylens/deploylens/ingest"
	"github.com/deploylens/deploylens/server"
)

// Translate turns one GitLab delivery into events; each takes the delivery
// id as its id.
func Translate(raw *ingest.Raw) ([]delivery.Event, ingest.Outcome, error) {
	var head struct {
		ObjectKind string `json:"object_kind"`
	}
	if err := json.Unmarshal(raw.Body, &head); err != nil {
		return nil, "", ingest.BadRequest("the GitLab payload is not a JSON object: "+err.Error(), server.Detail{Field: "body", Message: err.Error()})
	}
	t := translator{id: raw.DeliveryID, received: raw.ReceivedAt}
	var evs []delivery.Event
	var err error
	switch head.ObjectKind {
	case "push":
		evs, err = decodeAnd(raw.Body, t.push)
	case "merge_request":
		evs, err = decodeAnd(raw.Body, t.mergeRequest)
	case "pipeline":
		evs, err = decodeAnd(raw.Body, t.pipeline)
	case "build":
		evs, err = decodeAnd(raw.Body, t.job)
	case "deployment":
		evs, err = decodeAnd(raw.Body, t.deployment)
	case "release":
		evs, err = decodeAnd(raw.Body, t.release)
	}
	if err != nil {
		return nil, "", err
	}
	if len(evs) == 0 {
		return nil, ingest.OutcomeIgnored, nil
	}
	return evs, ingest.OutcomeStored, nil
}

func decodeAnd[T any](body []byte, f func(*T) []delivery.Event) ([]delivery.Event, error) {
	var p T
	if err := json.Unmarshal(body, &p); err != nil {
		field := "body"
		if te, ok := err.(*json.UnmarshalTypeError); ok && te.Field != "" {
			field = te.Field
		}
		return nil, ingest.BadRequest("the GitLab payload cannot be read: "+err.Error(), server.Detail{Field: field, Message: err.Error()})
	}
	return f(&p), nil
}

// Time is a GitLab timestamp, which comes as RFC 3339, "2016-08-12 15:23:28
// UTC" or "2021-04-28 21:50:00 +0200" depending on the hook.
type Time struct{ time.Time }

var layouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05 MST", "2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05 UTC", "2006-01-02T15:04:05.999Z07:00"}

func (t *Time) UnmarshalJSON(b []byte) error {
	var s string
	if string(b) == "null" {
		return nil
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == "" {
		return nil
	}
	for _, l := range layouts {
		if v, err := time.Parse(l, s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	return fmt.Errorf("time %q is in no format GitLab uses", s)
}

type project struct {
	Name              string `json:"name"`
	PathWithNamespace string `json:"path_with_namespace"`
	DefaultBranch     string `json:"default_branch"`
}

type translator struct {
	id       string
	received time.Time
}

func (t translator) event(observed time.Time) delivery.Event {
	if observed.IsZero() {
		observed = t.received
	}
	return delivery.Event{ID: t.id, Source: Source, ObservedAt: observed.UTC()}
}

// ChangeID names a merge request as GitLab writes it: group/project!iid.
func ChangeID(project string, iid int64) string { return fmt.Sprintf("%s!%d", project, iid) }

var mrRef = regexp.MustCompile(`See merge request ([\w./-]+)!(\d+)`)

func changeOf(repo, message string) string {
	m := mrRef.FindStringSubmatch(message)
	if m == nil {
		return ""
	}
	return m[1] + "!" + m[2]
}

func (t translator) push(p *struct {
	Ref     string  `json:"ref"`
	Before  string  `json:"before"`
	After   string  `json:"after"`
	Project project `json:"project"`
	Commits []struct {
		ID        string `json:"id"`
		Message   string `json:"message"`
		Timestamp Time   `json:"timestamp"`
		Author    struct {
			Name string `json:"name"`
		} `json:"author"`
	} `json:"commits"`
}) []delivery.Event {
	branch := ingest.Branch(p.Ref)
	repo := p.Project.PathWithNamespace
	if branch == "" || repo == "" || p.After == strings.Repeat("0", 40) {
		return nil
	}
	// GitLab does not say which commits are new; when a push merges a merge
	// request, its other commits came with that merge request.
	merges := false
	for _, c := range p.Commits {
		merges = merges || changeOf(repo, c.Message) != ""
	}
	var commits []ingest.PushedCommit
	var last time.Time
	for _, c := range p.Commits {
		commits = append(commits, ingest.PushedCommit{SHA: c.ID, Message: c.Message, Author: c.Author.Name, Time: c.Timestamp.Time,
			Distinct: !merges || changeOf(repo, c.Message) != ""})
		last = delivery.Latest(last, c.Timestamp.Time)
	}
	if last.IsZero() {
		last = t.received
	}
	return ingest.PushEvents(ingest.Push{EventID: t.id, Source: Source, Repo: repo, Branch: branch, DefaultBranch: p.Project.DefaultBranch,
		Before: p.Before, After: p.After, PushedAt: last, Commits: commits, ChangeOf: changeOf})
}

func (t translator) mergeRequest(p *struct {
	User struct {
		Username string `json:"username"`
	} `json:"user"`
	Project project `json:"project"`
	Attrs   struct {
		IID            int64  `json:"iid"`
		Title          string `json:"title"`
		SourceBranch   string `json:"source_branch"`
		TargetBranch   string `json:"target_branch"`
		CreatedAt      Time   `json:"created_at"`
		UpdatedAt      Time   `json:"updated_at"`
		MergedAt       Time   `json:"merged_at"`
		State          string `json:"state"`
		Action         string `json:"action"`
		MergeCommitSHA string `json:"merge_commit_sha"`
		LastCommit     struct {
			ID string `json:"id"`
		} `json:"last_commit"`
		Labels []struct {
			Title string `json:"title"`
		} `json:"labels"`
	} `json:"object_attributes"`
}) []delivery.Event {
	a := p.Attrs
	repo := p.Project.PathWithNamespace
	if repo == "" || a.IID == 0 {
		return nil
	}
	c := &delivery.Change{ID: ChangeID(repo, a.IID), Repo: repo, Title: a.Title, Branch: a.SourceBranch, BaseBranch: a.TargetBranch,
		OpenedAt: a.CreatedAt.Time}
	if a.LastCommit.ID != "" {
		c.Commits = []string{a.LastCommit.ID}
	}
	for _, l := range a.Labels {
		c.Labels = append(c.Labels, l.Title)
	}
	at := a.UpdatedAt.Time
	switch a.Action {
	case "open":
		c.Author = p.User.Username
	case "merge":
		c.MergedAt = a.MergedAt.Time
		if c.MergedAt.IsZero() {
			c.MergedAt = at
		}
		c.MergeCommit = a.MergeCommitSHA
		if c.MergeCommit != "" {
			c.Commits = append(c.Commits, c.MergeCommit)
		}
	case "approved", "approval":
		if p.User.Username != "" {
			c.FirstReviewAt, c.ApprovedAt = at, at
		}
	}
	ev := t.event(delivery.Latest(at, c.OpenedAt, c.MergedAt))
	ev.Change = c
	ev.Attributes = map[string]string{"action": a.Action, "state": a.State}
	return []delivery.Event{ev}
}

// result maps a GitLab pipeline or job status.
func result(status string) delivery.StageResult {
	switch status {
	case "success":
		return delivery.ResultSuccess
	case "failed":
		return delivery.ResultFailure
	case "canceled", "canceling":
		return delivery.ResultCancelled
	case "skipped":
		return delivery.ResultSkipped
	}
	return delivery.ResultUnknown
}

func running(status string) bool { return status == "running" }
func done(status string) bool    { return result(status) != delivery.ResultUnknown }

type build struct {
	Name        string `json:"name"`
	Stage       string `json:"stage"`
	Status      string `json:"status"`
	CreatedAt   Time   `json:"created_at"`
	StartedAt   Time   `json:"started_at"`
	FinishedAt  Time   `json:"finished_at"`
	Environment *struct {
		Name string `json:"name"`
	} `json:"environment"`
}

func kindOf(name, stage string) delivery.StageKind {
	if k := delivery.GuessStageKind(name); k != delivery.KindOther {
		return k
	}
	return delivery.GuessStageKind(stage)
}

func (t translator) stage(pipeline, runID string, b build, commit string, changes []string) delivery.Event {
	s := &delivery.PipelineStage{Pipeline: pipeline, RunID: runID, Stage: b.Name, Kind: kindOf(b.Name, b.Stage),
		QueuedAt: b.CreatedAt.Time, Commit: commit, ChangeIDs: changes}
	if running(b.Status) || done(b.Status) {
		s.StartedAt = b.StartedAt.Time
	}
	if done(b.Status) {
		s.FinishedAt = b.FinishedAt.Time
		s.Result = result(b.Status)
	}
	ev := t.event(delivery.Latest(s.QueuedAt, s.StartedAt, s.FinishedAt))
	ev.Stage = s
	ev.Attributes = map[string]string{"status": b.Status, "gitlab_stage": b.Stage}
	if b.Environment != nil {
		ev.Environment = b.Environment.Name
	}
	return ev
}

func (t translator) pipeline(p *struct {
	Project project `json:"project"`
	Attrs   struct {
		ID         int64  `json:"id"`
		Ref        string `json:"ref"`
		SHA        string `json:"sha"`
		Status     string `json:"status"`
		Source     string `json:"source"`
		CreatedAt  Time   `json:"created_at"`
		FinishedAt Time   `json:"finished_at"`
	} `json:"object_attributes"`
	MergeRequest *struct {
		IID int64 `json:"iid"`
	} `json:"merge_request"`
	Builds []build `json:"builds"`
}) []delivery.Event {
	repo := p.Project.PathWithNamespace
	if repo == "" || p.Attrs.ID == 0 {
		return nil
	}
	runID := strconv.FormatInt(p.Attrs.ID, 10)
	var changes []string
	if p.MergeRequest != nil && p.MergeRequest.IID != 0 {
		changes = []string{ChangeID(repo, p.MergeRequest.IID)}
	}
	run := build{Name: delivery.WholeRun, Status: p.Attrs.Status, CreatedAt: p.Attrs.CreatedAt, FinishedAt: p.Attrs.FinishedAt}
	// The pipeline's own start is its first job's.
	for _, b := range p.Builds {
		if !b.StartedAt.IsZero() && (run.StartedAt.IsZero() || b.StartedAt.Before(run.StartedAt.Time)) {
			run.StartedAt = b.StartedAt
		}
	}
	first := t.stage(repo, runID, run, p.Attrs.SHA, changes)
	first.Stage.Kind = delivery.KindOther
	first.Attributes = map[string]string{"status": p.Attrs.Status, "ref": p.Attrs.Ref, "source": p.Attrs.Source}
	out := []delivery.Event{first}
	for _, b := range p.Builds {
		out = append(out, t.stage(repo, runID, b, p.Attrs.SHA, changes))
	}
	return out
}

func (t translator) job(p *struct {
	SHA          string  `json:"sha"`
	BuildName    string  `json:"build_name"`
	BuildStage   string  `json:"build_stage"`
	BuildStatus  string  `json:"build_status"`
	CreatedAt    Time    `json:"build_created_at"`
	StartedAt    Time    `json:"build_started_at"`
	FinishedAt   Time    `json:"build_finished_at"`
	PipelineID   int64   `json:"pipeline_id"`
	ProjectName  string  `json:"project_name"`
	RetriesCount int     `json:"retries_count"`
	Project      project `json:"project"`
	Environment  *struct {
		Name string `json:"name"`
	} `json:"environment"`
}) []delivery.Event {
	repo := p.Project.PathWithNamespace
	if repo == "" {
		repo = p.ProjectName
	}
	if repo == "" || p.PipelineID == 0 || p.BuildName == "" {
		return nil
	}
	b := build{Name: p.BuildName, Stage: p.BuildStage, Status: p.BuildStatus, CreatedAt: p.CreatedAt, StartedAt: p.StartedAt,
		FinishedAt: p.FinishedAt, Environment: p.Environment}
	ev := t.stage(repo, strconv.FormatInt(p.PipelineID, 10), b, p.SHA, nil)
	ev.Attributes["retries"] = strconv.Itoa(p.RetriesCount)
	return []delivery.Event{ev}
}

func (t translator) deployment(p *struct {
	Status          string  `json:"status"`
	StatusChangedAt Time    `json:"status_changed_at"`
	DeploymentID    int64   `json:"deployment_id"`
	Environment     string  `json:"environment"`
	Project         project `json:"project"`
	Ref             string  `json:"ref"`
	ShortSHA        string  `json:"short_sha"`
	CommitURL       string  `json:"commit_url"`
	CommitTitle     string  `json:"commit_title"`
}) []delivery.Event {
	repo := p.Project.PathWithNamespace
	if repo == "" || p.DeploymentID == 0 {
		return nil
	}
	d := &delivery.Deployment{ID: fmt.Sprintf("%s/deployments/%d", repo, p.DeploymentID), Repo: repo, Branch: p.Ref}
	if i := strings.LastIndex(p.CommitURL, "/commit/"); i >= 0 && ingest.IsSHA(p.CommitURL[i+8:]) {
		d.Commit = p.CommitURL[i+8:]
	}
	at := p.StatusChangedAt.Time
	switch p.Status {
	case "running":
		d.StartedAt = at
	case "success":
		d.Status, d.FinishedAt = delivery.StatusSuccess, at
	case "failed":
		d.Status, d.FinishedAt = delivery.StatusFailure, at
	}
	ev := t.event(at)
	ev.Deployment = d
	ev.Service = p.Project.Name
	ev.Environment = p.Environment
	ev.Attributes = map[string]string{"status": p.Status, "short_sha": p.ShortSHA, "commit_title": p.CommitTitle}
	return []delivery.Event{ev}
}

// ReleaseEnvironment is the environment of a GitLab release, as for GitHub.
const ReleaseEnvironment = "release"

func (t translator) release(p *struct {
	ID         int64   `json:"id"`
	Tag        string  `json:"tag"`
	Name       string  `json:"name"`
	Action     string  `json:"action"`
	CreatedAt  Time    `json:"created_at"`
	ReleasedAt Time    `json:"released_at"`
	Project    project `json:"project"`
	Commit     struct {
		ID string `json:"id"`
	} `json:"commit"`
}) []delivery.Event {
	repo := p.Project.PathWithNamespace
	if repo == "" || p.Action != "create" {
		return nil
	}
	at := p.ReleasedAt.Time
	if at.IsZero() {
		at = p.CreatedAt.Time
	}
	d := &delivery.Deployment{ID: fmt.Sprintf("%s/releases/%s", repo, p.Tag), Repo: repo, Version: p.Tag, Commit: p.Commit.ID,
		StartedAt: p.CreatedAt.Time, FinishedAt: at, Status: delivery.StatusSuccess}
	ev := t.event(at)
	ev.Deployment = d
	ev.Service = p.Project.Name
	ev.Environment = ReleaseEnvironment
	ev.Attributes = map[string]string{"name": p.Name}
	return []delivery.Event{ev}
}
