package bcemu

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// CheckoutInput completes a cart's checkout.
type CheckoutInput struct {
	CouponCode      string   `json:"coupon_code,omitempty"`
	StatusID        *int     `json:"status_id,omitempty"`      // default 11 Awaiting Fulfillment
	PaymentMethod   string   `json:"payment_method,omitempty"` // default "Credit Card"
	ShippingCost    float64  `json:"shipping_cost,omitempty"`
	Billing         *Address `json:"billing_address,omitempty"`
	CustomerMessage string   `json:"customer_message,omitempty"`
}

// ShipInput creates a shipment. Without Items, every unshipped physical item is shipped.
type ShipInput struct {
	TrackingNumber string         `json:"tracking_number"`
	Carrier        string         `json:"tracking_carrier,omitempty"` // ups, fedex, usps, auspost, royalmail, …
	ShippingMethod string         `json:"shipping_method,omitempty"`
	Comments       string         `json:"comments,omitempty"`
	Items          []ShipmentItem `json:"items,omitempty"` // order_product_id and quantity
}

// RefundInput refunds an order; Amount 0 refunds everything not yet refunded.
type RefundInput struct {
	Amount float64 `json:"amount,omitempty"`
	Reason string  `json:"reason,omitempty"`
}

func defaultAddress(first, last, email, phone, company string) Address {
	return Address{
		FirstName: first, LastName: last, Company: company, Street1: "555 East Street", City: "Austin", State: "Texas",
		Zip: "78701", Country: "United States", CountryISO2: "US", Phone: phone, Email: email,
	}
}

// couponDiscount finds a coupon code a shopper (customerID, 0 for a guest)
// may use and computes its discount on subtotal. s.mu must be held.
func (s *store) couponDiscount(code string, customerID int, subtotal Money) (*Promotion, *CouponCode, OrderCoupon, error) {
	for _, p := range s.Promotions {
		for _, c := range p.Codes {
			if !strings.EqualFold(c.Code, code) {
				continue
			}
			if st, _ := p.Raw["status"].(string); st == "DISABLED" {
				return nil, nil, OrderCoupon{}, &apiError{Status: 422, Title: fmt.Sprintf("The coupon code %s is not active.", code)}
			}
			if c.MaxUses > 0 && c.CurrentUses >= c.MaxUses {
				return nil, nil, OrderCoupon{}, &apiError{Status: 422, Title: fmt.Sprintf("The coupon code %s has reached its maximum uses.", code)}
			}
			if !s.segmentsAllow(p, customerID) {
				return nil, nil, OrderCoupon{}, &apiError{Status: 422, Title: fmt.Sprintf("The coupon code %s is not available to this shopper.", code),
					Details: map[string]string{"coupon_code": "customer segment"}}
			}
			oc := OrderCoupon{CouponID: p.ID, Code: c.Code, Type: 2}
			pct, fixed := promotionDiscount(p)
			switch {
			case pct > 0:
				oc.Type, oc.Amount = 1, pct
				oc.Discount = Money(float64(subtotal)*pct/100 + 0.5)
			case fixed > 0:
				oc.Amount = fixed.Float()
				oc.Discount = fixed
			}
			if oc.Discount > subtotal {
				oc.Discount = subtotal
			}
			return p, c, oc, nil
		}
	}
	return nil, nil, OrderCoupon{}, &apiError{Status: 422, Title: fmt.Sprintf("The coupon code %s is not valid.", code), Details: map[string]string{"coupon_code": "unknown"}}
}

// promotionDiscount reads the first cart_value discount of a promotion's rules.
func promotionDiscount(p *Promotion) (pct float64, fixed Money) {
	rules, _ := p.Raw["rules"].([]any)
	for _, r := range rules {
		rm, _ := r.(map[string]any)
		action, _ := rm["action"].(map[string]any)
		for _, kind := range []string{"cart_value", "cart_items"} {
			av, _ := action[kind].(map[string]any)
			disc, _ := av["discount"].(map[string]any)
			if v, ok := disc["percentage_amount"].(string); ok {
				f, _ := strconv.ParseFloat(v, 64)
				return f, 0
			}
			if v, ok := disc["fixed_amount"].(string); ok {
				f, _ := strconv.ParseFloat(v, 64)
				return 0, MoneyFromFloat(f)
			}
		}
	}
	return 0, 0
}

