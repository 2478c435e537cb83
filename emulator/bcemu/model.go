package bcemu

import (
	"time"
)

// Money is an amount in cents of the store currency.
type Money int64

// MoneyFromFloat converts a decimal amount (12.5) to Money (1250 cents), rounding half away from zero.
func MoneyFromFloat(f float64) Money {
	if f < 0 {
		return -Money(-f*100 + 0.5)
	}
	return Money(f*100 + 0.5)
}

// Float returns the amount as a decimal number (1250 → 12.5), as v3 endpoints show it.
func (m Money) Float() float64 { return float64(m) / 100 }

// V2 returns the amount as the four-decimal string the v2 API uses ("12.5000").
func (m Money) V2() string {
	neg := ""
	v := int64(m)
	if v < 0 {
		neg, v = "-", -v
	}
	return neg + itoa(v/100) + "." + pad2(v%100) + "00"
}

// ProductSeed describes one catalog product of a seeded store.
type ProductSeed struct {
	ID          int           `json:"id"`
	Name        string        `json:"name"`
	SKU         string        `json:"sku"`
	Type        string        `json:"type,omitempty"` // "physical" (default) or "digital"
	Description string        `json:"description,omitempty"`
	Price       float64       `json:"price"`
	SalePrice   float64       `json:"sale_price,omitempty"` // 0: no sale
	CostPrice   float64       `json:"cost_price,omitempty"`
	Weight      float64       `json:"weight,omitempty"`
	BrandID     int           `json:"brand_id,omitempty"`
	Brand       string        `json:"brand,omitempty"`
	Categories  []int         `json:"categories,omitempty"`
	Inventory   int           `json:"inventory_level,omitempty"`
	Images      []string      `json:"images,omitempty"` // image file names; URLs are derived from the store
	Variants    []VariantSeed `json:"variants,omitempty"`
	OptionName  string        `json:"option_name,omitempty"` // display name of the variant option ("Size")
	// CustomFields are name → value custom fields, in name order.
	CustomFields map[string]string `json:"custom_fields,omitempty"`
	// Availability is "available" (default), "preorder" or "disabled".
	Availability string `json:"availability,omitempty"`
}

// VariantSeed describes one variant of a seeded product.
type VariantSeed struct {
	ID    int     `json:"id"`
	SKU   string  `json:"sku"`
	Label string  `json:"label"`           // option value label ("Small")
	Price float64 `json:"price,omitempty"` // 0: the product price
}

// CustomerGroupSeed describes a customer group.
type CustomerGroupSeed struct {
	ID        int    `json:"id"`
	Name      string `json:"name"`
	IsDefault bool   `json:"is_default,omitempty"`
}

// CustomerSeed describes a registered customer of a seeded store.
type CustomerSeed struct {
	ID                         int    `json:"id,omitempty"`
	Email                      string `json:"email"`
	FirstName                  string `json:"first_name"`
	LastName                   string `json:"last_name"`
	Phone                      string `json:"phone,omitempty"`
	Company                    string `json:"company,omitempty"`
	GroupID                    int    `json:"customer_group_id,omitempty"`
	AcceptsMarketing           bool   `json:"accepts_marketing,omitempty"`
	AcceptsAbandonedCartEmails bool   `json:"accepts_product_review_abandoned_cart_emails,omitempty"`
	// Attributes are customer attribute values by attribute name.
	Attributes map[string]string `json:"attributes,omitempty"`
}

// StoreSeed configures one emulated store.
type StoreSeed struct {
	Hash         string `json:"hash"`
	AccessToken  string `json:"access_token"`
	ClientSecret string `json:"client_secret"`
	// ClientID is shown as client_id on webhooks; default "<hash>-client".
	ClientID string `json:"client_id,omitempty"`
	// StoreID is the numeric store id sent as store_id in webhook payloads; default derived from Hash.
	StoreID int `json:"store_id,omitempty"`
	// Domain is the storefront base URL used in product, cart and redirect URLs;
	// default "https://store-<hash>.mybigcommerce.com".
	Domain   string `json:"domain,omitempty"`
	Channels []int  `json:"channels,omitempty"`
	// Sites sets the storefront URL of channels (GET /v3/channels/{id}/site);
	// the first channel defaults to Domain, others have no site unless set
	// here. A channel named here and missing from Channels is added.
	Sites   map[int]string `json:"sites,omitempty"`
	Catalog []ProductSeed  `json:"catalog,omitempty"`
	// Categories of the catalog; a category id a product names and no seed
	// declares is created as "Category <id>".
	Categories     []CategorySeed      `json:"categories,omitempty"`
	CustomerGroups []CustomerGroupSeed `json:"customer_groups,omitempty"`
	Customers      []CustomerSeed      `json:"customers,omitempty"`
	// Promotions are coupon promotions with one code each.
	Promotions []PromotionInput `json:"promotions,omitempty"`
	// Quota overrides Options.RateLimitQuota for this store (BigCommerce plans offer 150 or 450).
	Quota int `json:"quota,omitempty"`
	// RateLimitWindow overrides Options.RateLimitWindow for this store.
	RateLimitWindow time.Duration `json:"rate_limit_window,omitempty"`
	// NoSegmentation makes the Customer Segmentation API unavailable, as on
	// a plan without it (see SetSegmentationAvailable).
	NoSegmentation bool `json:"no_segmentation,omitempty"`
}

