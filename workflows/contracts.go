package workflows

import (
	"strconv"
	"time"

	"github.com/bcflow/bcflow/activities"
)

// Workflow type names. They are part of bcflow's contract with running
// histories: never rename one.
const (
	// CartRecoveryWorkflowName recovers one abandoned cart.
	CartRecoveryWorkflowName = "CartRecovery"
	// OrderLifecycleWorkflowName follows one order from placement to its
	// post-purchase flows (goals, loyalty, review request, survey).
	OrderLifecycleWorkflowName = "OrderLifecycle"
	// ContactSyncWorkflowName mirrors one BigCommerce customer to the
	// messaging provider's contact.
	ContactSyncWorkflowName = "ContactSync"
)

// Flow names, the value of the BcFlow search attribute.
const (
	FlowCartRecovery   = "cart-recovery"
	FlowOrderLifecycle = "order-lifecycle"
	FlowContactSync    = "contact-sync"
)

// Workflow ids are deterministic, {flow}/{store_hash}/{entity_id}, so the
// same event always lands on the same workflow: a webhook that slips past
// the dedupe table signals the existing run instead of starting another.

// CartRecoveryID is the workflow id of a cart's recovery flow.
func CartRecoveryID(storeHash, cartID string) string { return "cart/" + storeHash + "/" + cartID }

// OrderLifecycleID is the workflow id of an order's lifecycle flow.
func OrderLifecycleID(storeHash string, orderID int64) string {
	return "order/" + storeHash + "/" + strconv.FormatInt(orderID, 10)
}

// ContactSyncID is the workflow id of a customer's contact sync.
func ContactSyncID(storeHash string, customerID int64) string {
	return "contact/" + storeHash + "/" + strconv.FormatInt(customerID, 10)
}

// Signal names. Like workflow names they are a contract with histories.
const (
	// SignalCartActivity: the shopper changed the cart; the inactivity
	// clock restarts.
	SignalCartActivity = "cart-activity"
	// SignalCartAbandoned: BigCommerce declared the cart abandoned.
	SignalCartAbandoned = "cart-abandoned"
	// SignalCartExit: the cart converted or was deleted; the flow ends.
	SignalCartExit = "cart-exit"
	// SignalUnsubscribed: the shopper opted out; every flow of theirs ends
	// its marketing.
	SignalUnsubscribed = "unsubscribed"
	// SignalOrderCreated: BigCommerce created the order (any status,
	// including Incomplete).
	SignalOrderCreated = "order-created"
	// SignalOrderStatus: the order's status changed.
	SignalOrderStatus = "order-status"
	// SignalOrderRefund: a refund was created on the order.
	SignalOrderRefund = "order-refund"
	// SignalShipment: a shipment was created for the order.
	SignalShipment = "shipment-created"
	// SignalCustomerChanged: the customer record changed; sync again.
	SignalCustomerChanged = "customer-changed"
	// SignalOrderUpdated: BigCommerce reported store/order/updated (status,
	// coupon, addresses... changed); the hub re-reads the order. Payload
	// OrderEvent.
	SignalOrderUpdated = "order-updated"
)

// contractSignals are every signal bcflow sends to its flows; a flow drains
// all of them before it completes (flowRun.settle), the ones it does not
// use included.
var contractSignals = []string{
	SignalCartActivity, SignalCartAbandoned, SignalCartExit, SignalUnsubscribed, SignalOrderCreated, SignalOrderStatus,
	SignalOrderRefund, SignalShipment, SignalCustomerChanged, SignalOrderUpdated, SignalCatalogChanged,
	SignalSegmentsChanged, SignalSegmentsRecompute,
}

// CartRecoveryInput starts a cart's recovery flow.
type CartRecoveryInput struct {
	StoreHash string
	CartID    string
	// Carry is what the previous run carried over (continue-as-new); nil
	// for a cart's first run.
	Carry *CartRecoveryCarry `json:",omitempty"`
}

// CartRecoveryCarry is the state a cart's recovery carries into its next
// run when its history is full (many cart changes).
type CartRecoveryCarry struct {
	FlowCarry
	// Round is the number of abandonments so far.
	Round int
	// Token is the abandoned-cart token, for the recovery link.
	Token string `json:",omitempty"`
	// Sent are the steps already sent (never sent twice).
	Sent []string `json:",omitempty"`
	// LastSentAt is when the last step went out.
	LastSentAt time.Time `json:",omitempty"`
	// ChannelID is the cart's storefront.
	ChannelID int `json:",omitempty"`
	// CustomerKey is the shopper as identified ("c:{id}" or "e:{email}").
	CustomerKey string `json:",omitempty"`
	// Abandoned: BigCommerce declared the cart abandoned and no wait has
	// used it yet.
	Abandoned bool `json:",omitempty"`
	// AbandonedEventAt is the latest abandonment notice's created_at.
	AbandonedEventAt time.Time `json:",omitempty"`
	// HoldoutGroup is the cart's holdout group, "" when not assigned.
	HoldoutGroup string `json:",omitempty"`
	// ObserveUntil is when the holdout comparison stops watching for the
	// cart's order.
	ObserveUntil time.Time `json:",omitempty"`
}

