package bigcommerce

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// Customer includes for the fields a merchant adds to customer accounts.
const (
	// IncludeFormFields adds the account-signup form fields (form_fields).
	IncludeFormFields = "formfields"
	// IncludeAttributes adds the customer attribute values (attributes).
	IncludeAttributes = "attributes"
)

// FormFieldValue is a customer's answer to a custom field of the account
// signup form (Settings › Account sign up form), by the field's label.
type FormFieldValue struct {
	Name string `json:"name"`
	// Value is a JSON string, number or array of strings.
	Value json.RawMessage `json:"value"`
}

// Text returns the value as text: a string as is, a number as written, a
// list joined with ", ".
func (f FormFieldValue) Text() string {
	var s string
	if json.Unmarshal(f.Value, &s) == nil {
		return s
	}
	var list []string
	if json.Unmarshal(f.Value, &list) == nil {
		return strings.Join(list, ", ")
	}
	var n json.Number
	if json.Unmarshal(f.Value, &n) == nil {
		return n.String()
	}
	return ""
}

// CustomerAttributeValue is a customer's value of a store customer attribute
// (always a string, whatever the attribute's type).
type CustomerAttributeValue struct {
	ID          int    `json:"id"`
	AttributeID int    `json:"attribute_id"`
	Value       string `json:"attribute_value"`
}

// CustomerWithFields is a customer with its form fields and attribute
// values (GetCustomers with IncludeFormFields and IncludeAttributes).
type CustomerWithFields struct {
	Customer
	FormFields []FormFieldValue         `json:"form_fields,omitempty"`
	Attributes []CustomerAttributeValue `json:"attributes,omitempty"`
}

// GetCustomersWithFields returns one page of the customers matching f, with
// their form fields and attribute values.
func (c *Client) GetCustomersWithFields(ctx context.Context, f CustomerFilter) (Page[CustomerWithFields], error) {
	for _, inc := range []string{IncludeFormFields, IncludeAttributes} {
		if !containsString(f.Include, inc) {
			f.Include = append(f.Include, inc)
		}
	}
	var items []CustomerWithFields
	p, err := c.callV3(ctx, request{op: "get customers with fields", method: http.MethodGet, path: "/customers", query: f.query()}, &items)
	if items == nil {
		items = []CustomerWithFields{}
	}
	return Page[CustomerWithFields]{Items: items, Pagination: p}, err
}

// CustomerAttribute is a store's customer attribute definition
// (Customers › Attributes).
type CustomerAttribute struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	// Type is string, number or date.
	Type string `json:"type"`
}

// ListCustomerAttributes returns one page of the store's customer
// attribute definitions.
func (c *Client) ListCustomerAttributes(ctx context.Context, p PageOptions) (Page[CustomerAttribute], error) {
	q := url.Values{}
	p.apply(q)
	var items []CustomerAttribute
	pg, err := c.callV3(ctx, request{op: "list customer attributes", method: http.MethodGet, path: "/customers/attributes", query: q}, &items)
	if items == nil {
		items = []CustomerAttribute{}
	}
	return Page[CustomerAttribute]{Items: items, Pagination: pg}, err
}

func containsString(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}
