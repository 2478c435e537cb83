package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
)

// DiagnosticsWorkflowName is the registered name of Diagnostics.
const DiagnosticsWorkflowName = "Diagnostics"

// DiagnosticsInput names one probe run.
type DiagnosticsInput struct {
	// Probe is a caller-chosen token written to and read back from the store.
	Probe string
}

// DiagnosticsResult reports what the probe saw along the way.
type DiagnosticsResult struct {
	// Probe echoes the input token as read back from the database.
	Probe string
	// StoreDialect is the worker's database dialect (postgres or sqlite).
	StoreDialect string
	// StartedAt is the workflow's start time.
	StartedAt time.Time
}

// DiagnosticsID is the workflow id of one probe.
func DiagnosticsID(probe string) string { return "diagnostics/" + probe }

// Diagnostics proves the whole chain works: a client starts it, a worker
// runs it, and an activity writes the probe to the database and reads it
// back. `bcflow doctor` and the end-to-end tests use it.
func Diagnostics(ctx workflow.Context, in DiagnosticsInput) (DiagnosticsResult, error) {
	if in.Probe == "" {
		return DiagnosticsResult{}, temporal.NewNonRetryableApplicationError("diagnostics: empty probe", "InvalidInput", nil)
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	var a *activities.Activities
	var out activities.StoreRoundTripResult
	if err := workflow.ExecuteActivity(ctx, a.StoreRoundTrip, activities.StoreRoundTripInput{Probe: in.Probe}).Get(ctx, &out); err != nil {
		return DiagnosticsResult{}, fmt.Errorf("diagnostics: store round trip: %w", err)
	}
	return DiagnosticsResult{Probe: out.Probe, StoreDialect: out.Dialect, StartedAt: workflow.GetInfo(ctx).WorkflowStartTime}, nil
}
