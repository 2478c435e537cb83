package starter

import (
	"errors"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/converter"

	"github.com/bcflow/bcflow/workflows"
)

func TestCheckSegmentRecomputeInput(t *testing.T) {
	for _, in := range []workflows.SegmentRecomputeInput{
		{StoreHash: "abc123"},
		{StoreHash: "abc123", Segment: "at-risk"},
		{StoreHash: "abc123", Segment: "high_value_2"},
	} {
		if err := CheckSegmentRecomputeInput(in); err != nil {
			t.Errorf("%+v: %v", in, err)
		}
	}
	bad := []struct {
		in    workflows.SegmentRecomputeInput
		field string
	}{
		{workflows.SegmentRecomputeInput{StoreHash: "ABC"}, "store_hash"},
		{workflows.SegmentRecomputeInput{StoreHash: ""}, "store_hash"},
		{workflows.SegmentRecomputeInput{StoreHash: "abc123", Segment: "At-Risk"}, "segment"},
		{workflows.SegmentRecomputeInput{StoreHash: "abc123", Segment: "a/b"}, "segment"},
		{workflows.SegmentRecomputeInput{StoreHash: "abc123", Segment: "vip customers"}, "segment"},
	}
	for _, tc := range bad {
		err := CheckSegmentRecomputeInput(tc.in)
		if pe, ok := errors.AsType[*ParseError](err); !ok || pe.Field != tc.field {
			t.Errorf("%+v: error %v, want a ParseError on %s", tc.in, err, tc.field)
		}
	}
}

// TestSegmentRecomputeStartOptions: one recompute per store at a time (a
// running one is refused with an error, not joined), a finished one runs
// again, and the run is findable by store and flow.
func TestSegmentRecomputeStartOptions(t *testing.T) {
	o := segmentRecomputeStartOptions(workflows.SegmentRecomputeInput{StoreHash: "abc123", Segment: "repeat"}, "bcflow-q")
	if o.ID != "segments-recompute/abc123" || o.ID != workflows.SegmentRecomputeID("abc123") || o.TaskQueue != "bcflow-q" {
		t.Fatalf("id %q queue %q", o.ID, o.TaskQueue)
	}
	if o.WorkflowIDReusePolicy != enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE {
		t.Errorf("reuse policy %v, want ALLOW_DUPLICATE", o.WorkflowIDReusePolicy)
	}
	if o.WorkflowIDConflictPolicy != enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL || !o.WorkflowExecutionErrorWhenAlreadyStarted {
		t.Errorf("conflict policy %v (error when started %v), want FAIL with the error", o.WorkflowIDConflictPolicy, o.WorkflowExecutionErrorWhenAlreadyStarted)
	}
	store, ok := o.TypedSearchAttributes.GetKeyword(workflows.SearchStoreHash)
	flow, ok2 := o.TypedSearchAttributes.GetKeyword(workflows.SearchFlow)
	if !ok || !ok2 || store != "abc123" || flow != workflows.FlowSegmentRecompute || o.TypedSearchAttributes.Size() != 2 {
		t.Errorf("search attributes: store %q flow %q (%d set)", store, flow, o.TypedSearchAttributes.Size())
	}
}

func TestStartRecomputeErrorsAreTyped(t *testing.T) {
	already := serviceerror.NewWorkflowExecutionAlreadyStarted("started", "req", "run-1")
	if err := startRecomputeError("segments-recompute/abc123", already); !errors.Is(err, ErrRecomputeRunning) {
		t.Errorf("already started: %v, want ErrRecomputeRunning", err)
	}
	down := serviceerror.NewUnavailable("connection refused")
	if err := startRecomputeError("segments-recompute/abc123", down); errors.Is(err, ErrRecomputeRunning) || !errors.As(err, new(*serviceerror.Unavailable)) {
		t.Errorf("unavailable: %v, want the wrapped Temporal error", err)
	}
}

// TestSummaryFromMemo: the progress line a recompute keeps on its memo is
// read back as Temporal encodes memo values.
func TestSummaryFromMemo(t *testing.T) {
	payload, err := converter.GetDefaultDataConverter().ToPayload("running 2/5 segments")
	if err != nil {
		t.Fatal(err)
	}
	if got := summaryFromMemo(&commonpb.Memo{Fields: map[string]*commonpb.Payload{segmentsProgressMemo: payload}}); got != "running 2/5 segments" {
		t.Fatalf("summary %q", got)
	}
	if got := summaryFromMemo(nil); got != "" {
		t.Errorf("no memo: %q", got)
	}
	other, _ := converter.GetDefaultDataConverter().ToPayload(map[string]int{"done": 2})
	if got := summaryFromMemo(&commonpb.Memo{Fields: map[string]*commonpb.Payload{segmentsProgressMemo: other}}); got != "" {
		t.Errorf("a memo of another shape: %q", got)
	}
}
