package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bcflow/bcflow/api"
	"github.com/bcflow/bcflow/starter"
	"github.com/bcflow/bcflow/workflows"
)

// syncPath is the admin API route of a store's syncs.
func syncPath(storeHash string) string {
	return "/api/v1/stores/" + url.PathEscape(storeHash) + "/sync"
}

// syncCallTimeout bounds one admin API call of `bcflow sync`, so a stalled
// server cannot hang the watch.
const syncCallTimeout = 30 * time.Second

// syncGiveUp is how long the watch keeps polling an admin API that does not
// answer before it gives up (the sync itself goes on).
const syncGiveUp = time.Minute

// syncFlags are `bcflow sync`'s flags.
type syncFlags struct {
	store, resources, kind, url string
	importLoyalty, noWait       bool
	watch                       bool
	interval                    time.Duration
}

// runSync starts, watches, shows and cancels store syncs through the admin
// API.
func runSync(ctx context.Context, env *cliEnv, args []string) error {
	usage := "sync historical|manual|status|cancel [-store HASH] [-resources a,b] [-import-loyalty] [-kind K] [-watch] [-no-wait] [-interval D] [-url URL]\n\n" +
		"Copies the store's categories, products, customers and orders into bcflow's mirror and Brevo, through the admin API\n" +
		"(/api/v1/stores/{store}/sync, bearer BCFLOW_ADMIN_TOKEN) of the bcflow at BCFLOW_HTTP_ADDR.\n\n" +
		"  historical  the whole store since its beginning (fires no automation); watches it until it finishes\n" +
		"  manual      what changed since the last successful sync; watches it until it finishes\n" +
		"  status      prints each kind's latest sync once (-watch: follows a running one until it finishes)\n" +
		"  cancel      cancels the running historical and manual syncs (-kind: that kind only)\n\n" +
		"In a terminal the progress is redrawn in place; otherwise it is printed as lines, at most one per resource\n" +
		"every few seconds. Exit code: 0 when the sync completed, 1 when it failed or was cancelled, 2 on usage errors."
	fs := newFlags(env, "sync", usage)
	var f syncFlags
	fs.StringVar(&f.store, "store", "", "store hash (default BCFLOW_BC_STORE_HASH)")
	fs.StringVar(&f.resources, "resources", "", "only these resources, comma-separated: "+strings.Join(starter.SyncResources, ","))
	fs.BoolVar(&f.importLoyalty, "import-loyalty", false, "historical only: award loyalty points for past orders (idempotent per order)")
	fs.StringVar(&f.kind, "kind", "", "status and cancel: only this kind ("+strings.Join(workflows.SyncKinds, ", ")+")")
	fs.BoolVar(&f.watch, "watch", false, "status: follow a running sync until it finishes")
	fs.BoolVar(&f.noWait, "no-wait", false, "historical and manual: start the sync and return without watching it")
	fs.DurationVar(&f.interval, "interval", time.Second, "how often to poll the progress while watching")
	fs.StringVar(&f.url, "url", "", "base URL of the bcflow API (default http://BCFLOW_HTTP_ADDR)")
	action, help, err := parseActionFlags(env, fs, args)
	if help || err != nil {
		return err
	}
	if err := f.check(action); err != nil {
		return err
	}
	storeHash, admin, err := storeAdmin(f.store, f.url)
	if err != nil {
		return err
	}
	f.store = storeHash
	w := syncWatcher{admin: admin, out: env.stdout, terminal: env.terminal, interval: f.interval, store: f.store}
	switch action {
	case "status":
		if f.watch {
			return w.watchRunning(ctx, f.kind)
		}
		return w.status(ctx, f.kind)
	case "cancel":
		return w.cancel(ctx, f.kind)
	}
	req := api.SyncRequest{Kind: action, Resources: f.resourceList(), ImportLoyalty: f.importLoyalty}
	conflict := fmt.Errorf("a %s sync of %s is already running: watch it with `bcflow sync status -watch -kind %s`, or cancel it with `bcflow sync cancel -kind %s`", action, f.store, action, action)
	if err := admin.start(ctx, env.stdout, syncPath(f.store), req, conflict); err != nil {
		return err
	}
	if f.noWait {
		fmt.Fprintf(env.stdout, "watch it with `bcflow sync status -watch -kind %s`\n", action)
		return nil
	}
	return w.watch(ctx, action)
}

// check validates the action and which flags go with it; errors are usage
// errors.
func (f *syncFlags) check(action string) error {
	switch action {
	case workflows.SyncHistorical, workflows.SyncManual:
		if f.kind != "" || f.watch {
			return usagef("-kind and -watch go with status and cancel; the action is the kind (see bcflow sync -h)")
		}
		in := workflows.StoreSyncInput{StoreHash: "x", Kind: action, Resources: f.resourceList(), ImportLoyalty: f.importLoyalty}
		if err := starter.CheckSyncInput(in); err != nil {
			if pe, ok := errors.AsType[*starter.ParseError](err); ok {
				return usagef("-%s: %s", strings.ReplaceAll(pe.Field, "_", "-"), pe.Message)
			}
			return usagef("%v", err)
		}
	case "status", "cancel":
		if f.resources != "" || f.importLoyalty || f.noWait {
			return usagef("-resources, -import-loyalty and -no-wait go with historical and manual (see bcflow sync -h)")
		}
		if f.watch && action == "cancel" {
			return usagef("-watch goes with status (see bcflow sync -h)")
		}
		if f.kind != "" {
			if err := starter.CheckSyncKind(f.kind); err != nil {
				return usagef("-%s", err)
			}
		}
	case "":
		return usagef("want `bcflow sync historical|manual|status|cancel` (see bcflow sync -h)")
	default:
		return usagef("unknown action %q: want historical, manual, status or cancel (see bcflow sync -h)", action)
	}
	if f.interval < 10*time.Millisecond {
		return usagef("-interval must be at least 10ms")
	}
	return nil
}

