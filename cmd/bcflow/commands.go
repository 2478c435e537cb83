package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/devserver"
	"github.com/bcflow/bcflow/store"
	"github.com/bcflow/bcflow/workflows"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

// newFlags makes a flag set whose -h prints the summary and the flags.
func newFlags(env *cliEnv, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("bcflow "+name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "Usage: bcflow %s\n\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; -h is a success (help was printed), any other
// problem a usage error.
func parseFlags(fs *flag.FlagSet, args []string) (help bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return false, usagef("%v", err)
	}
	return false, nil
}

// loadConfig reads the environment for mode; every problem is a usage error
// (exit code 2) naming the variable.
func loadConfig(mode config.Mode) (*config.Config, error) {
	cfg, err := config.Load(mode)
	if err != nil {
		return nil, usagef("%s", oneLine(err))
	}
	return cfg, nil
}

// loadFlows reads and validates the configured flows file.
func loadFlows(cfg *config.Config) (*config.Flows, error) {
	flows, err := cfg.Flows()
	if err != nil {
		return nil, usagef("%s", oneLine(err))
	}
	return flows, nil
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

func runVersion(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "version", "version")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	v := version
	sdk := "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = info.Main.Version
		}
		for _, d := range info.Deps {
			if d.Path == "go.temporal.io/sdk" {
				sdk = d.Version
			}
		}
	}
	if v == "" || v == "(devel)" {
		v = "dev"
	}
	fmt.Fprintf(env.stdout, "bcflow %s (temporal sdk %s)\n", v, sdk)
	return nil
}

func runConfig(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "config", "config [-mode "+modeList("|")+"]\n\nPrints every setting bcflow reads from the environment, as the mode runs with it\n(dev: the emulator's store, URLs and dev secrets); secrets print as [redacted].")
	mode := fs.String("mode", "dev", "mode whose defaults and required variables apply: "+modeList(", "))
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	cfg, err := loadConfig(config.Mode(*mode))
	if err != nil {
		return err
	}
	if config.Mode(*mode) == config.ModeDev {
		applyDevDefaultsUnstarted(cfg)
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tVALUE\tDESCRIPTION")
	for _, s := range cfg.Describe() {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, s.Value, s.Description)
	}
	return tw.Flush()
}

// modeList joins config.Modes, the one list of modes, with sep.
func modeList(sep string) string {
	names := make([]string, len(config.Modes))
	for i, m := range config.Modes {
		names[i] = string(m)
	}
	return strings.Join(names, sep)
}

func runFlows(_ context.Context, env *cliEnv, args []string) error {
	usage := "flows check FILE\n\nValidates a flows file without starting anything; every problem is printed with its line."
	fs := newFlags(env, "flows", usage)
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) != 2 || rest[0] != "check" {
		fs.Usage()
		return usagef("want `bcflow flows check FILE`")
	}
	flows, err := config.LoadFlows(rest[1])
	if err != nil {
		var fe *config.FlowsError
		if errors.As(err, &fe) {
			for _, p := range fe.Problems {
				fmt.Fprintf(env.stderr, "%s:%d: %s: %s\n", rest[1], p.Line, p.Path, p.Message)
			}
			return usagef("%s: %d problem(s)", rest[1], len(fe.Problems))
		}
		return usagef("%s", oneLine(err))
	}
	fmt.Fprintf(env.stdout, "%s: ok (%d store override(s))\n", rest[1], len(flows.Stores()))
	return nil
}

func runMigrate(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "migrate", "migrate [-temporal]\n\nApplies the embedded database migrations to DATABASE_URL; running it twice is a no-op.")
	withTemporal := fs.Bool("temporal", false, "also register bcflow's search attributes on TEMPORAL_ADDRESS/TEMPORAL_NAMESPACE")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	cfg, err := loadConfig(config.ModeTool)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	applied, err := st.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	fmt.Fprintf(env.stdout, "database (%s): %d migration(s) applied\n", st.Dialect(), len(applied))
	if !*withTemporal {
		return nil
	}
	c, err := dialTemporal(ctx, cfg, nil, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := devserver.EnsureSearchAttributes(ctx, c, cfg.TemporalNamespace, workflows.SearchAttributes()); err != nil {
		return fmt.Errorf("register search attributes: %w", err)
	}
	fmt.Fprintf(env.stdout, "temporal (%s/%s): search attributes registered\n", cfg.TemporalAddress, cfg.TemporalNamespace)
	return nil
}

func runDoctor(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "doctor", "doctor [-timeout 30s]\n\nStarts a Diagnostics workflow on the configured Temporal and waits for a worker to run it: proves Temporal, the worker and its database work together.")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for a worker")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	cfg, err := loadConfig(config.ModeTool)
	if err != nil {
		return err
	}
	c, err := dialTemporal(ctx, cfg, nil, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	probe := fmt.Sprintf("doctor-%d", time.Now().UnixNano())
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:        workflows.DiagnosticsID(probe),
		TaskQueue: cfg.TaskQueue,
		TypedSearchAttributes: temporalSearch(
			workflows.SearchFlow.ValueSet("diagnostics"),
		),
	}, workflows.DiagnosticsWorkflowName, workflows.DiagnosticsInput{Probe: probe})
	if err != nil {
		return fmt.Errorf("start diagnostics workflow: %w", err)
	}
	var res workflows.DiagnosticsResult
	if err := run.Get(ctx, &res); err != nil {
		return fmt.Errorf("diagnostics workflow %s (is a worker polling task queue %q?): %w", run.GetID(), cfg.TaskQueue, err)
	}
	if res.Probe != probe {
		return fmt.Errorf("diagnostics: database returned probe %q, want %q", res.Probe, probe)
	}
	fmt.Fprintf(env.stdout, "ok: workflow %s ran on task queue %q; the worker's %s database round-tripped the probe\n", run.GetID(), cfg.TaskQueue, res.StoreDialect)
	return nil
}

func openStore(ctx context.Context, cfg *config.Config) (*store.Store, error) {
	if strings.HasPrefix(cfg.DatabaseURL.Reveal(), "sqlite:") {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("create data directory %s: %w", cfg.DataDir, err)
		}
	}
	st, err := store.Open(ctx, cfg.DatabaseURL.Reveal())
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return st, nil
}

// listen opens addr, with a message that says which setting to change.
func listen(addr, setting string) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (set %s to change it): %w", addr, setting, err)
	}
	return l, nil
}

func runHealthcheck(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "healthcheck", "healthcheck [-timeout 3s] URL\n\nExits 0 when URL answers 200, 1 otherwise; the container images have no curl.")
	timeout := fs.Duration("timeout", 3*time.Second, "request timeout")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want exactly one URL")
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fs.Arg(0), nil)
	if err != nil {
		return usagef("bad URL %q: %v", fs.Arg(0), err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", fs.Arg(0), err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", fs.Arg(0), resp.StatusCode)
	}
	return nil
}
