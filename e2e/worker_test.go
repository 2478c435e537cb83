package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/server/temporaltest"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/devserver"
	"github.com/bcflow/bcflow/store"
	"github.com/bcflow/bcflow/worker"
	"github.com/bcflow/bcflow/workflows"
)

// newTemporal starts an in-process Temporal server with bcflow's search
// attributes registered on its namespace. Its clients, and so the workers
// built on them, log through a workerWatch: a broken-flow line (unhandled
// signals, a workflow panic, a failed workflow task) fails the test.
func newTemporal(t testing.TB) (*temporaltest.TestServer, client.Client) {
	t.Helper()
	watch := watchWorker(t)
	opts := []temporaltest.TestServerOption{temporaltest.WithBaseClientOptions(client.Options{Logger: watch})}
	if tt, ok := t.(*testing.T); ok {
		opts = append(opts, temporaltest.WithT(tt))
	}
	ts := temporaltest.NewServer(opts...)
	if _, ok := t.(*testing.T); !ok {
		t.Cleanup(ts.Stop) // a benchmark's server
	}
	c := ts.GetDefaultClient()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := devserver.EnsureSearchAttributes(ctx, c, ts.GetDefaultNamespace(), workflows.SearchAttributes()); err != nil {
		t.Fatal(err)
	}
	return ts, c
}

func openSQLite(t testing.TB) *store.Store {
	t.Helper()
	return openStore(t, "sqlite:"+filepath.Join(t.TempDir(), "bcflow.db"))
}

// openStore opens and migrates the store at databaseURL, closed at cleanup.
func openStore(t testing.TB, databaseURL string) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestWorkerWiringOnRealTemporal runs the Diagnostics workflow through the
// production worker wiring (worker.New) on a real Temporal server: the
// activity reaches the database, and the workflow is findable by bcflow's
// search attributes as a merchant would find it in the Temporal UI.
func TestWorkerWiringOnRealTemporal(t *testing.T) {
	_, c := newTemporal(t)
	st := openSQLite(t)
	w := worker.New(c, "bcflow-e2e", &activities.Activities{Store: st}, worker.Options{})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    workflows.DiagnosticsID("wiring"),
		TaskQueue:             "bcflow-e2e",
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.SearchFlow.ValueSet("diagnostics"), workflows.SearchStoreHash.ValueSet("_bcflow")),
	}, workflows.DiagnosticsWorkflowName, workflows.DiagnosticsInput{Probe: "wiring"})
	if err != nil {
		t.Fatal(err)
	}
	var res workflows.DiagnosticsResult
	if err := run.Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	if res.Probe != "wiring" || res.StoreDialect != "sqlite" {
		t.Fatalf("result = %+v", res)
	}
	if got, err := st.GetSyncState(ctx, "_bcflow", "diagnostics/wiring"); err != nil || got.Cursor != "wiring" {
		t.Fatalf("probe not in database: %+v, %v", got, err)
	}

	// Visibility is eventually consistent: poll for the search attribute query.
	query := `BcFlow = "diagnostics" AND BcStoreHash = "_bcflow"`
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := c.ListWorkflow(ctx, listRequest(query))
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Executions) == 1 && resp.Executions[0].Execution.WorkflowId == run.GetID() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("query %q found %d executions", query, len(resp.Executions))
		}
		time.Sleep(200 * time.Millisecond)
	}

	// An empty probe is a non-retryable failure, not an endless retry.
	run, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.DiagnosticsID("empty"), TaskQueue: "bcflow-e2e"},
		workflows.DiagnosticsWorkflowName, workflows.DiagnosticsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Get(ctx, nil); err == nil {
		t.Fatal("empty probe: want workflow failure")
	}
}
