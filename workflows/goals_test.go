package workflows

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/store"
)

// goalsFlowsYAML is the flows file of the goal tests: one goal of each kind.
const goalsFlowsYAML = `
defaults:
  customer_groups: [Retail, VIP]
  order_goals:
    goals:
      - name: welcome
        kind: new_customer
        tags: [customer]
        sequence:
          - {name: thanks, delay: 0s, channel: email, template: {subject: "Welcome {{.FirstName}}", body: "<p>order {{.OrderID}}</p>"}}
          - {name: tips, delay: 3d, channel: email, requires: [email_consent], template: {brevo_template_id: 21}}
      - name: returning
        kind: repeat_customer
        sequence:
          - {name: welcome-back, delay: 1h, channel: email, template: {brevo_template_id: 22}, event: returning_thanked}
      - name: coffee
        kind: sku
        sku: COFFEE-1KG
        sequence:
          - {name: cross-sell, delay: 7d, channel: email, template: {brevo_template_id: 23}}
        replenishment:
          period_per_unit: 30d
          remind_before: 5d
          channel: email
          template: {brevo_template_id: 24}
      - name: spring
        kind: coupon
        code: SPRING10
        tags: [instagram, spring-sale]
      - name: vip
        kind: customer_group
        group: VIP
        tags: [vip]
        sequence:
          - {name: perks, delay: 1d, event: vip_perks}
`

func workflowOpts(name string) workflow.RegisterOptions { return workflow.RegisterOptions{Name: name} }

func goalsFlows(t *testing.T, yaml string) config.FlowSet {
	t.Helper()
	f, err := config.ParseFlows("flows.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return f.For("abc", 1)
}

// eventCall is one TrackEvent the workflow asked for.
type eventCall struct {
	at time.Time
	in activities.EventInput
}

// orderWorld is the outside world of one order's flows under test.
// BigCommerce and Brevo calls are answered from its fields; decisions, send
// windows and goal records run the real activities on a real SQLite store.
type orderWorld struct {
	t     *testing.T
	env   *testsuite.TestWorkflowEnvironment
	order activities.OrderSnapshot
	flows config.FlowSet
	// file, when set, answers ResolveFlows per channel (For) instead of flows.
	file     *config.Flows
	earlier  int   // CountPlacedOrders answer
	reorder  int64 // FindReorder answer
	history  []activities.OrderHistoryInput
	reorders []activities.ReorderInput
	loads    int
	sends    []sendCall
	events   []eventCall
	tags     []activities.ContactTagsInput
	real     *activities.Activities
}

func newTestStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "bcflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

// newOrderWorld builds the world of order 1001 of store abc, placed by
// registered customer 7 (Ann, Retail group) in status Awaiting Fulfillment.
// st may be shared between worlds (nil: a fresh store).
func newOrderWorld(t *testing.T, st *store.Store) *orderWorld {
	t.Helper()
	if st == nil {
		st = newTestStore(t)
	}
	w := &orderWorld{
		t: t, env: newTestEnv(t), flows: goalsFlows(t, goalsFlowsYAML),
		order: activities.OrderSnapshot{
			StoreHash: "abc", OrderID: 1001, Exists: true, StatusID: 11, Status: "Awaiting Fulfillment",
			CustomerID: 7, BillingEmail: "ann@example.com", ChannelID: 1, CartID: "cart-1", Currency: "USD",
			SubtotalExTax: "25.00", TotalIncTax: "27.50", ItemsTotal: 2,
			Lines: []activities.OrderLine{{LineItem: activities.LineItem{ProductID: 122, VariantID: 160, SKU: "MUG-WHITE", Name: "Mug", Quantity: 2, Price: "12.50"}, ProductSKU: "MUG"}},
			Shopper: activities.Shopper{CustomerID: 7, Email: "Ann@Example.com", FirstName: "Ann", GroupID: 1,
				AcceptsMarketing: true, AcceptsAbandonedCartEmails: true},
			GroupName: "Retail",
		},
		real: &activities.Activities{Store: st},
	}
	w.env.SetStartTime(t0)
	w.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: OrderGoalsID("abc", 1001)})
	w.env.RegisterWorkflowWithOptions(OrderGoals, workflowOpts(OrderGoalsWorkflowName))
	w.env.RegisterActivity(w.real)
	a := w.real
	w.env.OnActivity(a.ResolveFlows, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.FlowsInput) (config.FlowSet, error) {
			if w.file != nil {
				return w.file.For(in.StoreHash, in.ChannelID), nil
			}
			return w.flows, nil
		})
	w.env.OnActivity(a.LoadOrder, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.OrderInput) (activities.OrderSnapshot, error) {
			w.loads++
			return w.order, nil
		})
	w.env.OnActivity(a.CountPlacedOrders, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.OrderHistoryInput) (activities.OrderHistory, error) {
			w.history = append(w.history, in)
			return activities.OrderHistory{EarlierPlaced: w.earlier}, nil
		})
	w.env.OnActivity(a.FindReorder, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ReorderInput) (activities.Reorder, error) {
			w.reorders = append(w.reorders, in)
			return activities.Reorder{OrderID: w.reorder}, nil
		})
	w.env.OnActivity(a.TrackEvent, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.EventInput) error {
			w.events = append(w.events, eventCall{at: w.env.Now(), in: in})
			return nil
		})
	w.env.OnActivity(a.UpsertContactTags, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ContactTagsInput) (activities.ContactTags, error) {
			w.tags = append(w.tags, in)
			return activities.ContactTags{Tags: in.Tags}, nil
		})
	w.env.OnActivity(a.EnsureCoupon, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CouponInput) (activities.Coupon, error) {
			return activities.Coupon{Code: in.Code, Percent: in.Percent}, nil
		})
	w.env.OnActivity(a.SendMessage, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SendInput) (activities.SendOutcome, error) {
			w.sends = append(w.sends, sendCall{at: w.env.Now(), step: in.Step, key: in.IdempotencyKey, params: in.Params})
			return activities.SendOutcome{Status: activities.SendSent, ProviderMessageID: "m-" + in.Step}, nil
		})
	return w
}

