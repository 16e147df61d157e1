package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/deploylens/deploylens/auth"
	"github.com/deploylens/deploylens/migrations"
	"github.com/deploylens/deploylens/store/storetest"
)

// pagesServer serves one page group, /pages, whose page says who is signed
// in, with real tokens stored in a fresh database.
func pagesServer(t *testing.T) (srv *httptest.Server, tokens *auth.Tokens) {
	t.Helper()
	st := storetest.Store(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := (&migrations.Migrator{Conn: st.Conn, Log: quiet}).Up(context.Background()); err != nil {
		t.Fatal(err)
	}
	tokens = auth.NewTokens(st.Conn, 0)
	s := New(Options{Authenticator: tokens, Logger: quiet})
	login := func(c *gin.Context, status int, problem string) {
		c.String(status, "LOGIN FORM "+problem)
	}
	pages := s.Pages("/pages", auth.RoleRead, login)
	pages.GET("", func(c *gin.Context) { c.String(http.StatusOK, "hello "+PrincipalOf(c).Name) })
	pages.POST("/change", func(c *gin.Context) { c.String(http.StatusOK, "changed") })
	s.Engine.POST("/pages", s.SignIn("/pages", auth.RoleRead, login))
	srv = httptest.NewServer(s.Engine)
	t.Cleanup(srv.Close)
	return srv, tokens
}

func TestPagesSignInWithAToken(t *testing.T) {
	srv, tokens := pagesServer(t)
	ctx := context.Background()
	read, _, err := tokens.Create(ctx, "alice", auth.RoleRead, []string{"payments"})
	if err != nil {
		t.Fatal(err)
	}
	ingest, _, err := tokens.Create(ctx, "pipeline", auth.RoleIngest, nil)
	if err != nil {
		t.Fatal(err)
	}
	revoked, tok, err := tokens.Create(ctx, "bob", auth.RoleRead, nil)
	if err != nil {
		t.Fatal(err)
	}

	// A browser with a cookie jar that does not follow redirects.
	browser := func() *http.Client {
		jar, _ := cookiejar.New(nil)
		return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	get := func(c *http.Client, path string, header ...string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if len(header) == 2 {
			req.Header.Set(header[0], header[1])
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	signIn := func(c *http.Client, token, next string) *http.Response {
		res, err := c.PostForm(srv.URL+"/pages", url.Values{"token": {token}, "next": {next}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}

	t.Run("no token gets the sign-in form", func(t *testing.T) {
		if code, body := get(browser(), "/pages"); code != http.StatusUnauthorized || body != "LOGIN FORM " {
			t.Errorf("%d %q", code, body)
		}
	})
	t.Run("a bearer header works as for the API", func(t *testing.T) {
		if code, body := get(browser(), "/pages", "Authorization", "Bearer "+read); code != http.StatusOK || body != "hello alice" {
			t.Errorf("%d %q", code, body)
		}
	})
	t.Run("signing in keeps the token for the pages and goes to next", func(t *testing.T) {
		c := browser()
		res := signIn(c, read, "/pages?team=payments")
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/pages?team=payments" {
			t.Fatalf("sign in: %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
		var cookie *http.Cookie
		for _, ck := range res.Cookies() {
			if ck.Name == SessionCookie {
				cookie = ck
			}
		}
		if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/pages" || cookie.MaxAge != 0 {
			t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/pages, for the session", cookie)
		}
		if code, body := get(c, "/pages"); code != http.StatusOK || body != "hello alice" {
			t.Errorf("after sign in: %d %q", code, body)
		}
	})
	t.Run("the cookie authorizes no change", func(t *testing.T) {
		c := browser()
		signIn(c, read, "")
		res, err := c.Post(srv.URL+"/pages/change", "text/plain", strings.NewReader(""))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("POST with the cookie: %d, want 401", res.StatusCode)
		}
	})
	t.Run("next never leads off the pages", func(t *testing.T) {
		for _, next := range []string{"https://evil.example/", "//evil.example/pages", "/pagesevil", "/other", `/pages\..\x`, "/pages//evil.example"} {
			if loc := signIn(browser(), read, next).Header.Get("Location"); loc != "/pages" {
				t.Errorf("next %q sent the browser to %q", next, loc)
			}
		}
	})
	for _, tc := range []struct {
		name, token string
		status      int
		problem     string
	}{
		{"an unknown token is refused", "dl-nope", http.StatusUnauthorized, "not valid"},
		{"a token without the role is refused", ingest, http.StatusForbidden, `role "ingest"`},
		{"no token at all", "  ", http.StatusBadRequest, "Give a token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := browser().PostForm(srv.URL+"/pages", url.Values{"token": {tc.token}})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tc.status || !strings.Contains(string(b), tc.problem) || len(res.Cookies()) != 0 {
				t.Errorf("%d %q %v, want %d saying %q and no cookie", res.StatusCode, b, res.Cookies(), tc.status, tc.problem)
			}
		})
	}
	t.Run("a revoked token sends the browser back to the form", func(t *testing.T) {
		c := browser()
		signIn(c, revoked, "")
		if err := tokens.Revoke(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		code, body := get(c, "/pages")
		if code != http.StatusUnauthorized || !strings.Contains(body, "no longer valid") {
			t.Errorf("%d %q", code, body)
		}
		if code, body := get(c, "/pages"); code != http.StatusUnauthorized || body != "LOGIN FORM " {
			t.Errorf("the stale cookie was not cleared: %d %q", code, body)
		}
	})
}
