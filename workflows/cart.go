package workflows

import (
	"strconv"
	"time"

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
}

// cartPhase is where a cart flow is: waiting for abandonment (or an email),
// or running steps.
type cartPhase int

const (
	phaseIdle cartPhase = iota
	phaseSteps
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
	c := &cartFlow{flowRun: run, in: in}
	c.listen()

	for round := 1; ; round++ {
		if round > 1 {
			c.record("", DecisionWaiting, "cart changed again; waiting for a new abandonment", map[string]any{"round": round})
		}
		// 1. Wait until the cart is abandoned.
		abandonedAt, exited := c.waitForAbandonment()
		if exited {
			return c.exit()
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
		// 3. Run the steps not sent yet, each due at abandonment + delay.
		back, err := c.runSteps(abandonedAt, snap, flows)
		if err != nil {
			return CartRecoveryResult{}, err
		}
		if c.exitReason != "" {
			return c.exit()
		}
		if !back {
			c.record("", DecisionCompleted, "all steps ran", nil)
			return CartRecoveryResult{Outcome: "completed", Sent: c.sent}, nil
		}
		// The shopper came back to the cart: wait for the next abandonment.
	}
}

// listen wires the cart's signals to the flow's state.
func (c *cartFlow) listen() {
	c.on(SignalCartActivity, func(ch workflow.ReceiveChannel) bool {
		var s CartActivity
		ch.Receive(c.ctx, &s)
		c.activity = true
		return true
	})
	c.on(SignalCartAbandoned, func(ch workflow.ReceiveChannel) bool {
		var s CartAbandoned
		ch.Receive(c.ctx, &s)
		if s.Token != "" {
			c.token = s.Token
		}
		// A repeated abandoned notice while steps run changes nothing.
		c.abandoned = c.phase == phaseIdle
		return c.abandoned
	})
	c.on(SignalCartExit, func(ch workflow.ReceiveChannel) bool {
		var s CartExit
		ch.Receive(c.ctx, &s)
		c.exitReason, c.exitOrderID = s.Reason, s.OrderID
		return true
	})
	c.on(SignalUnsubscribed, func(ch workflow.ReceiveChannel) bool {
		var s Unsubscribed
		ch.Receive(c.ctx, &s)
		c.exitReason = ExitUnsubscribed
		return true
	})
}

// waitForAbandonment returns when the cart has been idle for the configured
// inactivity or BigCommerce reports it abandoned. Every cart change restarts
// the clock.
func (c *cartFlow) waitForAbandonment() (abandonedAt time.Time, exited bool) {
	idle := c.inactivity()
	for !c.abandoned {
		c.activity = false
		if !c.sleepUntil(workflow.Now(c.ctx).Add(idle), "cart idle for "+idle.String()) {
			break // idle long enough
		}
		if c.exitReason != "" {
			return time.Time{}, true
		}
	}
	c.abandoned, c.activity = false, false
	return workflow.Now(c.ctx), false
}

// inactivity is read from the flows file once per run through a side
// effect-free activity result; the default applies until the first load.
func (c *cartFlow) inactivity() time.Duration {
	if flows, err := c.resolveFlows(0); err == nil && flows.CartRecovery != nil && flows.CartRecovery.AbandonedAfter > 0 {
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
	c.customerKey = s.CustomerKey()
	_ = workflow.UpsertTypedSearchAttributes(c.ctx,
		SearchCustomerEmail.ValueSet(lowerASCII(s.Email)),
		SearchCustomerID.ValueSet(strconv.FormatInt(s.CustomerID, 10)),
	)
}

// runSteps sends each step at its time. It returns back=true when the
// shopper changed the cart (a new round begins); an exit signal or re-check
// sets c.exitReason.
func (c *cartFlow) runSteps(abandonedAt time.Time, snap activities.CartSnapshot, flows config.FlowSet) (back bool, err error) {
	c.phase = phaseSteps
	defer func() { c.phase = phaseIdle }()
	for _, step := range flows.CartRecovery.Steps {
		if c.wasSent(step.Name) {
			continue // a step is never sent twice for one cart, whatever the rounds
		}
		if c.sleepUntil(abandonedAt.Add(step.Delay.Std()), "step "+step.Name) {
			return c.activity, nil
		}
		res, err := c.deliver(sendPlan{
			step: step, shopper: snap.Shopper, flows: flows,
			tags: []string{"bcflow", "cart-recovery", step.Name},
			recheck: func() (string, activities.Shopper, error) {
				fresh, reason, err := c.check(true)
				if err == nil && reason == "" {
					snap = fresh
				}
				return reason, fresh.Shopper, err
			},
			params: func() map[string]any { return cartParams(snap) },
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
// send, attributes the order's revenue to the last step sent.
func (c *cartFlow) exit() (CartRecoveryResult, error) {
	reason := c.exitReason
	c.record("", DecisionExited, reason, map[string]any{"order_id": c.exitOrderID})
	if (reason == ExitConverted || reason == ExitOrderPlaced) && c.exitOrderID != 0 && len(c.sent) > 0 {
		var a *activities.Activities
		var rec activities.Recovery
		ctx := workflow.WithActivityOptions(c.ctx, apiActivityOptions)
		err := workflow.ExecuteActivity(ctx, a.RecordRecovery, activities.RecoveryInput{
			StoreHash: c.in.StoreHash, CustomerKey: c.customerKey, WorkflowID: workflow.GetInfo(c.ctx).WorkflowExecution.ID,
			OrderID: c.exitOrderID, LastStep: c.sent[len(c.sent)-1], At: workflow.Now(c.ctx),
		}).Get(ctx, &rec)
		if err != nil {
			return CartRecoveryResult{}, err
		}
		c.decisions = append(c.decisions, DecisionEntry{At: workflow.Now(c.ctx), Step: c.sent[len(c.sent)-1], Decision: DecisionRecovered,
			Reason: rec.Total + " " + rec.Currency})
	}
	return CartRecoveryResult{Outcome: "exited", ExitReason: reason, Sent: c.sent}, nil
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
