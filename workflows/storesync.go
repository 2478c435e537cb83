package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
)

// StoreSyncResult is how a sync ended.
type StoreSyncResult struct {
	Status    string
	Resources []activities.ResourceProgress
}

// Sync run statuses, as the store and the admin API show them.
const (
	SyncStatusRunning   = activities.SyncRunning
	SyncStatusCompleted = activities.SyncCompleted
	SyncStatusFailed    = activities.SyncFailed
	SyncStatusCancelled = activities.SyncCancelled
)

// syncActivityOptions are for the chunk copies: long calls that heartbeat
// after every page and every few seconds, so a dead worker's chunk moves to
// another within the heartbeat timeout and resumes from the page it
// reached.
var syncActivityOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Minute,
	HeartbeatTimeout:    20 * time.Second,
	RetryPolicy:         apiActivityOptions.RetryPolicy,
}

// syncResources are the resources each kind copies, in order: categories
// before the products in them, customers before their orders.
func syncResources(kind string) []string {
	switch kind {
	case SyncReconcileProducts:
		return []string{ResourceCategories, ResourceProducts}
	case SyncReconcileCustomers:
		return []string{ResourceCustomers, ResourceOrders}
	}
	return []string{ResourceCategories, ResourceProducts, ResourceCustomers, ResourceOrders}
}

// StoreSync copies a store into bcflow's mirror and the messaging provider:
// resource after resource, each in chunks of list pages copied
// concurrently (the BigCommerce client paces them at the store's quota).
// Progress is in the store after every page, on the workflow (query
// sync-progress, memo) after every chunk. A historical sync sends history:
// nothing it copies starts an automation. The run continues as new before
// its history grows large; cancelling it stops the copy where it is.
func StoreSync(ctx workflow.Context, in StoreSyncInput) (StoreSyncResult, error) {
	run, err := newFlowRun(ctx, FlowStoreSync, in.StoreHash)
	if err != nil {
		return StoreSyncResult{}, err
	}
	defer run.settle()
	s := &storeSync{flowRun: run, in: in}
	if err := workflow.SetQueryHandler(ctx, QuerySyncProgress, func() (activities.SyncProgress, error) { return s.snapshot(), nil }); err != nil {
		return StoreSyncResult{}, err
	}
	if err := s.begin(); err != nil {
		return s.finish(err)
	}
	full, err := s.copyAll()
	if full && err == nil {
		return StoreSyncResult{}, s.continueAsNew(StoreSyncWorkflowName, s.carry)
	}
	return s.finish(err)
}

type storeSync struct {
	*flowRun
	in        StoreSyncInput
	startedAt time.Time
	plan      activities.SyncPlan
	progress  []activities.ResourceProgress
	chunks    []int
}

// begin opens the run (a fresh start) or takes over the previous run's
// state (a continued one).
func (s *storeSync) begin() error {
	if k := s.in.Carry; k != nil {
		s.startedAt, s.plan, s.progress, s.chunks = k.StartedAt, k.Plan, k.Progress, k.Chunks
		return nil
	}
	s.startedAt = workflow.Now(s.ctx)
	resources := s.in.Resources
	if len(resources) == 0 {
		resources = syncResources(s.in.Kind)
	}
	if s.in.ImportLoyalty && s.in.Kind == SyncHistorical && !slices.Contains(resources, ResourceLoyalty) {
		resources = append(slices.Clone(resources), ResourceLoyalty)
	}
	var a *activities.Activities
	ctx := workflow.WithActivityOptions(s.ctx, storeActivityOptions)
	if err := workflow.ExecuteActivity(ctx, a.BeginSync, activities.BeginSyncInput{
		StoreHash: s.in.StoreHash, Kind: s.in.Kind, WorkflowID: workflow.GetInfo(s.ctx).WorkflowExecution.ID,
		Resources: resources, StartedAt: s.startedAt,
	}).Get(ctx, &s.plan); err != nil {
		return err
	}
	for _, r := range resources {
		s.progress = append(s.progress, activities.ResourceProgress{Resource: r, Total: -1})
	}
	return nil
}

// copyAll copies every resource not finished yet. full reports that the
// run stopped between chunks because its history is full.
func (s *storeSync) copyAll() (full bool, err error) {
	for i := range s.progress {
		if s.progress[i].Finished {
			continue
		}
		if full, err = s.copyResource(&s.progress[i]); full || err != nil {
			return full, err
		}
		s.chunks = nil
		s.publish()
	}
	return false, nil
}

