// Package api is bcflow's HTTP surface (gin): health and readiness probes,
// Prometheus metrics, and, as they land, the webhook receiver and the
// admin API. It only translates HTTP; decisions live elsewhere.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// DefaultMaxBodyBytes bounds request bodies (BigCommerce webhooks are a
// few hundred bytes; 1 MiB leaves room for admin requests).
const DefaultMaxBodyBytes = 1 << 20

// Check is one readiness dependency, for example Temporal or the database.
type Check struct {
	// Name appears in /readyz's body.
	Name string
	// Probe returns nil when the dependency is reachable.
	Probe func(ctx context.Context) error
}

// Options configure a Server.
type Options struct {
	// Logger receives one JSON line per request; required.
	Logger *slog.Logger
	// Metrics serves GET /metrics; nil answers 404.
	Metrics http.Handler
	// Checks are run by GET /readyz.
	Checks []Check
	// MaxBodyBytes bounds request bodies; default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// ReadyTimeout bounds each readiness probe; default 2 s.
	ReadyTimeout time.Duration
}

// Server is bcflow's HTTP API.
type Server struct {
	opts   Options
	engine *gin.Engine
}

// New builds the router with its middleware and routes.
func New(opts Options) *Server {
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.ReadyTimeout == 0 {
		opts.ReadyTimeout = 2 * time.Second
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	s := &Server{opts: opts, engine: e}
	e.Use(requestID(), accessLog(opts.Logger), recoverJSON(opts.Logger), limitBody(opts.MaxBodyBytes))
	e.NoRoute(func(c *gin.Context) {
		AbortError(c, http.StatusNotFound, "not_found", "no route for "+c.Request.Method+" "+c.Request.URL.Path)
	})
	e.NoMethod(func(c *gin.Context) {
		AbortError(c, http.StatusMethodNotAllowed, "method_not_allowed", c.Request.Method+" is not allowed on "+c.Request.URL.Path)
	})
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	if opts.Metrics != nil {
		e.GET("/metrics", gin.WrapH(opts.Metrics))
	}
	return s
}

// Handler returns the router, for tests and for embedding.
func (s *Server) Handler() http.Handler { return s.engine }

// Engine exposes the gin router so other packages' routes can be mounted.
func (s *Server) Engine() *gin.Engine { return s.engine }

// Serve answers on l until ctx is cancelled, then shuts down gracefully,
// letting in-flight requests finish for up to 10 seconds.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{
		Handler:           s.engine,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("api: serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("api: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("api: serve: %w", err)
	}
	return nil
}

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

func (s *Server) readyz(c *gin.Context) {
	results := make(map[string]string, len(s.opts.Checks))
	ready := true
	for _, chk := range s.opts.Checks {
		ctx, cancel := context.WithTimeout(c.Request.Context(), s.opts.ReadyTimeout)
		err := chk.Probe(ctx)
		cancel()
		if err != nil {
			ready = false
			results[chk.Name] = "unavailable"
			s.opts.Logger.WarnContext(c.Request.Context(), "readiness check failed", "check", chk.Name, "error", err.Error())
			continue
		}
		results[chk.Name] = "ok"
	}
	if !ready {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "checks": results})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "checks": results})
}
