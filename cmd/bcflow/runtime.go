package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/api"
	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/devserver"
	"github.com/bcflow/bcflow/telemetry"
	"github.com/bcflow/bcflow/worker"
	"github.com/bcflow/bcflow/workflows"
)

// roles says which parts of bcflow a process runs.
type roles struct {
	worker  bool
	api     bool
	migrate bool // apply database migrations at start (dev only)
}

func temporalSearch(updates ...temporal.SearchAttributeUpdate) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(updates...)
}

// dialTemporal connects to cfg's Temporal; logger and metrics may be nil.
func dialTemporal(ctx context.Context, cfg *config.Config, logger *slog.Logger, metrics *telemetry.Metrics) (client.Client, error) {
	opts := client.Options{HostPort: cfg.TemporalAddress, Namespace: cfg.TemporalNamespace}
	if logger != nil {
		opts.Logger = sdklog.NewStructuredLogger(logger.With("component", "temporal-sdk"))
	} else {
		opts.Logger = sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))
	}
	if metrics != nil {
		opts.MetricsHandler = metrics.TemporalHandler()
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s (set TEMPORAL_ADDRESS): %w", cfg.TemporalAddress, err)
	}
	return c, nil
}

func runWorker(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "worker", "worker\n\nRuns bcflow's Temporal worker against TEMPORAL_ADDRESS and DATABASE_URL (PostgreSQL in production),\nand serves /healthz, /readyz and /metrics on BCFLOW_HTTP_ADDR.")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	cfg, err := loadConfig(config.ModeWorker)
	if err != nil {
		return err
	}
	if _, err := loadFlows(cfg); err != nil {
		return err
	}
	return serve(ctx, env, cfg, roles{worker: true}, nil)
}

func runAPI(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "api", "api\n\nRuns bcflow's HTTP API on BCFLOW_HTTP_ADDR against TEMPORAL_ADDRESS and DATABASE_URL.")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	cfg, err := loadConfig(config.ModeAPI)
	if err != nil {
		return err
	}
	if _, err := loadFlows(cfg); err != nil {
		return err
	}
	return serve(ctx, env, cfg, roles{api: true}, nil)
}

func runDev(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "dev", "dev\n\nRuns everything in one process on local defaults: an embedded Temporal server with a\npersistent SQLite file and the Temporal UI, the worker and the HTTP API.\nState lives in BCFLOW_DATA_DIR (default .bcflow); a restart resumes sleeping workflows.")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	cfg, err := loadConfig(config.ModeDev)
	if err != nil {
		return err
	}
	if _, err := loadFlows(cfg); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "bcflow dev: starting Temporal (data in %s)...\n", cfg.DataDir)
	ts, err := devserver.Start(ctx, devserver.Options{
		DatabaseFile:     filepath.Join(cfg.DataDir, "temporal.db"),
		FrontendPort:     cfg.Dev.TemporalPort,
		UIPort:           cfg.Dev.UIPort,
		Namespace:        cfg.TemporalNamespace,
		SearchAttributes: workflows.SearchAttributes(),
		LogFile:          filepath.Join(cfg.DataDir, "temporal.log"),
	})
	if err != nil {
		return err
	}
	defer func() {
		if err := ts.Stop(); err != nil {
			fmt.Fprintf(env.stderr, "bcflow dev: %v\n", err)
		}
	}()
	cfg.TemporalAddress = ts.HostPort()
	banner := func(apiURL string) {
		fmt.Fprintf(env.stdout, `
bcflow dev is running (Ctrl-C stops it; state persists in %s)
  API            %s   (/healthz /readyz /metrics)
  Temporal gRPC  %s   namespace %q, task queue %q
  Temporal UI    %s
  Logs           bcflow on stderr, Temporal server in %s

Try it:  go run ./cmd/bcflow doctor && open %s/namespaces/%s/workflows
`, cfg.DataDir, apiURL, ts.HostPort(), ts.Namespace(), cfg.TaskQueue, ts.UIURL(),
			filepath.Join(cfg.DataDir, "temporal.log"), ts.UIURL(), ts.Namespace())
	}
	return serve(ctx, env, cfg, roles{worker: true, api: true, migrate: true}, banner)
}

// serve runs the chosen roles until ctx is cancelled, then stops them in
// reverse order: HTTP first (no new events), then the worker, then the
// connections.
func serve(ctx context.Context, env *cliEnv, cfg *config.Config, r roles, ready func(apiURL string)) error {
	logger, err := telemetry.NewLogger(env.stderr, cfg.LogLevel)
	if err != nil {
		return usagef("%v", err)
	}
	metrics, err := telemetry.NewMetrics()
	if err != nil {
		return err
	}
	defer metrics.Close()

	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if r.migrate {
		if _, err := st.Migrate(ctx); err != nil {
			return fmt.Errorf("migrate database: %w", err)
		}
	}
	c, err := dialTemporal(ctx, cfg, logger, metrics)
	if err != nil {
		return err
	}
	defer c.Close()

	if r.worker {
		w := worker.New(c, cfg.TaskQueue, &activities.Activities{Store: st}, worker.Options{})
		if err := w.Start(); err != nil {
			return fmt.Errorf("start worker on task queue %q: %w", cfg.TaskQueue, err)
		}
		defer w.Stop()
	}

	l, err := listen(cfg.HTTPAddr, "BCFLOW_HTTP_ADDR")
	if err != nil {
		return err
	}
	srv := api.New(api.Options{
		Logger:  logger,
		Metrics: metrics.HTTPHandler(),
		Checks: []api.Check{
			{Name: "temporal", Probe: func(ctx context.Context) error {
				_, err := c.CheckHealth(ctx, &client.CheckHealthRequest{})
				return err
			}},
			{Name: "database", Probe: st.Ping},
		},
	})
	apiURL := "http://" + l.Addr().String()
	logger.Info("bcflow started", "worker", r.worker, "api", r.api, "http", apiURL,
		"temporal", cfg.TemporalAddress, "namespace", cfg.TemporalNamespace, "task_queue", cfg.TaskQueue, "database", st.Dialect())
	if ready != nil {
		ready(apiURL)
	}
	err = srv.Serve(ctx, l)
	logger.Info("bcflow stopping")
	return err
}
