package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bcflow/bcflow/api"
	"github.com/bcflow/bcflow/starter"
	"github.com/bcflow/bcflow/store"
	"github.com/bcflow/bcflow/workflows"
)

// simSync plays a store sync behind the real admin routes: each read of the
// progress advances it by one page, until it ends as outcome (a Temporal
// status). The StoreSync workflow on a real Temporal is exercised in e2e.
type simSync struct {
	mu      sync.Mutex
	outcome string
	exec    map[string]starter.SyncExecution
	rec     map[string]*store.SyncRun
	starts  []workflows.StoreSyncInput
	cancels []string
	// failReads makes that many progress reads fail (the API answers 503).
	failReads int
}

func newSimSync(outcome string) *simSync {
	return &simSync{outcome: outcome, exec: map[string]starter.SyncExecution{}, rec: map[string]*store.SyncRun{}}
}

func (s *simSync) StartSync(_ context.Context, in workflows.StoreSyncInput) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.exec[in.Kind].Running() {
		return "", starter.ErrSyncRunning
	}
	s.starts = append(s.starts, in)
	now := time.Now()
	s.exec[in.Kind] = starter.SyncExecution{WorkflowID: workflows.StoreSyncID(in.StoreHash, in.Kind), RunID: "run-1", Status: "Running", StartTime: now}
	// The record appears with the first page (the next read).
	return "run-1", nil
}

func (s *simSync) CancelSync(_ context.Context, _, kind string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.exec[kind].Running() {
		return starter.ErrSyncNotRunning
	}
	s.cancels = append(s.cancels, kind)
	return nil
}

func (s *simSync) DescribeSync(_ context.Context, _, kind string) (starter.SyncExecution, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ex, ok := s.exec[kind]
	return ex, ok, nil
}

// SyncRuns advances each running sync by a page: customers (300, by 100)
// then orders (total unknown until they finish, by 50 up to 100).
func (s *simSync) SyncRuns(_ context.Context, storeHash string) ([]store.SyncRun, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failReads > 0 && len(s.rec) > 0 {
		s.failReads--
		return nil, errors.New("database is locked")
	}
	now := time.Now()
	var out []store.SyncRun
	for kind, ex := range s.exec {
		if !ex.Running() {
			continue
		}
		r := s.rec[kind]
		if r == nil {
			r = &store.SyncRun{StoreHash: storeHash, Kind: kind, WorkflowID: ex.WorkflowID, Status: "running", StartedAt: ex.StartTime,
				Resources: []store.ResourceProgress{{Resource: "customers", Total: 300}, {Resource: "orders", Total: -1}}}
			s.rec[kind] = r
			continue
		}
		c, o := &r.Resources[0], &r.Resources[1]
		switch {
		case !c.Finished:
			if c.StartedAt.IsZero() {
				c.StartedAt = now.Add(-time.Second)
			}
			c.Done += 100
			c.Pushed += 10
			c.Finished = c.Done == c.Total
			c.UpdatedAt = now
		case !o.Finished:
			if o.StartedAt.IsZero() {
				o.StartedAt = now.Add(-time.Second)
			}
			o.Done += 50
			o.UpdatedAt = now
			if o.Done == 100 {
				o.Finished, o.Total = true, 100
				r.FinishedAt = now
				r.Status = map[string]string{"Completed": "completed", "Failed": "failed", "Canceled": "cancelled"}[s.outcome]
				if s.outcome == "Failed" {
					r.Error = "BigCommerce answered 403 on /v2/orders"
				}
				s.exec[kind] = starter.SyncExecution{WorkflowID: ex.WorkflowID, RunID: ex.RunID, Status: s.outcome, StartTime: ex.StartTime, CloseTime: now}
			}
		}
	}
	for _, r := range s.rec {
		out = append(out, *r)
	}
	return out, nil
}

type syncCLI struct {
	sim *simSync
	url string
}

