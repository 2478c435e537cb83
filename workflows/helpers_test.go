package workflows

import (
	"strings"
	"testing"

	"go.temporal.io/sdk/testsuite"
)

// queryDecisions reads a flow's decision log through its query, as the
// Temporal UI does.
func queryDecisions(t *testing.T, env *testsuite.TestWorkflowEnvironment) []DecisionEntry {
	t.Helper()
	v, err := env.QueryWorkflow(QueryDecisions)
	if err != nil {
		t.Fatal(err)
	}
	var out []DecisionEntry
	if err := v.Get(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// eventNames lists the provider events a test recorded, in order.
func eventNames(events []eventCall) string {
	var out []string
	for _, e := range events {
		out = append(out, e.in.Name)
	}
	return strings.Join(out, ",")
}

// strictLogger fails the test on the SDK's warnings that mean a flow lost
// something: a run completed with signals unread, or a panic in a workflow
// task. Other lines are dropped.
type strictLogger struct{ t *testing.T }

func (l strictLogger) Debug(string, ...interface{}) {}
func (l strictLogger) Info(string, ...interface{})  {}
func (l strictLogger) Warn(msg string, kv ...interface{}) {
	if strings.Contains(msg, "unhandled signals") {
		l.t.Errorf("%s %v", msg, kv)
	}
}
func (l strictLogger) Error(msg string, kv ...interface{}) {
	if strings.Contains(msg, "panic") {
		l.t.Errorf("%s %v", msg, kv)
	}
}

// newTestEnv is a workflow test environment whose logger fails t when a
// run completes with a signal unread.
func newTestEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(strictLogger{t})
	return suite.NewTestWorkflowEnvironment()
}

// decisionKeys are the JSON fields of a decision as the timeline API
// (api.MountTimeline) and the decisions query both answer them.
var decisionKeys = []string{"at", "decision", "details", "flow", "reason", "step", "workflow_id"}