// checkout converts a cart to an order. s.mu must be held.
func (e *Emulator) checkout(s *store, c *Cart, in CheckoutInput, notify bool, created time.Time) (*Order, error) {
	status := 11
	if in.StatusID != nil {
		status = *in.StatusID
	}
	if status < 0 || status >= len(OrderStatusNames) {
		return nil, errf(422, "Invalid order status %d.", status)
	}
	if c.Email == "" {
		return nil, &apiError{Status: 422, Title: "The cart has no email address: a guest must enter one before checkout.", Details: map[string]string{"email": "required"}}
	}
	o := &Order{
		CustomerID: c.CustomerID, Email: c.Email, StatusID: status, ChannelID: c.ChannelID, CartID: c.ID,
		Currency: c.Currency, PaymentMethod: defaultStr(in.PaymentMethod, "Credit Card"), OrderSource: "www",
		IPAddress: "203.0.113.10", CustomerMessage: in.CustomerMessage, Shipping: MoneyFromFloat(in.ShippingCost),
		Created: created, Modified: created, Coupons: []OrderCoupon{}, Shipments: []Shipment{}, Refunds: []Refund{},
	}
	var first, last, phone, company string
	if cu := s.customer(c.CustomerID); cu != nil {
		first, last, phone, company, o.EmailOptIn = cu.FirstName, cu.LastName, cu.Phone, cu.Company, cu.AcceptsMarketing
	} else if g := s.Guests[strings.ToLower(c.Email)]; g != nil {
		first, last, phone, company, o.EmailOptIn = g.FirstName, g.LastName, g.Phone, g.Company, g.AcceptsMarketing
	} else {
		first, last = defaultNames(c.Email, "", "")
	}
	o.Billing = defaultAddress(first, last, c.Email, phone, company)
	if in.Billing != nil {
		o.Billing = *in.Billing
		if o.Billing.Email == "" {
			o.Billing.Email = c.Email
		}
	}
	for _, it := range c.Items {
		s.Seq.OrderProduct++
		brand := ""
		if p := s.product(it.ProductID); p != nil {
			brand = p.Brand
		}
		o.Products = append(o.Products, OrderProduct{
			ID: s.Seq.OrderProduct, ProductID: it.ProductID, VariantID: it.VariantID, Name: it.Name, SKU: it.SKU,
			Digital: it.Digital, Quantity: it.Quantity, Price: it.SalePrice, Brand: brand,
		})
		o.Subtotal += it.SalePrice * Money(it.Quantity)
	}
	var code *CouponCode
	var promo *Promotion
	if in.CouponCode != "" {
		p, cc, oc, err := s.couponDiscount(in.CouponCode, c.CustomerID, o.Subtotal)
		if err != nil {
			return nil, err
		}
		s.Seq.OrderCoupon++
		oc.ID = s.Seq.OrderCoupon
		o.Coupons = append(o.Coupons, oc)
		o.Discount = oc.Discount
		code, promo = cc, p
	}
	if code != nil {
		code.CurrentUses++
		promo.CurrentUses++
	}
	s.Seq.Order++
	o.ID = s.Seq.Order
	s.insertOrder(o)
	delete(s.Carts, c.ID)
	if notify {
		e.emit(s, "store/cart/converted", map[string]any{"type": "cart", "id": c.ID, "orderId": o.ID})
		e.emit(s, "store/order/created", map[string]any{"type": "order", "id": o.ID})
	}
	return o, nil
}

// setStatus changes an order's status and emits store/order/updated and store/order/statusUpdated. s.mu must be held.
func (e *Emulator) setStatus(s *store, o *Order, status int) error {
	if status < 0 || status >= len(OrderStatusNames) {
		return errf(422, "Invalid order status %d.", status)
	}
	if o.StatusID == status {
		return nil
	}
	prev := o.StatusID
	o.StatusID = status
	o.Modified = e.now()
	e.emit(s, "store/order/updated", map[string]any{"type": "order", "id": o.ID})
	e.emit(s, "store/order/statusUpdated", map[string]any{"type": "order", "id": o.ID,
		"status": map[string]any{"previous_status_id": prev, "new_status_id": status}})
	return nil
}

