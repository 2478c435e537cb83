package workflows

import (
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/config"
)

// reviewStep names the review request in the decision log and its send's
// idempotency key (review/{store}/{order}/review-request).
const reviewStep = "review-request"

// ExitNoConsent ends a post-purchase message for a shopper who does not
// accept product review emails.
const ExitNoConsent = "no-consent"

// OrderMessageResult is how a post-purchase message flow (ReviewRequest,
// ShipmentSurvey, OrderStatusCampaign) ended.
type OrderMessageResult struct {
	// Outcome is "sent", "skipped" (no consent, suppressed, nothing to
	// send), "failed" (the provider refused the message; ExitReason says
	// why), "unknown" (an SMS or WhatsApp whose answer was lost), "exited"
	// or "disabled".
	Outcome string
	// ExitReason says why it exited (refunded, cancelled, unsubscribed,
	// no-consent, not-found) or was skipped.
	ExitReason string
	// Sent lists the steps sent.
	Sent []string
}

// ReviewRequest asks for a product review, review/{store}/{order_id}. The
// hub starts it when the order reaches the review trigger status
// (Completed by default). It waits the configured delay (14 days by
// default), then re-reads the order and the shopper right before sending:
// a refunded, cancelled or deleted order, or a shopper who no longer
// accepts product review emails (BigCommerce's
// accepts_product_review_abandoned_cart_emails; guests: the checkout
// newsletter opt-in), ends it without a send. The request lists the order's
// products (name, image, product URL and review URL) and goes through the
// shared send machinery: quiet hours and frequency caps defer it, consent
// and the suppression list are checked, and it is sent at most once per
// order. A refund (full or partial), a cancellation or an unsubscribe
// during the wait cancels it.
func ReviewRequest(ctx workflow.Context, in OrderChildInput) (OrderMessageResult, error) {
	run, err := newOrderChildRun(ctx, FlowReviewRequest, in)
	if err != nil {
		return OrderMessageResult{}, err
	}
	defer run.settle()
	var exit string
	run.listenOrderExits(&exit, OrderStatusExit, true)
	flows, err := run.resolveFlows(in.ChannelID)
	if err != nil {
		return OrderMessageResult{}, err
	}
	rr := flows.ReviewRequest
	if rr == nil || !rr.Enabled {
		run.record(reviewStep, DecisionSkipped, "review request disabled for this store/channel", nil)
		return OrderMessageResult{Outcome: "disabled"}, nil
	}
	due := workflow.Now(ctx).Add(rr.Delay.Std())
	run.record(reviewStep, DecisionWaiting, "review request due "+due.Format(time.RFC3339), map[string]any{"due": due})
	if run.sleepUntil(due, "review request in "+rr.Delay.Std().String()) && exit != "" {
		return exitOrderMessage(run, reviewStep, exit)
	}
	return sendOrderMessage(run, orderMessage{
		orderID: in.OrderID, channelID: in.ChannelID, step: config.Step{Name: reviewStep, Message: rr.Message}, flows: flows, flow: FlowReviewRequest,
		tags: []string{"bcflow", "review-request"}, exit: &exit, exitOn: OrderStatusExit, requireReviewConsent: true,
		load: run.loadOrderView(in.OrderID, false),
	})
}

func exitOrderMessage(f *flowRun, step, reason string) (OrderMessageResult, error) {
	f.record(step, DecisionExited, reason, nil)
	return OrderMessageResult{Outcome: "exited", ExitReason: reason}, nil
}

// orderMessage is one message about an order, sent after a re-check.
type orderMessage struct {
	orderID   int64
	channelID int
	step      config.Step
	flows     config.FlowSet
	flow      string
	tags      []string
	// exit is set by the flow's signal handlers.
	exit *string
	// exitOn says which order statuses end the flow.
	exitOn func(statusID int) string
	// requireReviewConsent ends the flow for shoppers who do not accept
	// product review emails.
	requireReviewConsent bool
	// load re-reads the order right before the send.
	load func() (orderView, error)
}

