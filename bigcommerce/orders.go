package bigcommerce

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Order status ids (v2 /order_statuses).
const (
	StatusIncomplete                 = 0
	StatusPending                    = 1
	StatusShipped                    = 2
	StatusPartiallyShipped           = 3
	StatusRefunded                   = 4
	StatusCancelled                  = 5
	StatusDeclined                   = 6
	StatusAwaitingPayment            = 7
	StatusAwaitingPickup             = 8
	StatusAwaitingShipment           = 9
	StatusCompleted                  = 10
	StatusAwaitingFulfillment        = 11
	StatusManualVerificationRequired = 12
	StatusDisputed                   = 13
	StatusPartiallyRefunded          = 14
)

// Order is a v2 order. Money fields are exact decimals; dates are parsed
// from RFC 2822 ("" is the zero Time).
type Order struct {
	ID                    int     `json:"id"`
	CustomerID            int     `json:"customer_id"`
	DateCreated           Time    `json:"date_created"`
	DateModified          Time    `json:"date_modified"`
	DateShipped           Time    `json:"date_shipped"`
	StatusID              int     `json:"status_id"`
	Status                string  `json:"status"`
	CustomStatus          string  `json:"custom_status"`
	SubtotalExTax         Decimal `json:"subtotal_ex_tax"`
	SubtotalIncTax        Decimal `json:"subtotal_inc_tax"`
	SubtotalTax           Decimal `json:"subtotal_tax"`
	BaseShippingCost      Decimal `json:"base_shipping_cost"`
	ShippingCostExTax     Decimal `json:"shipping_cost_ex_tax"`
	ShippingCostIncTax    Decimal `json:"shipping_cost_inc_tax"`
	TotalExTax            Decimal `json:"total_ex_tax"`
	TotalIncTax           Decimal `json:"total_inc_tax"`
	TotalTax              Decimal `json:"total_tax"`
	DiscountAmount        Decimal `json:"discount_amount"`
	CouponDiscount        Decimal `json:"coupon_discount"`
	RefundedAmount        Decimal `json:"refunded_amount"`
	StoreCreditAmount     Decimal `json:"store_credit_amount"`
	GiftCertificateAmount Decimal `json:"gift_certificate_amount"`
	ItemsTotal            int     `json:"items_total"`
	ItemsShipped          int     `json:"items_shipped"`
	PaymentMethod         string  `json:"payment_method"`
	PaymentStatus         string  `json:"payment_status"`
	CurrencyCode          string  `json:"currency_code"`
	DefaultCurrencyCode   string  `json:"default_currency_code"`
	ChannelID             int     `json:"channel_id"`
	CartID                string  `json:"cart_id"`
	OrderSource           string  `json:"order_source"`
	CustomerMessage       string  `json:"customer_message"`
	CustomerLocale        string  `json:"customer_locale"`
	IsEmailOptIn          bool    `json:"is_email_opt_in"`
	IsDeleted             bool    `json:"is_deleted"`
	OrderIsDigital        bool    `json:"order_is_digital"`
	GeoIPCountryISO2      string  `json:"geoip_country_iso2"`
	BillingAddress        Address `json:"billing_address"`
	// LineItems are the order's lines when the order was listed with
	// OrderFilter.IncludeLineItems, flattened from every consignment
	// (shipping, pickup, digital, gift certificate); nil otherwise.
	LineItems []OrderProduct `json:"line_items,omitempty"`
}

// Address is an order's billing address or a shipment's address.
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

// OrderProduct is a line of an order.
type OrderProduct struct {
	ID                    int     `json:"id"`
	OrderID               int     `json:"order_id"`
	ProductID             int     `json:"product_id"`
	VariantID             int     `json:"variant_id"`
	Name                  string  `json:"name"`
	SKU                   string  `json:"sku"`
	Type                  string  `json:"type"` // physical, digital, giftcertificate
	Brand                 string  `json:"brand"`
	BasePrice             Decimal `json:"base_price"`
	PriceExTax            Decimal `json:"price_ex_tax"`
	PriceIncTax           Decimal `json:"price_inc_tax"`
	BaseTotal             Decimal `json:"base_total"`
	TotalExTax            Decimal `json:"total_ex_tax"`
	TotalIncTax           Decimal `json:"total_inc_tax"`
	DiscountedTotalIncTax Decimal `json:"discounted_total_inc_tax"`
	Quantity              int     `json:"quantity"`
	QuantityShipped       int     `json:"quantity_shipped"`
	QuantityRefunded      int     `json:"quantity_refunded"`
	IsRefunded            bool    `json:"is_refunded"`
	RefundAmount          Decimal `json:"refund_amount"`
	PriceTax              Decimal `json:"price_tax"`
	TotalTax              Decimal `json:"total_tax"`
	// OrderAddressID is the shipping address (consignment) of the line.
	OrderAddressID int `json:"order_address_id"`
	// ParentOrderProductID is set on the lines of a bundle.
	ParentOrderProductID *int              `json:"parent_order_product_id"`
	IsBundledProduct     bool              `json:"is_bundled_product"`
	AppliedDiscounts     []AppliedDiscount `json:"applied_discounts,omitempty"`
}

