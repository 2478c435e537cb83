package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/hooks"
)

// HookReconcileWorkflowName is the registered name of HookReconcile.
const HookReconcileWorkflowName = "HookReconcile"

// HookReconcileScheduleID is the Temporal Schedule that runs HookReconcile
// hourly.
const HookReconcileScheduleID = "bcflow-hook-reconcile"

// HookReconcileInput lists the stores to reconcile.
type HookReconcileInput struct {
	Stores []string
}

// StoreHooksReport is one store's reconciliation.
type StoreHooksReport struct {
	StoreHash string
	Report    hooks.Report
	Error     string
}

// HookReconcile re-registers, re-activates and repairs every store's
// webhook subscriptions. BigCommerce deactivates a hook after its retries
// fail or after 90 days without events; a Temporal Schedule runs this
// hourly so a deactivated hook costs at most an hour of events (which
// bcflow's re-checks before sending make harmless).
func HookReconcile(ctx workflow.Context, in HookReconcileInput) ([]StoreHooksReport, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 5, NonRetryableErrorTypes: []string{activities.ErrTypeInvalid}},
	})
	var a *activities.Activities
	out := make([]StoreHooksReport, 0, len(in.Stores))
	for _, store := range in.Stores {
		var rep hooks.Report
		err := workflow.ExecuteActivity(ctx, a.SyncHooks, activities.SyncHooksInput{StoreHash: store}).Get(ctx, &rep)
		r := StoreHooksReport{StoreHash: store, Report: rep}
		if err != nil {
			// One store's failure must not stop the others.
			r.Error = err.Error()
			workflow.GetLogger(ctx).Error("hook reconciliation failed", "store", store, "error", err)
		}
		out = append(out, r)
	}
	return out, nil
}