// StoreInfo is what a client needs to talk to an emulated store.
type StoreInfo struct {
	Hash         string `json:"hash"`
	StoreID      int    `json:"store_id"`
	AccessToken  string `json:"access_token"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	Channels     []int  `json:"channels"`
	Quota        int    `json:"quota"`
	// WindowMs is the rate-limit window in milliseconds.
	WindowMs int64 `json:"window_ms"`
}

// Product is a catalog product.
type Product struct {
	ID          int        `json:"id"`
	Name        string     `json:"name"`
	SKU         string     `json:"sku"`
	Type        string     `json:"type"`
	Description string     `json:"description"`
	Price       Money      `json:"price"`
	SalePrice   Money      `json:"sale_price"`
	CostPrice   Money      `json:"cost_price"`
	Weight      float64    `json:"weight"`
	BrandID     int        `json:"brand_id"`
	Brand       string     `json:"brand"`
	Categories  []int      `json:"categories"`
	Inventory   int        `json:"inventory_level"`
	Slug        string     `json:"slug"`
	OptionID    int        `json:"option_id"`
	OptionName  string     `json:"option_name"`
	Images      []Image    `json:"images"`
	Variants    []*Variant `json:"variants"`
	// CustomFields are the product's name/value custom fields.
	CustomFields []CustomField `json:"custom_fields,omitempty"`
	// Availability is "available" (default), "preorder" or "disabled".
	Availability string    `json:"availability,omitempty"`
	Created      time.Time `json:"date_created"`
	Modified     time.Time `json:"date_modified"`
}

// CustomField is a product custom field.
type CustomField struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Category is a catalog category.
type Category struct {
	ID          int       `json:"id"`
	ParentID    int       `json:"parent_id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	SortOrder   int       `json:"sort_order"`
	IsVisible   bool      `json:"is_visible"`
	Slug        string    `json:"slug"`
	Modified    time.Time `json:"date_modified"`
}

