package workflows

import (
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/config"
)

// CartRecoveryResult is how a cart's recovery flow ended.
type CartRecoveryResult struct {
	// Outcome is "completed" (every step ran), "exited" or "disabled".
	Outcome string
	// ExitReason says why it exited (converted, deleted, emptied,
	// unsubscribed, order-placed, no-email).
	ExitReason string
	// Sent lists the steps sent, in order.
	Sent []string
	// Group is the cart's holdout group ("holdout" or "messaged"), "" when
	// its channel holds no carts out.
	Group string `json:",omitempty"`
}

// waitForEmailMax bounds how long a guest's abandoned cart waits for an
// email address before the flow gives up.
const waitForEmailMax = 7 * 24 * time.Hour

// cartFlow is one cart's state while its recovery runs.
type cartFlow struct {
	*flowRun
	in          CartRecoveryInput
	token       string
	activity    bool   // a cart change arrived: the shopper is back
	abandoned   bool   // BigCommerce said abandoned
	exitReason  string // set by an exit signal
	exitOrderID int64
	sent        []string
	phase       cartPhase
	// round is the number of abandonments so far (carried across runs).
	round int
	// resumed: this run continues the previous run's wait (continue-as-new).
	resumed bool
	// lastSentAt is when the last step went out (attribution window).
	lastSentAt time.Time
	// abandonedEventAt is the created_at of the latest abandonment notice:
	// a cart change that happened before it (webhooks of different scopes
	// arrive out of order) is not the shopper coming back.
	abandonedEventAt time.Time
	// ordersEvents: this run ignores cart changes older than the
	// abandonment (cartEventOrderChange).
	ordersEvents bool
	// group is the cart's holdout group (holdout.go), "" when not assigned.
	group string
	// observeUntil is when the holdout comparison stops watching for the
	// cart's order.
	observeUntil time.Time
}

// cartEventOrderChange is the GetVersion change id under which the flow
// orders cart changes against the abandonment by their webhook times.
const cartEventOrderChange = "cart-event-order"

// cartPhase is where a cart flow is: waiting for abandonment (or an email),
// or running steps.
type cartPhase int

const (
	phaseIdle cartPhase = iota
	phaseSteps
	// phaseAttribution: every step ran; an order within the attribution
	// window counts as recovered.
	phaseAttribution
)

// CartRecovery recovers one abandoned cart, as the merchant's playbook
// says: wait until the cart sits idle (or BigCommerce calls it abandoned),
// wait for an email address if the shopper is a guest, then run the steps
// of the flows file (default: 1 h email, 24 h email with a unique 10 %
// coupon, 72 h SMS), each measured from abandonment. A cart change sends it
// back to waiting; a conversion, a deletion, an emptied cart or an
// unsubscribe ends it at once, whatever step it is in. Before every send it
// re-reads the cart, the order list and the shopper's consent from
// BigCommerce and exits instead of sending when any of them says no.
func CartRecovery(ctx workflow.Context, in CartRecoveryInput) (CartRecoveryResult, error) {
	run, err := newFlowRun(ctx, FlowCartRecovery, in.StoreHash)
	if err != nil {
		return CartRecoveryResult{}, err
	}
	defer run.settle()
	c := &cartFlow{flowRun: run, in: in}
	c.restore(in.Carry)
	c.ordersEvents = workflow.GetVersion(ctx, cartEventOrderChange, workflow.DefaultVersion, 1) >= 1
	c.listen()
	if c.durable() {
		// Who and where, before any decision: the shopper on the workflow,
		// the channel's own settings (inactivity, steps, window).
		if exited, err := c.start(); err != nil || exited {
			if err != nil {
				return CartRecoveryResult{}, err
			}
			return c.exit()
		}
	}
	if c.heldOut() {
		return c.holdoutWait() // a continued run of a held-out cart
	}

	for round := c.round + 1; ; round++ {
		c.round = round
		if round > 1 && !c.resumed {
			c.record("", DecisionWaiting, "cart changed again; waiting for a new abandonment", map[string]any{"round": round})
		}
		c.resumed = false
		// 1. Wait until the cart is abandoned.
		abandonedAt, exited, full := c.waitForAbandonment()
		if exited {
			return c.exit()
		}
		if full {
			if c.drain(); c.exitReason != "" {
				return c.exit() // an exit read at the last moment is acted on, not carried
			}
			return CartRecoveryResult{}, c.continueAsNew(CartRecoveryWorkflowName, c.carry)
		}
		// 2. Know the cart and its flows; wait for an email if needed.
		snap, flows, next, err := c.loadWithEmail()
		if err != nil {
			return CartRecoveryResult{}, err
		}
		if next == nextExit {
			return c.exit()
		}
		if next == nextBack {
			continue
		}
		if flows.CartRecovery == nil || !flows.CartRecovery.Enabled || len(flows.CartRecovery.Steps) == 0 {
			c.record("", DecisionSkipped, "cart recovery disabled for this store/channel", nil)
			return CartRecoveryResult{Outcome: "disabled"}, nil
		}
		if c.assignHoldout(abandonedAt, flows.CartRecovery); c.heldOut() {
			return c.holdoutWait()
		}
		// 3. Run the steps not sent yet, each due at abandonment + delay.
		back, err := c.runSteps(abandonedAt, snap, flows)
		if err != nil {
			return CartRecoveryResult{}, err
		}
		if c.exitReason != "" {
			return c.exit()
		}
		if !back {
			if c.durable() && c.attributionWait(flows.CartRecovery.Attribution()) {
				return c.exit()
			}
			c.record("", DecisionCompleted, "all steps ran", nil)
			return CartRecoveryResult{Outcome: "completed", Sent: c.sent, Group: c.group}, nil
		}
		// The shopper came back to the cart: wait for the next abandonment.
	}
}

