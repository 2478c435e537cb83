package workflows

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/config"
)

// LoyaltyRefundHorizon is how long an order's award watches for refunds
// after the award.
const LoyaltyRefundHorizon = 365 * 24 * time.Hour

// Provider events and the contact attribute of the loyalty program.
const (
	// EventLoyaltyTierChanged is tracked when a customer's tier changes
	// (properties: from, to, lifetime_points, balance).
	EventLoyaltyTierChanged = "loyalty_tier_changed"
	// LoyaltyTierAttribute is the contact attribute set to the tier's name
	// with EventLoyaltyTierChanged (create it in Brevo as a text attribute).
	LoyaltyTierAttribute = "LOYALTY_TIER"
)

// LoyaltyAwardResult is how an order's loyalty flow ended.
type LoyaltyAwardResult struct {
	// Outcome is "watched" (the award stood until the refund horizon),
	// "reversed" (the order was fully refunded or cancelled) or "skipped".
	Outcome string
	// Reason says why it was skipped.
	Reason     string
	CustomerID int64
	// Awarded and Bonus are the order's award and first-purchase bonus
	// entries; Reversed what refunds took back.
	Awarded  int64
	Bonus    int64
	Reversed int64
	// Tier is the customer's tier after the flow's last ledger change.
	Tier string
}

// loyaltyFlow is one order's award while it runs.
type loyaltyFlow struct {
	*flowRun
	in      OrderChildInput
	program *config.Loyalty
	order   activities.OrderSnapshot
	// refundDue is set by a refund-like signal: re-read the order's refunds.
	refundDue bool
	res       LoyaltyAwardResult
}

// LoyaltyAward awards an order's points, loyalty/{store}/{order_id}. The
// hub starts it when the order reaches the program's award status. Points
// are the configured base amount (subtotal excluding tax by default) times
// the points per currency unit (on B2B repeat orders, the reorder rate),
// the customer group's multiplier, the multiplier of the customer's tier,
// and, for B2B orders above the volume threshold, the volume multiplier,
// rounded as configured; a customer's first purchase adds the
// first-purchase bonus. Both are ledger entries unique per (store, order,
// kind), so any retry, duplicate or second run awards once. The tier is
// recomputed after every ledger change; a new tier is recorded, tracked as
// a provider event and set as a contact attribute.
//
// Then it watches the order's refunds for LoyaltyRefundHorizon: a refund
// reverses the award in proportion to the order's refunded amount (each
// refund its own ledger entry keyed by the refunded amount, so a second
// partial refund is not taken for a duplicate and a redelivered one takes
// nothing); a full refund or a cancellation reverses the award and the
// bonus and ends the flow. Reversals never exceed what the order earned and
// never take the balance below zero (the shortfall is written in the
// entry's reason).
func LoyaltyAward(ctx workflow.Context, in OrderChildInput) (LoyaltyAwardResult, error) {
	run, err := newOrderChildRun(ctx, FlowLoyalty, in)
	if err != nil {
		return LoyaltyAwardResult{}, err
	}
	defer run.settle()
	l := &loyaltyFlow{flowRun: run, in: in}
	l.listen()
	watch := in.LoyaltyWatch
	if watch != nil {
		l.counts, l.res = watch.Signals, watch.Result
	}

	flows, err := l.resolveFlows(in.ChannelID)
	if err != nil {
		return LoyaltyAwardResult{}, err
	}
	if flows.Loyalty == nil || !flows.Loyalty.Enabled {
		return l.skip("loyalty program disabled for this store/channel")
	}
	l.program = flows.Loyalty
	if l.order, err = l.loadOrderSnapshot(in.OrderID, false); err != nil {
		return LoyaltyAwardResult{}, err
	}
	deadline := workflow.Now(ctx).Add(LoyaltyRefundHorizon)
	if watch == nil {
		switch {
		case !l.order.Exists:
			return l.skip("order not found")
		case l.order.CustomerID == 0:
			return l.skip("guest order: no loyalty account")
		case fullyUndone(l.order.StatusID) != "":
			return l.skip("order " + fullyUndone(l.order.StatusID) + " before the award")
		}
		l.res.CustomerID = l.order.CustomerID
		l.identifyShopper(FlowLoyalty, in.OrderID, l.order.ChannelID, l.order.Shopper)
		if err := l.award(); err != nil {
			return LoyaltyAwardResult{}, err
		}
	} else {
		// A continued run: the award stands; watch on until the same horizon.
		deadline = watch.Deadline
		l.identifyShopper(FlowLoyalty, in.OrderID, l.order.ChannelID, l.order.Shopper)
	}
	// Refunds made before the award count too; then watch for more.
	l.refundDue = true
	for {
		if l.refundDue {
			l.drain() // one look at the order covers every pending signal
			done, err := l.reverseDue("order fully refunded or cancelled; points reversed")
			if err != nil {
				return LoyaltyAwardResult{}, err
			}
			if done {
				return l.res, nil
			}
		}
		stopped, full := false, l.durable() && l.historyFull()
		if !full {
			stopped, full = l.sleepOrContinue(deadline, "watching refunds until "+deadline.Format(time.DateOnly))
		}
		if full {
			return LoyaltyAwardResult{}, l.continueAsNew(LoyaltyAwardWorkflowName, func() any {
				next := in
				next.LoyaltyWatch = &LoyaltyWatch{FlowCarry: FlowCarry{Signals: l.counts}, Result: l.res, Deadline: deadline}
				return next
			})
		}
		if !stopped {
			break
		}
	}
	l.res.Outcome = "watched"
	l.record("", DecisionCompleted, "refund horizon passed", nil)
	// A refund delivered while that decision was written still reverses
	// its points (and any delivered while that reversal ran).
	for l.refundDue = false; l.lateSignal() && l.refundDue; {
		done, err := l.reverseDue("order fully refunded or cancelled after the refund horizon; points reversed")
		if err != nil {
			return LoyaltyAwardResult{}, err
		}
		if done {
			return l.res, nil
		}
	}
	return l.res, nil
}

