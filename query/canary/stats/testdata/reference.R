# Reference numbers for query/canary/stats, computed by R itself.
#
#   Rscript query/canary/stats/testdata/reference.R [output.json]
#
# regenerates testdata/reference.json (the default output, next to this
# script). The Go tests read that file; TestAgainstLiveR runs this script when
# Rscript is installed (apt-get install r-base-core; the sequential section
# also wants r-cran-rpact and is left empty without it).
#
# Numbers are written with up to 17 significant digits, as many as it takes
# for every double to read back exactly: jsonlite 1.8 stops at 15, which
# does not round-trip.

args <- commandArgs(trailingOnly = TRUE)
script <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
out <- if (length(args) >= 1) args[[1]] else file.path(dirname(script), "reference.json")

# --- a minimal JSON writer -------------------------------------------------
# The shortest of %.15g, %.16g, %.17g that reads back as the same double.
num1 <- function(v) {
  if (is.na(v) && !is.nan(v)) return("null")
  if (is.nan(v)) return("\"NaN\"")
  if (is.infinite(v)) return(if (v > 0) "\"Inf\"" else "\"-Inf\"")
  for (digits in 15:16) {
    s <- sprintf("%.*g", digits, v)
    if (as.numeric(s) == v) return(s)
  }
  sprintf("%.17g", v)
}
# Vectors are arrays, whatever their length; wrap a scalar in scalar() to
# write it bare.
scalar <- function(v) structure(list(v), class = "scalar")
to_json <- function(v) {
  if (inherits(v, "scalar")) {
    v <- v[[1]]
    if (is.character(v)) return(sprintf("\"%s\"", gsub("\"", "\\\\\"", v)))
    if (is.logical(v)) return(if (v) "true" else "false")
    return(num1(as.numeric(v)))
  }
  if (is.list(v) && !is.null(names(v))) {
    parts <- vapply(names(v), function(k) sprintf("\"%s\": %s", k, to_json(v[[k]])), "")
    return(paste0("{", paste(parts, collapse = ", "), "}"))
  }
  if (is.list(v)) {
    return(paste0("[\n", paste(vapply(v, to_json, ""), collapse = ",\n"), "\n]"))
  }
  if (is.character(v)) return(paste0("[", paste(sprintf("\"%s\"", v), collapse = ", "), "]"))
  paste0("[", paste(vapply(as.numeric(v), num1, ""), collapse = ", "), "]")
}

