package workflows

import (
	"context"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/hooks"
)

func TestHookReconcileKeepsGoingPastAFailingStore(t *testing.T) {
	env := newTestEnv(t)
	a := &activities.Activities{}
	env.RegisterActivity(a)
	env.OnActivity(a.SyncHooks, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SyncHooksInput) (hooks.Report, error) {
			if in.StoreHash == "broken" {
				return hooks.Report{}, temporal.NewNonRetryableApplicationError("no BigCommerce credentials for store broken", activities.ErrTypeInvalid, nil)
			}
			return hooks.Report{Reactivated: []string{"store/cart/abandoned"}}, nil
		})
	env.ExecuteWorkflow(HookReconcile, HookReconcileInput{Stores: []string{"abc", "broken", "def"}})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var out []StoreHooksReport
	if err := env.GetWorkflowResult(&out); err != nil {
		t.Fatal(err)
	}
	if len(out) != 3 || out[1].Error == "" || out[0].Error != "" || len(out[2].Report.Reactivated) != 1 {
		t.Fatalf("reports = %+v", out)
	}
}
