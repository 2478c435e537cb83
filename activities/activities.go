// Package activities holds bcflow's Temporal activities: thin adapters from
// a workflow's request to the BigCommerce and messaging clients and the
// store. They hold no business rules; those live in workflows.
package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/hooks"
	"github.com/bcflow/bcflow/messaging"
	"github.com/bcflow/bcflow/store"
	"github.com/bcflow/bcflow/syncer"
)

// Activities carries the dependencies every activity needs. Register one
// value with the worker; workflows reference its methods by name.
type Activities struct {
	// Store is bcflow's database.
	Store *store.Store
	// Flows says what each store and channel runs.
	Flows *config.Flows
	// BigCommerce holds one API client per store hash.
	BigCommerce map[string]*bigcommerce.Client
	// Messaging sends email, SMS and WhatsApp and tracks events.
	Messaging messaging.Provider
	// Sender is the From of emails and SMS.
	Sender Sender
	// Sync copies store data into the mirror and the provider.
	Sync *syncer.Syncer
	// Hooks is the webhook subscription every store must have.
	Hooks hooks.Spec
	// Now is the clock of activities (default time.Now).
	Now func() time.Time
	// StorefrontTTL is how long a channel's storefront URL from BigCommerce
	// is cached (default DefaultStorefrontTTL).
	StorefrontTTL time.Duration
	// Segments evaluates and pushes customer segments (segments.go); nil
	// turns segments off.
	Segments SegmentEngine
	// Nudger wakes the workflows that act on segment changes; nil: none
	// is woken (tests, tools).
	Nudger SegmentNudger

	sites    siteCache
	syncOnce sync.Once
}

// Sender is who messages come from.
type Sender struct {
	Email     string
	Name      string
	SMSSender string // at most 11 letters or digits
	WhatsApp  string // the business's WhatsApp number
}

// ErrTypeInvalid is the Temporal error type of failures that retrying
// cannot fix (a validation error from an API, a missing store).
const ErrTypeInvalid = "InvalidRequest"

func (a *Activities) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// bc returns the BigCommerce client of a store.
func (a *Activities) bc(storeHash string) (*bigcommerce.Client, error) {
	c, ok := a.BigCommerce[storeHash]
	if !ok {
		return nil, temporal.NewNonRetryableApplicationError("no BigCommerce credentials for store "+storeHash, ErrTypeInvalid, nil)
	}
	return c, nil
}

// classify turns client errors Temporal must not retry into non-retryable
// application errors; everything else is retried by the activity's policy.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	wrapped := fmt.Errorf("%s: %w", op, err)
	if ae, ok := bigcommerce.AsAPIError(err); ok && !ae.Retryable() {
		return temporal.NewNonRetryableApplicationError(wrapped.Error(), ErrTypeInvalid, err)
	}
	var me *messaging.Error
	if errors.As(err, &me) && !messaging.IsRetryable(err) {
		return temporal.NewNonRetryableApplicationError(wrapped.Error(), ErrTypeInvalid, err)
	}
	return wrapped
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
