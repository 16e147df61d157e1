package otlpreceiver

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Protocols, the protocol label of the receiver counters.
const (
	ProtocolHTTP        = "otlp_http"
	ProtocolGRPC        = "otlp_grpc"
	ProtocolRemoteWrite = "remote_write"
)

// Signals, the signal label of the receiver counters.
const (
	SignalTraces  = "traces"
	SignalLogs    = "logs"
	SignalMetrics = "metrics"
)

// Metrics count what the telemetry receivers accept and refuse: items
// (spans, log records, metric data points) and requests, by signal,
// protocol and outcome.
type Metrics struct {
	items    *prometheus.CounterVec
	requests *prometheus.CounterVec
}

var (
	sharedMu      sync.Mutex
	sharedMetrics = map[prometheus.Registerer]*Metrics{}
)

// NewMetrics registers the counters on reg (nil: unregistered); every
// receiver on one registry shares one set.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if m, ok := sharedMetrics[reg]; ok && reg != nil {
		return m
	}
	labels := []string{"signal", "protocol", "outcome"}
	m := &Metrics{
		items: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "deploylens", Subsystem: "ingest",
			Name: "telemetry_items_total",
			Help: "Spans, log records and metric data points received, by signal, protocol and outcome: accepted (stored) or refused (not stored; the sender was told so)."},
			labels),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "deploylens", Subsystem: "ingest",
			Name: "telemetry_requests_total",
			Help: "Telemetry export requests, by signal, protocol and outcome: accepted or refused (undecodable, too large, overloaded or not stored)."},
			labels),
	}
	if reg != nil {
		reg.MustRegister(m.items, m.requests)
		sharedMetrics[reg] = m
	}
	return m
}

// Accepted counts a stored request of n items.
func (m *Metrics) Accepted(signal, protocol string, n int) {
	m.requests.WithLabelValues(signal, protocol, "accepted").Inc()
	m.items.WithLabelValues(signal, protocol, "accepted").Add(float64(n))
}

// Refused counts a refused request of n items (0 when it could not be decoded).
func (m *Metrics) Refused(signal, protocol string, n int) {
	m.requests.WithLabelValues(signal, protocol, "refused").Inc()
	m.items.WithLabelValues(signal, protocol, "refused").Add(float64(n))
}