func (w *orderWorld) at(d time.Duration, fn func()) { w.env.RegisterDelayedCallback(fn, d) }

func (w *orderWorld) signal(d time.Duration, name string, arg any) {
	w.at(d, func() { w.env.SignalWorkflow(name, arg) })
}

func (w *orderWorld) runGoals() OrderGoalsResult {
	w.t.Helper()
	w.env.ExecuteWorkflow(OrderGoalsWorkflowName, OrderChildInput{StoreHash: "abc", OrderID: 1001, ChannelID: 1, StatusID: 11})
	if !w.env.IsWorkflowCompleted() {
		w.t.Fatal("workflow did not complete")
	}
	if err := w.env.GetWorkflowError(); err != nil {
		w.t.Fatalf("workflow error: %v", err)
	}
	var res OrderGoalsResult
	if err := w.env.GetWorkflowResult(&res); err != nil {
		w.t.Fatal(err)
	}
	return res
}

func (w *orderWorld) decisions() []DecisionEntry { return queryDecisions(w.t, w.env) }

// sent lists "step@offset from t0" of every send.
func (w *orderWorld) sent() string {
	var out []string
	for _, s := range w.sends {
		out = append(out, s.step+"@"+s.at.Sub(t0).String())
	}
	return strings.Join(out, ",")
}

func (w *orderWorld) eventNames() string { return eventNames(w.events) }

