package workflows

import (
	"time"

	"github.com/bcflow/bcflow/activities"
)

// StoreSyncWorkflowName copies a store's data (categories, products,
// customers, orders) into bcflow's mirror and the messaging provider:
// historical (everything), manual (everything modified since the last
// successful sync) or a reconcile run of a Schedule.
const StoreSyncWorkflowName = "StoreSync"

// FlowStoreSync is the BcFlow search attribute of store syncs.
const FlowStoreSync = "store-sync"

// Sync kinds: the last part of a sync's workflow id.
const (
	// SyncHistorical copies the whole store since its beginning.
	SyncHistorical = activities.SyncHistorical
	// SyncManual copies what was created or modified since the last
	// successful sync's high-water mark.
	SyncManual = activities.SyncManual
	// SyncReconcileProducts is the hourly catalog reconcile (a Schedule).
	SyncReconcileProducts = activities.SyncReconcileProducts
	// SyncReconcileCustomers is the daily customers-and-orders reconcile (a
	// Schedule).
	SyncReconcileCustomers = activities.SyncReconcileCustomers
)

// SyncKinds are the valid sync kinds, in the order a person reads them.
var SyncKinds = []string{SyncHistorical, SyncManual, SyncReconcileProducts, SyncReconcileCustomers}

// Synced resources, in the order a sync copies them (categories before the
// products in them, customers before their orders).
const (
	ResourceCategories = activities.ResourceCategories
	ResourceProducts   = activities.ResourceProducts
	ResourceCustomers  = activities.ResourceCustomers
	ResourceOrders     = activities.ResourceOrders
	// ResourceLoyalty imports loyalty points for past orders, after the
	// orders (StoreSyncInput.ImportLoyalty, historical only).
	ResourceLoyalty = activities.ResourceLoyalty
)

// StoreSyncID is the workflow id of a store's sync of one kind:
// sync/{store_hash}/{kind}.
func StoreSyncID(storeHash, kind string) string { return "sync/" + storeHash + "/" + kind }

// QuerySyncProgress returns a sync's progress (activities.SyncProgress).
const QuerySyncProgress = "sync-progress"

// StoreSyncInput starts a store sync.
type StoreSyncInput struct {
	StoreHash string
	// Kind is one of SyncKinds.
	Kind string
	// Resources limits the sync to these resources (default: all of the
	// kind's).
	Resources []string `json:",omitempty"`
	// ImportLoyalty awards loyalty points for past orders (historical
	// only; off by default; idempotent per order).
	ImportLoyalty bool `json:",omitempty"`
	// Carry is the state a continued run takes over; nil on a fresh start.
	Carry *StoreSyncCarry `json:",omitempty"`
}

// StoreSyncCarry is a sync's state across continue-as-new.
type StoreSyncCarry struct {
	// StartedAt is when the first run began: the sync's high-water mark.
	StartedAt time.Time
	// Plan is the first run's plan (bound, concurrency, chunk size).
	Plan activities.SyncPlan
	// Progress is every resource's progress so far; Finished marks the
	// resources done.
	Progress []activities.ResourceProgress
	// Chunks are the finished chunks of the resource in progress.
	Chunks []int `json:",omitempty"`
}
