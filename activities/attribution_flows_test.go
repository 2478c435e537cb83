package activities

import (
	"context"
	"testing"
	"time"

	"github.com/bcflow/bcflow/store"
)

// sentMessage stores a message sent by flow/step to customer at sentAt.
func sentMessage(t *testing.T, st *store.Store, key, customer, flow, step string, sentAt time.Time) {
	t.Helper()
	ctx := context.Background()
	if _, _, err := st.ReserveMessage(ctx, store.Message{IdempotencyKey: key, StoreHash: "abc", CustomerKey: customer,
		Email: "ann@example.com", Channel: store.ChannelEmail, Flow: flow, Step: step}); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkMessageSent(ctx, key, "p-"+key, sentAt); err != nil {
		t.Fatal(err)
	}
}

// attributionInput is an order of c:7 placed at placed on channel 2,
// attributed by the hub an hour later with a 5-day window.
func attributionInput(orderID int64, placed time.Time) AttributeToFlowsInput {
	return AttributeToFlowsInput{StoreHash: "abc", OrderID: orderID, CustomerKey: "c:7", Email: "Ann@Example.com",
		ExcludeFlow: "cart-recovery", At: placed.Add(time.Hour), PlacedAt: placed, Window: 5 * 24 * time.Hour,
		ChannelID: 2, Total: "123.45", Currency: "USD"}
}

// An order within the window of a post-purchase message converts for that
// flow and step with the order's total on the order's channel, once
// whatever the retries; a later cart reminder and the order's own later
// messages are not the touch that counts.
func TestAttributeOrderToFlowsLastTouch(t *testing.T) {
	st := newTestStore(t)
	acts := &Activities{Store: st}
	ctx := context.Background()
	placed := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	sentMessage(t, st, "order/abc/900/post-purchase/thanks", "c:7", "post-purchase", "thanks", placed.Add(-48*time.Hour))
	sentMessage(t, st, "old/abc/1/legacy", "c:7", "", "", placed.Add(-time.Hour)) // before messages carried their flow
	sentMessage(t, st, "cart/abc/c-1/reminder", "c:7", "cart-recovery", "reminder", placed.Add(-2*time.Hour))
	sentMessage(t, st, "review/abc/1001/ask", "c:7", "review-request", "ask", placed.Add(30*time.Minute)) // after the order
	in := attributionInput(1001, placed)
	for i := 0; i < 3; i++ { // retries and re-drives
		got, err := acts.AttributeOrderToFlows(ctx, in)
		if err != nil || got.Flow != "post-purchase" || got.Step != "thanks" || got.WorkflowID != "order/abc/900/post-purchase" || got.Total != "123.45" {
			t.Fatalf("attribution %d = %+v, %v", i, got, err)
		}
	}
	ds, err := st.ListDecisions(ctx, store.DecisionFilter{StoreHash: "abc", CustomerKey: "c:7"})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := store.ParseMoney("123.45")
	if len(ds) != 1 {
		t.Fatalf("decisions = %+v, want one", ds)
	}
	d := ds[0]
	if d.Decision != "converted" || d.Flow != "post-purchase" || d.Step != "thanks" || d.Reason != AttributionReason ||
		d.Amount != want || d.ChannelID != 2 || d.DedupeKey != AttributionKey("abc", 1001) || d.WorkflowID != "order/abc/900/post-purchase" ||
		!d.At.Equal(in.At) {
		t.Fatalf("decision = %+v", d)
	}
}

// A message older than the window, or none at all, attributes nothing.
func TestAttributeOrderToFlowsOutsideTheWindow(t *testing.T) {
	st := newTestStore(t)
	acts := &Activities{Store: st}
	ctx := context.Background()
	placed := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	sentMessage(t, st, "winback/abc/c:7/nudge", "c:7", "win-back", "nudge", placed.Add(-6*24*time.Hour))
	sentMessage(t, st, "pp/abc/1/thanks", "c:8", "post-purchase", "thanks", placed.Add(-time.Hour)) // someone else
	for _, in := range []AttributeToFlowsInput{attributionInput(1001, placed), {StoreHash: "abc", OrderID: 1002, At: placed, Window: time.Hour}} {
		if got, err := acts.AttributeOrderToFlows(ctx, in); err != nil || got != (Attribution{}) {
			t.Fatalf("attribution of %d = %+v, %v; want none", in.OrderID, got, err)
		}
	}
	// The window is the input's: six days reaches the win-back.
	in := attributionInput(1001, placed)
	in.Window = 6*24*time.Hour + time.Minute
	if got, err := acts.AttributeOrderToFlows(ctx, in); err != nil || got.Flow != "win-back" {
		t.Fatalf("with a 6-day window = %+v, %v", got, err)
	}
	if ds, _ := st.ListDecisions(ctx, store.DecisionFilter{StoreHash: "abc"}); len(ds) != 1 || ds[0].Flow != "win-back" {
		t.Fatalf("decisions = %+v, want the win-back conversion only", ds)
	}
}

// An order a cart reminder recovered keeps that credit: no flow message is
// attributed it.
func TestAttributeOrderToFlowsSkipsRecoveredOrders(t *testing.T) {
	st := newTestStore(t)
	acts := &Activities{Store: st}
	ctx := context.Background()
	placed := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	sentMessage(t, st, "pp/abc/1/thanks", "c:7", "post-purchase", "thanks", placed.Add(-time.Hour))
	if err := acts.RecordDecision(ctx, DecisionInput{StoreHash: "abc", CustomerKey: "c:7", WorkflowID: "cart/abc/c-1", Flow: "cart-recovery",
		Step: "reminder", Decision: "recovered", DedupeKey: RecoveryKey("abc", 1001), Amount: "123.45", At: placed}); err != nil {
		t.Fatal(err)
	}
	if got, err := acts.AttributeOrderToFlows(ctx, attributionInput(1001, placed)); err != nil || got != (Attribution{}) {
		t.Fatalf("attribution = %+v, %v; want none", got, err)
	}
	ds, err := st.ListDecisions(ctx, store.DecisionFilter{StoreHash: "abc"})
	if err != nil || len(ds) != 1 || ds[0].Decision != "recovered" {
		t.Fatalf("decisions = %+v, %v; want the recovery only", ds, err)
	}
}