// CategorySeed describes a category of a seeded store.
type CategorySeed struct {
	ID          int    `json:"id"`
	ParentID    int    `json:"parent_id,omitempty"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	SortOrder   int    `json:"sort_order,omitempty"`
	// Hidden makes the category invisible on the storefront (is_visible false).
	Hidden bool `json:"hidden,omitempty"`
}

// CustomerAddress is an address in a customer's address book.
type CustomerAddress struct {
	ID int `json:"id"`
	Address
}

// Variant is a purchasable variant of a product; a product without options has one base variant.
type Variant struct {
	ID       int    `json:"id"`
	SKU      string `json:"sku"`
	SKUID    int    `json:"sku_id"`
	Label    string `json:"label"` // "" for the base variant of a product without options
	ValueID  int    `json:"value_id"`
	Price    Money  `json:"price"` // 0: product price
	ImageURL string `json:"image_url"`
}

// Image is a product image.
type Image struct {
	ID        int    `json:"id"`
	File      string `json:"file"`
	Thumbnail bool   `json:"is_thumbnail"`
}

// CustomerGroup is a customer group (v2 /customer_groups).
type CustomerGroup struct {
	ID        int       `json:"id"`
	Name      string    `json:"name"`
	IsDefault bool      `json:"is_default"`
	Created   time.Time `json:"date_created"`
	Modified  time.Time `json:"date_modified"`
}

// Customer is a registered customer (ID > 0) or, when returned by CreateCustomer for a guest, a guest shopper (ID 0).
type Customer struct {
	ID                         int    `json:"id"`
	Email                      string `json:"email"`
	FirstName                  string `json:"first_name"`
	LastName                   string `json:"last_name"`
	Phone                      string `json:"phone"`
	Company                    string `json:"company"`
	GroupID                    int    `json:"customer_group_id"`
	AcceptsMarketing           bool   `json:"accepts_marketing"`
	AcceptsAbandonedCartEmails bool   `json:"accepts_product_review_abandoned_cart_emails"`
	ChannelIDs                 []int  `json:"channel_ids"`
	OriginChannelID            int    `json:"origin_channel_id"`
	Notes                      string `json:"notes"`
	// AttributeValues are the customer's attribute values (attributes.go).
	AttributeValues []*AttributeValue `json:"attribute_values,omitempty"`
	// FormFields are the account sign-up form's custom fields by name.
	FormFields map[string]string `json:"form_fields,omitempty"`
	// Addresses is the customer's address book.
	Addresses []CustomerAddress `json:"addresses,omitempty"`
	// StoreCredit is the customer's store credit.
	StoreCredit Money     `json:"store_credit,omitempty"`
	Created     time.Time `json:"date_created"`
	Modified    time.Time `json:"date_modified"`
}

// LineItem is one line of a cart.
type LineItem struct {
	ID        string `json:"id"`
	ProductID int    `json:"product_id"`
	VariantID int    `json:"variant_id"`
	SKU       string `json:"sku"`
	Name      string `json:"name"`
	Quantity  int    `json:"quantity"`
	ListPrice Money  `json:"list_price"`
	SalePrice Money  `json:"sale_price"`
	ImageURL  string `json:"image_url"`
	URL       string `json:"url"`
	Digital   bool   `json:"digital"`
}

// Cart is a shopper's cart.
type Cart struct {
	ID         string     `json:"id"`
	CustomerID int        `json:"customer_id"`
	Email      string     `json:"email"`
	ChannelID  int        `json:"channel_id"`
	Currency   string     `json:"currency"`
	Locale     string     `json:"locale"`
	ViaAPI     bool       `json:"via_api"` // created through POST /v3/carts (redirect URLs allowed)
	Items      []LineItem `json:"line_items"`
	Version    int        `json:"version"`
	Created    time.Time  `json:"created_time"`
	Updated    time.Time  `json:"updated_time"`
	// AbandonToken is set once store/cart/abandoned fired.
	AbandonToken string `json:"abandon_token,omitempty"`
}

// Address is a billing or shipping address.
type Address struct {
	FirstName   string `json:"first_name"`
	LastName    string `json:"last_name"`
	Company     string `json:"company"`
	Street1     string `json:"street_1"`
	Street2     string `json:"street_2"`
	City        string `json:"city"`
	State       string `json:"state"`
	Zip         string `json:"zip"`
	Country     string `json:"country"`
	CountryISO2 string `json:"country_iso2"`
	Phone       string `json:"phone"`
	Email       string `json:"email"`
}

// OrderProduct is one line of an order.
type OrderProduct struct {
	ID               int    `json:"id"`
	ProductID        int    `json:"product_id"`
	VariantID        int    `json:"variant_id"`
	Name             string `json:"name"`
	SKU              string `json:"sku"`
	Digital          bool   `json:"digital"`
	Quantity         int    `json:"quantity"`
	Price            Money  `json:"price"`
	QuantityShipped  int    `json:"quantity_shipped"`
	QuantityRefunded int    `json:"quantity_refunded"`
	Brand            string `json:"brand"`
}

// OrderCoupon is a coupon code applied to an order.
type OrderCoupon struct {
	ID       int     `json:"id"`
	CouponID int     `json:"coupon_id"`
	Code     string  `json:"code"`
	Amount   float64 `json:"amount"` // percent or currency amount, per Type
	Type     int     `json:"type"`   // 1 percentage_discount, 2 per_total_discount
	Discount Money   `json:"discount"`
}

// Shipment is a shipment of (some of) an order's items.
type Shipment struct {
	ID             int            `json:"id"`
	OrderID        int            `json:"order_id"`
	TrackingNumber string         `json:"tracking_number"`
	Carrier        string         `json:"tracking_carrier"`
	ShippingMethod string         `json:"shipping_method"`
	Comments       string         `json:"comments"`
	Items          []ShipmentItem `json:"items"`
	Created        time.Time      `json:"date_created"`
}

// ShipmentItem is a quantity of one order product in a shipment.
type ShipmentItem struct {
	OrderProductID int `json:"order_product_id"`
	ProductID      int `json:"product_id"`
	Quantity       int `json:"quantity"`
}

// Refund is a refund against an order.
type Refund struct {
	ID      int       `json:"id"`
	OrderID int       `json:"order_id"`
	Amount  Money     `json:"amount"`
	Reason  string    `json:"reason"`
	Created time.Time `json:"created"`
}

// Order is a placed order.
type Order struct {
	ID              int            `json:"id"`
	CustomerID      int            `json:"customer_id"`
	Email           string         `json:"email"`
	StatusID        int            `json:"status_id"`
	ChannelID       int            `json:"channel_id"`
	CartID          string         `json:"cart_id"`
	Currency        string         `json:"currency_code"`
	PaymentMethod   string         `json:"payment_method"`
	OrderSource     string         `json:"order_source"`
	IPAddress       string         `json:"ip_address"`
	CustomerMessage string         `json:"customer_message"`
	EmailOptIn      bool           `json:"is_email_opt_in"`
	Billing         Address        `json:"billing_address"`
	Products        []OrderProduct `json:"products"`
	Coupons         []OrderCoupon  `json:"coupons"`
	Shipments       []Shipment     `json:"shipments"`
	Refunds         []Refund       `json:"refunds"`
	Subtotal        Money          `json:"subtotal"`
	Shipping        Money          `json:"shipping"`
	Discount        Money          `json:"discount"`
	Refunded        Money          `json:"refunded"`
	Created         time.Time      `json:"date_created"`
	Modified        time.Time      `json:"date_modified"`
	Shipped         time.Time      `json:"date_shipped"`
}

// Total returns the order total (subtotal + shipping − discount).
func (o *Order) Total() Money { return o.Subtotal + o.Shipping - o.Discount }

// ItemsTotal returns the number of units ordered.
func (o *Order) ItemsTotal() int {
	n := 0
	for _, p := range o.Products {
		n += p.Quantity
	}
	return n
}

// ItemsShipped returns the number of units shipped.
func (o *Order) ItemsShipped() int {
	n := 0
	for _, p := range o.Products {
		n += p.QuantityShipped
	}
	return n
}

// Promotion is a v3 promotion. Rules, notifications and the other policy fields are kept as sent.
type Promotion struct {
	ID             int            `json:"id"`
	Name           string         `json:"name"`
	RedemptionType string         `json:"redemption_type"`
	Raw            map[string]any `json:"raw"` // the other fields, as last written by the client
	CurrentUses    int            `json:"current_uses"`
	Codes          []*CouponCode  `json:"codes"`
	Created        time.Time      `json:"created"`
}

// CouponCode is a code of a coupon promotion.
type CouponCode struct {
	ID                 int       `json:"id"`
	Code               string    `json:"code"`
	MaxUses            int       `json:"max_uses"`
	MaxUsesPerCustomer int       `json:"max_uses_per_customer"`
	CurrentUses        int       `json:"current_uses"`
	Created            time.Time `json:"created"`
}

// Segment is a customer segment.
type Segment struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Profiles    map[string]bool `json:"profiles"` // shopper profile ids
	Created     time.Time       `json:"created_at"`
	Updated     time.Time       `json:"updated_at"`
}

// ShopperProfile links a registered customer to segments.
type ShopperProfile struct {
	ID         string    `json:"id"`
	CustomerID int       `json:"customer_id"`
	Created    time.Time `json:"created_at"`
	Updated    time.Time `json:"updated_at"`
}

// Hook is a webhook subscription.
type Hook struct {
	ID          int               `json:"id"`
	Scope       string            `json:"scope"`
	Destination string            `json:"destination"`
	Headers     map[string]string `json:"headers"`
	IsActive    bool              `json:"is_active"`
	Created     time.Time         `json:"created_at"`
	Updated     time.Time         `json:"updated_at"`
}

// OrderStatusNames maps BigCommerce order status ids (0–14) to their system names.
var OrderStatusNames = [...]string{
	"Incomplete", "Pending", "Shipped", "Partially Shipped", "Refunded", "Cancelled", "Declined",
	"Awaiting Payment", "Awaiting Pickup", "Awaiting Shipment", "Completed", "Awaiting Fulfillment",
	"Manual Verification Required", "Disputed", "Partially Refunded",
}

var orderStatusDescriptions = [...]string{
	"An incomplete order happens when a shopper reached the payment page, but did not complete the transaction.",
	"Customer started the checkout process, but did not complete it.",
	"Order has been shipped, but receipt has not been confirmed; seller has used the Ship Items action.",
	"Only some items in the order have been shipped, due to some products being pre-order only or other reasons.",
	"Seller has used the Refund action.",
	"Seller has cancelled an order, due to a stock inconsistency or other reasons.",
	"Seller has marked the order as declined for lack of manual payment, or other reasons.",
	"Customer has completed checkout process, but payment has yet to be confirmed.",
	"Order has been pulled, and is awaiting customer pickup from a seller-specified location.",
	"Order has been pulled and packaged, and is awaiting collection from a shipping provider.",
	"Client has paid for their digital product and their file(s) are available for download.",
	"Customer has completed the checkout process and payment has been confirmed.",
	"Order is on hold while some aspect needs to be manually confirmed.",
	"Customer has initiated a dispute resolution process for the PayPal transaction that paid for the order.",
	"Seller has partially refunded the order.",
}
