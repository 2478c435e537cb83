package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/messaging"
	"github.com/bcflow/bcflow/store"
)

// fakeMail is the messaging provider of the post-purchase tests: it records
// emails, as Brevo would receive them, at workflow time.
type fakeMail struct {
	mu     sync.Mutex
	now    func() time.Time
	emails []sentEmail
}

type sentEmail struct {
	at time.Time
	e  messaging.Email
}

func (f *fakeMail) SendEmail(_ context.Context, e messaging.Email) (messaging.SendResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.emails = append(f.emails, sentEmail{at: f.now(), e: e})
	return messaging.SendResult{Provider: "fake", MessageID: fmt.Sprintf("m-%d", len(f.emails))}, nil
}

func (f *fakeMail) SendSMS(context.Context, messaging.SMS) (messaging.SendResult, error) {
	return messaging.SendResult{}, errors.New("no SMS in these tests")
}

func (f *fakeMail) SendWhatsApp(context.Context, messaging.WhatsApp) (messaging.SendResult, error) {
	return messaging.SendResult{}, errors.New("no WhatsApp in these tests")
}

func (f *fakeMail) TrackEvent(context.Context, messaging.Event) error { return nil }

func (f *fakeMail) UpsertContact(context.Context, messaging.Contact) error { return nil }

// ppWorld is the outside world of an order's post-purchase flows under test.
// BigCommerce answers from its fields; the ledger, decisions, send windows
// and exactly-once sends run the real activities on a real SQLite store,
// and emails reach fakeMail.
type ppWorld struct {
	t         *testing.T
	env       *testsuite.TestWorkflowEnvironment
	st        *store.Store
	real      *activities.Activities
	flows     config.FlowSet
	flowsByCh map[int]config.FlowSet // per channel, when set
	order     activities.OrderSnapshot
	refund    activities.RefundState
	earlier   int
	fields    activities.MergeFieldSet
	birthdays []activities.BirthdayCustomer
	findIn    []activities.BirthdaysInput
	events    []eventCall
	loads     int
	mail      *fakeMail
}

// newPPWorld builds the world of order 1001 of store abc (subtotal 1000.00,
// total 1100.00), placed by customer 7, Ann, in the VIP group, now
// Completed. st may be shared between worlds (nil: a fresh store); id is
// the workflow id under test.
func newPPWorld(t *testing.T, st *store.Store, id string) *ppWorld {
	t.Helper()
	if st == nil {
		st = newTestStore(t)
	}
	w := &ppWorld{
		t: t, env: newTestEnv(t), st: st, flows: config.DefaultFlows().For("abc", 1),
		order: activities.OrderSnapshot{
			StoreHash: "abc", OrderID: 1001, Exists: true, StatusID: 10, Status: "Completed", CustomerID: 7,
			BillingEmail: "ann@example.com", ChannelID: 1, Currency: "USD", SubtotalExTax: "1000.00", TotalIncTax: "1100.00",
			Lines: []activities.OrderLine{{LineItem: activities.LineItem{ProductID: 122, Name: "Mug", Quantity: 2, Price: "500.00",
				ImageURL: "https://cdn.example/mug.jpg", ProductURL: "https://shop.example/mug/"}}},
			Shopper: activities.Shopper{CustomerID: 7, Email: "ann@example.com", FirstName: "Ann", GroupID: 3,
				AcceptsMarketing: true, AcceptsAbandonedCartEmails: true},
			GroupName: "VIP",
		},
		refund: activities.RefundState{Exists: true, StatusID: 10, TotalIncTax: "1100.00", RefundedAmount: "0.00"},
	}
	w.mail = &fakeMail{now: w.env.Now}
	w.real = &activities.Activities{Store: st, Messaging: w.mail, Sender: activities.Sender{Email: "shop@example.com", Name: "Shop"}}
	w.env.SetStartTime(t0)
	w.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: id})
	for name, fn := range map[string]any{
		LoyaltyAwardWorkflowName: LoyaltyAward, ReviewRequestWorkflowName: ReviewRequest, ShipmentSurveyWorkflowName: ShipmentSurvey,
		OrderStatusCampaignWorkflowName: OrderStatusCampaign, LoyaltyBirthdaysWorkflowName: LoyaltyBirthdays,
	} {
		w.env.RegisterWorkflowWithOptions(fn, workflowOpts(name))
	}
	w.env.RegisterActivity(w.real)
	a := w.real
	w.env.OnActivity(a.ResolveFlows, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.FlowsInput) (config.FlowSet, error) {
			if f, ok := w.flowsByCh[in.ChannelID]; ok {
				return f, nil
			}
			return w.flows, nil
		})
	w.env.OnActivity(a.LoadOrder, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.OrderInput) (activities.OrderSnapshot, error) {
			w.loads++
			o := w.order
			if !in.WithShipments {
				o.Shipments = nil
			}
			return o, nil
		})
	w.env.OnActivity(a.CountPlacedOrders, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.OrderHistoryInput) (activities.OrderHistory, error) {
			return activities.OrderHistory{EarlierPlaced: w.earlier}, nil
		})
	w.env.OnActivity(a.LoadRefundState, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.RefundStateInput) (activities.RefundState, error) {
			return w.refund, nil
		})
	w.env.OnActivity(a.LoadMergeFields, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.MergeFieldsInput) (activities.MergeFieldSet, error) {
			return w.fields, nil
		})
	w.env.OnActivity(a.TrackEvent, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.EventInput) error {
			w.events = append(w.events, eventCall{at: w.env.Now(), in: in})
			return nil
		})
	w.env.OnActivity(a.LoyaltyStores, mock.Anything).Return([]string{"abc"}, nil)
	w.env.OnActivity(a.FindBirthdays, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.BirthdaysInput) ([]activities.BirthdayCustomer, error) {
			w.findIn = append(w.findIn, in)
			return w.birthdays, nil
		})
	return w
}

