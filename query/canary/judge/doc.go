// Package judge is deploylens' canary judge: given each metric's baseline and
// canary samples, it classifies every metric and gives the canary a score and
// a verdict. It is Kayenta's NetflixACAJudge in structure — preprocessing, a
// Mann–Whitney classifier per metric, a weighted group scorer, critical and
// required metrics — with the statistical faults fixed, and it is pure: no
// I/O, so the HTTP handler and the analysis orchestration both call Judge.
//
// # Preprocessing, per metric
//
//   - Missing points (JSON null) are removed, or with nan_strategy "replace"
//     counted as 0.
//   - With outliers.strategy "remove" (continuous metrics only), points
//     outside [Q1 − k·IQR, Q3 + k·IQR] (k = outliers.factor, default 3, R
//     type-7 quartiles) are removed from each sample separately.
//   - For kinds count and ratio, an interval is dropped when its exposure is
//     missing; counts and exposures are then summed per side.
//
// # Classification, per metric
//
// Let α = 1 − confidence_level (or, in a sequential plan, the look's nominal
// level; see below) and τ the metric's tolerance.
//
// Continuous metrics. The change is the shift canary − baseline, estimated by
// the Hodges–Lehmann median of pairwise differences with its distribution-free
// interval at level 1 − α (stats.TwoSample.Test; R's wilcox.test numbers). The
// tolerance band is ±δ with δ = τ·|median(baseline)|: the change a metric may
// show. (Kayenta scales the band by the Hodges–Lehmann estimate itself, so its
// band grows with the very change it judges; here it is fixed by the baseline.)
// The tolerance tests are the rank-sum tests of "shift ≤ +δ" against "shift >
// +δ" and of "shift ≥ −δ" against "shift < −δ", with one-sided p-values pHigh
// and pLow.
//
// Counts and ratios. The change is the rate ratio canary/baseline (events per
// exposure), with the exact conditional (Clopper–Pearson) interval; the band is
// ratios in [max(0, 1 − τ), 1 + τ]; pHigh and pLow are the exact conditional
// binomial tests of "ratio ≤ 1 + τ" and "ratio ≥ 1 − τ" (stats.RateRatioPValue).
// These stay valid with a handful of events, where a canary's new errors first
// show, and they see the total of events, not the shape of per-interval counts
// that the rank-sum test would compare.
//
// The metric's p_value is that of the failing direction(s), scaled to match a
// two-sided interval: 2·pHigh for direction "increase", 2·pLow for "decrease",
// 2·min(pHigh, pLow) for "either" (capped at 1). With no adjustment, p_value ≤
// α exactly when the interval at level 1 − α lies beyond the band — Kayenta's
// rule, "high if the interval's lower bound is above the band". The p-values of
// the unmuted metrics that were tested are then adjusted together
// (config.multiple_comparisons: Holm by default, which keeps the chance of any
// false failure among all metrics at α; Kayenta tests each of twenty metrics at
// α and fails a good canary far more often). Rules, in order:
//
//   - no_data → nodata: baseline or canary has no points left.
//   - no_events → pass: a count or ratio metric where neither side saw an
//     event; an error-free canary is not an error regression.
//   - above_tolerance → high, below_tolerance → low: adjusted_p_value ≤ α,
//     in the failing direction (for "either", the side with the smaller
//     p-value), and the effect size reaches effect_size.allowed_increase
//     (high) or allowed_decrease (low). The effect size is the mean ratio
//     (continuous: mean canary / mean baseline; counts: the rate ratio) or
//     CLES = P(canary > baseline) + ½P(equal). A mean ratio over a baseline
//     mean of 0 is +Inf for a canary above it; over a negative baseline mean
//     it is undefined and does not veto the classification.
//   - effect_size_within_allowed → pass: significant, but the effect size
//     does not reach the allowed bound.
//   - allowed_by_direction → pass: the change is significant only in the
//     direction the metric may move (e.g. latency that dropped, direction
//     "increase").
//   - within_tolerance → pass: otherwise.
//
// A high or low metric marked critical is a critical failure when its effect
// size also reaches critical_increase (high) or critical_decrease (low);
// both default to "no change", so any failure of a critical metric is
// critical, as in Kayenta.
//
// Power. For a metric that passes within_tolerance, power is the chance that
// the test of "no change" would have detected a change of the tolerance:
// continuous, Noether's normal approximation for the rank-sum test with θ =
// P(Z + δ > Z′) estimated from the pooled samples (canary aligned on the
// baseline by the estimated shift), δ the band (or, when the baseline median
// is 0, τ × the baseline's mean magnitude); counts, the normal approximation
// to the conditional binomial test at rate ratio 1 ± τ given the events seen.
// To first order it is also the chance of flagging a change of twice the
// tolerance under the band rule. It is computed at α/k for a family of k
// adjusted metrics (the level at which Holm or BH flag a single change) and
// at α without adjustment. Below min_power (the metric's, else the config's)
// the metric is underpowered: the test could not have seen a tolerance-sized
// change, so its pass carries no information. Error counts need many events
// for this (a 25% change in a rate takes about a thousand events to see
// reliably among twenty metrics); give error metrics a larger tolerance (1 =
// doubling) or, knowingly, min_power 0.
//
// Muted metrics are measured and reported with their own unadjusted p-value
// and affect nothing: not the family, the score, nor any verdict rule.
//
// # Score
//
// Within a group, score = 100 × (weight of passing metrics) / (weight of
// scored metrics), where scored means unmuted with data (metric weight
// default 1). The total is the mean of the group scores weighted by
// config.group_weights (equal when none are given), over groups with a scored
// metric; it is rounded to 1e-6.
//
// # Verdict, rules in order
//
//   - critical_metric_failed → fail, score 0: a critical failure.
//   - required_data_missing → fail, score 0: a must_have_data or critical
//     metric is nodata. (Kayenta fails a critical metric without data too.)
//   - no_data → inconclusive, score 0: no unmuted metric had data. A canary
//     that produced no data at all must not pass; it may be dead.
//   - score → pass if score ≥ thresholds.pass (95), marginal if ≥
//     thresholds.marginal (75), else fail.
//   - underpowered → inconclusive instead of pass or marginal, when any
//     scored metric passed underpowered.
//
// A score of 0 on the first three rules keeps a pipeline that reads only the
// score from promoting the canary.
//
// # Sequential judgments
//
// A pipeline that judges a canary repeatedly on accumulating data (every 10
// minutes for an hour) tests more often than once, and at a fixed α fails a
// good canary far more often than α overall. With sequential {look,
// total_looks}, each look runs at the nominal level of the Lan–DeMets
// O'Brien–Fleming-type spending boundary (stats.SpendingBoundary) instead of
// 1 − confidence_level, so that the chance of a false failure at any of the
// planned looks stays at α: early looks fail only on overwhelming evidence,
// the last look runs near the fixed level. Each look's samples must include
// all the data of the looks before. A pass at an interim look means "no
// evidence yet"; promote on the final look's verdict. With several metrics,
// the adjustment runs within each look at that look's level, which keeps the
// overall rate near α but is not an exact guarantee.
package judge
