package messaging

import (
	"context"
	"time"
)

// StoreSync is a Provider that can hold a copy of a store: its contacts in
// bulk, list membership, and its ecommerce orders, products and categories.
// bcflow's store sync uses it when the provider has it; the calls are
// idempotent (an item with the same id replaces the previous one), split
// into the provider's batch sizes, paced against its rate limits, and fail
// with *Error like every Provider call. None of them ever subscribes a
// contact who unsubscribed or was blocklisted.
type StoreSync interface {
	// ImportContacts creates or updates contacts in bulk and adds them to
	// listIDs (and to each contact's own ListIDs); attributes left empty
	// do not erase what the provider holds, and opt-outs are untouched. The
	// import may complete after the call returns (Brevo imports in the
	// background); nothing is polled.
	ImportContacts(ctx context.Context, contacts []Contact, listIDs []int64) error
	// EnsureList returns the id of the list listName in the folder
	// folderName, creating the folder and the list when missing; ids are
	// cached for the life of the provider.
	EnsureList(ctx context.Context, folderName, listName string) (int64, error)
	// AddToList adds existing contacts to a list by email; members stay,
	// and adding a member again is done, not a failure. failed are the
	// emails (as given) that are not in the list afterwards, because the
	// provider has no such contact (create or import it first) or refused
	// it; the call still succeeds for the others.
	AddToList(ctx context.Context, listID int64, emails []string) (failed []string, err error)
	// RemoveFromList removes contacts from a list by email. notMembers are
	// the emails (as given) the provider did not remove because they were
	// not in the list, or are no contact at all: not an error, the list
	// holds none of them afterwards.
	RemoveFromList(ctx context.Context, listID int64, emails []string) (notMembers []string, err error)
	// UpsertOrders creates or updates orders by id. historical marks them
	// as past data, which fires no provider automation; live orders do.
	UpsertOrders(ctx context.Context, orders []Order, historical bool) error
	// UpsertProducts creates or updates products by id.
	UpsertProducts(ctx context.Context, products []Product) error
	// UpsertCategories creates or updates categories by id.
	UpsertCategories(ctx context.Context, categories []Category) error
	// SyncBatchLimits tells how many items one provider request carries, so
	// that a caller can size its pages (the calls split larger inputs).
	SyncBatchLimits() BatchLimits
	// EnsureContactAttributes creates the contact attributes among attrs
	// that the provider's account does not have yet, so that the values
	// synced into them are kept (Brevo silently drops values of unknown
	// attributes). An attribute that exists is left as it is, whatever its
	// type; what exists is cached for the life of the provider.
	EnsureContactAttributes(ctx context.Context, attrs []ContactAttribute) error
}

// Contact attribute types of ContactAttribute.Type.
const (
	AttributeText    = "text"
	AttributeFloat   = "float"
	AttributeBoolean = "boolean"
	AttributeDate    = "date"
)

// ContactAttribute is a custom contact attribute a sync writes.
type ContactAttribute struct {
	// Name is the attribute's name, upper case by convention ("BC_STORE").
	Name string
	// Type is AttributeText, AttributeFloat, AttributeBoolean or
	// AttributeDate.
	Type string
}

// SyncedContactAttributes are the contact attributes bcflow's syncs write
// and so must exist in the provider's account. EXT_ID is not among them:
// it is Brevo's own external-id identifier, not a custom attribute.
var SyncedContactAttributes = []ContactAttribute{
	{Name: "BC_STORE", Type: AttributeText},
	{Name: "BC_CUSTOMER_ID", Type: AttributeFloat},
	{Name: "BC_CUSTOMER_GROUP_ID", Type: AttributeFloat},
	{Name: "BC_ACCEPTS_MARKETING", Type: AttributeBoolean},
	{Name: "BC_CHANNEL_ID", Type: AttributeFloat},
	{Name: "COMPANY", Type: AttributeText},
	{Name: "LOYALTY_TIER", Type: AttributeText},
	{Name: "BCFLOW_TAGS", Type: AttributeText},
}

// BatchLimits are the largest batches of one request, per kind.
type BatchLimits struct {
	// ContactsPerImport bounds the contacts of one bulk import.
	ContactsPerImport int
	// ContactImportBytes bounds the encoded contacts of one bulk import.
	ContactImportBytes int
	// ListMembersPerCall bounds the emails of one list add or remove.
	ListMembersPerCall int
	// OrdersPerBatch bounds the orders of one batch.
	OrdersPerBatch int
	// OrderBatchBytes bounds the encoded orders of one batch.
	OrderBatchBytes int
	// ProductsPerBatch bounds the products of one batch.
	ProductsPerBatch int
	// CategoriesPerBatch bounds the categories of one batch.
	CategoriesPerBatch int
}

// Order is a store order as the provider's ecommerce data knows it.
type Order struct {
	// ID is the store's order id, unique per store.
	ID string
	// Email identifies the shopper; required unless Billing.Phone is set.
	Email string
	// Status is the order's state in words ("completed", "refunded", …).
	Status string
	// Amount is the total paid, shipping and tax included, as an exact
	// decimal ("153.5"); required.
	Amount string
	// CreatedAt is when the order was placed; UpdatedAt when its status
	// last changed. Both required.
	CreatedAt time.Time
	UpdatedAt time.Time
	// StoreID names the store (or channel) the order was placed in; optional.
	StoreID string
	// Products are the order's lines; at least one is expected.
	Products []OrderProduct
	// Coupons are the coupon codes used; the provider stores them case
	// insensitively.
	Coupons []string
	// Billing is the billing address; optional.
	Billing OrderBilling
}

// OrderProduct is one line of an Order.
type OrderProduct struct {
	// ProductID is the store's product id; required.
	ProductID string
	// VariantID is the store's variant id; optional.
	VariantID string
	// Quantity is the number of items.
	Quantity float64
	// Price is the unit price as an exact decimal ("28.00"); required.
	Price string
}

// OrderBilling is an order's billing details.
type OrderBilling struct {
	// Address is the full street address.
	Address string
	City    string
	// CountryCode is the ISO 3166-1 alpha-2 code ("FR").
	CountryCode string
	Country     string
	// Phone identifies the shopper when Order.Email is empty.
	Phone         string
	PostCode      string
	PaymentMethod string
	// Region is the state or province.
	Region string
}

// Product is a catalog product (or a variant, with ParentID set) as the
// provider's ecommerce data knows it.
type Product struct {
	// ID is the store's product (or variant) id; required.
	ID string
	// Name is required when the product is created.
	Name string
	// URL is the product page; ImageURL its cover image (absolute URLs).
	URL      string
	ImageURL string
	SKU      string
	// Price is the price as an exact decimal; "" sends none.
	Price string
	// Categories are the store's category ids.
	Categories []string
	// ParentID is the parent product of a variant.
	ParentID string
	// MetaInfo holds further text properties (brand, description, …).
	MetaInfo map[string]string
	// Deleted marks a product deleted from the store.
	Deleted bool
}

// Category is a catalog category.
type Category struct {
	// ID is the store's category id; required.
	ID string
	// Name is required when the category is created.
	Name string
	// URL is the category page.
	URL string
	// Deleted marks a category deleted from the store.
	Deleted bool
}