# --- Wilcoxon rank-sum: wilcox.test(canary, baseline, exact = FALSE) -------
set.seed(20240611)
wcases <- list(
  list(name = "normal 20 vs 20, shift 0.5", canary = round(rnorm(20, 10.5), 4), baseline = round(rnorm(20, 10), 4), conf = 0.95),
  list(name = "normal 20 vs 20, shift 0.5, 98%", canary = round(rnorm(20, 10.5), 4), baseline = round(rnorm(20, 10), 4), conf = 0.98),
  list(name = "poisson counts with ties", canary = rpois(30, 4), baseline = rpois(25, 5), conf = 0.95),
  list(name = "three levels, heavy ties", canary = sample(1:3, 40, TRUE), baseline = sample(1:3, 35, TRUE), conf = 0.98),
  list(name = "unequal sizes 5 vs 60", canary = round(rnorm(5, 3), 3), baseline = round(rnorm(60, 2.5), 3), conf = 0.95),
  list(name = "one canary point", canary = 5, baseline = c(1, 2, 3), conf = 0.95),
  list(name = "two vs two", canary = c(1.5, 2.25), baseline = c(0.5, 1.75), conf = 0.95),
  list(name = "three vs four with a tie", canary = c(4, 5, 5), baseline = c(3, 4, 4.5, 6), conf = 0.98),
  list(name = "lognormal latency, 30% slower", canary = round(1.3 * rlnorm(100, log(200), 0.6), 2), baseline = round(rlnorm(120, log(200), 0.6), 2), conf = 0.98),
  list(name = "exponential 300 vs 300", canary = round(rexp(300, 1 / 210), 1), baseline = round(rexp(300, 1 / 200), 1), conf = 0.98),
  list(name = "identical samples", canary = c(3.1, 2.7, 4.4, 5.0, 3.9, 2.2, 4.8, 3.3, 3.6, 4.1, 2.9, 3.8, 4.6, 3.0, 5.2), baseline = c(3.1, 2.7, 4.4, 5.0, 3.9, 2.2, 4.8, 3.3, 3.6, 4.1, 2.9, 3.8, 4.6, 3.0, 5.2), conf = 0.98),
  list(name = "identical samples with ties", canary = c(1, 1, 2, 2, 2, 3, 5, 8), baseline = c(1, 1, 2, 2, 2, 3, 5, 8), conf = 0.95),
  list(name = "normal 1000 vs 1000, shift 0.1", canary = round(rnorm(1000, 100.1), 3), baseline = round(rnorm(1000, 100), 3), conf = 0.98),
  list(name = "mixed signs", canary = round(rnorm(25, 0.2), 3), baseline = round(rnorm(30, -0.1), 3), conf = 0.95),
  list(name = "tiny scale 1e-5", canary = signif(rnorm(40, 2.2e-5, 4e-6), 4), baseline = signif(rnorm(40, 2e-5, 4e-6), 4), conf = 0.98),
  list(name = "large scale microseconds", canary = round(rnorm(50, 1.2e6, 1e5)), baseline = round(rnorm(50, 1.1e6, 1e5)), conf = 0.95),
  list(name = "no overlap", canary = c(10, 11, 12, 13, 14, 15), baseline = c(1, 2, 3, 4, 5), conf = 0.95),
  list(name = "one wild outlier", canary = c(round(rnorm(29, 50, 5), 2), 5000), baseline = round(rnorm(30, 50, 5), 2), conf = 0.98),
  list(name = "even n*m flat zero region", canary = c(1, 2, 3, 4, 5, 6), baseline = c(1.5, 2.5, 3.5, 4.5), conf = 0.95),
  list(name = "constant baseline", canary = c(9, 10, 10, 11, 12, 10, 9.5), baseline = rep(10, 8), conf = 0.95),
  list(name = "constant canary", canary = rep(0.25, 12), baseline = round(runif(15, 0, 0.5), 3), conf = 0.98),
  list(name = "50% level uses central qnorm", canary = round(rnorm(18, 1), 3), baseline = round(rnorm(22), 3), conf = 0.5),
  list(name = "one decimal, ties after shifting", canary = round(rnorm(60, 5.2, 1), 1), baseline = round(rnorm(70, 5, 1), 1), conf = 0.95),
  list(name = "error ratio per interval", canary = round(rbeta(60, 2, 400), 5), baseline = round(rbeta(60, 2, 500), 5), conf = 0.98)
)
wilcox <- lapply(wcases, function(cs) {
  t <- wilcox.test(cs$canary, cs$baseline, conf.int = TRUE, exact = FALSE, conf.level = cs$conf)
  band <- 0.25 * abs(median(cs$baseline))
  pg <- wilcox.test(cs$canary, cs$baseline, mu = band, alternative = "greater", exact = FALSE)$p.value
  pl <- wilcox.test(cs$canary, cs$baseline, mu = -band, alternative = "less", exact = FALSE)$p.value
  list(
    name = scalar(cs$name), canary = cs$canary, baseline = cs$baseline, conf_level = scalar(cs$conf),
    statistic = scalar(unname(t$statistic)), p_value = scalar(t$p.value),
    estimate = scalar(unname(t$estimate)), conf_int = as.numeric(t$conf.int),
    band = scalar(band), p_greater_at_band = scalar(pg), p_less_at_minus_band = scalar(pl)
  )
})

# --- p.adjust: Holm and Benjamini–Hochberg ---------------------------------
pcases <- list(
  list(name = "five mixed", p = c(0.01, 0.04, 0.03, 0.005, 0.5)),
  list(name = "ties", p = c(0.02, 0.02, 0.02, 0.5)),
  list(name = "single", p = c(0.03)),
  list(name = "twenty skewed", p = runif(20)^3),
  list(name = "zero and one", p = c(0, 1, 0.2, 0.001))
)
padjust <- lapply(pcases, function(cs) list(
  name = scalar(cs$name), p = cs$p,
  holm = p.adjust(cs$p, "holm"), bh = p.adjust(cs$p, "BH")
))

