package activities

import (
	"context"
	"strconv"
	"time"

	"github.com/bcflow/bcflow/bigcommerce"
)

// Survey merge fields: the customer and order (or cart) fields the Alchemer
// BigCommerce initiator hands to a survey, under stable snake_case names, so
// a merchant can attach a survey to any of its three events (shipment
// created, cart converted, cart abandoned) and prefill or tag the answers.
// Every value is a string; a field without a value is "" (never missing).
//
// Customer (registered customers from their record, guests from the billing
// address): customer_id ("0" for guests), customer_email,
// customer_first_name, customer_last_name, customer_company,
// customer_phone, customer_group_id, customer_group_name.
//
// Order: order_id, order_status, order_status_id, order_subtotal_ex_tax,
// order_subtotal_inc_tax, order_total_ex_tax, order_total_inc_tax,
// order_total_tax, order_shipping_cost_inc_tax, order_discount_amount,
// order_refunded_amount, order_items_total, order_currency,
// order_payment_method, order_payment_status, order_date_created,
// order_date_modified, order_date_shipped (RFC 3339, UTC), channel_id,
// cart_id; billing_first_name, billing_last_name, billing_company,
// billing_street_1, billing_street_2, billing_city, billing_state,
// billing_zip, billing_country, billing_country_iso2, billing_phone,
// billing_email.
//
// Cart (abandoned carts): cart_id, cart_amount, cart_base_amount,
// cart_discount_amount, cart_currency, cart_item_count, cart_date_created,
// cart_date_modified, channel_id.
var (
	// MergeFieldsCustomer names the customer merge fields.
	MergeFieldsCustomer = []string{"customer_id", "customer_email", "customer_first_name", "customer_last_name",
		"customer_company", "customer_phone", "customer_group_id", "customer_group_name"}
	// MergeFieldsOrder names the order merge fields.
	MergeFieldsOrder = []string{"order_id", "order_status", "order_status_id", "order_subtotal_ex_tax", "order_subtotal_inc_tax",
		"order_total_ex_tax", "order_total_inc_tax", "order_total_tax", "order_shipping_cost_inc_tax", "order_discount_amount",
		"order_refunded_amount", "order_items_total", "order_currency", "order_payment_method", "order_payment_status",
		"order_date_created", "order_date_modified", "order_date_shipped", "channel_id", "cart_id",
		"billing_first_name", "billing_last_name", "billing_company", "billing_street_1", "billing_street_2", "billing_city",
		"billing_state", "billing_zip", "billing_country", "billing_country_iso2", "billing_phone", "billing_email"}
	// MergeFieldsCart names the cart merge fields.
	MergeFieldsCart = []string{"cart_id", "cart_amount", "cart_base_amount", "cart_discount_amount", "cart_currency",
		"cart_item_count", "cart_date_created", "cart_date_modified", "channel_id"}
)

// MergeFieldsInput asks for the merge fields of an order (shipment created,
// cart converted) or of a cart (cart abandoned). With both, the order wins
// and the cart id is kept.
type MergeFieldsInput struct {
	StoreHash string
	OrderID   int64
	CartID    string
}

// MergeFieldSet is the merge fields and what the sending flow needs to
// decide: whether the order or cart still exists, its status, and the
// shopper with their consent.
type MergeFieldSet struct {
	// Exists is false when the order (or cart) is gone.
	Exists   bool
	StatusID int
	Shopper  Shopper
	// Fields are the merge fields by name (see MergeFieldsCustomer,
	// MergeFieldsOrder, MergeFieldsCart).
	Fields map[string]string
}

// LoadMergeFields gathers the survey merge fields of an order or a cart.
func (a *Activities) LoadMergeFields(ctx context.Context, in MergeFieldsInput) (MergeFieldSet, error) {
	bc, err := a.bc(in.StoreHash)
	if err != nil {
		return MergeFieldSet{}, err
	}
	if in.OrderID > 0 {
		return a.orderMergeFields(ctx, bc, in)
	}
	return a.cartMergeFields(ctx, bc, in)
}

