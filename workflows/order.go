package workflows

import (
	"errors"
	"slices"
	"strconv"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/config"
)

// OrderIdleTimeout is how long an order hub stays open without a signal,
// waiting for refunds and late status changes. A later webhook starts a new
// run (the starter allows it), which re-derives its state from the order.
const OrderIdleTimeout = 120 * 24 * time.Hour

// DecisionStarted is logged when the hub starts a child flow.
const DecisionStarted = "started"

// DecisionAttributed is logged by the hub when it finds its order recovered
// by a cart reminder (the "recovered" decision itself is the cart flow's).
const DecisionAttributed = "attributed"

// OrderLifecycleResult is how an order hub's run ended.
type OrderLifecycleResult struct {
	// Outcome is "idle" (no signal for OrderIdleTimeout).
	Outcome string
	// StatusID is the order's status when last loaded (-1 if never).
	StatusID int
	// Started lists the ids of the child flows this run started.
	Started []string
}

// orderHub is one order's hub while it runs.
type orderHub struct {
	*flowRun
	in            OrderLifecycleInput
	order         activities.OrderSnapshot
	loaded        bool
	flows         config.FlowSet
	flowsLoaded   bool
	cartSignalled bool
	// hubVersion is the hub's workflow.GetVersion of hubChange: runs
	// recorded before a change keep their commands.
	hubVersion workflow.Version
	// statusEvents are the statuses whose campaign event this run claimed.
	statusEvents []int
	// tried are the child ids this run tried to start (started or found
	// already started): it never tries twice.
	tried   []string
	started []string
	// pending are the signals read and not acted on yet, in order;
	// refreshDue is a coalesced order edit.
	pending    []HubSignal
	refreshDue bool
	// attributed: the order was checked against the shopper's cart
	// reminders (attributeOrder).
	attributed bool
}

// OrderLifecycle is the hub of one order, order/{store}/{order_id}. The
// starter signal-with-starts it for every order webhook. It loads the order,
// tells the cart's recovery flow the cart became an order, attributes the
// placed order once (to the shopper's last cart reminder as "recovered",
// else, last touch, to the newest message of any other flow within the
// attribution window as "converted"), and starts the
// order's child flows when its status calls for them: OrderGoals the first
// time the order enters a placed status, LoyaltyAward at the loyalty award
// status, ReviewRequest at the review trigger status, ShipmentSurvey when
// the order enters the survey's trigger status (Shipped by default). Children are started at most once per order (workflow id reuse
// policy ALLOW_DUPLICATE_FAILED_ONLY: a failed child can start again) and
// outlive the hub (ParentClosePolicy ABANDON).
// Every later status change and refund is forwarded to them. Every status
// transition tracks the event of its configured status campaign, once per
// order and status, and starts the campaign's sequence if the order is
// still in that status (see runStatusCampaigns). The hub stays
// open for refunds until OrderIdleTimeout passes without a signal.
func OrderLifecycle(ctx workflow.Context, in OrderLifecycleInput) (OrderLifecycleResult, error) {
	run, err := newFlowRun(ctx, FlowOrderLifecycle, in.StoreHash)
	if err != nil {
		return OrderLifecycleResult{}, err
	}
	h := &orderHub{flowRun: run, in: in}
	defer h.settle()
	h.hubVersion = workflow.GetVersion(ctx, hubChange, workflow.DefaultVersion, hubVersionLatest)
	h.listen()
	if !h.durable() {
		return h.runTimerFirst()
	}
	h.counts = in.Carry.Signals
	h.pending, h.refreshDue = in.Carry.Pending, in.Carry.RefreshDue

	// The order's truth first: a new run re-derives its state from it. A
	// storm of signals that fills the history while the order loads (a slow
	// store, a spent API quota) abandons the load: the next run loads first.
	load := h.refresh
	if h.hubVersion >= hubVersionInterruptibleStart {
		load = h.refreshOrAbandon
	}
	if err := load(); errors.Is(err, errHubHistoryFull) {
		return OrderLifecycleResult{}, h.continueAsNew(OrderLifecycleWorkflowName, h.carry)
	} else if err != nil {
		return OrderLifecycleResult{}, err
	}
	h.refreshDue = false
	for {
		// Act on every signal, in the order they were read, and on those
		// that arrive meanwhile; a full history continues as new carrying
		// what is not acted on yet.
		for len(h.pending) > 0 || h.refreshDue {
			if h.historyFull() {
				return OrderLifecycleResult{}, h.continueAsNew(OrderLifecycleWorkflowName, h.carry)
			}
			if err := h.act(); errors.Is(err, errHubHistoryFull) {
				return OrderLifecycleResult{}, h.continueAsNew(OrderLifecycleWorkflowName, h.carry)
			} else if err != nil {
				return OrderLifecycleResult{}, err
			}
			h.drain()
		}
		if h.historyFull() {
			return OrderLifecycleResult{}, h.continueAsNew(OrderLifecycleWorkflowName, h.carry)
		}
		if !h.waitForSignal(OrderIdleTimeout, "waiting for refunds and status changes") {
			break // idle: no signal for OrderIdleTimeout
		}
	}
	res, err := h.idle()
	if h.drain() {
		// A signal arrived while the hub recorded its end: a new run acts
		// on it, nothing is dropped.
		return OrderLifecycleResult{}, h.continueAsNew(OrderLifecycleWorkflowName, h.carry)
	}
	return res, err
}

