package activities

import (
	"time"

	"github.com/bcflow/bcflow/store"
	"github.com/bcflow/bcflow/syncer"
)

// Sync run statuses (the store's).
const (
	SyncRunning   = store.SyncRunning
	SyncCompleted = store.SyncCompleted
	SyncFailed    = store.SyncFailed
	SyncCancelled = store.SyncCancelled
)

// Sync kinds and resources: the syncer's names, for the workflows.
const (
	SyncHistorical         = syncer.KindHistorical
	SyncManual             = syncer.KindManual
	SyncReconcileProducts  = syncer.KindReconcileProducts
	SyncReconcileCustomers = syncer.KindReconcileCustomers

	ResourceCategories = syncer.Categories
	ResourceProducts   = syncer.Products
	ResourceCustomers  = syncer.Customers
	ResourceOrders     = syncer.Orders
	ResourceLoyalty    = syncer.Loyalty
)

// SyncProgress is a store sync's progress, as the sync-progress query and
// the admin API return it.
type SyncProgress = store.SyncRun

// ResourceProgress is a sync's progress on one resource.
type ResourceProgress = store.ResourceProgress

// BeginSyncInput opens a sync run in the store.
type BeginSyncInput struct {
	StoreHash  string
	Kind       string
	WorkflowID string
	Resources  []string
	// StartedAt is the workflow's start time: the run's high-water mark.
	StartedAt time.Time
}

// SyncPlan is how a sync runs, decided once and kept in the history.
type SyncPlan struct {
	// Concurrency is how many chunks of pages run at once.
	Concurrency int
	// ChunkPages is how many pages one SyncPages activity copies.
	ChunkPages int
}

// PlanResourceInput asks how much of a resource there is to copy.
type PlanResourceInput struct {
	StoreHash string
	Kind      string
	Resource  string
}

// ResourcePlan is a resource's size at the start of its copy.
type ResourcePlan struct {
	Total int64
	Pages int
	// Since is the modified-since bound (zero: everything): for a manual
	// or reconcile sync, the resource's last completed copy's start minus
	// an overlap.
	Since time.Time
	// Skip: a reconcile of a resource never synced copies nothing (a
	// historical sync is an explicit decision).
	Skip bool
}

// SyncPagesInput copies pages First to Last of a resource. OpenEnded goes
// on past Last while pages come back full (items created during the sync).
type SyncPagesInput struct {
	StoreHash string
	Kind      string
	Resource  string
	Since     time.Time
	First     int
	Last      int
	OpenEnded bool
	// Historical marks provider writes as history (no provider automation
	// fires on them).
	Historical bool
}

// SyncPagesResult is what one chunk copied.
type SyncPagesResult struct {
	Pages    int
	Items    int64
	Pushed   int64
	Requests int64
}

// FinishSyncInput closes a sync run.
type FinishSyncInput struct {
	StoreHash string
	Kind      string
	// Status is completed, failed or cancelled.
	Status string
	Error  string
	// StartedAt is the sync's start: the high-water mark of the resources
	// it finished.
	StartedAt time.Time
	// Resources are the workflow's final figures.
	Resources []ResourceProgress `json:",omitempty"`
}

// CatalogEntityInput names a product or category to mirror.
type CatalogEntityInput struct {
	StoreHash string
	// Kind is "product" or "category".
	Kind string
	ID   int64
}
