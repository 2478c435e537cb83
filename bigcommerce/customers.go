package bigcommerce

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Customer is a v3 registered customer (customer_Full).
type Customer struct {
	ID              int    `json:"id"`
	Email           string `json:"email"`
	FirstName       string `json:"first_name"`
	LastName        string `json:"last_name"`
	Company         string `json:"company"`
	Phone           string `json:"phone"`
	Notes           string `json:"notes"`
	CustomerGroupID int    `json:"customer_group_id"`
	// AcceptsAbandonedCartEmails is the shopper's consent to product review
	// and abandoned cart emails.
	AcceptsAbandonedCartEmails bool  `json:"accepts_product_review_abandoned_cart_emails"`
	OriginChannelID            int   `json:"origin_channel_id"`
	ChannelIDs                 []int `json:"channel_ids"`
	DateCreated                Time  `json:"date_created"`
	DateModified               Time  `json:"date_modified"`
	// ShopperProfileID is set with CustomerFilter.Include "shopper_profile_id"
	// when the customer has a shopper profile.
	ShopperProfileID string `json:"shopper_profile_id,omitempty"`
	// SegmentIDs is set with CustomerFilter.Include "segment_ids".
	SegmentIDs []string `json:"segment_ids,omitempty"`
	// TaxExemptCategory is the customer's tax exemption code, if any.
	TaxExemptCategory string `json:"tax_exempt_category,omitempty"`
	// AddressCount and AttributeCount count the sub-resources, included or not.
	AddressCount   int `json:"address_count"`
	AttributeCount int `json:"attribute_count"`
	// Addresses is set with Include IncludeAddresses.
	Addresses []CustomerAddress `json:"addresses,omitempty"`
	// StoreCreditAmounts is set with Include IncludeStoreCredit.
	StoreCreditAmounts []StoreCreditAmount `json:"store_credit_amounts,omitempty"`
	// FormFields is set with Include IncludeFormFields.
	FormFields []FormFieldValue `json:"form_fields,omitempty"`
	// Attributes is set with Include IncludeAttributes.
	Attributes []CustomerAttributeValue `json:"attributes,omitempty"`
}

// StoreCredit returns the customer's total store credit (the sum of
// StoreCreditAmounts; zero when not included).
func (c Customer) StoreCredit() Decimal {
	var sum Decimal
	for _, a := range c.StoreCreditAmounts {
		sum = sum.Add(a.Amount)
	}
	return sum
}

// CustomerAddress is one of a customer's saved addresses (address_Full).
type CustomerAddress struct {
	ID              int    `json:"id"`
	CustomerID      int    `json:"customer_id"`
	FirstName       string `json:"first_name"`
	LastName        string `json:"last_name"`
	Company         string `json:"company"`
	Address1        string `json:"address1"`
	Address2        string `json:"address2"`
	City            string `json:"city"`
	StateOrProvince string `json:"state_or_province"`
	PostalCode      string `json:"postal_code"`
	// CountryCode is the ISO 3166-1 alpha-2 code ("US").
	CountryCode string `json:"country_code"`
	Country     string `json:"country"`
	Phone       string `json:"phone"`
	// AddressType is "residential" or "commercial".
	AddressType string           `json:"address_type"`
	FormFields  []FormFieldValue `json:"form_fields,omitempty"`
}

// StoreCreditAmount is an amount of store credit.
type StoreCreditAmount struct {
	Amount Decimal `json:"amount"`
}

// Customer sub-resources for CustomerFilter.Include (with IncludeFormFields
// and IncludeAttributes).
const (
	IncludeShopperProfileID = "shopper_profile_id"
	IncludeSegmentIDs       = "segment_ids"
	IncludeAddresses        = "addresses"
	IncludeStoreCredit      = "storecredit"
)

// CustomerFilter selects customers (v3 query parameters). Zero fields are
// unset. Keep id and email lists short (a URL holds a few hundred ids).
type CustomerFilter struct {
	IDs      []int    `json:"ids,omitempty"`
	Emails   []string `json:"emails,omitempty"`
	GroupIDs []int    `json:"group_ids,omitempty"`
	// Date bounds (date_created:min/max, date_modified:min/max), sent in
	// ISO 8601 UTC.
	DateCreatedMin  time.Time `json:"date_created_min,omitzero"`
	DateCreatedMax  time.Time `json:"date_created_max,omitzero"`
	DateModifiedMin time.Time `json:"date_modified_min,omitzero"`
	DateModifiedMax time.Time `json:"date_modified_max,omitzero"`
	// Include lists sub-resources: IncludeAddresses, IncludeStoreCredit,
	// IncludeAttributes, IncludeFormFields, IncludeShopperProfileID,
	// IncludeSegmentIDs.
	Include []string `json:"include,omitempty"`
	// Sort is one of date_created:asc|desc, date_modified:asc|desc,
	// last_name:asc|desc; empty for the API's default order (by id).
	Sort string `json:"sort,omitempty"`
	PageOptions
}

func joinInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ",")
}

func (f CustomerFilter) query() url.Values {
	q := url.Values{}
	if len(f.IDs) > 0 {
		q.Set("id:in", joinInts(f.IDs))
	}
	if len(f.Emails) > 0 {
		q.Set("email:in", strings.Join(f.Emails, ","))
	}
	if len(f.GroupIDs) > 0 {
		q.Set("customer_group_id:in", joinInts(f.GroupIDs))
	}
	for k, t := range map[string]time.Time{
		"date_created:min": f.DateCreatedMin, "date_created:max": f.DateCreatedMax,
		"date_modified:min": f.DateModifiedMin, "date_modified:max": f.DateModifiedMax,
	} {
		if !t.IsZero() {
			q.Set(k, formatFilterTime(t))
		}
	}
	if len(f.Include) > 0 {
		q.Set("include", strings.Join(f.Include, ","))
	}
	if f.Sort != "" {
		q.Set("sort", f.Sort)
	}
	f.PageOptions.apply(q)
	return q
}

// GetCustomers returns one page of the customers matching f.
func (c *Client) GetCustomers(ctx context.Context, f CustomerFilter) (Page[Customer], error) {
	var items []Customer
	p, err := c.callV3(ctx, request{op: "get customers", method: http.MethodGet, path: "/customers", query: f.query()}, &items)
	if items == nil {
		items = []Customer{}
	}
	return Page[Customer]{Items: items, Pagination: p}, err
}

// Customers iterates over every customer matching f.
func (c *Client) Customers(ctx context.Context, f CustomerFilter) iter.Seq2[Customer, error] {
	limit := iterLimit(f.PageOptions)
	return iterate(ctx, f.Page, func(ctx context.Context, page int) ([]Customer, bool, error) {
		g := f
		g.PageOptions = PageOptions{Page: page, Limit: limit}
		p, err := c.GetCustomers(ctx, g)
		return p.Items, v3More(p.Pagination, len(p.Items), limit), err
	})
}

// GetCustomer returns a customer by id, NotFound when there is none.
func (c *Client) GetCustomer(ctx context.Context, customerID int, include ...string) (Customer, error) {
	op := fmt.Sprintf("get customer %d", customerID)
	f := CustomerFilter{IDs: []int{customerID}, Include: include}
	var items []Customer
	r := request{op: op, method: http.MethodGet, path: "/customers", query: f.query()}
	if _, err := c.callV3(ctx, r, &items); err != nil {
		return Customer{}, err
	}
	for _, cu := range items {
		if cu.ID == customerID {
			return cu, nil
		}
	}
	r.version = "v3"
	return Customer{}, c.notFound(r, "customer")
}

// CustomerGroup is a v2 customer group.
type CustomerGroup struct {
	ID               int    `json:"id"`
	Name             string `json:"name"`
	IsDefault        bool   `json:"is_default"`
	IsGroupForGuests bool   `json:"is_group_for_guests"`
	DateCreated      Time   `json:"date_created"`
	DateModified     Time   `json:"date_modified"`
}

// ListCustomerGroups returns one page of the store's customer groups.
func (c *Client) ListCustomerGroups(ctx context.Context, p PageOptions) ([]CustomerGroup, error) {
	q := url.Values{}
	p.apply(q)
	out := []CustomerGroup{}
	_, err := c.callV2(ctx, request{op: "list customer groups", method: http.MethodGet, path: "/customer_groups", query: q}, &out)
	return out, err
}

// CustomerGroups iterates over every customer group.
func (c *Client) CustomerGroups(ctx context.Context) iter.Seq2[CustomerGroup, error] {
	return iterate(ctx, 1, func(ctx context.Context, page int) ([]CustomerGroup, bool, error) {
		items, err := c.ListCustomerGroups(ctx, PageOptions{Page: page, Limit: MaxPageSize})
		return items, len(items) >= MaxPageSize, err
	})
}

// GetCustomerGroup returns a customer group.
func (c *Client) GetCustomerGroup(ctx context.Context, groupID int) (CustomerGroup, error) {
	var g CustomerGroup
	r := request{op: fmt.Sprintf("get customer group %d", groupID), method: http.MethodGet, path: "/customer_groups/" + pathID(groupID)}
	empty, err := c.callV2(ctx, r, &g)
	if err == nil && empty {
		r.version = "v2"
		err = c.notFound(r, "customer group")
	}
	return g, err
}
