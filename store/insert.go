package store

import (
	"context"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// InsertRow inserts one row through a typed batch. Unlike values bound into
// an INSERT … VALUES text, a batch keeps every type exact (DateTime64
// fractions, Map, Array, Enum8).
func InsertRow(ctx context.Context, conn driver.Conn, insert string, values ...any) error {
	b, err := conn.PrepareBatch(ctx, insert)
	if err != nil {
		return err
	}
	if err := b.Append(values...); err != nil {
		_ = b.Abort()
		return err
	}
	return b.Send()
}
