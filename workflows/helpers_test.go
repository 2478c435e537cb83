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
