package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"

	"github.com/bcflow/bcflow/emulator/bcemu"
	"github.com/bcflow/bcflow/emulator/brevoemu"
	"github.com/bcflow/bcflow/store"
	"github.com/bcflow/bcflow/workflows"
)

// loyaltyFlows is the post-purchase playbook with seconds instead of days:
// points on Completed (VIP earns 1.5x), Silver from 500 lifetime points, the
// review request 4 s after completion, the survey 1 s after the first
// shipment, and the Shipped and Completed events.
const loyaltyFlows = `
version: 1
defaults:
  customer_groups: [Retail, VIP, Wholesale]
  loyalty:
    points_per_unit: 1
    rounding: floor
    award_status: Completed
    group_multipliers: {Retail: 1.0, VIP: 1.5}
    tiers:
      - {name: Bronze, min_points: 0}
      - {name: Silver, min_points: 500}
      - {name: Gold, min_points: 5000}
    bonuses: {first_purchase: 200, account_creation: 0}
  review_request:
    trigger_status: Completed
    delay: 4s
    channel: email
    template:
      subject: "Review order #{{.OrderID}}"
      body: "<p>Hi {{.FirstName}}</p>{{range .Items}}<a href='{{.ReviewURL}}'>{{.Name}}</a>;{{end}}"
  status_campaigns:
    - {status: Shipped, event: order_shipped}
    - {status: Completed, event: order_completed}
  survey:
    delay: 1s
    link: "https://survey.example.com/s?order={order_id}"
    channel: email
    template:
      subject: "How was your delivery?"
      body: "<a href='{{.SurveyLink}}'>survey</a> {{.customer_email}} {{.order_total_inc_tax}}"
`

