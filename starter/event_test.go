package starter

import (
	"errors"
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
		``:                             "body",
		`[1]`:                          "body",
		`{} {}`:                        "body",
		`{"x":1}`:                      "scope",
		`{"scope":""}`:                 "scope",
		`{"scope":"s"}`:                "store_id",
		`{"scope":"s","store_id":"1"}`: "producer",
		`{"scope":"s","store_id":"1","producer":"stores/a/b"}`:                                       "producer",
		`{"scope":"s","store_id":"1","producer":"stores/a"}`:                                         "data",
		`{"scope":"s","store_id":"1","producer":"stores/a","data":[]}`:                               "data",
		`{"scope":"s","store_id":"1","producer":"stores/a","data":{"id":1.5}}`:                       "data.id",
		`{"scope":"s","store_id":"1","producer":"stores/a","created_at":"yesterday","data":{}}`:      "created_at",
		`{"scope":"s","store_id":"1","producer":"stores/a","data":{"orderId":"x"}}`:                  "data.orderId",
		`{"scope":"s","store_id":"1","producer":"stores/a","data":{"status":{"new_status_id":"x"}}}`: "data.status",
	}
	for body, field := range cases {
		_, err := ParseEvent([]byte(body))
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Field != field {
			t.Errorf("ParseEvent(%s) = %v, want a ParseError on %s", body, err, field)
		}
	}
}

// FuzzParseEvent: the parser never panics, and what it accepts is complete.
func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(`{"scope":"store/cart/updated","store_id":"1","producer":"stores/abc","hash":"h","created_at":1,"data":{"type":"cart","id":"c1"}}`))
	f.Add([]byte(`{"scope":"store/order/statusUpdated","store_id":1,"producer":"stores/abc","data":{"id":5,"status":{"previous_status_id":1,"new_status_id":2}}}`))
	f.Add([]byte(`{"scope":"store/cart/abandoned","store_id":"1","producer":"stores/abc","data":{"id":"c","token":"t"}}`))
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
	})
}
