package starter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/bcflow/bcflow/workflows"
)

// ErrSyncRunning: a sync of that store and kind is already running; it is
// not started twice.
var ErrSyncRunning = errors.New("starter: a sync of this kind is already running for the store")

// ErrSyncNotRunning: no sync of that store and kind is running, so there is
// nothing to cancel.
var ErrSyncNotRunning = errors.New("starter: no sync of this kind is running for the store")

// SyncResources are the resources a sync may be limited to, in the order a
// sync copies them.
var SyncResources = []string{workflows.ResourceCategories, workflows.ResourceProducts, workflows.ResourceCustomers, workflows.ResourceOrders}

// CheckSyncKind returns a *ParseError unless kind is one of
// workflows.SyncKinds.
func CheckSyncKind(kind string) error {
	if !slices.Contains(workflows.SyncKinds, kind) {
		return &ParseError{Field: "kind", Message: "must be one of " + strings.Join(workflows.SyncKinds, ", ")}
	}
	return nil
}

// CheckSyncInput validates a sync start: the store hash's shape, the kind,
// each resource (known, named once), loyalty import only on a historical
// sync, and no continue-as-new state (only the workflow itself carries
// one). Errors are *ParseError.
func CheckSyncInput(in workflows.StoreSyncInput) error {
	if err := CheckStoreHash(in.StoreHash); err != nil {
		return err
	}
	if err := CheckSyncKind(in.Kind); err != nil {
		return err
	}
	for i, r := range in.Resources {
		if !slices.Contains(SyncResources, r) {
			return &ParseError{Field: "resources", Message: fmt.Sprintf("%q is not one of %s", r, strings.Join(SyncResources, ", "))}
		}
		if slices.Contains(in.Resources[:i], r) {
			return &ParseError{Field: "resources", Message: fmt.Sprintf("%q is listed twice", r)}
		}
	}
	if in.ImportLoyalty && in.Kind != workflows.SyncHistorical {
		return &ParseError{Field: "import_loyalty", Message: "only a historical sync imports loyalty points"}
	}
	if in.Carry != nil {
		return &ParseError{Field: "carry", Message: "is set by the sync itself when it continues as new, never by a start"}
	}
	return nil
}

// exclusiveStartOptions are the options of a start of a workflow that runs
// one at a time under id: ALLOW_DUPLICATE, so a finished run (completed,
// failed, cancelled, terminated) can run again; conflict policy FAIL with
// the already-started error, so a running one is reported, never joined or
// started a second time; BcStoreHash and BcFlow, as every flow is found in
// the Temporal UI.
func exclusiveStartOptions(id, taskQueue, storeHash, flow string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                                       id,
		TaskQueue:                                taskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.SearchStoreHash.ValueSet(storeHash),
			workflows.SearchFlow.ValueSet(flow),
		),
	}
}

// startExclusive starts workflow with opts (exclusiveStartOptions) and
// input in, and returns the run id; a run already going under opts.ID is
// the error running (see startError).
func startExclusive(ctx context.Context, c client.Client, opts client.StartWorkflowOptions, workflow string, in any,
	running error) (runID string, err error) {
	run, err := c.ExecuteWorkflow(ctx, opts, workflow, in)
	if err != nil {
		return "", startError(opts.ID, err, running)
	}
	return run.GetRunID(), nil
}

// startError maps Temporal's answer to a refused start of the workflow id:
// already started is running (wrapped, with the id), anything else
// Temporal's error wrapped.
func startError(id string, err, running error) error {
	if _, ok := errors.AsType[*serviceerror.WorkflowExecutionAlreadyStarted](err); ok {
		return fmt.Errorf("%w (%s)", running, id)
	}
	return fmt.Errorf("starter: start %s: %w", id, err)
}

// syncStartOptions are the options of a sync start (exclusiveStartOptions):
// id sync/{store}/{kind}, flow store-sync.
func syncStartOptions(in workflows.StoreSyncInput, taskQueue string) client.StartWorkflowOptions {
	return exclusiveStartOptions(workflows.StoreSyncID(in.StoreHash, in.Kind), taskQueue, in.StoreHash, workflows.FlowStoreSync)
}

// StartSync starts the StoreSync workflow of in.StoreHash and in.Kind on
// taskQueue and returns its run id. A malformed input is a *ParseError; a
// sync of that kind already running for the store is ErrSyncRunning.
func StartSync(ctx context.Context, c client.Client, in workflows.StoreSyncInput, taskQueue string) (runID string, err error) {
	if err := CheckSyncInput(in); err != nil {
		return "", err
	}
	return startExclusive(ctx, c, syncStartOptions(in, taskQueue), workflows.StoreSyncWorkflowName, in, ErrSyncRunning)
}

