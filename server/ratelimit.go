package server

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
)

// RateLimit is the request budget of one API token: Rate requests per
// second sustained, Burst at once. A zero Rate means no limit.
type RateLimit struct {
	Rate  float64
	Burst int
}

// Validate names the flag to fix.
func (l RateLimit) Validate() error {
	switch {
	case l.Rate < 0 || math.IsNaN(l.Rate) || math.IsInf(l.Rate, 0):
		return fmt.Errorf("--rate-limit %v must be a number of requests per second, or 0 for no limit", l.Rate)
	case l.Rate > 0 && l.Burst < 1:
		return fmt.Errorf("--rate-burst %d must be at least 1 when --rate-limit is set", l.Burst)
	}
	return nil
}

// TokenLimiter keeps one token bucket per API token id. Requests of one
// token share its bucket whichever route or transport they use; other tokens
// are unaffected. A nil *TokenLimiter allows everything.
type TokenLimiter struct {
	limit   RateLimit
	refill  time.Duration // an idle bucket is full again after this long
	now     func() time.Time
	limited prometheus.Counter

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewTokenLimiter returns a limiter for l, or nil when l sets no limit. Its
// counter of refused requests is registered on r when r is not nil.
func NewTokenLimiter(l RateLimit, r prometheus.Registerer) *TokenLimiter {
	if l.Rate <= 0 {
		return nil
	}
	t := &TokenLimiter{
		limit:   l,
		refill:  time.Duration(float64(l.Burst) / l.Rate * float64(time.Second)),
		now:     time.Now,
		buckets: map[string]*bucket{},
		limited: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "deploylens", Name: "rate_limited_requests_total",
			Help: "API requests (HTTP and OTLP/gRPC) refused because their token exceeded --rate-limit / --rate-burst.",
		}),
	}
	if r != nil {
		r.MustRegister(t.limited)
	}
	return t
}

// Limit is the configured budget (zero for a nil limiter).
func (t *TokenLimiter) Limit() RateLimit {
	if t == nil {
		return RateLimit{}
	}
	return t.limit
}

// Allow takes one request from the bucket of tokenID. When the bucket is
// empty it returns false and how long until a request would be allowed.
func (t *TokenLimiter) Allow(tokenID string) (retryAfter time.Duration, ok bool) {
	if t == nil {
		return 0, true
	}
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweep(now)
	b := t.buckets[tokenID]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(t.limit.Rate), t.limit.Burst)}
		t.buckets[tokenID] = b
	}
	b.seen = now
	if b.lim.AllowN(now, 1) {
		return 0, true
	}
	r := b.lim.ReserveN(now, 1)
	wait := r.DelayFrom(now)
	r.CancelAt(now) // asking how long must not spend the token
	t.limited.Inc()
	return wait, false
}

// sweep forgets buckets idle long enough to be full again: a new bucket
// starts full, so forgetting them changes no answer and the map holds only
// the tokens active in the last refill period.
func (t *TokenLimiter) sweep(now time.Time) {
	period := max(t.refill, time.Second)
	if now.Sub(t.lastSweep) < period {
		return
	}
	t.lastSweep = now
	for id, b := range t.buckets {
		if now.Sub(b.seen) >= period {
			delete(t.buckets, id)
		}
	}
}

// tracked is how many buckets are held (for tests of the bound).
func (t *TokenLimiter) tracked() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.buckets)
}

// limitToken answers 429 with Retry-After and returns false when the
// request's token has spent its budget.
func (s *Server) limitToken(c *gin.Context, tokenID string) bool {
	wait, ok := s.limiter.Allow(tokenID)
	if ok {
		return true
	}
	secs := RetryAfterSeconds(wait)
	c.Header("Retry-After", strconv.Itoa(secs))
	l := s.limiter.Limit()
	Error(c, http.StatusTooManyRequests,
		fmt.Sprintf("rate limit exceeded: a token may make %g requests per second with bursts of %d (--rate-limit, --rate-burst); retry after %d s", l.Rate, l.Burst, secs),
		Detail{Field: "Authorization", Message: "this token's request budget is spent"})
	return false
}

// RetryAfterSeconds rounds a delay up to whole seconds, at least 1, as a
// Retry-After header counts them.
func RetryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