func (w *ppWorld) at(d time.Duration, fn func()) { w.env.RegisterDelayedCallback(fn, d) }

func (w *ppWorld) signal(d time.Duration, name string, arg any) {
	w.at(d, func() { w.env.SignalWorkflow(name, arg) })
}

// run executes workflow name with in and decodes its result into out.
func (w *ppWorld) run(name string, in, out any) {
	w.t.Helper()
	w.env.ExecuteWorkflow(name, in)
	if !w.env.IsWorkflowCompleted() {
		w.t.Fatal("workflow did not complete")
	}
	if err := w.env.GetWorkflowError(); err != nil {
		w.t.Fatalf("workflow error: %v", err)
	}
	if err := w.env.GetWorkflowResult(out); err != nil {
		w.t.Fatal(err)
	}
}

func (w *ppWorld) decisions() []DecisionEntry { return queryDecisions(w.t, w.env) }

func (w *ppWorld) eventNames() string { return eventNames(w.events) }

// ledger lists the customer's entries oldest first as "kind:points".
func (w *ppWorld) ledger(customer int64) string {
	w.t.Helper()
	hist, err := w.st.LedgerHistory(context.Background(), "abc", customer, 0)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for i := len(hist) - 1; i >= 0; i-- {
		out = append(out, fmt.Sprintf("%s:%d", hist[i].Kind, hist[i].Points))
	}
	return strings.Join(out, ",")
}

func (w *ppWorld) account(customer int64) store.Account {
	w.t.Helper()
	a, err := w.st.GetAccount(context.Background(), "abc", customer)
	if err != nil {
		w.t.Fatal(err)
	}
	return a
}

var orderChild = OrderChildInput{StoreHash: "abc", OrderID: 1001, ChannelID: 1, StatusID: 10}

func TestEarnPoints(t *testing.T) {
	l := config.DefaultFlows().Defaults.Loyalty
	gold := *l
	gold.Tiers = append([]config.Tier(nil), l.Tiers...)
	gold.Tiers[2].Multiplier = 2 // Gold from 5000
	fine := *l
	fine.PointsPerUnit, fine.Rounding = 1.15, config.RoundFloor
	ceil := *l
	ceil.Rounding = config.RoundCeil
	byID := *l
	byID.GroupMultipliers = map[string]float64{"3": 3, "vip": 1.5}
	for _, c := range []struct {
		name     string
		l        *config.Loyalty
		base     float64
		group    int
		groupN   string
		lifetime int64
		repeat   bool
		want     int64
	}{
		{"retail floor", l, 25.99, 1, "Retail", 0, false, 25},
		{"VIP x1.5", l, 100, 3, "vip", 0, false, 150},
		{"unknown group", l, 100, 9, "Staff", 0, false, 100},
		{"group id wins over name in sorted order", &byID, 100, 3, "VIP", 0, false, 300},
		{"wholesale first order", l, 100, 2, "Wholesale", 0, false, 50},
		{"wholesale reorder rate", l, 100, 2, "Wholesale", 0, true, 25},
		{"wholesale volume bonus", l, 2000, 2, "Wholesale", 0, true, 750},
		{"gold tier x2", &gold, 123.45, 1, "Retail", 6000, false, 246},
		{"below gold", &gold, 123.45, 1, "Retail", 4999, false, 123},
		{"float noise", &fine, 100, 1, "Retail", 0, false, 115},
		{"ceil", &ceil, 10.01, 1, "Retail", 0, false, 11},
		{"nothing", l, 0, 1, "Retail", 0, false, 0},
	} {
		if got := c.l.Earn(c.base, c.group, c.groupN, c.lifetime, c.repeat).Points; got != c.want {
			t.Errorf("%s: %d points, want %d", c.name, got, c.want)
		}
	}
}

