package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"

	"github.com/bcflow/bcflow/emulator/bcemu"
	"github.com/bcflow/bcflow/emulator/brevoemu"
	"github.com/bcflow/bcflow/workflows"
)

// goalFlows are order goals of every kind with second-scale sequences; the
// other sections are off, so every message and event at Brevo is a goal's.
const goalFlows = `
version: 1
defaults:
  customer_groups: [Retail, VIP, Wholesale]
  order_goals:
    store_code: BC
    goals:
      - name: welcome
        kind: new_customer
        tags: [customer]
        sequence:
          - {name: thanks, delay: 0s, channel: email, template: {subject: "Welcome {{.FirstName}}", body: "<p>Thanks for order {{.OrderID}}</p>"}}
          - {name: tips, delay: 2s, channel: email, requires: [email_consent], template: {subject: "Tips for {{.FirstName}}", body: "<p>{{range .Items}}{{.Name}};{{end}}</p>"}}
      - name: returning
        kind: repeat_customer
        sequence:
          - {name: welcome-back, delay: 1s, channel: email, event: returning_thanked, template: {subject: "Welcome back {{.FirstName}}", body: "<p>order {{.OrderID}}</p>"}}
      - name: mug
        kind: sku
        sku: MUG
        sequence:
          - {name: cross-sell, delay: 1s, channel: email, template: {subject: "Pair your {{.ProductName}}", body: "<p>{{.SKU}} x{{.Quantity}}</p>"}}
        replenishment:
          period_per_unit: 3s
          channel: email
          template: {subject: "Time to restock your {{.ProductName}}", body: "<p>{{.Quantity}} ordered</p>"}
      - name: insta
        kind: coupon
        code: Insta15
        tags: [instagram]
        sequence:
          - {name: thanks-insta, delay: 0s, channel: email, template: {subject: "Thanks for using {{.OrderCouponCode}}", body: "<p>{{.OrderCouponCode}}</p>"}}
      - name: vip
        kind: customer_group
        group: VIP
        tags: [vip]
`

