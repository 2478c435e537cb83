package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bcflow/bcflow/starter"
	"github.com/bcflow/bcflow/store"
	"github.com/bcflow/bcflow/workflows"
)

// fakeSyncs stands for Temporal (one execution per workflow id, refusing a
// second start while one runs, as the starter's conflict policy does) and
// for the store's progress records; the starter against a real Temporal is
// exercised in e2e.
type fakeSyncs struct {
	mu           sync.Mutex
	execs        map[string]starter.SyncExecution // by kind
	records      []store.SyncRun
	starts       []workflows.StoreSyncInput
	cancels      []string
	temporalDown bool
	storeDown    bool
}

func (f *fakeSyncs) StartSync(_ context.Context, in workflows.StoreSyncInput) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.temporalDown {
		return "", errors.New("temporal: connection refused")
	}
	if err := starter.CheckSyncInput(in); err != nil {
		return "", err
	}
	if ex, ok := f.execs[in.Kind]; ok && ex.Running() {
		return "", starter.ErrSyncRunning
	}
	f.starts = append(f.starts, in)
	runID := "run-" + string(rune('0'+len(f.starts)))
	f.execs[in.Kind] = starter.SyncExecution{WorkflowID: workflows.StoreSyncID(in.StoreHash, in.Kind), RunID: runID, Status: "Running", StartTime: time.Now()}
	return runID, nil
}

func (f *fakeSyncs) CancelSync(_ context.Context, storeHash, kind string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.temporalDown {
		return errors.New("temporal: connection refused")
	}
	ex, ok := f.execs[kind]
	if !ok || !ex.Running() {
		return starter.ErrSyncNotRunning
	}
	f.cancels = append(f.cancels, workflows.StoreSyncID(storeHash, kind))
	return nil
}

func (f *fakeSyncs) DescribeSync(_ context.Context, _, kind string) (starter.SyncExecution, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.temporalDown {
		return starter.SyncExecution{}, false, errors.New("temporal: connection refused")
	}
	ex, ok := f.execs[kind]
	return ex, ok, nil
}

func (f *fakeSyncs) SyncRuns(_ context.Context, storeHash string) ([]store.SyncRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.storeDown {
		return nil, errors.New("database is locked")
	}
	var out []store.SyncRun
	for _, r := range f.records {
		if r.StoreHash == storeHash {
			out = append(out, r)
		}
	}
	return out, nil
}

type syncFixture struct {
	syncs *fakeSyncs
	srv   *Server
}

func newSyncFixture(t *testing.T) *syncFixture {
	t.Helper()
	f := &syncFixture{syncs: &fakeSyncs{execs: map[string]starter.SyncExecution{}}, srv: New(Options{Logger: slog.New(slog.DiscardHandler)})}
	MountSync(f.srv.Admin([]byte("admin-token")), SyncOptions{Control: f.syncs, Runs: f.syncs, Stores: []string{"abc123"}})
	return f
}

func (f *syncFixture) do(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer admin-token")
	rec := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s %s: answer %q is not JSON", method, path, rec.Body)
	}
	return rec.Code, out
}

func TestSyncStart(t *testing.T) {
	f := newSyncFixture(t)
	const path = "/api/v1/stores/abc123/sync"
	bad := []struct {
		body   string
		status int
		code   string
	}{
		{``, 400, "bad_body"},
		{`not json`, 400, "bad_body"},
		{`{"kind":"historical","extra":1}`, 400, "bad_body"},
		{`{"kind":"historical"} {}`, 400, "bad_body"},
		{`{"kind":"historical","resources":"orders"}`, 400, "bad_body"},
		{`{}`, 400, "bad_kind"},
		{`{"kind":"everything"}`, 400, "bad_kind"},
		{`{"kind":"reconcile-products"}`, 400, "bad_kind"},
		{`{"kind":"manual","resources":["carts"]}`, 400, "bad_resource"},
		{`{"kind":"manual","resources":["orders","orders"]}`, 400, "bad_resource"},
		{`{"kind":"manual","import_loyalty":true}`, 400, "bad_import_loyalty"},
	}
	for _, tc := range bad {
		if code, out := f.do(t, http.MethodPost, path, tc.body); code != tc.status || errorCode(out) != tc.code {
			t.Errorf("%q: %d %v, want %d %s", tc.body, code, out, tc.status, tc.code)
		}
	}
	if code, out := f.do(t, http.MethodPost, "/api/v1/stores/zzz999/sync", `{"kind":"historical"}`); code != 404 || errorCode(out) != "unknown_store" {
		t.Errorf("unknown store: %d %v", code, out)
	}
	if code, out := f.do(t, http.MethodPost, "/api/v1/stores/ABC/sync", `{"kind":"historical"}`); code != 400 || errorCode(out) != "bad_store" {
		t.Errorf("bad store: %d %v", code, out)
	}
	if len(f.syncs.starts) != 0 {
		t.Fatalf("rejected requests started syncs: %+v", f.syncs.starts)
	}

	code, out := f.do(t, http.MethodPost, path, `{"kind":"historical","resources":["customers","orders"],"import_loyalty":true}`)
	if code != 202 || out["workflow_id"] != "sync/abc123/historical" || out["run_id"] != "run-1" {
		t.Fatalf("start: %d %v", code, out)
	}
	want := workflows.StoreSyncInput{StoreHash: "abc123", Kind: "historical", Resources: []string{"customers", "orders"}, ImportLoyalty: true}
	if got := f.syncs.starts[0]; got.StoreHash != want.StoreHash || got.Kind != want.Kind || strings.Join(got.Resources, ",") != "customers,orders" || !got.ImportLoyalty {
		t.Fatalf("started %+v, want %+v", got, want)
	}
	// The same kind again while it runs: 409; another kind runs beside it.
	if code, out := f.do(t, http.MethodPost, path, `{"kind":"historical"}`); code != 409 || errorCode(out) != "sync_running" {
		t.Fatalf("second start: %d %v", code, out)
	}
	if code, out := f.do(t, http.MethodPost, path, `{"kind":"manual"}`); code != 202 || out["workflow_id"] != "sync/abc123/manual" {
		t.Fatalf("manual beside historical: %d %v", code, out)
	}
	// A finished sync runs again.
	f.syncs.execs["manual"] = starter.SyncExecution{Status: "Completed"}
	if code, out := f.do(t, http.MethodPost, path, `{"kind":"manual"}`); code != 202 || out["run_id"] != "run-3" {
		t.Fatalf("manual again after it completed: %d %v", code, out)
	}
	f.syncs.temporalDown = true
	if code, out := f.do(t, http.MethodPost, path, `{"kind":"historical"}`); code != 503 || errorCode(out) != "temporal_unavailable" {
		t.Fatalf("temporal down: %d %v", code, out)
	}
}