func cloneOrder(o *Order) Order {
	out := *o
	out.Products = append([]OrderProduct(nil), o.Products...)
	out.Coupons = append([]OrderCoupon{}, o.Coupons...)
	out.Shipments = append([]Shipment{}, o.Shipments...)
	out.Refunds = append([]Refund{}, o.Refunds...)
	return out
}

// Checkout converts a cart into an order: store/cart/converted (with orderId)
// then store/order/created. The cart is gone afterwards, as on the platform.
func (e *Emulator) Checkout(hash, cartID string, in CheckoutInput) (Order, error) {
	var out Order
	err := e.withStore(hash, func(s *store) error {
		c := s.Carts[cartID]
		if c == nil {
			return errf(404, "Cart not found.")
		}
		o, err := e.checkout(s, c, in, true, e.now())
		if err == nil {
			out = cloneOrder(o)
		}
		return err
	})
	return out, err
}

// SetOrderStatus changes an order's status (store/order/updated, store/order/statusUpdated).
func (e *Emulator) SetOrderStatus(hash string, orderID, statusID int) (Order, error) {
	var out Order
	err := e.withStore(hash, func(s *store) error {
		o := s.order(orderID)
		if o == nil {
			return errf(404, "Order %d not found.", orderID)
		}
		if err := e.setStatus(s, o, statusID); err != nil {
			return err
		}
		out = cloneOrder(o)
		return nil
	})
	return out, err
}

// Ship creates a shipment (store/shipment/created with orderId) and moves the
// order to Shipped (2) or Partially Shipped (3).
func (e *Emulator) Ship(hash string, orderID int, in ShipInput) (Shipment, error) {
	var out Shipment
	err := e.withStore(hash, func(s *store) error {
		o := s.order(orderID)
		if o == nil {
			return errf(404, "Order %d not found.", orderID)
		}
		items := in.Items
		if len(items) == 0 {
			for _, p := range o.Products {
				if !p.Digital && p.Quantity > p.QuantityShipped {
					items = append(items, ShipmentItem{OrderProductID: p.ID, Quantity: p.Quantity - p.QuantityShipped})
				}
			}
		}
		if len(items) == 0 {
			return errf(422, "Order %d has nothing left to ship.", orderID)
		}
		for i, it := range items {
			found := false
			for j := range o.Products {
				p := &o.Products[j]
				if p.ID != it.OrderProductID {
					continue
				}
				found = true
				if it.Quantity <= 0 || it.Quantity > p.Quantity-p.QuantityShipped {
					return errf(422, "Cannot ship %d of order product %d.", it.Quantity, p.ID)
				}
				items[i].ProductID = p.ProductID
			}
			if !found {
				return errf(422, "Order product %d is not part of order %d.", it.OrderProductID, orderID)
			}
		}
		for _, it := range items {
			for j := range o.Products {
				if o.Products[j].ID == it.OrderProductID {
					o.Products[j].QuantityShipped += it.Quantity
				}
			}
		}
		s.Seq.Shipment++
		sh := Shipment{
			ID: s.Seq.Shipment, OrderID: o.ID, TrackingNumber: in.TrackingNumber, Carrier: strings.ToLower(in.Carrier),
			ShippingMethod: defaultStr(in.ShippingMethod, "Standard"), Comments: in.Comments, Items: items, Created: e.now(),
		}
		o.Shipments = append(o.Shipments, sh)
		complete := true
		for _, p := range o.Products {
			if !p.Digital && p.QuantityShipped < p.Quantity {
				complete = false
			}
		}
		e.emit(s, "store/shipment/created", map[string]any{"type": "shipment", "id": sh.ID, "orderId": o.ID})
		status := 3
		if complete {
			status = 2
			o.Shipped = e.now()
		}
		if err := e.setStatus(s, o, status); err != nil {
			return err
		}
		out = sh
		return nil
	})
	return out, err
}