// carry is the hub's state for its next run: the signals read and not
// acted on yet (children, goals and campaigns are idempotent across runs,
// and the next run re-reads the order first).
func (h *orderHub) carry() any {
	return OrderLifecycleInput{StoreHash: h.in.StoreHash, OrderID: h.in.OrderID,
		Carry: HubCarry{FlowCarry: FlowCarry{Signals: h.counts}, Pending: h.pending, RefreshDue: h.refreshDue}}
}

// listen turns the order's signals into the hub's queue, in the order they
// are read. Edits coalesce: one re-read covers any number.
func (h *orderHub) listen() {
	h.on(SignalOrderCreated, func(c workflow.ReceiveChannel) bool {
		var e OrderEvent
		c.ReceiveAsync(&e)
		return true // the load at start covers it
	})
	h.on(SignalOrderStatus, func(c workflow.ReceiveChannel) bool {
		var st OrderStatus
		c.ReceiveAsync(&st)
		h.pending = append(h.pending, HubSignal{Name: SignalOrderStatus, Status: &st})
		return true
	})
	h.on(SignalOrderRefund, func(c workflow.ReceiveChannel) bool {
		var e OrderEvent
		c.ReceiveAsync(&e)
		h.pending = append(h.pending, HubSignal{Name: SignalOrderRefund, Event: &e})
		return true
	})
	h.on(SignalShipment, func(c workflow.ReceiveChannel) bool {
		var e OrderEvent
		c.ReceiveAsync(&e)
		h.pending = append(h.pending, HubSignal{Name: SignalShipment, Event: &e})
		return true
	})
	h.on(SignalUnsubscribed, func(c workflow.ReceiveChannel) bool {
		var u Unsubscribed
		c.ReceiveAsync(&u)
		h.pending = append(h.pending, HubSignal{Name: SignalUnsubscribed, Unsubscribed: &u})
		return true
	})
	h.on(SignalOrderUpdated, func(c workflow.ReceiveChannel) bool {
		var e OrderEvent
		c.ReceiveAsync(&e)
		h.refreshDue = true
		return true
	})
}

// act handles the next queued signal, or the coalesced re-read of an
// edited order.
func (h *orderHub) act() error {
	if len(h.pending) == 0 {
		h.refreshDue = false
		if h.hubVersion >= hubVersionInterruptibleReread {
			return h.refreshOrAbandon()
		}
		return h.refresh()
	}
	next := h.pending[0]
	h.pending = h.pending[1:]
	switch {
	case next.Name == SignalOrderStatus && next.Status != nil:
		return h.onStatus(*next.Status)
	case next.Name == SignalOrderRefund && next.Event != nil:
		h.forward(SignalOrderRefund, *next.Event)
	case next.Name == SignalShipment && next.Event != nil:
		return h.onShipment(*next.Event)
	case next.Name == SignalUnsubscribed && next.Unsubscribed != nil:
		h.forward(SignalUnsubscribed, *next.Unsubscribed)
	}
	return nil
}

// idle ends the hub after OrderIdleTimeout without a signal.
func (h *orderHub) idle() (OrderLifecycleResult, error) {
	h.record("", DecisionCompleted, "no signal for "+OrderIdleTimeout.String(), nil)
	res := OrderLifecycleResult{Outcome: "idle", StatusID: -1, Started: h.started}
	if h.loaded {
		res.StatusID = h.order.StatusID
	}
	return res, nil
}

