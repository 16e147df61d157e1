package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// `deploylens event` sends one native event with the ingest token, retries
// while the server answers 503 with Retry-After, and sends the same derived
// id every time so a retried pipeline step is stored once.
func TestEventCommandSendsANativeEvent(t *testing.T) {
	var calls atomic.Int32
	var got []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/events" || r.Header.Get("Authorization") != "Bearer dlk_x_y" {
			t.Errorf("%s %s %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
		var ev map[string]any
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &ev)
		got = append(got, ev)
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error":"retry later"}`))
			return
		}
		_, _ = w.Write([]byte(`{"accepted":1,"duplicates":0,"events":1}`))
	}))
	defer srv.Close()
	var out, errb bytes.Buffer
	args := []string{"deployment", "--url", srv.URL, "--token", "dlk_x_y", "--service", "checkout", "--deployment-id", "d-7",
		"--status", "success", "--finished-at", "2026-03-02T11:05:00Z", "--change-ids", "acme/shop#1, acme/shop#2", "--unplanned",
		"--attributes", "pipeline=shop-cd,run=77"}
	if err := runEvent(context.Background(), args, &out, &errb); err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	if calls.Load() != 2 || !strings.Contains(out.String(), `"accepted":1`) || !strings.Contains(errb.String(), "retrying") {
		t.Fatalf("%d calls, out %q, err %q", calls.Load(), out.String(), errb.String())
	}
	ev := got[1]
	want := map[string]any{"type": "deployment", "service": "checkout", "deployment_id": "d-7", "status": "success",
		"finished_at": "2026-03-02T11:05:00Z", "unplanned": true}
	for k, v := range want {
		if ev[k] != v {
			t.Errorf("%s = %v, want %v", k, ev[k], v)
		}
	}
	if ids := ev["change_ids"].([]any); len(ids) != 2 || ids[1] != "acme/shop#2" {
		t.Errorf("change_ids %v", ids)
	}
	if got[0]["id"] != got[1]["id"] || !strings.HasPrefix(got[0]["id"].(string), "cli-") {
		t.Errorf("ids %v and %v: a retry must resend the same derived id", got[0]["id"], got[1]["id"])
	}
}

func TestEventCommandRefusals(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"the event is not a valid v1 event","details":[{"field":"status","message":"is required"}]}`))
	}))
	defer srv.Close()
	var out, errb bytes.Buffer
	err := runEvent(context.Background(), []string{"incident", "--url", srv.URL, "--token", "t", "--incident-id", "i"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "status") {
		t.Errorf("a 400 is reported naming the field: %v", err)
	}
	if err := runEvent(context.Background(), []string{"deploy"}, &out, &errb); err == nil || !isUsage(err) {
		t.Errorf("unknown type: %v", err)
	}
	if err := runEvent(context.Background(), []string{"change", "--change-id", "c", "--url", srv.URL}, &out, &errb); err == nil || !strings.Contains(err.Error(), "--token") {
		t.Errorf("missing token: %v", err)
	}
}
