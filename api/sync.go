package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/bcflow/bcflow/starter"
	"github.com/bcflow/bcflow/store"
	"github.com/bcflow/bcflow/workflows"
)

// SyncControl starts, cancels and describes store syncs; the starter
// implements it over Temporal.
type SyncControl interface {
	StartSync(ctx context.Context, in workflows.StoreSyncInput) (runID string, err error)
	CancelSync(ctx context.Context, storeHash, kind string) error
	DescribeSync(ctx context.Context, storeHash, kind string) (ex starter.SyncExecution, found bool, err error)
}

// SyncRunReader reads the progress records the syncs keep; the store
// implements it.
type SyncRunReader interface {
	// SyncRuns returns the latest run of each kind of the store.
	SyncRuns(ctx context.Context, storeHash string) ([]store.SyncRun, error)
}

// SyncOptions configure the sync routes.
type SyncOptions struct {
	// Control reaches Temporal; required.
	Control SyncControl
	// Runs reads the progress records; required.
	Runs SyncRunReader
	// Stores, when not empty, are the only store hashes answered (others:
	// 404).
	Stores []string
	// Logger receives failures to reach Temporal or the store.
	Logger *slog.Logger
}

// SyncRunView is a sync as GET /api/v1/stores/{store}/sync answers it: the
// store's progress record, reconciled with what Temporal says of the sync's
// workflow (see reconcileSyncRun).
type SyncRunView struct {
	store.SyncRun
	// Workflow is Temporal's view of the latest run of the sync's workflow
	// id; absent when the sync never ran or Temporal did not answer.
	Workflow *starter.SyncExecution `json:"workflow,omitempty"`
}

// SyncStarted is the answer to a sync start.
type SyncStarted struct {
	WorkflowID string `json:"workflow_id"`
	RunID      string `json:"run_id"`
}

// startableSyncKinds are the kinds a person starts; the reconcile kinds
// are started by their Schedules.
var startableSyncKinds = []string{workflows.SyncHistorical, workflows.SyncManual}

// MountSync adds the store sync routes to g (the Admin group):
//
//	POST   /stores/{store}/sync         {"kind": "historical"|"manual", "resources": [...], "import_loyalty": bool}
//	                                    → 202 {"workflow_id", "run_id"}; 409 sync_running; 400 bad body, kind, resource
//	GET    /stores/{store}/sync[?kind=K] → 200 {"runs": [SyncRunView...]}: the latest run of each kind
//	DELETE /stores/{store}/sync/{kind}  → 202 cancel requested; 404 sync_not_running
//
// Temporal or the store not answering is a 503.
func MountSync(g *gin.RouterGroup, opts SyncOptions) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	h := &syncHandler{opts: opts}
	g.POST("/stores/:store/sync", h.start)
	g.GET("/stores/:store/sync", h.list)
	g.DELETE("/stores/:store/sync/:kind", h.cancel)
}

type syncHandler struct{ opts SyncOptions }

// SyncRequest is the body of POST /api/v1/stores/{store}/sync.
type SyncRequest struct {
	// Kind is historical or manual.
	Kind string `json:"kind"`
	// Resources limits the sync (default: all).
	Resources []string `json:"resources,omitempty"`
	// ImportLoyalty awards loyalty points for past orders (historical
	// only).
	ImportLoyalty bool `json:"import_loyalty,omitempty"`
}

func (h *syncHandler) start(c *gin.Context) {
	storeHash, ok := storeParam(c, h.opts.Stores)
	if !ok {
		return
	}
	body, ok := ReadBody(c)
	if !ok {
		return
	}
	var req SyncRequest
	if !decodeBody(c, body, &req, `{"kind": "historical"|"manual", "resources": [...], "import_loyalty": bool}`) {
		return
	}
	if !slices.Contains(startableSyncKinds, req.Kind) {
		AbortError(c, http.StatusBadRequest, "bad_kind", `kind must be "historical" or "manual" (reconcile syncs are started by their Schedules)`)
		return
	}
	in := workflows.StoreSyncInput{StoreHash: storeHash, Kind: req.Kind, Resources: req.Resources, ImportLoyalty: req.ImportLoyalty}
	if err := starter.CheckSyncInput(in); err != nil {
		abortSyncParseError(c, err)
		return
	}
	id := workflows.StoreSyncID(storeHash, req.Kind)
	runID, err := h.opts.Control.StartSync(c.Request.Context(), in)
	switch {
	case errors.Is(err, starter.ErrSyncRunning):
		AbortError(c, http.StatusConflict, "sync_running", "a "+req.Kind+" sync of "+storeHash+" is already running ("+id+"); watch it with GET or cancel it with DELETE /api/v1/stores/"+storeHash+"/sync/"+req.Kind)
		return
	case err != nil:
		if _, parse := errors.AsType[*starter.ParseError](err); parse {
			abortSyncParseError(c, err)
			return
		}
		temporalUnavailable(c, h.opts.Logger, "start store sync", id, err, "Temporal did not accept the sync; retry")
		return
	}
	c.JSON(http.StatusAccepted, SyncStarted{WorkflowID: id, RunID: runID})
}

// abortSyncParseError answers a *starter.ParseError of a sync input with a
// 400 whose code names the field.
func abortSyncParseError(c *gin.Context, err error) {
	code := "bad_request"
	if pe, ok := errors.AsType[*starter.ParseError](err); ok {
		switch pe.Field {
		case "kind":
			code = "bad_kind"
		case "resources":
			code = "bad_resource"
		case "import_loyalty":
			code = "bad_import_loyalty"
		}
	}
	AbortError(c, http.StatusBadRequest, code, err.Error())
}