// Refund refunds all or part of an order (store/order/refund/created) and moves
// it to Refunded (4) or Partially Refunded (14).
func (e *Emulator) Refund(hash string, orderID int, in RefundInput) (Refund, error) {
	var out Refund
	err := e.withStore(hash, func(s *store) error {
		o := s.order(orderID)
		if o == nil {
			return errf(404, "Order %d not found.", orderID)
		}
		remaining := o.Total() - o.Refunded
		amount := MoneyFromFloat(in.Amount)
		if in.Amount == 0 {
			amount = remaining
		}
		if amount <= 0 || amount > remaining {
			return errf(422, "Refund amount %s exceeds the refundable amount %s.", amount.V2(), remaining.V2())
		}
		s.Seq.Refund++
		rf := Refund{ID: s.Seq.Refund, OrderID: o.ID, Amount: amount, Reason: in.Reason, Created: e.now()}
		o.Refunds = append(o.Refunds, rf)
		o.Refunded += amount
		o.Modified = e.now()
		if o.Refunded == o.Total() {
			for i := range o.Products {
				o.Products[i].QuantityRefunded = o.Products[i].Quantity
			}
		}
		e.emit(s, "store/order/refund/created", map[string]any{"type": "order", "id": o.ID, "refund": map[string]any{"refund_id": rf.ID}})
		status := 14
		if o.Refunded == o.Total() {
			status = 4
		}
		if err := e.setStatus(s, o, status); err != nil {
			return err
		}
		out = rf
		return nil
	})
	return out, err
}

// --- v2 rendering

func paymentStatus(o *Order) string {
	switch {
	case o.StatusID == 0:
		return ""
	case o.StatusID == 4:
		return "refunded"
	case o.StatusID == 14:
		return "partially refunded"
	case o.StatusID == 1 || o.StatusID == 7:
		return "pending"
	case o.StatusID == 6:
		return "declined"
	case o.StatusID == 5:
		return "void"
	default:
		return "captured"
	}
}

func (s *store) apiBase(version string) string {
	return "https://api.bigcommerce.com/stores/" + s.Hash + "/" + version
}

func (s *store) renderOrder(o *Order) map[string]any {
	res := func(sub string) map[string]any {
		path := fmt.Sprintf("/orders/%d/%s", o.ID, sub)
		return map[string]any{"url": s.apiBase("v2") + path, "resource": path}
	}
	zero := Money(0).V2()
	digital := len(o.Products) > 0
	for _, p := range o.Products {
		if !p.Digital {
			digital = false
		}
	}
	billing := addressMap(o.Billing)
	billing["form_fields"] = []any{}
	return map[string]any{
		"id": o.ID, "customer_id": o.CustomerID, "date_created": rfc2822(o.Created), "date_modified": rfc2822(o.Modified),
		"date_shipped": rfc2822(o.Shipped), "status_id": o.StatusID, "status": OrderStatusNames[o.StatusID],
		"custom_status":   OrderStatusNames[o.StatusID],
		"subtotal_ex_tax": o.Subtotal.V2(), "subtotal_inc_tax": o.Subtotal.V2(), "subtotal_tax": zero,
		"base_shipping_cost": o.Shipping.V2(), "shipping_cost_ex_tax": o.Shipping.V2(), "shipping_cost_inc_tax": o.Shipping.V2(),
		"shipping_cost_tax": zero, "shipping_cost_tax_class_id": 0,
		"base_handling_cost": zero, "handling_cost_ex_tax": zero, "handling_cost_inc_tax": zero, "handling_cost_tax": zero, "handling_cost_tax_class_id": 0,
		"base_wrapping_cost": zero, "wrapping_cost_ex_tax": zero, "wrapping_cost_inc_tax": zero, "wrapping_cost_tax": zero, "wrapping_cost_tax_class_id": 0,
		"total_ex_tax": o.Total().V2(), "total_inc_tax": o.Total().V2(), "total_tax": zero,
		"is_tax_inclusive_pricing": false, "items_total": o.ItemsTotal(), "items_shipped": o.ItemsShipped(),
		"payment_method": o.PaymentMethod, "payment_provider_id": "", "payment_status": paymentStatus(o),
		"refunded_amount": o.Refunded.V2(), "order_is_digital": digital, "store_credit_amount": zero, "gift_certificate_amount": zero,
		"ip_address": o.IPAddress, "ip_address_v6": "", "geoip_country": o.Billing.Country, "geoip_country_iso2": o.Billing.CountryISO2,
		"currency_id": 1, "currency_code": o.Currency, "currency_exchange_rate": "1.0000000000",
		"default_currency_id": 1, "default_currency_code": o.Currency, "store_default_currency_code": o.Currency,
		"store_default_to_transactional_exchange_rate": "1.0000000000",
		"staff_notes": "", "customer_message": o.CustomerMessage, "discount_amount": zero, "coupon_discount": o.Discount.V2(),
		"shipping_address_count": 1, "is_deleted": false, "ebay_order_id": "0", "cart_id": o.CartID,
		"billing_address": billing, "is_email_opt_in": o.EmailOptIn, "credit_card_type": nil,
		"order_source": o.OrderSource, "channel_id": o.ChannelID, "external_source": nil, "external_id": nil,
		"external_merchant_id": nil, "tax_provider_id": "BasicTaxProvider", "customer_locale": "en", "external_order_id": "",
		"products": res("products"), "shipping_addresses": res("shipping_addresses"), "coupons": res("coupons"),
		"consignments": res("consignments"),
	}
}

