package bcemu

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Customer attributes (Customers › Attributes) are store-wide definitions;
// each customer holds at most one value per attribute, always a string. The
// emulator creates a string attribute the first time a CustomerInput names
// it. Account sign-up form fields are kept per customer by field name.

// CustomerAttribute is a store's customer attribute definition.
type CustomerAttribute struct {
	ID       int       `json:"id"`
	Name     string    `json:"name"`
	Type     string    `json:"type"`
	Created  time.Time `json:"date_created"`
	Modified time.Time `json:"date_modified"`
}

// AttributeValue is a customer's value of an attribute.
type AttributeValue struct {
	ID          int       `json:"id"`
	AttributeID int       `json:"attribute_id"`
	Value       string    `json:"attribute_value"`
	Created     time.Time `json:"date_created"`
	Modified    time.Time `json:"date_modified"`
}

// maxAttributeValues is the platform's limit of attribute values per customer.
const maxAttributeValues = 10

// attributeByName returns the attribute named name (case-insensitive).
func (s *store) attributeByName(name string) *CustomerAttribute {
	for _, a := range s.Attributes {
		if strings.EqualFold(a.Name, name) {
			return a
		}
	}
	return nil
}

// setAttributes upserts a customer's attribute values by attribute name
// (an empty value removes it), creating missing string attributes; the
// caller holds s.mu.
func (s *store) setAttributes(c *Customer, values map[string]string, now time.Time) error {
	for _, name := range slices.Sorted(maps.Keys(values)) {
		name, value := strings.TrimSpace(name), values[name]
		if name == "" {
			return &apiError{Status: 422, Title: "An attribute name is required.", Details: map[string]string{"name": "empty"}}
		}
		if len(value) > 255 {
			return &apiError{Status: 422, Title: "The attribute value is too long.", Details: map[string]string{name: "at most 255 characters"}}
		}
		attr := s.attributeByName(name)
		if attr == nil {
			s.Seq.Attribute++
			attr = &CustomerAttribute{ID: s.Seq.Attribute, Name: name, Type: "string", Created: now, Modified: now}
			s.Attributes = append(s.Attributes, attr)
		}
		i := slices.IndexFunc(c.AttributeValues, func(v *AttributeValue) bool { return v.AttributeID == attr.ID })
		switch {
		case value == "" && i >= 0:
			c.AttributeValues = slices.Delete(c.AttributeValues, i, i+1)
		case value == "":
		case i >= 0:
			c.AttributeValues[i].Value, c.AttributeValues[i].Modified = value, now
		case len(c.AttributeValues) >= maxAttributeValues:
			return &apiError{Status: 422, Title: fmt.Sprintf("A customer can have at most %d attribute values.", maxAttributeValues)}
		default:
			s.Seq.AttributeValue++
			c.AttributeValues = append(c.AttributeValues, &AttributeValue{ID: s.Seq.AttributeValue, AttributeID: attr.ID, Value: value, Created: now, Modified: now})
		}
	}
	return nil
}

// setFormFields sets a customer's sign-up form field values by field name
// (an empty value removes it).
func (c *Customer) setFormFields(values map[string]string) {
	for name, value := range values {
		if c.FormFields == nil {
			c.FormFields = map[string]string{}
		}
		if value == "" {
			delete(c.FormFields, name)
		} else {
			c.FormFields[name] = value
		}
	}
}

func renderAttributeValue(customerID int, v *AttributeValue) map[string]any {
	return map[string]any{
		"id": v.ID, "attribute_id": v.AttributeID, "attribute_value": v.Value, "customer_id": customerID,
		"date_created": iso8601(v.Created), "date_modified": iso8601(v.Modified),
	}
}

// renderFormFields renders formFieldValue_Customer objects, sorted by name.
func renderFormFields(c *Customer) []any {
	out := []any{}
	for _, name := range slices.Sorted(maps.Keys(c.FormFields)) {
		out = append(out, map[string]any{"name": name, "value": c.FormFields[name], "customer_id": c.ID})
	}
	return out
}

func (e *Emulator) registerAttributes() {
	e.v3("GET /customers/attribute-values", func(s *store, w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		p, err := parsePage(q, 50, 250, false)
		if err != nil {
			return err
		}
		var customers, attrs map[int]bool
		for key, dst := range map[string]*map[int]bool{"customer_id:in": &customers, "attribute_id:in": &attrs} {
			if v := q.Get(key); v != "" {
				xs, err := csvInts(v)
				if err != nil {
					return &apiError{Status: 422, Title: "The filter(s): " + key + " are not valid.", Details: map[string]string{key: err.Error()}}
				}
				*dst = intSet(xs)
			}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if name := q.Get("name"); name != "" {
			attrs = map[int]bool{}
			if a := s.attributeByName(name); a != nil {
				attrs[a.ID] = true
			}
		}
		type row struct {
			customerID int
			v          *AttributeValue
		}
		var list []row
		for _, c := range s.Customers {
			if customers != nil && !customers[c.ID] {
				continue
			}
			for _, v := range c.AttributeValues {
				if attrs == nil || attrs[v.AttributeID] {
					list = append(list, row{c.ID, v})
				}
			}
		}
		from, to := p.slice(len(list))
		data := []any{}
		for _, rw := range list[from:to] {
			data = append(data, renderAttributeValue(rw.customerID, rw.v))
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data, "meta": map[string]any{"pagination": v3Pagination(p, len(list), len(data), q)}})
		return nil
	})
}