func TestLoyaltyAwardWithMultipliersBonusAndTierOnce(t *testing.T) {
	st := newTestStore(t)
	w := newPPWorld(t, st, LoyaltyAwardID("abc", 1001))
	var res LoyaltyAwardResult
	w.run(LoyaltyAwardWorkflowName, orderChild, &res)
	// 1000.00 x 1 pt x VIP 1.5 = 1500, + 200 first purchase; 1700 lifetime: Silver.
	if res.Outcome != "watched" || res.Awarded != 1500 || res.Bonus != 200 || res.Tier != "Silver" || res.Reversed != 0 {
		t.Fatalf("result %+v", res)
	}
	if !w.env.Now().Equal(t0.Add(LoyaltyRefundHorizon)) {
		t.Fatalf("watched until %s", w.env.Now())
	}
	if got := w.ledger(7); got != "award:1500,bonus:200" {
		t.Fatalf("ledger %s", got)
	}
	if a := w.account(7); a.Balance != 1700 || a.Tier != "Silver" {
		t.Fatalf("account %+v", a)
	}
	if w.eventNames() != EventLoyaltyTierChanged {
		t.Fatalf("events %s", w.eventNames())
	}
	ev := w.events[0].in
	if ev.ContactProperties[LoyaltyTierAttribute] != "Silver" || ev.Properties["from"] != "" || ev.Properties["to"] != "Silver" || ev.Email != "ann@example.com" {
		t.Fatalf("tier event %+v", ev)
	}
	if !hasDecision(w.decisions(), DecisionAwarded, "1500 points") || !hasDecision(w.decisions(), DecisionTierChanged, `"Silver"`) {
		t.Fatalf("decisions %+v", w.decisions())
	}

	// The same order again (a second run, a duplicate start): nothing more.
	again := newPPWorld(t, st, LoyaltyAwardID("abc", 1001))
	var res2 LoyaltyAwardResult
	again.run(LoyaltyAwardWorkflowName, orderChild, &res2)
	if res2.Awarded != 1500 || res2.Bonus != 200 || again.ledger(7) != "award:1500,bonus:200" || len(again.events) != 0 {
		t.Fatalf("second run %+v ledger %s events %s", res2, again.ledger(7), again.eventNames())
	}
	if !hasDecision(again.decisions(), DecisionSkipped, "already awarded") {
		t.Fatalf("second run decisions %+v", again.decisions())
	}
}