func addressMap(a Address) map[string]any {
	return map[string]any{
		"first_name": a.FirstName, "last_name": a.LastName, "company": a.Company, "street_1": a.Street1,
		"street_2": a.Street2, "city": a.City, "state": a.State, "zip": a.Zip, "country": a.Country,
		"country_iso2": a.CountryISO2, "phone": a.Phone, "email": a.Email,
	}
}

func (s *store) renderOrderProduct(o *Order, p OrderProduct) map[string]any {
	zero := Money(0).V2()
	total := p.Price * Money(p.Quantity)
	typ := "physical"
	if p.Digital {
		typ = "digital"
	}
	refund := Money(0)
	if p.QuantityRefunded > 0 {
		refund = p.Price * Money(p.QuantityRefunded)
	}
	var weight any = "0.0000"
	if prod := s.product(p.ProductID); prod != nil {
		weight = prod.Weight
	}
	return map[string]any{
		"id": p.ID, "order_id": o.ID, "product_id": p.ProductID, "variant_id": p.VariantID, "order_address_id": o.ID,
		"name": p.Name, "name_customer": p.Name, "name_merchant": p.Name, "sku": p.SKU, "upc": "", "type": typ,
		"base_price": p.Price.V2(), "price_ex_tax": p.Price.V2(), "price_inc_tax": p.Price.V2(), "price_tax": zero,
		"base_total": total.V2(), "total_ex_tax": total.V2(), "total_inc_tax": total.V2(), "total_tax": zero,
		"discounted_total_inc_tax": total.V2(),
		"quantity":                 p.Quantity, "base_cost_price": zero, "cost_price_inc_tax": zero, "cost_price_ex_tax": zero, "cost_price_tax": zero,
		"weight": weight, "width": "0.0000", "height": "0.0000", "depth": "0.0000",
		"is_refunded": p.QuantityRefunded > 0, "quantity_refunded": p.QuantityRefunded, "refund_amount": refund.V2(), "return_id": 0,
		"wrapping_id": 0, "wrapping_name": nil, "base_wrapping_cost": zero, "wrapping_cost_ex_tax": zero,
		"wrapping_cost_inc_tax": zero, "wrapping_cost_tax": zero, "wrapping_message": "",
		"quantity_shipped": p.QuantityShipped, "event_name": nil, "event_date": nil, "fixed_shipping_cost": zero,
		"ebay_item_id": "", "ebay_transaction_id": "", "option_set_id": nil, "parent_order_product_id": nil,
		"is_bundled_product": false, "bin_picking_number": "", "external_id": nil, "brand": p.Brand,
		"applied_discounts": []any{}, "product_options": []any{}, "configurable_fields": []any{}, "gift_certificate_id": nil,
	}
}

var knownCarriers = map[string]bool{"auspost": true, "canadapost": true, "endicia": true, "usps": true, "fedex": true, "ups": true, "royalmail": true}

func trackingLink(carrier, number string) string {
	switch carrier {
	case "ups":
		return "https://www.ups.com/track?tracknum=" + url.QueryEscape(number)
	case "fedex":
		return "https://www.fedex.com/fedextrack/?trknbr=" + url.QueryEscape(number)
	case "usps":
		return "https://tools.usps.com/go/TrackConfirmAction?tLabels=" + url.QueryEscape(number)
	case "royalmail":
		return "https://www.royalmail.com/track-your-item#/tracking-results/" + url.PathEscape(number)
	case "auspost":
		return "https://auspost.com.au/mypost/track/#/details/" + url.PathEscape(number)
	}
	return ""
}

