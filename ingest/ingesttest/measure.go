package ingesttest

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/deploylens/deploylens/store/storetest"
)

// CPUUsed is the CPU time (user + system) used so far by this process and
// its child processes still running — the embedded engine — read from
// getrusage and /proc. On a machine shared with other work, rows per
// CPU-second is the honest "per core" figure; wall-clock rates depend on
// how much of the machine the benchmark got.
func CPUUsed() (self, children time.Duration) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	pid := strconv.Itoa(os.Getpid())
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ... utime(14) stime(15); comm may hold spaces.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 13 || f[1] != pid {
			continue
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		children += time.Duration(ut+st) * (time.Second / 100) // USER_HZ
	}
	return self, children
}

// TableSize is what one table holds in its active parts.
type TableSize struct {
	Rows, OnDisk, Uncompressed uint64
}

// StoredBytes merges every MergeTree table of the connection's database
// into final parts, as ClickHouse's background merges do over time, and
// returns each table's rows, bytes on disk (compressed, with indexes and
// marks) and uncompressed bytes. Unmerged, many small parts would
// overstate the steady-state size.
func StoredBytes(tb testing.TB, conn driver.Conn) map[string]TableSize {
	tb.Helper()
	ctx := context.Background()
	storetest.MergeAll(tb, conn)
	rows, err := conn.Query(ctx, `SELECT table, sum(rows), sum(bytes_on_disk), sum(data_uncompressed_bytes)
		FROM system.parts WHERE active AND database = currentDatabase() GROUP BY table`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	out := map[string]TableSize{}
	for rows.Next() {
		var table string
		var s TableSize
		if err := rows.Scan(&table, &s.Rows, &s.OnDisk, &s.Uncompressed); err != nil {
			tb.Fatal(err)
		}
		out[table] = s
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// ReportStoredBytes reports, per item ingested, the bytes on disk and
// uncompressed of every table together, and logs each table's share.
func ReportStoredBytes(b *testing.B, conn driver.Conn, items int, unit string) {
	b.Helper()
	var disk, raw uint64
	for table, s := range StoredBytes(b, conn) {
		disk += s.OnDisk
		raw += s.Uncompressed
		if s.OnDisk > 0 {
			b.Logf("%-36s %9d rows %10d bytes on disk (%.1f per %s)", table, s.Rows, s.OnDisk, float64(s.OnDisk)/float64(items), unit)
		}
	}
	b.ReportMetric(float64(disk)/float64(items), "disk_bytes/"+unit)
	b.ReportMetric(float64(raw)/float64(items), "raw_bytes/"+unit)
}
