package commit_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/deploylens/deploylens/ingest/commit"
	"github.com/deploylens/deploylens/store/storetest"
)

// pairs are rows of table t (id UInt64, s String).
type pairs struct {
	table string
	ids   []uint64
	strs  []string
	gate  chan struct{} // when set, AppendTo waits for it: a slow insert
}

func (p *pairs) InsertSQL() string { return "INSERT INTO " + p.table + " (id, s)" }
func (p *pairs) Len() int          { return len(p.ids) }
func (p *pairs) AppendTo(b driver.Batch) error {
	if p.gate != nil {
		<-p.gate
	}
	if err := b.Column(0).Append(p.ids); err != nil {
		return err
	}
	return b.Column(1).Append(p.strs)
}

func newPairs(table string, from, n int) *pairs {
	p := &pairs{table: table}
	for i := from; i < from+n; i++ {
		p.ids = append(p.ids, uint64(i))
		p.strs = append(p.strs, fmt.Sprintf("row %d ✓", i))
	}
	return p
}

func setup(t *testing.T) driver.Conn {
	t.Helper()
	conn := storetest.Open(t)
	for _, tbl := range []string{"t", "u"} {
		if err := conn.Exec(context.Background(), "CREATE TABLE "+tbl+" (id UInt64, s String) ENGINE = MergeTree ORDER BY id"); err != nil {
			t.Fatal(err)
		}
	}
	return conn
}

func count(t *testing.T, conn driver.Conn, table string) uint64 {
	t.Helper()
	var n uint64
	if err := conn.QueryRow(context.Background(), "SELECT count() FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestConcurrentRequestsShareInserts(t *testing.T) {
	conn := setup(t)
	reg := prometheus.NewRegistry()
	c := commit.New(conn, commit.Options{MaxDelay: 100 * time.Millisecond, Workers: 1}, reg)
	defer c.Close()
	const requests, per = 200, 5
	var wg sync.WaitGroup
	errs := make(chan error, requests)
	for i := 0; i < requests; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs <- c.Commit(context.Background(), newPairs("t", i*per, per), newPairs("u", i, 1))
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("commit: %v", err)
		}
	}
	// Every acknowledged row is there, once.
	if got := count(t, conn, "t"); got != requests*per {
		t.Fatalf("t has %d rows, want %d", got, requests*per)
	}
	if got := count(t, conn, "u"); got != requests {
		t.Fatalf("u has %d rows, want %d", got, requests)
	}
	inserts := counterValue(t, reg, "deploylens_commit_inserts_total", "t")
	if inserts >= requests/4 {
		t.Fatalf("%v inserts into t for %d requests: requests were not grouped", inserts, requests)
	}
	if c.Pending() != 0 {
		t.Fatalf("pending = %d after all commits returned", c.Pending())
	}
}

func TestFlushAtMaxRowsWithoutWaitingForTheTimer(t *testing.T) {
	conn := setup(t)
	c := commit.New(conn, commit.Options{MaxRows: 100, MaxDelay: time.Hour}, nil)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Commit(ctx, newPairs("t", 0, 100)); err != nil {
		t.Fatalf("a full group must flush at once: %v", err)
	}
	if got := count(t, conn, "t"); got != 100 {
		t.Fatalf("got %d rows", got)
	}
}

// A failed insert fails the requests with rows in the failing table, and
// only those: the others of its group, whose rows went into tables inserted
// before it, are stored and acknowledged, so their senders do not store
// them a second time.
func TestFailedInsertFailsOnlyTheRequestsItDidNotStore(t *testing.T) {
	conn := setup(t)
	c := commit.New(conn, commit.Options{MaxDelay: 100 * time.Millisecond, Workers: 1}, nil)
	defer c.Close()
	// Requests arriving within MaxDelay of this one's insert share a group.
	if err := c.Commit(context.Background(), newPairs("t", 1000, 1)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			rows := []commit.Rows{newPairs("t", i, 1)}
			if i == 0 {
				rows = append(rows, newPairs("no_such_table", 0, 1))
			}
			errs[i] = c.Commit(context.Background(), rows...)
		}(i)
	}
	wg.Wait()
	var ie *commit.InsertError
	if !errors.As(errs[0], &ie) || commit.RetryAfter(errs[0]) <= 0 {
		t.Fatalf("the request with the bad table: %v, want an InsertError with a retry hint", errs[0])
	}
	for i, err := range errs[1:] {
		var n uint64
		if err := conn.QueryRow(context.Background(), "SELECT count() FROM t WHERE id = ?", uint64(i+1)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if err != nil || n != 1 {
			t.Errorf("request %d, whose table was inserted: %v, %d rows stored; want acknowledged and stored once", i+1, err, n)
		}
	}
}

