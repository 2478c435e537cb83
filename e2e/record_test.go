package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// recordHistory writes a finished workflow's history to
// workflows/testdata/histories/NAME.json when BCFLOW_RECORD_HISTORIES=1, so
// the replay test in workflows/ keeps replaying real histories: a change to
// a workflow that breaks them must go through workflow.GetVersion.
// BCFLOW_RECORD_HISTORIES_SUFFIX is added to NAME, so the histories of a new
// workflow version are recorded beside the older ones, which stay.
func (s *stack) recordHistory(t *testing.T, workflowID, name string) {
	t.Helper()
	if os.Getenv("BCFLOW_RECORD_HISTORIES") != "1" {
		return
	}
	it := s.c.GetWorkflowHistory(context.Background(), workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var h historypb.History
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, ev)
	}
	data, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&h)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(moduleRoot(), "workflows", "testdata", "histories", name+os.Getenv("BCFLOW_RECORD_HISTORIES_SUFFIX")+".json")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s (%d events)", path, len(h.Events))
}
