package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/bcflow/bcflow/activities"
)

func TestContactSyncBatchesChangesAndEnds(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
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
