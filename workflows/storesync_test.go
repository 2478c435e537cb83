package workflows

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
)

// syncWorld fakes a store of pages per resource for StoreSync: every
// SyncPages call is recorded, with the largest number of calls in flight.
type syncWorld struct {
	env      *testsuite.TestWorkflowEnvironment
	pages    map[string]int // full pages of 250 per resource
	mu       sync.Mutex
	calls    []activities.SyncPagesInput
	inFlight int
	maxIn    int
	finished []activities.FinishSyncInput
	fail     func(activities.SyncPagesInput) error
	since    time.Time
	// suggestAt is the SyncPages call after which Temporal suggests
	// continue-as-new (0: never).
	suggestAt int
}

func newSyncWorld(t *testing.T, pages map[string]int, plan activities.SyncPlan) *syncWorld {
	w := &syncWorld{env: newTestEnv(t), pages: pages}
	var a *activities.Activities
	w.env.OnActivity(a.BeginSync, mock.Anything, mock.Anything).Return(plan, nil)
	w.env.OnActivity(a.PlanSyncResource, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.PlanResourceInput) (activities.ResourcePlan, error) {
			n, ok := w.pages[in.Resource]
			if !ok {
				return activities.ResourcePlan{Skip: true}, nil // never synced: a reconcile leaves it
			}
			return activities.ResourcePlan{Total: int64(n * 250), Pages: n, Since: w.since}, nil
		})
	w.env.OnActivity(a.SyncPages, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SyncPagesInput) (activities.SyncPagesResult, error) {
			w.mu.Lock()
			w.calls = append(w.calls, in)
			w.inFlight++
			w.maxIn = max(w.maxIn, w.inFlight)
			w.mu.Unlock()
			time.Sleep(5 * time.Millisecond) // let the other chunks of the batch start
			w.mu.Lock()
			w.inFlight--
			w.mu.Unlock()
			if w.fail != nil {
				if err := w.fail(in); err != nil {
					return activities.SyncPagesResult{}, err
				}
			}
			// Pages past the store's last come back empty: a chunk stops there.
			var r activities.SyncPagesResult
			for p := in.First; p <= in.Last || in.OpenEnded; p++ {
				r.Pages++
				r.Requests++
				if p > w.pages[in.Resource] {
					break
				}
				r.Items += 250
				r.Pushed += 250
			}
			return r, nil
		})
	// The suggestion flips on the dispatcher's side (completion listeners run
	// there), never from an activity's goroutine, which the workflow would race.
	completed := 0
	w.env.SetOnActivityCompletedListener(func(info *activity.Info, _ converter.EncodedValue, _ error) {
		if info.ActivityType.Name != "SyncPages" {
			return
		}
		if completed++; completed == w.suggestAt {
			w.env.SetContinueAsNewSuggested(true)
		}
	})
	w.env.OnActivity(a.FinishSync, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.FinishSyncInput) error {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.finished = append(w.finished, in)
			return nil
		})
	return w
}

// pagesCopied lists, per resource, every page the chunks covered.
func (w *syncWorld) pagesCopied() map[string][]int {
	out := map[string][]int{}
	for _, c := range w.calls {
		for p := c.First; p <= c.Last; p++ {
			out[c.Resource] = append(out[c.Resource], p)
		}
	}
	for _, ps := range out {
		slices.Sort(ps)
	}
	return out
}

func TestStoreSyncCopiesEveryPageInChunksWithinTheConcurrency(t *testing.T) {
	w := newSyncWorld(t, map[string]int{ResourceCategories: 1, ResourceProducts: 3, ResourceCustomers: 10, ResourceOrders: 17},
		activities.SyncPlan{Concurrency: 3, ChunkPages: 2})
	w.env.ExecuteWorkflow(StoreSync, StoreSyncInput{StoreHash: "abc", Kind: SyncHistorical})
	if err := w.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res StoreSyncResult
	if err := w.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Status != SyncStatusCompleted {
		t.Fatalf("status = %q", res.Status)
	}
	// Every page once; chunks of two pages; the last chunk open-ended.
	copied := w.pagesCopied()
	for r, n := range w.pages {
		want := make([]int, 0, n)
		for p := 1; p <= (n+1)/2*2; p++ {
			want = append(want, p)
		}
		if !slices.Equal(copied[r], want) {
			t.Errorf("%s pages %v, want %v", r, copied[r], want)
		}
	}
	for _, c := range w.calls {
		last := (w.pages[c.Resource] + 1) / 2 * 2
		if c.OpenEnded != (c.Last == last) || !c.Historical {
			t.Errorf("chunk %+v: open-ended only the last, every write historical", c)
		}
	}
	if w.maxIn > 3 || w.maxIn < 2 {
		t.Errorf("at most %d chunks ran at once, want 2 or 3 (concurrency 3)", w.maxIn)
	}
	// Resources one after another, in order.
	order := []string{}
	for _, c := range w.calls {
		if len(order) == 0 || order[len(order)-1] != c.Resource {
			order = append(order, c.Resource)
		}
	}
	if !slices.Equal(order, []string{ResourceCategories, ResourceProducts, ResourceCustomers, ResourceOrders}) {
		t.Errorf("resources copied in order %v", order)
	}
	if len(w.finished) != 1 || w.finished[0].Status != SyncStatusCompleted {
		t.Fatalf("finish = %+v", w.finished)
	}
	for _, p := range w.finished[0].Resources {
		if !p.Finished || p.Done != int64(w.pages[p.Resource]*250) || p.Total != p.Done {
			t.Errorf("final figures %+v", p)
		}
	}
}

