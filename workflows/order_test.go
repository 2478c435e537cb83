package workflows

import (
	"context"
	"errors"
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
	"github.com/bcflow/bcflow/store"
)

// childRun is one child flow the hub started, as a fake child saw it.
type childRun struct {
	name    string
	id      string
	in      OrderChildInput
	at      time.Time
	email   string   // its BcCustomerEmail search attribute
	signals []string // "order-status:4", "order-refund", ...
}

// hubWorld is the outside world of one order hub under test. The child
// flows are fakes registered under the real names: they record their start
// and the signals forwarded to them, and end on the refund.
type hubWorld struct {
	t     *testing.T
	env   *testsuite.TestWorkflowEnvironment
	st    *store.Store
	order activities.OrderSnapshot
	flows config.FlowSet
	// file, when set, answers ResolveFlows per channel (For) instead of flows.
	file        *config.Flows
	loads       int
	events      []eventCall
	cartSignals []CartExit
	// trackErr fails every TrackEvent with it (nothing tracked).
	trackErr error
	// onLoad, when set, runs in every LoadOrder before it answers.
	onLoad func(ctx context.Context)

	mu       sync.Mutex
	children []*childRun
}

func newHubWorld(t *testing.T) *hubWorld { return newHubWorldOn(t, nil, t0) }

// newHubWorldOn is newHubWorld on store st (nil: a fresh one), starting at
// start: a second world on the same store is a later run of the same hub.
func newHubWorldOn(t *testing.T, st *store.Store, start time.Time) *hubWorld {
	t.Helper()
	if st == nil {
		st = newTestStore(t)
	}
	flows := config.DefaultFlows().For("abc", 1)
	flows.OrderGoals.Goals = []config.Goal{{Name: "welcome", Kind: config.GoalNewCustomer}}
	flows.Survey = &config.Survey{Enabled: true, TriggerStatus: config.StatusShipped, Delay: config.Duration(7 * 24 * time.Hour),
		Link: "https://survey.example.com/s?order={order_id}", Message: config.Message{Channel: config.ChannelEmail, Template: config.Template{BrevoTemplateID: 30}}}
	w := &hubWorld{
		t: t, env: newTestEnv(t), st: st, flows: flows,
		order: activities.OrderSnapshot{StoreHash: "abc", OrderID: 1001, Exists: true, StatusID: 11, CustomerID: 7,
			BillingEmail: "Ann@Example.com", ChannelID: 1, CartID: "cart-1", Currency: "USD", TotalIncTax: "27.50"},
	}
	real := &activities.Activities{Store: st, Messaging: &fakeMail{}}
	w.env.SetStartTime(start)
	w.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: OrderLifecycleID("abc", 1001)})
	w.env.RegisterWorkflowWithOptions(OrderLifecycle, workflowOpts(OrderLifecycleWorkflowName))
	for _, name := range []string{OrderGoalsWorkflowName, LoyaltyAwardWorkflowName, ReviewRequestWorkflowName, ShipmentSurveyWorkflowName,
		OrderStatusCampaignWorkflowName} {
		w.env.RegisterWorkflowWithOptions(w.fakeChild(name), workflowOpts(name))
	}
	w.env.RegisterActivity(real)
	w.env.OnActivity(real.ResolveFlows, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.FlowsInput) (config.FlowSet, error) {
			if w.file != nil {
				return w.file.For(in.StoreHash, in.ChannelID), nil
			}
			return w.flows, nil
		})
	w.env.OnActivity(real.LoadOrder, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.OrderInput) (activities.OrderSnapshot, error) {
			w.loads++
			if w.onLoad != nil {
				w.onLoad(ctx)
			}
			o := w.order
			if !in.WithShipments {
				o.Shipments = nil
			}
			return o, nil
		})
	w.env.OnActivity(real.TrackEvent, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.EventInput) error {
			if w.trackErr != nil {
				return w.trackErr
			}
			// The real activity keeps the event's claim; a confirmed claim
			// tracks nothing.
			if in.Key != "" {
				if c, err := st.GetEventClaim(ctx, in.StoreHash, in.Key); err == nil && c.Status == store.EventConfirmed {
					return real.TrackEvent(ctx, in)
				}
			}
			w.events = append(w.events, eventCall{at: w.env.Now(), in: in})
			return real.TrackEvent(ctx, in)
		})
	w.env.OnSignalExternalWorkflow(mock.Anything, CartRecoveryID("abc", "cart-1"), "", SignalCartExit, mock.Anything).Return(
		func(_, _, _, _ string, arg any) error {
			w.cartSignals = append(w.cartSignals, arg.(CartExit))
			return nil
		})
	// Children never started (or closed before this test's env): not found.
	w.env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(
		errors.New("workflow not found"))
	return w
}