func TestLoyaltyAwardTierMultiplierAndB2BRepeatOrder(t *testing.T) {
	st := newTestStore(t)
	ctx := context.Background()
	if _, err := st.AppendLedger(ctx, store.LedgerEntry{StoreHash: "abc", CustomerID: 7, OrderID: 1, Kind: store.LedgerAward, Points: 6000,
		CreatedAt: t0.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetTier(ctx, "abc", 7, "Gold"); err != nil {
		t.Fatal(err)
	}
	w := newPPWorld(t, st, LoyaltyAwardID("abc", 1001))
	w.flows.Loyalty.Tiers[2].Multiplier = 2
	w.earlier = 2
	w.order.Shopper.GroupID, w.order.GroupName, w.order.SubtotalExTax = 2, "Wholesale", "1200.00"
	var res LoyaltyAwardResult
	w.run(LoyaltyAwardWorkflowName, orderChild, &res)
	// 1200 x reorder 0.5 x Wholesale 0.5 x Gold 2 x volume 1.5 = 900; no bonus, still Gold.
	if res.Awarded != 900 || res.Bonus != 0 || res.Tier != "Gold" || len(w.events) != 0 {
		t.Fatalf("result %+v events %s", res, w.eventNames())
	}
	if got := w.ledger(7); got != "award:6000,award:900" {
		t.Fatalf("ledger %s", got)
	}
}

func TestLoyaltyAwardSkipsGuestsAndDisabledPrograms(t *testing.T) {
	w := newPPWorld(t, nil, LoyaltyAwardID("abc", 1001))
	w.order.CustomerID = 0
	var res LoyaltyAwardResult
	w.run(LoyaltyAwardWorkflowName, orderChild, &res)
	if res.Outcome != "skipped" || !strings.Contains(res.Reason, "guest") {
		t.Fatalf("guest %+v", res)
	}
	w = newPPWorld(t, nil, LoyaltyAwardID("abc", 1001))
	w.flows.Loyalty.Enabled = false
	w.run(LoyaltyAwardWorkflowName, orderChild, &res)
	if res.Outcome != "skipped" || w.ledger(7) != "" {
		t.Fatalf("disabled %+v", res)
	}
}

func TestLoyaltyAwardReversesTwoPartialRefundsThenTheRest(t *testing.T) {
	w := newPPWorld(t, nil, LoyaltyAwardID("abc", 1001))
	refund := func(d time.Duration, status int, refunded string, signals ...string) {
		w.at(d, func() {
			w.refund.StatusID, w.refund.RefundedAmount = status, refunded
			for _, s := range signals {
				if s == SignalOrderRefund {
					w.env.SignalWorkflow(SignalOrderRefund, OrderEvent{Scope: "store/order/refund/created"})
				} else {
					w.env.SignalWorkflow(SignalOrderStatus, OrderStatus{PreviousStatusID: 10, NewStatusID: status})
				}
			}
		})
	}
	day := 24 * time.Hour
	refund(3*day, 14, "275.00", SignalOrderRefund, SignalOrderStatus)  // 25 %: 375 of the 1500
	refund(3*day+time.Hour, 14, "275.00", SignalOrderStatus)           // redelivered: nothing
	refund(5*day, 14, "550.00", SignalOrderRefund)                     // 50 %: 375 more
	refund(10*day, 4, "1100.00", SignalOrderRefund, SignalOrderStatus) // the rest, bonus included
	var res LoyaltyAwardResult
	w.run(LoyaltyAwardWorkflowName, orderChild, &res)
	if got := w.ledger(7); got != "award:1500,bonus:200,reversal:-375,reversal:-375,reversal:-950" {
		t.Fatalf("ledger %s", got)
	}
	if res.Outcome != "reversed" || res.Reversed != 1700 || res.Tier != "Bronze" || !w.env.Now().Equal(t0.Add(10*day)) {
		t.Fatalf("result %+v at %s", res, w.env.Now())
	}
	if a := w.account(7); a.Balance != 0 || a.LifetimeEarned != 0 || a.Tier != "Bronze" {
		t.Fatalf("account %+v", a)
	}
	// Silver on the award, Bronze once the second refund took lifetime below 1000.
	if got := w.eventNames(); got != EventLoyaltyTierChanged+","+EventLoyaltyTierChanged || !w.events[1].at.Equal(t0.Add(5*day)) {
		t.Fatalf("events %s", got)
	}
}

func TestLoyaltyAwardRefundBeforeTheAwardCounts(t *testing.T) {
	w := newPPWorld(t, nil, LoyaltyAwardID("abc", 1001))
	w.refund = activities.RefundState{Exists: true, StatusID: 14, TotalIncTax: "1100.00", RefundedAmount: "110.00"}
	var res LoyaltyAwardResult
	w.run(LoyaltyAwardWorkflowName, orderChild, &res)
	if got := w.ledger(7); got != "award:1500,bonus:200,reversal:-150" || res.Outcome != "watched" || res.Reversed != 150 {
		t.Fatalf("ledger %s result %+v", got, res)
	}
}

func TestReviewRequestAfter14DaysWithTheProducts(t *testing.T) {
	w := newPPWorld(t, nil, ReviewRequestID("abc", 1001))
	var res OrderMessageResult
	w.run(ReviewRequestWorkflowName, orderChild, &res)
	if res.Outcome != "sent" || len(w.mail.emails) != 1 {
		t.Fatalf("result %+v emails %d", res, len(w.mail.emails))
	}
	m := w.mail.emails[0]
	if !m.at.Equal(t0.Add(14*24*time.Hour)) || m.e.To.Email != "ann@example.com" || m.e.Subject != "How did we do? Review your order #1001" ||
		!strings.Contains(m.e.HTMLContent, `href="https://shop.example/mug/#write_review"`) || m.e.IdempotencyKey != "review/abc/1001/review-request" {
		t.Fatalf("email at %s: %+v", m.at, m.e)
	}
	items, _ := m.e.Params["Items"].([]any)
	if len(items) != 1 {
		t.Fatalf("params %v", m.e.Params)
	}
	item := items[0].(map[string]any)
	if item["Name"] != "Mug" || item["ImageURL"] != "https://cdn.example/mug.jpg" || item["ProductURL"] != "https://shop.example/mug/" {
		t.Fatalf("item %v", item)
	}
	if !hasDecision(w.decisions(), DecisionWaiting, "review request due") || !hasDecision(w.decisions(), DecisionSent, "") {
		t.Fatalf("decisions %+v", w.decisions())
	}
}

func TestReviewRequestCancelledDuringTheWait(t *testing.T) {
	for _, c := range []struct {
		name   string
		signal string
		arg    any
		reason string
	}{
		{"refund", SignalOrderRefund, OrderEvent{Scope: "store/order/refund/created"}, ExitRefunded},
		{"partial refund status", SignalOrderStatus, OrderStatus{PreviousStatusID: 10, NewStatusID: 14}, ExitRefunded},
		{"cancellation", SignalOrderStatus, OrderStatus{PreviousStatusID: 10, NewStatusID: 5}, ExitCancelled},
		{"unsubscribe", SignalUnsubscribed, Unsubscribed{Email: "ann@example.com", Reason: "unsubscribed"}, ExitUnsubscribed},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newPPWorld(t, nil, ReviewRequestID("abc", 1001))
			w.signal(3*24*time.Hour, SignalOrderStatus, OrderStatus{PreviousStatusID: 11, NewStatusID: 10}) // not an exit
			w.signal(4*24*time.Hour, c.signal, c.arg)
			var res OrderMessageResult
			w.run(ReviewRequestWorkflowName, orderChild, &res)
			if res.Outcome != "exited" || res.ExitReason != c.reason || len(w.mail.emails) != 0 || !w.env.Now().Equal(t0.Add(4*24*time.Hour)) {
				t.Fatalf("result %+v emails %d at %s", res, len(w.mail.emails), w.env.Now())
			}
			if !hasDecision(w.decisions(), DecisionExited, c.reason) {
				t.Fatalf("decisions %+v", w.decisions())
			}
		})
	}
}

