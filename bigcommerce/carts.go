package bigcommerce

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// Cart is a v3 cart (Cart_Full). Amounts are in the cart's currency.
type Cart struct {
	ID         string `json:"id"`
	CustomerID int    `json:"customer_id"`
	ChannelID  int    `json:"channel_id"`
	Email      string `json:"email"`
	Currency   struct {
		Code string `json:"code"`
	} `json:"currency"`
	TaxIncluded    bool          `json:"tax_included"`
	BaseAmount     Decimal       `json:"base_amount"`
	DiscountAmount Decimal       `json:"discount_amount"`
	CartAmount     Decimal       `json:"cart_amount"`
	Coupons        []CartCoupon  `json:"coupons"`
	LineItems      CartLineItems `json:"line_items"`
	CreatedTime    Time          `json:"created_time"`
	UpdatedTime    Time          `json:"updated_time"`
	Locale         string        `json:"locale"`
	Version        int           `json:"version"`
	// RedirectURLs is only set by CreateCart with IncludeRedirectURLs.
	RedirectURLs *RedirectURLs `json:"redirect_urls,omitempty"`
}

// Items returns the physical then the digital items of the cart.
func (c Cart) Items() []CartItem {
	out := make([]CartItem, 0, len(c.LineItems.PhysicalItems)+len(c.LineItems.DigitalItems))
	out = append(out, c.LineItems.PhysicalItems...)
	return append(out, c.LineItems.DigitalItems...)
}

// Quantity returns the number of units in the cart (catalog and custom items).
func (c Cart) Quantity() int {
	n := 0
	for _, it := range c.Items() {
		n += it.Quantity
	}
	for _, it := range c.LineItems.CustomItems {
		n += it.Quantity
	}
	return n
}

// CartLineItems groups a cart's lines by kind.
type CartLineItems struct {
	PhysicalItems    []CartItem            `json:"physical_items"`
	DigitalItems     []CartItem            `json:"digital_items"`
	CustomItems      []CartCustomItem      `json:"custom_items"`
	GiftCertificates []CartGiftCertificate `json:"gift_certificates"`
}

// CartItem is a catalog line of a cart.
type CartItem struct {
	ID                string  `json:"id"`
	ProductID         int     `json:"product_id"`
	VariantID         int     `json:"variant_id"`
	SKU               string  `json:"sku"`
	Name              string  `json:"name"`
	URL               string  `json:"url"`
	ImageURL          string  `json:"image_url"`
	Quantity          int     `json:"quantity"`
	Taxable           bool    `json:"taxable"`
	DiscountAmount    Decimal `json:"discount_amount"`
	CouponAmount      Decimal `json:"coupon_amount"`
	OriginalPrice     Decimal `json:"original_price"`
	ListPrice         Decimal `json:"list_price"`
	SalePrice         Decimal `json:"sale_price"`
	ExtendedListPrice Decimal `json:"extended_list_price"`
	ExtendedSalePrice Decimal `json:"extended_sale_price"`
	IsRequireShipping bool    `json:"is_require_shipping"`
	AddedByPromotion  bool    `json:"added_by_promotion"`
}

// CartCustomItem is a custom (non-catalog) line of a cart.
type CartCustomItem struct {
	ID                string  `json:"id"`
	SKU               string  `json:"sku"`
	Name              string  `json:"name"`
	Quantity          int     `json:"quantity"`
	ListPrice         Decimal `json:"list_price"`
	ExtendedListPrice Decimal `json:"extended_list_price"`
	ImageURL          string  `json:"image_url"`
}

// CartGiftCertificate is a gift certificate line of a cart.
type CartGiftCertificate struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	Theme    string  `json:"theme"`
	Amount   Decimal `json:"amount"`
	Quantity int     `json:"quantity"`
}

// CartCoupon is a coupon applied to a cart.
type CartCoupon struct {
	Code             string  `json:"code"`
	DisplayName      string  `json:"display_name"`
	CouponType       string  `json:"coupon_type"`
	DiscountedAmount Decimal `json:"discounted_amount"`
}

// RedirectURLs restore a cart in the shopper's browser. Each URL works once
// and for 30 days.
type RedirectURLs struct {
	CartURL             string `json:"cart_url"`
	CheckoutURL         string `json:"checkout_url"`
	EmbeddedCheckoutURL string `json:"embedded_checkout_url"`
}

