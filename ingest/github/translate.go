package github

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v75/github"

	"github.com/deploylens/deploylens/delivery"
	"github.com/deploylens/deploylens/ingest"
	"github.com/deploylens/deploylens/server"
)

// Translate turns one GitHub delivery into events. Every event of a delivery
// takes the delivery id (X-GitHub-Delivery) as its id, so a re-delivery
// collapses into the rows of the first.
func Translate(raw *ingest.Raw) ([]delivery.Event, ingest.Outcome, error) {
	parsed, err := gh.ParseWebHook(raw.EventType, payload(raw))
	if err != nil {
		if strings.Contains(err.Error(), "unknown X-Github-Event") {
			return nil, ingest.OutcomeIgnored, nil
		}
		return nil, "", ingest.BadRequest("the "+raw.EventType+" payload cannot be read: "+err.Error(), server.Detail{Field: "body", Message: err.Error()})
	}
	t := translator{id: raw.DeliveryID, received: raw.ReceivedAt}
	var evs []delivery.Event
	switch p := parsed.(type) {
	case *gh.PushEvent:
		evs = t.push(p)
	case *gh.PullRequestEvent:
		evs = t.pullRequest(p)
	case *gh.PullRequestReviewEvent:
		evs = t.review(p)
	case *gh.WorkflowRunEvent:
		evs = t.workflowRun(p)
	case *gh.WorkflowJobEvent:
		evs = t.workflowJob(p)
	case *gh.CheckRunEvent:
		evs = t.checkRun(p)
	case *gh.CheckSuiteEvent:
		evs = t.checkSuite(p)
	case *gh.DeploymentEvent:
		evs = t.deployment(p)
	case *gh.DeploymentStatusEvent:
		evs = t.deploymentStatus(p)
	case *gh.DeploymentReviewEvent:
		evs = t.deploymentReview(p)
	case *gh.ReleaseEvent:
		evs = t.release(p)
	}
	if len(evs) == 0 {
		return nil, ingest.OutcomeIgnored, nil
	}
	return evs, ingest.OutcomeStored, nil
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

func tm(ts *gh.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.Time.UTC()
}

// ChangeID names a pull request as GitHub writes it: owner/repo#number.
func ChangeID(repo string, number int) string { return fmt.Sprintf("%s#%d", repo, number) }

var prRef = regexp.MustCompile(`^Merge pull request #(\d+)|\(#(\d+)\)\s*$`)

// changeOf finds the pull request a commit merges from its message's first
// line: "Merge pull request #12 from ..." or a squash's "Title (#12)".
func changeOf(repo, message string) string {
	line, _, _ := strings.Cut(message, "\n")
	m := prRef.FindStringSubmatch(strings.TrimSpace(line))
	if m == nil {
		return ""
	}
	n := m[1] + m[2]
	return repo + "#" + n
}

func (t translator) push(p *gh.PushEvent) []delivery.Event {
	branch := ingest.Branch(p.GetRef())
	if branch == "" || p.GetDeleted() {
		return nil
	}
	repo := p.GetRepo().GetFullName()
	pushedAt := tm(p.GetHeadCommit().Timestamp)
	if pushedAt.IsZero() {
		pushedAt = tm(p.GetRepo().PushedAt)
	}
	if pushedAt.IsZero() {
		pushedAt = t.received
	}
	var commits []ingest.PushedCommit
	for _, c := range p.Commits {
		author := c.GetAuthor().GetLogin()
		if author == "" {
			author = c.GetAuthor().GetName()
		}
		commits = append(commits, ingest.PushedCommit{SHA: c.GetID(), Message: c.GetMessage(), Author: author,
			Time: tm(c.Timestamp), Distinct: c.Distinct == nil || *c.Distinct})
	}
	return ingest.PushEvents(ingest.Push{EventID: t.id, Source: Source, Repo: repo, Branch: branch,
		DefaultBranch: p.GetRepo().GetDefaultBranch(), Before: p.GetBefore(), After: p.GetAfter(),
		PushedAt: pushedAt.UTC(), Commits: commits, ChangeOf: changeOf})
}

func (t translator) change(repo string, pr *gh.PullRequest) *delivery.Change {
	c := &delivery.Change{
		ID: ChangeID(repo, pr.GetNumber()), Repo: repo, Title: pr.GetTitle(), Author: pr.GetUser().GetLogin(),
		Branch: pr.GetHead().GetRef(), BaseBranch: pr.GetBase().GetRef(), OpenedAt: tm(pr.CreatedAt),
	}
	if sha := pr.GetHead().GetSHA(); sha != "" {
		c.Commits = []string{sha}
	}
	return c
}

func (t translator) pullRequest(p *gh.PullRequestEvent) []delivery.Event {
	pr := p.GetPullRequest()
	repo := p.GetRepo().GetFullName()
	if pr == nil || repo == "" {
		return nil
	}
	c := t.change(repo, pr)
	if pr.GetMerged() || pr.MergedAt != nil {
		c.MergedAt = tm(pr.MergedAt)
		c.MergeCommit = pr.GetMergeCommitSHA()
		if c.MergeCommit != "" {
			c.Commits = append(c.Commits, c.MergeCommit)
		}
	}
	for _, l := range pr.Labels {
		c.Labels = append(c.Labels, l.GetName())
	}
	ev := t.event(delivery.Latest(tm(pr.UpdatedAt), c.OpenedAt, c.MergedAt))
	ev.Change = c
	ev.Attributes = map[string]string{"action": p.GetAction(), "state": pr.GetState(), "draft": strconv.FormatBool(pr.GetDraft())}
	return []delivery.Event{ev}
}

func (t translator) review(p *gh.PullRequestReviewEvent) []delivery.Event {
	pr, r := p.GetPullRequest(), p.GetReview()
	repo := p.GetRepo().GetFullName()
	if pr == nil || r == nil || repo == "" || p.GetAction() != "submitted" {
		return nil
	}
	// An author commenting on their own pull request is not a review.
	if r.GetUser().GetLogin() != "" && r.GetUser().GetLogin() == pr.GetUser().GetLogin() {
		return nil
	}
	at := tm(r.SubmittedAt)
	if at.IsZero() {
		at = t.received
	}
	c := t.change(repo, pr)
	c.FirstReviewAt = at
	if strings.EqualFold(r.GetState(), "approved") {
		c.ApprovedAt = at
	}
	ev := t.event(at)
	ev.Change = c
	ev.Attributes = map[string]string{"review_state": strings.ToLower(r.GetState()), "reviewer": r.GetUser().GetLogin()}
	return []delivery.Event{ev}
}

// runID keys a workflow run attempt: a re-run is a new run of the pipeline.
func runID(id, attempt int64) string {
	if attempt > 1 {
		return fmt.Sprintf("%d.%d", id, attempt)
	}
	return strconv.FormatInt(id, 10)
}

func pipelineName(repo, workflow string) string {
	if workflow == "" {
		workflow = "actions"
	}
	return repo + "/" + workflow
}

// result maps a GitHub conclusion.
func result(conclusion string) delivery.StageResult {
	switch conclusion {
	case "success":
		return delivery.ResultSuccess
	case "failure", "timed_out", "startup_failure", "action_required", "stale":
		return delivery.ResultFailure
	case "cancelled":
		return delivery.ResultCancelled
	case "skipped", "neutral":
		return delivery.ResultSkipped
	}
	return delivery.ResultUnknown
}

func prChanges(repo string, prs []*gh.PullRequest) []string {
	var out []string
	for _, pr := range prs {
		if pr.GetNumber() != 0 {
			out = append(out, ChangeID(repo, pr.GetNumber()))
		}
	}
	return out
}

func (t translator) workflowRun(p *gh.WorkflowRunEvent) []delivery.Event {
	run := p.GetWorkflowRun()
	repo := p.GetRepo().GetFullName()
	if run == nil || repo == "" {
		return nil
	}
	name := run.GetName()
	if wf := p.GetWorkflow().GetName(); wf != "" {
		name = wf
	}
	s := &delivery.PipelineStage{
		Pipeline: pipelineName(repo, name), RunID: runID(run.GetID(), int64(run.GetRunAttempt())), Stage: delivery.WholeRun,
		Kind: delivery.KindOther, QueuedAt: tm(run.CreatedAt), Commit: run.GetHeadSHA(), ChangeIDs: prChanges(repo, run.PullRequests),
	}
	switch run.GetStatus() {
	case "in_progress":
		s.StartedAt = tm(run.RunStartedAt)
	case "completed":
		s.StartedAt = tm(run.RunStartedAt)
		s.FinishedAt = tm(run.UpdatedAt)
		s.Result = result(run.GetConclusion())
	}
	ev := t.event(delivery.Latest(s.QueuedAt, s.StartedAt, s.FinishedAt, tm(run.UpdatedAt)))
	ev.Stage = s
	ev.Attributes = map[string]string{"status": run.GetStatus(), "event": run.GetEvent(), "branch": run.GetHeadBranch()}
	return []delivery.Event{ev}
}

func (t translator) workflowJob(p *gh.WorkflowJobEvent) []delivery.Event {
	job := p.GetWorkflowJob()
	repo := p.GetRepo().GetFullName()
	if job == nil || repo == "" {
		return nil
	}
	s := &delivery.PipelineStage{
		Pipeline: pipelineName(repo, job.GetWorkflowName()), RunID: runID(job.GetRunID(), job.GetRunAttempt()), Stage: job.GetName(),
		Kind: delivery.GuessStageKind(job.GetName()), QueuedAt: tm(job.CreatedAt), Commit: job.GetHeadSHA(),
	}
	switch job.GetStatus() {
	case "queued", "waiting", "pending", "requested":
		if s.QueuedAt.IsZero() {
			s.QueuedAt = tm(job.StartedAt) // older payloads: started_at is when it was queued
		}
	case "in_progress":
		s.StartedAt = tm(job.StartedAt)
	case "completed":
		s.StartedAt = tm(job.StartedAt)
		s.FinishedAt = tm(job.CompletedAt)
		s.Result = result(job.GetConclusion())
	}
	ev := t.event(delivery.Latest(s.QueuedAt, s.StartedAt, s.FinishedAt))
	ev.Stage = s
	ev.Attributes = map[string]string{"status": job.GetStatus(), "runner_labels": strings.Join(job.Labels, ",")}
	if b := job.GetHeadBranch(); b != "" {
		ev.Attributes["branch"] = b
	}
	return []delivery.Event{ev}
}

// GitHub Actions also reports every job as a check run and every workflow
// run as a check suite; those are translated from workflow_job and
// workflow_run, so their checks would count twice.
const actionsApp = "github-actions"

func (t translator) checkRun(p *gh.CheckRunEvent) []delivery.Event {
	cr := p.GetCheckRun()
	repo := p.GetRepo().GetFullName()
	app := cr.GetApp().GetSlug()
	if cr == nil || repo == "" || app == actionsApp {
		return nil
	}
	if app == "" {
		app = cr.GetApp().GetName()
	}
	kind := delivery.GuessStageKind(cr.GetName())
	if kind == delivery.KindOther {
		kind = delivery.KindTest // checks are tests unless their name says otherwise
	}
	s := &delivery.PipelineStage{
		Pipeline: repo + "/checks/" + app, RunID: strconv.FormatInt(cr.GetCheckSuite().GetID(), 10), Stage: cr.GetName(),
		Kind: kind, Commit: cr.GetHeadSHA(), ChangeIDs: prChanges(repo, cr.PullRequests),
	}
	switch cr.GetStatus() {
	case "queued", "waiting", "pending", "requested":
		s.QueuedAt = tm(cr.StartedAt)
	case "in_progress":
		s.StartedAt = tm(cr.StartedAt)
	case "completed":
		s.StartedAt = tm(cr.StartedAt)
		s.FinishedAt = tm(cr.CompletedAt)
		s.Result = result(cr.GetConclusion())
	}
	ev := t.event(delivery.Latest(s.QueuedAt, s.StartedAt, s.FinishedAt))
	ev.Stage = s
	ev.Attributes = map[string]string{"status": cr.GetStatus()}
	return []delivery.Event{ev}
}

func (t translator) checkSuite(p *gh.CheckSuiteEvent) []delivery.Event {
	cs := p.GetCheckSuite()
	repo := p.GetRepo().GetFullName()
	app := cs.GetApp().GetSlug()
	if cs == nil || repo == "" || app == actionsApp {
		return nil
	}
	if app == "" {
		app = cs.GetApp().GetName()
	}
	s := &delivery.PipelineStage{
		Pipeline: repo + "/checks/" + app, RunID: strconv.FormatInt(cs.GetID(), 10), Stage: delivery.WholeRun,
		Kind: delivery.KindTest, QueuedAt: tm(cs.CreatedAt), Commit: cs.GetHeadSHA(), ChangeIDs: prChanges(repo, cs.PullRequests),
	}
	if cs.GetStatus() == "completed" {
		s.FinishedAt = tm(cs.UpdatedAt)
		s.Result = result(cs.GetConclusion())
	}
	ev := t.event(delivery.Latest(s.QueuedAt, s.FinishedAt, tm(cs.UpdatedAt)))
	ev.Stage = s
	ev.Attributes = map[string]string{"status": cs.GetStatus(), "branch": cs.GetHeadBranch()}
	return []delivery.Event{ev}
}

// DeploymentID names a GitHub deployment: owner/repo/deployments/id.
func DeploymentID(repo string, id int64) string { return fmt.Sprintf("%s/deployments/%d", repo, id) }

// serviceOf is the service a deployment deploys: the deployment payload's
// "service" when the workflow sets one, else the repository's name.
func serviceOf(repo *gh.Repository, d *gh.Deployment) string {
	if d != nil {
		var m map[string]any
		if err := jsonUnmarshal(d.Payload, &m); err == nil {
			if s, ok := m["service"].(string); ok && s != "" {
				return s
			}
		}
	}
	return repo.GetName()
}

func (t translator) deploymentOf(repo *gh.Repository, d *gh.Deployment) *delivery.Deployment {
	out := &delivery.Deployment{
		ID: DeploymentID(repo.GetFullName(), d.GetID()), Repo: repo.GetFullName(), Commit: d.GetSHA(), StartedAt: tm(d.CreatedAt),
	}
	if ref := d.GetRef(); ref != "" && ref != d.GetSHA() {
		out.Branch = ref
	}
	var m map[string]any
	if err := jsonUnmarshal(d.Payload, &m); err == nil {
		if v, ok := m["version"].(string); ok {
			out.Version = v
		}
	}
	return out
}

func (t translator) deployment(p *gh.DeploymentEvent) []delivery.Event {
	d := p.GetDeployment()
	if d == nil || p.GetRepo().GetFullName() == "" {
		return nil
	}
	ev := t.event(tm(d.CreatedAt))
	ev.Deployment = t.deploymentOf(p.GetRepo(), d)
	ev.Service = serviceOf(p.GetRepo(), d)
	ev.Environment = d.GetEnvironment()
	ev.Attributes = map[string]string{"task": d.GetTask(), "creator": d.GetCreator().GetLogin()}
	return []delivery.Event{ev}
}

func (t translator) deploymentStatus(p *gh.DeploymentStatusEvent) []delivery.Event {
	d, st := p.GetDeployment(), p.GetDeploymentStatus()
	if d == nil || st == nil || p.GetRepo().GetFullName() == "" {
		return nil
	}
	at := delivery.Latest(tm(st.UpdatedAt), tm(st.CreatedAt))
	dep := t.deploymentOf(p.GetRepo(), d)
	switch st.GetState() {
	case "success":
		dep.Status, dep.FinishedAt = delivery.StatusSuccess, at
	case "failure", "error":
		dep.Status, dep.FinishedAt = delivery.StatusFailure, at
	case "in_progress":
		dep.StartedAt = at
	case "queued", "pending":
	default: // inactive: a later deployment superseded this one; nothing new
		return nil
	}
	ev := t.event(at)
	ev.Deployment = dep
	ev.Service = serviceOf(p.GetRepo(), d)
	ev.Environment = st.GetEnvironment()
	if ev.Environment == "" {
		ev.Environment = d.GetEnvironment()
	}
	ev.Attributes = map[string]string{"state": st.GetState()}
	return []delivery.Event{ev}
}

// deploymentReview turns a required reviewer's wait into an approval stage
// of the workflow run: queued when the review was requested, finished when
// someone approved or rejected it.
func (t translator) deploymentReview(p *gh.DeploymentReviewEvent) []delivery.Event {
	run := p.GetWorkflowRun()
	repo := p.GetRepo().GetFullName()
	if run == nil || repo == "" {
		return nil
	}
	env := p.GetEnvironment()
	var last time.Time
	for _, j := range append([]*gh.WorkflowJobRun{p.GetWorkflowJobRun()}, p.WorkflowJobRuns...) {
		if j == nil {
			continue
		}
		if env == "" {
			env = j.GetEnvironment()
		}
		last = delivery.Latest(last, tm(j.UpdatedAt))
	}
	s := &delivery.PipelineStage{
		Pipeline: pipelineName(repo, run.GetName()), RunID: runID(run.GetID(), int64(run.GetRunAttempt())),
		Stage: "approval: " + env, Kind: delivery.KindApproval, Commit: run.GetHeadSHA(),
	}
	switch p.GetAction() {
	case "requested":
		if since, err := time.Parse(time.RFC3339, p.GetSince()); err == nil {
			s.QueuedAt = since.UTC()
		} else {
			s.QueuedAt = delivery.Latest(last, tm(run.UpdatedAt))
		}
	case "approved", "rejected":
		s.FinishedAt = delivery.Latest(last, tm(run.UpdatedAt))
		if s.FinishedAt.IsZero() {
			s.FinishedAt = t.received
		}
		s.Result = delivery.ResultSuccess
		if p.GetAction() == "rejected" {
			s.Result = delivery.ResultFailure
		}
	default:
		return nil
	}
	ev := t.event(delivery.Latest(s.QueuedAt, s.FinishedAt))
	ev.Stage = s
	ev.Environment = env
	ev.Attributes = map[string]string{"action": p.GetAction()}
	if a := p.GetApprover().GetLogin(); a != "" {
		ev.Attributes["approver"] = a
	}
	return []delivery.Event{ev}
}

// ReleaseEnvironment is the environment of a published release, kept apart
// from production deployments: a project that ships by releasing can count
// them by asking for this environment.
const ReleaseEnvironment = "release"

func (t translator) release(p *gh.ReleaseEvent) []delivery.Event {
	rel := p.GetRelease()
	repo := p.GetRepo().GetFullName()
	if rel == nil || repo == "" || p.GetAction() != "published" || rel.GetDraft() {
		return nil
	}
	d := &delivery.Deployment{
		ID: fmt.Sprintf("%s/releases/%d", repo, rel.GetID()), Repo: repo, Version: rel.GetTagName(),
		StartedAt: tm(rel.CreatedAt), FinishedAt: tm(rel.PublishedAt), Status: delivery.StatusSuccess,
	}
	if d.FinishedAt.IsZero() {
		d.FinishedAt = t.received
	}
	if tc := rel.GetTargetCommitish(); ingest.IsSHA(tc) {
		d.Commit = tc
	} else {
		d.Branch = tc
	}
	ev := t.event(d.FinishedAt)
	ev.Deployment = d
	ev.Service = p.GetRepo().GetName()
	ev.Environment = ReleaseEnvironment
	ev.Attributes = map[string]string{"prerelease": strconv.FormatBool(rel.GetPrerelease()), "name": rel.GetName()}
	return []delivery.Event{ev}
}
