package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.temporal.io/api/enums/v1"

	"github.com/bcflow/bcflow/api"
	"github.com/bcflow/bcflow/emulator/bcemu"
	"github.com/bcflow/bcflow/starter"
	"github.com/bcflow/bcflow/workflows"
)

// TestRedriveRestartsATerminatedCartFlow: a cart flow's run is terminated
// (as an operator would a stuck one; TERMINATED is re-drivable like
// FAILED). The admin re-drive lists it on a dry run without starting it,
// then starts the same workflow id again with the same input and search
// attributes; a second re-drive leaves the now-running flow alone.
func TestRedriveRestartsATerminatedCartFlow(t *testing.T) {
	s := newStack(t, stackOptions{})
	ctx := context.Background()
	cart, err := s.bc.CreateCart(s.hash, bcemu.CartInput{CustomerID: 1, Items: []bcemu.ItemInput{{SKU: "TEE-M", Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	id := workflows.CartRecoveryID(s.hash, cart.ID)
	eventually(t, "cart flow running", func() (bool, string) {
		status, _ := s.describe(id)
		return status == enums.WORKFLOW_EXECUTION_STATUS_RUNNING, status.String()
	})
	desc, err := s.c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		t.Fatal(err)
	}
	firstRun := desc.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	if err := s.c.TerminateWorkflow(ctx, id, firstRun, "e2e: a run that will not finish"); err != nil {
		t.Fatal(err)
	}

	srv := api.New(api.Options{Logger: slog.New(slog.DiscardHandler)})
	api.MountRedrive(srv.Admin([]byte("e2e-admin-token")), starter.New(s.c, taskQueue), []string{s.hash}, nil)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	redrive := func(body string) (int, starter.RedriveReport, *starter.Redriven) {
		req, _ := http.NewRequest(http.MethodPost, hs.URL+"/api/v1/flows/redrive", bytes.NewBufferString(body))
		req.Header.Set("Authorization", "Bearer e2e-admin-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var rep starter.RedriveReport
		_ = json.NewDecoder(resp.Body).Decode(&rep)
		for i := range rep.Redriven {
			if rep.Redriven[i].WorkflowID == id {
				return resp.StatusCode, rep, &rep.Redriven[i]
			}
		}
		return resp.StatusCode, rep, nil
	}
	filter := `"store":"` + s.hash + `","flow":"` + workflows.FlowCartRecovery + `"`

	// Visibility catches up with the termination; the dry run only lists.
	eventually(t, "dry run lists the terminated run", func() (bool, string) {
		code, rep, r := redrive(`{` + filter + `,"dry_run":true}`)
		return code == 200 && r != nil && r.FailedRunID == firstRun && r.Status == "Terminated" && r.NewRunID == "", spew(code, rep)
	})
	if status, _ := s.describe(id); status != enums.WORKFLOW_EXECUTION_STATUS_TERMINATED {
		t.Fatalf("a dry run started the flow: %s", status)
	}

	code, rep, r := redrive(`{` + filter + `}`)
	if code != 200 || r == nil || r.NewRunID == "" || r.NewRunID == firstRun || r.WorkflowType != workflows.CartRecoveryWorkflowName {
		t.Fatalf("re-drive: %s", spew(code, rep))
	}
	status, attrs := s.describe(id)
	if status != enums.WORKFLOW_EXECUTION_STATUS_RUNNING || attrs[workflows.SearchCartID.GetName()] != cart.ID ||
		attrs[workflows.SearchFlow.GetName()] != workflows.FlowCartRecovery || attrs[workflows.SearchStoreHash.GetName()] != s.hash {
		t.Fatalf("re-driven run: %s %v", status, attrs)
	}
	if in1, in2 := startInput(t, s, id, firstRun), startInput(t, s, id, r.NewRunID); !bytes.Equal(in1, in2) {
		t.Fatalf("re-driven input %s, want the failed run's %s", in2, in1)
	}

	// The flow is running again: a second re-drive starts nothing.
	code, rep, r = redrive(`{"workflow_id":"` + id + `"}`)
	if code != 200 || r == nil || r.NewRunID != "" || r.Skipped == "" {
		t.Fatalf("second re-drive: %s", spew(code, rep))
	}
}

// startInput returns the input payload bytes of a run's start event.
func startInput(t *testing.T, s *stack, id, runID string) []byte {
	t.Helper()
	it := s.c.GetWorkflowHistory(context.Background(), id, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	ev, err := it.Next()
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, p := range ev.GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads() {
		out = append(out, p.GetData()...)
	}
	if len(out) == 0 {
		t.Fatalf("run %s of %s has no input", runID, id)
	}
	return out
}

func spew(code int, rep starter.RedriveReport) string {
	b, _ := json.Marshal(rep)
	return http.StatusText(code) + " " + string(b)
}
