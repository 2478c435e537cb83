package bcemu

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestAuthErrors(t *testing.T) {
	en := newEnv(t, Options{})
	r := en.callToken("GET", "/stores/"+testHash+"/v3/catalog/products", nil, "")
	wantStatus(t, r, 401)
	if m := r.obj(t); m["status"] != float64(401) || m["title"] == "" {
		t.Errorf("v3 401 body %s", r.Body)
	}
	r = en.callToken("GET", "/stores/"+testHash+"/v2/orders", nil, "wrong")
	wantStatus(t, r, 401)
	var arr []map[string]any
	r.json(t, &arr)
	if len(arr) != 1 || arr[0]["status"] != float64(401) || arr[0]["message"] == "" {
		t.Errorf("v2 401 body %s", r.Body)
	}
	wantStatus(t, en.callToken("GET", "/stores/nosuchstore/v3/carts/x", nil, testToken), 401)
	// Unknown routes answer in the version's error format.
	r = en.api("GET", "v2", "/nothing-here", nil)
	wantStatus(t, r, 404)
	r.json(t, &arr)
}

func TestRateLimit(t *testing.T) {
	seed := DefaultStore()
	other := DefaultStore()
	other.Hash, other.AccessToken, other.Quota, other.Catalog = "otherstore", "other-token", 450, nil
	en := newEnv(t, Options{RateLimitQuota: 5, Stores: []StoreSeed{seed, other}})
	for i := 0; i < 5; i++ {
		r := en.api("GET", "v3", "/catalog/products?limit=1", nil)
		wantStatus(t, r, 200)
		if got := r.Header.Get("X-Rate-Limit-Requests-Left"); got != strconv.Itoa(4-i) {
			t.Errorf("request %d: left %s, want %d", i, got, 4-i)
		}
		if r.Header.Get("X-Rate-Limit-Requests-Quota") != "5" || r.Header.Get("X-Rate-Limit-Time-Window-Ms") != "30000" {
			t.Errorf("headers %v", r.Header)
		}
		en.clock.Advance(time.Second)
	}
	r := en.api("GET", "v2", "/orders", nil)
	wantStatus(t, r, 429)
	if r.Header.Get("X-Rate-Limit-Requests-Left") != "0" || r.Header.Get("X-Rate-Limit-Time-Reset-Ms") != "25000" {
		t.Errorf("429 headers %v", r.Header)
	}
	var arr []map[string]any
	r.json(t, &arr) // v2 error body
	wantStatus(t, en.api("GET", "v3", "/hooks", nil), 429)
	// Other stores have their own window and quota.
	r = en.callToken("GET", "/stores/otherstore/v3/hooks", nil, "other-token")
	wantStatus(t, r, 200)
	if r.Header.Get("X-Rate-Limit-Requests-Quota") != "450" || r.Header.Get("X-Rate-Limit-Requests-Left") != "449" {
		t.Errorf("other store headers %v", r.Header)
	}
	// The window resets 30 s after it started.
	en.clock.Advance(25 * time.Second)
	r = en.api("GET", "v3", "/catalog/products?limit=1", nil)
	wantStatus(t, r, 200)
	if r.Header.Get("X-Rate-Limit-Requests-Left") != "4" || r.Header.Get("X-Rate-Limit-Time-Reset-Ms") != "30000" {
		t.Errorf("after reset %v", r.Header)
	}
	// The quota can be changed through the control API.
	wantStatus(t, en.sim("PUT", "/"+testHash+"/rate-limit", map[string]any{"quota": 450}), 200)
	if q := en.api("GET", "v3", "/hooks", nil).Header.Get("X-Rate-Limit-Requests-Quota"); q != "450" {
		t.Errorf("quota %s", q)
	}
}