// resourceList splits -resources.
func (f *syncFlags) resourceList() []string {
	var out []string
	for r := range strings.SplitSeq(f.resources, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

// syncWatcher shows a store's syncs from the admin API.
type syncWatcher struct {
	admin    *adminClient
	out      io.Writer
	terminal bool
	interval time.Duration
	store    string
}

// runs returns the store's latest sync of each kind (kind empty) or of kind.
func (w *syncWatcher) runs(ctx context.Context, kind string) ([]api.SyncRunView, error) {
	path := syncPath(w.store)
	if kind != "" {
		path += "?kind=" + url.QueryEscape(kind)
	}
	var out struct {
		Runs []api.SyncRunView `json:"runs"`
	}
	if err := w.admin.get(ctx, path, &out); err != nil {
		return nil, err
	}
	return out.Runs, nil
}

// status prints each kind's latest sync once.
func (w *syncWatcher) status(ctx context.Context, kind string) error {
	runs, err := w.runs(ctx, kind)
	if err != nil {
		return err
	}
	if len(runs) == 0 {
		fmt.Fprintf(w.out, "no sync has run for store %s\n", w.store)
		return nil
	}
	now := time.Now()
	for i, run := range runs {
		if i > 0 {
			fmt.Fprintln(w.out)
		}
		for _, l := range progressFrame(run, nil, now, w.terminal) {
			fmt.Fprintln(w.out, strings.TrimRight(l, " "))
		}
	}
	return nil
}

// watchRunning watches the sync of kind, or, when kind is empty, the one
// running (the first of workflows.SyncKinds); with none running it prints
// the status once.
func (w *syncWatcher) watchRunning(ctx context.Context, kind string) error {
	if kind != "" {
		return w.watch(ctx, kind)
	}
	runs, err := w.runs(ctx, "")
	if err != nil {
		return err
	}
	for _, r := range runs {
		if r.Status == "running" || (r.Workflow != nil && r.Workflow.Running()) {
			return w.watch(ctx, r.Kind)
		}
	}
	fmt.Fprintf(w.out, "no sync of %s is running\n", w.store)
	return w.status(ctx, "")
}

// cancel cancels the running sync of kind, or the running historical and
// manual syncs when kind is empty.
func (w *syncWatcher) cancel(ctx context.Context, kind string) error {
	kinds := []string{workflows.SyncHistorical, workflows.SyncManual}
	if kind != "" {
		kinds = []string{kind}
	}
	cancelled := 0
	ctx, cancel := context.WithTimeout(ctx, syncCallTimeout)
	defer cancel()
	for _, k := range kinds {
		err := w.admin.do(ctx, http.MethodDelete, syncPath(w.store)+"/"+k, nil, nil)
		if ae, ok := errors.AsType[*adminError](err); ok && ae.Status == http.StatusNotFound && ae.Code == "sync_not_running" {
			continue
		}
		if err != nil {
			return err
		}
		cancelled++
		fmt.Fprintf(w.out, "cancel requested: %s (it stops after the page in flight)\n", workflows.StoreSyncID(w.store, k))
	}
	if cancelled == 0 {
		return fmt.Errorf("no %s sync of %s is running", strings.Join(kinds, " or "), w.store)
	}
	return nil
}

// watch follows the sync of kind until its workflow closes, redrawing the
// progress in place on a terminal and printing lines otherwise; it returns
// nil when the sync completed.
func (w *syncWatcher) watch(ctx context.Context, kind string) error {
	window := newSampleWindow(rateWindow)
	var plain plainState
	drawn := 0
	width := terminalWidth(w.out, w.terminal)
	var outage apiOutage
	tick := time.NewTicker(w.interval)
	defer tick.Stop()
	for {
		runs, err := w.runs(ctx, kind)
		now := time.Now()
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("stopped watching; the %s sync goes on (`bcflow sync cancel -kind %s` stops it)", kind, kind)
		case err != nil:
			if err := outage.failed(err, now, "sync"); err != nil {
				return err
			}
		case len(runs) == 0:
			return fmt.Errorf("no %s sync of %s has run", kind, w.store)
		default:
			outage.answered()
			run := runs[0]
			prev := window.bases(run.SyncRun, now)
			if w.terminal {
				drawn = redraw(w.out, drawn, progressFrame(run, prev, now, true), width)
			} else {
				var lines []string
				lines, plain = plainUpdate(plain, run, prev, now)
				for _, l := range lines {
					fmt.Fprintln(w.out, l)
				}
			}
			window.add(run.SyncRun, now)
			if run.Workflow != nil && !run.Workflow.Running() {
				return syncOutcome(run)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("stopped watching; the %s sync goes on (`bcflow sync cancel -kind %s` stops it)", kind, kind)
		case <-tick.C:
		}
	}
}

// syncOutcome is nil for a completed sync and an error (exit 1) otherwise.
func syncOutcome(run api.SyncRunView) error {
	if run.Status == "completed" && run.Workflow.Status == "Completed" {
		return nil
	}
	msg := fmt.Sprintf("the %s sync of %s %s", run.Kind, run.StoreHash, run.Status)
	if run.Error != "" {
		msg += ": " + run.Error
	}
	return errors.New(msg)
}

// The starter is what the sync routes reach Temporal through.
var _ api.SyncControl = (*starter.Starter)(nil)
