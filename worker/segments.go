package worker

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/workflows"
)

// SegmentNudger starts or wakes the segment workflows of a store through
// the Temporal client (activities.SegmentNudger): signal-with-start, so a
// nudge reaches the running workflow or starts one.
type SegmentNudger struct {
	Client    client.Client
	TaskQueue string
}

var _ activities.SegmentNudger = (*SegmentNudger)(nil)

// NudgeSegments signals the store's SegmentSync (segments-changed),
// starting it when it is not running.
func (n *SegmentNudger) NudgeSegments(ctx context.Context, storeHash string) error {
	id := workflows.SegmentSyncID(storeHash)
	_, err := n.Client.SignalWithStartWorkflow(ctx, id, workflows.SignalSegmentsChanged, nil, client.StartWorkflowOptions{
		ID:                    id,
		TaskQueue:             n.TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.SearchStoreHash.ValueSet(storeHash), workflows.SearchFlow.ValueSet(workflows.FlowSegmentSync)),
	}, workflows.SegmentSyncWorkflowName, workflows.SegmentSyncInput{StoreHash: storeHash})
	if err != nil {
		return fmt.Errorf("signal %s: %w", id, err)
	}
	return nil
}

// NudgeRecompute asks the store's SegmentRecompute for a pass over segment
// ("" = all), starting it when it is not running; a request to a running
// one coalesces into its next pass.
func (n *SegmentNudger) NudgeRecompute(ctx context.Context, storeHash, segment string, timeOnly bool) error {
	id := workflows.SegmentRecomputeID(storeHash)
	_, err := n.Client.SignalWithStartWorkflow(ctx, id, workflows.SignalSegmentsRecompute,
		workflows.SegmentRecomputeRequest{Segment: segment, TimeOnly: timeOnly}, client.StartWorkflowOptions{
			ID:                    id,
			TaskQueue:             n.TaskQueue,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
			TypedSearchAttributes: temporal.NewSearchAttributes(
				workflows.SearchStoreHash.ValueSet(storeHash), workflows.SearchFlow.ValueSet(workflows.FlowSegmentRecompute)),
		}, workflows.SegmentRecomputeWorkflowName, workflows.SegmentRecomputeInput{StoreHash: storeHash, Segment: segment, TimeOnly: timeOnly})
	if err != nil {
		return fmt.Errorf("signal %s: %w", id, err)
	}
	return nil
}