// SyncExecution is what Temporal says of a store sync's latest run.
type SyncExecution struct {
	// WorkflowID is sync/{store}/{kind}.
	WorkflowID string `json:"workflow_id"`
	// RunID is the latest run (a sync continues as new, so it changes).
	RunID string `json:"run_id"`
	// Status is Temporal's: Running, Completed, Failed, Canceled,
	// Terminated, TimedOut.
	Status string `json:"status"`
	// StartTime is when the latest run started.
	StartTime time.Time `json:"start_time"`
	// CloseTime is when it closed (zero while running).
	CloseTime time.Time `json:"close_time,omitzero"`
}

// Running reports whether the sync is still running.
func (e SyncExecution) Running() bool {
	return e.Status == statusName(enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING)
}

// DescribeSync returns Temporal's view of the latest run of a store's sync
// of kind; found is false when that sync never ran (or its history was
// removed after the namespace's retention).
func DescribeSync(ctx context.Context, c client.Client, storeHash, kind string) (ex SyncExecution, found bool, err error) {
	if err := CheckStoreHash(storeHash); err != nil {
		return SyncExecution{}, false, err
	}
	if err := CheckSyncKind(kind); err != nil {
		return SyncExecution{}, false, err
	}
	ex, _, found, err = describeExecution(ctx, c, workflows.StoreSyncID(storeHash, kind))
	return ex, found, err
}

// describeExecution returns Temporal's view of the latest run of workflow
// id, as a SyncExecution and the whole info; found is false when it never
// ran (or its history was removed after the namespace's retention).
func describeExecution(ctx context.Context, c client.Client, id string) (ex SyncExecution,
	info *workflowpb.WorkflowExecutionInfo, found bool, err error) {
	resp, err := c.DescribeWorkflowExecution(ctx, id, "")
	if _, notFound := errors.AsType[*serviceerror.NotFound](err); notFound {
		return SyncExecution{}, nil, false, nil
	}
	if err != nil {
		return SyncExecution{}, nil, false, fmt.Errorf("starter: describe %s: %w", id, err)
	}
	info = resp.GetWorkflowExecutionInfo()
	ex = SyncExecution{
		WorkflowID: id,
		RunID:      info.GetExecution().GetRunId(),
		Status:     statusName(info.GetStatus()),
	}
	if t := info.GetStartTime(); t != nil {
		ex.StartTime = t.AsTime()
	}
	if t := info.GetCloseTime(); t != nil {
		ex.CloseTime = t.AsTime()
	}
	return ex, info, true, nil
}

// CancelSync asks the running sync of storeHash and kind to cancel (the
// workflow stops after the page in flight, with its progress recorded). No
// running sync of that kind is ErrSyncNotRunning.
func CancelSync(ctx context.Context, c client.Client, storeHash, kind string) error {
	ex, found, err := DescribeSync(ctx, c, storeHash, kind)
	if err != nil {
		return err
	}
	if !found || !ex.Running() {
		return fmt.Errorf("%w (%s)", ErrSyncNotRunning, workflows.StoreSyncID(storeHash, kind))
	}
	return cancelSyncError(ex.WorkflowID, c.CancelWorkflow(ctx, ex.WorkflowID, ""))
}

// cancelSyncError maps Temporal's answer to a cancel request: a workflow
// that closed between the describe and the cancel is not running.
func cancelSyncError(id string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*serviceerror.NotFound](err); ok {
		return fmt.Errorf("%w (%s)", ErrSyncNotRunning, id)
	}
	return fmt.Errorf("starter: cancel %s: %w", id, err)
}

// StartSync starts a store sync on the Starter's task queue (see the
// package function StartSync).
func (s *Starter) StartSync(ctx context.Context, in workflows.StoreSyncInput) (runID string, err error) {
	return StartSync(ctx, s.client, in, s.taskQueue)
}

// CancelSync cancels a running store sync (see the package function
// CancelSync).
func (s *Starter) CancelSync(ctx context.Context, storeHash, kind string) error {
	return CancelSync(ctx, s.client, storeHash, kind)
}

// DescribeSync returns Temporal's view of a store sync (see the package
// function DescribeSync).
func (s *Starter) DescribeSync(ctx context.Context, storeHash, kind string) (SyncExecution, bool, error) {
	return DescribeSync(ctx, s.client, storeHash, kind)
}
