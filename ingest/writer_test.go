package ingest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/deploylens/deploylens/delivery"
	"github.com/deploylens/deploylens/ingest"
	"github.com/deploylens/deploylens/ingest/ingesttest"
)

func at(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }

// Every entity table takes its rows through the writer, column for column,
// and an event without a team gets the one the catalog names.
func TestWriterStoresEveryEntity(t *testing.T) {
	env := ingesttest.New(t)
	ctx := context.Background()
	if err := ingest.ApplyCatalog(ctx, env.Conn, []ingest.CatalogEntry{{Service: "checkout", Team: "payments"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	push := ingest.PushEvents(ingest.Push{EventID: "p1", Source: "test", Repo: "acme/shop", Branch: "main", DefaultBranch: "main",
		Before: "a", After: "b", PushedAt: at("2026-03-02T10:00:00Z"),
		Commits: []ingest.PushedCommit{{SHA: "b", Message: "fix", Author: "ada", Time: at("2026-03-02T09:00:00Z"), Distinct: true}}})
	items := []ingest.Item{
		{Raw: ingest.Raw{DeliveryID: "p1"}, Events: push},
		{Raw: ingest.Raw{DeliveryID: "s1"}, Events: []delivery.Event{{ID: "s1", Source: "test", ObservedAt: at("2026-03-02T10:10:00Z"), Service: "checkout",
			Stage: &delivery.PipelineStage{Pipeline: "shop", RunID: "9", Stage: "deploy", Kind: delivery.KindDeploy, QueuedAt: at("2026-03-02T10:01:00Z"),
				StartedAt: at("2026-03-02T10:02:00Z"), FinishedAt: at("2026-03-02T10:10:00Z"), Result: delivery.ResultCancelled, Commit: "b", ChangeIDs: []string{"acme/shop@b"}}}}},
		{Raw: ingest.Raw{DeliveryID: "i1"}, Events: []delivery.Event{{ID: "i1", Source: "test", ObservedAt: at("2026-03-02T11:00:00Z"), Service: "checkout", Team: "sre",
			Environment: "production", Incident: &delivery.Incident{ID: "INC-9", Severity: "P1", Title: "down", OpenedAt: at("2026-03-02T11:00:00Z")}}}},
		{Raw: ingest.Raw{DeliveryID: "ping", Outcome: ingest.OutcomeIgnored}},
	}
	res, err := env.Writer.Write(ctx, "test", items)
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 4 || res.Events != 4 {
		t.Errorf("result %+v", res)
	}
	ingesttest.Subset(t, "push", env.One(t, "SELECT * FROM pushes"), map[string]any{
		"repo": "acme/shop", "branch": "main", "before": "a", "after": "b", "pushed_at": "2026-03-02T10:00:00Z",
		"commits": []string{"b"}, "commit_times": []string{"2026-03-02T09:00:00Z"}, "source": "test"})
	ingesttest.Subset(t, "change", env.One(t, "SELECT * FROM changes_current"), map[string]any{
		"change_id": "acme/shop@b", "title": "fix", "author": "ada", "first_commit_at": "2026-03-02T09:00:00Z",
		"merged_at": "2026-03-02T10:00:00Z", "merge_commit": "b", "commits": []string{"b"}, "opened_at": ""})
	ingesttest.Subset(t, "stage", env.One(t, "SELECT * FROM pipeline_stages_current"), map[string]any{
		"team": "payments", "kind": "deploy", "result": "cancelled", "queued_at": "2026-03-02T10:01:00Z",
		"started_at": "2026-03-02T10:02:00Z", "finished_at": "2026-03-02T10:10:00Z", "change_ids": []string{"acme/shop@b"}})
	ingesttest.Subset(t, "incident", env.One(t, "SELECT * FROM incidents_current"), map[string]any{"team": "sre", "severity": "P1", "resolved_at": ""})
	ingesttest.Subset(t, "ping", env.One(t, "SELECT outcome FROM raw_events WHERE delivery_id = 'ping'"), map[string]any{"outcome": "ignored"})
}

func TestWriterRefusesInvalidEventsAndStoresNothing(t *testing.T) {
	env := ingesttest.New(t)
	items := []ingest.Item{
		{Raw: ingest.Raw{DeliveryID: "ok"}, Events: []delivery.Event{{ID: "ok", Change: &delivery.Change{ID: "c"}}}},
		{Raw: ingest.Raw{DeliveryID: "bad"}, Events: []delivery.Event{{ID: "bad", Stage: &delivery.PipelineStage{Pipeline: "p"}}}},
	}
	_, err := env.Writer.Write(context.Background(), "test", items)
	var re *ingest.RequestError
	if !errors.As(err, &re) || re.Status != 400 || re.Details[0].Field != "[1].run_id" {
		t.Fatalf("error %v", err)
	}
	for _, table := range []string{"changes", "pipeline_stages", "raw_events"} {
		if n := env.Count(t, "SELECT count() FROM "+table); n != 0 {
			t.Errorf("%s: %d rows", table, n)
		}
	}
}

func TestParseCatalog(t *testing.T) {
	entries, err := ingest.ParseCatalog([]byte("services:\n  checkout: payments\n  search:\n    team: discovery\n    attributes: {tier: \"1\"}\n"))
	if err != nil || len(entries) != 2 || entries[0].Team != "payments" || entries[1].Attributes["tier"] != "1" {
		t.Fatalf("%+v %v", entries, err)
	}
	for _, bad := range []string{"nope: 1", "services:\n  x: ''\n", "services:\n  x: [a]\n", ":"} {
		if _, err := ingest.ParseCatalog([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
