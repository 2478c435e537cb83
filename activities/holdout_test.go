package activities

import (
	"context"
	"testing"
	"time"

	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/store"
)

// A holdout conversion is recorded once per order, whatever retries and
// re-drives, with the order's total as its amount and the order's channel;
// a recovery carries the same amount.
func TestRecordConversionOncePerOrderWithTheOrdersTotal(t *testing.T) {
	w := newOrderActs(t)
	ctx := context.Background()
	st := w.acts.Store
	orderID := w.order(4, "", 11, "", item("TEE-M", 2))
	o, err := w.acts.LoadOrder(ctx, OrderInput{StoreHash: w.hash, OrderID: orderID})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Truncate(time.Second)
	for i := range 3 { // a retry, then a re-drive at another time
		in := ConversionInput{StoreHash: w.hash, CustomerKey: "c:4", WorkflowID: "cart/" + w.hash + "/c-9", Flow: "cart-recovery",
			Step: "holdout", Group: "holdout", OrderID: orderID, At: at.Add(time.Duration(i/2) * time.Hour)}
		rec, err := w.acts.RecordConversion(ctx, in)
		if err != nil || rec.OrderID != orderID || rec.Total == "" {
			t.Fatalf("conversion %d = %+v, %v", i, rec, err)
		}
	}
	if _, err := w.acts.RecordRecovery(ctx, RecoveryInput{StoreHash: w.hash, CustomerKey: "c:4", WorkflowID: "cart/" + w.hash + "/c-9",
		OrderID: orderID, LastStep: "reminder", At: at}); err != nil {
		t.Fatal(err)
	}
	ds, err := st.ListDecisions(ctx, store.DecisionFilter{StoreHash: w.hash, CustomerKey: "c:4"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]store.Decision{}
	for _, d := range ds {
		if _, dup := got[d.Decision]; dup {
			t.Fatalf("decision %s recorded twice: %+v", d.Decision, ds)
		}
		got[d.Decision] = d
	}
	conv, rec := got["converted"], got["recovered"]
	if conv.Step != "holdout" || conv.Reason != "holdout" || conv.Flow != "cart-recovery" {
		t.Fatalf("converted = %+v", conv)
	}
	// The emulator's order: two tees on channel 1; the total is the order's total_inc_tax.
	want, err := store.ParseMoney(o.TotalIncTax)
	if err != nil || want <= 0 {
		t.Fatalf("order total %q: %v", o.TotalIncTax, err)
	}
	for _, d := range []store.Decision{conv, rec} {
		if d.Amount != want || d.ChannelID != int64(o.ChannelID) || o.ChannelID == 0 {
			t.Errorf("%s: amount %s channel %d, want %s channel %d", d.Decision, d.Amount, d.ChannelID, want, o.ChannelID)
		}
	}
}

// A decision's amount and channel reach the store; an amount that does not
// parse is recorded as 0, never an activity failure.
func TestRecordDecisionAmountAndChannel(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	at := time.Now().UTC().Truncate(time.Second)
	for i, c := range []struct {
		amount string
		want   store.Money
	}{{"123.45", 1234500}, {"", 0}, {"12,50", 0}, {"1e3", 0}} {
		err := w.acts.RecordDecision(ctx, DecisionInput{StoreHash: w.hash, CustomerKey: "c:1", WorkflowID: "wf", Flow: "cart-recovery",
			Step: "holdout", Decision: "converted", ChannelID: 2, Amount: c.amount, At: at.Add(time.Duration(i) * time.Second)})
		if err != nil {
			t.Fatalf("amount %q: %v", c.amount, err)
		}
		ds, err := w.acts.Store.ListDecisions(ctx, store.DecisionFilter{StoreHash: w.hash, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if ds[0].Amount != c.want || ds[0].ChannelID != 2 {
			t.Errorf("amount %q: stored %s channel %d, want %s channel 2", c.amount, ds[0].Amount, ds[0].ChannelID, c.want)
		}
	}
}

// The messages row keeps the flow and step that sent it.
func TestSendStoresFlowAndStep(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	in := SendInput{IdempotencyKey: "cart/x/c2/discount", StoreHash: w.hash, WorkflowID: "cart/x/c2", Flow: "cart-recovery", Step: "discount",
		Shopper: Shopper{CustomerID: 7, Email: "ann@example.com", FirstName: "Ann"}, Channel: config.ChannelEmail,
		Template: config.Template{Subject: "Hi", Body: "<p>Hi</p>"}}
	if out, err := w.acts.SendMessage(ctx, in); err != nil || out.Status != SendSent {
		t.Fatalf("send = %+v, %v", out, err)
	}
	m, err := w.acts.Store.GetMessage(ctx, in.IdempotencyKey)
	if err != nil || m.Flow != "cart-recovery" || m.Step != "discount" {
		t.Fatalf("messages row = %+v, %v", m, err)
	}
}
