package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/deploylens/deploylens/auth"
)

// SessionCookie keeps a browser's API token for the server's HTML pages. A
// browser that follows a link sends no bearer header, so a person signs in
// once with a form (SignIn) and the pages read the token from this cookie.
const SessionCookie = "deploylens_session"

// LoginPage answers a page request that carries no usable token, usually
// with a sign-in form; problem says what was wrong ("" when no token was
// given at all).
type LoginPage func(c *gin.Context, status int, problem string)

// Pages returns a route group under prefix for HTML pages that need a token
// with role. A page request may carry its token as an API call does, or in
// SessionCookie for GET and HEAD only, so that the cookie never authorizes
// a change; SignIn sets it SameSite=Strict, so no other site's page makes
// the browser send it. A request without a usable token gets login instead
// of the API's JSON 401. Role, team scope and rate limit are then checked
// exactly as for the API.
func (s *Server) Pages(prefix string, role auth.Role, login LoginPage) *gin.RouterGroup {
	return s.Engine.Group(prefix, s.sessionToken(prefix, login), s.authenticate(role))
}

// sessionToken presents the cookie's token to authenticate as a bearer
// token, after checking it here so that a revoked one leads to the sign-in
// form (the token cache makes the second check free).
func (s *Server) sessionToken(prefix string, login LoginPage) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.GetHeader("Authorization") != "" {
			return
		}
		token, err := c.Cookie(SessionCookie)
		if err != nil || token == "" || (c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead) {
			login(c, http.StatusUnauthorized, "")
			c.Abort()
			return
		}
		if _, err := s.opt.Authenticator.Authenticate(c.Request.Context(), token); errors.Is(err, auth.ErrUnauthenticated) {
			forget(c, prefix)
			login(c, http.StatusUnauthorized, "The token this browser signed in with is no longer valid: sign in again.")
			c.Abort()
			return
		}
		c.Request.Header.Set("Authorization", "Bearer "+token)
	}
}

// maxSignInBody bounds a sign-in form.
const maxSignInBody = 16 << 10

// SignIn handles the sign-in form of the pages under prefix: it checks the
// form's token and its role, keeps the token in SessionCookie for this
// browser session, and sends the browser (303) to the form's next page, if
// that is one of the prefix's pages, else to prefix.
func (s *Server) SignIn(prefix string, role auth.Role, login LoginPage) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxSignInBody)
		token := strings.TrimSpace(c.PostForm("token"))
		if token == "" {
			login(c, http.StatusBadRequest, "Give a token.")
			return
		}
		p, err := s.opt.Authenticator.Authenticate(c.Request.Context(), token)
		switch {
		case errors.Is(err, auth.ErrUnauthenticated):
			login(c, http.StatusUnauthorized, "That token is not valid, or was revoked.")
			return
		case err != nil:
			s.log.Error("sign in", "err", err)
			c.Header("Retry-After", "5")
			login(c, http.StatusServiceUnavailable, "Cannot check the token now: the store is unavailable. Try again in a moment.")
			return
		case !p.Can(role):
			login(c, http.StatusForbidden, fmt.Sprintf("That token has role %q; these pages need %q.", p.Role, role))
			return
		}
		http.SetCookie(c.Writer, &http.Cookie{
			Name: SessionCookie, Value: token, Path: prefix,
			HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: isHTTPS(c),
		})
		next := c.PostForm("next")
		if !isPageOf(next, prefix) {
			next = prefix
		}
		c.Redirect(http.StatusSeeOther, next)
	}
}

// isPageOf reports whether next is a path of the pages under prefix, and
// not a way off the server (//host, a scheme, a backslash).
func isPageOf(next, prefix string) bool {
	rest, ok := strings.CutPrefix(next, prefix)
	return ok && (rest == "" || rest[0] == '/' || rest[0] == '?') &&
		!strings.Contains(next, "//") && !strings.ContainsAny(next, "\\\r\n\t")
}

func isHTTPS(c *gin.Context) bool {
	return c.Request.TLS != nil || strings.EqualFold(c.GetHeader("X-Forwarded-Proto"), "https")
}

func forget(c *gin.Context, path string) {
	http.SetCookie(c.Writer, &http.Cookie{Name: SessionCookie, Value: "", Path: path, MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}