// start loads the cart once as the flow begins: the shopper goes on the
// workflow and the channel's flows are known before the first decision.
// exited is true when the cart must not be chased at all (already
// converted, deleted, no consent).
func (c *cartFlow) start() (exited bool, err error) {
	if c.resumed {
		return false, nil // a continued run: the first run did it
	}
	_, reason, err := c.check(false)
	if err != nil {
		return false, err
	}
	if reason == ExitOrderPlaced && c.identified == "" &&
		workflow.GetVersion(c.ctx, cartIdentifyOrderChange, workflow.DefaultVersion, 1) >= 1 {
		// BigCommerce dropped the converted cart: its order says who and where.
		o, err := c.loadOrderSnapshot(c.exitOrderID, false)
		if err != nil {
			return false, err
		}
		if o.Exists {
			c.identifyCart(activities.CartSnapshot{ChannelID: o.ChannelID,
				Shopper: activities.Shopper{CustomerID: o.CustomerID, Email: o.BillingEmail}}, o.OrderID)
		}
	}
	if reason != "" {
		c.exitReason = reason
		return true, nil
	}
	return false, nil
}

// cartIdentifyOrderChange is the GetVersion change id under which a cart
// flow that finds its cart already converted at its first check
// identifies the shopper and channel from the order.
const cartIdentifyOrderChange = "cart-identify-order"

// attributionWait keeps the flow open for the attribution window after
// its last message: a conversion of the cart within it counts as recovered
// by that message (exit records it). A cart of the holdout's messaged
// group also waits, sent or not, as long as a held-out cart would
// (observeUntil), so both groups' conversions are watched alike. It reports
// whether a conversion or another exit ended the window.
func (c *cartFlow) attributionWait(window time.Duration) (exited bool) {
	messaged := c.group == HoldoutGroupMessaged
	if len(c.sent) == 0 && !messaged {
		return false
	}
	c.phase = phaseAttribution
	var end time.Time
	if len(c.sent) > 0 {
		end = c.lastSentAt.Add(window)
	}
	if messaged && c.observeUntil.After(end) {
		end = c.observeUntil
	}
	reason := "attribution window: an order from this cart until " + end.Format(time.RFC3339) + " counts as recovered"
	if len(c.sent) == 0 {
		reason = "no message went: an order from this cart until " + end.Format(time.RFC3339) + " counts as converted (holdout comparison)"
	}
	c.record("", DecisionWaiting, reason, map[string]any{"until": end})
	for c.exitReason == "" {
		if !c.sleepUntil(end, "attribution window") {
			return c.exitReason != ""
		}
	}
	return true
}

// carry is the cart's state for its next run (continue-as-new).
func (c *cartFlow) carry() any {
	return CartRecoveryInput{StoreHash: c.in.StoreHash, CartID: c.in.CartID, Carry: &CartRecoveryCarry{
		// The next run goes on with this round's wait.
		FlowCarry: FlowCarry{Signals: c.counts}, Round: c.round - 1, Token: c.token, Sent: c.sent, LastSentAt: c.lastSentAt,
		ChannelID: c.channelID, CustomerKey: c.customerKey, Abandoned: c.abandoned, AbandonedEventAt: c.abandonedEventAt,
		HoldoutGroup: c.group, ObserveUntil: c.observeUntil,
	}}
}

