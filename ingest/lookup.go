package ingest

import (
	"context"
	"sync"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/deploylens/deploylens/store"
)

// deliveryIndex answers which deliveries are already stored. Concurrent
// requests share queries the way they share inserts: while one query runs,
// the ids of the requests that arrive wait and go together in the next, so
// a burst of requests costs a few queries rather than one each.
type deliveryIndex struct {
	conn driver.Conn

	mu      sync.Mutex
	pending []*lookup
	running bool
}

type lookup struct {
	source string
	ids    []string
	found  map[string]struct{}
	err    error
	done   chan struct{}
}

// stored returns the ids of source already in raw_events.
func (d *deliveryIndex) stored(ctx context.Context, source string, ids []string) (map[string]struct{}, error) {
	l := &lookup{source: source, ids: ids, done: make(chan struct{})}
	d.mu.Lock()
	d.pending = append(d.pending, l)
	if !d.running {
		d.running = true
		go d.run()
	}
	d.mu.Unlock()
	select {
	case <-l.done:
		return l.found, l.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

const selectStoredDeliveries = `SELECT DISTINCT source, delivery_id FROM raw_events WHERE source IN ? AND delivery_id IN ?`

func (d *deliveryIndex) run() {
	for {
		d.mu.Lock()
		batch := d.pending
		d.pending = nil
		if len(batch) == 0 {
			d.running = false
			d.mu.Unlock()
			return
		}
		d.mu.Unlock()
		found, err := d.query(batch)
		for _, l := range batch {
			l.err = err
			l.found = map[string]struct{}{}
			for _, id := range l.ids {
				if _, ok := found[l.source+"\x00"+id]; ok {
					l.found[id] = struct{}{}
				}
			}
			close(l.done)
		}
	}
}

func (d *deliveryIndex) query(batch []*lookup) (map[string]struct{}, error) {
	sources := map[string]struct{}{}
	var srcList, ids []string
	for _, l := range batch {
		if _, ok := sources[l.source]; !ok {
			sources[l.source] = struct{}{}
			srcList = append(srcList, l.source)
		}
		ids = append(ids, l.ids...)
	}
	// A lookup outlives the request that started it: others wait on it.
	rows, err := d.conn.Query(store.IngestContext(context.Background()), selectStoredDeliveries, srcList, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]struct{}{}
	for rows.Next() {
		var source, id string
		if err := rows.Scan(&source, &id); err != nil {
			return nil, err
		}
		out[source+"\x00"+id] = struct{}{}
	}
	return out, rows.Err()
}
