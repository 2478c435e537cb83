// Package activities holds bcflow's Temporal activities: thin adapters from
// a workflow's request to the BigCommerce and messaging clients and the
// store. They hold no business rules; those live in workflows.
package activities

import (
	"context"
	"fmt"

	"github.com/bcflow/bcflow/store"
)

// Activities carries the dependencies every activity needs. Register one
// value with the worker; workflows reference its methods by name.
type Activities struct {
	// Store is bcflow's database.
	Store *store.Store
}

// StoreRoundTripInput is the probe a diagnostics run writes.
type StoreRoundTripInput struct {
	// Probe is written as a sync-state cursor and read back.
	Probe string
}

// StoreRoundTripResult is what the database returned.
type StoreRoundTripResult struct {
	// Probe as read back from the database.
	Probe string
	// Dialect of the database (postgres or sqlite).
	Dialect string
}

// diagnosticsStore is the reserved store hash diagnostics write under.
const diagnosticsStore = "_bcflow"

// StoreRoundTrip writes the probe to the database and reads it back, proving
// the worker can reach its store.
func (a *Activities) StoreRoundTrip(ctx context.Context, in StoreRoundTripInput) (StoreRoundTripResult, error) {
	resource := "diagnostics/" + in.Probe
	if err := a.Store.PutSyncState(ctx, store.SyncState{StoreHash: diagnosticsStore, Resource: resource, Cursor: in.Probe}); err != nil {
		return StoreRoundTripResult{}, fmt.Errorf("store round trip: write: %w", err)
	}
	got, err := a.Store.GetSyncState(ctx, diagnosticsStore, resource)
	if err != nil {
		return StoreRoundTripResult{}, fmt.Errorf("store round trip: read: %w", err)
	}
	return StoreRoundTripResult{Probe: got.Cursor, Dialect: a.Store.Dialect()}, nil
}
