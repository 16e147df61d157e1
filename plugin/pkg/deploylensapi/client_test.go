package deploylensapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// waitsServer answers /api/v1/waits for team payments, holding every answer
// until release is closed, and counts the requests it got.
func waitsServer(t *testing.T, release <-chan struct{}) (*Client, *atomic.Int64) {
	t.Helper()
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Path != "/api/v1/waits" || r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, `{"error":"unexpected request"}`, http.StatusBadRequest)
			return
		}
		<-release
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"team":"` + r.URL.Query().Get("team") + `","environment":"production"}`))
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, "tok", nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, &requests
}

// Five panels asking at once for the same answer send one request, and each
// gets the answer; a panel that gives up meanwhile gets its own context's
// error without failing the others.
func TestIdenticalCallsInFlightShareOneRequest(t *testing.T) {
	release := make(chan struct{})
	c, requests := waitsServer(t, release)
	f := Filter{Team: "payments", From: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)}

	const panels = 5
	var started, done sync.WaitGroup
	answers := make([]Waits, panels)
	errs := make([]error, panels)
	for i := range panels {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			answers[i], errs[i] = c.Waits(context.Background(), f)
		}()
	}
	gaveUp, cancel := context.WithCancel(context.Background())
	giveUp := make(chan error, 1)
	go func() {
		_, err := c.Waits(gaveUp, f)
		giveUp <- err
	}()
	started.Wait()
	// Let every caller reach the shared call before the answer comes.
	time.Sleep(300 * time.Millisecond)
	cancel()
	if err := <-giveUp; !errors.Is(err, context.Canceled) {
		t.Errorf("the caller that gave up got %v, want context.Canceled", err)
	}
	close(release)
	done.Wait()
	for i := range panels {
		if errs[i] != nil || answers[i].Team != "payments" {
			t.Errorf("panel %d: %+v, %v", i, answers[i], errs[i])
		}
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests for %d identical calls in flight, want 1", n, panels+1)
	}

	// Calls one after the other each ask the server: nothing is kept.
	for range 2 {
		if _, err := c.Waits(context.Background(), f); err != nil {
			t.Fatal(err)
		}
	}
	if n := requests.Load(); n != 3 {
		t.Errorf("%d requests after two more calls in sequence, want 3", n)
	}
	// A different question is its own request.
	other := f
	other.Team = "search"
	if w, err := c.Waits(context.Background(), other); err != nil || w.Team != "search" {
		t.Fatalf("%+v, %v", w, err)
	}
	if n := requests.Load(); n != 4 {
		t.Errorf("%d requests after a call for another team, want 4", n)
	}
}