// fakeChild is a child flow that records what reaches it and ends after a
// refund and the Refunded status (or 200 days).
func (w *hubWorld) fakeChild(name string) func(ctx workflow.Context, in OrderChildInput) error {
	return func(ctx workflow.Context, in OrderChildInput) error {
		email, _ := workflow.GetTypedSearchAttributes(ctx).GetKeyword(SearchCustomerEmail)
		run := &childRun{name: name, id: workflow.GetInfo(ctx).WorkflowExecution.ID, in: in, at: workflow.Now(ctx), email: email}
		w.mu.Lock()
		w.children = append(w.children, run)
		w.mu.Unlock()
		statuses := workflow.GetSignalChannel(ctx, SignalOrderStatus)
		refunds := workflow.GetSignalChannel(ctx, SignalOrderRefund)
		timer := workflow.NewTimer(ctx, 200*24*time.Hour)
		refunded, refundedStatus, timedOut := false, false, false
		for !timedOut && (!refunded || !refundedStatus) {
			sel := workflow.NewSelector(ctx)
			sel.AddReceive(statuses, func(c workflow.ReceiveChannel, _ bool) {
				var s OrderStatus
				c.Receive(ctx, &s)
				w.mu.Lock()
				run.signals = append(run.signals, SignalOrderStatus+":"+config.OrderStatus(s.NewStatusID).String())
				w.mu.Unlock()
				refundedStatus = refundedStatus || s.NewStatusID == 4
			})
			sel.AddReceive(refunds, func(c workflow.ReceiveChannel, _ bool) {
				var e OrderEvent
				c.Receive(ctx, &e)
				w.mu.Lock()
				run.signals = append(run.signals, SignalOrderRefund)
				w.mu.Unlock()
				refunded = true
			})
			sel.AddFuture(timer, func(workflow.Future) { timedOut = true })
			sel.Select(ctx)
		}
		return nil
	}
}

func (w *hubWorld) at(d time.Duration, fn func()) { w.env.RegisterDelayedCallback(fn, d) }

// status moves the order to status and signals the change, as the starter
// does for store/order/statusUpdated.
func (w *hubWorld) status(d time.Duration, status int) {
	w.at(d, func() {
		prev := w.order.StatusID
		w.order.StatusID = status
		w.env.SignalWorkflow(SignalOrderStatus, OrderStatus{PreviousStatusID: prev, NewStatusID: status, EventTime: w.env.Now()})
	})
}

func (w *hubWorld) run() OrderLifecycleResult {
	w.t.Helper()
	w.env.ExecuteWorkflow(OrderLifecycleWorkflowName, OrderLifecycleInput{StoreHash: "abc", OrderID: 1001})
	if !w.env.IsWorkflowCompleted() {
		w.t.Fatal("workflow did not complete")
	}
	if err := w.env.GetWorkflowError(); err != nil {
		w.t.Fatalf("workflow error: %v", err)
	}
	var res OrderLifecycleResult
	if err := w.env.GetWorkflowResult(&res); err != nil {
		w.t.Fatal(err)
	}
	return res
}

// started lists "name id status@offset" of every child start.
func (w *hubWorld) started() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, c := range w.children {
		out = append(out, c.name+" "+c.id+" "+config.OrderStatus(c.in.StatusID).String()+"@"+c.at.Sub(t0).String())
	}
	return out
}

func (w *hubWorld) child(name string) *childRun {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.children {
		if c.name == name {
			return c
		}
	}
	w.t.Fatalf("child %s never started", name)
	return nil
}

