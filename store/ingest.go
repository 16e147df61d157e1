package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// IngestQueryIDPrefix starts the query id of every statement on ingest's
// path. The embedded engine runs such statements, like every INSERT, on a
// connection kept for ingest, so an acknowledgement never waits behind
// dashboards' long queries; a ClickHouse server only sees a query id.
const IngestQueryIDPrefix = "deploylens-ingest-"

// IngestContext marks the statements run with the returned context as
// ingest's (a fresh query id for each call: ids must be unique while their
// statements run).
func IngestContext(ctx context.Context) context.Context {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return clickhouse.Context(ctx, clickhouse.WithQueryID(IngestQueryIDPrefix+hex.EncodeToString(b[:])))
}
