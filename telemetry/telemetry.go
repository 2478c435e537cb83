// Package telemetry sets up what bcflow reports about itself: structured
// JSON logs through log/slog and Prometheus metrics, including the Temporal
// SDK's own metrics (through its tally contrib), on one registry that the
// HTTP API serves at /metrics.
package telemetry

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
)

// Metrics owns the Prometheus registry of one bcflow process.
type Metrics struct {
	// Registry holds bcflow's and the Temporal SDK's metrics.
	Registry *prometheus.Registry
	scope    tally.Scope
	closer   io.Closer
}

// NewMetrics creates a registry with Go runtime and process collectors and a
// tally scope that reports into it every second.
func NewMetrics() (*Metrics, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, fmt.Errorf("telemetry: register go collector: %w", err)
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, fmt.Errorf("telemetry: register process collector: %w", err)
	}
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer:      reg,
		OnRegisterError: func(error) {},
	})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
		Prefix:          "bcflow",
	}, time.Second)
	return &Metrics{Registry: reg, scope: sdktally.NewPrometheusNamingScope(scope), closer: closer}, nil
}

// TemporalHandler is the metrics handler to set on client.Options so the
// SDK's client and worker metrics land in Registry.
func (m *Metrics) TemporalHandler() client.MetricsHandler {
	return sdktally.NewMetricsHandler(m.scope)
}

// HTTPHandler serves Registry in the Prometheus text format.
func (m *Metrics) HTTPHandler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// Close flushes and stops the tally reporter.
func (m *Metrics) Close() error { return m.closer.Close() }

// NewLogger returns a JSON slog.Logger writing to w at the named level
// (debug, info, warn or error).
func NewLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToLower(level))); err != nil {
		return nil, fmt.Errorf("telemetry: log level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})), nil
}