func TestFullBufferRefusesInsteadOfGrowing(t *testing.T) {
	conn := setup(t)
	c := commit.New(conn, commit.Options{MaxRows: 10, MaxPendingRows: 10, MaxDelay: time.Millisecond, Workers: 1}, nil)
	defer c.Close()
	slow := newPairs("t", 0, 10)
	slow.gate = make(chan struct{})
	first := make(chan error, 1)
	go func() { first <- c.Commit(context.Background(), slow) }()
	deadline := time.Now().Add(10 * time.Second)
	for c.Pending() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	err := c.Commit(context.Background(), newPairs("t", 100, 1))
	if !errors.Is(err, commit.ErrOverloaded) {
		t.Fatalf("want ErrOverloaded while the buffer is full, got %v", err)
	}
	close(slow.gate)
	if err := <-first; err != nil {
		t.Fatalf("slow request: %v", err)
	}
	if err := c.Commit(context.Background(), newPairs("t", 100, 1)); err != nil {
		t.Fatalf("after the buffer drained: %v", err)
	}
	if got := count(t, conn, "t"); got != 11 {
		t.Fatalf("got %d rows, want 11 (the refused request must not be stored)", got)
	}
}

func TestCloseFlushesPending(t *testing.T) {
	conn := setup(t)
	c := commit.New(conn, commit.Options{MaxDelay: time.Hour}, nil)
	done := make(chan error, 1)
	go func() { done <- c.Commit(context.Background(), newPairs("t", 0, 3)) }()
	for c.Pending() == 0 {
		time.Sleep(time.Millisecond)
	}
	c.Close()
	if err := <-done; err != nil {
		t.Fatalf("pending request at close: %v", err)
	}
	if got := count(t, conn, "t"); got != 3 {
		t.Fatalf("got %d rows", got)
	}
	if err := c.Commit(context.Background(), newPairs("t", 9, 1)); !errors.Is(err, commit.ErrClosed) {
		t.Fatalf("commit after close: %v", err)
	}
}

func counterValue(t *testing.T, reg *prometheus.Registry, name, table string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "table" && l.GetValue() == table {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("metric %s{table=%q} not found", name, table)
	return 0
}

// lastPairs are pairs the committer must insert after every other table.
type lastPairs struct{ *pairs }

func (lastPairs) CommitLast() bool { return true }

func TestLastRowsGoInAfterTheOthersAndNotAtAllWhenTheyFail(t *testing.T) {
	conn := setup(t)
	c := commit.New(conn, commit.Options{MaxDelay: 50 * time.Millisecond, Workers: 1}, nil)
	defer c.Close()
	// Given first, inserted last: the failing table stops them.
	err := c.Commit(context.Background(), lastPairs{newPairs("u", 0, 1)}, newPairs("no_such_table", 0, 1))
	if err == nil {
		t.Fatal("a request with a failing table was acknowledged")
	}
	if got := count(t, conn, "u"); got != 0 {
		t.Fatalf("u has %d rows: the last rows went in before a failing table", got)
	}
	// Concurrent requests in one group: every Last table after every other,
	// so no failed request has its last rows stored.
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			rows := []commit.Rows{lastPairs{newPairs("u", 10+i, 1)}, newPairs("t", i, 1)}
			if i == 7 {
				rows = append(rows, newPairs("no_such_table", 0, 1))
			}
			errs[i] = c.Commit(context.Background(), rows...)
		}(i)
	}
	wg.Wait()
	if errs[7] == nil {
		t.Fatal("the request with the failing table was acknowledged")
	}
	for i, err := range errs {
		var n uint64
		if err := conn.QueryRow(context.Background(), "SELECT count() FROM u WHERE id = ?", uint64(10+i)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if err != nil && n != 0 {
			t.Fatalf("request %d failed (%v) but its last rows are stored", i, err)
		}
		if err == nil && n != 1 {
			t.Fatalf("request %d acknowledged but its last row is missing", i)
		}
	}
}