// OrderCoupon is a coupon applied to an order.
type OrderCoupon struct {
	ID       int    `json:"id"`
	CouponID int    `json:"coupon_id"`
	OrderID  int    `json:"order_id"`
	Code     string `json:"code"`
	// Amount is the coupon's face value: percent or currency, per Type.
	Amount Decimal `json:"amount"`
	// Type: 0 per item, 1 percentage, 2 per total, 3 shipping, 4 free shipping, 5 promotion.
	Type int `json:"type"`
	// Discount is the amount taken off this order.
	Discount Decimal `json:"discount"`
}

// Shipment is a shipment of an order.
type Shipment struct {
	ID                    int            `json:"id"`
	OrderID               int            `json:"order_id"`
	CustomerID            int            `json:"customer_id"`
	DateCreated           Time           `json:"date_created"`
	TrackingNumber        string         `json:"tracking_number"`
	ShippingMethod        string         `json:"shipping_method"`
	ShippingProvider      string         `json:"shipping_provider"`
	TrackingCarrier       string         `json:"tracking_carrier"`
	TrackingLink          string         `json:"tracking_link"`
	GeneratedTrackingLink string         `json:"generated_tracking_link"`
	Comments              string         `json:"comments"`
	ShippingAddress       Address        `json:"shipping_address"`
	Items                 []ShipmentItem `json:"items"`
}

// ShipmentItem is a quantity of an order product in a shipment.
type ShipmentItem struct {
	OrderProductID int `json:"order_product_id"`
	ProductID      int `json:"product_id"`
	Quantity       int `json:"quantity"`
}

// OrderFilter selects orders (v2 query parameters). Zero fields are unset.
type OrderFilter struct {
	CustomerID int    `json:"customer_id,omitempty"`
	Email      string `json:"email,omitempty"`
	// StatusID filters by status; nil for any (0 is Incomplete).
	StatusID        *int      `json:"status_id,omitempty"`
	CartID          string    `json:"cart_id,omitempty"`
	ChannelID       int       `json:"channel_id,omitempty"`
	MinID           int       `json:"min_id,omitempty"`
	MaxID           int       `json:"max_id,omitempty"`
	MinDateCreated  time.Time `json:"min_date_created,omitzero"`
	MaxDateCreated  time.Time `json:"max_date_created,omitzero"`
	MinDateModified time.Time `json:"min_date_modified,omitzero"`
	MaxDateModified time.Time `json:"max_date_modified,omitzero"`
	// Sort is the field to sort by: id (the API's default order, lowest
	// first; what a sync uses), customer_id, date_created, date_modified,
	// status_id, channel_id, external_id. The spec's description allows
	// ":asc" or ":desc" after the field, but its enum lists bare fields only.
	Sort string `json:"sort,omitempty"`
	// IncludeLineItems asks for include=consignments.line_items with
	// consignment_structure=object, so that every listed order carries its
	// lines (Order.LineItems) and a page of 250 orders costs one request.
	IncludeLineItems bool `json:"include_line_items,omitempty"`
	PageOptions
}

func (f OrderFilter) query(withPage bool) url.Values {
	q := url.Values{}
	setInt := func(k string, v int) {
		if v != 0 {
			q.Set(k, strconv.Itoa(v))
		}
	}
	setTime := func(k string, t time.Time) {
		if !t.IsZero() {
			q.Set(k, formatFilterTime(t))
		}
	}
	setInt("customer_id", f.CustomerID)
	if f.Email != "" {
		q.Set("email", f.Email)
	}
	if f.StatusID != nil {
		q.Set("status_id", strconv.Itoa(*f.StatusID))
	}
	if f.CartID != "" {
		q.Set("cart_id", f.CartID)
	}
	setInt("channel_id", f.ChannelID)
	setInt("min_id", f.MinID)
	setInt("max_id", f.MaxID)
	setTime("min_date_created", f.MinDateCreated)
	setTime("max_date_created", f.MaxDateCreated)
	setTime("min_date_modified", f.MinDateModified)
	setTime("max_date_modified", f.MaxDateModified)
	if withPage {
		if f.Sort != "" {
			q.Set("sort", f.Sort)
		}
		if f.IncludeLineItems {
			q.Set("include", "consignments.line_items")
			q.Set("consignment_structure", "object")
		}
		f.PageOptions.apply(q)
	}
	return q
}

