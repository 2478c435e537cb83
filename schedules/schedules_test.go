package schedules

import (
	"testing"

	"go.temporal.io/sdk/client"

	"github.com/bcflow/bcflow/workflows"
)

// Every store has a daily segment run: a time-only SegmentRecompute.
func TestEveryStoreHasADailySegmentRun(t *testing.T) {
	found := map[string]bool{}
	for _, d := range Definitions("q", []string{"abc", "def"}) {
		a, ok := d.Action.(*client.ScheduleWorkflowAction)
		if !ok || a.Workflow != workflows.SegmentRecomputeWorkflowName {
			continue
		}
		in, ok := a.Args[0].(workflows.SegmentRecomputeInput)
		if !ok || !in.TimeOnly || in.Segment != "" || d.ID != SegmentsScheduleID(in.StoreHash) ||
			a.ID != workflows.SegmentRecomputeID(in.StoreHash) || a.TaskQueue != "q" {
			t.Fatalf("segment schedule %s: %+v %+v", d.ID, a, a.Args)
		}
		if len(d.Spec.Calendars) != 1 || len(d.Spec.Calendars[0].Hour) != 1 || d.Spec.Calendars[0].Hour[0].Start != SegmentsHourUTC {
			t.Fatalf("segment schedule %s runs at %+v, want daily", d.ID, d.Spec)
		}
		found[in.StoreHash] = true
	}
	if !found["abc"] || !found["def"] || len(found) != 2 {
		t.Fatalf("segment schedules for %v", found)
	}
}