func (s *store) renderShipment(o *Order, sh Shipment) map[string]any {
	provider := ""
	if knownCarriers[sh.Carrier] {
		provider = sh.Carrier
	}
	items := []any{}
	for _, it := range sh.Items {
		items = append(items, map[string]any{"order_product_id": it.OrderProductID, "product_id": it.ProductID, "quantity": it.Quantity})
	}
	link := trackingLink(sh.Carrier, sh.TrackingNumber)
	return map[string]any{
		"id": sh.ID, "order_id": o.ID, "customer_id": o.CustomerID, "order_address_id": o.ID,
		"date_created": rfc2822(sh.Created), "tracking_number": sh.TrackingNumber, "merchant_shipping_cost": Money(0).V2(),
		"shipping_method": sh.ShippingMethod, "shipping_provider": provider, "tracking_carrier": sh.Carrier,
		"tracking_link": link, "generated_tracking_link": link, "comments": sh.Comments,
		"billing_address": addressMap(o.Billing), "shipping_address": addressMap(o.Billing), "items": items,
		"shipping_provider_display_name": strings.ToUpper(sh.Carrier),
	}
}

// renderShippingAddress renders the order's single shipping address (the billing address; id = order id).
func (s *store) renderShippingAddress(o *Order) map[string]any {
	zero := Money(0).V2()
	m := addressMap(o.Billing)
	path := fmt.Sprintf("/orders/%d/shipping_addresses/%d/shipping_quotes", o.ID, o.ID)
	for k, v := range map[string]any{
		"id": o.ID, "order_id": o.ID, "items_total": o.ItemsTotal(), "items_shipped": o.ItemsShipped(),
		"base_cost": o.Shipping.V2(), "cost_ex_tax": o.Shipping.V2(), "cost_inc_tax": o.Shipping.V2(), "cost_tax": zero,
		"cost_tax_class_id": 0, "base_handling_cost": zero, "handling_cost_ex_tax": zero, "handling_cost_inc_tax": zero,
		"handling_cost_tax": zero, "handling_cost_tax_class_id": 0, "shipping_zone_id": 1, "shipping_zone_name": "United States",
		"form_fields": []any{}, "shipping_method": "Standard",
		"shipping_quotes": map[string]any{"url": s.apiBase("v2") + path, "resource": path},
	} {
		m[k] = v
	}
	return m
}

func (s *store) renderCoupon(o *Order, c OrderCoupon) map[string]any {
	return map[string]any{
		"id": c.ID, "coupon_id": c.CouponID, "order_id": o.ID, "code": c.Code, "amount": c.Amount,
		"type": c.Type, "discount": c.Discount.Float(),
	}
}

// orderFilter selects orders by the v2 query parameters.
func orderFilter(q url.Values) (func(s *store, r orderRow) bool, error) {
	var preds []func(s *store, r orderRow) bool
	intParam := func(name string, pred func(s *store, r orderRow, v int) bool) error {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return errf(400, "The field '%s' is invalid.", name)
			}
			preds = append(preds, func(s *store, r orderRow) bool { return pred(s, r, n) })
		}
		return nil
	}
	floatParam := func(name string, pred func(r orderRow, v Money) bool) error {
		if v := q.Get(name); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return errf(400, "The field '%s' is invalid.", name)
			}
			m := MoneyFromFloat(f)
			preds = append(preds, func(_ *store, r orderRow) bool { return pred(r, m) })
		}
		return nil
	}
	dateParam := func(name string, pred func(r orderRow, t int64) bool) error {
		if v := q.Get(name); v != "" {
			t, err := parseAPIDate(v)
			if err != nil {
				return errf(400, "The field '%s' is invalid: use RFC 2822 or ISO 8601.", name)
			}
			// Dates are kept to the second; a bound with a fraction keeps its second.
			sec := t.Unix()
			preds = append(preds, func(_ *store, r orderRow) bool { return pred(r, sec) })
		}
		return nil
	}
	for _, err := range []error{
		intParam("min_id", func(_ *store, r orderRow, v int) bool { return r.id() >= v }),
		intParam("max_id", func(_ *store, r orderRow, v int) bool { return r.id() <= v }),
		intParam("customer_id", func(_ *store, r orderRow, v int) bool { return r.customerID() == v }),
		intParam("status_id", func(_ *store, r orderRow, v int) bool { return r.statusID() == v }),
		intParam("channel_id", func(s *store, r orderRow, v int) bool { return r.channelID(s) == v }),
		floatParam("min_total", func(r orderRow, v Money) bool { return r.total() >= v }),
		floatParam("max_total", func(r orderRow, v Money) bool { return r.total() <= v }),
		dateParam("min_date_created", func(r orderRow, t int64) bool { return r.created() >= t }),
		dateParam("max_date_created", func(r orderRow, t int64) bool { return r.created() <= t }),
		dateParam("min_date_modified", func(r orderRow, t int64) bool { return r.modified() >= t }),
		dateParam("max_date_modified", func(r orderRow, t int64) bool { return r.modified() <= t }),
	} {
		if err != nil {
			return nil, err
		}
	}
	if v := q.Get("email"); v != "" {
		preds = append(preds, func(s *store, r orderRow) bool { return strings.EqualFold(r.email(s), v) })
	}
	if v := q.Get("cart_id"); v != "" {
		preds = append(preds, func(_ *store, r orderRow) bool { return r.cartID() == v })
	}
	if v := q.Get("payment_method"); v != "" {
		preds = append(preds, func(_ *store, r orderRow) bool { return strings.EqualFold(r.paymentMethod(), v) })
	}
	if v := q.Get("external_order_id"); v != "" {
		preds = append(preds, func(*store, orderRow) bool { return false })
	}
	return func(s *store, r orderRow) bool {
		for _, p := range preds {
			if !p(s, r) {
				return false
			}
		}
		return true
	}, nil
}

