package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/bcflow/bcflow/messaging"
	"github.com/bcflow/bcflow/store"
	"github.com/bcflow/bcflow/syncer"
)

// NewSyncer returns the store syncer a's sync runs on: their
// store and flows, their provider when it can take a store's data, the
// consent section's phone rules and the channels' storefront links.
// concurrency is how many chunks of pages a sync runs at once (0: the
// syncer's default).
func NewSyncer(a *Activities, concurrency int) *syncer.Syncer {
	s := &syncer.Syncer{
		Store: a.Store, Flows: a.Flows, Concurrency: concurrency,
		Phone: func(storeHash string, channelID int, raw string) string {
			return normalizePhone(raw, a.consentOf(storeHash, channelID).DefaultCountryCode)
		},
		StorefrontURL: func(ctx context.Context, storeHash string, channelID int) string {
			bc, err := a.bc(storeHash)
			if err != nil {
				return ""
			}
			u, _ := a.storefrontURL(ctx, bc, storeHash, channelID)
			return u
		},
	}
	if p, ok := a.Messaging.(messaging.StoreSync); ok {
		s.Provider = p
	}
	return s
}

// syncer is the activities' store syncer: Sync, or one built from the
// activities' own dependencies the first time it is needed.
func (a *Activities) syncer() *syncer.Syncer {
	a.syncOnce.Do(func() {
		if a.Sync == nil {
			a.Sync = NewSyncer(a, 0)
		}
	})
	return a.Sync
}

// BeginSync opens a sync run in the store and plans it.
func (a *Activities) BeginSync(ctx context.Context, in BeginSyncInput) (SyncPlan, error) {
	run := store.SyncRun{StoreHash: in.StoreHash, Kind: in.Kind, WorkflowID: in.WorkflowID, StartedAt: in.StartedAt}
	for _, r := range in.Resources {
		run.Resources = append(run.Resources, store.ResourceProgress{Resource: r, Total: -1})
	}
	p, err := a.syncer().Begin(ctx, run)
	if err != nil {
		return SyncPlan{}, err
	}
	return SyncPlan{Concurrency: p.Concurrency, ChunkPages: p.ChunkPages}, nil
}

// PlanSyncResource counts what a sync will copy of a resource.
func (a *Activities) PlanSyncResource(ctx context.Context, in PlanResourceInput) (ResourcePlan, error) {
	bc, err := a.bc(in.StoreHash)
	if err != nil {
		return ResourcePlan{}, err
	}
	since, never, err := a.syncer().Since(ctx, in.StoreHash, in.Kind, in.Resource)
	if err != nil {
		return ResourcePlan{}, err
	}
	if never && syncer.IsReconcile(in.Kind) {
		return ResourcePlan{Skip: true}, nil
	}
	total, pages, err := a.syncer().Count(ctx, bc, in.Resource, since)
	if err != nil {
		return ResourcePlan{}, classifySync("plan sync", err)
	}
	p := store.ResourceProgress{Resource: in.Resource, Since: since, Total: total, Pages: pages, StartedAt: a.now(), UpdatedAt: a.now()}
	if err := a.syncer().Progress(ctx, in.StoreHash, in.Kind, p); err != nil {
		return ResourcePlan{}, err
	}
	return ResourcePlan{Total: total, Pages: pages, Since: since}, nil
}

// syncHeartbeat is a chunk's position: a retried chunk resumes at Next
// with what the pages before it copied.
type syncHeartbeat struct {
	Next   int
	Result SyncPagesResult
}

// syncHeartbeatEvery is how often a chunk reports it is alive while a page
// waits on the store's quota or the provider.
const syncHeartbeatEvery = 5 * time.Second

// SyncPages copies a chunk of list pages, heartbeating its position after
// each page (and every few seconds while one is slow), so a retry on
// another worker after a crash resumes at the page it reached. A page
// copied again pushes nothing the provider already has. It stops at the
// first short page: nothing follows it.
func (a *Activities) SyncPages(ctx context.Context, in SyncPagesInput) (SyncPagesResult, error) {
	bc, err := a.bc(in.StoreHash)
	if err != nil {
		return SyncPagesResult{}, err
	}
	page, res := in.First, SyncPagesResult{}
	if activity.HasHeartbeatDetails(ctx) {
		var hb syncHeartbeat
		if err := activity.GetHeartbeatDetails(ctx, &hb); err == nil && hb.Next > page {
			page, res = hb.Next, hb.Result
		}
	}
	var mu sync.Mutex
	position := syncHeartbeat{Next: page, Result: res}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(syncHeartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				mu.Lock()
				hb := position
				mu.Unlock()
				activity.RecordHeartbeat(ctx, hb)
			case <-stop:
				return
			}
		}
	}()
	for ; page <= in.Last || in.OpenEnded; page++ {
		r, err := a.syncer().CopyPage(ctx, bc, in.Resource, in.Since, page, in.Historical)
		if err != nil {
			return res, classifySync("sync pages", err)
		}
		res.Pages++
		res.Items += r.Items
		res.Pushed += r.Pushed
		res.Requests += r.Requests
		mu.Lock()
		position = syncHeartbeat{Next: page + 1, Result: res}
		mu.Unlock()
		activity.RecordHeartbeat(ctx, syncHeartbeat{Next: page + 1, Result: res})
		if err := a.syncer().AddProgress(ctx, in.StoreHash, in.Kind, store.ResourceProgress{
			Resource: in.Resource, Done: r.Items, Pushed: r.Pushed, PagesDone: 1, Requests: r.Requests, UpdatedAt: a.now(),
		}); err != nil {
			return res, err
		}
		if !r.Full {
			break
		}
	}
	return res, nil
}

// FinishSync closes a sync run with the workflow's final figures.
//
// A bulk sync does not evaluate segments page by page: when a historical,
// manual or customers-and-orders reconcile sync ends (whatever its status:
// it may have copied part of the store), it asks for a full recompute of
// the store's segments instead.
func (a *Activities) FinishSync(ctx context.Context, in FinishSyncInput) error {
	if err := a.syncer().Finish(ctx, syncer.Finish{
		StoreHash: in.StoreHash, Kind: in.Kind, Status: in.Status, Error: in.Error, StartedAt: in.StartedAt, At: a.now(), Resources: in.Resources,
	}); err != nil {
		return err
	}
	switch in.Kind {
	case SyncHistorical, SyncManual, SyncReconcileCustomers:
		if a.Segments != nil && a.Nudger != nil {
			if err := a.Nudger.NudgeRecompute(ctx, in.StoreHash, "", false); err != nil {
				return fmt.Errorf("finish sync: ask for a segment recompute: %w", err)
			}
		}
	}
	return nil
}

// SyncCatalogEntity mirrors one product or category (a webhook's).
func (a *Activities) SyncCatalogEntity(ctx context.Context, in CatalogEntityInput) error {
	bc, err := a.bc(in.StoreHash)
	if err != nil {
		return err
	}
	switch in.Kind {
	case "product":
		err = a.syncer().Product(ctx, bc, in.ID)
	case "category":
		err = a.syncer().Category(ctx, bc, in.ID)
	default:
		return temporal.NewNonRetryableApplicationError("unknown catalog kind "+in.Kind, ErrTypeInvalid, nil)
	}
	return classifySync("sync "+in.Kind, err)
}

// classifySync is classify for the syncer's errors: an invalid request
// (unknown resource) is not retried.
func classifySync(op string, err error) error {
	if errors.Is(err, syncer.ErrInvalid) {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s: %v", op, err), ErrTypeInvalid, err)
	}
	return classify(op, err)
}