// CartActivity is the payload of SignalCartActivity.
type CartActivity struct {
	// Scope is the BigCommerce webhook scope that reported the change.
	Scope string
	// EventTime is the webhook's created_at.
	EventTime time.Time
}

// CartAbandoned is the payload of SignalCartAbandoned.
type CartAbandoned struct {
	// Token is the abandoned-cart token, for the recovery link.
	Token string
	// EventTime is the webhook's created_at.
	EventTime time.Time
}

// Exit reasons recorded when a flow ends early.
const (
	ExitConverted    = "converted"
	ExitDeleted      = "deleted"
	ExitEmptied      = "emptied"
	ExitUnsubscribed = "unsubscribed"
	ExitOrderPlaced  = "order-placed"
	// ExitRefunded: the order was refunded (fully or partly); its pending
	// post-purchase steps are cancelled.
	ExitRefunded = "refunded"
	// ExitCancelled: the order was cancelled.
	ExitCancelled = "cancelled"
)

// OrderStatusExit returns the exit reason an order entering statusID gives
// the order's pending post-purchase steps: ExitRefunded for Refunded (4) and
// Partially Refunded (14), ExitCancelled for Cancelled (5), "" otherwise.
func OrderStatusExit(statusID int) string {
	switch statusID {
	case 4, 14:
		return ExitRefunded
	case 5:
		return ExitCancelled
	}
	return ""
}

// CartExit is the payload of SignalCartExit.
type CartExit struct {
	// Reason is one of the Exit constants.
	Reason string
	// OrderID is the order that converted the cart, when known.
	OrderID int64
	// EventTime is the webhook's created_at.
	EventTime time.Time
}

// Unsubscribed is the payload of SignalUnsubscribed.
type Unsubscribed struct {
	Email  string
	Reason string // unsubscribed, hard_bounce, spam, api
}

// OrderLifecycleInput starts an order's lifecycle flow.
type OrderLifecycleInput struct {
	StoreHash string
	OrderID   int64
	// Carry is what the previous run carried over (continue-as-new).
	Carry HubCarry `json:",omitempty"`
}

// HubCarry is what an order's hub carries into its next run.
type HubCarry struct {
	FlowCarry
	// Pending are the signals read and not acted on yet, in order.
	Pending []HubSignal `json:",omitempty"`
	// RefreshDue: an edit of the order is not re-read yet.
	RefreshDue bool `json:",omitempty"`
}

// HubSignal is one order signal the hub read and has not acted on yet.
type HubSignal struct {
	Name         string
	Status       *OrderStatus  `json:",omitempty"`
	Event        *OrderEvent   `json:",omitempty"`
	Unsubscribed *Unsubscribed `json:",omitempty"`
}

// FlowCarry is what every flow carries into its next run when its history
// is full (continue-as-new): the counts of the signals it handled, so none
// is lost from view.
type FlowCarry struct {
	Signals []SignalCount `json:",omitempty"`
}

// OrderStatus is the payload of SignalOrderStatus.
type OrderStatus struct {
	PreviousStatusID int
	NewStatusID      int
	EventTime        time.Time
}

// OrderEvent is the payload of SignalOrderCreated, SignalOrderUpdated,
// SignalOrderRefund and SignalShipment.
type OrderEvent struct {
	// Scope is the BigCommerce webhook scope.
	Scope string
	// ID is the refund or shipment id, when the payload has one.
	ID int64
	// EventTime is the webhook's created_at.
	EventTime time.Time
}

// ContactSyncInput starts a customer's contact sync.
type ContactSyncInput struct {
	StoreHash  string
	CustomerID int64
	// Carry is what the previous run carried over (continue-as-new).
	Carry ContactSyncCarry `json:",omitempty"`
}

