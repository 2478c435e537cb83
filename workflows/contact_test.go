package workflows

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/config"
)

func TestContactSyncBatchesChangesAndEnds(t *testing.T) {
	env := newTestEnv(t)
	a := &activities.Activities{}
	env.RegisterActivity(a)
	var syncs []time.Time
	env.OnActivity(a.SyncContact, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.SyncContactInput) (activities.SyncContactResult, error) {
			syncs = append(syncs, env.Now())
			return activities.SyncContactResult{Found: true, Email: "Ann@Example.com"}, nil
		})
	start := env.Now()
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalCustomerChanged, CustomerChanged{}) }, 0)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalCustomerChanged, CustomerChanged{}) }, 5*time.Minute)
	env.ExecuteWorkflow(ContactSync, ContactSyncInput{StoreHash: "abc", CustomerID: 7})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res ContactSyncResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	// Start (with the first change), then the change at 5 min; then quiet.
	if res.Syncs != len(syncs) || len(syncs) < 2 || !syncs[len(syncs)-1].Equal(start.Add(5*time.Minute)) {
		t.Fatalf("result %+v, syncs at %v", res, syncs)
	}
	if got := env.Now().Sub(start); got != 15*time.Minute {
		t.Fatalf("ended after %s, want 5 min + the 10 min quiet period", got)
	}
}

func TestContactSyncAwardsTheAccountCreationBonusOnce(t *testing.T) {
	written := map[string]bool{}
	run := func() (ContactSyncResult, []string) {
		env := newTestEnv(t)
		a := &activities.Activities{}
		env.RegisterActivity(a)
		var calls []string
		env.OnActivity(a.SyncContact, mock.Anything, mock.Anything).Return(activities.SyncContactResult{Found: true, Email: "new@example.com"}, nil)
		env.OnActivity(a.ResolveFlows, mock.Anything, mock.Anything).Return(config.DefaultFlows().For("abc", 0), nil)
		env.OnActivity(a.RecordDecision, mock.Anything, mock.Anything).Return(nil)
		env.OnActivity(a.AppendLoyaltyEntry, mock.Anything, mock.Anything).Return(
			func(_ context.Context, in activities.LoyaltyEntryInput) (activities.LoyaltyEntry, error) {
				calls = append(calls, fmt.Sprintf("%s %d %s", in.Kind, in.Points, in.IdempotencyKey))
				inserted := !written[in.IdempotencyKey]
				written[in.IdempotencyKey] = true
				return activities.LoyaltyEntry{Inserted: inserted, Points: in.Points,
					Account: activities.LoyaltyAccount{Balance: in.Points, LifetimeEarned: in.Points}}, nil
			})
		env.OnActivity(a.SetLoyaltyTier, mock.Anything, mock.Anything).Return(
			func(_ context.Context, in activities.LoyaltyTierInput) error {
				calls = append(calls, "tier "+in.Tier)
				return nil
			})
		env.OnActivity(a.TrackEvent, mock.Anything, mock.Anything).Return(nil)
		env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalCustomerChanged, CustomerChanged{Scope: "store/customer/created"}) }, 0)
		env.ExecuteWorkflow(ContactSync, ContactSyncInput{StoreHash: "abc", CustomerID: 9})
		if err := env.GetWorkflowError(); err != nil {
			t.Fatal(err)
		}
		var res ContactSyncResult
		if err := env.GetWorkflowResult(&res); err != nil {
			t.Fatal(err)
		}
		return res, calls
	}
	res, calls := run()
	if res.BonusPoints != 100 || len(calls) != 2 || calls[0] != "bonus 100 bonus/account_creation/abc/9" || calls[1] != "tier Bronze" {
		t.Fatalf("first run: %+v %v", res, calls)
	}
	// A redelivered customer-created webhook starts a new run: no second bonus.
	res, calls = run()
	if res.BonusPoints != 0 || len(calls) != 1 {
		t.Fatalf("second run: %+v %v", res, calls)
	}
}
