package server

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// limiterAt is a limiter whose clock the test moves.
func limiterAt(l RateLimit, now *time.Time) *TokenLimiter {
	t := NewTokenLimiter(l, prometheus.NewRegistry())
	t.now = func() time.Time { return *now }
	return t
}

// A token may spend its burst at once, then one request per 1/rate; the
// refusal says how long until the next request is allowed; other tokens
// have buckets of their own.
func TestTokenLimiterSpendsTheBurstThenRefuses(t *testing.T) {
	for _, tc := range []struct {
		limit     RateLimit
		wantRetry time.Duration
	}{
		{RateLimit{Rate: 1, Burst: 5}, time.Second},
		{RateLimit{Rate: 10, Burst: 1}, 100 * time.Millisecond},
		{RateLimit{Rate: 0.5, Burst: 3}, 2 * time.Second},
	} {
		t.Run(fmt.Sprintf("%g/s burst %d", tc.limit.Rate, tc.limit.Burst), func(t *testing.T) {
			now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
			l := limiterAt(tc.limit, &now)
			allowed := 0
			var retry time.Duration
			for range tc.limit.Burst + 10 {
				if wait, ok := l.Allow("a"); ok {
					allowed++
				} else {
					retry = wait
				}
			}
			if allowed != tc.limit.Burst {
				t.Fatalf("%d requests allowed at once, want the burst %d", allowed, tc.limit.Burst)
			}
			if retry != tc.wantRetry {
				t.Fatalf("retry after %v, want %v", retry, tc.wantRetry)
			}
			if _, ok := l.Allow("b"); !ok {
				t.Fatal("another token was refused by the first token's spent budget")
			}
			// Refusals spend nothing: after the retry delay exactly one passes.
			now = now.Add(tc.wantRetry)
			if _, ok := l.Allow("a"); !ok {
				t.Fatalf("refused after waiting the %v it was told to", tc.wantRetry)
			}
			if _, ok := l.Allow("a"); ok {
				t.Fatal("two requests passed after one refill period")
			}
			var m dto.Metric
			if err := l.limited.Write(&m); err != nil {
				t.Fatal(err)
			}
			if got := m.GetCounter().GetValue(); got != 11 {
				t.Fatalf("deploylens_rate_limited_requests_total = %v, want 11", got)
			}
		})
	}
}

// The limiter holds a bucket only for tokens active within one refill
// period, so its memory follows the active tokens, not every token seen.
func TestTokenLimiterForgetsIdleTokens(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	l := limiterAt(RateLimit{Rate: 2, Burst: 10}, &now) // full again after 5 s
	for i := range 10000 {
		l.Allow(fmt.Sprint("token-", i))
	}
	if got := l.tracked(); got != 10000 {
		t.Fatalf("%d buckets, want 10000", got)
	}
	now = now.Add(4 * time.Second)
	l.Allow("active")
	if got := l.tracked(); got != 10001 {
		t.Fatalf("%d buckets before the refill period passed, want 10001", got)
	}
	now = now.Add(2 * time.Second)
	l.Allow("active")
	if got := l.tracked(); got != 1 {
		t.Fatalf("%d buckets after the idle ones refilled, want only the active one", got)
	}
}

func TestRateLimitValidation(t *testing.T) {
	for _, tc := range []struct {
		limit RateLimit
		want  string
	}{
		{RateLimit{}, ""},
		{RateLimit{Rate: 5, Burst: 10}, ""},
		{RateLimit{Rate: -1, Burst: 10}, "--rate-limit -1 must be a number of requests per second, or 0 for no limit"},
		{RateLimit{Rate: 5, Burst: 0}, "--rate-burst 0 must be at least 1 when --rate-limit is set"},
	} {
		err := tc.limit.Validate()
		if got := fmt.Sprint(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
			t.Errorf("%+v: %v, want %q", tc.limit, err, tc.want)
		}
	}
	if NewTokenLimiter(RateLimit{}, nil) != nil {
		t.Fatal("a zero rate built a limiter")
	}
	if _, ok := (*TokenLimiter)(nil).Allow("x"); !ok {
		t.Fatal("no limiter refused a request")
	}
}