// listen turns the hub's forwarded refunds and refund-like statuses into a
// refund check.
func (l *loyaltyFlow) listen() {
	l.on(SignalOrderStatus, func(ch workflow.ReceiveChannel) bool {
		var s OrderStatus
		ch.ReceiveAsync(&s)
		if OrderStatusExit(s.NewStatusID) != "" {
			l.refundDue = true
		}
		return l.refundDue
	})
	l.on(SignalOrderRefund, func(ch workflow.ReceiveChannel) bool {
		var e OrderEvent
		ch.ReceiveAsync(&e)
		l.refundDue = true
		return true
	})
}

func (l *loyaltyFlow) skip(reason string) (LoyaltyAwardResult, error) {
	l.record("", DecisionSkipped, reason, nil)
	l.res.Outcome, l.res.Reason = "skipped", reason
	return l.res, nil
}

// award computes and writes the order's award and first-purchase bonus.
func (l *loyaltyFlow) award() error {
	var a *activities.Activities
	var h activities.OrderHistory
	actx := workflow.WithActivityOptions(l.ctx, apiActivityOptions)
	if err := workflow.ExecuteActivity(actx, a.CountPlacedOrders, activities.OrderHistoryInput{
		StoreHash: l.in.StoreHash, OrderID: l.in.OrderID, CustomerID: l.order.CustomerID, PlacedStatuses: config.PurchasedStatuses,
	}).Get(actx, &h); err != nil {
		return err
	}
	var acct activities.LoyaltyAccount
	sctx := workflow.WithActivityOptions(l.ctx, storeActivityOptions)
	if err := workflow.ExecuteActivity(sctx, a.GetLoyaltyAccount, activities.LoyaltyAccountInput{
		StoreHash: l.in.StoreHash, CustomerID: l.order.CustomerID,
	}).Get(sctx, &acct); err != nil {
		return err
	}
	amount := l.order.SubtotalExTax
	if l.program.Base == config.BaseTotalIncTax {
		amount = l.order.TotalIncTax
	}
	base, _ := strconv.ParseFloat(amount, 64)
	e := l.program.Earn(base, int(l.order.Shopper.GroupID), l.order.GroupName, acct.LifetimeEarned, h.EarlierPlaced > 0)
	entry, err := l.appendEntry(activities.LoyaltyEntryInput{
		StoreHash: l.in.StoreHash, ChannelID: l.order.ChannelID, CustomerID: l.order.CustomerID, OrderID: l.in.OrderID,
		Kind: activities.LedgerAward, Points: e.Points, Reason: e.Explain(amount, l.order.Currency),
	})
	if err != nil {
		return err
	}
	l.res.Awarded = entry.Points
	details := map[string]any{"points": entry.Points, "base": amount, "rate": e.Rate, "group_multiplier": e.GroupMultiplier,
		"tier_multiplier": e.TierMultiplier, "volume_multiplier": e.VolumeMultiplier, "b2b": e.B2B, "repeat": e.Repeat}
	if entry.Inserted {
		l.record("award", DecisionAwarded, fmt.Sprintf("%d points", entry.Points), details)
	} else {
		l.record("award", DecisionSkipped, "already awarded", details)
	}
	if bonus := l.program.Bonuses.FirstPurchase; h.EarlierPlaced == 0 && bonus > 0 {
		b, err := l.appendEntry(activities.LoyaltyEntryInput{
			StoreHash: l.in.StoreHash, ChannelID: l.order.ChannelID, CustomerID: l.order.CustomerID, OrderID: l.in.OrderID,
			Kind: activities.LedgerBonus, Points: bonus, Reason: "first purchase bonus",
		})
		if err != nil {
			return err
		}
		l.res.Bonus = b.Points
		if b.Inserted {
			l.record("first-purchase-bonus", DecisionAwarded, fmt.Sprintf("%d points", b.Points), nil)
		}
		entry = b
	}
	l.res.Tier = l.applyTier(l.program, l.order.CustomerID, l.order.Shopper, entry.Account)
	return nil
}

