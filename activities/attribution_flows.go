package activities

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// AttributionKey is the dedupe key of an order's last-touch "converted"
// decision: an order is attributed to one flow message at most, whatever
// retries and re-drives of the order hub record it again.
func AttributionKey(storeHash string, orderID int64) string {
	return "attributed/" + storeHash + "/" + strconv.FormatInt(orderID, 10)
}

// AttributionReason is the reason of a last-touch "converted" decision.
const AttributionReason = "order placed within the attribution window of a message"

// placedSlack widens the order's placed time: BigCommerce keeps whole
// seconds, so a message sent in the order's second still counts.
const placedSlack = time.Second

// AttributeToFlowsInput asks which flow message, if any, an order converts
// for (last touch).
type AttributeToFlowsInput struct {
	StoreHash   string
	OrderID     int64
	CustomerKey string
	// Email is the shopper's email, when known (the timeline by email).
	Email string `json:",omitempty"`
	// ExcludeFlow is the flow whose messages have an attribution of their
	// own (cart recovery's "recovered"): they are not candidates.
	ExcludeFlow string
	// At is when the hub attributes (the workflow's time); the decision's
	// time.
	At time.Time
	// PlacedAt is the order's creation time when known: messages sent after
	// it (the order's own post-purchase messages, on a later run) are not
	// candidates.
	PlacedAt time.Time `json:",omitzero"`
	// Window is the attribution window of the order's channel.
	Window time.Duration
	// The order's channel, total (decimal string) and currency, from the
	// hub's snapshot.
	ChannelID int
	Total     string
	Currency  string `json:",omitempty"`
}

// Attribution is the flow message an order was attributed to; zero when
// none qualified.
type Attribution struct {
	OrderID    int64  `json:",omitempty"`
	Flow       string `json:",omitempty"`
	Step       string `json:",omitempty"`
	WorkflowID string `json:",omitempty"`
	Total      string `json:",omitempty"`
}

// AttributeOrderToFlows records last-touch attribution for an order: the
// newest message sent to the shopper by any flow but in.ExcludeFlow within
// the window before the order gets a "converted" decision in its flow and
// step, with the order's total as amount and the order's channel, once per
// order (AttributionKey). An order already recovered by a cart reminder
// (RecoveryKey) is not attributed again. Messages without a flow (rows
// written before messages carried one) never count.
func (a *Activities) AttributeOrderToFlows(ctx context.Context, in AttributeToFlowsInput) (Attribution, error) {
	if in.CustomerKey == "" || in.Window <= 0 {
		return Attribution{}, nil
	}
	recovered, err := a.Store.HasDecision(ctx, RecoveryKey(in.StoreHash, in.OrderID))
	if err != nil {
		return Attribution{}, fmt.Errorf("attribute order %d to flows: %w", in.OrderID, err)
	}
	if recovered {
		return Attribution{}, nil
	}
	to := in.At
	if p := in.PlacedAt.Add(placedSlack); !in.PlacedAt.IsZero() && p.Before(to) {
		to = p
	}
	msg, found, err := a.Store.LastFlowMessage(ctx, in.StoreHash, in.CustomerKey, in.ExcludeFlow, to.Add(-in.Window), to)
	if err != nil {
		return Attribution{}, fmt.Errorf("attribute order %d to flows: %w", in.OrderID, err)
	}
	if !found {
		return Attribution{}, nil
	}
	wfID := messageWorkflowID(msg.IdempotencyKey, msg.Step)
	err = a.RecordDecision(ctx, DecisionInput{
		StoreHash: in.StoreHash, CustomerKey: in.CustomerKey, Email: in.Email, WorkflowID: wfID, Flow: msg.Flow, Step: msg.Step,
		ChannelID: int64(in.ChannelID), Amount: in.Total, Decision: "converted", Reason: AttributionReason,
		DedupeKey: AttributionKey(in.StoreHash, in.OrderID),
		Details: map[string]any{"order_id": in.OrderID, "total": in.Total, "currency": in.Currency,
			"message": msg.IdempotencyKey, "sent_at": msg.SentAt.UTC().Format(time.RFC3339)},
		At: in.At,
	})
	if err != nil {
		return Attribution{}, fmt.Errorf("attribute order %d to flows: %w", in.OrderID, err)
	}
	return Attribution{OrderID: in.OrderID, Flow: msg.Flow, Step: msg.Step, WorkflowID: wfID, Total: in.Total}, nil
}

// messageWorkflowID is the workflow id of the flow that sent a message:
// its idempotency key is the workflow id and the step, joined by "/".
func messageWorkflowID(key, step string) string {
	if step != "" && strings.HasSuffix(key, "/"+step) {
		return strings.TrimSuffix(key, "/"+step)
	}
	if cut := strings.LastIndexByte(key, '/'); cut > 0 {
		return key[:cut]
	}
	return key
}