// TestLoyaltyEndToEnd: a VIP customer's orders move through statuses on the
// emulated store. Shipments track order_shipped with their tracking and
// invite to the survey once per order; completion awards points (1.5x, plus
// the first-purchase bonus), moves the tier (event and contact attribute)
// and, 4 s later, asks for a review. A full refund during the review wait
// reverses the order's points and cancels its review request; a partial
// refund reverses in proportion. The ledger, the tier, the events and the
// emails at Brevo are exactly as expected.
func TestLoyaltyEndToEnd(t *testing.T) {
	s := newStack(t, stackOptions{flowsYAML: loyaltyFlows})
	ctx := context.Background()
	const email = "dana@example.com"
	dana, err := s.bc.CreateCustomer(s.hash, bcemu.CustomerInput{Email: email, FirstName: "Dana", GroupID: 3}) // VIP
	if err != nil {
		t.Fatal(err)
	}
	cust := int64(dana.ID)
	// The tier attribute lands on an existing contact: ContactSync makes it.
	eventually(t, "Dana's contact at Brevo", func() (bool, string) {
		_, ok := s.brevo.Contact(email)
		return ok, "no contact"
	})
	tierEvents := func() int {
		return len(s.brevo.Events(brevoemu.Filter{To: email, Name: workflows.EventLoyaltyTierChanged}))
	}
	waitTier := func(n int, tier string, balance, lifetime int64) {
		t.Helper()
		eventually(t, fmt.Sprintf("tier %s, balance %d", tier, balance), func() (bool, string) {
			a, err := s.store.GetAccount(ctx, s.hash, cust)
			got := fmt.Sprintf("account %+v (%v), %d tier events", a, err, tierEvents())
			return err == nil && a.Tier == tier && a.Balance == balance && a.LifetimeEarned == lifetime && tierEvents() == n, got
		})
	}
	waitEmail := func(key string) {
		t.Helper()
		eventually(t, "email "+key, func() (bool, string) {
			n := 0
			for _, m := range s.emailsTo(email) {
				if m.IdempotencyKey == key {
					n++
				}
			}
			return n == 1, fmt.Sprintf("%d emails with that key", n)
		})
	}
	waitEvent := func(name string, order int) {
		t.Helper()
		eventually(t, fmt.Sprintf("event %s of order %d", name, order), func() (bool, string) {
			n := len(s.orderEvents(email, name, order))
			return n == 1, fmt.Sprintf("%d events", n)
		})
	}
	survey := func(o bcemu.Order) string { return workflows.ShipmentSurveyID(s.hash, int64(o.ID)) + "/survey" }
	review := func(o bcemu.Order) string { return workflows.ReviewRequestID(s.hash, int64(o.ID)) + "/review-request" }

	// 1. First order, 198.00: shipped in two parcels, then completed.
	o1 := s.placeOrder(t, bcemu.CartInput{CustomerID: dana.ID, Items: []bcemu.ItemInput{{SKU: "OTL", Quantity: 1}, {SKU: "OTS", Quantity: 1}}}, bcemu.CheckoutInput{})
	if _, err := s.bc.Ship(s.hash, o1.ID, bcemu.ShipInput{TrackingNumber: "1ZPART", Carrier: "ups",
		Items: []bcemu.ShipmentItem{{OrderProductID: o1.Products[0].ID, Quantity: 1}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.bc.Ship(s.hash, o1.ID, bcemu.ShipInput{TrackingNumber: "1ZREST", Carrier: "fedex"}); err != nil {
		t.Fatal(err)
	}
	// Completed at once: the hub may handle the Shipped transition after
	// the order moved on, and still tracks order_shipped.
	if _, err := s.bc.SetOrderStatus(s.hash, o1.ID, 10); err != nil {
		t.Fatal(err)
	}
	waitEvent("order_shipped", o1.ID)
	waitEmail(survey(o1))
	// floor(198 x 1.5) = 297, + 200 first purchase = 497: Bronze.
	waitTier(1, "Bronze", 497, 497)

	// 2. Second order, 200.00: shipped, completed (+300: Silver), then
	// fully refunded during its review wait.
	o2 := s.placeOrder(t, bcemu.CartInput{CustomerID: dana.ID, Items: []bcemu.ItemInput{{SKU: "CLC", Quantity: 1}}}, bcemu.CheckoutInput{})
	if _, err := s.bc.Ship(s.hash, o2.ID, bcemu.ShipInput{TrackingNumber: "9400111", Carrier: "usps"}); err != nil {
		t.Fatal(err)
	}
	completed := time.Now()
	if _, err := s.bc.SetOrderStatus(s.hash, o2.ID, 10); err != nil {
		t.Fatal(err)
	}
	waitEvent("order_shipped", o2.ID)
	waitEmail(survey(o2))
	waitTier(2, "Silver", 797, 797)
	t.Logf("order %d awarded %s after its completion; refunding it (review request due after 4s)", o2.ID, time.Since(completed).Round(time.Millisecond))
	if st, _ := s.describe(workflows.ReviewRequestID(s.hash, int64(o2.ID))); st != enums.WORKFLOW_EXECUTION_STATUS_RUNNING {
		t.Fatalf("review request of order %d is %s before the refund, want running (waiting)", o2.ID, st)
	}
	if _, err := s.bc.Refund(s.hash, o2.ID, bcemu.RefundInput{Reason: "damaged"}); err != nil {
		t.Fatal(err)
	}
	waitTier(3, "Bronze", 497, 497)
	reviewID, awardID := workflows.ReviewRequestID(s.hash, int64(o2.ID)), workflows.LoyaltyAwardID(s.hash, int64(o2.ID))
	for _, id := range []string{reviewID, awardID} {
		eventually(t, id+" closes", func() (bool, string) {
			st, _ := s.describe(id)
			return st == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, st.String()
		})
	}
	var rr workflows.OrderMessageResult
	if err := s.c.GetWorkflow(ctx, reviewID, "").Get(ctx, &rr); err != nil {
		t.Fatal(err)
	}
	if rr.Outcome != "exited" || rr.ExitReason != workflows.ExitRefunded || len(rr.Sent) != 0 {
		t.Errorf("%s: %+v, want exited (refunded)", reviewID, rr)
	}
	var la workflows.LoyaltyAwardResult
	if err := s.c.GetWorkflow(ctx, awardID, "").Get(ctx, &la); err != nil {
		t.Fatal(err)
	}
	if want := (workflows.LoyaltyAwardResult{Outcome: "reversed", CustomerID: cust, Awarded: 300, Reversed: 300, Tier: "Bronze"}); la != want {
		t.Errorf("%s: %+v, want %+v", awardID, la, want)
	}
	// Cancelled by the refund's signal, not found refunded by the re-check
	// at the due time: the flow closed before its 4 s wait was over.
	resp, err := s.c.DescribeWorkflowExecution(ctx, reviewID, "")
	if err != nil {
		t.Fatal(err)
	}
	info := resp.GetWorkflowExecutionInfo()
	if d := info.GetCloseTime().AsTime().Sub(info.GetStartTime().AsTime()); d >= 4*time.Second {
		t.Errorf("review request of the refunded order closed %s after it started: it waited out its delay", d)
	}
	// In Dana's timeline: the hub gave the child her customer key.
	ds, err := s.store.ListDecisions(ctx, store.DecisionFilter{StoreHash: s.hash, CustomerKey: fmt.Sprintf("c:%d", cust), WorkflowID: reviewID})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) < 2 || ds[0].Decision != workflows.DecisionExited || ds[0].Reason != workflows.ExitRefunded ||
		ds[len(ds)-1].Decision != workflows.DecisionWaiting {
		t.Errorf("review request decisions in the customer timeline %+v, want waiting, then the refund exit last", ds)
	}

	// The first order's review request arrives, 4 s after its completion.
	waitEmail(review(o1))

	// 3. Third order, 100.00, completed without shipping: +150, Silver
	// again; its review goes out; then 30.00 of it is refunded: -45.
	o3 := s.placeOrder(t, bcemu.CartInput{CustomerID: dana.ID, Items: []bcemu.ItemInput{{SKU: "SM13", Quantity: 4}}}, bcemu.CheckoutInput{})
	if _, err := s.bc.SetOrderStatus(s.hash, o3.ID, 10); err != nil {
		t.Fatal(err)
	}
	waitTier(4, "Silver", 647, 647)
	waitEmail(review(o3))
	if _, err := s.bc.Refund(s.hash, o3.ID, bcemu.RefundInput{Amount: 30}); err != nil {
		t.Fatal(err)
	}
	waitTier(4, "Silver", 602, 602)

	// Every hub has handled every webhook of its order.
	webhooks := map[int]int{
		o1.ID: 1 + 2*2 + 1,   // created; two shipments, each with its status; Completed
		o2.ID: 1 + 2 + 1 + 2, // created; shipment + Shipped; Completed; refund + Refunded
		o3.ID: 1 + 1 + 2,     // created; Completed; refund + Partially Refunded
	}
	for id, n := range webhooks {
		eventually(t, fmt.Sprintf("hub of order %d idle", id), func() (bool, string) { return s.hubIdle(id, n) })
	}

	// The ledger, newest first.
	type entry struct {
		kind   string
		order  int
		points int64
	}
	hist, err := s.store.LedgerHistory(ctx, s.hash, cust, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []entry
	for _, e := range hist {
		got = append(got, entry{e.Kind, int(e.OrderID), e.Points})
	}
	want := []entry{
		{store.LedgerReversal, o3.ID, -45}, {store.LedgerAward, o3.ID, 150},
		{store.LedgerReversal, o2.ID, -300}, {store.LedgerAward, o2.ID, 300},
		{store.LedgerBonus, o1.ID, 200}, {store.LedgerAward, o1.ID, 297},
	}
	if !slices.Equal(got, want) {
		t.Errorf("ledger:\n got %v\nwant %v", got, want)
	}
	if !strings.Contains(hist[0].Reason, "partially refunded") {
		t.Errorf("partial reversal reason %q", hist[0].Reason)
	}
	if bal, life, err := s.store.Balance(ctx, s.hash, cust); err != nil || bal != 602 || life != 602 {
		t.Errorf("balance %d, lifetime %d, %v; want 602, 602", bal, life, err)
	}

	// Tier changes, in order, and the contact attribute.
	var tiers []string
	for _, e := range s.brevo.Events(brevoemu.Filter{To: email, Name: workflows.EventLoyaltyTierChanged}) {
		p := e.EventProperties
		tiers = append(tiers, fmt.Sprintf("%v>%v@%d", p["from"], p["to"], num(p["lifetime_points"])))
		if e.ContactProperties[workflows.LoyaltyTierAttribute] != p["to"] {
			t.Errorf("tier event contact properties %v, want %s=%v", e.ContactProperties, workflows.LoyaltyTierAttribute, p["to"])
		}
	}
	if want := []string{">Bronze@497", "Bronze>Silver@797", "Silver>Bronze@497", "Bronze>Silver@647"}; !slices.Equal(tiers, want) {
		t.Errorf("tier changes %v, want %v", tiers, want)
	}
	if c, _ := s.brevo.Contact(email); c.Attributes[workflows.LoyaltyTierAttribute] != "Silver" {
		t.Errorf("contact %s = %v, want Silver", workflows.LoyaltyTierAttribute, c.Attributes[workflows.LoyaltyTierAttribute])
	}

	// Provider events: exactly these.
	var events []string
	for _, e := range s.brevo.Events(brevoemu.Filter{}) {
		if !strings.EqualFold(e.Email, email) {
			t.Errorf("event %s for %s", e.Name, e.Email)
		}
		if e.Name != workflows.EventLoyaltyTierChanged {
			events = append(events, fmt.Sprintf("%s/%d", e.Name, num(e.EventProperties["order_id"])))
		}
	}
	slices.Sort(events)
	wantEvents := []string{
		fmt.Sprintf("order_completed/%d", o1.ID), fmt.Sprintf("order_completed/%d", o2.ID), fmt.Sprintf("order_completed/%d", o3.ID),
		fmt.Sprintf("order_shipped/%d", o1.ID), fmt.Sprintf("order_shipped/%d", o2.ID),
	}
	slices.Sort(wantEvents)
	if !slices.Equal(events, wantEvents) || len(tiers) != 4 {
		t.Errorf("events (besides %d tier changes) %v, want %v", len(tiers), events, wantEvents)
	}
	shipped := s.orderEvents(email, "order_shipped", o1.ID)[0].EventProperties
	if shipped["tracking_number"] != "1ZREST" || shipped["carrier"] != "fedex" ||
		fmt.Sprint(shipped["tracking_numbers"]) != "[1ZPART 1ZREST]" || fmt.Sprint(shipped["carriers"]) != "[ups fedex]" {
		t.Errorf("order_shipped of order %d: %v", o1.ID, shipped)
	}
	if p := s.orderEvents(email, "order_shipped", o2.ID)[0].EventProperties; p["tracking_number"] != "9400111" || p["carrier"] != "usps" {
		t.Errorf("order_shipped of order %d: %v", o2.ID, p)
	}

	// Emails: two surveys (one per shipped order, though the first had two
	// shipments) and two review requests (none for the refunded order).
	wantEmails := []string{survey(o1), survey(o2), review(o1), review(o3)}
	var keys []string
	for _, m := range s.brevo.Messages(brevoemu.Filter{}) {
		keys = append(keys, m.IdempotencyKey)
		if m.Channel != "email" || !slices.Contains(m.To, email) {
			t.Errorf("message %s on %s to %v", m.IdempotencyKey, m.Channel, m.To)
		}
	}
	slices.Sort(keys)
	slices.Sort(wantEmails)
	if !slices.Equal(keys, wantEmails) {
		t.Errorf("emails:\n got %v\nwant %v", keys, wantEmails)
	}
	sv := s.message(t, survey(o1))
	link := fmt.Sprintf("https://survey.example.com/s?order=%d", o1.ID)
	if sv.Params["SurveyLink"] != link || sv.Params["customer_email"] != email || money(sv.Params["order_total_inc_tax"]) != 198 ||
		!strings.Contains(sv.HTMLContent, link) || !strings.Contains(sv.HTMLContent, email) {
		t.Errorf("survey: params %v body %q", sv.Params, sv.HTMLContent)
	}
	rv := s.message(t, review(o1))
	items, _ := rv.Params["Items"].([]any)
	if rv.Subject != fmt.Sprintf("Review order #%d", o1.ID) || len(items) != 2 || !strings.HasSuffix(fmt.Sprint(rv.Params["ReviewURL"]), "#write_review") ||
		!strings.Contains(rv.HTMLContent, "Orbit Terrarium - Large</a>;") || !strings.Contains(rv.HTMLContent, "Orbit Terrarium - Small</a>;") {
		t.Errorf("review request: subject %q params %v body %q", rv.Subject, rv.Params, rv.HTMLContent)
	}
	s.recordHistory(t, reviewID, "review-request-cancelled-by-refund")
	s.recordHistory(t, awardID, "loyalty-award-reversed")
}

// orderEvents are the provider events of a name about one order.
func (s *stack) orderEvents(email, name string, orderID int) []brevoemu.Event {
	var out []brevoemu.Event
	for _, e := range s.brevo.Events(brevoemu.Filter{To: email, Name: name}) {
		if num(e.EventProperties["order_id"]) == int64(orderID) {
			out = append(out, e)
		}
	}
	return out
}