func TestOrderGoalsNewAndRepeatCustomers(t *testing.T) {
	cases := []struct {
		name      string
		guest     bool
		earlier   int
		wantGoal  string
		wantEvent string
		wantSent  string
	}{
		{"registered first order", false, 0, "BCwelcome", EventNewCustomer, "BCwelcome/thanks@0s,BCwelcome/tips@72h0m0s"},
		{"registered repeat", false, 3, "BCreturning", EventRepeatCustomer, "BCreturning/welcome-back@1h0m0s"},
		{"guest first order", true, 0, "BCwelcome", EventNewCustomer, "BCwelcome/thanks@0s"}, // no email consent: tips skipped
		{"guest repeat", true, 1, "BCreturning", EventRepeatCustomer, "BCreturning/welcome-back@1h0m0s"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newOrderWorld(t, nil)
			w.earlier = tc.earlier
			if tc.guest {
				w.order.CustomerID = 0
				w.order.BillingEmail = "guest@example.com"
				w.order.Shopper = activities.Shopper{Email: "guest@example.com", FirstName: "Gus"}
				w.order.GroupName = ""
			}
			res := w.runGoals()
			if res.Outcome != "completed" || strings.Join(res.Reached, ",") != tc.wantGoal {
				t.Fatalf("result %+v, want goal %s", res, tc.wantGoal)
			}
			if got := w.sent(); got != tc.wantSent {
				t.Fatalf("sent %s, want %s", got, tc.wantSent)
			}
			// Counted once, by customer id or by billing email, among the
			// placed statuses only.
			if len(w.history) != 1 {
				t.Fatalf("history asked %d times", len(w.history))
			}
			h := w.history[0]
			if tc.guest && (h.CustomerID != 0 || h.Email != "guest@example.com") || !tc.guest && h.CustomerID != 7 || h.OrderID != 1001 {
				t.Fatalf("history input %+v", h)
			}
			if got := h.PlacedStatuses; len(got) != 6 || got[0] != 11 || got[5] != 10 {
				t.Fatalf("placed statuses %v", got)
			}
			events := w.eventNames()
			if tc.wantEvent == EventRepeatCustomer {
				events = strings.TrimSuffix(events, ",returning_thanked") // the step's own event
			}
			if events != tc.wantEvent {
				t.Fatalf("events %s, want %s", w.eventNames(), tc.wantEvent)
			}
			ev := w.events[0].in
			if ev.Properties["order_id"] != float64(1001) || ev.Properties["call_name"] != tc.wantGoal ||
				ev.Properties["earlier_orders"] != float64(tc.earlier) || ev.Properties["order_total"] != "27.50" {
				t.Fatalf("event properties %v", ev.Properties)
			}
			if tc.wantGoal == "BCwelcome" && (len(w.tags) != 1 || w.tags[0].Tags[0] != "customer") {
				t.Fatalf("tags %+v", w.tags)
			}
			if tc.guest && tc.earlier == 0 && !hasDecision(w.decisions(), DecisionSkipped, "no email consent") {
				t.Fatalf("tips not skipped for lack of consent: %+v", w.decisions())
			}
			// The goal is recorded once per order, in the store.
			g, err := w.real.Store.GetGoal(context.Background(), "abc", 1001, tc.wantGoal)
			if err != nil || g.WorkflowID != OrderGoalsID("abc", 1001) {
				t.Fatalf("goal record %+v, %v", g, err)
			}
		})
	}
}

func TestOrderGoalsSKUCrossSellAndQuantityAwareReplenishment(t *testing.T) {
	w := newOrderWorld(t, nil)
	w.earlier = 1
	// Three bags of a variant of the COFFEE-1KG product.
	w.order.Lines = append(w.order.Lines, activities.OrderLine{
		LineItem: activities.LineItem{ProductID: 130, VariantID: 170, SKU: "COFFEE-1KG-DECAF", Name: "Coffee 1kg (decaf)", Quantity: 3, Price: "20.00"}, ProductSKU: "coffee-1kg"})
	res := w.runGoals()
	if strings.Join(res.Reached, ",") != "BCreturning,BCcoffee" {
		t.Fatalf("reached %v", res.Reached)
	}
	// Cross-sell after 7 days; replenishment after 3 x 30 days - 5 days.
	if got, want := w.sent(), "BCreturning/welcome-back@1h0m0s,BCcoffee/cross-sell@168h0m0s,BCcoffee/replenishment@2040h0m0s"; got != want {
		t.Fatalf("sent %s, want %s", got, want)
	}
	var sku *activities.EventInput
	for i := range w.events {
		if w.events[i].in.Name == EventSKUPurchased {
			sku = &w.events[i].in
		}
	}
	if sku == nil || sku.Properties["quantity"] != float64(3) || sku.Properties["sku"] != "COFFEE-1KG" || sku.Properties["variant_sku"] != "COFFEE-1KG-DECAF" {
		t.Fatalf("sku event %+v (events %s)", sku, w.eventNames())
	}
	last := w.sends[len(w.sends)-1]
	if last.params["SKU"] != "COFFEE-1KG" || last.params["Quantity"] != float64(3) || last.params["ProductName"] != "Coffee 1kg (decaf)" ||
		last.key != "goals/abc/1001/BCcoffee/replenishment" {
		t.Fatalf("replenishment send %+v", last)
	}
	// The reminder re-checked for a reorder of the SKU, after this order.
	if len(w.reorders) != 1 || w.reorders[0].SKU != "COFFEE-1KG" || w.reorders[0].OrderID != 1001 || w.reorders[0].CustomerID != 7 {
		t.Fatalf("reorder checks %+v", w.reorders)
	}
}

