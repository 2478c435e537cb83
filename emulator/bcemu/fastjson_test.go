package bcemu

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"
)

// appendJSON must produce exactly json.Marshal's bytes: checked on every
// kind of value the renderers build and on whole rendered objects.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	values := []any{
		nil, "", "plain", "quote\"back\\slash", "<a href='x'>&</a>", "tab\tnew\nline\x01", "Zoë ☕", "\u2028",
		true, false, 0, -7, int64(1) << 60, 0.0, math.Copysign(0, -1), 1.0, -2.5, 12.3456, 1e-7, 1e20, 1e21, 123456789012345.0, 1e15 + 0.5,
		[]int{}, []int(nil), []int{1, -2}, []any{}, []any(nil), map[string]any{}, map[string]any(nil),
		map[string]any{"b": 1, "a": []any{"x", map[string]any{"z": nil, "y": 2.5}}, "é": true},
		[]string{"a", "<"}, struct {
			A int `json:"a"`
		}{3}, time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	for _, v := range values {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendJSON(nil, v)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%#v: got %s, want %s (%v)", v, got, want, err)
		}
	}
	en, _ := bulkEnv(t, BulkOptions{Customers: 30, Orders: 80, Products: 10, Categories: 2, Seed: 2})
	s, _ := en.e.store(testHash)
	s.mu.Lock()
	defer s.mu.Unlock()
	var objs []any
	s.eachOrder(false, func(r orderRow) bool {
		objs = append(objs, s.renderOrderWith(r.order(s), orderIncludes{consignments: true, lineItems: true, fees: true}))
		return true
	})
	all := map[string]bool{"addresses": true, "storecredit": true, "attributes": true, "formfields": true, "variants": true, "images": true, "custom_fields": true, "primary_image": true, "channels": true}
	for _, c := range s.Customers {
		objs = append(objs, s.renderCustomer(c, all))
	}
	for _, p := range s.Products {
		objs = append(objs, s.renderProduct(p, all))
	}
	for _, c := range s.Categories {
		objs = append(objs, s.renderCategory(c))
	}
	want, _ := json.Marshal(objs)
	got, err := appendJSON(nil, objs)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("rendered objects differ from json.Marshal (%v)", err)
	}
}
