package workflows

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/config"
)

func TestLoyaltyBonusAwardsOnceAndRecomputesTheTier(t *testing.T) {
	written := map[string]bool{}
	run := func(in LoyaltyBonusInput, lifetime int64) (int64, []string, error) {
		env := newTestEnv(t)
		env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: LoyaltyBonusID(in)})
		a := &activities.Activities{}
		env.RegisterActivity(a)
		var calls []string
		env.OnActivity(a.ResolveFlows, mock.Anything, mock.Anything).Return(config.DefaultFlows().For("abc", 0), nil)
		env.OnActivity(a.RecordDecision, mock.Anything, mock.Anything).Return(nil)
		env.OnActivity(a.AppendLoyaltyEntry, mock.Anything, mock.Anything).Return(
			func(_ context.Context, e activities.LoyaltyEntryInput) (activities.LoyaltyEntry, error) {
				calls = append(calls, e.IdempotencyKey)
				inserted := !written[e.IdempotencyKey]
				written[e.IdempotencyKey] = true
				return activities.LoyaltyEntry{Inserted: inserted, Points: e.Points,
					Account: activities.LoyaltyAccount{Balance: lifetime + e.Points, LifetimeEarned: lifetime + e.Points, Tier: "Bronze"}}, nil
			})
		env.OnActivity(a.SetLoyaltyTier, mock.Anything, mock.Anything).Return(
			func(_ context.Context, in activities.LoyaltyTierInput) error {
				calls = append(calls, "tier "+in.Tier)
				return nil
			})
		env.OnActivity(a.TrackEvent, mock.Anything, mock.Anything).Return(
			func(_ context.Context, in activities.EventInput) error {
				calls = append(calls, "event")
				return nil
			})
		env.ExecuteWorkflow(LoyaltyBonus, in)
		var points int64
		if err := env.GetWorkflowError(); err != nil {
			return 0, calls, err
		}
		if err := env.GetWorkflowResult(&points); err != nil {
			t.Fatal(err)
		}
		return points, calls, nil
	}
	review := LoyaltyBonusInput{StoreHash: "abc", CustomerID: 5, Email: "e@example.com", Kind: BonusReviewSubmitted, Reference: "rev-1"}
	// 980 lifetime points + 50 crosses Silver at 1000.
	points, calls, err := run(review, 980)
	if err != nil || points != 50 || strings.Join(calls, ",") != "bonus/abc/5/review_submitted/rev-1,tier Silver,event" {
		t.Fatalf("first award: %d %v %v", points, calls, err)
	}
	if points, calls, err = run(review, 980); err != nil || points != 0 || len(calls) != 1 {
		t.Fatalf("repeat: %d %v %v", points, calls, err)
	}
	// The newsletter bonus is once per customer whatever the reference.
	if LoyaltyBonusID(LoyaltyBonusInput{StoreHash: "abc", CustomerID: 5, Kind: BonusNewsletterSignup, Reference: "a"}) !=
		LoyaltyBonusID(LoyaltyBonusInput{StoreHash: "abc", CustomerID: 5, Kind: BonusNewsletterSignup, Reference: "b"}) {
		t.Fatal("newsletter bonus ids differ by reference")
	}
	if _, _, err := run(LoyaltyBonusInput{StoreHash: "abc", CustomerID: 5, Kind: "birthday_party", Reference: "x"}, 0); err == nil ||
		!strings.Contains(err.Error(), "unknown bonus kind") {
		t.Fatalf("unknown kind: %v", err)
	}
}