func TestReviewRequestRecheckBeforeSending(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(o *activities.OrderSnapshot)
		reason string
	}{
		{"refunded without a signal", func(o *activities.OrderSnapshot) { o.StatusID = 4 }, ExitRefunded},
		{"no longer accepts review emails", func(o *activities.OrderSnapshot) { o.Shopper.AcceptsAbandonedCartEmails = false }, ExitNoConsent},
		{"deleted", func(o *activities.OrderSnapshot) { o.Exists = false }, "not-found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newPPWorld(t, nil, ReviewRequestID("abc", 1001))
			w.at(10*24*time.Hour, func() { c.change(&w.order) })
			var res OrderMessageResult
			w.run(ReviewRequestWorkflowName, orderChild, &res)
			if res.Outcome != "exited" || res.ExitReason != c.reason || len(w.mail.emails) != 0 {
				t.Fatalf("result %+v emails %d", res, len(w.mail.emails))
			}
		})
	}
}

func surveyFlows(w *ppWorld) {
	w.flows.Survey = &config.Survey{Enabled: true, TriggerStatus: config.StatusShipped, Delay: config.Duration(7 * 24 * time.Hour),
		Link: "https://survey.example.com/s?order={order_id}", Message: config.Message{Channel: config.ChannelEmail,
			Template: config.Template{Subject: "Tell us about order {{.order_id}}", Body: `<a href="{{.SurveyLink}}">{{.customer_first_name}}, {{.billing_city}}</a>`}}}
	w.fields = activities.MergeFieldSet{Exists: true, StatusID: 2, Shopper: w.order.Shopper, Fields: map[string]string{
		"order_id": "1001", "customer_email": "ann@example.com", "customer_first_name": "Ann", "billing_city": "Austin", "order_total_inc_tax": "1100.00"}}
}

