package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/bcflow/bcflow/schedules"
	"github.com/bcflow/bcflow/workflows"
)

// TestEnsureSchedulesOnARealServer: the schedules are created and the hook
// reconciliation runs at once; a second call (another worker starting, or a
// new version) updates them to the current definition and keeps an
// operator's pause.
func TestEnsureSchedulesOnARealServer(t *testing.T) {
	s := newStack(t, stackOptions{})
	ctx := context.Background()
	if err := schedules.EnsureSchedules(ctx, s.c, taskQueue, []string{s.hash}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the immediate hook reconciliation run completed", func() (bool, string) {
		resp, err := s.c.ListWorkflow(ctx, listRequest(`WorkflowType = "HookReconcile"`))
		if err != nil {
			return false, err.Error()
		}
		var seen []string
		for _, e := range resp.Executions {
			if e.Status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
				return true, ""
			}
			seen = append(seen, e.Execution.WorkflowId+" "+e.Status.String())
		}
		return false, fmt.Sprint(seen)
	})

	sc := s.c.ScheduleClient()
	// The store's sync reconciles: the catalog hourly, customers and orders
	// daily, each a StoreSync of its kind.
	for kind, every := range map[string]time.Duration{workflows.SyncReconcileProducts: time.Hour, workflows.SyncReconcileCustomers: 24 * time.Hour} {
		d, err := sc.GetHandle(ctx, schedules.ReconcileScheduleID(s.hash, kind)).Describe(ctx)
		if err != nil {
			t.Fatalf("%s schedule: %v", kind, err)
		}
		a, ok := d.Schedule.Action.(*client.ScheduleWorkflowAction)
		if !ok || a.Workflow != workflows.StoreSyncWorkflowName || a.ID != workflows.StoreSyncID(s.hash, kind) ||
			len(d.Schedule.Spec.Intervals) != 1 || d.Schedule.Spec.Intervals[0].Every != every {
			t.Fatalf("%s schedule: %+v %+v", kind, d.Schedule.Action, d.Schedule.Spec)
		}
	}
	if err := sc.GetHandle(ctx, schedules.LoyaltyBirthdaysScheduleID).Pause(ctx, client.SchedulePauseOptions{Note: "paused by the merchant"}); err != nil {
		t.Fatal(err)
	}
	if err := schedules.EnsureSchedules(ctx, s.c, "new-queue", []string{s.hash, "other"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{schedules.LoyaltyBirthdaysScheduleID, workflows.HookReconcileScheduleID} {
		d, err := sc.GetHandle(ctx, id).Describe(ctx)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		a, ok := d.Schedule.Action.(*client.ScheduleWorkflowAction)
		if !ok || a.TaskQueue != "new-queue" {
			t.Fatalf("%s action not updated: %+v", id, d.Schedule.Action)
		}
		switch id {
		case schedules.LoyaltyBirthdaysScheduleID:
			if !d.Schedule.State.Paused || d.Schedule.State.Note != "paused by the merchant" {
				t.Fatalf("the merchant's pause was lost: %+v", d.Schedule.State)
			}
		case workflows.HookReconcileScheduleID:
			if len(d.Schedule.Spec.Intervals) != 1 || d.Schedule.Spec.Intervals[0].Every != time.Hour {
				t.Fatalf("hook reconciliation spec %+v", d.Schedule.Spec)
			}
		}
	}
}