func TestOrderGoalsReplenishmentCancelledByReorder(t *testing.T) {
	w := newOrderWorld(t, nil)
	w.earlier = 1
	w.order.Lines = []activities.OrderLine{{LineItem: activities.LineItem{SKU: "COFFEE-1KG", Name: "Coffee", Quantity: 1}, ProductSKU: "COFFEE-1KG"}}
	w.at(20*24*time.Hour, func() { w.reorder = 1042 }) // reordered before the reminder (25 days)
	res := w.runGoals()
	if res.Outcome != "completed" {
		t.Fatalf("result %+v", res)
	}
	if got, want := w.sent(), "BCreturning/welcome-back@1h0m0s,BCcoffee/cross-sell@168h0m0s"; got != want {
		t.Fatalf("sent %s, want %s", got, want)
	}
	if !hasDecision(w.decisions(), DecisionSkipped, "reordered in order 1042") {
		t.Fatalf("reorder not recorded: %+v", w.decisions())
	}
}

func TestOrderGoalsCouponTagsTheContact(t *testing.T) {
	w := newOrderWorld(t, nil)
	w.earlier = 1
	w.order.Coupons = []string{"spring10"}
	res := w.runGoals()
	if strings.Join(res.Reached, ",") != "BCreturning,BCspring" {
		t.Fatalf("reached %v", res.Reached)
	}
	if len(w.tags) != 1 || strings.Join(w.tags[0].Tags, ",") != "instagram,spring-sale" || w.tags[0].Email != "Ann@Example.com" || w.tags[0].FirstName != "Ann" {
		t.Fatalf("tags %+v", w.tags)
	}
	if !strings.Contains(w.eventNames(), EventCouponUsed) {
		t.Fatalf("events %s", w.eventNames())
	}
	for _, e := range w.events {
		if e.in.Name == EventCouponUsed && e.in.Properties["coupon_code"] != "spring10" {
			t.Fatalf("coupon event %+v", e.in)
		}
	}
	if !hasDecision(w.decisions(), DecisionGoalReached, "coupon") {
		t.Fatalf("decisions %+v", w.decisions())
	}
}

func TestOrderGoalsCustomerGroup(t *testing.T) {
	w := newOrderWorld(t, nil)
	w.earlier = 1
	w.order.Shopper.GroupID, w.order.GroupName = 3, "vip"
	res := w.runGoals()
	if strings.Join(res.Reached, ",") != "BCreturning,BCvip" {
		t.Fatalf("reached %v", res.Reached)
	}
	if len(w.tags) != 1 || w.tags[0].Tags[0] != "vip" {
		t.Fatalf("tags %+v", w.tags)
	}
	// The perks step is an event for the merchant's own automation, a day on.
	var perks *eventCall
	for i := range w.events {
		if w.events[i].in.Name == "vip_perks" {
			perks = &w.events[i]
		}
	}
	if perks == nil || !perks.at.Equal(t0.Add(24*time.Hour)) || perks.in.Properties["group_name"] != "vip" {
		t.Fatalf("perks event %+v; events %s", perks, w.eventNames())
	}
	if !strings.Contains(w.eventNames(), EventGroupMember) {
		t.Fatalf("events %s", w.eventNames())
	}
	// A guest is in no group.
	g := newOrderWorld(t, nil)
	g.earlier = 1
	g.order.CustomerID, g.order.Shopper.CustomerID, g.order.Shopper.GroupID, g.order.GroupName = 0, 0, 3, "VIP"
	if res := g.runGoals(); strings.Join(res.Reached, ",") != "BCreturning" {
		t.Fatalf("guest reached %v", res.Reached)
	}
}