func TestShipmentSurveyOncePerOrderWithMergeFields(t *testing.T) {
	st := newTestStore(t)
	in := OrderChildInput{StoreHash: "abc", OrderID: 1001, ChannelID: 1, StatusID: 2}
	w := newPPWorld(t, st, ShipmentSurveyID("abc", 1001))
	surveyFlows(w)
	w.signal(2*24*time.Hour, SignalOrderStatus, OrderStatus{PreviousStatusID: 2, NewStatusID: 14}) // a partial refund does not cancel
	var res OrderMessageResult
	w.run(ShipmentSurveyWorkflowName, in, &res)
	if res.Outcome != "sent" || len(w.mail.emails) != 1 {
		t.Fatalf("result %+v emails %d", res, len(w.mail.emails))
	}
	m := w.mail.emails[0]
	if !m.at.Equal(t0.Add(7*24*time.Hour)) || m.e.Subject != "Tell us about order 1001" ||
		m.e.HTMLContent != `<a href="https://survey.example.com/s?order=1001">Ann, Austin</a>` || m.e.Params["order_total_inc_tax"] != "1100.00" {
		t.Fatalf("survey email at %s: %+v", m.at, m.e)
	}
	// A second run for the same order (a second shipment after the first
	// run ended) sends nothing.
	again := newPPWorld(t, st, ShipmentSurveyID("abc", 1001))
	surveyFlows(again)
	again.run(ShipmentSurveyWorkflowName, in, &res)
	if len(again.mail.emails) != 0 {
		t.Fatalf("second run sent %d emails", len(again.mail.emails))
	}
	n, err := st.CountMessagesSince(context.Background(), "abc", "c:7", "", t0.Add(-time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("messages recorded %d (%v)", n, err)
	}
}

func TestShipmentSurveyCancelledOrDisabled(t *testing.T) {
	in := OrderChildInput{StoreHash: "abc", OrderID: 1001, ChannelID: 1, StatusID: 2}
	w := newPPWorld(t, nil, ShipmentSurveyID("abc", 1001))
	surveyFlows(w)
	w.signal(24*time.Hour, SignalOrderStatus, OrderStatus{PreviousStatusID: 2, NewStatusID: 5})
	var res OrderMessageResult
	w.run(ShipmentSurveyWorkflowName, in, &res)
	if res.Outcome != "exited" || res.ExitReason != ExitCancelled || len(w.mail.emails) != 0 {
		t.Fatalf("cancelled: %+v", res)
	}
	w = newPPWorld(t, nil, ShipmentSurveyID("abc", 1001))
	w.run(ShipmentSurveyWorkflowName, in, &res) // the default flows have no survey
	if res.Outcome != "disabled" || len(w.mail.emails) != 0 {
		t.Fatalf("disabled: %+v", res)
	}
}

func TestOrderStatusCampaignSequenceWithTracking(t *testing.T) {
	in := OrderChildInput{StoreHash: "abc", OrderID: 1001, ChannelID: 1, StatusID: 2}
	campaign := func(w *ppWorld) {
		w.flows.StatusCampaigns = []config.StatusCampaign{{Status: config.StatusShipped, Event: "order_shipped", Sequence: []config.Step{
			{Name: "on-its-way", Delay: config.Duration(time.Hour), Message: config.Message{Channel: config.ChannelEmail,
				Template: config.Template{Subject: "Order {{.OrderID}} shipped", Body: "{{.Carrier}} {{.TrackingNumber}}"}}},
			{Name: "arrived", Delay: config.Duration(5 * 24 * time.Hour), Message: config.Message{Channel: config.ChannelEmail,
				Template: config.Template{Subject: "Did it arrive?", Body: "Hi {{.FirstName}}"}, Event: "order_arrival_check"}},
		}}}
		w.order.StatusID = 2
		w.order.Shipments = []activities.ShipmentInfo{{ID: 1, TrackingNumber: "1Z999", Carrier: "ups"}}
	}
	w := newPPWorld(t, nil, OrderStatusCampaignID("abc", 1001, 2))
	campaign(w)
	var res OrderMessageResult
	w.run(OrderStatusCampaignWorkflowName, in, &res)
	if res.Outcome != "completed" || strings.Join(res.Sent, ",") != "on-its-way,arrived" || len(w.mail.emails) != 2 {
		t.Fatalf("result %+v emails %d", res, len(w.mail.emails))
	}
	if m := w.mail.emails[0]; !m.at.Equal(t0.Add(time.Hour)) || m.e.HTMLContent != "ups 1Z999" || m.e.Subject != "Order 1001 shipped" {
		t.Fatalf("first step %s %+v", m.at, m.e)
	}
	if w.eventNames() != "order_arrival_check" || w.events[0].in.Properties["TrackingNumber"] != "1Z999" {
		t.Fatalf("step events %s %+v", w.eventNames(), w.events)
	}

	// A refund between the steps ends the sequence.
	w = newPPWorld(t, nil, OrderStatusCampaignID("abc", 1001, 2))
	campaign(w)
	w.signal(2*24*time.Hour, SignalOrderRefund, OrderEvent{Scope: "store/order/refund/created"})
	w.run(OrderStatusCampaignWorkflowName, in, &res)
	if res.Outcome != "exited" || res.ExitReason != ExitRefunded || strings.Join(res.Sent, ",") != "on-its-way" || len(w.mail.emails) != 1 {
		t.Fatalf("refunded: %+v emails %d", res, len(w.mail.emails))
	}
}

func TestOrderLifecycleShippedCampaignEventAndSequenceChild(t *testing.T) {
	env := newTestEnv(t)
	flows := config.DefaultFlows().For("abc", 1)
	flows.StatusCampaigns = []config.StatusCampaign{{Status: config.StatusShipped, Event: "order_shipped", Sequence: []config.Step{
		{Name: "on-its-way", Delay: config.Duration(time.Hour), Message: config.Message{Channel: config.ChannelEmail,
			Template: config.Template{BrevoTemplateID: 12}}}}}}
	order := activities.OrderSnapshot{StoreHash: "abc", OrderID: 1001, Exists: true, StatusID: 11, CustomerID: 7, BillingEmail: "ann@example.com",
		ChannelID: 1, Currency: "USD", TotalIncTax: "27.50",
		Shipments: []activities.ShipmentInfo{{ID: 1, TrackingNumber: "1Z999", Carrier: "ups", TrackingLink: "https://ups.example/1Z999"}}}
	var campaigns []OrderChildInput
	var campaignIDs []string
	env.SetStartTime(t0)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: OrderLifecycleID("abc", 1001)})
	env.RegisterWorkflowWithOptions(OrderLifecycle, workflowOpts(OrderLifecycleWorkflowName))
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context, in OrderChildInput) error {
		campaigns = append(campaigns, in)
		campaignIDs = append(campaignIDs, workflow.GetInfo(ctx).WorkflowExecution.ID)
		return nil
	}, workflowOpts(OrderStatusCampaignWorkflowName))
	real := &activities.Activities{Store: newTestStore(t)}
	env.RegisterActivity(real)
	env.OnActivity(real.ResolveFlows, mock.Anything, mock.Anything).Return(flows, nil)
	env.OnActivity(real.LoadOrder, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.OrderInput) (activities.OrderSnapshot, error) {
			o := order
			if !in.WithShipments {
				o.Shipments = nil
			}
			return o, nil
		})
	var events []activities.EventInput
	env.OnActivity(real.TrackEvent, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.EventInput) error { events = append(events, in); return nil })
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(errors.New("workflow not found"))
	status := func(d time.Duration, prev, next int) {
		env.RegisterDelayedCallback(func() {
			order.StatusID = next
			env.SignalWorkflow(SignalOrderStatus, OrderStatus{PreviousStatusID: prev, NewStatusID: next})
		}, d)
	}
	status(time.Hour, 11, 2)
	status(2*time.Hour, 2, 2) // a repeated notice: Shipped -> Shipped runs nothing
	env.ExecuteWorkflow(OrderLifecycleWorkflowName, OrderLifecycleInput{StoreHash: "abc", OrderID: 1001})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Name != "order_shipped" || events[0].Email != "ann@example.com" {
		t.Fatalf("events %+v", events)
	}
	p := events[0].Properties
	if p["tracking_number"] != "1Z999" || p["carrier"] != "ups" || p["tracking_link"] != "https://ups.example/1Z999" {
		t.Fatalf("order_shipped properties %v", p)
	}
	if len(campaigns) != 1 || campaignIDs[0] != OrderStatusCampaignID("abc", 1001, 2) || campaigns[0].StatusID != 2 {
		t.Fatalf("campaign children %v %+v", campaignIDs, campaigns)
	}
}

