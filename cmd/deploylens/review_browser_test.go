package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/deploylens/deploylens/query/review/reviewtest"
	"github.com/deploylens/deploylens/store/storetest"
)

// pageFacts is what the browser sees of a review page once it has laid it out.
type pageFacts struct {
	Title        string       `json:"title"`
	Sections     []string     `json:"sections"`
	Charts       []chartFacts `json:"charts"`
	Observations int          `json:"observations"`
	Empty        string       `json:"empty"`
}

type chartFacts struct {
	Name  string  `json:"name"`
	Marks int     `json:"marks"`
	Width float64 `json:"width"`
}

const pageFactsJS = `(() => ({
  title: document.querySelector('h1').textContent.trim(),
  sections: [...document.querySelectorAll('main > section')].map(s => s.id),
  charts: [...document.querySelectorAll('figure.chart')].map(f => {
    const svg = f.querySelector('svg');
    return {name: f.dataset.chart,
            marks: svg ? svg.querySelectorAll('.line, .band, .dot, .segment').length : 0,
            width: svg ? svg.getBoundingClientRect().width : 0};
  }),
  observations: document.querySelectorAll('#observations li').length,
  empty: ((document.getElementById('empty-week') || {}).textContent || '').trim(),
}))()`

// reviewSections are the sections every review page has, in order.
var reviewSections = []string{"observations", "metrics", "trends", "waits", "deployments", "canary", "incidents", "data-quality", "method"}

// artefacts is where the browser test keeps its screenshots and printout
// (tmp/ is not versioned).
func artefacts(t *testing.T) string {
	t.Helper()
	root, err := storetest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "tmp", "artifacts", "review-browser")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A person signs in to a running deploylens in headless Chromium, reads the
// review of a week with deployments and of a week without, and prints one.
func TestReviewPageInBrowser(t *testing.T) {
	chrome, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("headless Chromium is not on PATH: install Debian's chromium package (make test-tools does) to run the browser test")
	}
	u := reviewStore(t)
	p := startServe(t, t.TempDir(), "--clickhouse-url", u)
	code, token, stderr := runDeploylens(t, "token", "create", "--clickhouse-url", u, "--name", "browser test", "--role", "read", "--teams", "payments")
	if code != 0 {
		t.Fatalf("token create: %s", stderr)
	}
	token = strings.TrimSpace(token)
	dir := artefacts(t)

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		// Chromium reaches for Google's services at start; this machine's
		// network is closed, and the page must need nothing but the server.
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
	)...)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(alloc)
	defer cancelTab()
	ctx, cancel := context.WithTimeout(tab, 5*time.Minute)
	defer cancel()

	var mu sync.Mutex
	var requested []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requested = append(requested, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}

	page := p.url + "/reviews/weekly/payments/" + reviewtest.Reviewed
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(page))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 401 {
		t.Fatalf("before signing in the page answered %d, want 401 with the sign-in form", res.Status)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`input[name="token"]`), token)); err != nil {
		t.Fatal(err)
	}
	res, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form.login button`)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 200 || res.URL != page {
		t.Fatalf("signing in led to %s (%d), want the review %s", res.URL, res.Status, page)
	}

	t.Run("a week with deployments", func(t *testing.T) {
		facts, err := chromedp.Run(ctx, chromedp.Evaluate[pageFacts](pageFactsJS))
		if err != nil {
			t.Fatal(err)
		}
		if facts.Title != "Weekly review: payments "+reviewtest.Reviewed {
			t.Errorf("title %q", facts.Title)
		}
		if !slices.Equal(facts.Sections, reviewSections) {
			t.Errorf("sections %v, want %v", facts.Sections, reviewSections)
		}
		if facts.Observations == 0 {
			t.Error("no observations")
		}
		if len(facts.Charts) != 7 {
			t.Errorf("%d charts, want 5 trends, the wait breakdown and the waiting share: %+v", len(facts.Charts), facts.Charts)
		}
		for _, c := range facts.Charts {
			if c.Marks == 0 || c.Width < 200 {
				t.Errorf("chart %s: %d marks drawn, %.0f px wide", c.Name, c.Marks, c.Width)
			}
		}
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		keep(t, filepath.Join(dir, "payments-"+reviewtest.Reviewed+".png"), shot)
		pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFPrintBackground()))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(pdf, []byte("%PDF-")) || len(pdf) < 10_000 {
			t.Errorf("the printout is not a PDF of the page (%d bytes)", len(pdf))
		}
		keep(t, filepath.Join(dir, "payments-"+reviewtest.Reviewed+".pdf"), pdf)
	})

	t.Run("a week without deployments", func(t *testing.T) {
		res, err := chromedp.Run(ctx, chromedp.NavigateResponse(p.url+"/reviews/weekly/payments/"+reviewtest.Frozen))
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != 200 {
			t.Fatalf("the empty week answered %d", res.Status)
		}
		facts, err := chromedp.Run(ctx, chromedp.Evaluate[pageFacts](pageFactsJS))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(facts.Empty, "No deployments this week") {
			t.Errorf("the empty week says %q", facts.Empty)
		}
		if !slices.Equal(facts.Sections, reviewSections) {
			t.Errorf("sections %v, want %v", facts.Sections, reviewSections)
		}
		for _, c := range facts.Charts {
			if strings.HasPrefix(c.Name, "trend-deployment_frequency") && c.Marks == 0 {
				t.Errorf("the deployment frequency trend is blank around an empty week")
			}
		}
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		keep(t, filepath.Join(dir, "payments-"+reviewtest.Frozen+".png"), shot)
	})

	mu.Lock()
	defer mu.Unlock()
	for _, r := range requested {
		if !strings.HasPrefix(r, p.url+"/") {
			t.Errorf("the pages fetched %s: they must need nothing but the server", r)
		}
	}
	t.Logf("screenshots and printout in %s", dir)
}

func keep(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