func (h *syncHandler) list(c *gin.Context) {
	storeHash, ok := storeParam(c, h.opts.Stores)
	if !ok {
		return
	}
	kinds := workflows.SyncKinds
	if k, ok := c.GetQuery("kind"); ok {
		if err := starter.CheckSyncKind(k); err != nil {
			AbortError(c, http.StatusBadRequest, "bad_kind", err.Error())
			return
		}
		kinds = []string{k}
	}
	ctx := c.Request.Context()
	recs, err := h.opts.Runs.SyncRuns(ctx, storeHash)
	if err != nil {
		h.opts.Logger.ErrorContext(ctx, "read sync runs", "store", storeHash, "error", err.Error())
		AbortError(c, http.StatusServiceUnavailable, "unavailable", "could not read the sync runs")
		return
	}
	byKind := make(map[string]*store.SyncRun, len(recs))
	for i := range recs {
		byKind[recs[i].Kind] = &recs[i]
	}
	runs := make([]SyncRunView, 0, len(kinds))
	for _, kind := range kinds {
		var ex *starter.SyncExecution
		got, found, err := h.opts.Control.DescribeSync(ctx, storeHash, kind)
		switch {
		case err != nil:
			// The record alone still shows the progress.
			h.opts.Logger.WarnContext(ctx, "describe store sync", "workflow_id", workflows.StoreSyncID(storeHash, kind), "error", err.Error())
		case found:
			ex = &got
		}
		if v, ok := reconcileSyncRun(storeHash, kind, byKind[kind], ex); ok {
			runs = append(runs, v)
		}
	}
	c.JSON(http.StatusOK, gin.H{"runs": runs})
}

// Sync run statuses of store.SyncRun.
const (
	syncRunning   = store.SyncRunning
	syncCompleted = store.SyncCompleted
	syncFailed    = store.SyncFailed
	syncCancelled = store.SyncCancelled
)

// reconcileSyncRun joins a sync's progress record (rec, nil when none) with
// Temporal's view of its workflow (ex, nil when unknown), because each can
// be behind the other:
//   - a workflow running while the record shows an earlier, finished run
//     (it finished before this run started): the run has not recorded its
//     first page yet, so it is shown running with no progress;
//   - a workflow that closed while the record says running (terminated,
//     or failed before recording it): the status is the workflow's;
//   - a workflow and no record: the workflow's status, no progress.
//
// ok is false when there is nothing to show.
func reconcileSyncRun(storeHash, kind string, rec *store.SyncRun, ex *starter.SyncExecution) (SyncRunView, bool) {
	if rec == nil && ex == nil {
		return SyncRunView{}, false
	}
	fresh := func() store.SyncRun {
		return store.SyncRun{StoreHash: storeHash, Kind: kind, WorkflowID: workflows.StoreSyncID(storeHash, kind),
			Status: workflowSyncStatus(ex.Status), StartedAt: ex.StartTime, FinishedAt: ex.CloseTime, Resources: []store.ResourceProgress{}}
	}
	if ex == nil {
		v := SyncRunView{SyncRun: *rec}
		if v.Resources == nil {
			v.Resources = []store.ResourceProgress{}
		}
		return v, true
	}
	v := SyncRunView{Workflow: ex}
	switch {
	case rec == nil:
		v.SyncRun = fresh()
	case ex.Running() && rec.Status != syncRunning && rec.FinishedAt.Before(ex.StartTime):
		v.SyncRun = fresh()
	case !ex.Running() && rec.Status == syncRunning:
		v.SyncRun = *rec
		v.Status = workflowSyncStatus(ex.Status)
		if v.FinishedAt.IsZero() {
			v.FinishedAt = ex.CloseTime
		}
	default:
		v.SyncRun = *rec
	}
	if v.Status == syncFailed && v.Error == "" {
		v.Error = "the sync's workflow " + ex.Status
	}
	if v.Resources == nil {
		v.Resources = []store.ResourceProgress{}
	}
	return v, true
}

// workflowSyncStatus is the sync status of a Temporal workflow status.
func workflowSyncStatus(s string) string {
	switch s {
	case "Running":
		return syncRunning
	case "Completed":
		return syncCompleted
	case "Canceled":
		return syncCancelled
	}
	return syncFailed // Failed, Terminated, TimedOut
}

func (h *syncHandler) cancel(c *gin.Context) {
	storeHash, ok := storeParam(c, h.opts.Stores)
	if !ok {
		return
	}
	kind := c.Param("kind")
	if err := starter.CheckSyncKind(kind); err != nil {
		AbortError(c, http.StatusBadRequest, "bad_kind", err.Error())
		return
	}
	id := workflows.StoreSyncID(storeHash, kind)
	err := h.opts.Control.CancelSync(c.Request.Context(), storeHash, kind)
	switch {
	case errors.Is(err, starter.ErrSyncNotRunning):
		AbortError(c, http.StatusNotFound, "sync_not_running", "no "+kind+" sync of "+storeHash+" is running")
		return
	case err != nil:
		temporalUnavailable(c, h.opts.Logger, "cancel store sync", id, err, "Temporal did not accept the cancellation; retry")
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"workflow_id": id, "status": "cancel_requested"})
}
