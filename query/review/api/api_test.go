package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/deploylens/deploylens/auth"
	queryapi "github.com/deploylens/deploylens/query/api"
	"github.com/deploylens/deploylens/query/delivery/deliverytest"
	"github.com/deploylens/deploylens/query/dora"
	"github.com/deploylens/deploylens/query/review/reviewtest"
	"github.com/deploylens/deploylens/query/waits"
	"github.com/deploylens/deploylens/server"
)

// fixture is a server with the review mounted over reviewtest's history,
// its clock at reviewtest.Now, and tokens: an admin, a read token for
// payments, an ingest token.
type fixture struct {
	url                    string
	admin, payments, write string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	conn := deliverytest.Open(t)
	reviewtest.Write(t, conn, reviewtest.Generate(reviewtest.Seed))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	tokens := auth.NewTokens(conn, time.Minute)
	srv := server.New(server.Options{Authenticator: tokens, Logger: quiet})
	benchmarks, err := dora.LoadBenchmarks()
	if err != nil {
		t.Fatal(err)
	}
	q := &queryapi.API{
		Conn: conn, DORA: &dora.Calculator{Conn: conn, Benchmarks: benchmarks}, Waits: &waits.Calculator{Conn: conn},
		Timeout: 5 * time.Minute, Now: func() time.Time { return reviewtest.Now },
	}
	Register(srv, q)
	hs := httptest.NewServer(srv.Engine)
	t.Cleanup(hs.Close)
	f := &fixture{url: hs.URL}
	ctx := context.Background()
	for _, tk := range []struct {
		to    *string
		role  auth.Role
		teams []string
	}{{&f.admin, auth.RoleAdmin, nil}, {&f.payments, auth.RoleRead, []string{"payments"}}, {&f.write, auth.RoleIngest, nil}} {
		if *tk.to, _, err = tokens.Create(ctx, "test", tk.role, tk.teams); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

type response struct {
	status int
	header http.Header
	body   string
}

func (f *fixture) get(t *testing.T, client *http.Client, path, token string) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.url+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if client == nil {
		client = noRedirects(nil)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, string(b)}
}

func noRedirects(jar http.CookieJar) *http.Client {
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func TestWeeklyReviewEndpoints(t *testing.T) {
	f := newFixture(t)

	// Requests refused before any review is built.
	for _, tc := range []struct {
		name, path, token string
		status            int
		field, says       string
	}{
		{"no token", "/api/v1/reviews/weekly?team=payments", "", 401, "", "bearer token"},
		{"ingest token", "/api/v1/reviews/weekly?team=payments", "write", 403, "", `needs \"read\"`},
		{"team missing", "/api/v1/reviews/weekly?week=2026-W10", "payments", 400, "team", "is required"},
		{"week not ISO", "/api/v1/reviews/weekly?team=payments&week=2026-10", "payments", 400, "week", "not an ISO week such as 2026-W10"},
		{"week out of the year", "/api/v1/reviews/weekly?team=payments&week=2026-W54", "payments", 400, "week", "2026 has weeks 01 to 53"},
		{"week not started", "/api/v1/reviews/weekly?team=payments&week=2026-W12", "payments", 400, "week", "has not started yet; the last complete week is 2026-W10"},
		{"unknown parameter", "/api/v1/reviews/weekly?team=payments&from=2026-03-02T00:00:00Z", "payments", 400, "from", "not a parameter"},
		{"bad environment", "/api/v1/reviews/weekly?team=payments&environment=%00", "payments", 400, "environment", "must be"},
		{"another team's review", "/api/v1/reviews/weekly?team=search&week=2026-W10", "payments", 403, "team", "may not read team"},
		{"a team nobody knows", "/api/v1/reviews/weekly?team=nobody", "admin", 404, "team", `no team \"nobody\"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token := map[string]string{"payments": f.payments, "admin": f.admin, "write": f.write}[tc.token]
			res := f.get(t, nil, tc.path, token)
			var body server.ErrorBody
			_ = json.Unmarshal([]byte(res.body), &body)
			if res.status != tc.status || !strings.Contains(res.body, tc.says) {
				t.Fatalf("%d %s; want %d saying %q", res.status, res.body, tc.status, tc.says)
			}
			if tc.field != "" && (len(body.Details) == 0 || body.Details[0].Field != tc.field) {
				t.Errorf("details %+v do not name %s", body.Details, tc.field)
			}
		})
	}

	// The JSON served is the review the golden file holds; the week
	// defaults to the last complete one.
	t.Run("the last complete week by default, as the golden file has it", func(t *testing.T) {
		res := f.get(t, nil, "/api/v1/reviews/weekly?team=payments", f.payments)
		if res.status != 200 || !strings.HasPrefix(res.header.Get("Content-Type"), "application/json") {
			t.Fatalf("%d %s", res.status, res.body)
		}
		var got, want any
		if err := json.Unmarshal([]byte(res.body), &got); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile("../testdata/payments-" + reviewtest.Reviewed + ".golden.json")
		if err != nil {
			t.Fatal(err)
		}
		_ = json.Unmarshal(b, &want)
		for _, d := range append(deliverytest.Match(got, want), deliverytest.Match(want, got)...) {
			t.Error(d)
		}
	})
}

func TestWeeklyReviewPages(t *testing.T) {
	f := newFixture(t)

	t.Run("without a token a page asks to sign in", func(t *testing.T) {
		res := f.get(t, nil, "/reviews/weekly/payments/2026-W10", "")
		if res.status != 401 || !strings.Contains(res.body, `<form method="post" action="/reviews"`) ||
			!strings.Contains(res.body, `name="next" value="/reviews/weekly/payments/2026-W10"`) {
			t.Fatalf("%d %s", res.status, res.body)
		}
	})

	// A browser signs in, picks, and reads a review.
	jar, _ := cookiejar.New(nil)
	browser := noRedirects(jar)
	res, err := browser.PostForm(f.url+"/reviews", url.Values{"token": {f.payments}, "next": {"/reviews"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", res.StatusCode)
	}

	t.Run("the picker offers the token's teams and the weeks before now", func(t *testing.T) {
		res := f.get(t, browser, "/reviews", "")
		if res.status != 200 {
			t.Fatalf("%d %s", res.status, res.body)
		}
		for _, want := range []string{`<option value="payments">`, `<option value="2026-W10">`, `<option value="2025-W51">`, `href="/reviews/weekly/payments/2026-W10"`} {
			if !strings.Contains(res.body, want) {
				t.Errorf("picker lacks %s", want)
			}
		}
		for _, unwanted := range []string{`value="search"`, `value="2026-W11"`} {
			if strings.Contains(res.body, unwanted) {
				t.Errorf("picker offers %s", unwanted)
			}
		}
	})
	t.Run("picking sends the browser to the review", func(t *testing.T) {
		res := f.get(t, browser, "/reviews?team=payments&week=2026-W09", "")
		if res.status != http.StatusSeeOther || res.header.Get("Location") != "/reviews/weekly/payments/2026-W09" {
			t.Errorf("%d to %q", res.status, res.header.Get("Location"))
		}
	})
	for _, tc := range []struct {
		name, path string
		status     int
		says       string
	}{
		{"a week that is not one", "/reviews/weekly/payments/2026-10", 400, "not an ISO week"},
		{"another team", "/reviews/weekly/search/2026-W10", 403, `may not read team &#34;search&#34;`},
		{"a team given twice", "/reviews/weekly/payments/2026-W10?team=search", 400, "given more than once"},
	} {
		t.Run(tc.name+" is an error page", func(t *testing.T) {
			res := f.get(t, browser, tc.path, "")
			if res.status != tc.status || !strings.HasPrefix(res.header.Get("Content-Type"), "text/html") || !strings.Contains(res.body, tc.says) {
				t.Errorf("%d %s: %s", res.status, res.header.Get("Content-Type"), res.body)
			}
		})
	}
	t.Run("an empty week is a page that says so", func(t *testing.T) {
		res := f.get(t, browser, "/reviews/weekly/payments/"+reviewtest.Frozen, "")
		if res.status != 200 || !strings.Contains(res.body, "No deployments this week") {
			t.Fatalf("%d %s", res.status, res.body)
		}
		if csp := res.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("Content-Security-Policy %q", csp)
		}
	})
}