// runTimerFirst is the hub's loop as runs recorded before
// durableVersionSignalsFirst ran it: one signal per wake-up (the timer
// first when both were ready), acted on before the next wait.
func (h *orderHub) runTimerFirst() (OrderLifecycleResult, error) {
	if err := h.refresh(); err != nil {
		return OrderLifecycleResult{}, err
	}
	for {
		signalled := h.sleepUntil(workflow.Now(h.ctx).Add(OrderIdleTimeout), "waiting for refunds and status changes")
		for len(h.pending) > 0 {
			if err := h.act(); errors.Is(err, errHubHistoryFull) {
				return OrderLifecycleResult{}, h.continueAsNew(OrderLifecycleWorkflowName, h.carry)
			} else if err != nil {
				return OrderLifecycleResult{}, err
			}
		}
		if h.signalWaiting() {
			continue
		}
		if !signalled {
			break
		}
		if workflow.GetInfo(h.ctx).GetContinueAsNewSuggested() {
			return OrderLifecycleResult{}, workflow.NewContinueAsNewError(h.ctx, OrderLifecycleWorkflowName, h.in)
		}
	}
	return h.idle()
}

// hubChange is the workflow.GetVersion change id of the order hub's
// command changes; hubVersion* are its versions, DefaultVersion being the
// hub as first released.
const hubChange = "order-hub"

const (
	// hubVersionTransitionEvents: a status campaign's event is tracked for
	// every transition a signal reports, once per order and status, even
	// when the order has already moved on.
	hubVersionTransitionEvents workflow.Version = 1
	// hubVersionSurveyTrigger: the survey starts when the order enters the
	// survey's trigger_status (its transition, or the status found on a
	// load), no longer on the first shipment.
	hubVersionSurveyTrigger workflow.Version = 2
	// hubVersionInterruptibleReread: the coalesced re-read of an edited
	// order is abandoned when a storm of edits fills the history while it
	// runs; the next run re-reads the order first.
	hubVersionInterruptibleReread workflow.Version = 3
	// hubVersionInterruptibleStart: the load that starts each run is
	// abandoned the same way (the load now also mirrors the order and
	// re-evaluates its shopper's segments, so it can outlast a storm).
	hubVersionInterruptibleStart workflow.Version = 4
	// hubVersionFlowAttribution: every placed order with a known shopper
	// that no cart reminder recovered is attributed, last touch, to the
	// newest message of any other flow within the attribution window
	// (attributeToFlows), whether or not cart recovery is enabled.
	hubVersionFlowAttribution workflow.Version = 5
	hubVersionLatest                           = hubVersionFlowAttribution
)

// errHubHistoryFull: a re-read was abandoned because the history filled.
var errHubHistoryFull = errors.New("order hub: history full during a re-read")

// onStatus forwards a status change to the children, then acts on the
// order's truth. A real transition (NewStatusID != PreviousStatusID) runs
// the status campaign of the status entered: its event always (once per
// order and status), its sequence only if the order is still in that
// status. Runs recorded before hubVersionTransitionEvents ran the campaign
// only if the order was still in the status.
func (h *orderHub) onStatus(s OrderStatus) error {
	h.forward(SignalOrderStatus, s)
	if err := h.refresh(); err != nil {
		return err
	}
	if !h.loaded || !h.order.Exists || s.PreviousStatusID == s.NewStatusID {
		return nil
	}
	if h.hubVersion >= hubVersionSurveyTrigger && h.surveyAt(config.OrderStatus(s.NewStatusID)) {
		// The transition counts even if the order has moved on since.
		h.startChildFor(ShipmentSurveyWorkflowName, ShipmentSurveyID(h.in.StoreHash, h.in.OrderID), FlowShipmentSurvey, s.NewStatusID)
	}
	if h.hubVersion < hubVersionTransitionEvents && h.order.StatusID != s.NewStatusID {
		return nil
	}
	return h.statusCampaign(s.NewStatusID)
}

// onShipment re-reads the order (a shipment usually comes with a status
// change, which refresh acts on). Runs recorded before
// hubVersionSurveyTrigger started the survey on the first shipment.
func (h *orderHub) onShipment(e OrderEvent) error {
	if err := h.refresh(); err != nil {
		return err
	}
	if h.hubVersion >= hubVersionSurveyTrigger {
		return nil
	}
	if !h.loaded || !h.order.Exists || h.flows.Survey == nil || !h.flows.Survey.Enabled {
		return nil
	}
	h.startChild(ShipmentSurveyWorkflowName, ShipmentSurveyID(h.in.StoreHash, h.in.OrderID), FlowShipmentSurvey)
	return nil
}

