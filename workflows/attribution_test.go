package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/store"
)

// flowMessage stores a message sent to the hub world's shopper (customer 7)
// by flow/step at sentAt.
func (w *hubWorld) flowMessage(key, flow, step string, sentAt time.Time) {
	w.t.Helper()
	ctx := context.Background()
	if _, _, err := w.st.ReserveMessage(ctx, store.Message{IdempotencyKey: key, StoreHash: "abc", CustomerKey: w.order.CustomerKey(),
		Email: "ann@example.com", Channel: store.ChannelEmail, Flow: flow, Step: step}); err != nil {
		w.t.Fatal(err)
	}
	if err := w.st.MarkMessageSent(ctx, key, "p-"+key, sentAt); err != nil {
		w.t.Fatal(err)
	}
}

// converted returns the store's "converted" decisions of the hub world's
// store.
func (w *hubWorld) converted() []store.Decision {
	w.t.Helper()
	ds, err := w.st.ListDecisions(context.Background(), store.DecisionFilter{StoreHash: "abc"})
	if err != nil {
		w.t.Fatal(err)
	}
	var out []store.Decision
	for _, d := range ds {
		if d.Decision == "converted" {
			out = append(out, d)
		}
	}
	return out
}

// A placed order is credited, last touch, to the newest message another
// flow sent the shopper within the channel's window (a review request
// here, with cart recovery off): one "converted" decision in that flow and
// step with the order's total and channel, and a later run of the hub
// records none again.
func TestOrderHubAttributesTheOrderToTheLastFlowMessage(t *testing.T) {
	w := newHubWorld(t)
	w.flows.CartRecovery.Enabled = false
	w.order.ChannelID = 2
	w.order.DateCreated = t0.Add(-time.Minute)
	w.flowMessage("review/abc/900/ask", FlowReviewRequest, "ask", t0.Add(-48*time.Hour))
	w.flowMessage("winback/abc/c/nudge", FlowSegment, "nudge", t0.Add(-7*24*time.Hour)) // outside 5 days
	w.run()
	got := w.converted()
	want, _ := store.ParseMoney("27.50")
	if len(got) != 1 || got[0].Flow != FlowReviewRequest || got[0].Step != "ask" || got[0].Amount != want || got[0].ChannelID != 2 ||
		got[0].DedupeKey != activities.AttributionKey("abc", 1001) || got[0].WorkflowID != "review/abc/900" || got[0].Reason != activities.AttributionReason {
		t.Fatalf("converted decisions = %+v, want the review request's, once", got)
	}

	// A later run of the same hub (a late webhook after the idle timeout).
	again := newHubWorldOn(t, w.st, t0.Add(OrderIdleTimeout+24*time.Hour))
	again.flows.CartRecovery.Enabled = false
	again.order.DateCreated = t0.Add(-time.Minute)
	again.run()
	if got := again.converted(); len(got) != 1 {
		t.Fatalf("after a second run: %+v, want one", got)
	}
}

// An order a cart reminder recovered is not credited to another flow, and
// a hub recorded before hubVersionFlowAttribution attributes to no other
// flow.
func TestOrderHubFlowAttributionSkipsRecoveredOrdersAndOldRuns(t *testing.T) {
	t.Run("recovered", func(t *testing.T) {
		w := newHubWorld(t)
		w.flowMessage("review/abc/900/ask", FlowReviewRequest, "ask", t0.Add(-48*time.Hour))
		var asked int
		w.env.OnActivity((*activities.Activities)(nil).AttributeOrder, mock.Anything, mock.Anything).Return(
			func(_ context.Context, in activities.AttributeOrderInput) (activities.Recovery, error) {
				asked++
				return activities.Recovery{OrderID: in.OrderID, Total: "27.50", Currency: "USD"}, nil
			})
		w.run()
		if asked != 1 || len(w.converted()) != 0 || !hasDecision(w.decisions(), DecisionAttributed, "27.50 USD recovered by a cart reminder") {
			t.Fatalf("asked %d, converted %+v, decisions %+v", asked, w.converted(), w.decisions())
		}
	})
	t.Run("before the version", func(t *testing.T) {
		w := newHubWorld(t)
		w.env.OnGetVersion(hubChange, workflow.DefaultVersion, hubVersionLatest).Return(hubVersionInterruptibleStart)
		w.flowMessage("review/abc/900/ask", FlowReviewRequest, "ask", t0.Add(-48*time.Hour))
		w.run()
		if got := w.converted(); len(got) != 0 {
			t.Fatalf("converted = %+v, want none", got)
		}
	})
}
