package workflows

import (
	"sort"
	"strconv"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/config"
)

// Events tracked at the messaging provider when an order reaches a goal,
// so the merchant's own automations can use them too.
const (
	EventNewCustomer    = "bcorder_new_customer"
	EventRepeatCustomer = "bcorder_repeat_customer"
	EventSKUPurchased   = "bcsku_purchased"
	EventCouponUsed     = "bccoupon_used"
	EventGroupMember    = "bcgroup_member"
)

// DecisionGoalReached is logged when an order reaches a goal.
const DecisionGoalReached = "goal_reached"

// ExitReordered is why a replenishment reminder is skipped: the customer
// ordered the SKU again before it was due.
const ExitReordered = "reordered"

// OrderGoalsResult is how an order's goals flow ended.
type OrderGoalsResult struct {
	// Outcome is "completed" (every step ran), "exited", "disabled" (no
	// goals for the store/channel) or "not-placed".
	Outcome string
	// ExitReason says why it exited (refunded, cancelled, unsubscribed,
	// not-found).
	ExitReason string
	// Reached lists the call names of the goals this run reached, in the
	// flows file's order.
	Reached []string
	// Sent lists the steps sent ("BCwelcome/thanks"), in order.
	Sent []string
}

// goalsFlow is one order's goals flow while it runs.
type goalsFlow struct {
	*flowRun
	in         OrderChildInput
	start      time.Time
	order      activities.OrderSnapshot
	flows      config.FlowSet
	exitReason string
	earlier    *int // earlier placed orders of the shopper, once counted
	reached    []string
	sent       []string
}

// reachedGoal is a goal the order reached and what it brings.
type reachedGoal struct {
	goal     config.Goal
	callName string
	event    string
	// new and repeat customer goals: the earlier placed orders.
	earlier int
	// sku goals: the units ordered and the first matching line.
	quantity int
	line     activities.OrderLine
	coupon   string // coupon goals: the code as typed
}

// goalStep is one timed message of the reached goals' sequences.
type goalStep struct {
	goal *reachedGoal
	// step's Name is "<call name>/<step name>", unique within the order.
	step          config.Step
	due           time.Time
	replenishment bool
}

