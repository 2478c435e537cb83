package starter

import (
	"errors"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/bcflow/bcflow/workflows"
)

func TestCheckSyncInput(t *testing.T) {
	ok := []workflows.StoreSyncInput{
		{StoreHash: "abc123", Kind: workflows.SyncHistorical},
		{StoreHash: "abc123", Kind: workflows.SyncHistorical, ImportLoyalty: true, Resources: []string{"orders", "customers"}},
		{StoreHash: "abc123", Kind: workflows.SyncManual, Resources: []string{"categories", "products", "customers", "orders"}},
		{StoreHash: "abc123", Kind: workflows.SyncReconcileProducts},
	}
	for _, in := range ok {
		if err := CheckSyncInput(in); err != nil {
			t.Errorf("%+v: %v", in, err)
		}
	}
	bad := []struct {
		in    workflows.StoreSyncInput
		field string
	}{
		{workflows.StoreSyncInput{StoreHash: "ABC", Kind: workflows.SyncHistorical}, "store_hash"},
		{workflows.StoreSyncInput{StoreHash: "", Kind: workflows.SyncHistorical}, "store_hash"},
		{workflows.StoreSyncInput{StoreHash: "abc123", Kind: "everything"}, "kind"},
		{workflows.StoreSyncInput{StoreHash: "abc123", Kind: ""}, "kind"},
		{workflows.StoreSyncInput{StoreHash: "abc123", Kind: workflows.SyncManual, Resources: []string{"carts"}}, "resources"},
		{workflows.StoreSyncInput{StoreHash: "abc123", Kind: workflows.SyncManual, Resources: []string{"orders", "orders"}}, "resources"},
		{workflows.StoreSyncInput{StoreHash: "abc123", Kind: workflows.SyncManual, ImportLoyalty: true}, "import_loyalty"},
		{workflows.StoreSyncInput{StoreHash: "abc123", Kind: workflows.SyncHistorical, Carry: &workflows.StoreSyncCarry{}}, "carry"},
	}
	for _, tc := range bad {
		err := CheckSyncInput(tc.in)
		pe, isParse := errors.AsType[*ParseError](err)
		if !isParse || pe.Field != tc.field {
			t.Errorf("%+v: error %v, want a ParseError on %s", tc.in, err, tc.field)
		}
	}
}

// TestSyncStartOptions: a finished sync may run again, a running one is
// refused (not joined), and the run is findable by store and flow.
func TestSyncStartOptions(t *testing.T) {
	in := workflows.StoreSyncInput{StoreHash: "abc123", Kind: workflows.SyncManual}
	checkExclusiveStartOptions(t, syncStartOptions(in, "bcflow-q"), "sync/abc123/manual", workflows.FlowStoreSync)
}

// checkExclusiveStartOptions fails t unless o starts id on the queue
// bcflow-q one at a time (a finished run may run again, a running one is
// refused with an error, not joined), findable by the store abc123 and
// flow.
func checkExclusiveStartOptions(t *testing.T, o client.StartWorkflowOptions, id, flow string) {
	t.Helper()
	if o.ID != id || o.TaskQueue != "bcflow-q" {
		t.Fatalf("id %q queue %q", o.ID, o.TaskQueue)
	}
	if o.WorkflowIDReusePolicy != enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE {
		t.Errorf("reuse policy %v, want ALLOW_DUPLICATE", o.WorkflowIDReusePolicy)
	}
	if o.WorkflowIDConflictPolicy != enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL || !o.WorkflowExecutionErrorWhenAlreadyStarted {
		t.Errorf("conflict policy %v (error when started %v), want FAIL with the error", o.WorkflowIDConflictPolicy, o.WorkflowExecutionErrorWhenAlreadyStarted)
	}
	store, ok := o.TypedSearchAttributes.GetKeyword(workflows.SearchStoreHash)
	got, ok2 := o.TypedSearchAttributes.GetKeyword(workflows.SearchFlow)
	if !ok || !ok2 || store != "abc123" || got != flow || o.TypedSearchAttributes.Size() != 2 {
		t.Errorf("search attributes: store %q flow %q (%d set)", store, got, o.TypedSearchAttributes.Size())
	}
}

// checkStartError fails t unless startError maps Temporal's already-started
// answer for id to running and wraps any other error.
func checkStartError(t *testing.T, id string, running error) {
	t.Helper()
	already := serviceerror.NewWorkflowExecutionAlreadyStarted("started", "req", "run-1")
	if err := startError(id, already, running); !errors.Is(err, running) {
		t.Errorf("already started: %v, want %v", err, running)
	}
	down := serviceerror.NewUnavailable("connection refused")
	if err := startError(id, down, running); errors.Is(err, running) || !errors.As(err, new(*serviceerror.Unavailable)) {
		t.Errorf("unavailable: %v, want the wrapped Temporal error", err)
	}
}

func TestSyncErrorsAreTyped(t *testing.T) {
	checkStartError(t, "sync/abc123/manual", ErrSyncRunning)
	if err := cancelSyncError("sync/abc123/manual", nil); err != nil {
		t.Errorf("accepted cancel: %v", err)
	}
	if err := cancelSyncError("sync/abc123/manual", serviceerror.NewNotFound("workflow execution already completed")); !errors.Is(err, ErrSyncNotRunning) {
		t.Errorf("closed meanwhile: %v, want ErrSyncNotRunning", err)
	}
	down := serviceerror.NewUnavailable("connection refused")
	if err := cancelSyncError("sync/abc123/manual", down); errors.Is(err, ErrSyncNotRunning) || err == nil {
		t.Errorf("unavailable: %v", err)
	}
}

func TestSyncExecutionRunning(t *testing.T) {
	for st, want := range map[enumspb.WorkflowExecutionStatus]bool{
		enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:    true,
		enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:  false,
		enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:   false,
		enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED: false,
	} {
		if got := (SyncExecution{Status: statusName(st)}).Running(); got != want {
			t.Errorf("%v: running %v", st, got)
		}
	}
}