func newSyncCLI(t *testing.T, outcome string) *syncCLI {
	t.Helper()
	t.Setenv("BCFLOW_ADMIN_TOKEN", "cli-admin-token")
	sim := newSimSync(outcome)
	srv := api.New(api.Options{Logger: slog.New(slog.DiscardHandler)})
	api.MountSync(srv.Admin([]byte("cli-admin-token")), api.SyncOptions{Control: sim, Runs: sim, Stores: []string{"abc123"}})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &syncCLI{sim: sim, url: hs.URL}
}

func (c *syncCLI) run(terminal bool, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), &cliEnv{stdout: &out, stderr: &errb, terminal: terminal}, append(append([]string{"sync"}, args...), "-url", c.url))
	return code, out.String(), errb.String()
}

func TestSyncCommandUsage(t *testing.T) {
	c := newSyncCLI(t, "Completed")
	for _, args := range [][]string{
		{},
		{"everything"},
		{"historical", "-nope"},
		{"historical", "-kind", "manual"},
		{"historical", "-watch"},
		{"historical", "-resources", "carts"},
		{"historical", "-resources", "orders,orders"},
		{"manual", "-import-loyalty"},
		{"status", "-resources", "orders"},
		{"status", "-no-wait"},
		{"status", "-kind", "everything"},
		{"cancel", "-watch"},
		{"historical", "-store", "ABC/1"},
		{"historical", "-interval", "1ms"},
		{"historical", "extra"},
	} {
		if !slices.Contains(args, "-store") {
			args = append(args, "-store", "abc123")
		}
		code, out, errs := c.run(false, args...)
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "bcflow sync: ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one line", args, code, out, errs)
		}
	}
	if len(c.sim.starts) != 0 {
		t.Fatalf("bad command lines reached the API: %+v", c.sim.starts)
	}
	// No -store and no BCFLOW_BC_STORE_HASH: a usage error.
	t.Setenv("BCFLOW_BC_STORE_HASH", "")
	if code, _, errs := c.run(false, "status"); code != 2 || !strings.Contains(errs, "BCFLOW_BC_STORE_HASH") {
		t.Fatalf("no store: exit %d %q", code, errs)
	}
	// -h is the usage, exit 0.
	if code, _, errs := c.run(false, "-h"); code != 0 || !strings.Contains(errs, "Usage: bcflow sync historical|manual|status|cancel") {
		t.Fatalf("-h: exit %d %q", code, errs)
	}
}

