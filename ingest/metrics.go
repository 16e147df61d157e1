package ingest

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics count what each source sends: events accepted, rejected and
// duplicate, events per request, and how long a request waits for its commit.
type Metrics struct {
	events   *prometheus.CounterVec
	batch    *prometheus.HistogramVec
	commit   *prometheus.HistogramVec
	replayed prometheus.Counter
}

var (
	sharedMu      sync.Mutex
	sharedMetrics = map[prometheus.Registerer]*Metrics{}
)

// NewMetrics registers the ingest metrics on reg (nil: unregistered). Every
// receiver on one registry shares one set, labelled by source.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if m, ok := sharedMetrics[reg]; ok && reg != nil {
		return m
	}
	m := &Metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "deploylens", Subsystem: "ingest",
			Name: "events_total",
			Help: "Delivery events by source and outcome: accepted (stored), duplicate (already stored, ignored) or rejected (their request was refused; a request that could not be read counts as one)."},
			[]string{"source", "outcome"}),
		batch: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "deploylens", Subsystem: "ingest",
			Name: "request_events", Help: "Events per accepted request, by source.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 9)}, []string{"source"}),
		commit: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "deploylens", Subsystem: "ingest",
			Name: "commit_wait_seconds", Help: "Time a request waits for its rows to be committed (group commit and insert), by source.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15)}, []string{"source"}),
		replayed: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "deploylens", Subsystem: "ingest",
			Name: "replayed_events_total", Help: "Events re-translated from raw copies by replay."}),
	}
	if reg != nil {
		reg.MustRegister(m.events, m.batch, m.commit, m.replayed)
		sharedMetrics[reg] = m
	}
	return m
}

func (m *Metrics) count(source, outcome string, n int) {
	if m == nil || n == 0 {
		return
	}
	m.events.WithLabelValues(source, outcome).Add(float64(n))
}

// Rejected counts the events of a refused request.
func (m *Metrics) Rejected(source string, err error) { m.count(source, "rejected", eventsOf(err)) }

func (m *Metrics) replayedAdd(n int) {
	if m != nil {
		m.replayed.Add(float64(n))
	}
}
