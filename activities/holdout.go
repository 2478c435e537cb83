package activities

import (
	"context"
	"strconv"
	"time"
)

// ConversionKey is the dedupe key of an order's "converted" decision: a
// cart's order counts once for its holdout group, whatever retries and
// re-drives of its flow record it again.
func ConversionKey(storeHash string, orderID int64) string {
	return "converted/" + storeHash + "/" + strconv.FormatInt(orderID, 10)
}

// HoldoutAssignmentKey is the dedupe key of a cart's holdout "assigned"
// decision: a cart is assigned once, whatever its flow's runs.
func HoldoutAssignmentKey(storeHash, cartID string) string {
	return "holdout-assigned/" + storeHash + "/" + cartID
}

// ConversionInput records that a cart taking part in the holdout
// comparison became an order.
type ConversionInput struct {
	StoreHash   string
	CustomerKey string
	// Email is the shopper's email, when known (the timeline by email).
	Email      string `json:",omitempty"`
	WorkflowID string
	// Flow and Step name the decision ("cart-recovery", "holdout").
	Flow string
	Step string
	// Group is the cart's holdout group ("holdout" or "messaged"), the
	// decision's reason.
	Group   string
	OrderID int64
	At      time.Time
}

// RecordConversion records a "converted" decision for an order, with the
// order's total as its amount and the order's channel, once per order
// (ConversionKey). It returns the total recorded.
func (a *Activities) RecordConversion(ctx context.Context, in ConversionInput) (Recovery, error) {
	o, rec, err := a.orderTotal(ctx, in.StoreHash, in.OrderID, "record conversion")
	if err != nil {
		return Recovery{}, err
	}
	err = a.RecordDecision(ctx, DecisionInput{
		StoreHash: in.StoreHash, CustomerKey: in.CustomerKey, Email: in.Email, WorkflowID: in.WorkflowID, Flow: in.Flow,
		ChannelID: int64(o.ChannelID), Amount: rec.Total, Step: in.Step, Decision: "converted", Reason: in.Group,
		DedupeKey: ConversionKey(in.StoreHash, in.OrderID),
		Details:   map[string]any{"order_id": in.OrderID, "total": rec.Total, "currency": rec.Currency}, At: in.At,
	})
	return rec, err
}