func TestStoreSyncReconcileCopiesItsResourcesOnly(t *testing.T) {
	w := newSyncWorld(t, map[string]int{ResourceCategories: 1, ResourceProducts: 2, ResourceCustomers: 1, ResourceOrders: 1},
		activities.SyncPlan{Concurrency: 2, ChunkPages: 4})
	w.since = t0
	w.env.ExecuteWorkflow(StoreSync, StoreSyncInput{StoreHash: "abc", Kind: SyncReconcileProducts})
	if err := w.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	for _, c := range w.calls {
		if c.Resource != ResourceCategories && c.Resource != ResourceProducts {
			t.Errorf("reconcile-products copied %s", c.Resource)
		}
		if !c.Since.Equal(t0) {
			t.Errorf("chunk since %s, want the resource plan's %s", c.Since, t0)
		}
	}
}

func TestStoreSyncReconcileSkipsAResourceNeverSynced(t *testing.T) {
	w := newSyncWorld(t, map[string]int{ResourceCustomers: 2}, activities.SyncPlan{Concurrency: 2, ChunkPages: 1})
	w.env.ExecuteWorkflow(StoreSync, StoreSyncInput{StoreHash: "abc", Kind: SyncReconcileCustomers})
	var res StoreSyncResult
	if err := w.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	for _, c := range w.calls {
		if c.Resource == ResourceOrders {
			t.Fatalf("orders copied though never synced: %+v", c)
		}
	}
	if len(res.Resources) != 2 || !res.Resources[1].Finished || res.Resources[1].Total != 0 || res.Resources[0].Done != 500 {
		t.Fatalf("result %+v", res.Resources)
	}
}

func TestStoreSyncFailureAndCancellationAreRecorded(t *testing.T) {
	t.Run("a chunk that can never succeed fails the sync", func(t *testing.T) {
		w := newSyncWorld(t, map[string]int{ResourceCategories: 1, ResourceProducts: 1, ResourceCustomers: 6, ResourceOrders: 1},
			activities.SyncPlan{Concurrency: 2, ChunkPages: 1})
		w.fail = func(in activities.SyncPagesInput) error {
			if in.Resource == ResourceCustomers && in.First == 3 {
				return temporal.NewNonRetryableApplicationError("bad page", activities.ErrTypeInvalid, nil)
			}
			return nil
		}
		w.env.ExecuteWorkflow(StoreSync, StoreSyncInput{StoreHash: "abc", Kind: SyncHistorical})
		if err := w.env.GetWorkflowError(); err == nil {
			t.Fatal("the sync completed")
		}
		if len(w.finished) != 1 || w.finished[0].Status != SyncStatusFailed || w.finished[0].Error == "" {
			t.Fatalf("finish = %+v", w.finished)
		}
		for _, c := range w.calls {
			if c.Resource == ResourceOrders {
				t.Fatal("orders copied after customers failed")
			}
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		w := newSyncWorld(t, map[string]int{ResourceCategories: 1, ResourceProducts: 1, ResourceCustomers: 1, ResourceOrders: 1},
			activities.SyncPlan{Concurrency: 1, ChunkPages: 1})
		w.env.RegisterDelayedCallback(func() { w.env.CancelWorkflow() }, 0)
		w.env.ExecuteWorkflow(StoreSync, StoreSyncInput{StoreHash: "abc", Kind: SyncManual})
		err := w.env.GetWorkflowError()
		var canceled *temporal.CanceledError
		if !errors.As(err, &canceled) {
			t.Fatalf("error = %v, want cancelled", err)
		}
		if len(w.finished) != 1 || w.finished[0].Status != SyncStatusCancelled {
			t.Fatalf("finish = %+v", w.finished)
		}
	})
}

func TestStoreSyncContinuesAsNewAndResumesWhereItWas(t *testing.T) {
	// Temporal suggests continuing as new while orders are being copied.
	w := newSyncWorld(t, map[string]int{ResourceCategories: 1, ResourceProducts: 1, ResourceCustomers: 1, ResourceOrders: 20},
		activities.SyncPlan{Concurrency: 4, ChunkPages: 1})
	w.suggestAt = 10
	w.env.ExecuteWorkflow(StoreSync, StoreSyncInput{StoreHash: "abc", Kind: SyncHistorical})
	var next StoreSyncInput
	continuedInput(t, w.env.GetWorkflowError(), &next)
	k := next.Carry
	if k == nil || len(k.Progress) != 4 || !k.Progress[2].Finished || k.Progress[3].Finished || len(k.Chunks) == 0 || len(k.Chunks) >= 20 {
		t.Fatalf("carry = %+v", k)
	}
	if len(w.finished) != 0 {
		t.Fatalf("a continued sync finished its run: %+v", w.finished)
	}
	// The next run copies only the chunks not done.
	done := len(k.Chunks)
	w2 := newSyncWorld(t, w.pages, activities.SyncPlan{})
	w2.env.ExecuteWorkflow(StoreSync, next)
	if err := w2.env.GetWorkflowError(); err != nil && !errors.As(err, new(*workflow.ContinueAsNewError)) {
		t.Fatal(err)
	}
	for _, c := range w2.calls {
		if c.Resource != ResourceOrders || slices.Contains(k.Chunks, c.First-1) {
			t.Fatalf("resumed run copied %+v again", c)
		}
	}
	if len(w2.calls) == 0 || done+len(w2.calls) != 20 {
		t.Fatalf("resumed run copied %d chunks after %d", len(w2.calls), done)
	}
}
