package store

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestDecisions(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		base := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
		add := func(d Decision) {
			t.Helper()
			must(t, s.AppendDecision(ctx, d))
		}
		add(Decision{StoreHash: "abc", CustomerKey: "c1", WorkflowID: "wf-a", Flow: "abandoned_cart", Step: "wait", Decision: DecisionDeferred, At: base})
		add(Decision{StoreHash: "abc", CustomerKey: "c1", WorkflowID: "wf-a", Flow: "abandoned_cart", Step: "email-1", Decision: DecisionSent,
			Reason: "cart idle 1h", Details: json.RawMessage(`{"template":"cart-1","value":12.5}`), At: base.Add(time.Hour)})
		add(Decision{StoreHash: "abc", CustomerKey: "c2", WorkflowID: "wf-b", Step: "email-1", Decision: DecisionSkipped, Reason: "suppressed", At: base.Add(2 * time.Hour)})
		add(Decision{StoreHash: "abc", CustomerKey: "c1", WorkflowID: "wf-a", Step: "exit", Decision: DecisionGoalReached, At: base.Add(3 * time.Hour)})
		add(Decision{StoreHash: "xyz", CustomerKey: "c1", WorkflowID: "wf-x", Step: "exit", Decision: DecisionExited, At: base.Add(4 * time.Hour)})

		// Activity retry: same (workflow, step, decision, at) is not duplicated.
		add(Decision{StoreHash: "abc", CustomerKey: "c1", WorkflowID: "wf-a", Flow: "abandoned_cart", Step: "email-1", Decision: DecisionSent,
			Reason: "cart idle 1h", Details: json.RawMessage(`{"template":"cart-1","value":12.5}`), At: base.Add(time.Hour)})
		// Explicit dedupe key.
		add(Decision{DedupeKey: "k1", StoreHash: "abc", CustomerKey: "c3", Decision: DecisionSkipped, At: base})
		add(Decision{DedupeKey: "k1", StoreHash: "abc", CustomerKey: "c3", Decision: DecisionSkipped, At: base.Add(time.Minute)})

		list := func(f DecisionFilter) []Decision {
			t.Helper()
			ds, err := s.ListDecisions(ctx, f)
			must(t, err)
			return ds
		}
		steps := func(ds []Decision) []string {
			var out []string
			for _, d := range ds {
				out = append(out, d.Step+":"+d.Decision)
			}
			return out
		}
		eq := func(what string, got []string, want ...string) {
			t.Helper()
			if len(got) != len(want) {
				t.Errorf("%s: got %v, want %v", what, got, want)
				return
			}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("%s: got %v, want %v", what, got, want)
					return
				}
			}
		}

		c1 := list(DecisionFilter{StoreHash: "abc", CustomerKey: "c1"})
		eq("c1 timeline", steps(c1), "exit:goal_reached", "email-1:sent", "wait:deferred")
		if string(c1[1].Details) != `{"template":"cart-1","value":12.5}` || c1[1].Reason != "cart idle 1h" || c1[1].Flow != "abandoned_cart" {
			t.Errorf("details/reason round trip: %+v", c1[1])
		}
		if string(c1[0].Details) != `{}` {
			t.Errorf("empty details stored as %q, want {}", c1[0].Details)
		}
		eq("workflow wf-a", steps(list(DecisionFilter{WorkflowID: "wf-a"})), "exit:goal_reached", "email-1:sent", "wait:deferred")
		eq("store abc", steps(list(DecisionFilter{StoreHash: "abc"})), "exit:goal_reached", "email-1:skipped", "email-1:sent", ":skipped", "wait:deferred") // same at: newest insert first
		eq("limit", steps(list(DecisionFilter{StoreHash: "abc", CustomerKey: "c1", Limit: 2})), "exit:goal_reached", "email-1:sent")
		eq("before", steps(list(DecisionFilter{StoreHash: "abc", CustomerKey: "c1", Before: base.Add(time.Hour)})), "wait:deferred")
		eq("c1 all stores", steps(list(DecisionFilter{CustomerKey: "c1"})), "exit:exited", "exit:goal_reached", "email-1:sent", "wait:deferred")

		// Same time: newest insert first.
		add(Decision{StoreHash: "tie", Step: "a", Decision: DecisionSent, At: base})
		add(Decision{StoreHash: "tie", Step: "b", Decision: DecisionSent, At: base})
		eq("tie", steps(list(DecisionFilter{StoreHash: "tie"})), "b:sent", "a:sent")

		if err := s.AppendDecision(ctx, Decision{StoreHash: "abc", Decision: DecisionSent, Details: json.RawMessage(`{nope`)}); !errors.Is(err, ErrInvalid) {
			t.Errorf("invalid JSON: %v, want ErrInvalid", err)
		}
		if err := s.AppendDecision(ctx, Decision{StoreHash: "abc"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("no decision: %v, want ErrInvalid", err)
		}
	})
}
