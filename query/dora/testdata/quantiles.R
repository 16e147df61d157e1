# Reference lead times for TestQuantilesMatchR: R's type-7 median and p90
# of a skewed sample with millisecond fractions and ties.
#   Rscript quantiles.R > quantiles.json   (from query/dora/testdata)
suppressMessages(library(jsonlite))
set.seed(7)
lead <- round(c(rlnorm(40, meanlog = log(6 * 3600), sdlog = 1.1), 3600, 3600, 7200.5), 3)
cat(toJSON(list(
  r_version = R.version.string,
  lead_seconds = lead,
  median = unname(quantile(lead, 0.5, type = 7)),
  p90 = unname(quantile(lead, 0.9, type = 7))
), digits = NA, auto_unbox = TRUE, pretty = TRUE))
cat("\n")
