package bcemu

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"
)

// bulkEnv is an emulator with generated history and a quota no test reaches.
func bulkEnv(t *testing.T, opts BulkOptions) (*env, BulkResult) {
	t.Helper()
	en := newEnv(t, Options{RateLimitQuota: 1 << 30})
	if opts.From.IsZero() {
		opts.From = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		opts.To = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	res, err := en.e.BulkGenerate(testHash, opts)
	if err != nil {
		t.Fatal(err)
	}
	return en, res
}

// orderPages lists every order page of query (limit 250), contract-checked, and counts the pages.
func orderPages(t *testing.T, en *env, query string) ([]map[string]any, int) {
	t.Helper()
	var all []map[string]any
	pages := 0
	for p := 1; ; p++ {
		r := en.api("GET", "v2", fmt.Sprintf("/orders?limit=250&page=%d&%s", p, query), nil)
		if r.Status == 204 {
			return all, pages
		}
		wantStatus(t, r, 200)
		pages++
		var page []map[string]any
		r.json(t, &page)
		all = append(all, page...)
	}
}

func ids(list []map[string]any) []int {
	out := make([]int, len(list))
	for i, o := range list {
		out[i] = int(o["id"].(float64))
	}
	return out
}

func TestOrdersWithConsignmentLineItems(t *testing.T) {
	en, res := bulkEnv(t, BulkOptions{Customers: 300, Orders: 1100, Products: 40, Categories: 6, Seed: 7})
	const inc = "include=consignments.line_items&consignment_structure=object&sort=id:asc"
	all, pages := orderPages(t, en, inc)
	if len(all) != 1100 || pages != 5 {
		t.Fatalf("%d orders in %d pages, want 1100 in 5", len(all), pages)
	}
	if !slices.Equal(ids(all), res.OrderIDs) {
		t.Fatal("pages do not list the generated orders in id order")
	}
	// Every order's consignments hold exactly its /products lines, physical in
	// the shipping consignment and digital in the download one.
	digital := 0
	for i, o := range all {
		c := o["consignments"].(map[string]any)
		var lines []any
		for _, sh := range c["shipping"].([]any) {
			lines = append(lines, sh.(map[string]any)["line_items"].([]any)...)
		}
		for _, d := range c["downloads"].([]any) {
			digital++
			lines = append(lines, d.(map[string]any)["line_items"].([]any)...)
		}
		if len(lines) < 1 || len(lines) > 3 {
			t.Fatalf("order %v has %d line items", o["id"], len(lines))
		}
		if i%97 != 0 {
			continue
		}
		r := en.api("GET", "v2", fmt.Sprintf("/orders/%v/products", o["id"]), nil)
		wantStatus(t, r, 200)
		var products []any
		r.json(t, &products)
		byID := func(xs []any) map[float64]any {
			m := map[float64]any{}
			for _, x := range xs {
				m[x.(map[string]any)["id"].(float64)] = x
			}
			return m
		}
		if !reflect.DeepEqual(byID(lines), byID(products)) {
			t.Errorf("order %v: consignment lines differ from /products", o["id"])
		}
		r = en.api("GET", "v2", fmt.Sprintf("/orders/%v?%s", o["id"], inc), nil)
		wantStatus(t, r, 200)
		if one := r.obj(t); !reflect.DeepEqual(one, o) {
			t.Errorf("order %v: GET by id differs from the list", o["id"])
		}
		r = en.api("GET", "v2", fmt.Sprintf("/orders/%v/consignments?include=consignments.line_items", o["id"]), nil)
		wantStatus(t, r, 200)
		if !reflect.DeepEqual(r.obj(t), c) {
			t.Errorf("order %v: /consignments differs from the include", o["id"])
		}
	}
	if digital == 0 {
		t.Error("no generated order has a digital item: the download consignment is untested")
	}
	// Without .line_items, lines are links to the order products.
	r := en.api("GET", "v2", "/orders?limit=1&include=consignments&consignment_structure=object", nil)
	wantStatus(t, r, 200)
	var one []map[string]any
	r.json(t, &one)
	ship := one[0]["consignments"].(map[string]any)["shipping"].([]any)
	if len(ship) > 0 {
		link := ship[0].(map[string]any)["line_items"].([]any)[0].(map[string]any)
		if link["resource"] == nil || link["url"] == nil || len(link) != 2 {
			t.Errorf("line item link %v", link)
		}
	}
	// Without include the order links its consignments.
	r = en.api("GET", "v2", "/orders?limit=1", nil)
	r.json(t, &one)
	if l := one[0]["consignments"].(map[string]any); l["resource"] != fmt.Sprintf("/orders/%v/consignments", one[0]["id"]) {
		t.Errorf("consignments link %v", l)
	}
	r = en.api("GET", "v2", "/orders?limit=2&include=fees,consignments.line_items&consignment_structure=object", nil)
	wantStatus(t, r, 200)
	r.json(t, &one)
	if fees, ok := one[1]["fees"].([]any); !ok || len(fees) != 0 || one[1]["consignments"].(map[string]any)["shipping"] == nil {
		t.Errorf("include=fees,consignments.line_items: fees %v", one[1]["fees"])
	}
	wantStatus(t, en.api("GET", "v2", "/orders?include=consignments.line_items", nil), 400)
	wantStatus(t, en.api("GET", "v2", "/orders?include=bogus", nil), 400)
}

func TestOrderFiltersMatchTheFullList(t *testing.T) {
	en, _ := bulkEnv(t, BulkOptions{Customers: 80, Orders: 700, Seed: 3})
	// A few orders changed after generation are materialised; filters and
	// sorts must see them exactly once, alongside the compact ones.
	en.clock.t = time.Date(2025, 2, 1, 10, 0, 0, 0, time.UTC)
	if _, err := en.e.SetOrderStatus(testHash, 150, 5); err != nil {
		t.Fatal(err)
	}
	if _, err := en.e.Refund(testHash, 400, RefundInput{Amount: 1}); err != nil {
		t.Fatal(err)
	}
	all, _ := orderPages(t, en, "")
	if len(all) != 700 {
		t.Fatalf("%d orders", len(all))
	}
	date := func(o map[string]any, k string) time.Time {
		d, err := time.Parse(time.RFC1123Z, o[k].(string))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	mid := date(all[350], "date_created")
	modMid := date(all[200], "date_modified")
	early := date(all[100], "date_created")
	email := all[10]["billing_address"].(map[string]any)["email"].(string)
	cust := all[20]["customer_id"].(float64)
	cases := []struct {
		query string
		keep  func(o map[string]any) bool
	}{
		{"min_id=300&max_id=420", func(o map[string]any) bool { id := o["id"].(float64); return id >= 300 && id <= 420 }},
		{"status_id=10", func(o map[string]any) bool { return o["status_id"] == float64(10) }},
		{"status_id=0", func(o map[string]any) bool { return o["status_id"] == float64(0) }},
		{fmt.Sprintf("customer_id=%v", cust), func(o map[string]any) bool { return o["customer_id"] == cust }},
		{"email=" + url.QueryEscape(email), func(o map[string]any) bool {
			return o["billing_address"].(map[string]any)["email"] == email
		}},
		{"min_date_created=" + url.QueryEscape(mid.Format(time.RFC1123Z)), func(o map[string]any) bool { return !date(o, "date_created").Before(mid) }},
		{"max_date_created=" + url.QueryEscape(mid.Format(time.RFC3339)), func(o map[string]any) bool { return !date(o, "date_created").After(mid) }},
		{"min_date_modified=" + url.QueryEscape(modMid.Format(time.RFC3339)), func(o map[string]any) bool { return !date(o, "date_modified").Before(modMid) }},
		{"max_date_modified=" + url.QueryEscape(modMid.Format(time.RFC1123Z)) + "&min_date_created=" + url.QueryEscape(early.Format(time.RFC3339)),
			func(o map[string]any) bool {
				return !date(o, "date_modified").After(modMid) && !date(o, "date_created").Before(early)
			}},
		{"min_date_modified=2025-02-01T10:00:00Z", func(o map[string]any) bool { return o["id"] == float64(150) || o["id"] == float64(400) }},
	}
	for _, c := range cases {
		var want []int
		for _, o := range all {
			if c.keep(o) {
				want = append(want, int(o["id"].(float64)))
			}
		}
		got, _ := orderPages(t, en, c.query)
		if !slices.Equal(ids(got), want) || len(want) == 0 {
			t.Errorf("%s: got %d orders, want %d", c.query, len(got), len(want))
		}
		r := en.api("GET", "v2", "/orders/count?"+c.query, nil)
		wantStatus(t, r, 200)
		if n := r.obj(t)["count"]; n != float64(len(want)) {
			t.Errorf("count?%s = %v, want %d", c.query, n, len(want))
		}
	}
	// Sorts: id:desc reverses; date_modified:asc is ordered, ties by id.
	desc, _ := orderPages(t, en, "sort=id:desc")
	rev := ids(all)
	slices.Reverse(rev)
	if got := ids(desc); !slices.Equal(got, rev) {
		t.Error("sort=id:desc is not the reverse of id order")
	}
	byMod, _ := orderPages(t, en, "sort=date_modified:asc")
	for i := 1; i < len(byMod); i++ {
		a, b := date(byMod[i-1], "date_modified"), date(byMod[i], "date_modified")
		if a.After(b) || (a.Equal(b) && byMod[i-1]["id"].(float64) > byMod[i]["id"].(float64)) {
			t.Fatalf("sort=date_modified:asc out of order at %d", i)
		}
	}
	if len(byMod) != 700 || byMod[699]["id"] != float64(400) && byMod[699]["id"] != float64(150) {
		t.Errorf("the orders changed last should sort last, got %v", byMod[699]["id"])
	}
}

func TestGeneratedOrderChangesMaterialise(t *testing.T) {
	en, res := bulkEnv(t, BulkOptions{Customers: 10, Orders: 50, Seed: 1})
	id := res.OrderIDs[25]
	get := func() map[string]any {
		r := en.api("GET", "v2", fmt.Sprintf("/orders/%d", id), nil)
		wantStatus(t, r, 200)
		return r.obj(t)
	}
	before := get()
	en.clock.t = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	if _, err := en.e.SetOrderStatus(testHash, id, 11); err != nil && before["status_id"] != float64(11) {
		t.Fatal(err)
	}
	if _, err := en.e.SetOrderStatus(testHash, id, 9); err != nil {
		t.Fatal(err)
	}
	after := get()
	if after["status_id"] != float64(9) || after["date_modified"] != "Sun, 01 Jun 2025 12:00:00 +0000" {
		t.Errorf("after a status change: status %v, date_modified %v", after["status_id"], after["date_modified"])
	}
	for _, k := range []string{"date_created", "total_inc_tax", "billing_address", "customer_id", "cart_id"} {
		if !reflect.DeepEqual(before[k], after[k]) {
			t.Errorf("%s changed from %v to %v on materialising", k, before[k], after[k])
		}
	}
	en.clock.Advance(time.Hour)
	rf, err := en.e.Refund(testHash, id, RefundInput{})
	if err != nil {
		t.Fatal(err)
	}
	after = get()
	if after["refunded_amount"] != rf.Amount.V2() || after["refunded_amount"] != after["total_inc_tax"] || after["status_id"] != float64(4) ||
		after["date_modified"] != "Sun, 01 Jun 2025 13:00:00 +0000" {
		t.Errorf("after a full refund: %v %v %v %v", after["refunded_amount"], after["total_inc_tax"], after["status_id"], after["date_modified"])
	}
	all, _ := orderPages(t, en, "")
	if !slices.Equal(ids(all), res.OrderIDs) {
		t.Error("a materialised order is listed twice or out of place")
	}
}

func TestBulkGenerateIsDeterministicAndQuiet(t *testing.T) {
	page := func(seed uint64) (string, *env) {
		en, _ := bulkEnv(t, BulkOptions{Customers: 40, Orders: 120, Products: 8, Categories: 3, Seed: seed})
		var b []byte
		for _, p := range []string{
			"/v2/orders?limit=250&include=consignments.line_items&consignment_structure=object",
			"/v3/customers?limit=250&include=addresses,storecredit",
			"/v3/catalog/products?limit=250&include=variants,images,custom_fields",
			"/v3/catalog/categories?limit=250",
		} {
			r := en.call("GET", "/stores/"+testHash+p, nil)
			wantStatus(t, r, 200)
			b = append(b, r.Body...)
		}
		return string(b), en
	}
	a, en := page(42)
	b, _ := page(42)
	c, _ := page(43)
	if a != b {
		t.Error("the same seed gave different stores")
	}
	if a == c {
		t.Error("different seeds gave the same store")
	}
	// No webhook without Notify, one per object with it.
	rc := newReceiver(t)
	en.hook(rc, "store/order/created", nil)
	en.hook(rc, "store/customer/created", nil)
	if _, err := en.e.BulkGenerate(testHash, BulkOptions{Customers: 3, Orders: 4, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := en.e.BulkGenerate(testHash, BulkOptions{Customers: 2, Orders: 5, Seed: 2, Notify: true}); err != nil {
		t.Fatal(err)
	}
	got := rc.wait(t, 7)
	time.Sleep(100 * time.Millisecond)
	if n := len(rc.all()); n != 7 {
		t.Errorf("%d deliveries, want 7 (Notify only)", n)
	}
	for _, d := range got {
		en.spec.checkCallback(t, d.Body)
	}
	var body []byte
	body, _ = json.Marshal(BulkOptions{Orders: MaxBulkOrders + 1})
	wantStatus(t, en.do("POST", "/_sim/bigcommerce/"+testHash+"/bulk", json.RawMessage(body), "", false), 422)
}

func TestGeneratedStoreSurvivesASnapshot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sim.json")
	en := newEnv(t, Options{SnapshotPath: path, RateLimitQuota: 1 << 30})
	if _, err := en.e.BulkGenerate(testHash, BulkOptions{Customers: 20, Orders: 60, Products: 5, Categories: 2, Seed: 4}); err != nil {
		t.Fatal(err)
	}
	if _, err := en.e.SetOrderStatus(testHash, 130, 5); err != nil {
		t.Fatal(err)
	}
	must(t, en.e.Save())
	paths := []string{
		"/v2/orders?limit=250&include=consignments.line_items&consignment_structure=object",
		"/v2/orders/130", "/v2/orders/count", "/v3/customers?limit=250&include=addresses,storecredit",
		"/v3/catalog/products?limit=250&include=variants,images,custom_fields", "/v3/catalog/categories?limit=250",
	}
	en2 := newEnv(t, Options{SnapshotPath: path, RateLimitQuota: 1 << 30})
	for _, p := range paths {
		if a, b := string(en.raw("GET", p).Body), string(en2.raw("GET", p).Body); a != b || len(a) < 10 {
			t.Errorf("%s differs after reload", p)
		}
	}
	if o, err := en2.e.SetOrderStatus(testHash, 131, 5); err != nil || o.ID != 131 {
		t.Errorf("changing a reloaded generated order: %v", err)
	}
}