func TestSyncCancel(t *testing.T) {
	f := newSyncFixture(t)
	if code, out := f.do(t, http.MethodDelete, "/api/v1/stores/abc123/sync/historical", ""); code != 404 || errorCode(out) != "sync_not_running" {
		t.Fatalf("nothing running: %d %v", code, out)
	}
	if code, out := f.do(t, http.MethodDelete, "/api/v1/stores/abc123/sync/everything", ""); code != 400 || errorCode(out) != "bad_kind" {
		t.Fatalf("bad kind: %d %v", code, out)
	}
	if code, out := f.do(t, http.MethodDelete, "/api/v1/stores/zzz999/sync/historical", ""); code != 404 || errorCode(out) != "unknown_store" {
		t.Fatalf("unknown store: %d %v", code, out)
	}
	if code, _ := f.do(t, http.MethodPost, "/api/v1/stores/abc123/sync", `{"kind":"historical"}`); code != 202 {
		t.Fatal("start failed")
	}
	code, out := f.do(t, http.MethodDelete, "/api/v1/stores/abc123/sync/historical", "")
	if code != 202 || out["status"] != "cancel_requested" || out["workflow_id"] != "sync/abc123/historical" {
		t.Fatalf("cancel: %d %v", code, out)
	}
	if len(f.syncs.cancels) != 1 || f.syncs.cancels[0] != "sync/abc123/historical" {
		t.Fatalf("cancels %v", f.syncs.cancels)
	}
	f.syncs.temporalDown = true
	if code, out := f.do(t, http.MethodDelete, "/api/v1/stores/abc123/sync/historical", ""); code != 503 || errorCode(out) != "temporal_unavailable" {
		t.Fatalf("temporal down: %d %v", code, out)
	}
}

