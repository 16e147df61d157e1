package review

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/deploylens/deploylens/query/review/reviewtest"
)

// BenchmarkBuild builds the review of one team's week over reviewtest's
// history (20 weeks, about 700 deployments) on the embedded engine: the
// queries of /api/v1/dora, /api/v1/dora/series (20 weeks), /api/v1/waits
// (12 weeks), the week's waterfalls and its listings.
//
//	go test ./query/review -run '^$' -bench Build -benchtime 5x
func BenchmarkBuild(b *testing.B) {
	src := seeded(b)
	week, _ := ParseWeek(reviewtest.Reviewed)
	for b.Loop() {
		if _, err := Build(context.Background(), src, "payments", "", week); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHTML renders the page of a built review, charts included.
//
//	go test ./query/review -run '^$' -bench HTML
func BenchmarkHTML(b *testing.B) {
	r := loadGolden(b, "payments", reviewtest.Reviewed)
	for b.Loop() {
		if err := HTML(io.Discard, r, nil, time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
}
