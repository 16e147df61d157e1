package receivers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/ingest/ingesttest"
	"github.com/deploylens/deploylens/ingest/receivers"
	"github.com/deploylens/deploylens/server"
	"github.com/deploylens/deploylens/store"
	"github.com/deploylens/deploylens/store/storetest"
)

// The engine is killed while events stream in: requests fail with 503 and
// Retry-After while it is down, the client retries, and once the engine is
// back every event that was ever answered 2xx is stored, exactly once.
func TestEngineKilledMidStreamLosesNoAcknowledgedEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills its own engine")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: t.TempDir(), EnginePython: storetest.Python(t), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ingesttest.Migrate(t, st.Conn)
	tokens := auth.NewTokens(st.Conn, time.Hour)
	token, _, err := tokens.Create(ctx, "ci", auth.RoleIngest, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Options{Authenticator: tokens, Logger: quiet})
	cfg := receivers.Config{Log: quiet}
	cfg.Commit.MaxDelay = 5 * time.Millisecond
	cfg.Commit.InsertTimeout = 3 * time.Second
	in, err := receivers.Register(ctx, srv, st.Conn, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	hs := httptest.NewServer(srv.Engine)
	defer hs.Close()

	const events = 200
	var acked atomic.Int64
	var refused atomic.Int64
	done := make(chan []int)
	go func() {
		var ok []int
		deadline := time.Now().Add(3 * time.Minute)
		for i := 0; i < events && time.Now().Before(deadline); i++ {
			body := fmt.Sprintf(`{"id":"ev-%d","type":"deployment","service":"checkout","deployment_id":"d-%d","finished_at":"2026-03-02T11:05:00Z","status":"success"}`, i, i)
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest(http.MethodPost, hs.URL+"/api/v1/events", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				res, err := http.DefaultClient.Do(req)
				if err == nil {
					res.Body.Close()
					if res.StatusCode == 200 {
						ok = append(ok, i)
						acked.Add(1)
						break
					}
					if res.StatusCode != 503 || res.Header.Get("Retry-After") == "" {
						t.Errorf("event %d: %d without Retry-After", i, res.StatusCode)
						break
					}
					refused.Add(1)
				}
				time.Sleep(100 * time.Millisecond) // Retry-After, shortened for the test
			}
		}
		done <- ok
	}()
	for acked.Load() < events/4 {
		time.Sleep(5 * time.Millisecond)
	}
	st.Engine().Kill()
	ok := <-done
	if len(ok) != events {
		t.Fatalf("%d of %d events acknowledged before the deadline", len(ok), events)
	}
	if refused.Load() == 0 {
		t.Error("no request was refused while the engine was down: the test did not test anything")
	}
	rows := (&ingesttest.Env{Conn: st.Conn}).Query(t, "SELECT deployment_id, count() AS n FROM deployments FINAL GROUP BY deployment_id")
	stored := map[string]uint64{}
	for _, r := range rows {
		stored[r["deployment_id"].(string)] = r["n"].(uint64)
	}
	for _, i := range ok {
		if n := stored["d-"+strconv.Itoa(i)]; n != 1 {
			t.Errorf("acknowledged event %d is stored %d times", i, n)
		}
	}
	t.Logf("%d events acknowledged, %d requests refused with 503 while the engine restarted", len(ok), refused.Load())
}