// TestOrderGoalsEndToEnd: a scripted store places an incomplete order, a
// first order and a repeat order (one registered customer), a guest's order
// with a SKU goal's product that churns through statuses, and a VIP's order
// with a coupon goal's code. Exactly the expected emails, provider events
// and contact tags reach the Brevo emulator: per recipient and step, once.
func TestOrderGoalsEndToEnd(t *testing.T) {
	s := newStack(t, stackOptions{flowsYAML: goalFlows})
	ctx := context.Background()
	if _, err := s.bc.CreatePromotion(s.hash, bcemu.PromotionInput{Name: "Instagram 15", Code: "INSTA15", PercentOff: 15}); err != nil {
		t.Fatal(err)
	}
	ann, err := s.bc.CreateCustomer(s.hash, bcemu.CustomerInput{Email: "ann@example.com", FirstName: "Ann", LastName: "Lee"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.bc.CreateCustomer(s.hash, bcemu.CustomerInput{Guest: true, Email: "ben@example.com", FirstName: "Ben"}); err != nil {
		t.Fatal(err)
	}
	cy, err := s.bc.CreateCustomer(s.hash, bcemu.CustomerInput{Email: "cy@example.com", FirstName: "Cy", GroupID: 3}) // VIP
	if err != nil {
		t.Fatal(err)
	}

	// 1. Ann's first checkout fails payment: an Incomplete order (status 0).
	// Its hub loads it and starts nothing.
	incomplete := s.placeOrder(t, bcemu.CartInput{CustomerID: ann.ID, Items: []bcemu.ItemInput{{SKU: "TEE-M", Quantity: 1}}}, bcemu.CheckoutInput{StatusID: orderStatus(0)})
	eventually(t, "the incomplete order's hub idle", func() (bool, string) { return s.hubIdle(incomplete.ID, 1) })
	if st, _ := s.describe(workflows.OrderGoalsID(s.hash, int64(incomplete.ID))); st != enums.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED {
		t.Fatalf("goals flow of the incomplete order: %s", st)
	}

	// 2. Ann's first placed order (the incomplete one does not count), her
	// repeat order, Cy's order with the coupon typed in lower case.
	first := s.placeOrder(t, bcemu.CartInput{CustomerID: ann.ID, Items: []bcemu.ItemInput{{SKU: "TEE-M", Quantity: 1}}}, bcemu.CheckoutInput{})
	repeat := s.placeOrder(t, bcemu.CartInput{CustomerID: ann.ID, Items: []bcemu.ItemInput{{SKU: "TEE-S", Quantity: 1}}}, bcemu.CheckoutInput{})
	coupon := s.placeOrder(t, bcemu.CartInput{CustomerID: cy.ID, Items: []bcemu.ItemInput{{SKU: "OTS", Quantity: 1}}}, bcemu.CheckoutInput{CouponCode: "insta15"})

	// 3. Ben, a guest who did not opt in to email, orders two mugs awaiting
	// payment: not placed yet, no goals.
	sku := s.placeOrder(t, bcemu.CartInput{Email: "ben@example.com", Items: []bcemu.ItemInput{{SKU: "MUG-BLACK", Quantity: 2}}}, bcemu.CheckoutInput{StatusID: orderStatus(7)})
	eventually(t, "the awaiting-payment order's hub idle", func() (bool, string) { return s.hubIdle(sku.ID, 1) })
	if st, _ := s.describe(workflows.OrderGoalsID(s.hash, int64(sku.ID))); st != enums.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED {
		t.Fatalf("goals flow of an order awaiting payment: %s", st)
	}
	// The payment clears, then the status churns between placed statuses:
	// the goals fire once.
	for _, st := range []int{11, 9, 11} {
		if _, err := s.bc.SetOrderStatus(s.hash, sku.ID, st); err != nil {
			t.Fatal(err)
		}
	}

	orders := []bcemu.Order{first, repeat, sku, coupon}
	for _, o := range orders {
		id := workflows.OrderGoalsID(s.hash, int64(o.ID))
		eventually(t, "goals flow "+id+" completes", func() (bool, string) {
			st, _ := s.describe(id)
			return st == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, st.String()
		})
	}
	// Every hub has handled every webhook of its order (created, and for
	// Ben's order three status changes) and started nothing more.
	webhooks := map[int]int{incomplete.ID: 1, first.ID: 1, repeat.ID: 1, coupon.ID: 1, sku.ID: 4}
	for id, n := range webhooks {
		eventually(t, fmt.Sprintf("hub of order %d idle", id), func() (bool, string) { return s.hubIdle(id, n) })
	}
	if n := s.signalCount(workflows.OrderLifecycleID(s.hash, int64(sku.ID)), workflows.SignalOrderStatus); n != 3 {
		t.Fatalf("hub of the churned order got %d status signals, want 3", n)
	}

	// Goal results, as the flows report them.
	wantResults := map[int]workflows.OrderGoalsResult{
		first.ID:  {Outcome: "completed", Reached: []string{"BCwelcome"}, Sent: []string{"BCwelcome/thanks", "BCwelcome/tips"}},
		repeat.ID: {Outcome: "completed", Reached: []string{"BCreturning"}, Sent: []string{"BCreturning/welcome-back"}},
		// Ben has no email consent: the tips step (requires it) is skipped.
		sku.ID:    {Outcome: "completed", Reached: []string{"BCwelcome", "BCmug"}, Sent: []string{"BCwelcome/thanks", "BCmug/cross-sell", "BCmug/replenishment"}},
		coupon.ID: {Outcome: "completed", Reached: []string{"BCwelcome", "BCinsta", "BCvip"}, Sent: []string{"BCwelcome/thanks", "BCinsta/thanks-insta", "BCwelcome/tips"}},
	}
	for id, want := range wantResults {
		var got workflows.OrderGoalsResult
		if err := s.c.GetWorkflow(ctx, workflows.OrderGoalsID(s.hash, int64(id)), "").Get(ctx, &got); err != nil {
			t.Fatal(err)
		}
		if got.Outcome != want.Outcome || !slices.Equal(got.Reached, want.Reached) || !slices.Equal(got.Sent, want.Sent) {
			t.Errorf("order %d goals: %+v, want %+v", id, got, want)
		}
	}

	// Messages: exactly these, per recipient and step.
	key := func(o bcemu.Order, step string) string {
		return workflows.OrderGoalsID(s.hash, int64(o.ID)) + "/" + step
	}
	wantMessages := map[string]map[string]string{ // recipient -> idempotency key -> subject
		"ann@example.com": {
			key(first, "BCwelcome/thanks"):          "Welcome Ann",
			key(first, "BCwelcome/tips"):            "Tips for Ann",
			key(repeat, "BCreturning/welcome-back"): "Welcome back Ann",
		},
		"ben@example.com": {
			key(sku, "BCwelcome/thanks"):    "Welcome Ben",
			key(sku, "BCmug/cross-sell"):    "Pair your Ceramic Pour-Over Mug",
			key(sku, "BCmug/replenishment"): "Time to restock your Ceramic Pour-Over Mug",
		},
		"cy@example.com": {
			key(coupon, "BCwelcome/thanks"):     "Welcome Cy",
			key(coupon, "BCwelcome/tips"):       "Tips for Cy",
			key(coupon, "BCinsta/thanks-insta"): "Thanks for using INSTA15",
		},
	}
	all := s.brevo.Messages(brevoemu.Filter{})
	total := 0
	for to, want := range wantMessages {
		msgs := s.brevo.Messages(brevoemu.Filter{To: to})
		total += len(want)
		got := map[string]string{}
		for _, m := range msgs {
			if _, dup := got[m.IdempotencyKey]; dup {
				t.Errorf("%s: %s sent twice", to, m.IdempotencyKey)
			}
			got[m.IdempotencyKey] = m.Subject
			if m.Channel != "email" {
				t.Errorf("%s: %s on %s", to, m.IdempotencyKey, m.Channel)
			}
		}
		if len(msgs) != len(want) || !maps.Equal(got, want) {
			t.Errorf("messages to %s:\n got %v\nwant %v", to, got, want)
		}
	}
	if len(all) != total {
		t.Errorf("%d messages at Brevo, want %d", len(all), total)
	}
	// Key params: the SKU goal's product and quantity, the coupon as the
	// order has it, the order's items.
	cross := s.message(t, key(sku, "BCmug/cross-sell"))
	if cross.Params["SKU"] != "MUG" || num(cross.Params["Quantity"]) != 2 || !strings.Contains(cross.HTMLContent, "MUG x2") ||
		!slices.Contains(cross.Tags, "BCmug") {
		t.Errorf("cross-sell: params %v body %q tags %v", cross.Params, cross.HTMLContent, cross.Tags)
	}
	if m := s.message(t, key(coupon, "BCinsta/thanks-insta")); m.Params["OrderCouponCode"] != "INSTA15" || num(m.Params["OrderID"]) != int64(coupon.ID) {
		t.Errorf("coupon thanks: params %v", m.Params)
	}
	if m := s.message(t, key(first, "BCwelcome/tips")); !strings.Contains(m.HTMLContent, "Organic Cotton Tee;") {
		t.Errorf("tips body %q", m.HTMLContent)
	}
	// Quantity-aware replenishment: two mugs last 2 x 3s; the reminder is
	// not due before 6 s after the goals flow started.
	resp, err := s.c.DescribeWorkflowExecution(ctx, workflows.OrderGoalsID(s.hash, int64(sku.ID)), "")
	if err != nil {
		t.Fatal(err)
	}
	started := resp.GetWorkflowExecutionInfo().GetStartTime().AsTime()
	if rep := s.message(t, key(sku, "BCmug/replenishment")); rep.CreatedAt.Before(started.Add(6 * time.Second)) {
		t.Errorf("replenishment sent %s after the goals flow started, want >= 6s (2 units x 3s)", rep.CreatedAt.Sub(started))
	}

	// Provider events: exactly these, with the order's properties.
	type ev struct {
		name  string
		order int
	}
	wantEvents := map[string][]ev{
		"ann@example.com": {{workflows.EventNewCustomer, first.ID}, {workflows.EventRepeatCustomer, repeat.ID}, {"returning_thanked", repeat.ID}},
		"ben@example.com": {{workflows.EventNewCustomer, sku.ID}, {workflows.EventSKUPurchased, sku.ID}},
		"cy@example.com":  {{workflows.EventNewCustomer, coupon.ID}, {workflows.EventCouponUsed, coupon.ID}, {workflows.EventGroupMember, coupon.ID}},
	}
	total = 0
	for to, want := range wantEvents {
		var got []ev
		for _, e := range s.brevo.Events(brevoemu.Filter{To: to}) {
			got = append(got, ev{e.Name, int(num(e.EventProperties["order_id"]))})
		}
		total += len(want)
		sortEvs := func(l []ev) {
			slices.SortFunc(l, func(a, b ev) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		}
		sortEvs(got)
		sortEvs(want)
		if !slices.Equal(got, want) {
			t.Errorf("events of %s:\n got %v\nwant %v", to, got, want)
		}
	}
	if n := len(s.brevo.Events(brevoemu.Filter{})); n != total {
		t.Errorf("%d events at Brevo, want %d", n, total)
	}
	props := func(to, name string) map[string]any {
		es := s.brevo.Events(brevoemu.Filter{To: to, Name: name})
		if len(es) != 1 {
			t.Fatalf("%d %s events for %s", len(es), name, to)
		}
		return es[0].EventProperties
	}
	if p := props("ann@example.com", workflows.EventNewCustomer); num(p["earlier_orders"]) != 0 || p["call_name"] != "BCwelcome" || num(p["customer_id"]) != int64(ann.ID) {
		t.Errorf("%s: %v", workflows.EventNewCustomer, p)
	}
	if p := props("ann@example.com", workflows.EventRepeatCustomer); num(p["earlier_orders"]) != 1 || p["call_name"] != "BCreturning" {
		t.Errorf("%s: %v", workflows.EventRepeatCustomer, p)
	}
	if p := props("ann@example.com", "returning_thanked"); p["step"] != "BCreturning/welcome-back" {
		t.Errorf("returning_thanked: %v", p)
	}
	if p := props("ben@example.com", workflows.EventNewCustomer); num(p["customer_id"]) != 0 || num(p["earlier_orders"]) != 0 {
		t.Errorf("guest %s: %v", workflows.EventNewCustomer, p)
	}
	if p := props("ben@example.com", workflows.EventSKUPurchased); p["sku"] != "MUG" || p["variant_sku"] != "MUG-BLACK" || num(p["quantity"]) != 2 ||
		num(p["product_id"]) != 122 || money(p["order_total"]) != 44 {
		t.Errorf("%s: %v", workflows.EventSKUPurchased, p)
	}
	if p := props("cy@example.com", workflows.EventCouponUsed); p["coupon_code"] != "INSTA15" || p["call_name"] != "BCinsta" {
		t.Errorf("%s: %v", workflows.EventCouponUsed, p)
	}
	if p := props("cy@example.com", workflows.EventGroupMember); p["group_name"] != "VIP" || num(p["group_id"]) != 3 {
		t.Errorf("%s: %v", workflows.EventGroupMember, p)
	}

	// Contact tags (the BCFLOW_TAGS attribute).
	for to, want := range map[string]string{"ann@example.com": "customer", "ben@example.com": "customer", "cy@example.com": "customer,instagram,vip"} {
		c, ok := s.brevo.Contact(to)
		if !ok || c.Attributes["BCFLOW_TAGS"] != want {
			t.Errorf("contact %s (found %v): tags %v, want %q", to, ok, c.Attributes["BCFLOW_TAGS"], want)
		}
	}

	// The goals reached are recorded once, with the shopper.
	for _, g := range []struct {
		order    bcemu.Order
		goal     string
		customer string
	}{{first, "BCwelcome", fmt.Sprintf("c:%d", ann.ID)}, {sku, "BCmug", "e:ben@example.com"}, {coupon, "BCinsta", fmt.Sprintf("c:%d", cy.ID)}} {
		rec, err := s.store.GetGoal(ctx, s.hash, int64(g.order.ID), g.goal)
		if err != nil || rec.CustomerKey != g.customer || rec.WorkflowID != workflows.OrderGoalsID(s.hash, int64(g.order.ID)) {
			t.Errorf("goal %s of order %d: %+v, %v", g.goal, g.order.ID, rec, err)
		}
	}
	if _, err := s.store.GetGoal(ctx, s.hash, int64(incomplete.ID), "BCwelcome"); err == nil {
		t.Error("a goal recorded for the incomplete order")
	}
	s.recordHistory(t, workflows.OrderGoalsID(s.hash, int64(sku.ID)), "order-goals-sku-guest")
	s.recordHistory(t, workflows.OrderLifecycleID(s.hash, int64(sku.ID)), "order-lifecycle-status-churn")
}

// placeOrder creates a cart and checks it out.
func (s *stack) placeOrder(t *testing.T, cart bcemu.CartInput, in bcemu.CheckoutInput) bcemu.Order {
	t.Helper()
	c, err := s.bc.CreateCart(s.hash, cart)
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.bc.Checkout(s.hash, c.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func orderStatus(id int) *int { return &id }

// hubIdle reports whether an order's hub has handled the webhooks of its
// order: it received want signals (order-updated aside) and waits on its idle timer again (the
// last timer event of its history is a TimerStarted after the last signal),
// so it has acted on every one of them.
func (s *stack) hubIdle(orderID, want int) (bool, string) {
	id := workflows.OrderLifecycleID(s.hash, int64(orderID))
	it := s.c.GetWorkflowHistory(context.Background(), id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	signals := 0
	var lastSignal, timerStarted int64
	open := false
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return false, err.Error()
		}
		switch ev.GetEventType() {
		case enums.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			// store/order/updated comes with most order changes (its
			// order-updated signals coalesce into one re-read): want counts
			// the others, and every signal must be acted on.
			if ev.GetWorkflowExecutionSignaledEventAttributes().GetSignalName() != workflows.SignalOrderUpdated {
				signals++
			}
			lastSignal = ev.GetEventId()
		case enums.EVENT_TYPE_TIMER_STARTED:
			open, timerStarted = true, ev.GetEventId()
		case enums.EVENT_TYPE_TIMER_CANCELED, enums.EVENT_TYPE_TIMER_FIRED:
			open = false
		}
	}
	if signals != want || !open || timerStarted < lastSignal {
		return false, fmt.Sprintf("%s: %d signals (want %d), idle timer open %v (event %d, last signal %d)", id, signals, want, open, timerStarted, lastSignal)
	}
	return true, ""
}

// message returns the one message with an idempotency key.
func (s *stack) message(t *testing.T, key string) brevoemu.Message {
	t.Helper()
	var out []brevoemu.Message
	for _, m := range s.brevo.Messages(brevoemu.Filter{}) {
		if m.IdempotencyKey == key {
			out = append(out, m)
		}
	}
	if len(out) != 1 {
		t.Fatalf("%d messages with key %s, want 1", len(out), key)
	}
	return out[0]
}

// num reads a JSON number (or a numeric string) as an integer; -1 if it is
// neither.
func num(v any) int64 {
	switch n := v.(type) {
	case float64:
		return int64(n)
	case json.Number:
		i, _ := n.Int64()
		return i
	case string:
		var i int64
		if _, err := fmt.Sscan(n, &i); err == nil {
			return i
		}
	}
	return -1
}

// money reads a decimal string or JSON number; NaN if it is neither.
func money(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case string:
		if f, err := strconv.ParseFloat(n, 64); err == nil {
			return f
		}
	}
	return math.NaN()
}
