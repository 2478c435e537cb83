package workflows

import (
	"strconv"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
)

// CatalogSyncWorkflowName mirrors one product (with its variants) or one
// category to bcflow's store mirror and the messaging provider.
const CatalogSyncWorkflowName = "CatalogSync"

// FlowCatalogSync is the BcFlow search attribute of catalog syncs.
const FlowCatalogSync = "catalog-sync"

// Catalog entity kinds.
const (
	CatalogProduct  = "product"
	CatalogCategory = "category"
)

// SignalCatalogChanged: a product, one of its variants, or a category
// changed or was deleted.
const SignalCatalogChanged = "catalog-changed"

// CatalogChanged is the payload of SignalCatalogChanged.
type CatalogChanged struct {
	Scope     string
	EventTime time.Time
}

// CatalogSyncID is the workflow id of a product's or category's sync:
// catalog/{store_hash}/{kind}/{id}.
func CatalogSyncID(storeHash, kind string, id int64) string {
	return "catalog/" + storeHash + "/" + kind + "/" + strconv.FormatInt(id, 10)
}

// CatalogSyncInput starts a catalog entity's sync.
type CatalogSyncInput struct {
	StoreHash string
	Kind      string
	ID        int64
	// Carry is what the previous run carried over (continue-as-new).
	Carry FlowCarry `json:",omitempty"`
}

// catalogInterruptChange is the GetVersion change id under which a
// catalog sync abandons a sync in flight when its history fills.
const catalogInterruptChange = "catalog-interrupt"

// catalogQuietPeriod is how long a catalog sync waits for further changes
// before it completes: an import touching a product many times costs few
// syncs.
const catalogQuietPeriod = time.Minute

// CatalogSync mirrors a product or category whenever BigCommerce reports
// it changed: it syncs at start, once more for all the changes that
// arrived during a sync, and completes after a quiet minute. A deleted
// entity leaves the mirror.
func CatalogSync(ctx workflow.Context, in CatalogSyncInput) (int, error) {
	run, err := newFlowRun(ctx, FlowCatalogSync, in.StoreHash)
	if err != nil {
		return 0, err
	}
	defer run.settle()
	run.counts = in.Carry.Signals
	changed := false
	run.on(SignalCatalogChanged, func(ch workflow.ReceiveChannel) bool {
		ch.ReceiveAsync(nil)
		changed = true
		return true
	})
	run.drain()
	var a *activities.Activities
	actx := workflow.WithActivityOptions(ctx, apiActivityOptions)
	// A storm of changes during a slow sync (the store's quota spent) must
	// not grow the history past its budget: from this version the sync is
	// abandoned when the history fills and the next run syncs.
	interruptible := workflow.GetVersion(ctx, catalogInterruptChange, workflow.DefaultVersion, 1) >= 1
	// nextRun is the input the next run takes over; a change read by
	// continueAsNew's drain is covered by the next run's first sync.
	nextRun := func() any {
		return CatalogSyncInput{StoreHash: in.StoreHash, Kind: in.Kind, ID: in.ID, Carry: FlowCarry{Signals: run.counts}}
	}
	syncs := 0
	for {
		changed = false
		input := activities.CatalogEntityInput{StoreHash: in.StoreHash, Kind: in.Kind, ID: in.ID}
		if interruptible {
			full, err := run.awaitActivity(actx, a.SyncCatalogEntity, input, nil)
			if err != nil {
				return syncs, err
			}
			if full {
				return syncs, run.continueAsNew(CatalogSyncWorkflowName, nextRun)
			}
		} else if err := workflow.ExecuteActivity(actx, a.SyncCatalogEntity, input).Get(ctx, nil); err != nil {
			return syncs, err
		}
		syncs++
		if run.historyFull() {
			return syncs, run.continueAsNew(CatalogSyncWorkflowName, nextRun)
		}
		if !changed && !run.waitForSignal(catalogQuietPeriod, "waiting for further catalog changes") {
			return syncs, nil
		}
	}
}
