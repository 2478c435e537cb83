package brevoemu

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func orderJSONBody(id, email, status string, amount float64) string {
	return fmt.Sprintf(`{"id":%q,"createdAt":"2026-01-02T10:00:00Z","updatedAt":"2026-01-03T10:00:00.123Z","status":%q,"amount":%v,"storeId":"st1","email":%q,`+
		`"products":[{"productId":"P1","quantity":2,"variantId":"V1","price":10.5},{"productId":"P2","quantity":1,"price":%v}],"coupons":["SPRING10"],"billing":{"city":"Basel","countryCode":"CH"}}`,
		id, status, amount, email, amount-21)
}

func TestOrders(t *testing.T) {
	v := newEnv(t, Options{})
	v.call("POST", "/v3/contacts", `{"email":"ann@example.com"}`, true)
	if r := v.call("POST", "/v3/orders/status", orderJSONBody("1", "Ann@Example.com", "completed", 50), true); r.status != 204 || len(r.body) != 0 {
		t.Fatalf("single: %d %s", r.status, r.body)
	}
	o, ok := v.e.Order("1")
	if !ok || o.Historical || o.LivePosts != 1 || o.Email != "ann@example.com" || len(o.Products) != 2 || o.Products[1].Price != 29 ||
		o.Coupons[0] != "spring10" || o.Billing.City != "Basel" || o.UpdatedAt != "2026-01-03T10:00:00.123Z" {
		t.Fatalf("single order recorded %+v", o)
	}

	batch := `{"orders":[` + orderJSONBody("2", "bob@example.com", "completed", 30) + `,` + orderJSONBody("3", "bob@example.com", "pending", 40) + `]}`
	r := v.call("POST", "/v3/orders/status/batch", batch, true)
	if r.status != 202 || r.json(t)["batchId"] != 1.0 {
		t.Fatalf("batch: %d %s", r.status, r.body)
	}
	if o, _ := v.e.Order("2"); !o.Historical || o.LivePosts != 0 {
		t.Fatalf("a batch without historical is historical (the spec's default): %+v", o)
	}
	// A re-post replaces the order: same id, new status, still one order.
	repost := `{"historical":true,"orders":[` + orderJSONBody("3", "bob@example.com", "refunded", 40) + `]}`
	if r := v.call("POST", "/v3/orders/status/batch", repost, true); r.status != 202 || r.json(t)["batchId"] != 2.0 {
		t.Fatalf("repost: %d %s", r.status, r.body)
	}
	if o, _ := v.e.Order("3"); o.Status != "refunded" || o.Posts != 2 || o.LivePosts != 0 {
		t.Fatalf("reposted order %+v", o)
	}
	live := `{"historical":false,"orders":[` + orderJSONBody("4", "cy@example.com", "completed", 25) + `]}`
	v.call("POST", "/v3/orders/status/batch", live, true)
	c := v.e.Counts()
	if c.Orders != 4 || c.HistoricalOrders != 2 || c.LiveOrders != 2 || c.OrderPosts != 5 {
		t.Fatalf("counts %+v", c)
	}

	// GET /v3/orders: newest first by default, count is the total.
	r = v.call("GET", "/v3/orders?limit=2", "", true)
	m := r.json(t)
	orders, _ := m["orders"].([]any)
	if r.status != 200 || m["count"] != 4.0 || len(orders) != 2 || orders[0].(map[string]any)["id"] != "4" {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	r = v.call("GET", "/v3/orders?sort=asc&offset=0&limit=1", "", true)
	first := r.json(t)["orders"].([]any)[0].(map[string]any)
	if first["id"] != "1" || first["contact_id"] != 1.0 || first["amount"] != 50.0 {
		t.Fatalf("asc first: %s", r.body)
	}
	if r := v.call("GET", "/v3/orders?modifiedSince=2026-01-03T10:00:00.200Z", "", true); r.json(t)["count"] != 0.0 {
		t.Fatalf("modifiedSince: %s", r.body)
	}
	wantError(t, v.call("GET", "/v3/orders?limit=101", "", false), 400, "out_of_range")

	// Control API.
	var listed struct {
		Orders []Order `json:"orders"`
		Count  int     `json:"count"`
	}
	if err := json.Unmarshal(v.sim("GET", "/_sim/brevo/orders?historical=false", "").body, &listed); err != nil || listed.Count != 2 {
		t.Fatalf("sim orders: %+v %v", listed, err)
	}
	if r := v.sim("GET", "/_sim/brevo/orders/3", ""); r.status != 200 || !strings.Contains(string(r.body), `"refunded"`) {
		t.Fatalf("sim order: %d %s", r.status, r.body)
	}
	var counts Counts
	_ = json.Unmarshal(v.sim("GET", "/_sim/brevo/counts", "").body, &counts)
	if counts != v.e.Counts() {
		t.Fatalf("sim counts %+v", counts)
	}
}

func TestOrderValidation(t *testing.T) {
	v := newEnv(t, Options{BatchLimits: BatchLimits{Orders: 2}})
	good := orderJSONBody("9", "ann@example.com", "completed", 50)
	cases := []struct {
		name, path, body, code string
	}{
		{"no id", "/v3/orders/status", strings.Replace(good, `"id":"9",`, "", 1), "missing_parameter"},
		{"no amount", "/v3/orders/status", strings.Replace(good, `"amount":50,`, "", 1), "missing_parameter"},
		{"bad date", "/v3/orders/status", strings.Replace(good, "2026-01-02T10:00:00Z", "02/01/2026", 1), "invalid_parameter"},
		{"no email nor phone", "/v3/orders/status", strings.Replace(good, `"email":"ann@example.com",`, "", 1), "missing_parameter"},
		{"numeric productId", "/v3/orders/status", strings.Replace(good, `"productId":"P1"`, `"productId":1`, 1), "invalid_parameter"},
		{"no price", "/v3/orders/status", strings.Replace(good, `,"price":10.5`, "", 1), "missing_parameter"},
		{"no orders", "/v3/orders/status/batch", `{"historical":true}`, "missing_parameter"},
		{"too many", "/v3/orders/status/batch", `{"orders":[` + good + `,` + good + `,` + good + `]}`, "out_of_range"},
		{"one bad", "/v3/orders/status/batch", `{"orders":[` + good + `,` + strings.Replace(good, `"status":"completed",`, "", 1) + `]}`, "missing_parameter"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, v.call("POST", c.path, c.body, false), 400, c.code)
		})
	}
	// A phone in billing stands in for the email.
	phoneOnly := strings.Replace(strings.Replace(good, `"email":"ann@example.com",`, "", 1), `"city":"Basel"`, `"phone":"+41790000000"`, 1)
	if r := v.call("POST", "/v3/orders/status", phoneOnly, true); r.status != 204 {
		t.Fatalf("phone only: %d %s", r.status, r.body)
	}
	if n := v.e.Counts().Orders; n != 1 {
		t.Fatalf("%d orders after rejected requests, want 1", n)
	}
	if DefaultBatchLimits().Orders != 1000 {
		t.Fatal("Brevo documents 1,000 orders per batch")
	}
}