// OrderGoals evaluates the Keap-style goals of a placed order, as the
// flows file configures them for the order's store and channel: BCORDER new
// customer (first placed order, counted by customer id, or by billing email
// for guests) or repeat customer, BCSKU (the order contains a SKU, as a
// variant or its product), BCCOUPON (the order used a code,
// case-insensitively) and customer group. Every goal reached is recorded
// once per order (a later run never repeats it), tracked as a provider
// event with the order's properties, tags the contact, and starts its
// sequence: timed steps counted from now, through the shared send machinery
// (quiet hours, caps, consent, exactly-once sends, decision log). A SKU's
// replenishment reminder is due after the consumption period times the
// quantity, and skipped if the customer orders that SKU again first. A
// refund or cancellation (forwarded by the order hub) ends the remaining
// steps.
func OrderGoals(ctx workflow.Context, in OrderChildInput) (OrderGoalsResult, error) {
	run, err := newOrderChildRun(ctx, FlowOrderGoals, in)
	if err != nil {
		return OrderGoalsResult{}, err
	}
	defer run.settle()
	g := &goalsFlow{flowRun: run, in: in, start: workflow.Now(ctx)}
	g.listen()

	// 1. The order's truth and the goals of its store and channel.
	if g.order, err = g.loadOrderSnapshot(in.OrderID, false); err != nil {
		return OrderGoalsResult{}, err
	}
	if !g.order.Exists {
		g.exitReason = "not-found"
		return g.exit()
	}
	g.identifyOrder(FlowOrderGoals, in.OrderID, g.order.ChannelID, g.order.Shopper)
	if reason := OrderStatusExit(g.order.StatusID); reason != "" {
		g.exitReason = reason
		return g.exit()
	}
	if g.flows, err = g.resolveFlows(g.order.ChannelID); err != nil {
		return OrderGoalsResult{}, err
	}
	goals := g.flows.OrderGoals
	if goals == nil || !goals.Enabled || len(goals.Goals) == 0 {
		g.record("", DecisionSkipped, "no order goals for this store/channel", nil)
		return OrderGoalsResult{Outcome: "disabled"}, nil
	}
	if !goals.IsPlaced(config.OrderStatus(g.order.StatusID)) {
		g.record("", DecisionSkipped, "order not placed: status "+config.OrderStatus(g.order.StatusID).String(), nil)
		return OrderGoalsResult{Outcome: "not-placed"}, nil
	}

	// 2. Which goals the order reached; record, track and tag each once.
	matched, err := g.evaluate()
	if err != nil {
		return OrderGoalsResult{}, err
	}
	var fresh []*reachedGoal
	for _, r := range matched {
		ok, err := g.reach(r)
		if err != nil {
			return OrderGoalsResult{}, err
		}
		if ok {
			fresh = append(fresh, r)
		}
	}

	// 3. Their sequences, merged into one timeline.
	var prevDue, prevRanAt time.Time
	for _, s := range g.plan(fresh) {
		due := s.due
		if g.durable() && !prevRanAt.IsZero() {
			// After quiet hours, steps go out spaced as planned.
			due = spacedDue(due, prevRanAt, s.due.Sub(prevDue))
		}
		if g.drain() || g.sleepUntil(due, "step "+s.step.Name) {
			return g.exit()
		}
		prevDue = s.due
		done, err := g.runStep(s)
		prevRanAt = workflow.Now(ctx)
		if err != nil {
			return OrderGoalsResult{}, err
		}
		if !done {
			return g.exit()
		}
	}
	g.record("", DecisionCompleted, "goals evaluated; all steps ran", map[string]any{"reached": g.reached})
	return OrderGoalsResult{Outcome: "completed", Reached: g.reached, Sent: g.sent}, nil
}

// listen wires the signals the hub forwards: a refund or cancellation ends
// the flow, other status changes do not; so does an unsubscribe.
func (g *goalsFlow) listen() {
	g.listenOrderExits(&g.exitReason, OrderStatusExit, true)
}

// placedStatuses are the flows file's placed statuses as BigCommerce ids.
func (g *goalsFlow) placedStatuses() []int {
	out := make([]int, 0, len(g.flows.OrderGoals.PlacedStatuses))
	for _, s := range g.flows.OrderGoals.PlacedStatuses {
		out = append(out, int(s))
	}
	return out
}

// earlierPlaced counts the shopper's placed orders before this one (once).
func (g *goalsFlow) earlierPlaced() (int, error) {
	if g.earlier != nil {
		return *g.earlier, nil
	}
	var a *activities.Activities
	var h activities.OrderHistory
	ctx := workflow.WithActivityOptions(g.ctx, apiActivityOptions)
	err := workflow.ExecuteActivity(ctx, a.CountPlacedOrders, activities.OrderHistoryInput{
		StoreHash: g.in.StoreHash, OrderID: g.in.OrderID, CustomerID: g.order.CustomerID, Email: g.order.BillingEmail,
		PlacedStatuses: g.placedStatuses(),
	}).Get(ctx, &h)
	if err != nil {
		return 0, err
	}
	g.earlier = &h.EarlierPlaced
	return h.EarlierPlaced, nil
}