// restore takes the state a previous run carried.
func (c *cartFlow) restore(k *CartRecoveryCarry) {
	if k == nil {
		return
	}
	c.counts, c.round, c.token, c.sent, c.lastSentAt = k.Signals, k.Round, k.Token, k.Sent, k.LastSentAt
	c.resumed = true
	c.channelID, c.customerKey, c.identified, c.abandoned = k.ChannelID, k.CustomerKey, k.CustomerKey, k.Abandoned
	c.abandonedEventAt = k.AbandonedEventAt
	c.group, c.observeUntil = k.HoldoutGroup, k.ObserveUntil
}

// listen wires the cart's signals to the flow's state.
func (c *cartFlow) listen() {
	c.on(SignalCartActivity, func(ch workflow.ReceiveChannel) bool {
		var s CartActivity
		ch.ReceiveAsync(&s)
		if c.staleChange(s.EventTime) {
			return false // the change happened before the abandonment it arrived after
		}
		c.activity = true
		return true
	})
	c.on(SignalCartAbandoned, func(ch workflow.ReceiveChannel) bool {
		var s CartAbandoned
		ch.ReceiveAsync(&s)
		if s.Token != "" {
			c.token = s.Token
		}
		if s.EventTime.After(c.abandonedEventAt) {
			c.abandonedEventAt = s.EventTime
		}
		// A repeated abandoned notice while steps run changes nothing.
		c.abandoned = c.phase == phaseIdle
		return c.abandoned
	})
	c.on(SignalCartExit, func(ch workflow.ReceiveChannel) bool {
		var s CartExit
		ch.ReceiveAsync(&s)
		c.exitReason, c.exitOrderID = s.Reason, s.OrderID
		return true
	})
	c.on(SignalUnsubscribed, func(ch workflow.ReceiveChannel) bool {
		var s Unsubscribed
		ch.ReceiveAsync(&s)
		c.exitReason = ExitUnsubscribed
		return true
	})
}

// staleChange reports whether a cart change at eventTime predates the
// latest abandonment notice. BigCommerce's created_at has one-second
// resolution and a cart is declared abandoned only after it sat idle, so a
// change in the same second as the notice is older than it.
func (c *cartFlow) staleChange(eventTime time.Time) bool {
	return c.ordersEvents && !eventTime.IsZero() && !c.abandonedEventAt.IsZero() && !eventTime.After(c.abandonedEventAt)
}

// waitForAbandonment returns when the cart has been idle for the configured
// inactivity or BigCommerce reports it abandoned. Every cart change restarts
// the clock. full is true when the run's history is full: the flow
// continues as new, carrying its state.
func (c *cartFlow) waitForAbandonment() (abandonedAt time.Time, exited, full bool) {
	idle := c.inactivity()
	for !c.abandoned {
		c.activity = false
		if !c.sleepUntil(workflow.Now(c.ctx).Add(idle), "cart idle for "+idle.String()) {
			break // idle long enough
		}
		if c.exitReason != "" {
			return time.Time{}, true, false
		}
		if c.durable() && c.historyFull() {
			return time.Time{}, false, true
		}
	}
	c.abandoned, c.activity = false, false
	return workflow.Now(c.ctx), false, false
}

// inactivity is the channel's abandonment delay, from the flows file
// through an activity (so the value is in the history); the default applies
// when the flows say none.
func (c *cartFlow) inactivity() time.Duration {
	channel := 0
	if c.durable() {
		channel = c.channelID
	}
	if flows, err := c.resolveFlows(channel); err == nil && flows.CartRecovery != nil && flows.CartRecovery.AbandonedAfter > 0 {
		return flows.CartRecovery.AbandonedAfter.Std()
	}
	return time.Hour
}

// next says how a phase of the cart flow ended.
type next int

const (
	nextReady next = iota // go on
	nextExit              // the flow ends (c.exitReason says why)
	nextBack              // the shopper changed the cart: wait for abandonment again
)

// loadWithEmail loads the cart and its channel's flows, waiting (without
// sending) until the shopper's email is known. A guest typing their email
// is cart activity: the flow goes back to waiting for abandonment.
func (c *cartFlow) loadWithEmail() (activities.CartSnapshot, config.FlowSet, next, error) {
	snap, reason, err := c.check(false)
	if err != nil {
		return snap, config.FlowSet{}, nextExit, err
	}
	if reason != "" {
		c.exitReason = reason
		return snap, config.FlowSet{}, nextExit, nil
	}
	if snap.Shopper.Email == "" {
		c.record("", DecisionWaiting, "no email address yet (guest)", nil)
		if !c.waitForSignal(waitForEmailMax, "waiting for the shopper's email") {
			c.exitReason = "no-email"
			return snap, config.FlowSet{}, nextExit, nil
		}
		if c.exitReason != "" {
			return snap, config.FlowSet{}, nextExit, nil
		}
		return snap, config.FlowSet{}, nextBack, nil
	}
	c.identify(snap.Shopper)
	flows, err := c.resolveFlows(snap.ChannelID)
	return snap, flows, nextReady, err
}