// surveyAt reports whether the survey is on and starts at status.
func (h *orderHub) surveyAt(status config.OrderStatus) bool {
	sv := h.flows.Survey
	return sv != nil && sv.Enabled && sv.TriggerStatus == status
}

// refresh loads the order and acts on its status.
func (h *orderHub) refresh() error {
	var a *activities.Activities
	var o activities.OrderSnapshot
	ctx := workflow.WithActivityOptions(h.ctx, apiActivityOptions)
	err := workflow.ExecuteActivity(ctx, a.LoadOrder, activities.OrderInput{StoreHash: h.in.StoreHash, OrderID: h.in.OrderID, Mirror: true}).
		Get(ctx, &o)
	if err != nil {
		return err
	}
	return h.onLoaded(o)
}

// refreshOrAbandon is refresh for the coalesced re-read of an edited
// order: when the history fills while the order loads (a storm of edits
// and a slow store), the load is abandoned, the re-read stays due and the
// hub continues as new (errHubHistoryFull).
func (h *orderHub) refreshOrAbandon() error {
	var a *activities.Activities
	var o activities.OrderSnapshot
	ctx := workflow.WithActivityOptions(h.ctx, apiActivityOptions)
	full, err := h.awaitActivity(ctx, a.LoadOrder, activities.OrderInput{StoreHash: h.in.StoreHash, OrderID: h.in.OrderID, Mirror: true}, &o)
	if err != nil {
		return err
	}
	if full {
		h.refreshDue = true
		return errHubHistoryFull
	}
	return h.onLoaded(o)
}

// onLoaded acts on a freshly loaded order.
func (h *orderHub) onLoaded(o activities.OrderSnapshot) error {
	h.order, h.loaded = o, true
	if !o.Exists {
		h.record("", DecisionSkipped, "order not found", nil)
		return nil
	}
	h.channelID = o.ChannelID
	h.identify()
	if !h.flowsLoaded {
		flows, err := h.resolveFlows(o.ChannelID)
		if err != nil {
			return err
		}
		h.flows, h.flowsLoaded = flows, true
	}
	h.apply(o.StatusID)
	return nil
}

// identify puts the order's shopper on the workflow once known.
func (h *orderHub) identify() {
	key := h.order.CustomerKey()
	if key == h.customerKey {
		return
	}
	h.customerKey, h.email = key, lowerASCII(h.order.BillingEmail)
	_ = workflow.UpsertTypedSearchAttributes(h.ctx, h.searchAttributes(FlowOrderLifecycle)...)
}

// searchAttributes are the attributes of the hub and its children.
func (h *orderHub) searchAttributes(flow string) []temporal.SearchAttributeUpdate {
	attrs := []temporal.SearchAttributeUpdate{
		SearchStoreHash.ValueSet(h.in.StoreHash),
		SearchFlow.ValueSet(flow),
		SearchOrderID.ValueSet(strconv.FormatInt(h.in.OrderID, 10)),
	}
	if h.loaded && h.order.Exists {
		attrs = append(attrs, SearchChannelID.ValueSet(int64(h.order.ChannelID)))
		attrs = append(attrs, customerIDAttributes(h.order.CustomerID)...)
		if h.order.BillingEmail != "" {
			attrs = append(attrs, SearchCustomerEmail.ValueSet(lowerASCII(h.order.BillingEmail)))
		}
	}
	return attrs
}

// apply does what the order's status calls for, each thing once.
func (h *orderHub) apply(status int) {
	if !h.cartSignalled && h.order.CartID != "" && status != int(config.StatusIncomplete) {
		h.cartSignalled = true
		h.exitCart()
	}
	if h.durable() && !h.attributed && status != int(config.StatusIncomplete) {
		h.attributed = true
		recovered := h.attributeOrder()
		if h.hubVersion >= hubVersionFlowAttribution && !recovered {
			h.attributeToFlows()
		}
	}
	st := config.OrderStatus(status)
	if g := h.flows.OrderGoals; g != nil && g.Enabled && len(g.Goals) > 0 && g.IsPlaced(st) {
		h.startChild(OrderGoalsWorkflowName, OrderGoalsID(h.in.StoreHash, h.in.OrderID), FlowOrderGoals)
	}
	if l := h.flows.Loyalty; l != nil && l.Enabled && l.AwardStatus == st {
		h.startChild(LoyaltyAwardWorkflowName, LoyaltyAwardID(h.in.StoreHash, h.in.OrderID), FlowLoyalty)
	}
	if r := h.flows.ReviewRequest; r != nil && r.Enabled && r.TriggerStatus == st {
		h.startChild(ReviewRequestWorkflowName, ReviewRequestID(h.in.StoreHash, h.in.OrderID), FlowReviewRequest)
	}
	if h.hubVersion >= hubVersionSurveyTrigger && h.surveyAt(st) {
		h.startChild(ShipmentSurveyWorkflowName, ShipmentSurveyID(h.in.StoreHash, h.in.OrderID), FlowShipmentSurvey)
	}
}

