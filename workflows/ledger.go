package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/config"
)

// This file is the loyalty ledger machinery the flows that award points
// share (LoyaltyAward, LoyaltyBonus, ContactSync's account-creation bonus,
// LoyaltyBirthdays): writing an entry and recomputing the tier after it.

// appendEntry writes one ledger entry.
func (f *flowRun) appendEntry(in activities.LoyaltyEntryInput) (activities.LoyaltyEntry, error) {
	var a *activities.Activities
	var out activities.LoyaltyEntry
	in.At = workflow.Now(f.ctx)
	ctx := workflow.WithActivityOptions(f.ctx, storeActivityOptions)
	err := workflow.ExecuteActivity(ctx, a.AppendLoyaltyEntry, in).Get(ctx, &out)
	return out, err
}

// applyTier recomputes the customer's tier from their lifetime points after
// a ledger change and, when it changed, records it, tracks
// EventLoyaltyTierChanged and sets LoyaltyTierAttribute. It returns the
// tier.
func (f *flowRun) applyTier(program *config.Loyalty, customerID int64, s activities.Shopper, acct activities.LoyaltyAccount) string {
	tier, ok := program.TierFor(acct.LifetimeEarned)
	if !ok || tier.Name == acct.Tier {
		return acct.Tier
	}
	var a *activities.Activities
	ctx := workflow.WithActivityOptions(f.ctx, storeActivityOptions)
	if err := workflow.ExecuteActivity(ctx, a.SetLoyaltyTier, activities.LoyaltyTierInput{
		StoreHash: f.storeHash, CustomerID: customerID, Tier: tier.Name,
	}).Get(ctx, nil); err != nil {
		f.record("tier", DecisionSkipped, "tier not recorded: "+err.Error(), nil)
		return acct.Tier
	}
	from := acct.Tier
	f.record("tier", DecisionTierChanged, fmt.Sprintf("%q -> %q at %d lifetime points", from, tier.Name, acct.LifetimeEarned), nil)
	f.trackEvent("tier", EventLoyaltyTierChanged, s,
		map[string]any{"from": from, "to": tier.Name, "lifetime_points": acct.LifetimeEarned, "balance": acct.Balance, "customer_id": customerID},
		map[string]any{LoyaltyTierAttribute: tier.Name})
	return tier.Name
}