// check re-reads the cart's truth and returns an exit reason when the cart
// must not be chased any more.
func (c *cartFlow) check(withURL bool) (activities.CartSnapshot, string, error) {
	var a *activities.Activities
	var snap activities.CartSnapshot
	ctx := workflow.WithActivityOptions(c.ctx, apiActivityOptions)
	err := workflow.ExecuteActivity(ctx, a.LoadCart, activities.LoadCartInput{
		CartRef: activities.CartRef{StoreHash: c.in.StoreHash, CartID: c.in.CartID}, Token: c.token, WithRecoveryURL: withURL,
	}).Get(ctx, &snap)
	if err != nil {
		return snap, "", err
	}
	if c.durable() && snap.Exists {
		c.identifyCart(snap, 0)
	}
	switch {
	case snap.OrderID != 0:
		c.exitOrderID = snap.OrderID
		return snap, ExitOrderPlaced, nil
	case !snap.Exists:
		return snap, ExitDeleted, nil
	case snap.ItemCount == 0:
		return snap, ExitEmptied, nil
	case snap.Shopper.Suppressed:
		return snap, ExitUnsubscribed, nil
	case snap.Shopper.CustomerID > 0 && !snap.Shopper.AcceptsAbandonedCartEmails:
		return snap, "no-consent", nil
	}
	return snap, "", nil
}

// identify stores who the shopper is on the workflow, so the Temporal UI and
// the unsubscribe fan-out can find this flow by email or customer id.
func (c *cartFlow) identify(s activities.Shopper) {
	if c.customerKey == s.CustomerKey() {
		return
	}
	c.customerKey, c.email = s.CustomerKey(), lowerASCII(s.Email)
	attrs := append([]temporal.SearchAttributeUpdate{SearchCustomerEmail.ValueSet(lowerASCII(s.Email))}, customerIDAttributes(s.CustomerID)...)
	_ = workflow.UpsertTypedSearchAttributes(c.ctx, attrs...)
}

// identifyCart puts the cart's shopper (when known) and channel on the
// workflow as soon as the cart is loaded, before any decision: a flow that
// exits at its first check is still found by customer id, email and
// channel, and its decisions reach the shopper's timeline.
func (c *cartFlow) identifyCart(snap activities.CartSnapshot, orderID int64) {
	key := snap.Shopper.CustomerKey()
	channelChanged := snap.ChannelID > 0 && snap.ChannelID != c.channelID
	if channelChanged {
		c.channelID = snap.ChannelID
	}
	if !channelChanged && c.identified != "" && (key == "" || key == c.identified) {
		return
	}
	attrs := []temporal.SearchAttributeUpdate{
		SearchStoreHash.ValueSet(c.in.StoreHash), SearchFlow.ValueSet(FlowCartRecovery), SearchCartID.ValueSet(c.in.CartID),
	}
	if c.channelID > 0 {
		attrs = append(attrs, SearchChannelID.ValueSet(int64(c.channelID)))
	}
	if orderID != 0 {
		attrs = append(attrs, SearchOrderID.ValueSet(strconv.FormatInt(orderID, 10)))
	}
	switch {
	case key != "":
		c.customerKey, c.identified, c.email = key, key, lowerASCII(snap.Shopper.Email)
		attrs = append(attrs, customerIDAttributes(snap.Shopper.CustomerID)...)
		if snap.Shopper.Email != "" {
			attrs = append(attrs, SearchCustomerEmail.ValueSet(lowerASCII(snap.Shopper.Email)))
		}
	case c.identified == "":
		c.identified = "-" // cart and channel are set; the shopper is not known yet
	}
	_ = workflow.UpsertTypedSearchAttributes(c.ctx, attrs...)
}