func TestLoyaltyBirthdaysOncePerCustomerAndYear(t *testing.T) {
	st := newTestStore(t)
	disabled := config.DefaultFlows().For("abc", 2)
	disabled.Loyalty.Enabled = false
	people := []activities.BirthdayCustomer{
		{CustomerID: 8, ChannelID: 2, Email: "bo@example.com"},
		{CustomerID: 7, ChannelID: 1, Email: "ann@example.com", FirstName: "Ann", Birthday: "2000-02-29"},
	}
	runOn := func(date string) (*ppWorld, LoyaltyBirthdaysResult) {
		w := newPPWorld(t, st, "loyalty-birthdays")
		w.flowsByCh = map[int]config.FlowSet{2: disabled}
		w.birthdays = people
		var res LoyaltyBirthdaysResult
		w.run(LoyaltyBirthdaysWorkflowName, LoyaltyBirthdaysInput{Date: date}, &res)
		return w, res
	}
	w, res := runOn("2027-02-28")
	if res != (LoyaltyBirthdaysResult{Date: "2027-02-28", Awarded: 1, Skipped: 1}) {
		t.Fatalf("result %+v", res)
	}
	if len(w.findIn) != 1 || w.findIn[0] != (activities.BirthdaysInput{StoreHash: "abc", Month: time.February, Day: 28, AlsoFeb29: true}) {
		t.Fatalf("find input %+v", w.findIn)
	}
	if got := w.ledger(7); got != "bonus:100" || w.ledger(8) != "" {
		t.Fatalf("ledger %s / %s", got, w.ledger(8))
	}
	if w.eventNames() != EventLoyaltyTierChanged+","+EventLoyaltyBirthdayBonus || w.events[1].in.Properties["points"] != float64(100) {
		t.Fatalf("events %s %+v", w.eventNames(), w.events)
	}
	// The same day again (a catch-up, a manual run): nothing twice.
	if _, res = runOn("2027-02-28"); res.Awarded != 0 || res.AlreadyAwarded != 1 {
		t.Fatalf("second run %+v", res)
	}
	// Next year's birthday is a new bonus; 28 Feb of a leap year is not 29 Feb.
	w, res = runOn("2028-02-28")
	if res.Awarded != 1 || w.findIn[0].AlsoFeb29 {
		t.Fatalf("2028 %+v %+v", res, w.findIn)
	}
	if got := w.ledger(7); got != "bonus:100,bonus:100" {
		t.Fatalf("ledger after two years %s", got)
	}
	w = newPPWorld(t, st, "loyalty-birthdays")
	w.env.ExecuteWorkflow(LoyaltyBirthdaysWorkflowName, LoyaltyBirthdaysInput{Date: "28/02/2027"})
	if err := w.env.GetWorkflowError(); err == nil || !strings.Contains(err.Error(), "YYYY-MM-DD") {
		t.Fatalf("bad date: %v", err)
	}
}

// timeline lists the decisions of workflow id in the customer's timeline,
// oldest first, as "step:decision".
func (w *ppWorld) timeline(customerKey, id string) string {
	w.t.Helper()
	ds, err := w.st.ListDecisions(context.Background(), store.DecisionFilter{StoreHash: "abc", CustomerKey: customerKey, WorkflowID: id})
	if err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for i := len(ds) - 1; i >= 0; i-- {
		out = append(out, ds[i].Step+":"+ds[i].Decision)
	}
	return strings.Join(out, ",")
}