func TestOrderGoalsIncompleteOrderFiresNothing(t *testing.T) {
	for _, status := range []int{0, 1, 7} {
		w := newOrderWorld(t, nil)
		w.order.StatusID = status
		res := w.runGoals()
		if res.Outcome != "not-placed" || len(w.events)+len(w.sends)+len(w.tags)+len(w.history) != 0 {
			t.Fatalf("status %d: result %+v, events %s, sends %s", status, res, w.eventNames(), w.sent())
		}
	}
}

func TestOrderGoalsNeverFireTwiceForOneOrder(t *testing.T) {
	st := newTestStore(t)
	first := newOrderWorld(t, st)
	first.order.Coupons = []string{"SPRING10"}
	if res := first.runGoals(); strings.Join(res.Reached, ",") != "BCwelcome,BCspring" {
		t.Fatalf("first run reached %v", res.Reached)
	}
	// A later run for the same order (its id freed after retention, say).
	again := newOrderWorld(t, st)
	again.env.SetStartTime(t0.Add(200 * 24 * time.Hour))
	again.order.Coupons = []string{"SPRING10"}
	res := again.runGoals()
	if len(res.Reached) != 0 || len(again.events)+len(again.sends)+len(again.tags) != 0 {
		t.Fatalf("second run: %+v events %s sends %s tags %v", res, again.eventNames(), again.sent(), again.tags)
	}
	if !hasDecision(again.decisions(), DecisionSkipped, "already reached") {
		t.Fatalf("decisions %+v", again.decisions())
	}
}

func TestOrderGoalsRefundOrCancellationEndsTheSequence(t *testing.T) {
	cases := []struct {
		name   string
		signal string
		arg    any
		reason string
	}{
		{"refunded", SignalOrderStatus, OrderStatus{PreviousStatusID: 11, NewStatusID: 4}, ExitRefunded},
		{"partially refunded", SignalOrderStatus, OrderStatus{PreviousStatusID: 2, NewStatusID: 14}, ExitRefunded},
		{"cancelled", SignalOrderStatus, OrderStatus{PreviousStatusID: 11, NewStatusID: 5}, ExitCancelled},
		{"refund created", SignalOrderRefund, OrderEvent{Scope: "store/order/refund/created"}, ExitRefunded},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newOrderWorld(t, nil)
			w.signal(2*time.Hour, SignalOrderStatus, OrderStatus{PreviousStatusID: 11, NewStatusID: 2}) // shipped: goes on
			w.signal(24*time.Hour, tc.signal, tc.arg)
			res := w.runGoals()
			if res.Outcome != "exited" || res.ExitReason != tc.reason {
				t.Fatalf("result %+v", res)
			}
			if got := w.sent(); got != "BCwelcome/thanks@0s" {
				t.Fatalf("sent %s", got)
			}
			if !hasDecision(w.decisions(), DecisionExited, tc.reason) {
				t.Fatalf("decisions %+v", w.decisions())
			}
		})
	}
	t.Run("seen by the re-check", func(t *testing.T) {
		w := newOrderWorld(t, nil)
		w.at(24*time.Hour, func() { w.order.StatusID = 5 }) // the webhook was missed
		res := w.runGoals()
		if res.ExitReason != ExitCancelled || w.sent() != "BCwelcome/thanks@0s" {
			t.Fatalf("result %+v sent %s", res, w.sent())
		}
	})
}

func TestOrderGoalsDisabledForTheChannel(t *testing.T) {
	w := newOrderWorld(t, nil)
	w.flows = goalsFlows(t, "defaults:\n  order_goals: {enabled: false}\n")
	if res := w.runGoals(); res.Outcome != "disabled" || len(w.events) != 0 {
		t.Fatalf("result %+v", res)
	}
}
