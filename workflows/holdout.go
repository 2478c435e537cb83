package workflows

import (
	"hash/fnv"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/config"
)

// This file is cart recovery's holdout: a share of abandoned carts
// (cart_recovery.holdout_percent) gets no message at all, so the conversion
// of messaged and held-out carts can be compared. Every cart in the
// comparison records, in step "holdout":
//
//	assigned  reason holdout | messaged  (once per cart)
//	converted reason holdout | messaged  amount = the order's total (once per order)
//
// A held-out cart's flow watches for the cart's order as long as a messaged
// cart's would (the last step's delay plus the attribution window from
// abandonment) and sends nothing.

// Holdout decisions, groups and step.
const (
	// StepHoldout is the step of the holdout's decisions (not a step of
	// the sequence).
	StepHoldout = "holdout"
	// DecisionAssigned: the cart joined a holdout group (the reason).
	DecisionAssigned = "assigned"
	// DecisionConverted: a cart of a holdout group (the reason) became an
	// order; the decision's amount is the order's total.
	DecisionConverted = "converted"
	// HoldoutGroupHeld is the group of carts that get no message.
	HoldoutGroupHeld = "holdout"
	// HoldoutGroupMessaged is the group of carts the sequence runs for.
	HoldoutGroupMessaged = "messaged"
)

// cartHoldoutChange is the GetVersion change id under which a cart flow
// whose channel holds carts out assigns the cart to a group.
const cartHoldoutChange = "cart-holdout"

// phaseHoldout: a held-out cart waits for its order; an abandonment notice
// changes nothing.
const phaseHoldout cartPhase = phaseAttribution + 1

// HoldoutBucket is a cart's place in 0..99, from its store and cart id only
// (FNV-1a): a cart whose bucket is below the holdout percent is held out.
// The same cart always lands in the same bucket, in every run and re-drive.
func HoldoutBucket(storeHash, cartID string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(storeHash))
	_, _ = h.Write([]byte{'/'})
	_, _ = h.Write([]byte(cartID))
	return int(h.Sum32() % 100)
}

// HoldoutGroup is the group of a cart when percent of carts are held out.
func HoldoutGroup(storeHash, cartID string, percent int) string {
	if HoldoutBucket(storeHash, cartID) < percent {
		return HoldoutGroupHeld
	}
	return HoldoutGroupMessaged
}

// assignHoldout puts the cart in its holdout group when its channel holds
// carts out (once per cart: the group is carried across rounds and runs)
// and records the assignment. observeUntil is when the comparison stops
// watching for the cart's order: the last step's delay plus the attribution
// window after abandonment.
func (c *cartFlow) assignHoldout(abandonedAt time.Time, cr *config.CartRecovery) {
	if c.group != "" || cr.HoldoutPercent <= 0 ||
		workflow.GetVersion(c.ctx, cartHoldoutChange, workflow.DefaultVersion, 1) < 1 {
		return
	}
	last := cr.Steps[len(cr.Steps)-1].Delay.Std()
	c.group = HoldoutGroup(c.in.StoreHash, c.in.CartID, cr.HoldoutPercent)
	c.observeUntil = abandonedAt.Add(last + cr.Attribution())
	c.recordDecision(decisionLine{step: StepHoldout, decision: DecisionAssigned, reason: c.group,
		dedupeKey: activities.HoldoutAssignmentKey(c.in.StoreHash, c.in.CartID),
		details: map[string]any{"percent": cr.HoldoutPercent, "bucket": HoldoutBucket(c.in.StoreHash, c.in.CartID),
			"until": c.observeUntil}})
}

// heldOut reports whether the cart is in the holdout group.
func (c *cartFlow) heldOut() bool { return c.group == HoldoutGroupHeld }

// holdoutWait is a held-out cart's whole flow after its assignment: no
// message, no coupon; it reads every signal (a cart change, a repeated
// abandonment notice, an exit) and ends at the cart's order, another exit,
// or observeUntil. A long wait with many signals continues as new.
func (c *cartFlow) holdoutWait() (CartRecoveryResult, error) {
	c.phase = phaseHoldout
	if !c.resumed {
		c.record(StepHoldout, DecisionWaiting, "held out: no message; an order from this cart until "+
			c.observeUntil.Format(time.RFC3339)+" counts as converted", map[string]any{"until": c.observeUntil})
	}
	for c.exitReason == "" {
		stopped, full := c.sleepOrContinue(c.observeUntil, "holdout: watching for the cart's order")
		if stopped && c.exitReason == "" {
			// A cart change or notice: a held-out cart keeps waiting, unless
			// the changes filled the history.
			c.activity = false
			full = c.historyFull()
		}
		if full {
			if c.drain(); c.exitReason != "" {
				break
			}
			return CartRecoveryResult{}, c.continueAsNew(CartRecoveryWorkflowName, c.carry)
		}
		if !stopped {
			break // the window is over
		}
	}
	if c.exitReason != "" {
		return c.exit()
	}
	c.record("", DecisionCompleted, "held out: no order within the window", nil)
	return CartRecoveryResult{Outcome: "completed", Group: c.group}, nil
}

// recordConversion records the cart's order as "converted" for its
// holdout group, with the order's total. A measurement never fails the
// flow: an order that cannot be read (transient failures retry) is logged
// and left out.
func (c *cartFlow) recordConversion() {
	var a *activities.Activities
	var rec activities.Recovery
	ctx := workflow.WithActivityOptions(c.ctx, apiActivityOptions)
	wfID := workflow.GetInfo(c.ctx).WorkflowExecution.ID
	err := workflow.ExecuteActivity(ctx, a.RecordConversion, activities.ConversionInput{
		StoreHash: c.in.StoreHash, CustomerKey: c.customerKey, Email: c.email, WorkflowID: wfID,
		Flow: c.flow, Step: StepHoldout, Group: c.group, OrderID: c.exitOrderID, At: workflow.Now(c.ctx),
	}).Get(ctx, &rec)
	if err != nil {
		workflow.GetLogger(c.ctx).Warn("holdout conversion not recorded", "order_id", c.exitOrderID, "error", err)
		return
	}
	c.decisions = append(c.decisions, DecisionEntry{At: workflow.Now(c.ctx), Flow: c.flow, WorkflowID: wfID,
		Step: StepHoldout, Decision: DecisionConverted, Reason: c.group,
		Details: map[string]any{"order_id": c.exitOrderID, "total": rec.Total, "currency": rec.Currency}})
}
