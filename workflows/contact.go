package workflows

import (
	"fmt"
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
	// BonusPoints is the account-creation bonus this run awarded (0 when
	// none, or when an earlier run already did).
	BonusPoints int64
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
	changed, created := false, false
	run.on(SignalCustomerChanged, func(ch workflow.ReceiveChannel) bool {
		var s CustomerChanged
		ch.Receive(ctx, &s)
		changed = true
		created = created || s.Scope == "store/customer/created"
		return true
	})
	run.drain() // the signal that started this run
	bonusChecked := false
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
		if created && !bonusChecked && out.Found {
			bonusChecked = true
			points, err := awardAccountCreation(run, in, activities.Shopper{CustomerID: in.CustomerID, Email: out.Email})
			if err != nil {
				return res, err
			}
			res.BonusPoints = points
		}
		// Drain changes that arrived during the sync, then wait for more.
		if !changed && !run.waitForSignal(contactQuietPeriod, "waiting for further customer changes") {
			return res, nil
		}
	}
}

// awardAccountCreation gives a new account the loyalty program's
// account-creation bonus, once per customer whatever runs or webhooks
// repeat, and recomputes the tier.
func awardAccountCreation(run *flowRun, in ContactSyncInput, s activities.Shopper) (int64, error) {
	flows, err := run.resolveFlows(0)
	if err != nil {
		return 0, err
	}
	program := flows.Loyalty
	if program == nil || !program.Enabled || program.Bonuses.AccountCreation <= 0 {
		return 0, nil
	}
	e, err := run.appendEntry(activities.LoyaltyEntryInput{
		StoreHash: in.StoreHash, CustomerID: in.CustomerID, Kind: activities.LedgerBonus, Points: program.Bonuses.AccountCreation,
		IdempotencyKey: fmt.Sprintf("bonus/account_creation/%s/%d", in.StoreHash, in.CustomerID), Reason: "account creation bonus",
	})
	if err != nil {
		return 0, err
	}
	if !e.Inserted {
		return 0, nil
	}
	run.record("account-creation-bonus", DecisionAwarded, fmt.Sprintf("%d points", e.Points), nil)
	run.applyTier(program, in.CustomerID, s, e.Account)
	return e.Points, nil
}
