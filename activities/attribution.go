package activities

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// RecoveryKey is the dedupe key of an order's "recovered" decision: an
// order is recovered at most once, whether its cart's flow saw the
// conversion or the order hub attributed it (AttributeOrder).
func RecoveryKey(storeHash string, orderID int64) string {
	return "recovered/" + storeHash + "/" + strconv.FormatInt(orderID, 10)
}

// AttributeOrderInput asks whether an order was recovered by a cart
// reminder sent to the same shopper.
type AttributeOrderInput struct {
	StoreHash   string
	OrderID     int64
	CustomerKey string
	// CartFlowPrefix starts the workflow id of every cart recovery flow of
	// the store: their messages' idempotency keys start with it.
	CartFlowPrefix string
	// Email is the shopper's email, when known.
	Email string `json:",omitempty"`
	// At is when the order was placed (the hub's time).
	At time.Time
	// Window is the attribution window of the order's channel.
	Window time.Duration
}

// AttributeOrder records an order as recovered when a cart recovery
// message reached the same shopper within the attribution window before it
// (an order from another cart, or after the cart's flow ended, still counts
// against the last message sent), once per order. It returns the recovery,
// or a zero one when no message qualifies.
func (a *Activities) AttributeOrder(ctx context.Context, in AttributeOrderInput) (Recovery, error) {
	if in.CustomerKey == "" || in.Window <= 0 || in.CartFlowPrefix == "" {
		return Recovery{}, nil
	}
	msg, found, err := a.Store.LastSentMessage(ctx, in.StoreHash, in.CustomerKey, in.CartFlowPrefix, in.At.Add(-in.Window), in.At)
	if err != nil {
		return Recovery{}, fmt.Errorf("attribute order %d: %w", in.OrderID, err)
	}
	if !found {
		return Recovery{}, nil
	}
	cut := strings.LastIndexByte(msg.IdempotencyKey, '/')
	if cut <= 0 {
		return Recovery{}, nil
	}
	return a.RecordRecovery(ctx, RecoveryInput{
		StoreHash: in.StoreHash, CustomerKey: in.CustomerKey, Email: in.Email, WorkflowID: msg.IdempotencyKey[:cut],
		OrderID: in.OrderID, LastStep: msg.IdempotencyKey[cut+1:], At: in.At,
	})
}