// orderView is what a message needs to know about its order right before
// it goes.
type orderView struct {
	Exists   bool
	StatusID int
	Shopper  activities.Shopper
	// Params are the template parameters (and, but for Items, the event's
	// properties).
	Params map[string]any
	// LinkProblem says why a link of the order could not be made absolute.
	LinkProblem string
}

// loadOrderView is orderMessage.load for messages about the order itself.
func (f *flowRun) loadOrderView(orderID int64, withShipments bool) func() (orderView, error) {
	return func() (orderView, error) {
		o, err := f.loadOrderSnapshot(orderID, withShipments)
		if err != nil {
			return orderView{}, err
		}
		return orderView{Exists: o.Exists, StatusID: o.StatusID, Shopper: o.Shopper, Params: orderParams(o), LinkProblem: o.LinkProblem}, nil
	}
}

// sendOrderMessage re-reads the order and its shopper and sends m's step
// through deliver (quiet hours, caps, consent, exactly once), then tracks
// its provider event if it has one.
func sendOrderMessage(f *flowRun, m orderMessage) (OrderMessageResult, error) {
	var view orderView
	recheck := func() (string, activities.Shopper, error) {
		v, err := m.load()
		if err != nil {
			return "", activities.Shopper{}, err
		}
		switch {
		case !v.Exists:
			return "not-found", v.Shopper, nil
		case m.exitOn(v.StatusID) != "":
			return m.exitOn(v.StatusID), v.Shopper, nil
		case v.Shopper.Suppressed:
			return ExitUnsubscribed, v.Shopper, nil
		case m.requireReviewConsent && !v.Shopper.AcceptsAbandonedCartEmails:
			return ExitNoConsent, v.Shopper, nil
		}
		view = v
		f.identifyShopper(m.flow, m.orderID, m.channelID, v.Shopper)
		return "", v.Shopper, nil
	}
	if m.step.Template.IsZero() {
		// Event only: re-check, then track.
		reason, _, err := recheck()
		if err != nil {
			return OrderMessageResult{}, err
		}
		if reason != "" {
			return exitOrderMessage(f, m.step.Name, reason)
		}
	} else {
		res, err := f.deliver(sendPlan{step: m.step, flows: m.flows, channelID: m.channelID, tags: m.tags, recheck: recheck,
			params: func() map[string]any { return view.Params },
			unusable: func() string {
				if url, _ := view.Params["ReviewURL"].(string); f.durable() && m.requireReviewConsent && url == "" {
					return "no usable review link: " + view.LinkProblem
				}
				return ""
			}})
		if err != nil {
			return OrderMessageResult{}, err
		}
		switch {
		case res.exitReason == exitBySignal:
			return exitOrderMessage(f, m.step.Name, *m.exit)
		case res.exitReason != "":
			return exitOrderMessage(f, m.step.Name, res.exitReason)
		case res.skipped != "":
			return OrderMessageResult{Outcome: "skipped", ExitReason: res.skipped}, nil
		case res.failed != "":
			return OrderMessageResult{Outcome: "failed", ExitReason: res.failed}, nil
		case res.unknown:
			return OrderMessageResult{Outcome: "unknown"}, nil
		}
	}
	if m.step.Event != "" {
		props := map[string]any{"order_id": m.orderID, "store_hash": f.storeHash}
		keys := make([]string, 0, len(view.Params))
		// The keys are sorted before use: map order never shows.
		//workflowcheck:ignore
		for k := range view.Params {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if k != "Items" {
				props[k] = view.Params[k]
			}
		}
		f.trackEvent(m.step.Name, m.step.Event, view.Shopper, props, nil)
	}
	f.record(m.step.Name, DecisionCompleted, "", nil)
	return OrderMessageResult{Outcome: "sent", Sent: []string{m.step.Name}}, nil
}
