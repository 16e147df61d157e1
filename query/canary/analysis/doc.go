// Package analysis runs canary analyses over the telemetry stored in
// ClickHouse: it selects the baseline's and the canary's spans, logs and
// metrics by resource attributes, turns each configured metric into one
// sample per step for each side, and asks the judge for a verdict at every
// interval of the analysis' lifetime.
//
// Looks. An analysis of lifetime L judged every interval I makes K = ⌈L/I⌉
// looks; look k judges all the data from the start to start + k·I. With
// K > 1 each look runs at the nominal level of the judge's sequential plan
// (judge.Sequential), so the chance that a good canary fails at any look
// stays at 1 − confidence_level. An interim look that fails on evidence (a
// critical metric, or the score) stops the analysis early with that
// verdict; an interim look without the data a metric must have does not,
// since a canary's first minutes may simply not have reported yet. The
// final look's verdict is the analysis' verdict.
//
// Samples. Every metric yields one point per step (config.step_seconds,
// default 60) per side:
//
//   - span_latency: a statistic (mean or a quantile) of the span durations
//     in milliseconds; a step without spans is a missing point.
//   - span_error_ratio: spans with StatusCode "Error" out of all spans
//     (judge kind ratio).
//   - error_log_rate: log records with SeverityNumber ≥ 17 (ERROR and
//     FATAL) per step (judge kind count). Baseline and canary are compared
//     per step, so they should take the same share of traffic, as Kayenta's
//     baseline and canary clusters do; for unequal shares use
//     span_error_ratio.
//   - metric: an OTLP or Prometheus metric from otel_metrics_gauge or
//     otel_metrics_sum, aggregated per step (avg, min, max, sum, a quantile,
//     or rate: the increase of a cumulative counter per second, summed over
//     its series).
//
// SQL. Every query is a constant: the statistic, table and aggregation are
// chosen from fixed fragments by validated enums, and every value from a
// request — service, attribute keys and values, span and metric names, times
// — is a bound query parameter. A side's resource-attribute selector is two
// bound arrays, keys and values, matched by
// arrayAll((k, v) -> ResourceAttributes[k] = v, keys, values).
package analysis
