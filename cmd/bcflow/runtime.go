package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"

	"github.com/bcflow/bcflow/api"
	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/devserver"
	"github.com/bcflow/bcflow/hooks"
	"github.com/bcflow/bcflow/schedules"
	"github.com/bcflow/bcflow/telemetry"
	"github.com/bcflow/bcflow/worker"
	"github.com/bcflow/bcflow/workflows"
)

// roles says which parts of bcflow a process runs.
type roles struct {
	worker    bool
	api       bool
	migrate   bool // apply database migrations at start (dev only)
	syncHooks bool // register the stores' webhooks at start (dev only)
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
	flows, err := loadFlows(cfg)
	if err != nil {
		return err
	}
	return serve(ctx, env, cfg, flows, roles{worker: true}, nil)
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
	flows, err := loadFlows(cfg)
	if err != nil {
		return err
	}
	return serve(ctx, env, cfg, flows, roles{api: true}, nil)
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
	flows, err := loadFlows(cfg)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("create data directory %s: %w", cfg.DataDir, err)
	}
	emu, err := startEmulator(cfg)
	if err != nil {
		return err
	}
	defer func() {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := emu.Shutdown(shutdownCtx); err != nil {
			fmt.Fprintf(env.stderr, "bcflow dev: %v\n", err)
		}
	}()
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
	sim := emu.BaseURL() + "/_sim/bigcommerce/" + cfg.BigCommerce.StoreHash
	banner := func(apiURL string) {
		fmt.Fprintf(env.stdout, `
bcflow dev is running (Ctrl-C stops it; state persists in %s)
  API            %s   (/healthz /readyz /metrics, webhooks, /api/v1 with token %q)
  Dashboard      %s/app/   (sign in with the same token)
  Temporal gRPC  %s   namespace %q, task queue %q
  Temporal UI    %s
  Emulator       %s/_sim/   (BigCommerce store %q + Brevo; hooks registered)
  Logs           bcflow on stderr, Temporal server in %s

Try it: a shopper leaves a cart, then watch CartRecovery in the UI:
  C=$(curl -s %s/carts -d '{"customer_id":1,"line_items":[{"sku":"TEE-M","quantity":2}]}' | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
  curl -s -X POST %s/carts/$C/abandon
  echo "open %s/namespaces/%s/workflows?query=BcCartId%%3D%%22$C%%22"
`, cfg.DataDir, apiURL, cfg.AdminToken.Reveal(), apiURL, ts.HostPort(), ts.Namespace(), cfg.TaskQueue, ts.UIURL(),
			emu.BaseURL(), cfg.BigCommerce.StoreHash, filepath.Join(cfg.DataDir, "temporal.log"), sim, sim, ts.UIURL(), ts.Namespace())
	}
	return serve(ctx, env, cfg, flows, roles{worker: true, api: true, migrate: true, syncHooks: true}, banner)
}

// serve runs the chosen roles until ctx is cancelled, then stops them in
// reverse order: HTTP first (no new events), then the worker, then the
// connections.
func serve(ctx context.Context, env *cliEnv, cfg *config.Config, flows *config.Flows, r roles, ready func(apiURL string)) error {
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
		acts, err := newActivities(cfg, st, flows, logger)
		if err != nil {
			return err
		}
		w := worker.New(c, cfg.TaskQueue, acts, worker.Options{RetryMaxInterval: cfg.RetryMaxInterval})
		if err := w.Start(); err != nil {
			return fmt.Errorf("start worker on task queue %q: %w", cfg.TaskQueue, err)
		}
		defer w.Stop()
		if r.syncHooks {
			for hash, bc := range acts.BigCommerce {
				rep, err := hooks.Sync(ctx, bc, acts.Hooks)
				if err != nil {
					return fmt.Errorf("register webhooks of store %s: %w", hash, err)
				}
				logger.Info("webhooks registered", "store", hash, "created", len(rep.Created), "repaired", len(rep.Reactivated)+len(rep.Updated))
			}
		}
		go ensureSchedules(ctx, c, cfg, logger)
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
	if r.api {
		if err := mountAPI(srv, cfg, flows, st, c, logger, metrics.Registry); err != nil {
			return err
		}
	}
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

// ensureSchedules creates or updates bcflow's Temporal Schedules, retrying
// until it succeeds or the process stops. It runs beside the worker rather
// than before it: right after a restart the server's scheduler may take a
// while to answer, and a worker must not wait for it to process tasks.
func ensureSchedules(ctx context.Context, c client.Client, cfg *config.Config, logger *slog.Logger) {
	for wait := time.Second; ; wait = min(2*wait, time.Minute) {
		attemptCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := schedules.EnsureSchedules(attemptCtx, c, cfg.TaskQueue, storeHashes(cfg))
		cancel()
		if err == nil {
			logger.Info("schedules ensured")
			return
		}
		logger.Warn("ensure schedules; retrying", "error", err.Error(), "retry_in", wait.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}
