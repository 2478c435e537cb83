package bigcommerce

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// AppliedDiscount is a discount applied to an order line: a coupon (Code
// set), a promotion, or a manual discount spread over the lines.
type AppliedDiscount struct {
	// ID names the discount ("total-coupon", a promotion id, …).
	ID     string  `json:"id"`
	Amount Decimal `json:"amount"`
	Name   string  `json:"name"`
	// Code is the coupon code; nil or "" for other discounts.
	Code *string `json:"code"`
	// Target is "order" or "product".
	Target string `json:"target"`
}

// CouponCodes returns the distinct coupon codes the order's line items
// carry in their applied discounts (upper-cased as BigCommerce stores them
// case-insensitively), in order of appearance. The v2 order itself only
// links to its coupons (/orders/{id}/coupons): listed with IncludeLineItems,
// this is the way to know an order's codes without a request per order. A
// coupon that discounts no line (a shipping coupon) is not seen here.
func (o Order) CouponCodes() []string {
	var out []string
	seen := map[string]bool{}
	for _, li := range o.LineItems {
		for _, d := range li.AppliedDiscounts {
			if d.Code == nil || strings.TrimSpace(*d.Code) == "" {
				continue
			}
			code := strings.ToUpper(strings.TrimSpace(*d.Code))
			if !seen[code] {
				seen[code] = true
				out = append(out, code)
			}
		}
	}
	return out
}

// orderWire is an order as listed with consignments.
type orderWire struct {
	Order
	Consignments json.RawMessage `json:"consignments"`
}

// consignmentsObject is consignment_structure=object: every kind of
// consignment, each with its line_items (a list of order products once
// consignments.line_items is included, else resource links).
type consignmentsObject struct {
	Pickups   []consignmentLines `json:"pickups"`
	Shipping  []consignmentLines `json:"shipping"`
	Downloads []consignmentLines `json:"downloads"`
	Email     struct {
		GiftCertificates []consignmentLines `json:"gift_certificates"`
	} `json:"email"`
}

type consignmentLines struct {
	LineItems json.RawMessage `json:"line_items"`
}

// lineItems flattens the consignments' order products, once each; resource
// links (no product id) are skipped.
func (c consignmentsObject) lineItems() ([]OrderProduct, error) {
	out := []OrderProduct{}
	seen := map[int]bool{}
	groups := [][]consignmentLines{c.Shipping, c.Pickups, c.Downloads, c.Email.GiftCertificates}
	for _, g := range groups {
		for _, cons := range g {
			raw := bytes.TrimSpace(cons.LineItems)
			if len(raw) == 0 || raw[0] != '[' {
				continue // absent, null, or a single resource link
			}
			var items []OrderProduct
			if err := json.Unmarshal(raw, &items); err != nil {
				return nil, fmt.Errorf("consignment line items: %w", err)
			}
			for _, it := range items {
				if it.ID == 0 && it.ProductID == 0 && it.Name == "" {
					continue // a resource link
				}
				if it.ID != 0 && seen[it.ID] {
					continue
				}
				seen[it.ID] = true
				out = append(out, it)
			}
		}
	}
	return out, nil
}

// decodeOrdersWithLines decodes a v2 order list carrying consignments.
func decodeOrdersWithLines(body []byte) ([]Order, error) {
	var wire []orderWire
	if err := json.Unmarshal(body, &wire); err != nil {
		return nil, err
	}
	out := make([]Order, len(wire))
	for i, w := range wire {
		o := w.Order
		var cons consignmentsObject
		raw := bytes.TrimSpace(w.Consignments)
		if len(raw) > 0 && raw[0] == '{' {
			if err := json.Unmarshal(raw, &cons); err != nil {
				return nil, fmt.Errorf("order %d consignments: %w", o.ID, err)
			}
		}
		lines, err := cons.lineItems()
		if err != nil {
			return nil, fmt.Errorf("order %d: %w", o.ID, err)
		}
		o.LineItems = lines
		out[i] = o
	}
	return out, nil
}
