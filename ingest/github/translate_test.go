package github

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/deploylens/deploylens/delivery"
	"github.com/deploylens/deploylens/ingest"
)

var received = time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func load(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// edit returns a testdata payload changed by f, for variants GitHub's
// examples do not include.
func edit(t testing.TB, name string, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(load(t, name), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, _ := json.Marshal(m)
	return b
}

func obj(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		m = m[p].(map[string]any)
	}
	return m
}

func translate(t *testing.T, event string, body []byte) ([]delivery.Event, ingest.Outcome) {
	t.Helper()
	raw := &ingest.Raw{EventType: event, DeliveryID: "d-1", ReceivedAt: received, Body: body, Headers: map[string]string{"content-type": "application/json"}}
	evs, outcome, err := Translate(raw)
	if err != nil {
		t.Fatalf("Translate: %v", err)
	}
	return evs, outcome
}

const (
	hello   = "Codertocat/Hello-World"
	prHead  = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
	runHead = "3484a3fb816e0859fd6e1cea078d76385ff50625"
)

func ev(observed string, f func(e *delivery.Event)) delivery.Event {
	e := delivery.Event{ID: "d-1", Source: Source, ObservedAt: ts(observed)}
	f(&e)
	return e
}

func TestTranslateGitHubExamples(t *testing.T) {
	tests := []struct {
		file, event string
		body        func(t testing.TB) []byte
		want        []delivery.Event
	}{
		{file: "push.json", event: "push", want: []delivery.Event{
			ev("2019-05-15T15:19:25Z", func(e *delivery.Event) {
				e.Push = &delivery.Push{Repo: hello, Branch: "master", Before: strings.Repeat("0", 40),
					After: "6113728f27ae82c7b1a177c8d03f9e96e0adf246", PushedAt: ts("2019-05-15T15:19:25Z"),
					Commits: []string{"6113728f27ae82c7b1a177c8d03f9e96e0adf246"}, CommitTimes: []time.Time{ts("2019-05-15T15:19:25Z")}}
			}),
			// A commit pushed straight to the default branch is a change of its own.
			ev("2019-05-15T15:19:25Z", func(e *delivery.Event) {
				e.Change = &delivery.Change{ID: hello + "@6113728f27ae82c7b1a177c8d03f9e96e0adf246", Repo: hello, Title: "Initial commit",
					Author: "Codertocat", Branch: "master", BaseBranch: "master", FirstCommitAt: ts("2019-05-15T15:19:25Z"),
					MergedAt: ts("2019-05-15T15:19:25Z"), MergeCommit: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
					Commits: []string{"6113728f27ae82c7b1a177c8d03f9e96e0adf246"}}
			}),
		}},
		{file: "pull_request.opened.json", event: "pull_request", want: []delivery.Event{
			ev("2019-05-15T15:20:33Z", func(e *delivery.Event) {
				e.Change = &delivery.Change{ID: hello + "#2", Repo: hello, Title: "Update the README with new information.", Author: "Codertocat",
					Branch: "changes", BaseBranch: "master", OpenedAt: ts("2019-05-15T15:20:33Z"), Commits: []string{prHead}}
				e.Attributes = map[string]string{"action": "opened", "state": "open", "draft": "false"}
			}),
		}},
		{file: "pull_request.closed.json", event: "pull_request", want: []delivery.Event{
			ev("2019-05-15T15:21:18Z", func(e *delivery.Event) {
				e.Change = &delivery.Change{ID: hello + "#2", Repo: hello, Title: "Update the README with new information.", Author: "Codertocat",
					Branch: "changes", BaseBranch: "master", OpenedAt: ts("2019-05-15T15:20:33Z"), Commits: []string{prHead}, Labels: []string{"bug"}}
				e.Attributes = map[string]string{"action": "closed", "state": "closed", "draft": "false"}
			}),
		}},
		{file: "pull_request.closed.json (merged)", event: "pull_request", body: func(t testing.TB) []byte {
			return edit(t, "pull_request.closed.json", func(m map[string]any) {
				pr := obj(m, "pull_request")
				pr["merged"], pr["merged_at"] = true, "2019-05-15T15:21:18Z"
			})
		}, want: []delivery.Event{
			ev("2019-05-15T15:21:18Z", func(e *delivery.Event) {
				e.Change = &delivery.Change{ID: hello + "#2", Repo: hello, Title: "Update the README with new information.", Author: "Codertocat",
					Branch: "changes", BaseBranch: "master", OpenedAt: ts("2019-05-15T15:20:33Z"), MergedAt: ts("2019-05-15T15:21:18Z"),
					MergeCommit: "c4295bd74fb0f4fda03689c3df3f2803b658fd85", Commits: []string{prHead, "c4295bd74fb0f4fda03689c3df3f2803b658fd85"}, Labels: []string{"bug"}}
				e.Attributes = map[string]string{"action": "closed", "state": "closed", "draft": "false"}
			}),
		}},
		// The example is the author commenting on their own pull request: no review.
		{file: "pull_request_review.submitted.json", event: "pull_request_review"},
		{file: "pull_request_review.submitted.json (approved by another user)", event: "pull_request_review", body: func(t testing.TB) []byte {
			return edit(t, "pull_request_review.submitted.json", func(m map[string]any) {
				r := obj(m, "review")
				r["state"] = "approved"
				obj(r, "user")["login"] = "octocat"
			})
		}, want: []delivery.Event{
			ev("2019-05-15T15:20:38Z", func(e *delivery.Event) {
				e.Change = &delivery.Change{ID: hello + "#2", Repo: hello, Title: "Update the README with new information.", Author: "Codertocat",
					Branch: "changes", BaseBranch: "master", OpenedAt: ts("2019-05-15T15:20:33Z"), FirstReviewAt: ts("2019-05-15T15:20:38Z"),
					ApprovedAt: ts("2019-05-15T15:20:38Z"), Commits: []string{prHead}}
				e.Attributes = map[string]string{"review_state": "approved", "reviewer": "octocat"}
			}),
		}},
		{file: "workflow_run.requested.json", event: "workflow_run", want: []delivery.Event{
			ev("2020-10-05T16:33:24Z", func(e *delivery.Event) {
				e.Stage = &delivery.PipelineStage{Pipeline: "octo-org/octo-repo/test", RunID: "289782451", Stage: delivery.WholeRun,
					Kind: delivery.KindOther, QueuedAt: ts("2020-10-05T16:33:24Z"), Commit: runHead}
				e.Attributes = map[string]string{"status": "queued", "event": "repository_dispatch", "branch": "master"}
			}),
		}},
		{file: "workflow_run.completed.json", event: "workflow_run", want: []delivery.Event{
			ev("2020-10-05T16:33:49Z", func(e *delivery.Event) {
				e.Stage = &delivery.PipelineStage{Pipeline: "octo-org/octo-repo/test", RunID: "289782451", Stage: delivery.WholeRun,
					Kind: delivery.KindOther, QueuedAt: ts("2020-10-05T16:33:24Z"), StartedAt: ts("2020-10-05T16:33:49Z"),
					FinishedAt: ts("2020-10-05T16:33:49Z"), Result: delivery.ResultSuccess, Commit: runHead}
				e.Attributes = map[string]string{"status": "completed", "event": "repository_dispatch", "branch": "master"}
			}),
		}},
		{file: "workflow_job.queued.json", event: "workflow_job", want: []delivery.Event{
			ev("2021-09-13T02:21:13Z", func(e *delivery.Event) {
				e.Stage = &delivery.PipelineStage{Pipeline: hello + "/CodeQL", RunID: "2202229078", Stage: "update",
					Kind: delivery.KindOther, QueuedAt: ts("2021-09-13T02:21:13Z"), Commit: runHead}
				e.Attributes = map[string]string{"status": "queued", "runner_labels": "ubuntu-latest", "branch": "main"}
			}),
		}},
		{file: "workflow_job.waiting.json", event: "workflow_job", want: []delivery.Event{
			ev("2023-04-19T21:12:12Z", func(e *delivery.Event) {
				e.Stage = &delivery.PipelineStage{Pipeline: "lineville/elastic-machines-testing/Env Test", RunID: "4747967848", Stage: "test",
					Kind: delivery.KindTest, QueuedAt: ts("2023-04-19T21:12:12Z"), Commit: "16c5286e8d9a0629956a28938386b36608707a71"}
				e.Attributes = map[string]string{"status": "waiting", "runner_labels": "self-hosted,k8s", "branch": "main"}
			}),
		}},
		{file: "workflow_job.in_progress.json", event: "workflow_job", want: []delivery.Event{
			ev("2021-06-15T19:22:27Z", func(e *delivery.Event) {
				e.Stage = &delivery.PipelineStage{Pipeline: "octo-org/example-workflow/actions", RunID: "940463255", Stage: "Test workflow",
					Kind: delivery.KindTest, StartedAt: ts("2021-06-15T19:22:27Z"), Commit: "e3103f8eb03e1ad7f2331c5446b23c070fc54055"}
				e.Attributes = map[string]string{"status": "in_progress", "runner_labels": "gpu,db-app,dc-03"}
			}),
		}},
		{file: "workflow_job.completed.json", event: "workflow_job", want: []delivery.Event{
			ev("2021-08-05T10:38:16Z", func(e *delivery.Event) {
				e.Stage = &delivery.PipelineStage{Pipeline: hello + "/CodeQL", RunID: "2202229078", Stage: "linters",
					Kind: delivery.KindTest, QueuedAt: ts("2021-08-05T10:33:58Z"), StartedAt: ts("2021-08-05T10:34:58Z"),
					FinishedAt: ts("2021-08-05T10:38:16Z"), Result: delivery.ResultFailure, Commit: runHead}
				e.Attributes = map[string]string{"status": "completed", "runner_labels": "ubuntu-latest", "branch": "main"}
			}),
		}},
		{file: "check_run.created.json", event: "check_run", want: []delivery.Event{
			ev("2019-05-15T15:21:12Z", func(e *delivery.Event) {
				e.Stage = &delivery.PipelineStage{Pipeline: hello + "/checks/octocoders-linter", RunID: "118578147", Stage: "Octocoders-linter",
					Kind: delivery.KindTest, QueuedAt: ts("2019-05-15T15:21:12Z"), Commit: prHead, ChangeIDs: []string{hello + "#2"}}
				e.Attributes = map[string]string{"status": "queued"}
			}),
		}},
		// A check run of GitHub Actions repeats a workflow job: not counted twice.
		{file: "check_run.completed.json", event: "check_run"},
		{file: "check_suite.requested.json", event: "check_suite", want: []delivery.Event{
			ev("2019-05-15T15:20:33Z", func(e *delivery.Event) {
				e.Stage = &delivery.PipelineStage{Pipeline: hello + "/checks/octocoders-linter", RunID: "118578174", Stage: delivery.WholeRun,
					Kind: delivery.KindTest, QueuedAt: ts("2019-05-15T15:20:33Z"), Commit: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"}
				e.Attributes = map[string]string{"status": "queued", "branch": "master"}
			}),
		}},
		{file: "check_suite.completed.json", event: "check_suite", want: []delivery.Event{
			ev("2019-05-15T15:21:14Z", func(e *delivery.Event) {
				e.Stage = &delivery.PipelineStage{Pipeline: hello + "/checks/octocoders-linter", RunID: "118578147", Stage: delivery.WholeRun,
					Kind: delivery.KindTest, QueuedAt: ts("2019-05-15T15:20:31Z"), FinishedAt: ts("2019-05-15T15:21:14Z"),
					Result: delivery.ResultSuccess, Commit: prHead, ChangeIDs: []string{hello + "#2"}}
				e.Attributes = map[string]string{"status": "completed", "branch": "changes"}
			}),
		}},
		{file: "deployment.created.json", event: "deployment", want: []delivery.Event{
			ev("2019-05-15T15:20:53Z", func(e *delivery.Event) {
				e.Service, e.Environment = "Hello-World", "production"
				e.Deployment = &delivery.Deployment{ID: hello + "/deployments/145988746", Repo: hello, Commit: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
					Branch: "master", StartedAt: ts("2019-05-15T15:20:53Z")}
				e.Attributes = map[string]string{"task": "deploy", "creator": "Codertocat"}
			}),
		}},
		{file: "deployment_status.created.json", event: "deployment_status", want: []delivery.Event{
			ev("2019-05-15T15:20:55Z", func(e *delivery.Event) {
				e.Service, e.Environment = "Hello-World", "production"
				e.Deployment = &delivery.Deployment{ID: hello + "/deployments/145988746", Repo: hello, Commit: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
					Branch: "master", StartedAt: ts("2019-05-15T15:20:53Z"), FinishedAt: ts("2019-05-15T15:20:55Z"), Status: delivery.StatusSuccess}
				e.Attributes = map[string]string{"state": "success"}
			}),
		}},
		{file: "deployment_review.requested.json", event: "deployment_review", want: []delivery.Event{
			ev("2023-07-04T09:28:15Z", func(e *delivery.Event) {
				e.Environment = "TST"
				e.Stage = &delivery.PipelineStage{Pipeline: "terraform-test-github/sample-app/Build pull_request 3 by @ilmax", RunID: "5453085689",
					Stage: "approval: TST", Kind: delivery.KindApproval, QueuedAt: ts("2023-07-04T09:28:15Z"),
					Commit: "5275a45b7e99c7fd7265b790392c10a74101a67a"}
				e.Attributes = map[string]string{"action": "requested"}
			}),
		}},
		{file: "deployment_review.requested.json (approved)", event: "deployment_review", body: func(t testing.TB) []byte {
			return edit(t, "deployment_review.requested.json", func(m map[string]any) {
				m["action"] = "approved"
				m["approver"] = map[string]any{"login": "octocat"}
				obj(m, "workflow_job_run")["updated_at"] = "2023-07-04T10:00:00Z"
			})
		}, want: []delivery.Event{
			ev("2023-07-04T10:00:00Z", func(e *delivery.Event) {
				e.Environment = "TST"
				e.Stage = &delivery.PipelineStage{Pipeline: "terraform-test-github/sample-app/Build pull_request 3 by @ilmax", RunID: "5453085689",
					Stage: "approval: TST", Kind: delivery.KindApproval, FinishedAt: ts("2023-07-04T10:00:00Z"), Result: delivery.ResultSuccess,
					Commit: "5275a45b7e99c7fd7265b790392c10a74101a67a"}
				e.Attributes = map[string]string{"action": "approved", "approver": "octocat"}
			}),
		}},
		{file: "release.published.json", event: "release", want: []delivery.Event{
			ev("2019-05-15T15:20:53Z", func(e *delivery.Event) {
				e.Service, e.Environment = "Hello-World", ReleaseEnvironment
				e.Deployment = &delivery.Deployment{ID: hello + "/releases/17372790", Repo: hello, Version: "0.0.1", Branch: "master",
					StartedAt: ts("2019-05-15T15:19:25Z"), FinishedAt: ts("2019-05-15T15:20:53Z"), Status: delivery.StatusSuccess}
				e.Attributes = map[string]string{"prerelease": "false", "name": ""}
			}),
		}},
		{file: "ping.json", event: "ping"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var body []byte
			if tt.body != nil {
				body = tt.body(t)
			} else {
				body = load(t, tt.file)
			}
			got, outcome := translate(t, tt.event, body)
			wantOutcome := ingest.OutcomeStored
			if len(tt.want) == 0 {
				wantOutcome = ingest.OutcomeIgnored
			}
			if outcome != wantOutcome {
				t.Errorf("outcome %q, want %q", outcome, wantOutcome)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d events, want %d: %+v", len(got), len(tt.want), got)
			}
			for i := range got {
				if !reflect.DeepEqual(got[i], tt.want[i]) {
					g, _ := json.MarshalIndent(got[i], "", " ")
					w, _ := json.MarshalIndent(tt.want[i], "", " ")
					t.Errorf("event %d:\n got %s\nwant %s", i, g, w)
				}
			}
		})
	}
}

func TestPushMergingAPullRequestAddsToItsChange(t *testing.T) {
	body := edit(t, "push.json", func(m map[string]any) {
		commits := m["commits"].([]any)
		c := commits[0].(map[string]any)
		c["message"] = "Update the README (#2)\n\nsquashed"
		old := map[string]any{}
		for k, v := range c {
			old[k] = v
		}
		old["id"], old["distinct"], old["message"] = "1111111111111111111111111111111111111111", false, "wip"
		m["commits"] = append(commits, old)
	})
	evs, _ := translate(t, "push", body)
	if len(evs) != 2 || evs[1].Change == nil {
		t.Fatalf("events %+v", evs)
	}
	want := &delivery.Change{ID: hello + "#2", Repo: hello, Commits: []string{"6113728f27ae82c7b1a177c8d03f9e96e0adf246"}}
	if !reflect.DeepEqual(evs[1].Change, want) {
		t.Errorf("change %+v, want %+v", evs[1].Change, want)
	}
	if got := evs[0].Push.Commits; len(got) != 2 {
		t.Errorf("the push lists %v, want both commits", got)
	}
}

func TestPushToAnotherBranchOrATagMakesNoChange(t *testing.T) {
	feature := edit(t, "push.json", func(m map[string]any) { m["ref"] = "refs/heads/feature" })
	evs, _ := translate(t, "push", feature)
	if len(evs) != 1 || evs[0].Push == nil || evs[0].Push.Branch != "feature" {
		t.Errorf("feature push: %+v", evs)
	}
	tag := edit(t, "push.json", func(m map[string]any) { m["ref"] = "refs/tags/v1" })
	if evs, outcome := translate(t, "push", tag); len(evs) != 0 || outcome != ingest.OutcomeIgnored {
		t.Errorf("tag push: %+v", evs)
	}
}

func TestUnknownEventIsIgnoredAndMalformedIsRefused(t *testing.T) {
	if evs, outcome := translate(t, "star", []byte(`{"action":"created"}`)); len(evs) != 0 || outcome != ingest.OutcomeIgnored {
		t.Errorf("star: %v %v", evs, outcome)
	}
	raw := &ingest.Raw{EventType: "push", DeliveryID: "x", Body: []byte(`{"ref": 5}`)}
	if _, _, err := Translate(raw); err == nil {
		t.Error("a push with a numeric ref was accepted")
	}
}
