package deploylenstest

import (
	"net/http"
	"strings"
	"testing"
)

// RequireServed skips the test, saying why, when the server has no route
// for path: query endpoints the plugin calls that this deploylens does
// not serve yet.
func (s *Server) RequireServed(tb testing.TB, path string) {
	tb.Helper()
	code, body := s.Do(tb, http.MethodGet, path, nil)
	if code == http.StatusNotFound && strings.Contains(string(body), "no such endpoint") {
		route, _, _ := strings.Cut(path, "?")
		tb.Skipf("this deploylens does not serve GET %s, which the plugin calls (see plugin/README.md, \"Endpoints the plugin expects\")", route)
	}
}