// copyResource copies one resource in chunks of pages, at most
// plan.Concurrency at once; the last chunk goes on while pages are full.
func (s *storeSync) copyResource(p *activities.ResourceProgress) (full bool, err error) {
	var a *activities.Activities
	if p.Total < 0 {
		ctx := workflow.WithActivityOptions(s.ctx, apiActivityOptions)
		var rp activities.ResourcePlan
		if err := workflow.ExecuteActivity(ctx, a.PlanSyncResource, activities.PlanResourceInput{
			StoreHash: s.in.StoreHash, Kind: s.in.Kind, Resource: p.Resource,
		}).Get(ctx, &rp); err != nil {
			return false, err
		}
		p.Total, p.Pages, p.Since, p.StartedAt = rp.Total, rp.Pages, rp.Since, workflow.Now(s.ctx)
		if rp.Skip {
			p.Total, p.Finished = 0, true
			return false, nil
		}
		s.publish()
	}
	per := max(s.plan.ChunkPages, 1)
	n := max((p.Pages+per-1)/per, 1)
	chunkCtx, cancelChunks := workflow.WithCancel(workflow.WithActivityOptions(s.ctx, syncActivityOptions))
	defer cancelChunks()
	sel := workflow.NewSelector(s.ctx)
	pending, next := 0, 0
	var failure error
	for {
		for failure == nil && !full && pending < max(s.plan.Concurrency, 1) && next < n {
			i := next
			next++
			if slices.Contains(s.chunks, i) {
				continue
			}
			in := activities.SyncPagesInput{
				StoreHash: s.in.StoreHash, Kind: s.in.Kind, Resource: p.Resource, Since: p.Since,
				First: i*per + 1, Last: (i + 1) * per, OpenEnded: i == n-1,
				// Every sync copies history: only webhooks are live.
				Historical: true,
			}
			pending++
			sel.AddFuture(workflow.ExecuteActivity(chunkCtx, a.SyncPages, in), func(f workflow.Future) {
				pending--
				var r activities.SyncPagesResult
				if err := f.Get(chunkCtx, &r); err != nil {
					if failure == nil {
						failure = err
						cancelChunks()
					}
					return
				}
				s.chunks = append(s.chunks, i)
				p.PagesDone += r.Pages
				p.Done += r.Items
				p.Pushed += r.Pushed
				p.Requests += r.Requests
				p.UpdatedAt = workflow.Now(s.ctx)
			})
		}
		if pending == 0 {
			break
		}
		sel.Select(s.ctx)
		s.publish()
		if !full && s.historyFull() {
			full = true // let the chunks in flight finish, then continue as new
		}
	}
	if failure != nil {
		return false, failure
	}
	if full && len(s.chunks) < n {
		return true, nil
	}
	p.Finished = true
	if p.Total >= 0 && p.Done > p.Total {
		p.Total = p.Done // items created during the copy
	}
	return false, nil
}

// publish puts the progress on the workflow's memo, for the Temporal UI.
func (s *storeSync) publish() {
	parts := make([]string, 0, len(s.progress))
	for _, p := range s.progress {
		total := "?"
		if p.Total >= 0 {
			total = fmt.Sprint(p.Total)
		}
		parts = append(parts, fmt.Sprintf("%s %d/%s", p.Resource, p.Done, total))
	}
	if err := workflow.UpsertMemo(s.ctx, map[string]any{"sync_progress": strings.Join(parts, ", ")}); err != nil {
		workflow.GetLogger(s.ctx).Warn("sync progress memo not updated", "error", err)
	}
}

// snapshot is the sync's progress for the query.
func (s *storeSync) snapshot() activities.SyncProgress {
	return activities.SyncProgress{
		StoreHash: s.in.StoreHash, Kind: s.in.Kind, WorkflowID: workflow.GetInfo(s.ctx).WorkflowExecution.ID,
		Status: SyncStatusRunning, StartedAt: s.startedAt, HighWater: s.startedAt,
		Resources: slices.Clone(s.progress),
	}
}

// carry is the sync's state for its next run.
func (s *storeSync) carry() any {
	in := s.in
	in.Carry = &StoreSyncCarry{StartedAt: s.startedAt, Plan: s.plan, Progress: s.progress, Chunks: s.chunks}
	return in
}

// finish closes the run in the store: completed, failed (err) or cancelled
// (the workflow was cancelled). The record is written even when the
// workflow is being cancelled.
func (s *storeSync) finish(err error) (StoreSyncResult, error) {
	status, text := SyncStatusCompleted, ""
	switch {
	case temporal.IsCanceledError(err) || s.ctx.Err() != nil:
		status, text = SyncStatusCancelled, "cancelled"
	case err != nil:
		status, text = SyncStatusFailed, err.Error()
	}
	ctx, _ := workflow.NewDisconnectedContext(s.ctx)
	ctx = workflow.WithActivityOptions(ctx, storeActivityOptions)
	var a *activities.Activities
	if ferr := workflow.ExecuteActivity(ctx, a.FinishSync, activities.FinishSyncInput{
		StoreHash: s.in.StoreHash, Kind: s.in.Kind, Status: status, Error: text, StartedAt: s.startedAt, Resources: s.progress,
	}).Get(ctx, nil); ferr != nil && err == nil {
		err = ferr
	}
	res := StoreSyncResult{Status: status, Resources: s.progress}
	if status == SyncStatusCancelled {
		return res, temporal.NewCanceledError(text)
	}
	return res, err
}
