package store_test

import (
	"context"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/deploylens/deploylens/store"
	"github.com/deploylens/deploylens/store/storetest"
)

// A String parameter comes back from the engine exactly as given, whatever
// backslashes, quotes and control characters it holds; without StringParam
// some are refused and some change.
func TestStringParamRoundTrips(t *testing.T) {
	conn := storetest.Open(t)
	for _, v := range []string{
		`plain`, `a\`, `\`, `a\tb`, `\\'`, "tab\there", "line\nbreak", "cr\rx", "nul\x00x",
		`' OR 1=1 --`, `x'); DROP TABLE t; --`, "’ OR ‘1’=‘1", `{v:String}`, "日本語 🚀", "",
	} {
		var got string
		ctx := clickhouse.Context(context.Background(), clickhouse.WithParameters(clickhouse.Parameters{"v": store.StringParam(v)}))
		if err := conn.QueryRow(ctx, "SELECT {v:String}").Scan(&got); err != nil {
			t.Errorf("%q: %v", v, err)
			continue
		}
		if got != v {
			t.Errorf("%q came back as %q", v, got)
		}
	}
}
