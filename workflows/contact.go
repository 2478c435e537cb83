package workflows

import (
	"fmt"
	"strconv"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
)

// contactInterruptChange is the GetVersion change id under which a
// contact sync abandons a sync in flight when its history fills.
const contactInterruptChange = "contact-interrupt"

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
// contact whenever the customer changes. It syncs at start, and again once
// for all the changes that arrived during a sync (a burst of N webhooks
// costs one more sync, not N); it completes after a quiet period, and the
// next change starts a new run (the starter's ALLOW_DUPLICATE policy). A
// customer changed for ever (an ERP's updates every few minutes) keeps a
// bounded history: the run continues as new past historyBudget events.
func ContactSync(ctx workflow.Context, in ContactSyncInput) (ContactSyncResult, error) {
	run, err := newFlowRun(ctx, FlowContactSync, in.StoreHash)
	if err != nil {
		return ContactSyncResult{}, err
	}
	defer run.settle()
	carry := in.Carry
	run.counts = carry.Signals
	changed, created := false, carry.Created
	run.on(SignalCustomerChanged, func(ch workflow.ReceiveChannel) bool {
		var s CustomerChanged
		ch.ReceiveAsync(&s)
		changed = true
		created = created || s.Scope == "store/customer/created"
		return true
	})
	run.drain() // the signal that started this run
	bonusChecked := carry.BonusChecked
	var a *activities.Activities
	actx := workflow.WithActivityOptions(ctx, apiActivityOptions)
	res := ContactSyncResult{Syncs: carry.Syncs, Email: carry.Email}
	// A storm of changes during a slow sync (the store's quota spent)
	// must not grow the history past its budget: from this version the
	// sync is abandoned when the history fills and the next run syncs.
	interruptible := workflow.GetVersion(ctx, contactInterruptChange, workflow.DefaultVersion, 1) >= 1
	// nextRun is the input the next run takes over; a change read by
	// continueAsNew's drain is covered by the next run's first sync.
	nextRun := func() any {
		return ContactSyncInput{StoreHash: in.StoreHash, CustomerID: in.CustomerID, Carry: ContactSyncCarry{
			FlowCarry: FlowCarry{Signals: run.counts}, Created: created, BonusChecked: bonusChecked, Syncs: res.Syncs, Email: res.Email,
		}}
	}
	for {
		changed = false
		var out activities.SyncContactResult
		input := activities.SyncContactInput{StoreHash: in.StoreHash, CustomerID: in.CustomerID}
		if interruptible {
			full, err := run.awaitActivity(actx, a.SyncContact, input, &out)
			if err != nil {
				return res, err
			}
			if full {
				return res, run.continueAsNew(ContactSyncWorkflowName, nextRun)
			}
		} else if err := workflow.ExecuteActivity(actx, a.SyncContact, input).Get(ctx, &out); err != nil {
			return res, err
		}
		res.Syncs++
		if out.Email != "" && out.Email != res.Email {
			res.Email = out.Email
			run.customerKey, run.email = "c:"+strconv.FormatInt(in.CustomerID, 10), lowerASCII(out.Email)
			_ = workflow.UpsertTypedSearchAttributes(ctx, SearchCustomerEmail.ValueSet(lowerASCII(out.Email)))
		}
		if created && !bonusChecked && out.Found {
			bonusChecked = true
			channel := 0
			if run.durable() {
				channel = out.ChannelID
			}
			points, err := awardAccountCreation(run, in, channel, activities.Shopper{CustomerID: in.CustomerID, Email: out.Email})
			if err != nil {
				return res, err
			}
			res.BonusPoints += points
		}
		if run.durable() && run.historyFull() {
			return res, run.continueAsNew(ContactSyncWorkflowName, nextRun)
		}
		// Changes that arrived during the sync are drained together (one more
		// sync for all of them); otherwise wait for more.
		if !changed && !run.waitForSignal(contactQuietPeriod, "waiting for further customer changes") {
			return res, nil
		}
	}
}

// awardAccountCreation gives a new account the loyalty program's
// account-creation bonus, once per customer whatever runs or webhooks
// repeat, and recomputes the tier.
func awardAccountCreation(run *flowRun, in ContactSyncInput, channelID int, s activities.Shopper) (int64, error) {
	flows, err := run.resolveFlows(channelID)
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