func TestOrderLifecycleStartsChildrenAtTheirStatusesAndForwards(t *testing.T) {
	w := newHubWorld(t)
	w.at(0, func() { w.env.SignalWorkflow(SignalOrderCreated, OrderEvent{Scope: "store/order/created", ID: 1001}) })
	w.at(time.Hour-time.Minute, func() {
		w.order.Shipments = []activities.ShipmentInfo{{ID: 1, TrackingNumber: "1Z999", Carrier: "ups", TrackingLink: "https://ups.example/1Z999"}}
	})
	w.status(time.Hour, 2)
	w.at(time.Hour+time.Minute, func() { w.env.SignalWorkflow(SignalShipment, OrderEvent{Scope: "store/shipment/created", ID: 1}) })
	w.status(72*time.Hour, 10)
	w.at(240*time.Hour, func() {
		w.order.StatusID = 4
		w.env.SignalWorkflow(SignalOrderRefund, OrderEvent{Scope: "store/order/refund/created"})
		w.env.SignalWorkflow(SignalOrderStatus, OrderStatus{PreviousStatusID: 10, NewStatusID: 4})
	})
	res := w.run()

	want := []string{
		"OrderGoals goals/abc/1001 Awaiting Fulfillment@0s",
		"ShipmentSurvey survey/abc/1001 Shipped@1h0m0s",
		"LoyaltyAward loyalty/abc/1001 Completed@72h0m0s",
		"ReviewRequest review/abc/1001 Completed@72h0m0s",
	}
	if got := w.started(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("children started:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if c := w.child(OrderGoalsWorkflowName); c.in != (OrderChildInput{StoreHash: "abc", OrderID: 1001, ChannelID: 1, StatusID: 11, CustomerKey: "c:7"}) || c.email != "ann@example.com" {
		t.Fatalf("goals child %+v", c)
	}
	// Later status changes and the refund reach every child still running.
	forwarded := map[string]string{
		OrderGoalsWorkflowName:     "order-status:Shipped,order-status:Completed,order-refund,order-status:Refunded",
		ShipmentSurveyWorkflowName: "order-status:Completed,order-refund,order-status:Refunded",
		LoyaltyAwardWorkflowName:   "order-refund,order-status:Refunded",
		ReviewRequestWorkflowName:  "order-refund,order-status:Refunded",
	}
	for name, want := range forwarded {
		if got := strings.Join(w.child(name).signals, ","); got != want {
			t.Errorf("%s received %s, want %s", name, got, want)
		}
	}
	// The cart flow learns the cart became an order, once.
	if len(w.cartSignals) != 1 || w.cartSignals[0].Reason != ExitOrderPlaced || w.cartSignals[0].OrderID != 1001 {
		t.Fatalf("cart signals %+v", w.cartSignals)
	}
	// Status campaigns: order_shipped with the tracking, order_completed.
	if len(w.events) != 2 || w.events[0].in.Name != "order_shipped" || w.events[1].in.Name != "order_completed" {
		t.Fatalf("events %+v", w.events)
	}
	shipped := w.events[0].in.Properties
	if shipped["tracking_number"] != "1Z999" || shipped["carrier"] != "ups" || w.events[0].in.Email != "Ann@Example.com" {
		t.Fatalf("order_shipped properties %v", shipped)
	}
	// The hub stays open 120 days after the last signal, then completes.
	if res.Outcome != "idle" || res.StatusID != 4 || len(res.Started) != 4 || !w.env.Now().Equal(t0.Add(240*time.Hour+OrderIdleTimeout)) {
		t.Fatalf("result %+v at %s", res, w.env.Now())
	}
}

func TestOrderLifecycleIncompleteOrderThenStatusChurn(t *testing.T) {
	w := newHubWorld(t)
	w.order.StatusID = 0
	w.at(0, func() { w.env.SignalWorkflow(SignalOrderCreated, OrderEvent{Scope: "store/order/created"}) })
	w.status(time.Hour, 7)    // Awaiting Payment: not placed
	w.status(2*time.Hour, 11) // paid: placed, the goals start
	w.status(3*time.Hour, 9)
	w.status(4*time.Hour, 11)
	w.status(5*time.Hour, 3)
	w.status(6*time.Hour, 2)
	res := w.run()
	// The goals start once, when the order is first placed; the survey
	// when it reaches Shipped (Partially Shipped is not its trigger).
	if got := w.started(); len(got) != 2 || got[0] != "OrderGoals goals/abc/1001 Awaiting Fulfillment@2h0m0s" ||
		got[1] != "ShipmentSurvey survey/abc/1001 Shipped@6h0m0s" {
		t.Fatalf("children started: %v", got)
	}
	if len(w.cartSignals) != 1 {
		t.Fatalf("cart signals %+v (an Incomplete order is not a conversion, a later one is)", w.cartSignals)
	}
	if res.StatusID != 2 {
		t.Fatalf("result %+v", res)
	}
}

func TestOrderLifecycleOrderThatNeverGetsPlaced(t *testing.T) {
	w := newHubWorld(t)
	w.order.StatusID = 0
	w.order.CartID = ""
	w.at(0, func() { w.env.SignalWorkflow(SignalOrderCreated, OrderEvent{Scope: "store/order/created"}) })
	w.status(time.Hour, 6) // Declined
	res := w.run()
	if got := w.started(); len(got) != 0 || len(w.events) != 0 || len(w.cartSignals) != 0 {
		t.Fatalf("started %v events %+v cart %+v", got, w.events, w.cartSignals)
	}
	if res.Outcome != "idle" || len(res.Started) != 0 {
		t.Fatalf("result %+v", res)
	}
}

func TestOrderLifecycleDisabledSectionsStartNothing(t *testing.T) {
	w := newHubWorld(t)
	w.flows.Loyalty.Enabled, w.flows.ReviewRequest.Enabled, w.flows.Survey.Enabled = false, false, false
	w.flows.OrderGoals.Goals = nil
	w.flows.StatusCampaigns = nil
	w.at(0, func() { w.env.SignalWorkflow(SignalOrderCreated, OrderEvent{}) })
	w.status(time.Hour, 2)
	w.at(time.Hour+time.Minute, func() { w.env.SignalWorkflow(SignalShipment, OrderEvent{ID: 1}) })
	w.status(2*time.Hour, 10)
	w.run()
	if got := w.started(); len(got) != 0 || len(w.events) != 0 {
		t.Fatalf("started %v events %+v", got, w.events)
	}
}

func (w *hubWorld) decisions() []DecisionEntry { return queryDecisions(w.t, w.env) }

func (w *hubWorld) eventNames() string { return eventNames(w.events) }

// An order shipped and completed within a second: by the time the hub
// handles Awaiting Fulfillment -> Shipped, BigCommerce already says
// Completed. The transition still tracks order_shipped (with the tracking),
// once, however often the signal is redelivered and in a later run of the
// hub; the Shipped sequence, stale by then, does not start.
func TestOrderLifecycleStatusEventsOnEveryTransitionOnce(t *testing.T) {
	campaigns := []config.StatusCampaign{
		{Status: config.StatusShipped, Event: "order_shipped", Sequence: []config.Step{{Name: "on-its-way", Delay: config.Duration(time.Hour),
			Message: config.Message{Channel: config.ChannelEmail, Template: config.Template{BrevoTemplateID: 12}}}}},
		{Status: config.StatusCompleted, Event: "order_completed"},
	}
	w := newHubWorld(t)
	w.flows.StatusCampaigns = campaigns
	shipped := OrderStatus{PreviousStatusID: 11, NewStatusID: 2}
	w.at(time.Hour, func() {
		w.order.StatusID = 10
		w.order.Shipments = []activities.ShipmentInfo{{ID: 1, TrackingNumber: "1Z999", Carrier: "ups"}}
		w.env.SignalWorkflow(SignalOrderStatus, shipped)
		w.env.SignalWorkflow(SignalOrderStatus, OrderStatus{PreviousStatusID: 2, NewStatusID: 10})
	})
	w.at(2*time.Hour, func() { w.env.SignalWorkflow(SignalOrderStatus, shipped) }) // redelivered
	w.at(3*time.Hour, func() { w.env.SignalWorkflow(SignalOrderStatus, shipped) }) // a duplicate webhook
	w.run()
	if got := w.eventNames(); got != "order_shipped,order_completed" {
		t.Fatalf("events %s, want order_shipped,order_completed once each", got)
	}
	p := w.events[0].in.Properties
	if p["status"] != "Shipped" || p["tracking_number"] != "1Z999" || p["carrier"] != "ups" {
		t.Fatalf("order_shipped properties %v", p)
	}
	for _, c := range w.started() {
		if strings.HasPrefix(c, OrderStatusCampaignWorkflowName) {
			t.Fatalf("stale Shipped sequence started: %v", w.started())
		}
	}
	ds := w.decisions()
	if !hasDecision(ds, DecisionSkipped, "sequence not started: the order moved on to Completed") ||
		!hasDecision(ds, DecisionSkipped, "order_shipped already tracked for this status") {
		t.Fatalf("decisions %+v", ds)
	}

	// A later run of the hub (a webhook after the idle timeout) hears of
	// the Shipped transition again: the order already has its event.
	again := newHubWorldOn(t, w.st, t0.Add(200*24*time.Hour))
	again.flows.StatusCampaigns = campaigns
	again.order.StatusID = 10
	again.at(time.Hour, func() { again.env.SignalWorkflow(SignalOrderStatus, shipped) })
	again.run()
	if len(again.events) != 0 || !hasDecision(again.decisions(), DecisionSkipped, "already tracked for this order by an earlier run") {
		t.Fatalf("second run events %s decisions %+v", again.eventNames(), again.decisions())
	}
}

// A hub run recorded before hubVersionTransitionEvents keeps its commands:
// the campaign runs only while the order is still in the status.
func TestOrderLifecycleBeforeTransitionEventsKeepsItsCommands(t *testing.T) {
	w := newHubWorld(t)
	w.env.OnGetVersion(hubChange, workflow.DefaultVersion, hubVersionLatest).Return(workflow.DefaultVersion)
	w.at(time.Hour, func() {
		w.order.StatusID = 10
		w.env.SignalWorkflow(SignalOrderStatus, OrderStatus{PreviousStatusID: 11, NewStatusID: 2})
		w.env.SignalWorkflow(SignalOrderStatus, OrderStatus{PreviousStatusID: 2, NewStatusID: 10})
	})
	w.run()
	if got := w.eventNames(); got != "order_completed" {
		t.Fatalf("events %s", got)
	}
}

// The survey starts when the order enters its trigger_status: a shipment
// alone does not start it, and a transition the hub hears of after the
// order moved on still does.
func TestOrderLifecycleSurveyAtItsTriggerStatus(t *testing.T) {
	// Completed: the shipment and Shipped do not start it, completion does.
	w := newHubWorld(t)
	w.flows.Survey.TriggerStatus = config.StatusCompleted
	w.status(time.Hour, 2)
	w.at(time.Hour+time.Minute, func() { w.env.SignalWorkflow(SignalShipment, OrderEvent{Scope: "store/shipment/created", ID: 1}) })
	w.status(48*time.Hour, 10)
	w.run()
	if got := strings.Join(w.started(), "\n"); strings.Contains(got, "Shipped@") ||
		!strings.Contains(got, "ShipmentSurvey survey/abc/1001 Completed@48h0m0s") {
		t.Fatalf("children started:\n%s", got)
	}

	// Shipped, then Completed before the hub handles the Shipped webhook.
	w = newHubWorld(t)
	w.at(time.Hour, func() {
		w.order.StatusID = 10
		w.env.SignalWorkflow(SignalOrderStatus, OrderStatus{PreviousStatusID: 11, NewStatusID: 2})
		w.env.SignalWorkflow(SignalOrderStatus, OrderStatus{PreviousStatusID: 2, NewStatusID: 10})
	})
	w.run()
	if got := strings.Join(w.started(), "\n"); !strings.Contains(got, "ShipmentSurvey survey/abc/1001 Shipped@1h0m0s") {
		t.Fatalf("children started:\n%s", got)
	}

	// A partial shipment moves the order to Partially Shipped: no survey yet.
	w = newHubWorld(t)
	w.status(time.Hour, 3)
	w.at(time.Hour+time.Minute, func() { w.env.SignalWorkflow(SignalShipment, OrderEvent{Scope: "store/shipment/created", ID: 1}) })
	w.run()
	if got := strings.Join(w.started(), "\n"); strings.Contains(got, ShipmentSurveyWorkflowName) {
		t.Fatalf("children started:\n%s", got)
	}
}

// Hub runs recorded before hubVersionSurveyTrigger start the survey on the
// first shipment, as they did.
func TestOrderLifecycleBeforeSurveyTriggerStartsOnShipment(t *testing.T) {
	w := newHubWorld(t)
	w.env.OnGetVersion(hubChange, workflow.DefaultVersion, hubVersionLatest).Return(hubVersionTransitionEvents)
	w.flows.Survey.TriggerStatus = config.StatusCompleted
	w.status(time.Hour, 3)
	w.at(time.Hour+time.Minute, func() { w.env.SignalWorkflow(SignalShipment, OrderEvent{Scope: "store/shipment/created", ID: 1}) })
	w.run()
	if got := strings.Join(w.started(), "\n"); !strings.Contains(got, "ShipmentSurvey survey/abc/1001 Partially Shipped@1h1m0s") {
		t.Fatalf("children started:\n%s", got)
	}
}