// reverseDue handles the refunds signalled (clearing refundDue): it
// reverses their points and, when the order is fully refunded or
// cancelled, sets the outcome "reversed" and records why; done is then
// true and the award is over.
func (l *loyaltyFlow) reverseDue(why string) (done bool, err error) {
	l.refundDue = false
	full, err := l.reverse()
	if err != nil || !full {
		return false, err
	}
	l.res.Outcome = "reversed"
	l.record("", DecisionCompleted, why, nil)
	return true, nil
}

// reverse applies the order's refunds as BigCommerce has them now; full is
// true when the order is fully refunded or cancelled.
func (l *loyaltyFlow) reverse() (full bool, err error) {
	var a *activities.Activities
	var st activities.RefundState
	ctx := workflow.WithActivityOptions(l.ctx, apiActivityOptions)
	if err := workflow.ExecuteActivity(ctx, a.LoadRefundState, activities.RefundStateInput{StoreHash: l.in.StoreHash, OrderID: l.in.OrderID}).
		Get(ctx, &st); err != nil {
		return false, err
	}
	if !st.Exists {
		return false, nil
	}
	total, _ := strconv.ParseFloat(st.TotalIncTax, 64)
	refunded, _ := strconv.ParseFloat(st.RefundedAmount, 64)
	full = fullyUndone(st.StatusID) != "" || (total > 0 && refunded >= total-0.005)
	var target int64
	var key, reason string
	prefix := "loyalty-refund/" + l.in.StoreHash + "/" + strconv.FormatInt(l.in.OrderID, 10) + "/"
	switch {
	case full:
		target, key = math.MaxInt64, prefix+"full" // the store takes what the order earned
		reason = fmt.Sprintf("order %d %s", l.in.OrderID, config.OrderStatus(st.StatusID))
		if fullyUndone(st.StatusID) == "" {
			reason = fmt.Sprintf("order %d fully refunded (%s)", l.in.OrderID, st.RefundedAmount)
		}
	case refunded > 0 && total > 0:
		target = int64(math.Round(config.RoundMicro(float64(l.res.Awarded) * refunded / total)))
		key = prefix + strconv.FormatInt(int64(math.Round(refunded*100)), 10)
		reason = fmt.Sprintf("order %d partially refunded (%s of %s)", l.in.OrderID, st.RefundedAmount, st.TotalIncTax)
	default:
		return false, nil
	}
	var entry activities.LoyaltyEntry
	sctx := workflow.WithActivityOptions(l.ctx, storeActivityOptions)
	if err := workflow.ExecuteActivity(sctx, a.ReverseLoyaltyPoints, activities.LoyaltyReversalInput{
		StoreHash: l.in.StoreHash, ChannelID: l.order.ChannelID, CustomerID: l.order.CustomerID, OrderID: l.in.OrderID,
		Target: target, IdempotencyKey: key, Reason: reason, At: workflow.Now(l.ctx),
	}).Get(sctx, &entry); err != nil {
		return false, err
	}
	if entry.Inserted {
		l.res.Reversed += -entry.Points
		l.record("reversal", DecisionReversed, fmt.Sprintf("%d points: %s", -entry.Points, reason),
			map[string]any{"points": entry.Points, "target": target, "key": key})
		l.res.Tier = l.applyTier(l.program, l.order.CustomerID, l.order.Shopper, entry.Account)
	}
	return full, nil
}
