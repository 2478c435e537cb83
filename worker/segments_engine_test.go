package worker

import (
	"context"
	"testing"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/segments"
)

// The adapter marks the engine's "this segment cannot exist in
// BigCommerce" answers so activities make a coupon step a failed decision
// instead of retrying, and passes the rest through.
func TestSegmentEngineAdapterMarksUnavailableSegments(t *testing.T) {
	e := SegmentEngine(&segments.Engine{}) // no flows: segments off
	ctx := context.Background()
	if _, err := e.BigCommerceSegmentID(ctx, "abc", "vip"); !activities.IsSegmentUnavailable(err) {
		t.Fatalf("segments off: %v, want unavailable", err)
	}
	changes, err := e.EvaluateShoppers(ctx, "abc", "ann@example.com")
	if err != nil || len(changes) != 0 {
		t.Fatalf("segments off evaluated %v, %v", changes, err)
	}
	var calls int
	res, err := e.Recompute(ctx, "abc", "", true, func(activities.SegmentProgress) { calls++ })
	if err != nil || res != (activities.SegmentRecomputeResult{}) {
		t.Fatalf("segments off recomputed %+v, %v", res, err)
	}
	if cs, err := e.PendingCrossings(ctx, "abc", 10); err != nil || len(cs) != 0 {
		t.Fatalf("segments off crossings %v, %v", cs, err)
	}
}