// attributeOrder counts the order as recovered when a cart reminder
// reached the same shopper within the channel's attribution window: an
// order from another cart, or placed after the cart's flow ended, counts
// too. Once per order (the store's recovery key), whichever path sees it
// first. It reports whether the order counts as recovered.
func (h *orderHub) attributeOrder() bool {
	cr := h.flows.CartRecovery
	if cr == nil || !cr.Enabled || h.customerKey == "" {
		return false
	}
	var a *activities.Activities
	var rec activities.Recovery
	ctx := workflow.WithActivityOptions(h.ctx, apiActivityOptions)
	if err := workflow.ExecuteActivity(ctx, a.AttributeOrder, activities.AttributeOrderInput{
		StoreHash: h.in.StoreHash, OrderID: h.in.OrderID, CustomerKey: h.customerKey, CartFlowPrefix: CartRecoveryID(h.in.StoreHash, ""),
		Email: h.email, At: workflow.Now(h.ctx),
		Window: cr.Attribution(),
	}).Get(ctx, &rec); err != nil {
		workflow.GetLogger(h.ctx).Warn("order not attributed", "order_id", h.in.OrderID, "error", err)
		return false
	}
	if rec.OrderID != 0 {
		h.record("", DecisionAttributed, rec.Total+" "+rec.Currency+" recovered by a cart reminder", map[string]any{"order_id": rec.OrderID})
		return true
	}
	return false
}

// attributeToFlows credits the order, last touch, to the newest message
// any flow but cart recovery sent the shopper within the channel's
// attribution window before the order: a "converted" decision in that
// flow and step with the order's total, once per order (the activity's
// key), and none for an order a cart reminder recovered.
func (h *orderHub) attributeToFlows() {
	if h.customerKey == "" {
		return
	}
	var a *activities.Activities
	var got activities.Attribution
	ctx := workflow.WithActivityOptions(h.ctx, storeActivityOptions)
	if err := workflow.ExecuteActivity(ctx, a.AttributeOrderToFlows, activities.AttributeToFlowsInput{
		StoreHash: h.in.StoreHash, OrderID: h.in.OrderID, CustomerKey: h.customerKey, Email: h.email,
		ExcludeFlow: FlowCartRecovery, At: workflow.Now(h.ctx), PlacedAt: h.order.DateCreated,
		Window: h.flows.Attribution(), ChannelID: h.order.ChannelID, Total: h.order.TotalIncTax, Currency: h.order.Currency,
	}).Get(ctx, &got); err != nil {
		workflow.GetLogger(h.ctx).Warn("order not attributed to flows", "order_id", h.in.OrderID, "error", err)
	}
}

// exitCart tells the cart's recovery flow that the cart became an order.
// No running cart flow is fine.
func (h *orderHub) exitCart() {
	id := CartRecoveryID(h.in.StoreHash, h.order.CartID)
	err := workflow.SignalExternalWorkflow(h.ctx, id, "", SignalCartExit,
		CartExit{Reason: ExitOrderPlaced, OrderID: h.in.OrderID, EventTime: workflow.Now(h.ctx)}).Get(h.ctx, nil)
	if err != nil {
		workflow.GetLogger(h.ctx).Info("cart flow not signalled", "workflow_id", id, "error", err)
		return
	}
	h.record("", DecisionSent, "cart exit signalled to "+id, nil)
}

// startChild starts a child flow once: ALLOW_DUPLICATE_FAILED_ONLY keeps a
// later run of the hub from starting a child that ran (or runs) again, but
// lets it start one whose run failed (an outage that outlasted every retry,
// a bug since fixed) anew; every side effect of a child is keyed, so the new
// run repeats nothing. ABANDON lets it outlive the hub. The
// hub waits for the start only, never for the result.
func (h *orderHub) startChild(name, id, flow string) {
	h.startChildFor(name, id, flow, h.order.StatusID)
}