// orderSort is a parsed v2 sort parameter: a key of a row, or nil for id order.
type orderSort struct {
	key  func(s *store, r orderRow) int64
	desc bool
}

func parseOrderSort(spec string) (orderSort, error) {
	var out orderSort
	if spec == "" {
		return out, nil
	}
	field, dir, _ := strings.Cut(spec, ":")
	out.desc = strings.EqualFold(dir, "desc")
	if dir != "" && !out.desc && !strings.EqualFold(dir, "asc") {
		return out, errf(400, "The field 'sort' is invalid.")
	}
	switch field {
	case "id", "external_id":
	case "customer_id":
		out.key = func(_ *store, r orderRow) int64 { return int64(r.customerID()) }
	case "date_created":
		out.key = func(_ *store, r orderRow) int64 { return r.created() }
	case "date_modified":
		out.key = func(_ *store, r orderRow) int64 { return r.modified() }
	case "status_id":
		out.key = func(_ *store, r orderRow) int64 { return int64(r.statusID()) }
	case "channel_id":
		out.key = func(s *store, r orderRow) int64 { return int64(r.channelID(s)) }
	default:
		return out, errf(400, "The field 'sort' is invalid.")
	}
	return out, nil
}

// pageOrders returns the rows of one page of the matching orders, sorted.
// Id order (the default) walks the store without collecting every match.
// s.mu must be held.
func (s *store) pageOrders(match func(*store, orderRow) bool, srt orderSort, p page) []orderRow {
	skip := (p.Page - 1) * p.Limit
	var out []orderRow
	if srt.key == nil {
		s.eachOrder(srt.desc, func(r orderRow) bool {
			if !match(s, r) {
				return true
			}
			if skip > 0 {
				skip--
				return true
			}
			out = append(out, r)
			return len(out) < p.Limit
		})
		return out
	}
	type keyed struct {
		key int64
		row orderRow
	}
	var all []keyed
	s.eachOrder(false, func(r orderRow) bool {
		if match(s, r) {
			all = append(all, keyed{srt.key(s, r), r})
		}
		return true
	})
	// Ties keep id order (ascending), whatever the direction.
	sort.SliceStable(all, func(i, j int) bool {
		if srt.desc {
			return all[i].key > all[j].key
		}
		return all[i].key < all[j].key
	})
	from, to := p.slice(len(all))
	for _, k := range all[from:to] {
		out = append(out, k.row)
	}
	return out
}

