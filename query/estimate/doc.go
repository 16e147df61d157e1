// Package estimate holds the statistics behind deploylens' delivery metrics:
// exact quantiles (R's type 7), seeded bootstrap confidence intervals, and the
// tests that decide whether one step of a trend differs from the steps before
// it. It does no I/O; the SQL that produces the samples lives with the
// metrics.
//
// Every function is checked against R (testdata/reference.R writes
// testdata/reference.json, which the tests read).
package estimate
