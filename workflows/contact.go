package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
)

// contactQuietPeriod is how long a contact sync waits for further changes
// before it completes; bursts of customer webhooks share one run.
const contactQuietPeriod = 10 * time.Minute

// ContactSyncResult reports what a contact sync run did.
type ContactSyncResult struct {
	Syncs int
	Email string
}

// ContactSync mirrors one BigCommerce customer to the messaging provider's
// contact whenever the customer changes. It syncs at start, again after
// every change signal, and completes after a quiet period; the next change
// starts a new run (the starter's ALLOW_DUPLICATE policy).
func ContactSync(ctx workflow.Context, in ContactSyncInput) (ContactSyncResult, error) {
	run, err := newFlowRun(ctx, FlowContactSync, in.StoreHash)
	if err != nil {
		return ContactSyncResult{}, err
	}
	changed := false
	run.on(SignalCustomerChanged, func(ch workflow.ReceiveChannel) bool {
		var s CustomerChanged
		ch.Receive(ctx, &s)
		changed = true
		return true
	})
	var a *activities.Activities
	actx := workflow.WithActivityOptions(ctx, apiActivityOptions)
	var res ContactSyncResult
	for {
		changed = false
		var out activities.SyncContactResult
		if err := workflow.ExecuteActivity(actx, a.SyncContact, activities.SyncContactInput{StoreHash: in.StoreHash, CustomerID: in.CustomerID}).Get(ctx, &out); err != nil {
			return res, err
		}
		res.Syncs++
		if out.Email != "" && out.Email != res.Email {
			res.Email = out.Email
			_ = workflow.UpsertTypedSearchAttributes(ctx, SearchCustomerEmail.ValueSet(lowerASCII(out.Email)))
		}
		// Drain changes that arrived during the sync, then wait for more.
		if !changed && !run.waitForSignal(contactQuietPeriod, "waiting for further customer changes") {
			return res, nil
		}
	}
}