# --- quantile(type = 7) and IQR fences -------------------------------------
qcases <- list(
  list(name = "one to ten", x = as.numeric(1:10)),
  list(name = "normal 37", x = round(rnorm(37, 100, 15), 2)),
  list(name = "single value", x = 4.5),
  list(name = "two values", x = c(2, 7)),
  list(name = "heavy ties", x = c(1, 1, 1, 1, 2, 2, 9, 1, 1, 30))
)
probs <- c(0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1)
quantile7 <- lapply(qcases, function(cs) list(
  name = scalar(cs$name), x = cs$x, probs = probs, q = unname(quantile(cs$x, probs, type = 7))
))
ocases <- list(
  list(name = "latency with spikes, k=3", x = c(round(rnorm(50, 200, 20), 1), 900, 1500, 20), k = 3),
  list(name = "latency with spikes, k=1.5", x = c(round(rnorm(50, 200, 20), 1), 900, 1500, 20), k = 1.5),
  list(name = "no outliers", x = as.numeric(1:20), k = 3),
  list(name = "constant with one spike", x = c(rep(5, 9), 6), k = 3)
)
outliers <- lapply(ocases, function(cs) {
  q <- unname(quantile(cs$x, c(0.25, 0.75), type = 7))
  iqr <- q[2] - q[1]
  lo <- q[1] - cs$k * iqr
  hi <- q[2] + cs$k * iqr
  list(name = scalar(cs$name), x = cs$x, factor = scalar(cs$k), lower_fence = scalar(lo),
       upper_fence = scalar(hi), kept = cs$x[cs$x >= lo & cs$x <= hi])
})

# --- Poisson rate comparison: poisson.test(c(canary, baseline), c(tc, tb)) --
rcases <- list(
  list(name = "errors against a clean baseline", c = 12, tc = 60, b = 0, tb = 60, conf = 0.98),
  list(name = "small counts", c = 5, tc = 100, b = 3, tb = 100, conf = 0.95),
  list(name = "canary clean, baseline not", c = 0, tc = 50, b = 7, tb = 50, conf = 0.98),
  list(name = "error ratio exposures", c = 130, tc = 1e5, b = 95, tb = 9.8e4, conf = 0.98),
  list(name = "single canary error", c = 1, tc = 30, b = 0, tb = 30, conf = 0.98),
  list(name = "large counts", c = 5400, tc = 1e6, b = 5000, tb = 1e6, conf = 0.98),
  list(name = "unequal exposure", c = 40, tc = 20, b = 90, tb = 60, conf = 0.95)
)
rates <- lapply(rcases, function(cs) {
  t <- poisson.test(c(cs$c, cs$b), c(cs$tc, cs$tb), conf.level = cs$conf)
  pg <- poisson.test(c(cs$c, cs$b), c(cs$tc, cs$tb), r = 1.25, alternative = "greater")$p.value
  pl <- poisson.test(c(cs$c, cs$b), c(cs$tc, cs$tb), r = 0.75, alternative = "less")$p.value
  list(name = scalar(cs$name), canary_events = scalar(cs$c), canary_exposure = scalar(cs$tc),
       baseline_events = scalar(cs$b), baseline_exposure = scalar(cs$tb), conf_level = scalar(cs$conf),
       p_value = scalar(t$p.value), estimate = scalar(unname(t$estimate)), conf_int = as.numeric(t$conf.int),
       p_greater_at_1_25 = scalar(pg), p_less_at_0_75 = scalar(pl))
})

# --- Lan–DeMets O'Brien–Fleming-type spending, two-sided (rpact) -----------
spending <- list()
if (requireNamespace("rpact", quietly = TRUE)) {
  scases <- list(list(k = 5, alpha = 0.05), list(k = 3, alpha = 0.02), list(k = 10, alpha = 0.05), list(k = 4, alpha = 0.01))
  spending <- lapply(scases, function(cs) {
    d <- rpact::getDesignGroupSequential(kMax = cs$k, alpha = cs$alpha, sided = 2, typeOfDesign = "asOF")
    t <- seq_len(cs$k) / cs$k
    # The spending function itself, in closed form: rpact's alphaSpent is
    # only good to about 1e-8 absolute.
    spent <- 4 * pnorm(qnorm(cs$alpha / 4, lower.tail = FALSE) / sqrt(t), lower.tail = FALSE)
    list(total_looks = scalar(cs$k), alpha = scalar(cs$alpha), z = d$criticalValues,
         rpact_alpha_spent = d$alphaSpent, cumulative_alpha = spent)
  })
}

doc <- list(
  generator = scalar("query/canary/stats/testdata/reference.R"),
  r_version = scalar(R.version.string),
  wilcox = wilcox, p_adjust = padjust, quantile7 = quantile7, iqr_outliers = outliers,
  poisson = rates, spending = spending
)
writeLines(to_json(doc), out)