// startChildFor is startChild for a child that status triggered (which
// the order may have left since).
func (h *orderHub) startChildFor(name, id, flow string, status int) {
	for _, t := range h.tried {
		if t == id {
			return
		}
	}
	h.tried = append(h.tried, id)
	ctx := workflow.WithChildOptions(h.ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            id,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		TypedSearchAttributes: temporal.NewSearchAttributes(h.searchAttributes(flow)...),
	})
	fut := workflow.ExecuteChildWorkflow(ctx, name, OrderChildInput{
		StoreHash: h.in.StoreHash, OrderID: h.in.OrderID, ChannelID: h.order.ChannelID, StatusID: status, CustomerKey: h.customerKey,
	})
	var exec workflow.Execution
	err := fut.GetChildWorkflowExecution().Get(h.ctx, &exec)
	var dup *temporal.ChildWorkflowExecutionAlreadyStartedError
	switch {
	case errors.As(err, &dup):
		h.record(name, DecisionSkipped, "already started for this order", map[string]any{"workflow_id": id})
	case err != nil:
		workflow.GetLogger(h.ctx).Warn("child flow not started", "workflow_id", id, "error", err)
		h.record(name, DecisionSkipped, "start failed: "+err.Error(), map[string]any{"workflow_id": id})
	default:
		h.started = append(h.started, id)
		h.record(name, DecisionStarted, "status "+config.OrderStatus(status).String(), map[string]any{"workflow_id": id, "run_id": exec.RunID})
	}
}

// childIDs are the ids of the child flows an order may have: the four
// fixed ones, whichever run started them, and any other this run started.
func (h *orderHub) childIDs() []string {
	s, o := h.in.StoreHash, h.in.OrderID
	ids := []string{OrderGoalsID(s, o), LoyaltyAwardID(s, o), ReviewRequestID(s, o), ShipmentSurveyID(s, o)}
	for _, id := range h.started {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// forward sends a signal to every child flow of the order, those this run
// started and those an earlier run did; one that is not running is fine.
func (h *orderHub) forward(name string, arg any) {
	ids := h.childIDs()
	futures := make([]workflow.Future, len(ids))
	for i, id := range ids {
		futures[i] = workflow.SignalExternalWorkflow(h.ctx, id, "", name, arg)
	}
	for i, f := range futures {
		if err := f.Get(h.ctx, nil); err != nil {
			workflow.GetLogger(h.ctx).Debug("signal not forwarded", "signal", name, "workflow_id", ids[i], "error", err)
		}
	}
}

// statusCampaign runs the status campaigns configured for the status the
// order just entered (flows file status_campaigns): see runStatusCampaigns
// (campaigns.go) for the event and the sequence.
func (h *orderHub) statusCampaign(status int) error {
	return h.runStatusCampaigns(status)
}

// refreshShipments reloads the order with its shipments.
func (h *orderHub) refreshShipments() error {
	var a *activities.Activities
	var o activities.OrderSnapshot
	ctx := workflow.WithActivityOptions(h.ctx, apiActivityOptions)
	if err := workflow.ExecuteActivity(ctx, a.LoadOrder, activities.OrderInput{StoreHash: h.in.StoreHash, OrderID: h.in.OrderID, WithShipments: true}).
		Get(ctx, &o); err != nil {
		return err
	}
	if o.Exists {
		h.order = o
	}
	return nil
}

// campaignProps are the properties of a status campaign's event.
func (h *orderHub) campaignProps(status int) map[string]any {
	o := h.order
	p := map[string]any{
		"store_hash": h.in.StoreHash, "order_id": o.OrderID, "channel_id": o.ChannelID, "customer_id": o.CustomerID,
		"status_id": status, "status": config.OrderStatus(status).String(), "order_total": o.TotalIncTax, "currency": o.Currency,
	}
	if len(o.Shipments) > 0 {
		var numbers, carriers, links []string
		for _, s := range o.Shipments {
			numbers, carriers, links = append(numbers, s.TrackingNumber), append(carriers, s.Carrier), append(links, s.TrackingLink)
		}
		last := o.Shipments[len(o.Shipments)-1]
		p["tracking_number"], p["carrier"], p["tracking_link"] = last.TrackingNumber, last.Carrier, last.TrackingLink
		p["tracking_numbers"], p["carriers"], p["tracking_links"] = numbers, carriers, links
	}
	return p
}
