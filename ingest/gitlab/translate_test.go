package gitlab

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/deploylens/deploylens/delivery"
	"github.com/deploylens/deploylens/ingest"
)

var received = time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
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

func ev(observed string, f func(e *delivery.Event)) delivery.Event {
	e := delivery.Event{ID: "d-1", Source: Source, ObservedAt: ts(observed)}
	f(&e)
	return e
}

const (
	test     = "gitlab-org/gitlab-test"
	pipeSHA  = "bcbb5ec396a2c0f828686f14fac9b80b780504f2"
	diaspora = "mike/diaspora"
)

func stage(name string, kind delivery.StageKind, queued, started, finished string, res delivery.StageResult, status, glStage, env string) delivery.Event {
	last := queued
	if finished != "" {
		last = finished
	}
	return ev(last, func(e *delivery.Event) {
		s := &delivery.PipelineStage{Pipeline: test, RunID: "31", Stage: name, Kind: kind, QueuedAt: ts(queued), Result: res,
			Commit: pipeSHA, ChangeIDs: []string{test + "!1"}}
		if started != "" {
			s.StartedAt = ts(started)
		}
		if finished != "" {
			s.FinishedAt = ts(finished)
		}
		e.Stage = s
		e.Environment = env
		e.Attributes = map[string]string{"status": status, "gitlab_stage": glStage}
	})
}