// CartInput creates a cart through the Management API (the only carts that
// can get redirect URLs).
type CartInput struct {
	CustomerID int                 `json:"customer_id,omitempty"`
	ChannelID  int                 `json:"channel_id,omitempty"` // default 1
	Currency   string              `json:"currency,omitempty"`   // ISO 4217; needed with multi-currency
	Locale     string              `json:"locale,omitempty"`
	LineItems  []CartLineItemInput `json:"line_items"`
	// IncludeRedirectURLs asks for RedirectURLs in the answer.
	IncludeRedirectURLs bool `json:"include_redirect_urls,omitempty"`
}

// CartLineItemInput is a catalog line to put in a new cart. VariantID is
// required for products with variants.
type CartLineItemInput struct {
	ProductID int      `json:"product_id"`
	VariantID int      `json:"variant_id,omitempty"`
	Quantity  int      `json:"quantity"`
	ListPrice *Decimal `json:"list_price,omitempty"` // price override
}

// CartInputFrom returns the input that recreates cart's catalog lines for the
// same customer, channel, currency and locale (custom items and gift
// certificates are not carried over). Recovery flows use it to turn a
// storefront cart into one that can have redirect URLs.
func CartInputFrom(cart Cart) CartInput {
	in := CartInput{CustomerID: cart.CustomerID, ChannelID: cart.ChannelID, Currency: cart.Currency.Code, Locale: cart.Locale}
	for _, it := range cart.Items() {
		if it.AddedByPromotion {
			continue
		}
		in.LineItems = append(in.LineItems, CartLineItemInput{ProductID: it.ProductID, VariantID: it.VariantID, Quantity: it.Quantity})
	}
	return in
}

// GetCart returns a cart. A cart that was converted to an order, deleted or
// expired answers NotFound.
func (c *Client) GetCart(ctx context.Context, cartID string) (Cart, error) {
	if cartID == "" {
		return Cart{}, errors.New("bigcommerce: get cart: empty cart id")
	}
	var cart Cart
	_, err := c.callV3(ctx, request{op: "get cart " + shortID(cartID), method: http.MethodGet,
		path: "/carts/" + url.PathEscape(cartID)}, &cart)
	return cart, err
}

// CreateCart creates a cart from catalog items.
func (c *Client) CreateCart(ctx context.Context, in CartInput) (Cart, error) {
	if len(in.LineItems) == 0 {
		return Cart{}, errors.New("bigcommerce: create cart: no line items")
	}
	type wireCurrency struct {
		Code string `json:"code"`
	}
	body := struct {
		CustomerID int                 `json:"customer_id,omitempty"`
		LineItems  []CartLineItemInput `json:"line_items"`
		ChannelID  int                 `json:"channel_id,omitempty"`
		Currency   *wireCurrency       `json:"currency,omitempty"`
		Locale     string              `json:"locale,omitempty"`
	}{CustomerID: in.CustomerID, LineItems: in.LineItems, ChannelID: in.ChannelID, Locale: in.Locale}
	if in.Currency != "" {
		body.Currency = &wireCurrency{Code: strings.ToUpper(in.Currency)}
	}
	q := url.Values{}
	if in.IncludeRedirectURLs {
		q.Set("include", "redirect_urls")
	}
	var cart Cart
	_, err := c.callV3(ctx, request{op: "create cart", method: http.MethodPost, path: "/carts", query: q, body: body}, &cart)
	return cart, err
}

// CreateRedirectURLs returns fresh redirect URLs for a cart created through
// the Management API (storefront carts answer a 422: recreate them with
// CreateCart and CartInputFrom).
func (c *Client) CreateRedirectURLs(ctx context.Context, cartID string) (RedirectURLs, error) {
	if cartID == "" {
		return RedirectURLs{}, errors.New("bigcommerce: create redirect urls: empty cart id")
	}
	var out RedirectURLs
	_, err := c.callV3(ctx, request{op: "create redirect urls for cart " + shortID(cartID), method: http.MethodPost,
		path: "/carts/" + url.PathEscape(cartID) + "/redirect_urls", body: struct{}{}}, &out)
	return out, err
}

// GetAbandonedCart resolves the token of an abandoned-cart email link
// (store/cart/abandoned) to the cart id.
func (c *Client) GetAbandonedCart(ctx context.Context, token string) (string, error) {
	if token == "" {
		return "", errors.New("bigcommerce: get abandoned cart: empty token")
	}
	var out struct {
		CartID string `json:"cart_id"`
	}
	r := request{op: "get abandoned cart " + shortID(token), method: http.MethodGet,
		path: "/abandoned-carts/" + url.PathEscape(token)}
	if _, err := c.callV3(ctx, r, &out); err != nil {
		return "", err
	}
	if out.CartID == "" {
		r.version = "v3"
		return "", c.notFound(r, "abandoned cart")
	}
	return out.CartID, nil
}
