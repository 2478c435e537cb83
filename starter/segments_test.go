package starter

import (
	"errors"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
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
	if id := workflows.SegmentRecomputeID("abc123"); id != "segments-recompute/abc123" {
		t.Fatalf("recompute id %q", id)
	}
	o := segmentRecomputeStartOptions(workflows.SegmentRecomputeInput{StoreHash: "abc123", Segment: "repeat"}, "bcflow-q")
	checkExclusiveStartOptions(t, o, "segments-recompute/abc123", workflows.FlowSegmentRecompute)
}

func TestStartRecomputeErrorsAreTyped(t *testing.T) {
	checkStartError(t, "segments-recompute/abc123", ErrRecomputeRunning)
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
