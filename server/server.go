// Package server is deploylens' HTTP front: one gin engine that carries the
// health, metrics and documentation endpoints, authenticates API calls and
// hosts the routes that ingest and query register on it.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/deploylens/deploylens/auth"
)

// Options configure the server.
type Options struct {
	Addr    string
	Version string
	Logger  *slog.Logger
	// Authenticator checks bearer tokens.
	Authenticator Authenticator
	// Ready reports whether the server can serve (ClickHouse reachable and
	// schema current).
	Ready func(ctx context.Context) error
	// Registry receives the server's metrics; a new one if nil.
	Registry *prometheus.Registry
	// RateLimit is each API token's request budget (none if zero).
	RateLimit RateLimit
	// Timeouts bound slow clients; zero fields take DefaultTimeouts'.
	Timeouts Timeouts
}

// Authenticator turns a presented bearer token into a principal.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (auth.Principal, error)
}

// Server is the HTTP listener.
type Server struct {
	opt      Options
	log      *slog.Logger
	Engine   *gin.Engine
	Registry *prometheus.Registry
	http     *http.Server
	ln       net.Listener
	metrics  *httpMetrics
	limiter  *TokenLimiter
}

// New builds the server and its always-present routes.
func New(opt Options) *Server {
	gin.SetMode(gin.ReleaseMode)
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Registry == nil {
		opt.Registry = NewRegistry()
	}
	s := &Server{opt: opt, log: opt.Logger, Engine: gin.New(), Registry: opt.Registry}
	s.metrics = newHTTPMetrics(opt.Registry)
	s.limiter = NewTokenLimiter(opt.RateLimit, opt.Registry)
	s.Engine.ContextWithFallback = true
	// Match routes on the raw path, so an escaped slash inside one segment
	// (a GitHub change id like owner%2Frepo%23123) stays one parameter.
	s.Engine.UseRawPath = true
	s.Engine.HandleMethodNotAllowed = true
	s.Engine.Use(s.recoverer(), s.observe())
	s.Engine.NoRoute(func(c *gin.Context) {
		Error(c, http.StatusNotFound, "no such endpoint: "+c.Request.Method+" "+c.Request.URL.Path)
	})
	s.Engine.NoMethod(func(c *gin.Context) {
		Error(c, http.StatusMethodNotAllowed, "method "+c.Request.Method+" is not allowed on "+c.Request.URL.Path)
	})

	s.Engine.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok", "version": opt.Version}) })
	s.Engine.GET("/readyz", s.readyz)
	s.Engine.GET("/metrics", gin.WrapH(MetricsHandler(opt.Registry)))
	s.Engine.GET("/openapi.json", serveOpenAPI)
	s.Engine.GET("/docs", serveDocs)
	return s
}

func (s *Server) readyz(c *gin.Context) {
	if s.opt.Ready == nil {
		c.JSON(http.StatusOK, gin.H{"status": "ready"})
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	if err := s.opt.Ready(ctx); err != nil {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "not ready", "error": err.Error()})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

// API returns a route group under prefix whose handlers need a token with
// the given role (admin always passes).
func (s *Server) API(prefix string, role auth.Role) *gin.RouterGroup {
	return s.Engine.Group(prefix, s.authenticate(role))
}

// Limiter is the per-token rate limiter the API routes share, for other
// transports of the same tokens (OTLP/gRPC); nil when there is no limit.
func (s *Server) Limiter() *TokenLimiter { return s.limiter }

// principalKey is where the authenticated principal lives in a gin context.
const principalKey = "deploylens.principal"

// PrincipalOf returns the authenticated principal of a request.
func PrincipalOf(c *gin.Context) auth.Principal {
	p, _ := c.Get(principalKey)
	pr, _ := p.(auth.Principal)
	return pr
}

// RequireTeam answers 403 and returns false when the principal may not see team.
func RequireTeam(c *gin.Context, team string) bool {
	if PrincipalOf(c).CanSeeTeam(team) {
		return true
	}
	Error(c, http.StatusForbidden, fmt.Sprintf("this token may not read team %q", team), Detail{Field: "team", Message: "outside the token's team scope"})
	return false
}

func (s *Server) authenticate(role auth.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.GetHeader("Authorization")
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || strings.TrimSpace(token) == "" {
			c.Header("WWW-Authenticate", `Bearer realm="deploylens"`)
			Error(c, http.StatusUnauthorized, "missing bearer token: send Authorization: Bearer <token>")
			c.Abort()
			return
		}
		p, err := s.opt.Authenticator.Authenticate(c.Request.Context(), strings.TrimSpace(token))
		if err != nil {
			if errors.Is(err, auth.ErrUnauthenticated) {
				c.Header("WWW-Authenticate", `Bearer realm="deploylens", error="invalid_token"`)
				Error(c, http.StatusUnauthorized, "invalid or revoked bearer token")
			} else {
				s.log.Error("authenticate", "err", err)
				c.Header("Retry-After", "5")
				Error(c, http.StatusServiceUnavailable, "cannot check the token now: the store is unavailable")
			}
			c.Abort()
			return
		}
		if !s.limitToken(c, p.TokenID) {
			return
		}
		if !p.Can(role) {
			Error(c, http.StatusForbidden, fmt.Sprintf("this token has role %q; this endpoint needs %q", p.Role, role))
			c.Abort()
			return
		}
		c.Set(principalKey, p)
		c.Request = c.Request.WithContext(auth.WithPrincipal(c.Request.Context(), p))
		c.Next()
	}
}

func (s *Server) recoverer() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				s.log.Error("panic in handler", "path", c.FullPath(), "panic", r)
				if !c.Writer.Written() {
					Error(c, http.StatusInternalServerError, "internal error")
				}
				c.Abort()
			}
		}()
		c.Next()
	}
}

func (s *Server) observe() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		took := time.Since(start)
		s.metrics.observe(c.Request.Method, route, c.Writer.Status(), took)
		level := slog.LevelDebug
		if c.Writer.Status() >= 500 {
			level = slog.LevelWarn
		}
		s.log.Log(c.Request.Context(), level, "http", "method", c.Request.Method, "route", route,
			"status", c.Writer.Status(), "took_ms", took.Milliseconds(), "remote", c.ClientIP())
	}
}

// Listen binds the address; Serve then serves on it.
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.opt.Addr)
	if err != nil {
		return fmt.Errorf("listen on --http-addr %s: %w", s.opt.Addr, err)
	}
	s.ln = ln
	// Created here, not in Serve, so a Shutdown racing with Serve's start
	// still finds the server to stop.
	t := s.opt.Timeouts.orDefaults()
	s.http = &http.Server{
		Handler:           s.Engine,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
	}
	return nil
}

// Addr is the bound address (after Listen).
func (s *Server) Addr() string {
	if s.ln == nil {
		return s.opt.Addr
	}
	return s.ln.Addr().String()
}

// Serve serves until Shutdown.
func (s *Server) Serve() error {
	err := s.http.Serve(s.ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting requests and waits for in-flight ones.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.http == nil {
		return nil
	}
	return s.http.Shutdown(ctx)
}
