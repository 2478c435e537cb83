package workflows

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"

	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/config"
)

// This file is what the post-purchase children of an order (LoyaltyAward,
// ReviewRequest, ShipmentSurvey, OrderStatusCampaign) share: reading their
// flows and the order, putting the shopper on the workflow, and the
// template parameters of an order.

// Decisions of the loyalty flows.
const (
	DecisionAwarded     = "awarded"
	DecisionReversed    = "reversed"
	DecisionTierChanged = "tier_changed"
)

// trackEvent tracks a provider event about the shopper and logs it; a
// failure is logged, never fatal (the flow's own work is done). Its key
// (see activities.TrackEvent) is the workflow id, step and event name and a
// digest of the properties, so that a retry or a later run of the workflow
// tracks the same event once while a flow that tracks one event name for
// several customers or changes (birthdays, tier changes) tracks each.
func (f *flowRun) trackEvent(step, name string, s activities.Shopper, props, contactProps map[string]any) {
	key := workflow.GetInfo(f.ctx).WorkflowExecution.ID + "/" + step + "/" + name + "/" + eventDigest(props, contactProps)
	f.trackEventKeyed(key, step, name, s, props, contactProps)
}

// trackEventKeyed is trackEvent with the caller's event key.
func (f *flowRun) trackEventKeyed(key, step, name string, s activities.Shopper, props, contactProps map[string]any) {
	if s.Email == "" && s.Phone == "" {
		f.record(step, DecisionSkipped, "event "+name+": no email or phone", nil)
		return
	}
	var a *activities.Activities
	ctx := workflow.WithActivityOptions(f.ctx, apiActivityOptions)
	err := workflow.ExecuteActivity(ctx, a.TrackEvent, activities.EventInput{
		StoreHash: f.storeHash, Name: name, Email: s.Email, Phone: s.Phone, Properties: props, ContactProperties: contactProps,
		At: workflow.Now(f.ctx), Key: key,
	}).Get(ctx, nil)
	if err != nil {
		f.record(step, DecisionSkipped, "event "+name+" failed: "+err.Error(), nil)
		return
	}
	f.record(step, DecisionSent, "event "+name, nil)
}

// eventDigest is a short stable digest of an event's properties:
// encoding/json writes map keys sorted, so equal properties give equal
// digests in every replay.
func eventDigest(props, contactProps map[string]any) string {
	// Deterministic: json sorts map keys; workflowcheck only sees the
	// reflection and allocation inside.
	//workflowcheck:ignore
	b, err := json.Marshal([]map[string]any{props, contactProps})
	if err != nil {
		return "unhashable"
	}
	sum := sha1.Sum(b)
	return hex.EncodeToString(sum[:8])
}

// reviewAnchor opens the review form on a Stencil product page.
const reviewAnchor = "#write_review"

// orderParams are the template parameters of an order message: the
// shopper's name, the order's id, total and products (name, quantity,
// price, image, product URL, review URL), and its last shipment's tracking.
func orderParams(o activities.OrderSnapshot) map[string]any {
	items := make([]map[string]any, 0, len(o.Lines))
	for _, l := range o.Lines {
		review := ""
		if l.ProductURL != "" {
			review = l.ProductURL + reviewAnchor
		}
		items = append(items, map[string]any{
			"Name": l.Name, "Quantity": l.Quantity, "Price": l.Price, "ImageURL": l.ImageURL, "ProductURL": l.ProductURL,
			"ReviewURL": review, "SKU": l.SKU,
		})
	}
	p := map[string]any{
		"FirstName": o.Shopper.FirstName, "LastName": o.Shopper.LastName, "OrderID": o.OrderID, "OrderTotal": o.TotalIncTax,
		"Currency": o.Currency, "Items": items,
	}
	if len(items) > 0 {
		p["ReviewURL"] = items[0]["ReviewURL"]
	}
	if n := len(o.Shipments); n > 0 {
		s := o.Shipments[n-1]
		p["TrackingNumber"], p["Carrier"], p["TrackingLink"] = s.TrackingNumber, s.Carrier, s.TrackingLink
	}
	return p
}

// listenOrderExits wires the signals the hub forwards to a child: a status
// for which exit says so, a refund when refundExits, and an unsubscribe end
// the current wait and set *reason.
func (f *flowRun) listenOrderExits(reason *string, exit func(statusID int) string, refundExits bool) {
	f.on(SignalOrderStatus, func(ch workflow.ReceiveChannel) bool {
		var s OrderStatus
		ch.ReceiveAsync(&s)
		if r := exit(s.NewStatusID); r != "" {
			*reason = r
			return true
		}
		return false
	})
	f.on(SignalOrderRefund, func(ch workflow.ReceiveChannel) bool {
		var e OrderEvent
		ch.ReceiveAsync(&e)
		if refundExits {
			*reason = ExitRefunded
		}
		return refundExits
	})
	f.on(SignalUnsubscribed, func(ch workflow.ReceiveChannel) bool {
		var u Unsubscribed
		ch.ReceiveAsync(&u)
		*reason = ExitUnsubscribed
		return true
	})
}

// fullyUndone is the exit of an order that is fully refunded or
// cancelled (a partial refund is not).
func fullyUndone(statusID int) string {
	switch config.OrderStatus(statusID) {
	case config.StatusRefunded:
		return ExitRefunded
	case config.StatusCancelled:
		return ExitCancelled
	}
	return ""
}
