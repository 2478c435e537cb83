package activities

import (
	"context"
	"testing"
	"time"

	"github.com/bcflow/bcflow/store"
)

// An order by a shopper within the window after a cart reminder counts as
// recovered by that reminder, once, whichever path records it; an order
// after the window, or by someone else, does not.
func TestAttributeOrderToTheShoppersLastCartReminder(t *testing.T) {
	w := newOrderActs(t)
	ctx := context.Background()
	st := w.acts.Store
	sentAt := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Second)
	for _, key := range []string{"cart/" + w.hash + "/c-1/reminder", "cart/" + w.hash + "/c-1/discount"} {
		if _, _, err := st.ReserveMessage(ctx, store.Message{IdempotencyKey: key, StoreHash: w.hash, CustomerKey: "c:7",
			Email: "ann@example.com", Channel: store.ChannelEmail}); err != nil {
			t.Fatal(err)
		}
		if err := st.MarkMessageSent(ctx, key, "m-"+key, sentAt); err != nil {
			t.Fatal(err)
		}
		sentAt = sentAt.Add(time.Hour)
	}
	orderID := w.order(0, "ann@example.com", 11, "", item("TEE-M", 1))
	in := AttributeOrderInput{StoreHash: w.hash, OrderID: orderID, CustomerKey: "c:7", CartFlowPrefix: "cart/" + w.hash + "/",
		At: time.Now().UTC(), Window: 5 * 24 * time.Hour}
	for i := 0; i < 2; i++ {
		rec, err := w.acts.AttributeOrder(ctx, in)
		if err != nil || rec.OrderID != orderID || rec.Total == "" {
			t.Fatalf("attribution %d = %+v, %v", i, rec, err)
		}
	}
	ds, err := st.ListDecisions(ctx, store.DecisionFilter{StoreHash: w.hash, CustomerKey: "c:7"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].Decision != "recovered" || ds[0].Step != "discount" || ds[0].WorkflowID != "cart/"+w.hash+"/c-1" {
		t.Fatalf("decisions = %+v, want one recovery against the last reminder (discount)", ds)
	}
	for _, miss := range []AttributeOrderInput{
		{StoreHash: w.hash, OrderID: orderID, CustomerKey: "c:7", CartFlowPrefix: in.CartFlowPrefix, At: in.At, Window: time.Hour},
		{StoreHash: w.hash, OrderID: orderID, CustomerKey: "c:8", CartFlowPrefix: in.CartFlowPrefix, At: in.At, Window: in.Window},
	} {
		if rec, err := w.acts.AttributeOrder(ctx, miss); err != nil || rec.OrderID != 0 {
			t.Fatalf("attribution of %+v = %+v, %v; want none", miss, rec, err)
		}
	}
}