func TestSyncCommandWatchesToCompletion(t *testing.T) {
	c := newSyncCLI(t, "Completed")
	t.Setenv("BCFLOW_BC_STORE_HASH", "abc123") // the default store
	code, out, errs := c.run(false, "historical", "-resources", "customers,orders", "-import-loyalty", "-interval", "10ms")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	if len(c.sim.starts) != 1 || c.sim.starts[0].StoreHash != "abc123" || strings.Join(c.sim.starts[0].Resources, ",") != "customers,orders" || !c.sim.starts[0].ImportLoyalty {
		t.Fatalf("started %+v", c.sim.starts)
	}
	for _, want := range []string{
		"started sync/abc123/historical (run run-1)",
		"historical sync of abc123: running",
		"customers 300/300 100%",
		"orders 100/100 100%",
		"historical sync of abc123: completed in",
	} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Not a terminal: no escape codes, no bars, and few lines (the first
	// and the last of each resource at this pace).
	if strings.Contains(out, "\x1b") || strings.Contains(out, "█") {
		t.Errorf("plain output has terminal codes:\n%s", out)
	}
	if n := strings.Count(out, "\ncustomers"); n > 3 {
		t.Errorf("%d customers lines in %s of watching; plain lines repeat at most every %s:\n%s", n, time.Second, plainEvery, out)
	}
	// status prints once and exits 0.
	code, out, errs = c.run(false, "status")
	if code != 0 || !strings.Contains(out, "historical sync of abc123: completed") {
		t.Fatalf("status: exit %d\n%s%s", code, out, errs)
	}
}

func TestSyncCommandFailureAndCancelExit1(t *testing.T) {
	c := newSyncCLI(t, "Failed")
	code, out, errs := c.run(false, "manual", "-store", "abc123", "-interval", "10ms")
	if code != 1 || !strings.Contains(errs, "the manual sync of abc123 failed: BigCommerce answered 403") || !strings.Contains(out, "failed after") {
		t.Fatalf("failed sync: exit %d\n%s%s", code, out, errs)
	}
	c = newSyncCLI(t, "Canceled")
	if code, _, errs = c.run(false, "historical", "-store", "abc123", "-interval", "10ms"); code != 1 || !strings.Contains(errs, "cancelled") {
		t.Fatalf("cancelled sync: exit %d %q", code, errs)
	}
}

func TestSyncCommandNoWaitConflictAndCancel(t *testing.T) {
	c := newSyncCLI(t, "Completed")
	// Nothing running: cancel says so, exit 1.
	if code, _, errs := c.run(false, "cancel", "-store", "abc123"); code != 1 || !strings.Contains(errs, "no historical or manual sync of abc123 is running") {
		t.Fatalf("cancel with nothing running: exit %d %q", code, errs)
	}
	code, out, errs := c.run(false, "historical", "-store", "abc123", "-no-wait")
	if code != 0 || !strings.Contains(out, "started sync/abc123/historical") || strings.Contains(out, "customers") {
		t.Fatalf("-no-wait: exit %d\n%s%s", code, out, errs)
	}
	// A second start of the running kind: 409, said plainly, exit 1.
	if code, _, errs = c.run(false, "historical", "-store", "abc123"); code != 1 || !strings.Contains(errs, "already running") || !strings.Contains(errs, "bcflow sync status -watch -kind historical") {
		t.Fatalf("second start: exit %d %q", code, errs)
	}
	if code, out, errs = c.run(false, "cancel", "-store", "abc123"); code != 0 || !strings.Contains(out, "cancel requested: sync/abc123/historical") {
		t.Fatalf("cancel: exit %d\n%s%s", code, out, errs)
	}
	if len(c.sim.cancels) != 1 || c.sim.cancels[0] != "historical" {
		t.Fatalf("cancels %v", c.sim.cancels)
	}
	// An unknown store is the API's 404, exit 1.
	if code, _, errs = c.run(false, "status", "-store", "zzz999"); code != 1 || !strings.Contains(errs, "404 unknown_store") {
		t.Fatalf("unknown store: exit %d %q", code, errs)
	}
	// status -watch follows the running sync to its end.
	if code, out, errs = c.run(false, "status", "-store", "abc123", "-watch", "-interval", "10ms"); code != 0 || !strings.Contains(out, "completed in") {
		t.Fatalf("status -watch: exit %d\n%s%s", code, out, errs)
	}
}

func TestSyncCommandTerminalRedrawsInPlace(t *testing.T) {
	c := newSyncCLI(t, "Completed")
	code, out, errs := c.run(true, "manual", "-store", "abc123", "-interval", "10ms")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	// Every frame after the first moves the cursor up over the last one.
	frames := strings.Count(out, "\x1b[J")
	ups := strings.Count(out, "\x1b[1A") + strings.Count(out, "\x1b[3A")
	if frames < 3 || ups != frames-1 {
		t.Fatalf("%d frames, %d cursor-ups:\n%q", frames, ups, out)
	}
	if !strings.Contains(out, "█") || !strings.Contains(out, "["+strings.Repeat("?", barWidth)+"]") {
		t.Fatalf("no bars (or no unknown-total bar) on a terminal:\n%s", out)
	}
}

// TestSyncCommandWatchOutlastsA503: the watch keeps polling through an
// admin API that answers 503 for a while.
func TestSyncCommandWatchOutlastsA503(t *testing.T) {
	c := newSyncCLI(t, "Completed")
	c.sim.failReads = 5
	code, out, errs := c.run(false, "manual", "-store", "abc123", "-interval", "10ms")
	if code != 0 || !strings.Contains(out, "completed in") || c.sim.failReads != 0 {
		t.Fatalf("exit %d (%d failures left)\n%s%s", code, c.sim.failReads, out, errs)
	}
}
