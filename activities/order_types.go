package activities

import (
	"strings"
	"time"
)

// OrderInput asks for an order's snapshot.
type OrderInput struct {
	StoreHash string
	OrderID   int64
	// WithDetails also loads the order's lines (with their products' own
	// SKUs from the catalog), its coupon codes, and the shopper with consent
	// and customer group.
	WithDetails bool
	// WithShipments also loads the order's shipments.
	WithShipments bool
	// Mirror also writes the order, with its line items, into the store
	// mirror and pushes it to the provider when it changed (the order hub's
	// live sync).
	Mirror bool `json:",omitempty"`
}

// OrderSnapshot is the truth about an order as BigCommerce has it now.
type OrderSnapshot struct {
	StoreHash string
	OrderID   int64
	// Exists is false when BigCommerce answers 404 or the order is deleted
	// (archived).
	Exists     bool
	StatusID   int
	Status     string // the store's status label
	CustomerID int64  // 0 for guests
	// BillingEmail is the billing address's email, the identity of guests.
	BillingEmail  string
	ChannelID     int
	CartID        string
	Currency      string
	SubtotalExTax string // decimal strings in the order's currency
	TotalIncTax   string
	PaymentMethod string
	DateCreated   time.Time
	// ItemsTotal is the number of items ordered.
	ItemsTotal int

	// With details.
	Lines   []OrderLine
	Coupons []string // codes, as the shopper typed them
	Shopper Shopper
	// GroupName is the name of the customer's group (registered customers
	// in a group only).
	GroupName string
	// LinkProblem is set when a line's relative product or image URL had
	// to be left out because the channel has no storefront URL; a flow must
	// not send a message (a review request) whose link is missing.
	LinkProblem string

	// With shipments.
	Shipments []ShipmentInfo
}

// CustomerKey identifies the order's shopper in bcflow's tables, from the
// order alone: "c:{id}" for registered customers, "e:{email}" for guests.
func (o OrderSnapshot) CustomerKey() string {
	return Shopper{CustomerID: o.CustomerID, Email: o.BillingEmail}.CustomerKey()
}

// OrderLine is one line of an order.
type OrderLine struct {
	LineItem
	// ProductSKU is the SKU of the line's product; LineItem.SKU is the
	// variant's own SKU when the product has variants ("TEE" and "TEE-M").
	ProductSKU string
}

// HasSKU reports whether the line is sku, as a variant or as its product
// (case-insensitive, as BigCommerce SKUs are).
func (l OrderLine) HasSKU(sku string) bool {
	sku = strings.TrimSpace(sku)
	return sku != "" && (strings.EqualFold(l.SKU, sku) || strings.EqualFold(l.ProductSKU, sku))
}

// ShipmentInfo is one shipment of an order.
type ShipmentInfo struct {
	ID             int64
	TrackingNumber string
	Carrier        string // tracking_carrier, else shipping_provider
	TrackingLink   string
	ShippingMethod string
}

// OrderHistoryInput asks how many placed orders the shopper had before an
// order.
type OrderHistoryInput struct {
	StoreHash string
	// OrderID is the order in question: only orders with a lower id count.
	OrderID int64
	// CustomerID, when set, counts the customer's orders; otherwise Email
	// counts the orders with that billing email (guests).
	CustomerID int64
	Email      string
	// PlacedStatuses are the status ids that count as placed.
	PlacedStatuses []int
}

// OrderHistory answers OrderHistoryInput.
type OrderHistory struct {
	// EarlierPlaced is the number of earlier orders now in a placed status.
	EarlierPlaced int
}

// ReorderInput asks whether the shopper ordered a SKU again after an order.
type ReorderInput struct {
	StoreHash string
	// OrderID is the first order: only orders with a higher id count.
	OrderID int64
	// CustomerID, when set, selects the customer's orders; otherwise Email
	// selects the orders with that billing email (guests).
	CustomerID int64
	Email      string
	SKU        string
	// PlacedStatuses are the status ids that count as placed.
	PlacedStatuses []int
}

// Reorder answers ReorderInput.
type Reorder struct {
	// OrderID is the first later placed order containing the SKU, 0 if none.
	OrderID int64
}

// EventInput is a custom event to track at the messaging provider.
type EventInput struct {
	StoreHash string
	// Name is the event name, e.g. "bcorder_new_customer".
	Name string
	// Email identifies the contact; Phone is used only without an email.
	Email string
	Phone string
	// Properties describe the event (order id, total, SKU...).
	Properties map[string]any
	// ContactProperties update the contact's attributes with the event.
	ContactProperties map[string]any
	// At is when the event happened (workflow time).
	At time.Time
	// Key makes the event once per store: derived by the workflow from its
	// id, the event's name and what makes this event distinct (see
	// TrackEvent). Empty tracks without a claim.
	Key string `json:",omitempty"`
}

// ContactTagsInput adds tags to a contact at the messaging provider.
type ContactTagsInput struct {
	StoreHash string
	Email     string
	FirstName string
	LastName  string
	Tags      []string
}

// ContactTags answers ContactTagsInput.
type ContactTags struct {
	// Tags is the contact's whole tag set as bcflow now knows it.
	Tags []string
}

// GoalInput records that an order reached a goal.
type GoalInput struct {
	StoreHash   string
	OrderID     int64
	CustomerKey string
	// Goal is the goal's call name, e.g. "BCwelcome".
	Goal       string
	WorkflowID string
	// At is the workflow time of the decision; a retry passes the same.
	At time.Time
}

// GoalRecord answers GoalInput.
type GoalRecord struct {
	// Fresh is false when the goal was already recorded for the order by
	// another workflow run: its effects must not be repeated.
	Fresh bool
}