// GetOrder returns an order.
func (c *Client) GetOrder(ctx context.Context, orderID int) (Order, error) {
	var o Order
	r := request{op: fmt.Sprintf("get order %d", orderID), method: http.MethodGet, path: "/orders/" + pathID(orderID)}
	empty, err := c.callV2(ctx, r, &o)
	if err == nil && empty {
		r.version = "v2"
		err = c.notFound(r, "order")
	}
	return o, err
}

// ListOrders returns one page of the orders matching f (default page 1 of
// 50, at most MaxPageSize); an empty page (v2's 204) is an empty slice.
// With f.IncludeLineItems every order carries its LineItems.
func (c *Client) ListOrders(ctx context.Context, f OrderFilter) ([]Order, error) {
	r := request{op: "list orders", method: http.MethodGet, path: "/orders", query: f.query(true)}
	if !f.IncludeLineItems {
		var out []Order
		_, err := c.callV2(ctx, r, &out)
		if out == nil && err == nil {
			out = []Order{}
		}
		return out, err
	}
	var raw json.RawMessage
	empty, err := c.callV2(ctx, r, &raw)
	if err != nil {
		return nil, err
	}
	if empty {
		return []Order{}, nil
	}
	out, derr := decodeOrdersWithLines(raw)
	if derr != nil {
		return nil, &APIError{Op: r.op, Method: r.method, Path: "/v2" + r.path, Status: http.StatusOK,
			Kind: KindTransient, Title: "malformed response body", Detail: c.redact(derr.Error()), err: derr}
	}
	return out, nil
}

// Orders iterates over every order matching f, from f.Page on, 250 per
// request unless f.Limit says otherwise.
func (c *Client) Orders(ctx context.Context, f OrderFilter) iter.Seq2[Order, error] {
	limit := iterLimit(f.PageOptions)
	return iterate(ctx, f.Page, func(ctx context.Context, page int) ([]Order, bool, error) {
		g := f
		g.PageOptions = PageOptions{Page: page, Limit: limit}
		items, err := c.ListOrders(ctx, g)
		return items, len(items) >= limit, err
	})
}

// OrderCount is the answer of CountOrders.
type OrderCount struct {
	// Total is the number of matching orders.
	Total int `json:"count"`
	// Statuses counts them per status.
	Statuses []OrderStatusCount `json:"statuses"`
}

// OrderStatusCount is the number of orders in one status.
type OrderStatusCount struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// ByStatus returns the count of a status id.
func (oc OrderCount) ByStatus(statusID int) int {
	for _, s := range oc.Statuses {
		if s.ID == statusID {
			return s.Count
		}
	}
	return 0
}

// CountOrders counts the orders matching f (its page, limit and sort are
// ignored).
func (c *Client) CountOrders(ctx context.Context, f OrderFilter) (OrderCount, error) {
	var out OrderCount
	_, err := c.callV2(ctx, request{op: "count orders", method: http.MethodGet, path: "/orders/count", query: f.query(false)}, &out)
	return out, err
}

// listAllV2 reads every page of a v2 sub-collection.
func listAllV2[T any](ctx context.Context, c *Client, op, path string) ([]T, error) {
	out := []T{}
	for page := 1; page <= maxPages; page++ {
		var items []T
		q := url.Values{"page": {strconv.Itoa(page)}, "limit": {strconv.Itoa(MaxPageSize)}}
		empty, err := c.callV2(ctx, request{op: op, method: http.MethodGet, path: path, query: q}, &items)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if empty || len(items) < MaxPageSize {
			break
		}
	}
	return out, nil
}

// OrderProducts returns every line of an order.
func (c *Client) OrderProducts(ctx context.Context, orderID int) ([]OrderProduct, error) {
	return listAllV2[OrderProduct](ctx, c, fmt.Sprintf("list products of order %d", orderID), "/orders/"+pathID(orderID)+"/products")
}

// OrderCoupons returns the coupons applied to an order (often none).
func (c *Client) OrderCoupons(ctx context.Context, orderID int) ([]OrderCoupon, error) {
	return listAllV2[OrderCoupon](ctx, c, fmt.Sprintf("list coupons of order %d", orderID), "/orders/"+pathID(orderID)+"/coupons")
}

// OrderShipments returns the shipments of an order (often none).
func (c *Client) OrderShipments(ctx context.Context, orderID int) ([]Shipment, error) {
	return listAllV2[Shipment](ctx, c, fmt.Sprintf("list shipments of order %d", orderID), "/orders/"+pathID(orderID)+"/shipments")
}
