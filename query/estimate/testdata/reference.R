# Reference values for package estimate, computed by R.
#   Rscript testdata/reference.R > testdata/reference.json
# (run from query/estimate). Inputs are fixed so the file is reproducible.
suppressMessages(library(jsonlite))

set.seed(42)
lead <- round(rexp(37, 1 / 86400) + 600)   # lead times in seconds
recovery <- c(3600, 5400, 7200, 900, 86400, 43200, 1800)
ties <- c(1, 2, 2, 3, 3, 3, 4, 10, 10, 12)
quantile_cases <- list(
  list(name = "lead_times", x = lead),
  list(name = "recovery", x = recovery),
  list(name = "ties", x = ties),
  list(name = "one", x = c(42)),
  list(name = "two", x = c(10, 20)),
  list(name = "fractional", x = c(0.1, 0.25, 1e9 + 0.5, 3.75, 17))
)
probs <- c(0, 0.1, 0.25, 0.5, 0.9, 0.975, 1)
quantiles <- lapply(quantile_cases, function(k) {
  list(name = k$name, x = I(k$x), p = probs, q = unname(quantile(k$x, probs, type = 7)))
})

a <- round(rexp(12, 1 / 3600))
b <- round(rexp(15, 1 / 5000))
big_a <- round(rexp(80, 1 / 3600))
big_b <- round(rexp(60, 1 / 4800))
ranksum_cases <- list(
  list(name = "exact_small", x = c(1.5, 3.2, 4.8, 7.1, 9.9), y = c(2.1, 5.5, 6.3, 8.8, 11.2, 12.5)),
  list(name = "exact_shifted", x = a, y = b + 2000),
  list(name = "exact_separated", x = c(1, 2, 3, 4, 5), y = c(6, 7, 8, 9, 10, 11)),
  list(name = "ties_normal", x = c(1, 2, 2, 3, 3, 3, 4, 10), y = c(2, 3, 5, 5, 6, 7, 8, 10, 12)),
  list(name = "large_normal", x = big_a, y = big_b),
  list(name = "large_equal", x = big_a, y = big_a + 0.5)
)
ranksum <- lapply(ranksum_cases, function(k) {
  list(name = k$name, x = k$x, y = k$y, p = suppressWarnings(wilcox.test(k$x, k$y)$p.value))
})

binom_cases <- list(c(3, 10, 0.5), c(12, 40, 0.125), c(0, 7, 0.3), c(7, 7, 0.3), c(250, 1000, 0.27), c(1, 30, 0.1))
binomial <- lapply(binom_cases, function(k) {
  list(x = k[1], n = k[2], p = k[3], p_value = binom.test(k[1], k[2], k[3])$p.value)
})

fisher_cases <- list(c(3, 17, 2, 38), c(10, 90, 30, 170), c(0, 12, 5, 40), c(5, 0, 0, 5), c(1, 1, 1, 1), c(40, 960, 10, 990))
fisher <- lapply(fisher_cases, function(k) {
  list(table = k, p_value = fisher.test(matrix(k, nrow = 2, byrow = TRUE))$p.value)
})

cat(toJSON(list(r_version = R.version.string, quantiles = quantiles, ranksum = ranksum,
                binomial = binomial, fisher = fisher), digits = NA, auto_unbox = TRUE, pretty = TRUE))
cat("\n")
