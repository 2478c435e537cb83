package bcemu

import (
	"fmt"
	"net/http"
	"net/url"
)

// orderIncludes are the v2 order includes (order_includes in orders.v2).
type orderIncludes struct {
	consignments bool // consignments in the object structure
	lineItems    bool // ... with their line items as full order products
	fees         bool
}

// parseOrderIncludes reads include and consignment_structure. The spec
// describes consignments only in the object structure, so include=consignments
// without consignment_structure=object (the platform's legacy array form) is
// refused with 400 rather than answered in a shape nobody can check.
func parseOrderIncludes(q url.Values) (orderIncludes, error) {
	var inc orderIncludes
	for v := range csvStrings(q["include"]) {
		switch v {
		case "consignments":
			inc.consignments = true
		case "consignments.line_items":
			inc.consignments, inc.lineItems = true, true
		case "fees":
			inc.fees = true
		default:
			return inc, errf(400, "The field 'include' is invalid: unknown include %q.", v)
		}
	}
	cs := q.Get("consignment_structure")
	if cs != "" && cs != "object" {
		return inc, errf(400, "The field 'consignment_structure' is invalid: only \"object\" is supported.")
	}
	if inc.consignments && cs != "object" {
		return inc, errf(400, "include=consignments needs consignment_structure=object (the array structure is not emulated).")
	}
	return inc, nil
}

// renderOrderWith renders an order with its includes.
func (s *store) renderOrderWith(o *Order, inc orderIncludes) map[string]any {
	m := s.renderOrder(o)
	if inc.consignments {
		m["consignments"] = s.renderConsignments(o, inc.lineItems)
	}
	if inc.fees {
		m["fees"] = []any{}
	}
	return m
}

// renderConsignments renders orderConsignment_Get: physical items in one
// shipping consignment (id = order id, the billing address, as
// /shipping_addresses shows it), digital items in one download consignment.
// With lineItems each line is the full /orders/{id}/products object,
// otherwise a link to it.
func (s *store) renderConsignments(o *Order, lineItems bool) map[string]any {
	var physical, digital []any
	for _, p := range o.Products {
		var item any
		if lineItems {
			item = s.renderOrderProduct(o, p)
		} else {
			path := fmt.Sprintf("/orders/%d/products/%d", o.ID, p.ID)
			item = map[string]any{"url": s.apiBase("v2") + path, "resource": path}
		}
		if p.Digital {
			digital = append(digital, item)
		} else {
			physical = append(physical, item)
		}
	}
	shipping, downloads := []any{}, []any{}
	if len(physical) > 0 {
		ship := addressMap(o.Billing)
		quotes := fmt.Sprintf("/orders/%d/consignments/shipping/%d/shipping_quotes", o.ID, o.ID)
		shipped := 0
		items := 0
		for _, p := range o.Products {
			if !p.Digital {
				items += p.Quantity
				shipped += p.QuantityShipped
			}
		}
		cost := o.Shipping.Float()
		for k, v := range map[string]any{
			"id": o.ID, "form_fields": []any{}, "line_items": physical, "items_total": items, "items_shipped": shipped,
			"shipping_method": "Standard", "base_cost": cost, "cost_ex_tax": cost, "cost_inc_tax": cost, "cost_tax": 0,
			"cost_tax_class_id": 0, "base_handling_cost": 0, "handling_cost_ex_tax": 0, "handling_cost_inc_tax": 0,
			"handling_cost_tax": 0, "handling_cost_tax_class_id": 0, "shipping_zone_id": 1, "shipping_zone_name": "United States",
			"shipping_quotes": map[string]any{"url": s.apiBase("v2") + quotes, "resource": quotes},
		} {
			ship[k] = v
		}
		shipping = append(shipping, ship)
	}
	if len(digital) > 0 {
		downloads = append(downloads, map[string]any{"recipient_email": o.Email, "line_items": digital})
	}
	return map[string]any{
		"pickups": []any{}, "shipping": shipping, "downloads": downloads,
		"email": map[string]any{"gift_certificates": []any{}},
	}
}

func (e *Emulator) registerConsignments() {
	e.v2("GET /orders/{id}/consignments", func(s *store, w http.ResponseWriter, r *http.Request) error {
		lineItems := false
		for v := range csvStrings(r.URL.Query()["include"]) {
			if v != "consignments.line_items" {
				return errf(400, "The field 'include' is invalid: unknown include %q.", v)
			}
			lineItems = true
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		id, err := pathInt(r, "id")
		if err != nil {
			return errf(404, "The requested resource was not found.")
		}
		o := s.orderView(id)
		if o == nil {
			return errf(404, "The requested resource was not found.")
		}
		writeJSON(w, http.StatusOK, s.renderConsignments(o, lineItems))
		return nil
	})
}