func TestV2EmptyListsAre204(t *testing.T) {
	en := newEnv(t, Options{})
	for _, p := range []string{"/orders", "/orders?page=1&limit=5"} {
		r := en.api("GET", "v2", p, nil)
		wantStatus(t, r, 204)
		if len(r.Body) != 0 {
			t.Errorf("%s: body %q", p, r.Body)
		}
	}
	c, err := en.e.CreateCart(testHash, CartInput{CustomerID: 1, Items: []ItemInput{{SKU: "OTL", Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	o, err := en.e.Checkout(testHash, c.ID, CheckoutInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/coupons", "/shipments"} {
		r := en.api("GET", "v2", fmt.Sprintf("/orders/%d%s", o.ID, p), nil)
		wantStatus(t, r, 204)
	}
	wantStatus(t, en.api("GET", "v2", "/orders?customer_id=2", nil), 204)
	wantStatus(t, en.api("GET", "v2", "/orders?page=2", nil), 204)
	wantStatus(t, en.api("GET", "v2", "/orders", nil), 200)
	r := en.api("GET", "v2", "/orders/999", nil)
	wantStatus(t, r, 404)
	var arr []map[string]any
	r.json(t, &arr)
	if arr[0]["status"] != float64(404) {
		t.Errorf("404 body %s", r.Body)
	}
}

func TestCartsAPI(t *testing.T) {
	en := newEnv(t, Options{})
	r := en.api("POST", "v3", "/carts?include=redirect_urls", map[string]any{
		"line_items": []any{map[string]any{"product_id": 118, "variant_id": 141, "quantity": 2}, map[string]any{"product_id": 121, "quantity": 1}},
		"channel_id": 1,
	})
	wantStatus(t, r, 201)
	cart := r.obj(t)["data"].(map[string]any)
	id := cart["id"].(string)
	if cart["customer_id"] != float64(0) || cart["email"] != "" || cart["channel_id"] != float64(1) {
		t.Errorf("guest cart %v", cart)
	}
	ru, ok := cart["redirect_urls"].(map[string]any)
	if !ok || !strings.Contains(ru["checkout_url"].(string), id) {
		t.Errorf("redirect_urls %v", cart["redirect_urls"])
	}
	li := cart["line_items"].(map[string]any)
	phys, dig := li["physical_items"].([]any), li["digital_items"].([]any)
	if len(phys) != 1 || len(dig) != 1 {
		t.Fatalf("line items %v", li)
	}
	item := phys[0].(map[string]any)
	if item["sku"] != "TEE-M" || item["quantity"] != float64(2) || item["list_price"] != float64(28) || item["image_url"] == "" || item["url"] == "" {
		t.Errorf("item %v", item)
	}
	if cart["base_amount"] != float64(68.5) || cart["cart_amount"] != float64(68.5) || cart["currency"].(map[string]any)["code"] != "USD" {
		t.Errorf("amounts %v %v", cart["base_amount"], cart["cart_amount"])
	}
	// Add, change and remove items.
	r = en.api("POST", "v3", "/carts/"+id+"/items", map[string]any{"line_items": []any{map[string]any{"product_id": 111, "quantity": 1}}})
	wantStatus(t, r, 201)
	itemID := item["id"].(string)
	r = en.api("PUT", "v3", "/carts/"+id+"/items/"+itemID, map[string]any{"line_item": map[string]any{"product_id": 118, "variant_id": 141, "quantity": 5}})
	wantStatus(t, r, 200)
	r = en.api("GET", "v3", "/carts/"+id, nil)
	wantStatus(t, r, 200)
	got := r.obj(t)["data"].(map[string]any)
	if got["base_amount"] != float64(28*5+12.5+109) {
		t.Errorf("base_amount %v", got["base_amount"])
	}
	version := int(got["version"].(float64))
	wantStatus(t, en.api("PUT", "v3", "/carts/"+id, map[string]any{"customer_id": 1, "version": version - 1}), 409)
	r = en.api("PUT", "v3", "/carts/"+id, map[string]any{"customer_id": 1, "version": version})
	wantStatus(t, r, 201)
	if c := r.obj(t)["data"].(map[string]any); c["customer_id"] != float64(1) || c["email"] != "jane.doe@example.com" {
		t.Errorf("after customer change %v", c)
	}
	wantStatus(t, en.api("DELETE", "v3", "/carts/"+id+"/items/"+itemID, nil), 200)
	// Redirect URLs for an API cart.
	r = en.api("POST", "v3", "/carts/"+id+"/redirect_urls", map[string]any{})
	wantStatus(t, r, 201)
	for _, k := range []string{"cart_url", "checkout_url", "embedded_checkout_url"} {
		if u, _ := r.obj(t)["data"].(map[string]any)[k].(string); !strings.HasPrefix(u, "https://") {
			t.Errorf("%s = %q", k, u)
		}
	}
	// A storefront cart (created by the simulator) cannot get redirect URLs.
	sc, err := en.e.CreateCart(testHash, CartInput{Items: []ItemInput{{SKU: "MUG-BLACK", Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	r = en.api("POST", "v3", "/carts/"+sc.ID+"/redirect_urls", map[string]any{})
	wantStatus(t, r, 422)
	if r.obj(t)["title"] == "" {
		t.Errorf("error body %s", r.Body)
	}
	if _, ok := en.api("GET", "v3", "/carts/"+sc.ID+"?include=redirect_urls", nil).obj(t)["data"].(map[string]any)["redirect_urls"]; ok {
		t.Error("storefront cart got redirect_urls")
	}
	// Validation and deletion.
	wantStatus(t, en.api("POST", "v3", "/carts", map[string]any{"line_items": []any{map[string]any{"product_id": 118, "quantity": 1}}}), 422)
	wantStatus(t, en.api("POST", "v3", "/carts", map[string]any{"line_items": []any{map[string]any{"product_id": 9999, "quantity": 1}}}), 422)
	wantStatus(t, en.api("DELETE", "v3", "/carts/"+id, nil), 204)
	wantStatus(t, en.api("GET", "v3", "/carts/"+id, nil), 404)
}

func TestAbandonedCartToken(t *testing.T) {
	en := newEnv(t, Options{})
	c, err := en.e.CreateCart(testHash, CartInput{Email: "guest@example.org", Items: []ItemInput{{SKU: "CC3C", Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	token, err := en.e.AbandonCart(testHash, c.ID)
	if err != nil || len(token) != 32 {
		t.Fatalf("token %q %v", token, err)
	}
	r := en.api("GET", "v3", "/abandoned-carts/"+token, nil)
	wantStatus(t, r, 200)
	if r.obj(t)["data"].(map[string]any)["cart_id"] != c.ID {
		t.Errorf("abandoned cart %s", r.Body)
	}
	wantStatus(t, en.api("GET", "v3", "/abandoned-carts/00000000000000000000000000000000", nil), 404)
}

func TestOrdersFiltersSortPagination(t *testing.T) {
	en := newEnv(t, Options{})
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
	res, err := en.e.BulkGenerate(testHash, BulkOptions{Customers: 10, Orders: 60, From: from, To: to, Seed: 7})
	if err != nil || len(res.OrderIDs) != 60 || len(res.CustomerIDs) != 10 {
		t.Fatalf("bulk %v %v", res, err)
	}
	list := func(q string) []map[string]any {
		t.Helper()
		r := en.api("GET", "v2", "/orders?"+q, nil)
		if r.Status == 204 {
			return nil
		}
		wantStatus(t, r, 200)
		var out []map[string]any
		r.json(t, &out)
		return out
	}
	if n := len(list("")); n != 50 {
		t.Errorf("default page size %d", n)
	}
	var all []map[string]any
	for p := 1; ; p++ {
		page := list(fmt.Sprintf("limit=25&page=%d", p))
		if page == nil {
			break
		}
		all = append(all, page...)
	}
	if len(all) != 60 || all[0]["id"] != float64(100) || all[59]["id"] != float64(159) {
		t.Fatalf("paged %d orders", len(all))
	}
	if n := len(list("limit=1000")); n != 60 {
		t.Errorf("limit above 250 should clamp, got %d", n)
	}
	// Date filters accept RFC 2822 and ISO 8601, with the same result.
	mid := time.Date(2024, 2, 15, 12, 0, 0, 0, time.UTC)
	rfc := list("limit=250&min_date_created=" + url.QueryEscape(mid.Format(time.RFC1123Z)))
	iso := list("limit=250&min_date_created=" + url.QueryEscape(mid.In(time.FixedZone("", -4*3600)).Format("2006-01-02T15:04:05.000-07:00")))
	if len(rfc) == 0 || len(rfc) != len(iso) || len(rfc) == 60 {
		t.Errorf("date filter: rfc %d iso %d", len(rfc), len(iso))
	}
	for _, o := range rfc {
		d, err := time.Parse(time.RFC1123Z, o["date_created"].(string))
		if err != nil || d.Before(mid) {
			t.Errorf("order %v created %v", o["id"], o["date_created"])
		}
	}
	if n := len(list("limit=250&max_date_created=" + url.QueryEscape(mid.Format(time.RFC3339)))); n+len(rfc) != 60 {
		t.Errorf("max_date_created %d + min %d != 60", n, len(rfc))
	}
	r := en.api("GET", "v2", "/orders?min_date_created=yesterday", nil)
	wantStatus(t, r, 400)
	var errs []map[string]any
	r.json(t, &errs)
	// Filters.
	cust := all[3]["customer_id"].(float64)
	for _, o := range list(fmt.Sprintf("limit=250&customer_id=%d", int(cust))) {
		if o["customer_id"] != cust {
			t.Errorf("customer filter %v", o["customer_id"])
		}
	}
	for _, o := range list("limit=250&status_id=10") {
		if o["status_id"] != float64(10) || o["status"] != "Completed" {
			t.Errorf("status filter %v", o["status_id"])
		}
	}
	email := all[5]["billing_address"].(map[string]any)["email"].(string)
	if got := list("email=" + url.QueryEscape(email)); len(got) == 0 {
		t.Error("email filter found nothing")
	}
	if got := list("cart_id=" + all[7]["cart_id"].(string)); len(got) != 1 || got[0]["id"] != all[7]["id"] {
		t.Errorf("cart_id filter %v", got)
	}
	desc := list("limit=250&sort=date_created:desc")
	for i := 1; i < len(desc); i++ {
		a, _ := time.Parse(time.RFC1123Z, desc[i-1]["date_created"].(string))
		b, _ := time.Parse(time.RFC1123Z, desc[i]["date_created"].(string))
		if a.Before(b) {
			t.Fatalf("not sorted desc at %d", i)
		}
	}
	// Count with the statuses breakdown.
	r = en.api("GET", "v2", "/orders/count", nil)
	wantStatus(t, r, 200)
	var cnt struct {
		Count    int `json:"count"`
		Statuses []struct {
			ID    int    `json:"id"`
			Name  string `json:"name"`
			Count int    `json:"count"`
		} `json:"statuses"`
	}
	r.json(t, &cnt)
	sum := 0
	for _, s := range cnt.Statuses {
		sum += s.Count
		if s.Name != OrderStatusNames[s.ID] {
			t.Errorf("status %d named %s", s.ID, s.Name)
		}
	}
	if cnt.Count != 60 || sum != 60 || len(cnt.Statuses) != 15 {
		t.Errorf("count %+v", cnt)
	}
	if OrderStatusNames[14] != "Partially Refunded" || OrderStatusNames[11] != "Awaiting Fulfillment" || OrderStatusNames[0] != "Incomplete" {
		t.Error("status names")
	}
	// A fixed seed gives the same data.
	en2 := newEnv(t, Options{})
	res2, _ := en2.e.BulkGenerate(testHash, BulkOptions{Customers: 10, Orders: 60, From: from, To: to, Seed: 7})
	a, _ := en.e.SetOrderStatus(testHash, res.OrderIDs[10], 10)
	b, _ := en2.e.SetOrderStatus(testHash, res2.OrderIDs[10], 10)
	if a.Total() != b.Total() || !a.Created.Equal(b.Created) || a.Email != b.Email {
		t.Error("BulkGenerate is not deterministic for a seed")
	}
}

func TestOrderLifecycle(t *testing.T) {
	en := newEnv(t, Options{})
	if _, err := en.e.CreatePromotion(testHash, PromotionInput{Name: "Dup", Code: "welcome10", PercentOff: 5}); err == nil {
		t.Fatal("duplicate of the default WELCOME10 code accepted")
	}
	c, err := en.e.CreateCart(testHash, CartInput{CustomerID: 4, Items: []ItemInput{{SKU: "OTL", Quantity: 1}, {SKU: "KFG-EBOOK", Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	o, err := en.e.Checkout(testHash, c.ID, CheckoutInput{CouponCode: "welcome10", ShippingCost: 5})
	if err != nil {
		t.Fatal(err)
	}
	r := en.api("GET", "v2", fmt.Sprintf("/orders/%d", o.ID), nil)
	wantStatus(t, r, 200)
	m := r.obj(t)
	if m["subtotal_ex_tax"] != "121.5000" || m["coupon_discount"] != "12.1500" || m["total_inc_tax"] != "114.3500" ||
		m["status_id"] != float64(11) || m["cart_id"] != c.ID || m["customer_id"] != float64(4) || m["currency_code"] != "USD" {
		t.Errorf("order %v", m)
	}
	if _, err := time.Parse(time.RFC1123Z, m["date_created"].(string)); err != nil {
		t.Errorf("date_created %v", m["date_created"])
	}
	r = en.api("GET", "v2", fmt.Sprintf("/orders/%d/coupons", o.ID), nil)
	wantStatus(t, r, 200)
	r = en.api("GET", "v2", fmt.Sprintf("/orders/%d/products", o.ID), nil)
	wantStatus(t, r, 200)
	r = en.api("GET", "v2", fmt.Sprintf("/orders/%d/shipping_addresses", o.ID), nil)
	wantStatus(t, r, 200)
	if _, err := en.e.Ship(testHash, o.ID, ShipInput{TrackingNumber: "1Z999", Carrier: "UPS"}); err != nil {
		t.Fatal(err)
	}
	r = en.api("GET", "v2", fmt.Sprintf("/orders/%d/shipments", o.ID), nil)
	wantStatus(t, r, 200)
	var ships []map[string]any
	r.json(t, &ships)
	if len(ships) != 1 || ships[0]["tracking_number"] != "1Z999" || ships[0]["shipping_provider"] != "ups" {
		t.Errorf("shipments %v", ships)
	}
	if m := en.api("GET", "v2", fmt.Sprintf("/orders/%d", o.ID), nil).obj(t); m["status_id"] != float64(2) || m["date_shipped"] == "" {
		t.Errorf("after ship: %v %v", m["status_id"], m["date_shipped"])
	}
	if _, err := en.e.Ship(testHash, o.ID, ShipInput{TrackingNumber: "again"}); err == nil {
		t.Error("shipping a shipped order should fail")
	}
	if _, err := en.e.Refund(testHash, o.ID, RefundInput{Amount: 14.35}); err != nil {
		t.Fatal(err)
	}
	if m := en.api("GET", "v2", fmt.Sprintf("/orders/%d", o.ID), nil).obj(t); m["status_id"] != float64(14) || m["refunded_amount"] != "14.3500" || m["status"] != "Partially Refunded" {
		t.Errorf("after partial refund: %v %v", m["status_id"], m["refunded_amount"])
	}
	if _, err := en.e.Refund(testHash, o.ID, RefundInput{Amount: 1000}); err == nil {
		t.Error("over-refund should fail")
	}
	if _, err := en.e.Refund(testHash, o.ID, RefundInput{}); err != nil {
		t.Fatal(err)
	}
	if m := en.api("GET", "v2", fmt.Sprintf("/orders/%d", o.ID), nil).obj(t); m["status_id"] != float64(4) || m["refunded_amount"] != "114.3500" || m["payment_status"] != "refunded" {
		t.Errorf("after full refund: %v %v", m["status_id"], m["refunded_amount"])
	}
	// Guest checkout needs an email; the cart is gone after conversion.
	g, _ := en.e.CreateCart(testHash, CartInput{Items: []ItemInput{{SKU: "SM13", Quantity: 2}}})
	if _, err := en.e.Checkout(testHash, g.ID, CheckoutInput{}); err == nil {
		t.Error("guest checkout without email should fail")
	}
	en.e.SetCartEmail(testHash, g.ID, "guest@example.org")
	o2, err := en.e.Checkout(testHash, g.ID, CheckoutInput{})
	if err != nil || o2.CustomerID != 0 || o2.Email != "guest@example.org" {
		t.Fatalf("guest order %+v %v", o2, err)
	}
	wantStatus(t, en.api("GET", "v3", "/carts/"+g.ID, nil), 404)
	if _, err := en.e.Checkout(testHash, g.ID, CheckoutInput{}); err == nil {
		t.Error("second checkout of a converted cart should fail")
	}
	wantStatus(t, en.api("GET", "v2", "/order_statuses", nil), 200)
	wantStatus(t, en.api("GET", "v2", "/order_statuses/14", nil), 200)
}

func TestCustomersAndGroups(t *testing.T) {
	en := newEnv(t, Options{})
	en.clock.Advance(48 * time.Hour)
	accepts := false
	nc, err := en.e.CreateCustomer(testHash, CustomerInput{Email: "new@example.com", FirstName: "New", LastName: "Person", Phone: "+15550001", GroupID: 3, AcceptsAbandonedCartEmails: &accepts})
	if err != nil {
		t.Fatal(err)
	}
	get := func(q string) []map[string]any {
		t.Helper()
		r := en.api("GET", "v3", "/customers?"+q, nil)
		wantStatus(t, r, 200)
		var out struct {
			Data []map[string]any `json:"data"`
			Meta struct {
				Pagination map[string]any `json:"pagination"`
			} `json:"meta"`
		}
		r.json(t, &out)
		if out.Meta.Pagination["total"] == nil {
			t.Errorf("no pagination: %s", r.Body)
		}
		return out.Data
	}
	if got := get("id:in=1,3"); len(got) != 2 || got[0]["id"] != float64(1) || got[1]["id"] != float64(3) {
		t.Errorf("id:in %v", got)
	}
	if got := get("email:in=" + url.QueryEscape("VIP@example.com,new@example.com")); len(got) != 2 {
		t.Errorf("email:in %v", got)
	}
	if got := get("customer_group_id:in=3"); len(got) != 2 {
		t.Errorf("group filter %d", len(got))
	}
	since := en.clock.Now().Add(-time.Hour).Format("2006-01-02T15:04:05")
	got := get("date_created:min=" + since)
	if len(got) != 1 || got[0]["id"] != float64(nc.ID) || got[0]["accepts_product_review_abandoned_cart_emails"] != false ||
		got[0]["customer_group_id"] != float64(3) || got[0]["phone"] != "+15550001" {
		t.Errorf("date_created:min %v", got)
	}
	if got := get("date_created:max=" + since); len(got) != 4 {
		t.Errorf("date_created:max %d", len(got))
	}
	if got := get("date_modified:min=" + since); len(got) != 1 {
		t.Errorf("date_modified:min %d", len(got))
	}
	if p := get("limit=2&page=2"); len(p) != 2 || p[0]["id"] != float64(3) {
		t.Errorf("page 2 %v", p)
	}
	wantStatus(t, en.api("GET", "v3", "/customers?date_created:min=notadate", nil), 422)
	r := en.api("POST", "v3", "/customers", []any{map[string]any{"email": "api@example.com", "first_name": "Api", "last_name": "Made", "customer_group_id": 2}})
	wantStatus(t, r, 200)
	wantStatus(t, en.api("POST", "v3", "/customers", []any{map[string]any{"email": "api@example.com", "first_name": "Api", "last_name": "Made"}}), 409)
	r = en.api("PUT", "v3", "/customers", []any{map[string]any{"id": 2, "accepts_product_review_abandoned_cart_emails": false}})
	wantStatus(t, r, 200)
	// v2 customer groups.
	r = en.api("GET", "v2", "/customer_groups", nil)
	wantStatus(t, r, 200)
	var groups []map[string]any
	r.json(t, &groups)
	if len(groups) != 3 || groups[0]["name"] != "Retail" || groups[1]["name"] != "Wholesale" || groups[2]["name"] != "VIP" {
		t.Errorf("groups %v", groups)
	}
	wantStatus(t, en.api("GET", "v2", "/customer_groups/2", nil), 200)
	wantStatus(t, en.api("GET", "v2", "/customer_groups/9", nil), 404)
	wantStatus(t, en.api("GET", "v2", "/customer_groups?page=2", nil), 204)
}

func TestCatalog(t *testing.T) {
	en := newEnv(t, Options{})
	r := en.api("GET", "v3", "/catalog/products?include=variants,images,primary_image", nil)
	wantStatus(t, r, 200)
	var out struct {
		Data []map[string]any `json:"data"`
		Meta struct {
			Pagination struct {
				Total int `json:"total"`
			} `json:"pagination"`
		} `json:"meta"`
	}
	r.json(t, &out)
	if out.Meta.Pagination.Total != 12 || len(out.Data) != 12 {
		t.Fatalf("catalog size %d", out.Meta.Pagination.Total)
	}
	r = en.api("GET", "v3", "/catalog/products?sku:in=TEE-L,CC3C&include=variants", nil)
	r.json(t, &out)
	if len(out.Data) != 2 || out.Data[0]["id"] != float64(113) || out.Data[1]["id"] != float64(118) {
		t.Fatalf("sku:in %v", out.Data)
	}
	vs := out.Data[1]["variants"].([]any)
	if len(vs) != 4 || vs[2].(map[string]any)["sku"] != "TEE-L" {
		t.Errorf("variants %v", vs)
	}
	r = en.api("GET", "v3", "/catalog/products?id:in=111,114&include=images", nil)
	r.json(t, &out)
	img := out.Data[0]["images"].([]any)[0].(map[string]any)
	if len(out.Data) != 2 || !strings.HasPrefix(img["url_standard"].(string), "https://") || img["url_thumbnail"] == "" {
		t.Errorf("images %v", out.Data)
	}
	if out.Data[0]["custom_url"].(map[string]any)["url"] != "/orbit-terrarium-large/" {
		t.Errorf("custom_url %v", out.Data[0]["custom_url"])
	}
	r = en.api("GET", "v3", "/catalog/products?limit=5&page=3", nil)
	r.json(t, &out)
	if len(out.Data) != 2 {
		t.Errorf("last page %d", len(out.Data))
	}
	wantStatus(t, en.api("GET", "v3", "/catalog/products?limit=251", nil), 422)
	wantStatus(t, en.api("GET", "v3", "/catalog/products/118?include=variants,images", nil), 200)
	wantStatus(t, en.raw("GET", "/v3/catalog/products/118/variants"), 200) // not in products_catalog.v3.yml
	wantStatus(t, en.api("GET", "v3", "/catalog/products/118/images", nil), 200)
	wantStatus(t, en.api("GET", "v3", "/catalog/products/9999", nil), 404)
}

func TestPromotionsAndCouponCodes(t *testing.T) {
	en := newEnv(t, Options{})
	r := en.api("POST", "v3", "/promotions", map[string]any{
		"name": "Come back 15", "redemption_type": "COUPON", "channels": []any{map[string]any{"id": 1}},
		"rules": []any{map[string]any{"action": map[string]any{"cart_value": map[string]any{"discount": map[string]any{"percentage_amount": "15"}}}}},
	})
	wantStatus(t, r, 201)
	pid := int(r.obj(t)["data"].(map[string]any)["id"].(float64))
	codes := fmt.Sprintf("/promotions/%d/codes", pid)
	r = en.api("POST", "v3", codes, map[string]any{"code": "BACK-15-ABC", "max_uses": 1, "max_uses_per_customer": 1})
	wantStatus(t, r, 201)
	if d := r.obj(t)["data"].(map[string]any); d["code"] != "BACK-15-ABC" || d["current_uses"] != float64(0) {
		t.Errorf("code %v", d)
	}
	r = en.api("POST", "v3", codes, map[string]any{"code": "back-15-abc"})
	wantStatus(t, r, 409)
	if m := r.obj(t); m["errors"] == nil || m["title"] == "" {
		t.Errorf("duplicate body %s", r.Body)
	}
	wantStatus(t, en.api("POST", "v3", codes, map[string]any{"code": "bad/code!"}), 422)
	for i := 0; i < 4; i++ {
		wantStatus(t, en.api("POST", "v3", codes, map[string]any{"code": fmt.Sprintf("BULK-%d", i)}), 201)
	}
	r = en.api("GET", "v3", codes+"?limit=2", nil)
	wantStatus(t, r, 200)
	var page struct {
		Data []map[string]any `json:"data"`
		Meta struct {
			Cursor struct {
				End   string         `json:"end_cursor"`
				Links map[string]any `json:"links"`
			} `json:"cursor_pagination"`
		} `json:"meta"`
	}
	r.json(t, &page)
	if len(page.Data) != 2 || page.Meta.Cursor.End == "" || page.Meta.Cursor.Links["next"] == nil {
		t.Fatalf("cursor page %s", r.Body)
	}
	r = en.api("GET", "v3", codes+"?limit=2&after="+page.Meta.Cursor.End, nil)
	r.json(t, &page)
	if len(page.Data) != 2 || page.Data[0]["code"] != "BULK-1" {
		t.Errorf("after cursor %s", r.Body)
	}
	wantStatus(t, en.api("GET", "v3", codes+"?page=2&limit=2", nil), 200)
	wantStatus(t, en.api("GET", "v3", "/promotions", nil), 200)
	wantStatus(t, en.api("GET", "v3", fmt.Sprintf("/promotions/%d", pid), nil), 200)
	wantStatus(t, en.api("GET", "v3", "/promotions?limit=500", nil), 422)
	wantStatus(t, en.api("GET", "v3", "/promotions/999", nil), 404)
	// The code discounts an order, and its max_uses is enforced.
	c, _ := en.e.CreateCart(testHash, CartInput{CustomerID: 1, Items: []ItemInput{{SKU: "SM13", Quantity: 4}}})
	o, err := en.e.Checkout(testHash, c.ID, CheckoutInput{CouponCode: "BACK-15-ABC"})
	if err != nil || o.Discount != 1500 {
		t.Fatalf("discount %v %v", o.Discount, err)
	}
	c2, _ := en.e.CreateCart(testHash, CartInput{CustomerID: 2, Items: []ItemInput{{SKU: "SM13", Quantity: 1}}})
	if _, err := en.e.Checkout(testHash, c2.ID, CheckoutInput{CouponCode: "BACK-15-ABC"}); err == nil {
		t.Error("max_uses not enforced")
	}
	if _, err := en.e.Checkout(testHash, c2.ID, CheckoutInput{CouponCode: "NOPE"}); err == nil {
		t.Error("unknown coupon accepted")
	}
}

func TestSegments(t *testing.T) {
	en := newEnv(t, Options{})
	r := en.api("POST", "v3", "/segments", []any{map[string]any{"name": "VIP buyers", "description": "spent > 500"}, map[string]any{"name": "Lapsed"}})
	wantStatus(t, r, 201)
	var segs struct {
		Data []map[string]any `json:"data"`
	}
	r.json(t, &segs)
	vip := segs.Data[0]["id"].(string)
	r = en.api("POST", "v3", "/segments", []any{map[string]any{"name": "VIP buyers"}})
	wantStatus(t, r, 409)
	r = en.api("POST", "v3", "/shopper-profiles", []any{map[string]any{"customer_id": 1}, map[string]any{"customer_id": 4}})
	wantStatus(t, r, 201)
	var profs struct {
		Data []map[string]any `json:"data"`
	}
	r.json(t, &profs)
	p1, p4 := profs.Data[0]["id"].(string), profs.Data[1]["id"].(string)
	wantStatus(t, en.api("POST", "v3", "/shopper-profiles", []any{map[string]any{"customer_id": 999}}), 400)
	wantStatus(t, en.api("GET", "v3", "/shopper-profiles", nil), 200)
	r = en.api("POST", "v3", "/segments/"+vip+"/shopper-profiles", []string{p1, p4})
	wantStatus(t, r, 201)
	r = en.api("POST", "v3", "/segments/"+vip+"/shopper-profiles", []string{p1})
	wantStatus(t, r, 409)
	tooMany := make([]string, MaxProfilesPerRequest+1)
	for i := range tooMany {
		tooMany[i] = p1
	}
	r = en.api("POST", "v3", "/segments/"+vip+"/shopper-profiles", tooMany)
	wantStatus(t, r, 400)
	r = en.api("GET", "v3", "/segments/"+vip+"/shopper-profiles", nil)
	wantStatus(t, r, 200)
	r.json(t, &profs)
	if len(profs.Data) != 2 {
		t.Errorf("members %v", profs.Data)
	}
	r = en.api("GET", "v3", "/shopper-profiles/"+p4+"/segments", nil)
	wantStatus(t, r, 200)
	r.json(t, &segs)
	if len(segs.Data) != 1 || segs.Data[0]["id"] != vip {
		t.Errorf("profile segments %v", segs.Data)
	}
	r = en.api("GET", "v3", "/customers?id:in=4&include=segment_ids,shopper_profile_id", nil)
	cust := r.obj(t)["data"].([]any)[0].(map[string]any)
	if ids := cust["segment_ids"].([]any); len(ids) != 1 || ids[0] != vip || cust["shopper_profile_id"] != p4 {
		t.Errorf("customer segment ids %v", cust)
	}
	wantStatus(t, en.api("DELETE", "v3", "/segments/"+vip+"/shopper-profiles?id:in="+p1, nil), 204)
	r = en.api("GET", "v3", "/segments/"+vip+"/shopper-profiles", nil)
	r.json(t, &profs)
	if len(profs.Data) != 1 {
		t.Errorf("after removal %v", profs.Data)
	}
	r = en.api("PUT", "v3", "/segments", []any{map[string]any{"id": vip, "name": "VIP (renamed)"}})
	wantStatus(t, r, 201)
	// The store limit of 1000 segments.
	batch := make([]any, 0, 998)
	for i := 0; i < 998; i++ {
		batch = append(batch, map[string]any{"name": fmt.Sprintf("seg %d", i)})
	}
	wantStatus(t, en.api("POST", "v3", "/segments", batch), 201)
	wantStatus(t, en.api("POST", "v3", "/segments", []any{map[string]any{"name": "one too many"}}), 400)
	r = en.api("GET", "v3", "/segments?limit=250&page=4", nil)
	wantStatus(t, r, 200)
	r.json(t, &segs)
	if len(segs.Data) != 250 {
		t.Errorf("segments page 4 has %d", len(segs.Data))
	}
	wantStatus(t, en.api("DELETE", "v3", "/segments?id:in="+vip, nil), 204)
}

func TestHooksAPI(t *testing.T) {
	en := newEnv(t, Options{})
	body := map[string]any{"scope": "store/order/created", "destination": "https://app.example.com/hooks", "is_active": true,
		"headers": map[string]any{"X-Secret": "s3"}, "events_history_enabled": true}
	r := en.api("POST", "v3", "/hooks", body)
	wantStatus(t, r, 200)
	h := r.obj(t)["data"].(map[string]any)
	id := int(h["id"].(float64))
	if h["store_hash"] != testHash || h["client_id"] == "" || h["is_active"] != true || h["headers"].(map[string]any)["X-Secret"] != "s3" {
		t.Errorf("hook %v", h)
	}
	if _, ok := h["events_history_enabled"]; ok {
		t.Error("events_history_enabled should be accepted and ignored")
	}
	r = en.api("POST", "v3", "/hooks", body)
	wantStatus(t, r, 422)
	wantStatus(t, en.api("POST", "v3", "/hooks", map[string]any{"scope": "store/order/created"}), 422)
	wantStatus(t, en.api("POST", "v3", "/hooks", map[string]any{"scope": "store/order/created", "destination": "ftp://x"}), 422)
	wantStatus(t, en.api("POST", "v3", "/hooks", map[string]any{"scope": "store/order/created", "destination": "http://localhost:8080/hooks"}), 200)
	wantStatus(t, en.api("GET", "v3", "/hooks", nil), 200)
	r = en.api("GET", "v3", "/hooks?scope=store/order/created&is_active=true", nil)
	if n := len(r.obj(t)["data"].([]any)); n != 2 {
		t.Errorf("filtered hooks %d", n)
	}
	r = en.api("PUT", "v3", fmt.Sprintf("/hooks/%d", id), map[string]any{"is_active": false})
	wantStatus(t, r, 200)
	if r.obj(t)["data"].(map[string]any)["is_active"] != false {
		t.Error("PUT is_active")
	}
	wantStatus(t, en.api("GET", "v3", fmt.Sprintf("/hooks/%d", id), nil), 200)
	wantStatus(t, en.api("DELETE", "v3", fmt.Sprintf("/hooks/%d", id), nil), 200)
	wantStatus(t, en.api("GET", "v3", fmt.Sprintf("/hooks/%d", id), nil), 404)
}

// TestRemainingEndpointsContract touches the write and delete endpoints the
// other tests do not, so that each is contract-checked at least once.
func TestRemainingEndpointsContract(t *testing.T) {
	en := newEnv(t, Options{})
	r := en.api("POST", "v3", "/promotions", map[string]any{
		"name": "Auto 5", "redemption_type": "AUTOMATIC",
		"rules": []any{map[string]any{"action": map[string]any{"cart_value": map[string]any{"discount": map[string]any{"fixed_amount": "5"}}}}},
	})
	wantStatus(t, r, 201)
	id := int(data(t, r)["id"].(float64))
	r = en.api("PUT", "v3", fmt.Sprintf("/promotions/%d", id), map[string]any{"status": "DISABLED", "name": "Auto 5 (off)"})
	wantStatus(t, r, 200)
	if d := data(t, r); d["status"] != "DISABLED" || d["name"] != "Auto 5 (off)" || d["redemption_type"] != "AUTOMATIC" {
		t.Errorf("updated promotion %v", d)
	}
	wantStatus(t, en.api("POST", "v3", fmt.Sprintf("/promotions/%d/codes", id), map[string]any{"code": "NOPE"}), 422)
	wantStatus(t, en.api("GET", "v3", "/promotions?redemption_type=AUTOMATIC&status=DISABLED", nil), 200)
	wantStatus(t, en.api("DELETE", "v3", fmt.Sprintf("/promotions/%d", id), nil), 204)
	r = en.api("GET", "v3", "/promotions?code=WELCOME10", nil)
	wantStatus(t, r, 200)
	promos := r.obj(t)["data"].([]any)
	if len(promos) != 1 {
		t.Fatalf("code filter %v", promos)
	}
	pid := int(promos[0].(map[string]any)["id"].(float64))
	r = en.api("GET", "v3", fmt.Sprintf("/promotions/%d/codes", pid), nil)
	code := int(r.obj(t)["data"].([]any)[0].(map[string]any)["id"].(float64))
	wantStatus(t, en.api("DELETE", "v3", fmt.Sprintf("/promotions/%d/codes/%d", pid, code), nil), 204)

	r = en.api("POST", "v3", "/shopper-profiles", []any{map[string]any{"customer_id": 2}})
	prof := r.obj(t)["data"].([]any)[0].(map[string]any)["id"].(string)
	r = en.api("POST", "v3", "/segments", []any{map[string]any{"name": "S"}})
	seg := r.obj(t)["data"].([]any)[0].(map[string]any)["id"].(string)
	wantStatus(t, en.api("GET", "v3", "/segments?id:in="+seg, nil), 200)
	wantStatus(t, en.api("POST", "v3", "/segments/"+seg+"/shopper-profiles", []string{prof}), 201)
	wantStatus(t, en.api("DELETE", "v3", "/shopper-profiles?id:in="+prof, nil), 204)
	r = en.api("GET", "v3", "/segments/"+seg+"/shopper-profiles", nil)
	if n := len(r.obj(t)["data"].([]any)); n != 0 {
		t.Errorf("deleted profile still a member (%d)", n)
	}
	wantStatus(t, en.api("GET", "v3", "/segments/"+newUUID()+"/shopper-profiles", nil), 404)

	c, _ := en.e.CreateCart(testHash, CartInput{Items: []ItemInput{{SKU: "OTL", Quantity: 1}}})
	r = en.api("GET", "v3", "/carts/"+c.ID, nil)
	item := r.obj(t)["data"].(map[string]any)["line_items"].(map[string]any)["physical_items"].([]any)[0].(map[string]any)["id"].(string)
	// Removing the last line deletes the cart.
	wantStatus(t, en.api("DELETE", "v3", "/carts/"+c.ID+"/items/"+item, nil), 204)
	wantStatus(t, en.api("GET", "v3", "/carts/"+c.ID, nil), 404)
}

func TestSegmentConflictNamesProfiles(t *testing.T) {
	en := newEnv(t, Options{})
	r := en.api("POST", "v3", "/segments", []any{map[string]any{"name": "Repeat"}})
	wantStatus(t, r, 201)
	seg := r.obj(t)["data"].([]any)[0].(map[string]any)["id"].(string)
	r = en.api("POST", "v3", "/shopper-profiles", []any{map[string]any{"customer_id": 1}, map[string]any{"customer_id": 2}, map[string]any{"customer_id": 3}})
	wantStatus(t, r, 201)
	var ps []string
	for _, p := range r.obj(t)["data"].([]any) {
		ps = append(ps, p.(map[string]any)["id"].(string))
	}
	wantStatus(t, en.api("POST", "v3", "/segments/"+seg+"/shopper-profiles", []string{ps[1]}), 201)
	// The 409 names each member by its index in the request and adds none.
	r = en.api("POST", "v3", "/segments/"+seg+"/shopper-profiles", []string{ps[0], ps[1], ps[2]})
	wantStatus(t, r, 409)
	var body struct {
		Errors []struct {
			Status int               `json:"status"`
			Errors map[string]string `json:"errors"`
		} `json:"errors"`
		Meta map[string]int `json:"meta"`
	}
	r.json(t, &body)
	want := fmt.Sprintf("Shopper profile `%s` already exists for segment `%s`.", ps[1], seg)
	if len(body.Errors) != 1 || len(body.Errors[0].Errors) != 1 || body.Errors[0].Errors["1"] != want ||
		body.Meta["total"] != 3 || body.Meta["success"] != 0 || body.Meta["failed"] != 3 {
		t.Errorf("409 body %s", r.Body)
	}
	r = en.api("GET", "v3", "/segments/"+seg+"/shopper-profiles", nil)
	if n := len(r.obj(t)["data"].([]any)); n != 1 {
		t.Errorf("%d members after a refused add", n)
	}
	// Removing non-members (and unknown ids) unlinks nothing and is fine.
	wantStatus(t, en.api("DELETE", "v3", "/segments/"+seg+"/shopper-profiles?id:in="+ps[0]+",nope", nil), 204)
	// A second profile for a customer is refused.
	wantStatus(t, en.api("POST", "v3", "/shopper-profiles", []any{map[string]any{"customer_id": 1}}), 409)
}

func TestSegmentationUnavailable(t *testing.T) {
	en := newEnv(t, Options{})
	r := en.api("POST", "v3", "/segments", []any{map[string]any{"name": "Repeat"}})
	wantStatus(t, r, 201)
	seg := r.obj(t)["data"].([]any)[0].(map[string]any)["id"].(string)
	wantStatus(t, en.sim("GET", "/"+testHash+"/segmentation", nil), 200)
	wantStatus(t, en.sim("PUT", "/"+testHash+"/segmentation", map[string]any{"available": false}), 200)
	if r := en.sim("GET", "/"+testHash+"/segmentation", nil); r.obj(t)["available"] != false {
		t.Errorf("control API says %s", r.Body)
	}
	for _, c := range []struct{ method, path string }{
		{"GET", "/segments"}, {"POST", "/segments"}, {"PUT", "/segments"}, {"DELETE", "/segments?id:in=" + seg},
		{"GET", "/segments/" + seg + "/shopper-profiles"}, {"POST", "/segments/" + seg + "/shopper-profiles"},
		{"DELETE", "/segments/" + seg + "/shopper-profiles?id:in=x"}, {"GET", "/shopper-profiles"},
		{"POST", "/shopper-profiles"}, {"DELETE", "/shopper-profiles?id:in=x"}, {"GET", "/shopper-profiles/x/segments"},
	} {
		r := en.api(c.method, "v3", c.path, nil)
		wantStatus(t, r, 403)
		if o := r.obj(t); o["status"] != float64(403) || o["title"] != SegmentationUnavailableTitle {
			t.Errorf("%s %s: %s", c.method, c.path, r.Body)
		}
	}
	// Authentication still comes first; other APIs are untouched.
	wantStatus(t, en.callToken("GET", "/stores/"+testHash+"/v3/segments", nil, "wrong"), 401)
	r = en.api("GET", "v3", "/customers?id:in=1&include=segment_ids,shopper_profile_id", nil)
	wantStatus(t, r, 200)
	cust := r.obj(t)["data"].([]any)[0].(map[string]any)
	if _, ok := cust["segment_ids"]; ok {
		t.Errorf("segment_ids without segmentation: %v", cust)
	}
	if err := en.e.SetSegmentationAvailable(testHash, true); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, en.api("GET", "v3", "/segments", nil), 200)
	// A seed file can turn it off.
	off := false
	if err := en.e.ApplySeed(SeedFile{Segmentation: &off}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, en.api("GET", "v3", "/segments", nil), 403)
	// A store can start without it.
	seed := DefaultStore()
	seed.NoSegmentation = true
	e2, err := New(Options{Stores: []StoreSeed{seed}})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	if ok, err := e2.SegmentationAvailable(seed.Hash); ok || err != nil {
		t.Errorf("seeded store available=%v err=%v", ok, err)
	}
}

func TestSegmentRestrictedCoupon(t *testing.T) {
	en := newEnv(t, Options{})
	r := en.api("POST", "v3", "/segments", []any{map[string]any{"name": "VIP"}, map[string]any{"name": "Lapsed"}})
	wantStatus(t, r, 201)
	data := r.obj(t)["data"].([]any)
	vip, lapsed := data[0].(map[string]any)["id"].(string), data[1].(map[string]any)["id"].(string)
	r = en.api("POST", "v3", "/shopper-profiles", []any{map[string]any{"customer_id": 1}, map[string]any{"customer_id": 2}})
	wantStatus(t, r, 201)
	profs := r.obj(t)["data"].([]any)
	p1, p2 := profs[0].(map[string]any)["id"].(string), profs[1].(map[string]any)["id"].(string)
	wantStatus(t, en.api("POST", "v3", "/segments/"+vip+"/shopper-profiles", []string{p1, p2}), 201)
	wantStatus(t, en.api("POST", "v3", "/segments/"+lapsed+"/shopper-profiles", []string{p2}), 201)
	promo := func(name, code string, segments any) {
		t.Helper()
		r := en.api("POST", "v3", "/promotions", map[string]any{
			"name": name, "redemption_type": "COUPON", "customer": map[string]any{"segments": segments},
			"rules": []any{map[string]any{"action": map[string]any{"cart_value": map[string]any{"discount": map[string]any{"percentage_amount": "10"}}}}},
		})
		wantStatus(t, r, 201)
		got := r.obj(t)["data"].(map[string]any)["customer"].(map[string]any)["segments"]
		if fmt.Sprint(got) != fmt.Sprint(segments) {
			t.Errorf("stored segments %v, want %v", got, segments)
		}
		id := int(r.obj(t)["data"].(map[string]any)["id"].(float64))
		wantStatus(t, en.api("POST", "v3", fmt.Sprintf("/promotions/%d/codes", id), map[string]any{"code": code}), 201)
	}
	promo("VIP only", "VIP", map[string]any{"id": []any{vip}})
	promo("Active VIP", "ACTIVEVIP", map[string]any{"and": []any{map[string]any{"id": []any{vip}}, map[string]any{"not": map[string]any{"id": []any{lapsed}}}}})
	promo("Not VIP", "NOTVIP", map[string]any{"not": map[string]any{"id": []any{vip}}})
	r = en.api("POST", "v3", "/promotions", map[string]any{"name": "ghost", "redemption_type": "COUPON", "customer": map[string]any{"segments": map[string]any{"id": []any{"nope"}}},
		"rules": []any{map[string]any{"action": map[string]any{"cart_value": map[string]any{"discount": map[string]any{"percentage_amount": "10"}}}}}})
	wantStatus(t, r, 422)

	uses := func(customerID int, code string) bool {
		t.Helper()
		c, err := en.e.CreateCart(testHash, CartInput{CustomerID: customerID, Email: "guest@example.com", Items: []ItemInput{{SKU: "SM13", Quantity: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		_, applyErr := en.e.ApplyCartCoupon(testHash, c.ID, code)
		_, checkoutErr := en.e.Checkout(testHash, c.ID, CheckoutInput{CouponCode: code})
		if (applyErr == nil) != (checkoutErr == nil) {
			t.Errorf("customer %d code %s: apply %v, checkout %v", customerID, code, applyErr, checkoutErr)
		}
		return checkoutErr == nil
	}
	for _, c := range []struct {
		customer int
		code     string
		want     bool
	}{
		{1, "VIP", true}, {2, "VIP", true}, {3, "VIP", false}, {0, "VIP", false},
		{1, "ACTIVEVIP", true}, {2, "ACTIVEVIP", false},
		{1, "NOTVIP", false}, {3, "NOTVIP", true}, {0, "NOTVIP", true},
	} {
		if got := uses(c.customer, c.code); got != c.want {
			t.Errorf("customer %d with %s: used=%v, want %v", c.customer, c.code, got, c.want)
		}
	}
	// Without the Segmentation API nobody is in a segment.
	if err := en.e.SetSegmentationAvailable(testHash, false); err != nil {
		t.Fatal(err)
	}
	if uses(1, "VIP") {
		t.Error("segment coupon used while segmentation is off")
	}
}

func TestSegmentWritesInFlightLimit(t *testing.T) {
	en := newEnv(t, Options{})
	s, err := en.e.store(testHash)
	if err != nil {
		t.Fatal(err)
	}
	setBusy := func(n int) {
		s.mu.Lock()
		s.segWrites = n
		s.mu.Unlock()
	}
	r := en.api("POST", "v3", "/segments", []any{map[string]any{"name": "A"}})
	wantStatus(t, r, 201)
	seg := r.obj(t)["data"].([]any)[0].(map[string]any)["id"].(string)
	r = en.api("POST", "v3", "/shopper-profiles", []any{map[string]any{"customer_id": 1}})
	wantStatus(t, r, 201)
	prof := r.obj(t)["data"].([]any)[0].(map[string]any)["id"].(string)

	// Ten writes in flight: an eleventh create, update or add is refused;
	// reads, deletes and profile creation are not limited.
	setBusy(MaxSegmentWritesInFlight)
	en.e.ResetRequestStats(testHash)
	wantStatus(t, en.api("POST", "v3", "/segments", []any{map[string]any{"name": "B"}}), 429)
	wantStatus(t, en.api("PUT", "v3", "/segments", []any{map[string]any{"id": seg, "name": "A2"}}), 429)
	wantStatus(t, en.api("POST", "v3", "/segments/"+seg+"/shopper-profiles", []string{prof}), 429)
	wantStatus(t, en.api("GET", "v3", "/segments", nil), 200)
	wantStatus(t, en.api("GET", "v3", "/segments/"+seg+"/shopper-profiles", nil), 200)
	wantStatus(t, en.api("POST", "v3", "/shopper-profiles", []any{map[string]any{"customer_id": 2}}), 201)
	wantStatus(t, en.api("DELETE", "v3", "/segments/"+seg+"/shopper-profiles?id:in="+prof, nil), 204)
	if st, _ := en.e.RequestStats(testHash); st.Throttled != 3 {
		t.Errorf("throttled %d, want 3", st.Throttled)
	}
	// Nine: the write goes through, and its slot is given back.
	setBusy(MaxSegmentWritesInFlight - 1)
	wantStatus(t, en.api("POST", "v3", "/segments/"+seg+"/shopper-profiles", []string{prof}), 201)
	s.mu.Lock()
	n := s.segWrites
	s.mu.Unlock()
	if n != MaxSegmentWritesInFlight-1 {
		t.Errorf("%d writes in flight after the request, want %d", n, MaxSegmentWritesInFlight-1)
	}
}
