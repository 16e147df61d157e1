package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/deploylens/deploylens/delivery"
)

// Replayer translates stored raw copies again, so that a fixed or new
// translator corrects history. Replayed events keep their ids, so they
// replace the rows the old translator wrote rather than adding to them.
type Replayer struct {
	Conn        driver.Conn
	Writer      *Writer
	Translators map[string]Translate
	Log         *slog.Logger
	// BatchEvents is how many events are committed at once (default 5000).
	BatchEvents int
}

// ReplayFilter selects the raw copies to replay.
type ReplayFilter struct {
	Source       string // "" for every source
	Since, Until time.Time
}

// ReplayStats says what a replay did.
type ReplayStats struct {
	Deliveries int // raw copies read
	Events     int // events stored
	Failed     int // raw copies the translator refused
	Skipped    int // raw copies of a source without a translator
}

const selectRaw = `SELECT received_at, source, event_type, delivery_id, team, headers, body
FROM raw_events FINAL
WHERE (? = '' OR source = ?) AND received_at >= ? AND received_at < ?
ORDER BY received_at, source, delivery_id`

// Replay re-translates the raw copies f selects and stores the events.
func (r *Replayer) Replay(ctx context.Context, f ReplayFilter) (ReplayStats, error) {
	var st ReplayStats
	log := r.Log
	if log == nil {
		log = slog.Default()
	}
	until := f.Until
	if until.IsZero() {
		until = time.Now().Add(time.Hour)
	}
	since := f.Since
	if since.IsZero() {
		since = epoch
	}
	rows, err := r.Conn.Query(ctx, selectRaw, f.Source, f.Source, since, until)
	if err != nil {
		return st, fmt.Errorf("read raw_events: %w", err)
	}
	defer rows.Close()
	batch := r.BatchEvents
	if batch <= 0 {
		batch = 5000
	}
	var pending []delivery.Event
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		if err := r.Writer.CommitEvents(ctx, pending); err != nil {
			return fmt.Errorf("store replayed events: %w", err)
		}
		st.Events += len(pending)
		r.Writer.Metrics.replayedAdd(len(pending))
		pending = nil
		return nil
	}
	for rows.Next() {
		var raw Raw
		var body string
		if err := rows.Scan(&raw.ReceivedAt, &raw.Source, &raw.EventType, &raw.DeliveryID, &raw.Team, &raw.Headers, &body); err != nil {
			return st, fmt.Errorf("read raw_events: %w", err)
		}
		raw.Body = []byte(body)
		st.Deliveries++
		translate, ok := r.Translators[raw.Source]
		if !ok {
			st.Skipped++
			continue
		}
		evs, _, err := translate(&raw)
		if err != nil {
			st.Failed++
			log.Warn("replay: translation refused a stored delivery", "source", raw.Source, "delivery_id", raw.DeliveryID, "err", err)
			continue
		}
		pending = append(pending, evs...)
		if len(pending) >= batch {
			if err := flush(); err != nil {
				return st, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("read raw_events: %w", err)
	}
	return st, flush()
}