// The hub passes the shopper's key: every decision of an order's child
// flow is in the customer timeline, including those made before (or
// without) reading the order.
func TestOrderChildDecisionsInTheCustomerTimeline(t *testing.T) {
	keyed := orderChild
	keyed.CustomerKey = "c:7"
	var msg OrderMessageResult

	// A review request cancelled during its wait.
	w := newPPWorld(t, nil, ReviewRequestID("abc", 1001))
	w.signal(24*time.Hour, SignalOrderRefund, OrderEvent{Scope: "store/order/refund/created"})
	w.run(ReviewRequestWorkflowName, keyed, &msg)
	if got := w.timeline("c:7", ReviewRequestID("abc", 1001)); got != "review-request:waiting,review-request:exited" {
		t.Fatalf("review request timeline %q", got)
	}

	// A survey cancelled during its wait, and one disabled.
	w = newPPWorld(t, nil, ShipmentSurveyID("abc", 1001))
	surveyFlows(w)
	w.signal(24*time.Hour, SignalOrderStatus, OrderStatus{PreviousStatusID: 2, NewStatusID: 5})
	w.run(ShipmentSurveyWorkflowName, keyed, &msg)
	if got := w.timeline("c:7", ShipmentSurveyID("abc", 1001)); got != "survey:waiting,survey:exited" {
		t.Fatalf("survey timeline %q", got)
	}
	w = newPPWorld(t, nil, ShipmentSurveyID("abc", 1001))
	w.run(ShipmentSurveyWorkflowName, keyed, &msg)
	if got := w.timeline("c:7", ShipmentSurveyID("abc", 1001)); got != "survey:skipped" {
		t.Fatalf("disabled survey timeline %q", got)
	}

	// A status campaign with no sequence for its status.
	w = newPPWorld(t, nil, OrderStatusCampaignID("abc", 1001, 10))
	w.run(OrderStatusCampaignWorkflowName, keyed, &msg)
	if got := w.timeline("c:7", OrderStatusCampaignID("abc", 1001, 10)); got != ":skipped" {
		t.Fatalf("status campaign timeline %q", got)
	}

	// A guest's order: no loyalty account, the skip is in the guest's timeline.
	guest := orderChild
	guest.CustomerKey = "e:ann@example.com"
	w = newPPWorld(t, nil, LoyaltyAwardID("abc", 1001))
	w.order.CustomerID, w.order.Shopper.CustomerID = 0, 0
	var la LoyaltyAwardResult
	w.run(LoyaltyAwardWorkflowName, guest, &la)
	if got := w.timeline("e:ann@example.com", LoyaltyAwardID("abc", 1001)); got != ":skipped" {
		t.Fatalf("guest loyalty timeline %q", got)
	}
}

// A refund delivered while the award writes its last decision ("refund
// horizon passed") still reverses the points: before the fix the run read
// the signal as it completed and only logged it.
func TestLoyaltyAwardRefundDuringTheLastDecisionIsReversed(t *testing.T) {
	w := newPPWorld(t, nil, LoyaltyAwardID("abc", 1001))
	w.env.OnActivity(w.real.RecordDecision, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.DecisionInput) error {
			if in.Decision == DecisionCompleted && in.Reason == "refund horizon passed" {
				w.refund.StatusID, w.refund.RefundedAmount = 14, "275.00"
				w.env.SignalWorkflow(SignalOrderRefund, OrderEvent{Scope: "store/order/refund/created"})
			}
			return w.real.RecordDecision(ctx, in)
		})
	var res LoyaltyAwardResult
	w.run(LoyaltyAwardWorkflowName, orderChild, &res)
	if got := w.ledger(7); got != "award:1500,bonus:200,reversal:-375" {
		t.Fatalf("ledger %s", got)
	}
	if res.Outcome != "watched" || res.Reversed != 375 {
		t.Fatalf("result %+v", res)
	}
	if !hasDecision(w.decisions(), DecisionReversed, "375 points") {
		t.Fatalf("decisions %+v", w.decisions())
	}
}

// The decisions query answers [] (never null) before a flow's first
// decision, and its entries have the timeline API's JSON shape.
func TestDecisionsQueryShape(t *testing.T) {
	// Before the first decision (its flows take an hour to resolve).
	env := newTestEnv(t)
	a := &activities.Activities{}
	env.RegisterActivity(a)
	env.OnActivity(a.ResolveFlows, mock.Anything, mock.Anything).After(time.Hour).Return(config.FlowSet{}, nil)
	env.OnActivity(a.RecordDecision, mock.Anything, mock.Anything).Return(nil)
	var empty json.RawMessage
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryDecisions)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Get(&empty); err != nil {
			t.Fatal(err)
		}
	}, time.Minute)
	env.ExecuteWorkflow(LoyaltyAward, orderChild)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if string(empty) != "[]" {
		t.Fatalf("decisions before the first one: %s, want []", empty)
	}

	// An award's decision, with a step and details: every field.
	w := newPPWorld(t, nil, LoyaltyAwardID("abc", 1001))
	var res LoyaltyAwardResult
	w.run(LoyaltyAwardWorkflowName, orderChild, &res)
	v, err := w.env.QueryWorkflow(QueryDecisions)
	if err != nil {
		t.Fatal(err)
	}
	var entries []map[string]any
	if err := v.Get(&entries); err != nil {
		t.Fatal(err)
	}
	var awarded map[string]any
	for _, e := range entries {
		if e["decision"] == DecisionAwarded && e["step"] == "award" {
			awarded = e
		}
	}
	var keys []string
	for k := range awarded {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if !slices.Equal(keys, decisionKeys) {
		t.Fatalf("award decision fields %v, want the timeline's %v", keys, decisionKeys)
	}
	if _, err := time.Parse(time.RFC3339Nano, awarded["at"].(string)); err != nil {
		t.Fatalf("at %v: %v", awarded["at"], err)
	}
}
