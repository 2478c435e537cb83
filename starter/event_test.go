package starter

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseEvent(t *testing.T) {
	ev, err := ParseEvent([]byte(`{"scope":"store/order/statusUpdated","store_id":"1025646","producer":"stores/abc123","hash":"h1","created_at":1561482670,
		"data":{"type":"order","id":250,"status":{"previous_status_id":0,"new_status_id":11}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Scope != "store/order/statusUpdated" || ev.StoreHash != "abc123" || ev.StoreID != "1025646" || ev.Hash != "h1" ||
		!ev.CreatedAt.Equal(time.Unix(1561482670, 0)) || ev.Data.ID != "250" || ev.Data.NewStatusID != 11 || ev.Data.PreviousStatusID != 0 {
		t.Fatalf("event = %+v", ev)
	}
	ev, err = ParseEvent([]byte(`{"scope":"store/cart/converted","store_id":1025646,"producer":"stores/abc123","created_at":"1561482670",
		"data":{"type":"cart","id":"09346904-4175-44fd-be53-f7e598531b6c","orderId":"252"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Data.ID != "09346904-4175-44fd-be53-f7e598531b6c" || ev.Data.OrderID != 252 || ev.StoreID != "1025646" {
		t.Fatalf("event = %+v", ev)
	}
}

func TestParseEventNamesTheBadField(t *testing.T) {
	cases := map[string]string{
		``:                                     "body",
		`[1]`:                                  "body",
		`{} {}`:                                "body",
		`{"x":1}`:                              "scope",
		`{"scope":""}`:                         "scope",
		`{"scope":"store/x/y"}`:                "store_id",
		`{"scope":"../../etc"}`:                "scope",
		`{"scope":"store/x/y","store_id":"1"}`: "producer",
		`{"scope":"store/x/y","store_id":"1","producer":"stores/a/b"}`:                                       "producer",
		`{"scope":"store/x/y","store_id":"1","producer":"stores/a"}`:                                         "data",
		`{"scope":"store/x/y","store_id":"1","producer":"stores/a","data":[]}`:                               "data",
		`{"scope":"store/x/y","store_id":"1","producer":"stores/a","data":{"id":1.5}}`:                       "data.id",
		`{"scope":"store/x/y","store_id":"1","producer":"stores/a","created_at":"yesterday","data":{}}`:      "created_at",
		`{"scope":"store/x/y","store_id":"1","producer":"stores/a","data":{"orderId":"x"}}`:                  "data.orderId",
		`{"scope":"store/x/y","store_id":"1","producer":"stores/a","data":{"status":{"new_status_id":"x"}}}`: "data.status",
	}
	for body, field := range cases {
		_, err := ParseEvent([]byte(body))
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Field != field {
			t.Errorf("ParseEvent(%s) = %v, want a ParseError on %s", body, err, field)
		}
	}
}

const goodCart = "09346904-4175-44fd-be53-f7e598531b6c"

// TestParseEventIDShapes: every id is checked in the shape BigCommerce
// documents, and a malformed one is a ParseError naming the field.
func TestParseEventIDShapes(t *testing.T) {
	body := func(scope, data string) string {
		return `{"scope":"` + scope + `","store_id":"1025646","producer":"stores/abc123","hash":"352e4afc","created_at":1561482670,"data":` + data + `}`
	}
	bad := []struct{ name, body, field string }{
		{"cart id path traversal", body("store/cart/updated", `{"type":"cart","id":"../../../etc/passwd"}`), "data.id"},
		{"cart id script", body("store/cart/updated", `{"type":"cart","id":"<script>alert(1)</script>"}`), "data.id"},
		{"cart id number", body("store/cart/updated", `{"type":"cart","id":12345}`), "data.id"},
		{"cart id numeric string", body("store/cart/created", `{"type":"cart","id":"12345"}`), "data.id"},
		{"cart id sql", body("store/cart/updated", `{"type":"cart","id":"1' OR '1'='1"}`), "data.id"},
		{"cart id NUL", body("store/cart/updated", `{"type":"cart","id":"`+goodCart+`\u0000"}`), "data.id"},
		{"cart id newline", body("store/cart/updated", `{"type":"cart","id":"`+goodCart+`\n"}`), "data.id"},
		{"cart id invalid UTF-8", body("store/cart/updated", "{\"type\":\"cart\",\"id\":\"\xff\xfe\"}"), "body"},
		{"cart id missing", body("store/cart/abandoned", `{"type":"cart","token":"abc"}`), "data.id"},
		{"line item cartId", body("store/cart/lineItem/created", `{"type":"cart_line_item","id":"`+goodCart+`","cartId":"c1"}`), "data.cartId"},
		{"abandoned token", body("store/cart/abandoned", `{"type":"cart","id":"`+goodCart+`","token":"a b"}`), "data.token"},
		{"converted without order", body("store/cart/converted", `{"type":"cart","id":"`+goodCart+`"}`), "data.orderId"},
		{"coupon id", body("store/cart/couponApplied", `{"type":"cart","id":"`+goodCart+`","couponId":-1}`), "data.couponId"},
		{"order id abc", body("store/order/created", `{"type":"order","id":"abc"}`), "data.id"},
		{"order id -5", body("store/order/updated", `{"type":"order","id":-5}`), "data.id"},
		{"order id 0", body("store/order/statusUpdated", `{"type":"order","id":0,"status":{"previous_status_id":0,"new_status_id":11}}`), "data.id"},
		{"order id padded", body("store/order/created", `{"type":"order","id":"007"}`), "data.id"},
		{"status negative", body("store/order/statusUpdated", `{"type":"order","id":1,"status":{"previous_status_id":-1,"new_status_id":11}}`), "data.status"},
		{"customer id", body("store/customer/updated", `{"type":"customer","id":"x"}`), "data.id"},
		{"product id", body("store/product/updated", `{"type":"product","id":0}`), "data.id"},
		{"shipment order", body("store/shipment/created", `{"type":"shipment","id":12,"orderId":0}`), "data.orderId"},
		{"store_id text", strings.Replace(body("store/order/created", `{"id":1}`), `"1025646"`, `"abc"`, 1), "store_id"},
		{"store_id zero", strings.Replace(body("store/order/created", `{"id":1}`), `"1025646"`, `"0"`, 1), "store_id"},
		{"producer upper case", strings.Replace(body("store/order/created", `{"id":1}`), "abc123", "ABC123", 1), "producer"},
		{"producer traversal", strings.Replace(body("store/order/created", `{"id":1}`), "stores/abc123", "stores/..", 1), "producer"},
		{"hash newline", strings.Replace(body("store/order/created", `{"id":1}`), "352e4afc", `35\n2e`, 1), "hash"},
	}
	for _, tc := range bad {
		_, err := ParseEvent([]byte(tc.body))
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Field != tc.field {
			t.Errorf("%s: ParseEvent = %v, want a ParseError on %s", tc.name, err, tc.field)
		}
	}
	good := []struct{ scope, data string }{
		{"store/cart/updated", `{"type":"cart","id":"` + strings.ToUpper(goodCart) + `"}`},
		{"store/cart/lineItem/deleted", `{"type":"cart_line_item","id":"b0386708-fef3-45de-9d8b-fbe3031450a4","cartId":"` + goodCart + `"}`},
		{"store/cart/couponApplied", `{"type":"cart","id":"` + goodCart + `","couponId":1}`},
		{"store/cart/abandoned", `{"type":"cart","id":"` + goodCart + `","token":"1eed6d2d979776ff18e695ceeb10ea61"}`},
		{"store/cart/converted", `{"type":"cart","id":"` + goodCart + `","orderId":252}`},
		{"store/order/updated", `{"type":"order","id":250}`},
		{"store/order/refund/created", `{"type":"order","id":"250","refund":{"refund_id":3}}`},
		{"store/shipment/created", `{"type":"shipment","id":12,"orderId":251}`},
		{"store/customer/created", `{"type":"customer","id":32}`},
		{"store/app/uninstalled", `{}`},
	}
	for _, tc := range good {
		ev, err := ParseEvent([]byte(body(tc.scope, tc.data)))
		if err != nil {
			t.Errorf("%s %s: %v", tc.scope, tc.data, err)
			continue
		}
		if strings.HasPrefix(tc.scope, "store/cart/") && ev.Data.ID != strings.ToLower(ev.Data.ID) {
			t.Errorf("%s: cart id %q not lower-cased", tc.scope, ev.Data.ID)
		}
	}
}

// FuzzParseEvent: the parser never panics, and what it accepts is complete.
func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(`{"scope":"store/cart/updated","store_id":"1","producer":"stores/abc","hash":"h","created_at":1,"data":{"type":"cart","id":"09346904-4175-44fd-be53-f7e598531b6c"}}`))
	f.Add([]byte(`{"scope":"store/order/statusUpdated","store_id":1,"producer":"stores/abc","data":{"id":5,"status":{"previous_status_id":1,"new_status_id":2}}}`))
	f.Add([]byte(`{"scope":"store/order/created","store_id":"1","producer":"stores/abc","hash":"h","created_at":1,"data":{"type":"order","id":"1' OR '1'='1"}}`))
	f.Add([]byte(`{"scope":"store/cart/abandoned","store_id":"1","producer":"stores/abc","data":{"id":"09346904-4175-44fd-be53-f7e598531b6c","token":"t"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := ParseEvent(body)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Field == "" {
				t.Fatalf("error %v is not a ParseError naming a field", err)
			}
			return
		}
		if ev.Scope == "" || ev.StoreHash == "" || ev.StoreID == "" {
			t.Fatalf("accepted an incomplete event: %+v", ev)
		}
		if CheckStoreHash(ev.StoreHash) != nil || CheckScope(ev.Scope) != nil {
			t.Fatalf("accepted a malformed store hash or scope: %+v", ev)
		}
		if strings.HasPrefix(ev.Scope, "store/cart/") && !uuidPattern.MatchString(ev.Data.ID) {
			t.Fatalf("accepted a cart event whose id is not a UUID: %q", ev.Data.ID)
		}
		if strings.HasPrefix(ev.Scope, "store/order/") {
			if _, err := ev.Data.IntID(); err != nil {
				t.Fatalf("accepted an order event whose id is not a positive integer: %q", ev.Data.ID)
			}
		}
	})
}
