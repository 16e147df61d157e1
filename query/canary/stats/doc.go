// Package stats is the statistics of deploylens' canary judge: pure
// functions of samples, with no I/O, tested number for number against R
// (testdata/reference.R writes the reference; see reference_test.go).
//
// What it offers, and where each piece is used by query/canary/judge:
//
//   - TwoSample: the Wilcoxon rank-sum (Mann–Whitney) test of canary against
//     baseline with the tie- and continuity-corrected normal approximation,
//     the Hodges–Lehmann shift estimate and its confidence interval, the
//     p-value of a shifted null (the tolerance test), the common-language
//     effect size and the power to detect a shift. Sorting dominates:
//     order statistics of the n·m pairwise differences are selected without
//     materialising them.
//   - WilcoxonR: R's wilcox.test(…, conf.int = TRUE, exact = FALSE)
//     reproduced exactly, root finder and all, to show the agreement.
//   - CompareRates, RateRatioPValue, RatePower: the exact conditional test
//     of two Poisson rates, for error counts and error ratios, where a
//     handful of events is the whole story.
//   - MeanRatio, CLES: Kayenta's effect sizes.
//   - CleanNaN, Quantile (R type 7), IQRFences, RemoveOutliers: Kayenta's
//     preprocessing.
//   - AdjustHolm, AdjustBH: multiplicity adjustment across metrics, as R's
//     p.adjust.
//   - SpendingBoundary: Lan–DeMets O'Brien–Fleming-type alpha spending, so
//     repeated interval judgments of one canary keep their overall
//     false-failure rate.
//
// Conventions: "canary" is R's x and "baseline" its y, so a positive shift
// means the canary is higher. Functions take samples as given and do not
// modify them.
package stats
