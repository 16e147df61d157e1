package cells

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/deploylens/deploylens/query/delivery/deliverytest"
)

// TestSupersededFactsAreDropped: a generation superseded longer than the
// grace ago loses its facts; the current one and one superseded a moment
// ago (an answer may still be reading it) keep theirs.
func TestSupersededFactsAreDropped(t *testing.T) {
	conn := deliverytest.Open(t)
	k := &Keeper{Conn: conn}
	kind := Kind{Name: "test", Variant: "v1", Tables: []string{"dora_facts", "dora_leads"}}
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	computed := map[uint64]time.Time{
		11: now.Add(-time.Hour),                     // superseded by 12 over the grace ago
		12: now.Add(-SupersededGrace - time.Minute), // superseded by 13 a moment ago
		13: now.Add(-time.Minute),                   // superseded by 14 just now
		14: now,                                     // current
	}
	for gen, when := range computed {
		if err := k.Record(ctx, kind, "api", "production", gen, when); err != nil {
			t.Fatal(err)
		}
		for _, table := range kind.Tables {
			if err := conn.Exec(ctx, fmt.Sprintf("INSERT INTO %s (generation, service) VALUES (%d, 'api')", table, gen)); err != nil {
				t.Fatal(err)
			}
		}
	}
	k.Collect(ctx, kind, "api", "production", now)
	for _, table := range []string{"dora_facts", "dora_leads", "fact_cells"} {
		var kept []uint64
		rows, err := conn.Query(ctx, "SELECT DISTINCT generation FROM "+table+" ORDER BY generation")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var g uint64
			if err := rows.Scan(&g); err != nil {
				t.Fatal(err)
			}
			kept = append(kept, g)
		}
		rows.Close()
		if want := []uint64{12, 13, 14}; !slices.Equal(kept, want) {
			t.Errorf("%s keeps generations %v, want %v", table, kept, want)
		}
	}
}
