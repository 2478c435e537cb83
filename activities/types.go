package activities

import (
	"time"

	"github.com/bcflow/bcflow/config"
)

// CartRef names one cart.
type CartRef struct {
	StoreHash string
	CartID    string
}

// LineItem is one cart or order line, as message templates need it.
type LineItem struct {
	ProductID  int64
	VariantID  int64
	SKU        string
	Name       string
	Quantity   int
	Price      string // decimal string in the cart's currency, e.g. "12.50"
	ImageURL   string
	ProductURL string
}

// Shopper is who a flow is talking to, with their consent as BigCommerce
// and the suppression list know it.
type Shopper struct {
	CustomerID int64 // 0 for guests
	Email      string
	FirstName  string
	LastName   string
	// Phone is in E.164 (the customer's, else the order's billing phone),
	// "" when none could be normalised (config.Consent.DefaultCountryCode).
	Phone   string
	GroupID int64
	// AcceptsMarketing is the customer's newsletter/marketing consent
	// (guests: the consent captured at checkout, false if unknown).
	AcceptsMarketing bool
	// AcceptsAbandonedCartEmails mirrors BigCommerce's
	// accepts_product_review_abandoned_cart_emails (registered customers).
	AcceptsAbandonedCartEmails bool
	// SMSConsent is the shopper's SMS opt-in from the consent source named
	// in the flows file (config.Consent); false for guests.
	SMSConsent bool
	// WhatsAppConsent is the WhatsApp opt-in, from the same source.
	WhatsAppConsent bool
	// Suppressed is set when the email is on the suppression list.
	Suppressed       bool
	SuppressedReason string
}

// CustomerKey identifies the shopper in bcflow's tables: "c:{id}" for
// registered customers, "e:{email}" for guests.
func (s Shopper) CustomerKey() string {
	if s.CustomerID > 0 {
		return "c:" + itoa(s.CustomerID)
	}
	if s.Email != "" {
		return "e:" + lower(s.Email)
	}
	return ""
}

// CartSnapshot is the truth about a cart as BigCommerce has it now.
type CartSnapshot struct {
	CartRef
	// Exists is false when BigCommerce answers 404 (deleted or converted).
	Exists    bool
	ChannelID int
	Shopper   Shopper
	Items     []LineItem
	ItemCount int
	Amount    string // cart_amount, decimal string
	Currency  string
	// OrderID is set when an order was placed from this cart.
	OrderID int64
	// RecoveryURL brings the shopper back to the cart: the checkout
	// redirect URL where the platform allows it, otherwise the
	// abandoned-cart token link, absolute against the channel's storefront.
	// It is "" when no storefront URL is known (see LinkProblem).
	RecoveryURL string
	// LinkProblem is set when a relative link (the recovery link, a
	// product or image URL) had to be left out because the channel has no
	// storefront URL; a flow must not send a message whose link is missing.
	LinkProblem string
}

// LoadCartInput asks for a cart's snapshot.
type LoadCartInput struct {
	CartRef
	// Token is the abandoned-cart token, when known, for the recovery link.
	Token string
	// WithRecoveryURL asks for the recovery link (only needed before sends).
	WithRecoveryURL bool
}

// FlowsInput asks for the flows that apply to a store's channel.
type FlowsInput struct {
	StoreHash string
	ChannelID int
}

// SendWindowInput asks whether a message may go now.
type SendWindowInput struct {
	StoreHash   string
	CustomerKey string
	Channel     config.Channel
	At          time.Time
	QuietHours  *config.QuietHours
	Caps        []config.FrequencyCap
}

// SendWindow answers SendWindowInput: zero DeferUntil means send now.
type SendWindow struct {
	DeferUntil time.Time
	Reason     string // "quiet hours" or "frequency cap: 3 email per 24h"
}

// CouponInput asks for a unique coupon code.
type CouponInput struct {
	StoreHash string
	// Code is derived deterministically by the workflow, so a retried
	// activity finds the code it already created instead of making a new one.
	Code      string
	Percent   int
	ExpiresAt time.Time
	// Segment, if set, restricts the coupon to the members of that segment
	// (its promotion targets the segment's BigCommerce customer segment).
	Segment string `json:",omitempty"`
}

// Coupon is a code the shopper can use at checkout.
type Coupon struct {
	Code      string
	Percent   int
	ExpiresAt time.Time
	// Unavailable, when set, says why no coupon could be made (a segment
	// coupon in a store without the Customer Segmentation API): Code is
	// empty and the step cannot go out as written.
	Unavailable string `json:",omitempty"`
}

// SendInput is one message to send exactly once.
type SendInput struct {
	// IdempotencyKey is derived from workflow id + step; it is the messages
	// table's unique key and Brevo's idempotencyKey.
	IdempotencyKey string
	StoreHash      string
	ChannelID      int
	WorkflowID     string
	// Flow is the flow sending (the name its decisions carry, e.g.
	// "cart-recovery"); the messages row keeps it with Step.
	Flow     string `json:",omitempty"`
	Step     string
	Shopper  Shopper
	Channel  config.Channel
	Template config.Template
	Params   map[string]any
	Tags     []string
}

// SendOutcome says what happened to a SendInput.
type SendOutcome struct {
	// Status is SendSent, SendAlreadySent (a retry found the earlier send),
	// SendSuppressed (the address opted out; nothing was sent), SendRefused
	// (nothing was sent; Reason says why) or SendUnknown (an SMS or WhatsApp
	// that may or may not have gone out).
	Status            string
	ProviderMessageID string
	// Reason is the provider's (or the template's) reason for SendRefused.
	Reason string `json:",omitempty"`
}

// DecisionInput is one line of the decision log.
type DecisionInput struct {
	StoreHash   string
	CustomerKey string
	// Email is the shopper's email when the flow knows it: the timeline
	// finds a registered customer by it.
	Email      string `json:",omitempty"`
	WorkflowID string
	// ChannelID is the BigCommerce channel the decision is about (0:
	// unknown, the whole store).
	ChannelID int64 `json:",omitempty"`
	Flow      string
	Step      string
	Decision  string
	Reason    string
	Details   map[string]any
	At        time.Time
	// Amount is the money the decision is about, a decimal string
	// ("123.45"): an order's total for "recovered" and "converted"; ""
	// for none. One that does not parse is recorded as 0.
	Amount string `json:",omitempty"`
	// DedupeKey, when set, makes the decision once per key whatever its
	// time (a recovery is once per order); otherwise it is derived from
	// the store, workflow, step, decision and time.
	DedupeKey string `json:",omitempty"`
}

// RecoveryInput attributes an order's revenue to a cart flow's last send.
type RecoveryInput struct {
	StoreHash   string
	CustomerKey string
	// Email is the shopper's email, when known (the timeline by email).
	Email      string `json:",omitempty"`
	WorkflowID string
	OrderID    int64
	LastStep   string
	At         time.Time
}

// Recovery is what RecordRecovery recorded.
type Recovery struct {
	OrderID  int64
	Total    string
	Currency string
}