// ContactSyncCarry is the state a customer's contact sync carries into its
// next run.
type ContactSyncCarry struct {
	FlowCarry
	// Changed: a change arrived that no sync has covered yet.
	Changed bool `json:",omitempty"`
	// Created: the customer was created (the account-creation bonus is due).
	Created bool `json:",omitempty"`
	// BonusChecked: the account-creation bonus was looked at.
	BonusChecked bool `json:",omitempty"`
	// Syncs is the number of syncs of the earlier runs.
	Syncs int `json:",omitempty"`
	// Email is the contact's email as last synced.
	Email string `json:",omitempty"`
}

// CustomerChanged is the payload of SignalCustomerChanged.
type CustomerChanged struct {
	Scope     string
	EventTime time.Time
}

// Child flows of OrderLifecycle. The hub starts each one when the order's
// status calls for it and forwards every later OrderStatus signal (refunds,
// cancellations) to the ones still running.
const (
	// OrderGoalsWorkflowName evaluates the Keap-style goals of a placed
	// order (BCORDER new/repeat, BCSKU, BCCOUPON, customer group) and runs
	// their sequences.
	OrderGoalsWorkflowName = "OrderGoals"
	// LoyaltyAwardWorkflowName awards (and on refund reverses) an order's
	// loyalty points.
	LoyaltyAwardWorkflowName = "LoyaltyAward"
	// ReviewRequestWorkflowName asks for a review some days after the order
	// completes.
	ReviewRequestWorkflowName = "ReviewRequest"
	// ShipmentSurveyWorkflowName invites the shopper to a survey after a
	// shipment.
	ShipmentSurveyWorkflowName = "ShipmentSurvey"
)

// Flow names of the child flows (BcFlow search attribute values).
const (
	FlowOrderGoals     = "order-goals"
	FlowLoyalty        = "loyalty"
	FlowReviewRequest  = "review-request"
	FlowShipmentSurvey = "shipment-survey"
)

// OrderGoalsID is the workflow id of an order's goals flow.
func OrderGoalsID(storeHash string, orderID int64) string {
	return "goals/" + storeHash + "/" + strconv.FormatInt(orderID, 10)
}

// LoyaltyAwardID is the workflow id of an order's loyalty award.
func LoyaltyAwardID(storeHash string, orderID int64) string {
	return "loyalty/" + storeHash + "/" + strconv.FormatInt(orderID, 10)
}

// ReviewRequestID is the workflow id of an order's review request.
func ReviewRequestID(storeHash string, orderID int64) string {
	return "review/" + storeHash + "/" + strconv.FormatInt(orderID, 10)
}

// ShipmentSurveyID is the workflow id of an order's survey invitation.
func ShipmentSurveyID(storeHash string, orderID int64) string {
	return "survey/" + storeHash + "/" + strconv.FormatInt(orderID, 10)
}

// OrderChildInput starts any child flow of an order.
type OrderChildInput struct {
	StoreHash string
	OrderID   int64
	ChannelID int
	// StatusID is the order status that triggered the child.
	StatusID int
	// CustomerKey is the order's shopper as the hub knew it ("c:{id}" or
	// "e:{email}", activities.Shopper.CustomerKey), so the child's
	// decisions reach the customer timeline from the first; empty from
	// hubs started before it was added.
	CustomerKey string
	// LoyaltyWatch is what a LoyaltyAward run carries into its next run
	// (continue-as-new); nil on the first run.
	LoyaltyWatch *LoyaltyWatch `json:",omitempty"`
}

// LoyaltyWatch is the state of an order's award while it watches refunds.
type LoyaltyWatch struct {
	FlowCarry
	// Result is the award so far (points awarded, reversed, tier).
	Result LoyaltyAwardResult
	// Deadline is the end of the refund horizon.
	Deadline time.Time
}

// Customer segments (issue #13): the store's push of membership changes,
// the sequences segment crossings start, and the recompute of a store's
// segments.
const (
	// SegmentSyncWorkflowName pushes a store's segment membership changes
	// to BigCommerce and Brevo and starts the segment flows of the
	// crossings, whenever it is nudged.
	SegmentSyncWorkflowName = "SegmentSync"
	// SegmentFlowWorkflowName runs the sequence of one segment_flows entry
	// for one crossing of one shopper.
	SegmentFlowWorkflowName = "SegmentFlow"
	// SegmentRecomputeWorkflowName recomputes a store's segments (all, one,
	// or only the time-based ones), segment by segment.
	SegmentRecomputeWorkflowName = "SegmentRecompute"
)

// Flow names of the segment workflows (BcFlow search attribute values).
const (
	FlowSegmentSync      = "segment-sync"
	FlowSegment          = "segment-flow"
	FlowSegmentRecompute = "segment-recompute"
)

