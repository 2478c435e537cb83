package workflows

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/config"
)

// LoyaltyBonusWorkflowName is the registered name of LoyaltyBonus.
const LoyaltyBonusWorkflowName = "LoyaltyBonus"

// FlowLoyaltyBonus is the BcFlow value of LoyaltyBonus runs.
const FlowLoyaltyBonus = "loyalty-bonus"

// Bonus kinds a merchant's tools report through the admin API (account
// creation, first purchase and birthday are awarded by bcflow itself).
const (
	BonusReviewSubmitted  = "review_submitted"
	BonusReferral         = "referral"
	BonusNewsletterSignup = "newsletter_signup"
)

// LoyaltyBonusInput awards one bonus.
type LoyaltyBonusInput struct {
	StoreHash  string
	CustomerID int64
	Email      string
	// Kind is one of the Bonus constants.
	Kind string
	// Reference makes the bonus unique: the review id, the referred
	// customer; ignored for the newsletter (once per customer).
	Reference string
	// ChannelID is the storefront the bonus was earned on; the loyalty
	// program of that channel applies (0: the store's).
	ChannelID int `json:",omitempty"`
}

// LoyaltyBonusID is the workflow id of one bonus: the same report twice is
// the same workflow, so it awards once.
func LoyaltyBonusID(in LoyaltyBonusInput) string {
	ref := in.Reference
	if in.Kind == BonusNewsletterSignup {
		ref = "once"
	}
	return fmt.Sprintf("bonus/%s/%d/%s/%s", in.StoreHash, in.CustomerID, in.Kind, ref)
}

// BonusPoints returns the program's points for a bonus kind, or false for
// an unknown kind.
func BonusPoints(b config.Bonuses, kind string) (int64, bool) {
	switch kind {
	case BonusReviewSubmitted:
		return b.ReviewSubmitted, true
	case BonusReferral:
		return b.Referral, true
	case BonusNewsletterSignup:
		return b.NewsletterSignup, true
	}
	return 0, false
}

// LoyaltyBonus awards a reported bonus once (the ledger key is the workflow
// id) and recomputes the tier, which may send the tier-change event.
func LoyaltyBonus(ctx workflow.Context, in LoyaltyBonusInput) (int64, error) {
	run, err := newFlowRun(ctx, FlowLoyaltyBonus, in.StoreHash)
	if err != nil {
		return 0, err
	}
	defer run.settle()
	run.customerKey, run.email = fmt.Sprintf("c:%d", in.CustomerID), lowerASCII(in.Email)
	channel := 0
	if run.durable() {
		channel = in.ChannelID
	}
	flows, err := run.resolveFlows(channel)
	if err != nil {
		return 0, err
	}
	program := flows.Loyalty
	if program == nil || !program.Enabled {
		run.record(in.Kind, DecisionSkipped, "loyalty program disabled", nil)
		return 0, nil
	}
	points, ok := BonusPoints(program.Bonuses, in.Kind)
	if !ok {
		return 0, temporal.NewNonRetryableApplicationError("unknown bonus kind "+in.Kind, activities.ErrTypeInvalid, nil)
	}
	if points <= 0 {
		run.record(in.Kind, DecisionSkipped, "bonus not configured", nil)
		return 0, nil
	}
	e, err := run.appendEntry(activities.LoyaltyEntryInput{
		StoreHash: in.StoreHash, CustomerID: in.CustomerID, Kind: activities.LedgerBonus, Points: points,
		IdempotencyKey: workflow.GetInfo(ctx).WorkflowExecution.ID, Reason: in.Kind + " bonus " + in.Reference,
	})
	if err != nil {
		return 0, err
	}
	if !e.Inserted {
		return 0, nil
	}
	run.record(in.Kind, DecisionAwarded, fmt.Sprintf("%d points", e.Points), nil)
	run.applyTier(program, in.CustomerID, activities.Shopper{CustomerID: in.CustomerID, Email: in.Email}, e.Account)
	return e.Points, nil
}