// v2List writes a page of a v2 collection: a bare array, or 204 with no body when empty.
func v2List(w http.ResponseWriter, r *http.Request, items []any) error {
	p, err := parsePage(r.URL.Query(), 50, 250, false)
	if err != nil {
		return errf(400, "%s", err.(*apiError).Title)
	}
	from, to := p.slice(len(items))
	if from >= to {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	writeJSON(w, http.StatusOK, items[from:to])
	return nil
}

func (e *Emulator) registerOrders() {
	getOrder := func(s *store, r *http.Request) (*Order, error) {
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil {
			return nil, errf(404, "The requested resource was not found.")
		}
		o := s.orderView(id)
		if o == nil {
			return nil, errf(404, "The requested resource was not found.")
		}
		return o, nil
	}
	e.v2("GET /orders", func(s *store, w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		match, err := orderFilter(q)
		if err != nil {
			return err
		}
		srt, err := parseOrderSort(q.Get("sort"))
		if err != nil {
			return err
		}
		inc, err := parseOrderIncludes(q)
		if err != nil {
			return err
		}
		p, err := parsePage(q, 50, 250, false)
		if err != nil {
			return errf(400, "%s", err.(*apiError).Title)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		rows := s.pageOrders(match, srt, p)
		if len(rows) == 0 {
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		items := make([]any, len(rows))
		for i, row := range rows {
			items[i] = s.renderOrderWith(row.order(s), inc)
		}
		writeJSON(w, http.StatusOK, items)
		return nil
	})
	e.v2("GET /orders/count", func(s *store, w http.ResponseWriter, r *http.Request) error {
		match, err := orderFilter(r.URL.Query())
		if err != nil {
			return err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		counts := make([]int, len(OrderStatusNames))
		total := 0
		s.eachOrder(false, func(row orderRow) bool {
			if match(s, row) {
				counts[row.statusID()]++
				total++
			}
			return true
		})
		statuses := []any{}
		for id := range OrderStatusNames {
			st := orderStatusMap(id)
			st["count"] = counts[id]
			st["sort_order"] = id
			statuses = append(statuses, st)
		}
		writeJSON(w, http.StatusOK, map[string]any{"statuses": statuses, "count": total})
		return nil
	})
	e.v2("GET /orders/{id}", func(s *store, w http.ResponseWriter, r *http.Request) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		inc, err := parseOrderIncludes(r.URL.Query())
		if err != nil {
			return err
		}
		o, err := getOrder(s, r)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, s.renderOrderWith(o, inc))
		return nil
	})
	// orderList serves one of an order's v2 sub-resources as a bare list
	// (204 when empty).
	orderList := func(render func(s *store, o *Order) []any) func(*store, http.ResponseWriter, *http.Request) error {
		return func(s *store, w http.ResponseWriter, r *http.Request) error {
			s.mu.Lock()
			defer s.mu.Unlock()
			o, err := getOrder(s, r)
			if err != nil {
				return err
			}
			return v2List(w, r, render(s, o))
		}
	}
	e.v2("GET /orders/{id}/products", orderList(func(s *store, o *Order) []any {
		items := []any{}
		for _, p := range o.Products {
			items = append(items, s.renderOrderProduct(o, p))
		}
		return items
	}))
	e.v2("GET /orders/{id}/coupons", orderList(func(s *store, o *Order) []any {
		items := []any{}
		for _, c := range o.Coupons {
			items = append(items, s.renderCoupon(o, c))
		}
		return items
	}))
	e.v2("GET /orders/{id}/shipments", orderList(func(s *store, o *Order) []any {
		items := []any{}
		for _, sh := range o.Shipments {
			items = append(items, s.renderShipment(o, sh))
		}
		return items
	}))
	e.v2("GET /orders/{id}/shipping_addresses", orderList(func(s *store, o *Order) []any {
		return []any{s.renderShippingAddress(o)}
	}))
	e.v2("GET /order_statuses", func(s *store, w http.ResponseWriter, r *http.Request) error {
		out := []any{}
		for id := range OrderStatusNames {
			out = append(out, orderStatusMap(id))
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	})
	e.v2("GET /order_statuses/{id}", func(s *store, w http.ResponseWriter, r *http.Request) error {
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil || id < 0 || id >= len(OrderStatusNames) {
			return errf(404, "The requested resource was not found.")
		}
		writeJSON(w, http.StatusOK, orderStatusMap(id))
		return nil
	})
}

func orderStatusMap(id int) map[string]any {
	return map[string]any{
		"id": id, "name": OrderStatusNames[id], "system_label": OrderStatusNames[id], "custom_label": OrderStatusNames[id],
		"system_description": orderStatusDescriptions[id],
	}
}
