package store_test

import (
	"context"
	"testing"

	"github.com/deploylens/deploylens/store"
	"github.com/deploylens/deploylens/store/storetest"
)

// Round trips through clickhouse-go to the embedded engine: the floor under
// every query and insert deploylens makes.
func BenchmarkEmbeddedRoundTrip(b *testing.B) {
	conn := storetest.Open(b)
	ctx := context.Background()
	if err := conn.Exec(ctx, "CREATE TABLE rt (id UInt64, s String) ENGINE = MergeTree ORDER BY id"); err != nil {
		b.Fatal(err)
	}
	b.Run("query", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			var n uint8
			if err := conn.QueryRow(ctx, "SELECT 1").Scan(&n); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("exec", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := conn.Exec(ctx, "SELECT 1"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("insert_one_row", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := store.InsertRow(ctx, conn, "INSERT INTO rt (id, s)", uint64(i), "x"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
