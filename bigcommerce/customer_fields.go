package bigcommerce

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
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
// values (GetCustomersWithFields); Customer carries both fields.
type CustomerWithFields = Customer

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

// CustomerAttributeValuesByName returns a customer's values of the store
// attribute named name (GET /v3/customers/attribute-values filtered by
// customer and attribute name): none when the customer has no value or the
// store no such attribute.
func (c *Client) CustomerAttributeValuesByName(ctx context.Context, customerID int, name string) ([]CustomerAttributeValue, error) {
	if customerID <= 0 || name == "" {
		return nil, errors.New("bigcommerce: customer attribute values: a customer id and an attribute name are required")
	}
	q := url.Values{}
	q.Set("customer_id:in", strconv.Itoa(customerID))
	q.Set("name", name)
	var items []CustomerAttributeValue
	_, err := c.callV3(ctx, request{op: "get attribute values of customer " + strconv.Itoa(customerID), method: http.MethodGet,
		path: "/customers/attribute-values", query: q}, &items)
	return items, err
}

// CustomerFormFields returns a customer's account sign-up form field values
// (GET /v3/customers?id:in={id}&include=formfields); none when the customer
// does not exist.
func (c *Client) CustomerFormFields(ctx context.Context, customerID int) ([]FormFieldValue, error) {
	if customerID <= 0 {
		return nil, errors.New("bigcommerce: customer form fields: a customer id is required")
	}
	var items []CustomerWithFields
	_, err := c.callV3(ctx, request{op: "get form fields of customer " + strconv.Itoa(customerID), method: http.MethodGet,
		path: "/customers", query: CustomerFilter{IDs: []int{customerID}, Include: []string{IncludeFormFields}}.query()}, &items)
	if err != nil || len(items) == 0 {
		return nil, err
	}
	return items[0].FormFields, nil
}