// Signals and queries of the segment workflows.
const (
	// SignalSegmentsChanged: memberships of the store changed (no
	// payload); SegmentSync coalesces any number into one push.
	SignalSegmentsChanged = "segments-changed"
	// SignalSegmentsRecompute asks a running SegmentRecompute for another
	// pass (payload SegmentRecomputeRequest); requests coalesce.
	SignalSegmentsRecompute = "segments-recompute"
	// QuerySegmentsProgress returns a recompute's progress
	// (SegmentRecomputeProgress).
	QuerySegmentsProgress = "segments-progress"
)

// SegmentSyncID is the workflow id of a store's segment sync:
// segments/{store_hash}.
func SegmentSyncID(storeHash string) string { return "segments/" + storeHash }

// SegmentRecomputeID is the workflow id of a store's segment recompute:
// segments-recompute/{store_hash}.
func SegmentRecomputeID(storeHash string) string { return "segments-recompute/" + storeHash }

// SegmentFlowID is the workflow id of a segment flow started by one
// crossing: segment-flow/{store}/{flow}/{shopper key}/{crossed at, unix
// seconds}. The shopper key holds no personal data
// (activities.SegmentShopperKey).
func SegmentFlowID(storeHash, flow, shopperKey string, crossedAt time.Time) string {
	return "segment-flow/" + storeHash + "/" + flow + "/" + shopperKey + "/" + strconv.FormatInt(crossedAt.Unix(), 10)
}

// SegmentSyncInput starts (or continues) a store's segment sync.
type SegmentSyncInput struct {
	StoreHash string
	// Carry is what the previous run carried over (continue-as-new).
	Carry SegmentSyncCarry `json:",omitempty"`
}

// SegmentSyncCarry is what a segment sync carries into its next run.
type SegmentSyncCarry struct {
	FlowCarry
	// Pending: a nudge arrived that no push has covered yet.
	Pending bool `json:",omitempty"`
	// Pushes and Started are the earlier runs' totals.
	Pushes  int `json:",omitempty"`
	Started int `json:",omitempty"`
	// BigCommerceUnavailable: the decision that the store has no
	// Segmentation API is recorded (once, until it has one again).
	BigCommerceUnavailable bool `json:",omitempty"`
}

// SegmentFlowInput starts a segment flow for one crossing.
type SegmentFlowInput struct {
	StoreHash string
	// Flow is the segment_flows entry's name.
	Flow    string
	Segment string
	// Entered: the crossing is an entry (else an exit).
	Entered bool
	// At is when the shopper crossed; step delays count from it.
	At         time.Time
	CustomerID int64
	// Email is the shopper (never in the workflow id or search attributes).
	Email     string
	ChannelID int
}

// SegmentRecomputeInput starts a store's segment recompute.
type SegmentRecomputeInput struct {
	StoreHash string
	// Segment is the one segment to recompute ("" = all).
	Segment string `json:",omitempty"`
	// TimeOnly: only the time-based segments, only the shoppers whose dates
	// can have crossed a bound since the last time-only run (the daily
	// schedule).
	TimeOnly bool `json:",omitempty"`
	// Carry is what the previous run carried over (continue-as-new).
	Carry *SegmentRecomputeCarry `json:",omitempty"`
}

// SegmentRecomputeRequest is the payload of SignalSegmentsRecompute.
type SegmentRecomputeRequest struct {
	Segment  string `json:",omitempty"`
	TimeOnly bool   `json:",omitempty"`
}

// SegmentRecomputeCarry is what a recompute carries into its next run.
type SegmentRecomputeCarry struct {
	FlowCarry
	// Progress is the pass under way.
	Progress SegmentRecomputeProgress
	// Requested is the next pass asked for meanwhile, if any.
	Requested *SegmentRecomputeRequest `json:",omitempty"`
}

// SegmentRecomputeProgress is a recompute's progress (query
// QuerySegmentsProgress, memo segments_progress).
type SegmentRecomputeProgress struct {
	StoreHash string
	Segment   string `json:",omitempty"`
	TimeOnly  bool   `json:",omitempty"`
	// Status is running or completed.
	Status    string
	StartedAt time.Time
	// Segments are the steps of the pass: one, for Segment ("" = all, in
	// one engine run whose heartbeat carries the segment under way).
	Segments []SegmentRecomputeStep
	// Passes counts the passes this workflow ran (a request during a pass
	// adds one).
	Passes int
}

// SegmentRecomputeStep is one step of a recompute pass.
type SegmentRecomputeStep struct {
	// Segment is the segment recomputed ("" = all).
	Segment string
	Done    bool
	Result  activities.SegmentRecomputeResult
}