func TestTranslateGitLabExamples(t *testing.T) {
	tests := []struct {
		file string
		want []delivery.Event
	}{
		{"push.json", []delivery.Event{
			ev("2012-01-03T21:36:29Z", func(e *delivery.Event) {
				e.Push = &delivery.Push{Repo: diaspora, Branch: "master", Before: "95790bf891e76fee5e1747ab589903a6a1f80f22",
					After: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", PushedAt: ts("2012-01-03T21:36:29Z"),
					Commits:     []string{"b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327", "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"},
					CommitTimes: []time.Time{ts("2011-12-12T12:27:31Z"), ts("2012-01-03T21:36:29Z")}}
			}),
			ev("2012-01-03T21:36:29Z", func(e *delivery.Event) {
				e.Change = &delivery.Change{ID: diaspora + "@b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327", Repo: diaspora,
					Title: "Update Catalan translation to e38cb41.", Author: "Jordi Mallach", Branch: "master", BaseBranch: "master",
					FirstCommitAt: ts("2011-12-12T12:27:31Z"), MergedAt: ts("2012-01-03T21:36:29Z"),
					MergeCommit: "b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327", Commits: []string{"b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327"}}
			}),
			ev("2012-01-03T21:36:29Z", func(e *delivery.Event) {
				e.Change = &delivery.Change{ID: diaspora + "@da1560886d4f094c3e6c9ef40349f7d38b5d27d7", Repo: diaspora,
					Title: "fixed readme", Author: "GitLab dev user", Branch: "master", BaseBranch: "master",
					FirstCommitAt: ts("2012-01-03T21:36:29Z"), MergedAt: ts("2012-01-03T21:36:29Z"),
					MergeCommit: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", Commits: []string{"da1560886d4f094c3e6c9ef40349f7d38b5d27d7"}}
			}),
		}},
		{"merge_request.json", []delivery.Event{
			ev("2013-12-03T17:23:34Z", func(e *delivery.Event) {
				e.Change = &delivery.Change{ID: "gitlabhq/gitlab-test!1", Repo: "gitlabhq/gitlab-test", Title: "MS-Viewport", Author: "root",
					Branch: "ms-viewport", BaseBranch: "master", OpenedAt: ts("2013-12-03T17:23:34Z"),
					Commits: []string{"da1560886d4f094c3e6c9ef40349f7d38b5d27d7"}, Labels: []string{"API"}}
				e.Attributes = map[string]string{"action": "open", "state": "opened"}
			}),
		}},
		{"pipeline.json", []delivery.Event{
			ev("2016-08-12T15:26:29Z", func(e *delivery.Event) {
				e.Stage = &delivery.PipelineStage{Pipeline: test, RunID: "31", Stage: delivery.WholeRun, Kind: delivery.KindOther,
					QueuedAt: ts("2016-08-12T15:23:28Z"), StartedAt: ts("2016-08-12T15:24:56Z"), FinishedAt: ts("2016-08-12T15:26:29Z"),
					Result: delivery.ResultSuccess, Commit: pipeSHA, ChangeIDs: []string{test + "!1"}}
				e.Attributes = map[string]string{"status": "success", "ref": "master", "source": "merge_request_event"}
			}),
			stage("production", delivery.KindDeploy, "2016-08-12T15:23:28Z", "", "", delivery.ResultSkipped, "skipped", "deploy", "production"),
			stage("test-image", delivery.KindTest, "2016-08-12T15:23:28Z", "2016-08-12T15:26:12Z", "2016-08-12T15:26:29Z", delivery.ResultSuccess, "success", "test", ""),
			stage("test-build", delivery.KindTest, "2016-08-12T15:23:28Z", "2016-08-12T15:26:12Z", "2016-08-12T15:26:29Z", delivery.ResultFailure, "failed", "test", ""),
			stage("build-image", delivery.KindBuild, "2016-08-12T15:23:28Z", "2016-08-12T15:24:56Z", "2016-08-12T15:25:26Z", delivery.ResultSuccess, "success", "build", ""),
			stage("staging", delivery.KindDeploy, "2016-08-12T15:23:28Z", "", "", delivery.ResultUnknown, "created", "deploy", "staging"),
		}},
		{"job.json", []delivery.Event{
			ev("2021-02-23T02:41:37.886Z", func(e *delivery.Event) {
				e.Stage = &delivery.PipelineStage{Pipeline: test, RunID: "2366", Stage: "test", Kind: delivery.KindTest,
					QueuedAt: ts("2021-02-23T02:41:37.886Z"), Commit: "2293ada6b400935a1378653304eaf6221e0fdb8f"}
				e.Attributes = map[string]string{"status": "created", "gitlab_stage": "test", "retries": "2"}
			}),
		}},
		{"deployment.json", []delivery.Event{
			ev("2021-04-28T19:50:00Z", func(e *delivery.Event) {
				e.Service, e.Environment = "test-deployment-webhooks", "staging"
				e.Deployment = &delivery.Deployment{ID: "root/test-deployment-webhooks/deployments/15", Repo: "root/test-deployment-webhooks",
					Commit: "279484c09fbe69ededfced8c1bb6e6d24616b468", FinishedAt: ts("2021-04-28T19:50:00Z"), Status: delivery.StatusSuccess}
				e.Attributes = map[string]string{"status": "success", "short_sha": "279484c0", "commit_title": "Add new file"}
			}),
		}},
		{"release.json", []delivery.Event{
			ev("2020-11-02T12:55:12Z", func(e *delivery.Event) {
				e.Service, e.Environment = "release-webhook-example", ReleaseEnvironment
				e.Deployment = &delivery.Deployment{ID: "gitlab-org/release-webhook-example/releases/v1.1", Repo: "gitlab-org/release-webhook-example",
					Version: "v1.1", Commit: "ee0a3fb31ac16e11b9dbb596ad16d4af654d08f8", StartedAt: ts("2020-11-02T12:55:12Z"),
					FinishedAt: ts("2020-11-02T12:55:12Z"), Status: delivery.StatusSuccess}
				e.Attributes = map[string]string{"name": "v1.1"}
			}),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, outcome, err := Translate(&ingest.Raw{DeliveryID: "d-1", ReceivedAt: received, Body: load(t, tt.file)})
			if err != nil || outcome != ingest.OutcomeStored {
				t.Fatalf("Translate: %v %v", outcome, err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d events, want %d", len(got), len(tt.want))
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

func TestMergeCommitPushAddsToTheMergeRequest(t *testing.T) {
	body := strings.Replace(string(load(t, "push.json")), `"message": "fixed readme"`, `"message": "Merge branch 'fix' into 'master'\n\nSee merge request mike/diaspora!7"`, 1)
	evs, _, err := Translate(&ingest.Raw{DeliveryID: "d-1", ReceivedAt: received, Body: []byte(body)})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[1].Change.ID != "mike/diaspora!7" || !reflect.DeepEqual(evs[1].Change.Commits, []string{"da1560886d4f094c3e6c9ef40349f7d38b5d27d7"}) {
		t.Errorf("events %+v", evs)
	}
}

func TestToken(t *testing.T) {
	tests := []struct {
		name, configured, sent string
		status                 int
	}{
		{"good", "t0ken", "t0ken", 200},
		{"wrong", "t0ken", "t0ken2", 401},
		{"missing", "t0ken", "", 401},
		{"not configured", "", "t0ken", 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &nopCommitter{}
			e := gin.New()
			(&Receiver{Writer: &ingest.Writer{Committer: rec}, Token: []byte(tt.configured)}).Register(e)
			req := httptest.NewRequest(http.MethodPost, "/webhooks/gitlab", strings.NewReader(string(load(t, "deployment.json"))))
			req.Header.Set("X-Gitlab-Event", "Deployment Hook")
			if tt.sent != "" {
				req.Header.Set("X-Gitlab-Token", tt.sent)
			}
			w := httptest.NewRecorder()
			e.ServeHTTP(w, req)
			if w.Code != tt.status {
				t.Fatalf("%d %s, want %d", w.Code, w.Body, tt.status)
			}
			if tt.status == 503 && !strings.Contains(w.Body.String(), "DEPLOYLENS_GITLAB_WEBHOOK_TOKEN") {
				t.Errorf("the answer does not name the setting: %s", w.Body)
			}
			if (rec.n > 0) != (tt.status == 200) {
				t.Errorf("stored %d rows", rec.n)
			}
		})
	}
}

func TestMalformedPayloadIsRefused(t *testing.T) {
	for _, body := range []string{`nope`, `{"object_kind":"deployment","deployment_id":"x"}`, `{"object_kind":"pipeline","object_attributes":{"created_at":"yesterday"}}`} {
		_, _, err := Translate(&ingest.Raw{Body: []byte(body)})
		var re *ingest.RequestError
		if !errors.As(err, &re) || re.Status != 400 {
			t.Errorf("%s: %v", body, err)
		}
	}
}