// runSteps sends each step at its time. It returns back=true when the
// shopper changed the cart (a new round begins); an exit signal or re-check
// sets c.exitReason.
func (c *cartFlow) runSteps(abandonedAt time.Time, snap activities.CartSnapshot, flows config.FlowSet) (back bool, err error) {
	c.phase = phaseSteps
	defer func() { c.phase = phaseIdle }()
	var prev *config.Step
	for i, step := range flows.CartRecovery.Steps {
		if i > 0 {
			prev = &flows.CartRecovery.Steps[i-1]
		}
		if c.wasSent(step.Name) {
			continue // a step is never sent twice for one cart, whatever the rounds
		}
		due := abandonedAt.Add(step.Delay.Std())
		if c.durable() && prev != nil && c.wasSent(prev.Name) {
			due = spacedDue(due, c.lastSentAt, step.Delay.Std()-prev.Delay.Std())
		}
		if c.sleepUntil(due, "step "+step.Name) {
			return c.activity, nil
		}
		channelID := 0
		if c.durable() {
			channelID = c.channelID
		}
		res, err := c.deliver(sendPlan{
			step: step, shopper: snap.Shopper, flows: flows, channelID: channelID,
			tags: []string{"bcflow", "cart-recovery", step.Name},
			recheck: func() (string, activities.Shopper, error) {
				fresh, reason, err := c.check(true)
				if err == nil && reason == "" {
					snap = fresh
				}
				return reason, fresh.Shopper, err
			},
			params: func() map[string]any { return cartParams(snap) },
			unusable: func() string {
				if c.durable() && snap.RecoveryURL == "" {
					return "no usable cart link: " + snap.LinkProblem
				}
				return ""
			},
		})
		if err != nil {
			return false, err
		}
		if res.exitReason != "" {
			if res.exitReason != exitBySignal {
				c.exitReason = res.exitReason
			}
			return c.exitReason == "" && c.activity, nil
		}
		if res.sent {
			c.sent = append(c.sent, step.Name)
			c.lastSentAt = workflow.Now(c.ctx)
		}
	}
	return false, nil
}

// wasSent reports whether step already went out in an earlier round.
func (c *cartFlow) wasSent(step string) bool {
	for _, s := range c.sent {
		if s == step {
			return true
		}
	}
	return false
}

// exit records why the flow ended and, for a conversion after at least one
// send, attributes the order's revenue to the last step sent; a cart of a
// holdout group records its conversion for the group.
func (c *cartFlow) exit() (CartRecoveryResult, error) {
	reason := c.exitReason
	c.record("", DecisionExited, reason, map[string]any{"order_id": c.exitOrderID})
	converted := (reason == ExitConverted || reason == ExitOrderPlaced) && c.exitOrderID != 0
	if converted && c.group != "" {
		c.recordConversion()
	}
	if converted && len(c.sent) > 0 {
		var a *activities.Activities
		var rec activities.Recovery
		ctx := workflow.WithActivityOptions(c.ctx, apiActivityOptions)
		err := workflow.ExecuteActivity(ctx, a.RecordRecovery, activities.RecoveryInput{
			StoreHash: c.in.StoreHash, CustomerKey: c.customerKey, Email: c.email, WorkflowID: workflow.GetInfo(c.ctx).WorkflowExecution.ID,
			OrderID: c.exitOrderID, LastStep: c.sent[len(c.sent)-1], At: workflow.Now(c.ctx),
		}).Get(ctx, &rec)
		if err != nil {
			return CartRecoveryResult{}, err
		}
		c.decisions = append(c.decisions, DecisionEntry{At: workflow.Now(c.ctx), Flow: c.flow, WorkflowID: workflow.GetInfo(c.ctx).WorkflowExecution.ID,
			Step: c.sent[len(c.sent)-1], Decision: DecisionRecovered,
			Reason: rec.Total + " " + rec.Currency})
	}
	return CartRecoveryResult{Outcome: "exited", ExitReason: reason, Sent: c.sent, Group: c.group}, nil
}

// cartParams are the template parameters of a cart message.
func cartParams(s activities.CartSnapshot) map[string]any {
	items := make([]map[string]any, 0, len(s.Items))
	for _, it := range s.Items {
		items = append(items, map[string]any{
			"Name": it.Name, "Quantity": it.Quantity, "Price": it.Price, "ImageURL": it.ImageURL, "ProductURL": it.ProductURL, "SKU": it.SKU,
		})
	}
	return map[string]any{
		"FirstName": s.Shopper.FirstName,
		"Items":     items,
		"Amount":    s.Amount,
		"Currency":  s.Currency,
		"CartURL":   s.RecoveryURL,
		"CartID":    s.CartID,
	}
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, ch := range b {
		if 'A' <= ch && ch <= 'Z' {
			b[i] = ch + 'a' - 'A'
		}
	}
	return string(b)
}