func (a *Activities) orderMergeFields(ctx context.Context, bc *bigcommerce.Client, in MergeFieldsInput) (MergeFieldSet, error) {
	o, err := bc.GetOrder(ctx, int(in.OrderID))
	if bigcommerce.IsNotFound(err) {
		return MergeFieldSet{}, nil
	}
	if err != nil {
		return MergeFieldSet{}, classify("merge fields: load order", err)
	}
	out := MergeFieldSet{Exists: !o.IsDeleted, StatusID: o.StatusID, Fields: map[string]string{}}
	shopper, groupName, err := a.orderShopper(ctx, bc, in.StoreHash, o)
	if err != nil {
		return out, err
	}
	out.Shopper = shopper
	b := o.BillingAddress
	company := b.Company
	if o.CustomerID > 0 {
		if c, err := bc.GetCustomer(ctx, o.CustomerID); err == nil && c.Company != "" {
			company = c.Company
		} else if err != nil && !bigcommerce.IsNotFound(err) {
			return out, classify("merge fields: load customer", err)
		}
	}
	a.customerFields(out.Fields, shopper, company, groupName)
	f := out.Fields
	f["order_id"] = strconv.Itoa(o.ID)
	f["order_status"] = o.Status
	f["order_status_id"] = strconv.Itoa(o.StatusID)
	f["order_subtotal_ex_tax"] = o.SubtotalExTax.String()
	f["order_subtotal_inc_tax"] = o.SubtotalIncTax.String()
	f["order_total_ex_tax"] = o.TotalExTax.String()
	f["order_total_inc_tax"] = o.TotalIncTax.String()
	f["order_total_tax"] = o.TotalTax.String()
	f["order_shipping_cost_inc_tax"] = o.ShippingCostIncTax.String()
	f["order_discount_amount"] = o.DiscountAmount.String()
	f["order_refunded_amount"] = o.RefundedAmount.String()
	f["order_items_total"] = strconv.Itoa(o.ItemsTotal)
	f["order_currency"] = o.CurrencyCode
	f["order_payment_method"] = o.PaymentMethod
	f["order_payment_status"] = o.PaymentStatus
	f["order_date_created"] = mergeTime(o.DateCreated.Time)
	f["order_date_modified"] = mergeTime(o.DateModified.Time)
	f["order_date_shipped"] = mergeTime(o.DateShipped.Time)
	f["channel_id"] = strconv.Itoa(o.ChannelID)
	f["cart_id"] = o.CartID
	if f["cart_id"] == "" {
		f["cart_id"] = in.CartID
	}
	for k, v := range map[string]string{
		"billing_first_name": b.FirstName, "billing_last_name": b.LastName, "billing_company": b.Company,
		"billing_street_1": b.Street1, "billing_street_2": b.Street2, "billing_city": b.City, "billing_state": b.State,
		"billing_zip": b.Zip, "billing_country": b.Country, "billing_country_iso2": b.CountryISO2, "billing_phone": b.Phone,
		"billing_email": b.Email,
	} {
		f[k] = v
	}
	return out, nil
}

func (a *Activities) cartMergeFields(ctx context.Context, bc *bigcommerce.Client, in MergeFieldsInput) (MergeFieldSet, error) {
	out := MergeFieldSet{Fields: map[string]string{}}
	for _, k := range MergeFieldsCart {
		out.Fields[k] = ""
	}
	out.Fields["cart_id"] = in.CartID
	cart, err := bc.GetCart(ctx, in.CartID)
	if bigcommerce.IsNotFound(err) {
		return out, nil
	}
	if err != nil {
		return out, classify("merge fields: load cart", err)
	}
	out.Exists = true
	shopper, err := a.shopper(ctx, bc, in.StoreHash, cart.ChannelID, int64(cart.CustomerID), cart.Email)
	if err != nil {
		return out, err
	}
	out.Shopper = shopper
	company, groupName := "", ""
	if cart.CustomerID > 0 {
		c, err := bc.GetCustomer(ctx, cart.CustomerID)
		if err != nil && !bigcommerce.IsNotFound(err) {
			return out, classify("merge fields: load customer", err)
		}
		company = c.Company
		if c.CustomerGroupID > 0 {
			g, err := bc.GetCustomerGroup(ctx, c.CustomerGroupID)
			if err != nil && !bigcommerce.IsNotFound(err) {
				return out, classify("merge fields: load customer group", err)
			}
			groupName = g.Name
		}
	}
	a.customerFields(out.Fields, shopper, company, groupName)
	f := out.Fields
	f["cart_amount"] = cart.CartAmount.String()
	f["cart_base_amount"] = cart.BaseAmount.String()
	f["cart_discount_amount"] = cart.DiscountAmount.String()
	f["cart_currency"] = cart.Currency.Code
	f["cart_item_count"] = strconv.Itoa(cart.Quantity())
	f["cart_date_created"] = mergeTime(cart.CreatedTime.Time)
	f["cart_date_modified"] = mergeTime(cart.UpdatedTime.Time)
	f["channel_id"] = strconv.Itoa(cart.ChannelID)
	return out, nil
}

func (a *Activities) customerFields(f map[string]string, s Shopper, company, groupName string) {
	f["customer_id"] = strconv.FormatInt(s.CustomerID, 10)
	f["customer_email"] = s.Email
	f["customer_first_name"] = s.FirstName
	f["customer_last_name"] = s.LastName
	f["customer_company"] = company
	f["customer_phone"] = s.Phone
	f["customer_group_id"] = ""
	if s.GroupID > 0 {
		f["customer_group_id"] = strconv.FormatInt(s.GroupID, 10)
	}
	f["customer_group_name"] = groupName
}

func mergeTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
