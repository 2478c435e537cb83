package workflows_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/bcflow/bcflow/worker"
)

// TestReplayRecordedHistories replays histories recorded from real runs
// (e2e with BCFLOW_RECORD_HISTORIES=1) against today's workflow code. A
// change that would break running workflows fails here: it must go through
// workflow.GetVersion, and the old histories stay as test data.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no recorded histories in testdata/histories")
	}
	replayer := sdkworker.NewWorkflowReplayer()
	// The worker's own registration, so replay sees exactly what runs.
	worker.RegisterWorkflows(replayer)
	logger := sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			if err := replayer.ReplayWorkflowHistoryFromJSONFile(logger, f); err != nil {
				t.Fatalf("replay %s: %v", f, err)
			}
		})
	}
}

// TestReplayDetectsNonDeterminism makes sure the replay test can fail: a
// history whose recorded commands differ from what the code does now (here,
// a first activity renamed) must not replay.
func TestReplayDetectsNonDeterminism(t *testing.T) {
	src := filepath.Join("testdata", "histories", "cart-recovery-converted.json")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	tampered := strings.Replace(string(data), `"name":  "ResolveFlows"`, `"name":  "SomethingElse"`, 1)
	if tampered == string(data) {
		t.Fatal("fixture has no ResolveFlows activity to tamper with")
	}
	path := filepath.Join(t.TempDir(), "tampered.json")
	if err := os.WriteFile(path, []byte(tampered), 0o644); err != nil {
		t.Fatal(err)
	}
	replayer := sdkworker.NewWorkflowReplayer()
	worker.RegisterWorkflows(replayer)
	if err := replayer.ReplayWorkflowHistoryFromJSONFile(sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)), path); err == nil {
		t.Fatal("a history that disagrees with the code replayed without error")
	}
}