func TestSyncList(t *testing.T) {
	f := newSyncFixture(t)
	get := func(path string) (int, []SyncRunView, map[string]any) {
		t.Helper()
		code, out := f.do(t, http.MethodGet, path, "")
		raw, _ := json.Marshal(out["runs"])
		var runs []SyncRunView
		_ = json.Unmarshal(raw, &runs)
		return code, runs, out
	}
	// Nothing ever ran: an empty list, not null.
	if code, _, out := get("/api/v1/stores/abc123/sync"); code != 200 || out["runs"] == nil || len(out["runs"].([]any)) != 0 {
		t.Fatalf("no syncs: %d %v", code, out)
	}
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	f.syncs.records = []store.SyncRun{
		{StoreHash: "abc123", Kind: "manual", WorkflowID: "sync/abc123/manual", Status: "completed", StartedAt: t0, FinishedAt: t0.Add(time.Minute),
			Resources: []store.ResourceProgress{{Resource: "orders", Total: 10, Done: 10, Finished: true}}},
		{StoreHash: "abc123", Kind: "historical", WorkflowID: "sync/abc123/historical", Status: "running", StartedAt: t0,
			Resources: []store.ResourceProgress{{Resource: "customers", Total: 500, Done: 250}}},
		{StoreHash: "other1", Kind: "historical", Status: "running"},
	}
	f.syncs.execs["historical"] = starter.SyncExecution{WorkflowID: "sync/abc123/historical", RunID: "r2", Status: "Running", StartTime: t0.Add(time.Hour)}
	f.syncs.execs["manual"] = starter.SyncExecution{WorkflowID: "sync/abc123/manual", RunID: "r1", Status: "Completed", StartTime: t0, CloseTime: t0.Add(time.Minute)}
	code, runs, out := get("/api/v1/stores/abc123/sync")
	if code != 200 || len(runs) != 2 {
		t.Fatalf("list: %d %v", code, out)
	}
	// SyncKinds order: historical first; the record's progress with
	// Temporal's view beside it.
	if runs[0].Kind != "historical" || runs[0].Status != "running" || runs[0].Resources[0].Done != 250 || runs[0].Workflow == nil || runs[0].Workflow.RunID != "r2" {
		t.Fatalf("historical: %+v", runs[0])
	}
	if runs[1].Kind != "manual" || runs[1].Status != "completed" || runs[1].Workflow.Status != "Completed" {
		t.Fatalf("manual: %+v", runs[1])
	}
	// ?kind keeps one kind; a bad kind is a 400.
	if code, runs, out := get("/api/v1/stores/abc123/sync?kind=manual"); code != 200 || len(runs) != 1 || runs[0].Kind != "manual" {
		t.Fatalf("?kind=manual: %d %v", code, out)
	}
	if code, _, out := get("/api/v1/stores/abc123/sync?kind=nope"); code != 400 || errorCode(out) != "bad_kind" {
		t.Fatalf("?kind=nope: %d %v", code, out)
	}
	if code, _, out := get("/api/v1/stores/zzz999/sync"); code != 404 || errorCode(out) != "unknown_store" {
		t.Fatalf("unknown store: %d %v", code, out)
	}
	// Temporal down: the records alone, still 200.
	f.syncs.temporalDown = true
	if code, runs, out := get("/api/v1/stores/abc123/sync"); code != 200 || len(runs) != 2 || runs[0].Workflow != nil || runs[0].Resources[0].Done != 250 {
		t.Fatalf("temporal down: %d %v", code, out)
	}
	f.syncs.temporalDown = false
	// The store down: 503.
	f.syncs.storeDown = true
	if code, _, out := get("/api/v1/stores/abc123/sync"); code != 503 || errorCode(out) != "unavailable" {
		t.Fatalf("store down: %d %v", code, out)
	}
}

func TestReconcileSyncRun(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	progress := []store.ResourceProgress{{Resource: "orders", Total: 100, Done: 40}}
	finished := &store.SyncRun{Kind: "manual", Status: "completed", StartedAt: t0, FinishedAt: t0.Add(time.Minute), Resources: progress}
	running := &store.SyncRun{Kind: "manual", Status: "running", StartedAt: t0, Resources: progress}
	cases := []struct {
		name       string
		rec        *store.SyncRun
		ex         *starter.SyncExecution
		ok         bool
		status     string
		progress   bool
		errorEmpty bool
	}{
		{"nothing", nil, nil, false, "", false, true},
		{"record only", running, nil, true, "running", true, true},
		{"new run, record of the previous one", finished, &starter.SyncExecution{Status: "Running", StartTime: t0.Add(time.Hour)}, true, "running", false, true},
		{"run finishing: recorded before the workflow closed", finished, &starter.SyncExecution{Status: "Running", StartTime: t0}, true, "completed", true, true},
		{"terminated while the record says running", running, &starter.SyncExecution{Status: "Terminated", StartTime: t0, CloseTime: t0.Add(time.Hour)}, true, "failed", true, false},
		{"cancelled while the record says running", running, &starter.SyncExecution{Status: "Canceled", StartTime: t0, CloseTime: t0.Add(time.Hour)}, true, "cancelled", true, true},
		{"workflow, no record yet", nil, &starter.SyncExecution{Status: "Running", StartTime: t0}, true, "running", false, true},
		{"workflow failed before recording", nil, &starter.SyncExecution{Status: "Failed", StartTime: t0, CloseTime: t0.Add(time.Second)}, true, "failed", false, false},
		{"both running", running, &starter.SyncExecution{Status: "Running", StartTime: t0}, true, "running", true, true},
	}
	for _, tc := range cases {
		v, ok := reconcileSyncRun("abc123", "manual", tc.rec, tc.ex)
		if ok != tc.ok {
			t.Errorf("%s: ok %v", tc.name, ok)
			continue
		}
		if !ok {
			continue
		}
		if v.Status != tc.status || (len(v.Resources) > 0) != tc.progress || v.Resources == nil || (v.Error == "") != tc.errorEmpty {
			t.Errorf("%s: status %q resources %v error %q", tc.name, v.Status, v.Resources, v.Error)
		}
		if v.Kind != "manual" || (tc.rec == nil && v.WorkflowID != "sync/abc123/manual") {
			t.Errorf("%s: kind %q id %q", tc.name, v.Kind, v.WorkflowID)
		}
		if tc.ex != nil && !tc.ex.CloseTime.IsZero() && v.FinishedAt.IsZero() {
			t.Errorf("%s: closed workflow without a finish time", tc.name)
		}
	}
	// The record given is never modified.
	if running.Status != "running" || !running.FinishedAt.IsZero() {
		t.Fatalf("record modified: %+v", running)
	}
}
