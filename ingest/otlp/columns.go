package otlp

import (
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// appendColumns appends each of cols, a whole column at a time, to the batch
// column at the same index. The batch must have been prepared with the
// table's Insert*SQL, which lists exactly the columns names lists.
//
// clickhouse-go releases a batch when an append fails, so a failed call
// leaves nothing half-written to send.
func appendColumns(b driver.Batch, table string, names []string, cols []any) error {
	if got := len(b.Columns()); got != len(cols) {
		return fmt.Errorf("append %s: batch has %d columns, the rows have %d: prepare the batch with the table's Insert SQL", table, got, len(cols))
	}
	for i, c := range cols {
		if err := b.Column(i).Append(c); err != nil {
			return fmt.Errorf("append %s.%s: %w", table, names[i], err)
		}
	}
	return nil
}