// evaluate returns the goals the order reached, in the flows file's order.
func (g *goalsFlow) evaluate() ([]*reachedGoal, error) {
	goals := g.flows.OrderGoals
	var out []*reachedGoal
	for _, goal := range goals.Goals {
		r := &reachedGoal{goal: goal, callName: goals.CallName(goal)}
		switch goal.Kind {
		case config.GoalNewCustomer, config.GoalRepeatCustomer:
			n, err := g.earlierPlaced()
			if err != nil {
				return nil, err
			}
			if (n == 0) != (goal.Kind == config.GoalNewCustomer) {
				continue
			}
			r.event = EventRepeatCustomer
			if n == 0 {
				r.event = EventNewCustomer
			}
			r.earlier = n
		case config.GoalSKU:
			for _, l := range g.order.Lines {
				if l.HasSKU(goal.SKU) {
					if r.quantity == 0 {
						r.line = l
					}
					r.quantity += l.Quantity
				}
			}
			if r.quantity == 0 {
				continue
			}
			r.event = EventSKUPurchased
		case config.GoalCoupon:
			for _, code := range g.order.Coupons {
				if goal.MatchesCoupon(code) {
					r.coupon = code
					break
				}
			}
			if r.coupon == "" {
				continue
			}
			r.event = EventCouponUsed
		case config.GoalCustomerGroup:
			s := g.order.Shopper
			if s.CustomerID == 0 || s.GroupID == 0 || !goal.MatchesGroup(int(s.GroupID), g.order.GroupName) {
				continue
			}
			r.event = EventGroupMember
		default:
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// eventProps are the properties of a goal's events: the order's and what
// achieved the goal.
func (g *goalsFlow) eventProps(r *reachedGoal) map[string]any {
	o := g.order
	p := map[string]any{
		"store_hash": g.in.StoreHash, "order_id": o.OrderID, "channel_id": o.ChannelID, "customer_id": o.CustomerID,
		"status_id": o.StatusID, "order_total": o.TotalIncTax, "subtotal_ex_tax": o.SubtotalExTax, "currency": o.Currency,
		"items_total": o.ItemsTotal, "goal": r.goal.Name, "call_name": r.callName,
	}
	switch r.goal.Kind {
	case config.GoalNewCustomer, config.GoalRepeatCustomer:
		p["earlier_orders"] = r.earlier
	case config.GoalSKU:
		p["sku"], p["variant_sku"], p["product_id"], p["product_name"], p["quantity"] = r.goal.SKU, r.line.SKU, r.line.ProductID, r.line.Name, r.quantity
	case config.GoalCoupon:
		p["coupon_code"] = r.coupon
	case config.GoalCustomerGroup:
		p["group_id"], p["group_name"] = o.Shopper.GroupID, o.GroupName
	}
	return p
}

// reach records a goal the order reached and, the first time it is
// recorded for the order, tracks its event and tags the contact. It reports
// whether the goal is fresh (its sequence must run).
func (g *goalsFlow) reach(r *reachedGoal) (bool, error) {
	var a *activities.Activities
	var rec activities.GoalRecord
	sctx := workflow.WithActivityOptions(g.ctx, storeActivityOptions)
	err := workflow.ExecuteActivity(sctx, a.RecordGoal, activities.GoalInput{
		StoreHash: g.in.StoreHash, OrderID: g.in.OrderID, CustomerKey: g.customerKey, Goal: r.callName,
		WorkflowID: workflow.GetInfo(g.ctx).WorkflowExecution.ID, At: workflow.Now(g.ctx),
	}).Get(sctx, &rec)
	if err != nil {
		return false, err
	}
	if !rec.Fresh {
		g.record(r.callName, DecisionSkipped, "goal already reached for this order by an earlier run", nil)
		return false, nil
	}
	g.reached = append(g.reached, r.callName)
	details := map[string]any{"event": r.event}
	s := g.order.Shopper
	actx := workflow.WithActivityOptions(g.ctx, apiActivityOptions)
	if s.Email != "" || s.Phone != "" {
		err := workflow.ExecuteActivity(actx, a.TrackEvent, activities.EventInput{
			StoreHash: g.in.StoreHash, Name: r.event, Email: s.Email, Phone: s.Phone, Properties: g.eventProps(r), At: workflow.Now(g.ctx),
			Key: workflow.GetInfo(g.ctx).WorkflowExecution.ID + "/" + r.callName + "/" + r.event,
		}).Get(actx, nil)
		if err != nil {
			// The goal stands and its sequence runs; only the event is lost.
			g.record(r.callName, DecisionSkipped, "event "+r.event+" failed: "+err.Error(), nil)
		}
	}
	if len(r.goal.Tags) > 0 {
		if s.Email == "" {
			g.record(r.callName, DecisionSkipped, "tags not applied: no email address", nil)
		} else {
			var tags activities.ContactTags
			err := workflow.ExecuteActivity(actx, a.UpsertContactTags, activities.ContactTagsInput{
				StoreHash: g.in.StoreHash, Email: s.Email, FirstName: s.FirstName, LastName: s.LastName, Tags: r.goal.Tags,
			}).Get(actx, &tags)
			if err != nil {
				g.record(r.callName, DecisionSkipped, "tags not applied: "+err.Error(), nil)
			} else {
				details["tags"] = r.goal.Tags
			}
		}
	}
	if r.quantity > 0 {
		details["quantity"] = r.quantity
	}
	g.record(r.callName, DecisionGoalReached, string(r.goal.Kind), details)
	return true, nil
}

// plan merges the reached goals' sequences and replenishment reminders
// into one timeline, each step due at now + its delay (in file order when
// due at the same time).
func (g *goalsFlow) plan(reached []*reachedGoal) []goalStep {
	var steps []goalStep
	for _, r := range reached {
		for _, st := range r.goal.Sequence {
			st.Name = r.callName + "/" + st.Name
			steps = append(steps, goalStep{goal: r, step: st, due: g.start.Add(st.Delay.Std())})
		}
		if rep := r.goal.Replenishment; r.goal.Kind == config.GoalSKU && rep != nil {
			due := rep.DueAfter(r.quantity)
			st := config.Step{Name: r.callName + "/" + config.ReplenishmentStep, Delay: config.Duration(due), Message: rep.Message}
			steps = append(steps, goalStep{goal: r, step: st, due: g.start.Add(due), replenishment: true})
		}
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].due.Before(steps[j].due) })
	return steps
}

// runStep sends one step (or tracks its event), after re-checking the
// order. It returns done=false when the flow must end (g.exitReason says
// why).
func (g *goalsFlow) runStep(s goalStep) (done bool, err error) {
	recheck := func() (string, activities.Shopper, error) { return g.recheck(s) }
	if s.step.Channel == "" && s.step.Template.IsZero() {
		// An event-only step: the merchant's provider automation sends.
		reason, _, err := recheck()
		if err != nil {
			return false, err
		}
		return g.afterStep(s, sendResult{exitReason: reason, sent: reason == ""})
	}
	res, err := g.deliver(sendPlan{
		step: s.step, shopper: g.order.Shopper, flows: g.flows, channelID: g.order.ChannelID,
		tags:    []string{"bcflow", "order-goals", s.goal.callName},
		recheck: recheck,
		params:  func() map[string]any { return g.params(s.goal) },
	})
	if err != nil {
		return false, err
	}
	return g.afterStep(s, res)
}

// afterStep books a step's outcome and tracks its event when it went out.
func (g *goalsFlow) afterStep(s goalStep, res sendResult) (bool, error) {
	switch {
	case res.exitReason == ExitReordered:
		return true, nil // recorded by recheck; the other steps go on
	case res.exitReason == exitBySignal:
		return false, nil
	case res.exitReason != "":
		g.exitReason = res.exitReason
		return false, nil
	case !res.sent:
		return true, nil // skipped, and recorded why
	}
	if s.step.Channel != "" || !s.step.Template.IsZero() {
		g.sent = append(g.sent, s.step.Name)
	}
	if s.step.Event != "" {
		if err := g.trackStepEvent(s); err != nil {
			g.record(s.step.Name, DecisionSkipped, "event "+s.step.Event+" failed: "+err.Error(), nil)
		}
	}
	return true, nil
}

// trackStepEvent tracks a step's own event.
func (g *goalsFlow) trackStepEvent(s goalStep) error {
	var a *activities.Activities
	sh := g.order.Shopper
	if sh.Email == "" && sh.Phone == "" {
		g.record(s.step.Name, DecisionSkipped, "event "+s.step.Event+": no email or phone", nil)
		return nil
	}
	props := g.eventProps(s.goal)
	props["step"] = s.step.Name
	ctx := workflow.WithActivityOptions(g.ctx, apiActivityOptions)
	err := workflow.ExecuteActivity(ctx, a.TrackEvent, activities.EventInput{
		StoreHash: g.in.StoreHash, Name: s.step.Event, Email: sh.Email, Phone: sh.Phone, Properties: props, At: workflow.Now(g.ctx),
		Key: workflow.GetInfo(g.ctx).WorkflowExecution.ID + "/" + s.step.Name + "/" + s.step.Event,
	}).Get(ctx, nil)
	if err == nil {
		g.record(s.step.Name, DecisionSent, "event "+s.step.Event, nil)
	}
	return err
}

// recheck re-reads the order (and, for a replenishment reminder, the
// customer's later orders) right before a step: a refunded, cancelled or
// deleted order ends the flow; a reorder of the SKU skips the reminder.
func (g *goalsFlow) recheck(s goalStep) (string, activities.Shopper, error) {
	fresh, err := g.loadOrderSnapshot(g.in.OrderID, false)
	if err != nil {
		return "", g.order.Shopper, err
	}
	if !fresh.Exists {
		return "not-found", g.order.Shopper, nil
	}
	if reason := OrderStatusExit(fresh.StatusID); reason != "" {
		return reason, fresh.Shopper, nil
	}
	g.order = fresh
	if s.replenishment {
		var a *activities.Activities
		var re activities.Reorder
		ctx := workflow.WithActivityOptions(g.ctx, apiActivityOptions)
		err := workflow.ExecuteActivity(ctx, a.FindReorder, activities.ReorderInput{
			StoreHash: g.in.StoreHash, OrderID: g.in.OrderID, CustomerID: fresh.CustomerID, Email: fresh.BillingEmail,
			SKU: s.goal.goal.SKU, PlacedStatuses: g.placedStatuses(),
		}).Get(ctx, &re)
		if err != nil {
			return "", fresh.Shopper, err
		}
		if re.OrderID != 0 {
			g.record(s.step.Name, DecisionSkipped, "reordered in order "+strconv.FormatInt(re.OrderID, 10), map[string]any{"order_id": re.OrderID})
			return ExitReordered, fresh.Shopper, nil
		}
	}
	return "", fresh.Shopper, nil
}

// params are the template parameters of a goal's message.
func (g *goalsFlow) params(r *reachedGoal) map[string]any {
	o := g.order
	items := make([]map[string]any, 0, len(o.Lines))
	for _, l := range o.Lines {
		items = append(items, map[string]any{
			"Name": l.Name, "Quantity": l.Quantity, "Price": l.Price, "ImageURL": l.ImageURL, "ProductURL": l.ProductURL, "SKU": l.SKU,
		})
	}
	p := map[string]any{
		"FirstName": o.Shopper.FirstName, "LastName": o.Shopper.LastName, "OrderID": o.OrderID, "OrderTotal": o.TotalIncTax,
		"Currency": o.Currency, "Items": items, "Goal": r.goal.Name, "CallName": r.callName,
	}
	switch r.goal.Kind {
	case config.GoalSKU:
		p["SKU"], p["Quantity"] = r.goal.SKU, r.quantity
		p["ProductName"], p["ProductURL"], p["ImageURL"] = r.line.Name, r.line.ProductURL, r.line.ImageURL
	case config.GoalCoupon:
		p["OrderCouponCode"] = r.coupon
	case config.GoalCustomerGroup:
		p["GroupName"] = o.GroupName
	}
	return p
}

// exit records why the flow ended early.
func (g *goalsFlow) exit() (OrderGoalsResult, error) {
	g.record("", DecisionExited, g.exitReason, map[string]any{"order_id": g.in.OrderID})
	return OrderGoalsResult{Outcome: "exited", ExitReason: g.exitReason, Reached: g.reached, Sent: g.sent}, nil
}
