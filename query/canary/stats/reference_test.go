package stats

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// rnum is a number as reference.R writes it: a JSON number, or the strings
// "Inf", "-Inf" and "NaN".
type rnum float64

func (r *rnum) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"Inf"`:
		*r = rnum(math.Inf(1))
	case `"-Inf"`:
		*r = rnum(math.Inf(-1))
	case `"NaN"`:
		*r = rnum(math.NaN())
	default:
		var f float64
		if err := json.Unmarshal(b, &f); err != nil {
			return err
		}
		*r = rnum(f)
	}
	return nil
}

func floats(v []rnum) []float64 {
	out := make([]float64, len(v))
	for i, f := range v {
		out[i] = float64(f)
	}
	return out
}

type reference struct {
	RVersion string `json:"r_version"`
	Wilcox   []struct {
		Name             string `json:"name"`
		Canary           []rnum `json:"canary"`
		Baseline         []rnum `json:"baseline"`
		ConfLevel        rnum   `json:"conf_level"`
		Statistic        rnum   `json:"statistic"`
		PValue           rnum   `json:"p_value"`
		Estimate         rnum   `json:"estimate"`
		ConfInt          []rnum `json:"conf_int"`
		Band             rnum   `json:"band"`
		PGreaterAtBand   rnum   `json:"p_greater_at_band"`
		PLessAtMinusBand rnum   `json:"p_less_at_minus_band"`
	} `json:"wilcox"`
	PAdjust []struct {
		Name string `json:"name"`
		P    []rnum `json:"p"`
		Holm []rnum `json:"holm"`
		BH   []rnum `json:"bh"`
	} `json:"p_adjust"`
	Quantile7 []struct {
		Name  string `json:"name"`
		X     []rnum `json:"x"`
		Probs []rnum `json:"probs"`
		Q     []rnum `json:"q"`
	} `json:"quantile7"`
	IQROutliers []struct {
		Name       string `json:"name"`
		X          []rnum `json:"x"`
		Factor     rnum   `json:"factor"`
		LowerFence rnum   `json:"lower_fence"`
		UpperFence rnum   `json:"upper_fence"`
		Kept       []rnum `json:"kept"`
	} `json:"iqr_outliers"`
	Poisson []struct {
		Name             string `json:"name"`
		CanaryEvents     rnum   `json:"canary_events"`
		CanaryExposure   rnum   `json:"canary_exposure"`
		BaselineEvents   rnum   `json:"baseline_events"`
		BaselineExposure rnum   `json:"baseline_exposure"`
		ConfLevel        rnum   `json:"conf_level"`
		PValue           rnum   `json:"p_value"`
		Estimate         rnum   `json:"estimate"`
		ConfInt          []rnum `json:"conf_int"`
		PGreaterAt125    rnum   `json:"p_greater_at_1_25"`
		PLessAt075       rnum   `json:"p_less_at_0_75"`
	} `json:"poisson"`
	Spending []struct {
		TotalLooks      int    `json:"total_looks"`
		Alpha           rnum   `json:"alpha"`
		Z               []rnum `json:"z"`
		CumulativeAlpha []rnum `json:"cumulative_alpha"`
	} `json:"spending"`
}

func loadReference(t *testing.T, path string) reference {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read reference: %v", err)
	}
	var ref reference
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return ref
}

// relTol is how close deploylens must come to R.
const relTol = 1e-6

// closeTo reports whether got is within relTol of want, relative to |want|
// (absolutely, for want = 0). Infinities must match exactly.
func closeTo(got, want, tol float64) bool {
	if math.IsInf(want, 0) || math.IsNaN(want) {
		return got == want || (math.IsNaN(got) && math.IsNaN(want))
	}
	return math.Abs(got-want) <= tol*math.Max(math.Abs(want), 1e-300) || got == want
}

func checkClose(t *testing.T, what string, got, want float64) {
	t.Helper()
	if !closeTo(got, want, relTol) {
		t.Errorf("%s = %.17g, R says %.17g (relative error %.3g)", what, got, want, math.Abs(got-want)/math.Abs(want))
	}
}

func TestMatchesR(t *testing.T) {
	checkAgainstReference(t, loadReference(t, filepath.Join("testdata", "reference.json")), true)
}

// TestAgainstLiveR regenerates the reference numbers with the R on this
// machine and checks them too, so a new R release cannot drift unnoticed.
func TestAgainstLiveR(t *testing.T) {
	rscript, err := exec.LookPath("Rscript")
	if err != nil {
		t.Skip("Rscript not on PATH; `apt-get install r-base-core` (and r-cran-rpact) enables this test")
	}
	if testing.Short() {
		t.Skip("runs R; skipped with -short")
	}
	out := filepath.Join(t.TempDir(), "reference.json")
	cmd := exec.Command(rscript, filepath.Join("testdata", "reference.R"), out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("Rscript reference.R: %v\n%s", err, b)
	}
	ref := loadReference(t, out)
	t.Logf("checking against %s", ref.RVersion)
	checkAgainstReference(t, ref, false)
}

func checkAgainstReference(t *testing.T, ref reference, requireAll bool) {
	if requireAll && (len(ref.Wilcox) < 20 || len(ref.PAdjust) == 0 || len(ref.Quantile7) == 0 ||
		len(ref.IQROutliers) == 0 || len(ref.Poisson) == 0 || len(ref.Spending) == 0) {
		t.Fatalf("reference.json is missing sections; regenerate it with testdata/reference.R")
	}
	t.Run("wilcox.test", func(t *testing.T) {
		for _, c := range ref.Wilcox {
			t.Run(c.Name, func(t *testing.T) {
				canary, baseline := floats(c.Canary), floats(c.Baseline)
				got, err := WilcoxonR(canary, baseline, float64(c.ConfLevel))
				if err != nil {
					t.Fatalf("WilcoxonR: %v", err)
				}
				checkClose(t, "W", got.W, float64(c.Statistic))
				checkClose(t, "p.value", got.PValue, float64(c.PValue))
				checkClose(t, "estimate", got.Estimate, float64(c.Estimate))
				checkClose(t, "conf.int[1]", got.Lower, float64(c.ConfInt[0]))
				checkClose(t, "conf.int[2]", got.Upper, float64(c.ConfInt[1]))

				s, err := NewTwoSample(canary, baseline)
				if err != nil {
					t.Fatal(err)
				}
				checkClose(t, "p.value at mu = +band, greater", s.ShiftPValue(float64(c.Band), Greater), float64(c.PGreaterAtBand))
				checkClose(t, "p.value at mu = -band, less", s.ShiftPValue(-float64(c.Band), Less), float64(c.PLessAtMinusBand))

				// The exact variant shares R's test and lands where R's root
				// finder converges: within uniroot's tolerance (1e-4 plus
				// R's step) of R's limits, and exactly on R's p-value.
				exact, err := s.Test(float64(c.ConfLevel))
				if err != nil {
					t.Fatal(err)
				}
				checkClose(t, "exact p.value", exact.PValue, float64(c.PValue))
				checkClose(t, "exact W", exact.W, float64(c.Statistic))
				const rootTol = 2e-4
				scale := math.Max(1, math.Abs(float64(c.ConfInt[1])-float64(c.ConfInt[0])))
				for _, lim := range []struct {
					name      string
					got, want float64
				}{{"lower", exact.Lower, float64(c.ConfInt[0])}, {"upper", exact.Upper, float64(c.ConfInt[1])}} {
					if math.Abs(lim.got-lim.want) > rootTol*scale {
						t.Errorf("exact %s limit %.10g is not where R's root finder converged (%.10g)", lim.name, lim.got, lim.want)
					}
				}
			})
		}
	})
	t.Run("p.adjust", func(t *testing.T) {
		for _, c := range ref.PAdjust {
			t.Run(c.Name, func(t *testing.T) {
				holm, bh := AdjustHolm(floats(c.P)), AdjustBH(floats(c.P))
				for i := range c.P {
					checkClose(t, fmt.Sprintf("holm[%d]", i), holm[i], float64(c.Holm[i]))
					checkClose(t, fmt.Sprintf("BH[%d]", i), bh[i], float64(c.BH[i]))
				}
			})
		}
	})
	t.Run("quantile type 7", func(t *testing.T) {
		for _, c := range ref.Quantile7 {
			t.Run(c.Name, func(t *testing.T) {
				sorted := SortedCopy(floats(c.X))
				for i, p := range c.Probs {
					checkClose(t, fmt.Sprintf("quantile(x, %v)", p), Quantile(sorted, float64(p)), float64(c.Q[i]))
				}
			})
		}
	})
	t.Run("IQR outliers", func(t *testing.T) {
		for _, c := range ref.IQROutliers {
			t.Run(c.Name, func(t *testing.T) {
				x := floats(c.X)
				lo, hi := IQRFences(SortedCopy(x), float64(c.Factor))
				checkClose(t, "lower fence", lo, float64(c.LowerFence))
				checkClose(t, "upper fence", hi, float64(c.UpperFence))
				kept := RemoveOutliers(x, float64(c.Factor))
				want := floats(c.Kept)
				if len(kept) != len(want) {
					t.Fatalf("kept %d points, R keeps %d", len(kept), len(want))
				}
				for i := range want {
					if kept[i] != want[i] {
						t.Errorf("kept[%d] = %v, R keeps %v", i, kept[i], want[i])
					}
				}
			})
		}
	})
	t.Run("poisson.test", func(t *testing.T) {
		for _, c := range ref.Poisson {
			t.Run(c.Name, func(t *testing.T) {
				ce, ct, be, bt := float64(c.CanaryEvents), float64(c.CanaryExposure), float64(c.BaselineEvents), float64(c.BaselineExposure)
				got, err := CompareRates(ce, ct, be, bt, float64(c.ConfLevel))
				if err != nil {
					t.Fatal(err)
				}
				checkClose(t, "p.value", got.PValue, float64(c.PValue))
				checkClose(t, "estimate", got.RateRatio, float64(c.Estimate))
				checkClose(t, "conf.int[1]", got.Lower, float64(c.ConfInt[0]))
				checkClose(t, "conf.int[2]", got.Upper, float64(c.ConfInt[1]))
				checkClose(t, "p.value, r = 1.25, greater", RateRatioPValue(ce, ct, be, bt, 1.25, Greater), float64(c.PGreaterAt125))
				checkClose(t, "p.value, r = 0.75, less", RateRatioPValue(ce, ct, be, bt, 0.75, Less), float64(c.PLessAt075))
			})
		}
	})
	t.Run("rpact asOF boundaries", func(t *testing.T) {
		for _, c := range ref.Spending {
			t.Run(fmt.Sprintf("K=%d alpha=%v", c.TotalLooks, float64(c.Alpha)), func(t *testing.T) {
				for k := 1; k <= c.TotalLooks; k++ {
					b, err := SpendingBoundary(k, c.TotalLooks, float64(c.Alpha))
					if err != nil {
						t.Fatal(err)
					}
					// rpact's integration loses digits where a look spends
					// almost nothing: at K = 10, look 2 (1e-6 of alpha)
					// its z = 4.877024 spends 7e-4 less than it should,
					// as mvtnorm's bivariate normal confirms for 4.876885.
					// There, and only there, compare z loosely.
					tol := relTol
					if k > 1 && float64(c.CumulativeAlpha[k-1]-c.CumulativeAlpha[k-2]) < 1e-4 {
						tol = 1e-4
					}
					if !closeTo(b.Z, float64(c.Z[k-1]), tol) {
						t.Errorf("look %d: z = %.10g, rpact %.10g", k, b.Z, float64(c.Z[k-1]))
					}
					if !closeTo(b.CumulativeAlpha, float64(c.CumulativeAlpha[k-1]), relTol) {
						t.Errorf("look %d: cumulative alpha = %.10g, R %.10g", k, b.CumulativeAlpha, float64(c.CumulativeAlpha[k-1]))
					}
				}
			})
		}
	})
}
