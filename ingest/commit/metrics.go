package commit

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	batches    *prometheus.CounterVec
	rows       *prometheus.CounterVec
	errors     *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	batchRows  prometheus.Histogram
	pending    prometheus.Gauge
	overloaded prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "deploylens", Subsystem: "commit",
			Name: "inserts_total", Help: "Group inserts committed, by table."}, []string{"table"}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "deploylens", Subsystem: "commit",
			Name: "rows_total", Help: "Rows committed, by table."}, []string{"table"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "deploylens", Subsystem: "commit",
			Name: "insert_errors_total", Help: "Group inserts that failed, by table."}, []string{"table"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "deploylens", Subsystem: "commit",
			Name: "insert_duration_seconds", Help: "Time to commit one group insert, by table.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15)}, []string{"table"}),
		batchRows: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "deploylens", Subsystem: "commit",
			Name: "insert_rows", Help: "Rows per group insert.", Buckets: prometheus.ExponentialBuckets(1, 4, 10)}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "deploylens", Subsystem: "commit",
			Name: "pending_rows", Help: "Rows accepted and not yet committed."}),
		overloaded: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "deploylens", Subsystem: "commit",
			Name: "overloaded_total", Help: "Requests refused because the buffer was full."}),
	}
	if reg != nil {
		reg.MustRegister(m.batches, m.rows, m.errors, m.latency, m.batchRows, m.pending, m.overloaded)
	}
	return m
}
