package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/emulator"
	"github.com/bcflow/bcflow/emulator/bcemu"
	"github.com/bcflow/bcflow/emulator/brevoemu"
	"github.com/bcflow/bcflow/hooks"
	"github.com/bcflow/bcflow/starter"
	"github.com/bcflow/bcflow/telemetry"
)

func runSim(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "sim", "sim [-addr 127.0.0.1:8090] [-snapshot DIR]\n\nRuns the BigCommerce + Brevo emulator on its own and prints its URLs and the seeded store's credentials.\nIts control API (/_sim/) scripts shoppers: see emulator/bcemu/doc.go.")
	addr := fs.String("addr", "", "listen address (default BCFLOW_DEV_EMULATOR_ADDR)")
	snapshot := fs.String("snapshot", "", "directory for state snapshots (loaded at start, saved at stop)")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	cfg, err := loadConfig(config.ModeSim)
	if err != nil {
		return err
	}
	if *addr == "" {
		*addr = cfg.Dev.EmulatorAddr
	}
	opts := emulator.Options{}
	if *snapshot != "" {
		opts.BigCommerce = bcemu.Options{SnapshotPath: filepath.Join(*snapshot, "emulator-bigcommerce.json")}
		opts.Brevo = brevoemu.Options{SnapshotPath: filepath.Join(*snapshot, "emulator-brevo.json")}
	}
	emu, err := emulator.New(opts)
	if err != nil {
		return err
	}
	base, err := emu.Start(*addr)
	if err != nil {
		emu.Close()
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	idx, _ := json.MarshalIndent(emu.Index(base), "", "  ")
	fmt.Fprintf(env.stdout, "bcflow sim: emulator at %s (Ctrl-C stops it)\n  BigCommerce API  %s/stores/{hash}/v3/...\n  Brevo API        %s/v3/...\n  Control API      %s/_sim/\n\n%s\n", base, base, base, base, idx)
	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return emu.Shutdown(shutdownCtx)
}

func runHooks(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "hooks", "hooks sync|status\n\n  sync    registers the webhooks bcflow needs on the store (BCFLOW_PUBLIC_URL/webhooks/bigcommerce, secret header),\n          re-activates inactive ones and removes stale ones of bcflow's own\n  status  lists the store's hooks to bcflow\nA Temporal Schedule (created by the worker) runs the same reconciliation hourly.")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 || (fs.Arg(0) != "sync" && fs.Arg(0) != "status") {
		fs.Usage()
		return usagef("want `bcflow hooks sync` or `bcflow hooks status`")
	}
	cfg, err := loadConfig(config.ModeTool)
	if err != nil {
		return err
	}
	var missing []string
	if cfg.BigCommerce.StoreHash == "" {
		missing = append(missing, "BCFLOW_BC_STORE_HASH")
	}
	if !cfg.BigCommerce.AccessToken.IsSet() {
		missing = append(missing, "BCFLOW_BC_ACCESS_TOKEN")
	}
	if fs.Arg(0) == "sync" && !cfg.WebhookSecret.IsSet() {
		missing = append(missing, "BCFLOW_WEBHOOK_SECRET")
	}
	if len(missing) > 0 {
		return usagef("config: %s required for hooks %s", strings.Join(missing, ", "), fs.Arg(0))
	}
	logger, err := telemetry.NewLogger(env.stderr, cfg.LogLevel)
	if err != nil {
		return usagef("%v", err)
	}
	bcs, err := bigCommerceClients(cfg, logger)
	if err != nil {
		return err
	}
	bc := bcs[cfg.BigCommerce.StoreHash]
	spec := hookSpec(cfg)
	if fs.Arg(0) == "sync" {
		rep, err := hooks.Sync(ctx, bc, spec)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "store %s -> %s\n  created %d, reactivated %d, updated %d, deleted %d, unchanged %d\n", cfg.BigCommerce.StoreHash, spec.Destination,
			len(rep.Created), len(rep.Reactivated), len(rep.Updated), len(rep.Deleted), len(rep.Unchanged))
		return nil
	}
	list, err := hooks.List(ctx, bc, spec.Destination)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "ID\tSCOPE\tACTIVE\tDESTINATION\n")
	for _, h := range list {
		fmt.Fprintf(tw, "%d\t%s\t%v\t%s\n", h.ID, h.Scope, h.IsActive, h.Destination)
	}
	return tw.Flush()
}

func runStart(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "start", "start [-store HASH] SCOPE ID [KEY=VALUE...]\n\nStarts or signals the workflow a BigCommerce event concerns, exactly as the webhook would, for manual\nstarts and replays. Extra data fields as KEY=VALUE: token=..., orderId=..., new_status_id=..., previous_status_id=...\nExamples:\n  bcflow start store/cart/abandoned 3f1c... token=abc\n  bcflow start store/order/statusUpdated 120 previous_status_id=11 new_status_id=10")
	storeHash := fs.String("store", "", "store hash (default BCFLOW_BC_STORE_HASH)")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() < 2 {
		fs.Usage()
		return usagef("want SCOPE and ID")
	}
	cfg, err := loadConfig(config.ModeTool)
	if err != nil {
		return err
	}
	if *storeHash == "" {
		*storeHash = cfg.BigCommerce.StoreHash
	}
	if *storeHash == "" {
		return usagef("no store: pass -store or set BCFLOW_BC_STORE_HASH")
	}
	data := map[string]any{"id": fs.Arg(1)}
	status := map[string]any{}
	for _, kv := range fs.Args()[2:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return usagef("%q is not KEY=VALUE", kv)
		}
		switch k {
		case "previous_status_id", "new_status_id":
			n, err := strconv.Atoi(v)
			if err != nil {
				return usagef("%s must be a number", k)
			}
			status[k] = n
		default:
			data[k] = v
		}
	}
	if len(status) > 0 {
		data["status"] = status
	}
	// store_id is not read past validation; any positive id will do.
	body, _ := json.Marshal(map[string]any{"scope": fs.Arg(0), "store_id": "1", "producer": "stores/" + *storeHash,
		"created_at": time.Now().Unix(), "data": data})
	ev, err := starter.ParseEvent(body)
	if err != nil {
		return usagef("%v", err)
	}
	c, err := dialTemporal(ctx, cfg, nil, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	st := starter.New(c, cfg.TaskQueue)
	if !st.Supports(ev.Scope) {
		return usagef("bcflow does not act on scope %q", ev.Scope)
	}
	res, err := st.Dispatch(ctx, ev)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "%s %s %s\n", res.Action, res.WorkflowID, res.RunID)
	return nil
}
