package bcemu

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// v3Pages lists every page of a v3 collection (limit 250), contract-checked.
func v3Pages(t *testing.T, en *env, path, query string) ([]map[string]any, map[string]any) {
	t.Helper()
	var all []map[string]any
	var first map[string]any
	for p := 1; ; p++ {
		r := en.api("GET", "v3", fmt.Sprintf("%s?limit=250&page=%d&%s", path, p, query), nil)
		wantStatus(t, r, 200)
		var body struct {
			Data []map[string]any `json:"data"`
			Meta struct {
				Pagination map[string]any `json:"pagination"`
			} `json:"meta"`
		}
		r.json(t, &body)
		if first == nil {
			first = body.Meta.Pagination
		}
		all = append(all, body.Data...)
		if len(body.Data) < 250 {
			return all, first
		}
	}
}

func TestCustomersForSync(t *testing.T) {
	en, res := bulkEnv(t, BulkOptions{Customers: 600, Seed: 5})
	all, pag := v3Pages(t, en, "/customers", "include=addresses,storecredit,attributes,formfields")
	if len(all) != 604 || pag["total"] != float64(604) || pag["total_pages"] != float64(3) {
		t.Fatalf("%d customers, pagination %v", len(all), pag)
	}
	withCredit := 0
	for _, c := range all {
		addrs := c["addresses"].([]any)
		if c["address_count"] != float64(len(addrs)) {
			t.Errorf("customer %v: address_count %v, %d addresses", c["id"], c["address_count"], len(addrs))
		}
		if c["id"].(float64) > 4 && len(addrs) != 1 {
			t.Errorf("generated customer %v has %d addresses", c["id"], len(addrs))
		}
		if c["store_credit_amounts"].([]any)[0].(map[string]any)["amount"].(float64) > 0 {
			withCredit++
		}
	}
	if withCredit == 0 {
		t.Error("no generated customer has store credit")
	}
	r := en.api("GET", "v3", "/customers?limit=1", nil)
	if c := r.obj(t)["data"].([]any)[0].(map[string]any); c["addresses"] != nil || c["store_credit_amounts"] != nil {
		t.Errorf("sub-resources without include: %v", c)
	}
	// date_modified:min sees an update and only what changed since.
	en.clock.t = time.Date(2025, 5, 1, 8, 0, 0, 0, time.UTC)
	id := res.CustomerIDs[100]
	if _, err := en.e.UpdateCustomer(testHash, id, CustomerInput{Phone: "+15125550000"}); err != nil {
		t.Fatal(err)
	}
	got, pag := v3Pages(t, en, "/customers", "date_modified:min=2025-05-01T08:00:00Z")
	if len(got) != 1 || got[0]["id"] != float64(id) || got[0]["date_modified"] != "2025-05-01T08:00:00Z" || pag["total"] != float64(1) {
		t.Errorf("date_modified:min after an update: %v", got)
	}
	mid := all[300]["date_modified"].(string)
	midT, _ := time.Parse(time.RFC3339, mid)
	for _, q := range []struct {
		query string
		keep  func(c map[string]any) bool
	}{
		{"date_modified:max=" + mid, func(c map[string]any) bool { return c["date_modified"].(string) <= mid && c["id"] != float64(id) }},
		{"date_created:min=" + mid, func(c map[string]any) bool { return c["date_created"].(string) >= mid }},
		{"date_created:max=" + url.QueryEscape(midT.Format("2006-01-02T15:04:05")), func(c map[string]any) bool { return c["date_created"].(string) <= mid }},
		{"id:in=3,50,51,999999", func(c map[string]any) bool { return slices.Contains([]float64{3, 50, 51}, c["id"].(float64)) }},
		{"email:in=" + all[7]["email"].(string) + "," + all[9]["email"].(string), func(c map[string]any) bool { return c["id"] == all[7]["id"] || c["id"] == all[9]["id"] }},
	} {
		var want []float64
		for _, c := range all {
			if q.keep(c) {
				want = append(want, c["id"].(float64))
			}
		}
		got, pag := v3Pages(t, en, "/customers", q.query)
		var gotIDs []float64
		for _, c := range got {
			gotIDs = append(gotIDs, c["id"].(float64))
		}
		slices.Sort(gotIDs)
		if !slices.Equal(gotIDs, want) || len(want) == 0 || pag["total"] != float64(len(want)) {
			t.Errorf("%s: %d customers, want %d", q.query, len(gotIDs), len(want))
		}
	}
	for _, sort := range []string{"date_created:asc", "date_created:desc", "last_name:asc", "last_name:desc", "date_modified:asc", "date_modified:desc"} {
		got, _ := v3Pages(t, en, "/customers", "sort="+sort)
		field, dir, _ := cut(sort)
		for i := 1; i < len(got); i++ {
			a, b := got[i-1][field].(string), got[i][field].(string)
			if (dir == "asc" && a > b) || (dir == "desc" && a < b) {
				t.Fatalf("sort=%s out of order at %d: %q, %q", sort, i, a, b)
			}
		}
		if len(got) != 604 {
			t.Errorf("sort=%s lists %d", sort, len(got))
		}
	}
}

func cut(s string) (string, string, bool) {
	for i := range s {
		if s[i] == ':' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func TestProductsAndCategoriesForSync(t *testing.T) {
	en, res := bulkEnv(t, BulkOptions{Products: 520, Categories: 30, Seed: 9})
	prods, pag := v3Pages(t, en, "/catalog/products", "include=variants,images,custom_fields")
	if len(prods) != 532 || pag["total"] != float64(532) || pag["total_pages"] != float64(3) {
		t.Fatalf("%d products, pagination %v", len(prods), pag)
	}
	cats, cpag := v3Pages(t, en, "/catalog/categories", "")
	if len(cats) != 35 || cpag["total"] != float64(35) {
		t.Fatalf("%d categories, pagination %v", len(cats), cpag)
	}
	known := map[float64]bool{}
	for _, c := range cats {
		known[c["id"].(float64)] = true
	}
	for _, c := range cats {
		if p := c["parent_id"].(float64); p != 0 && !known[p] {
			t.Errorf("category %v has unknown parent %v", c["id"], p)
		}
	}
	for _, p := range prods {
		vs, imgs, cfs := p["variants"].([]any), p["images"].([]any), p["custom_fields"].([]any)
		if len(vs) == 0 || len(imgs) == 0 && p["id"].(float64) > 122 || p["availability"] != "available" || p["custom_url"].(map[string]any)["url"] == "" {
			t.Errorf("product %v: %d variants, %d images, availability %v", p["id"], len(vs), len(imgs), p["availability"])
		}
		if p["id"].(float64) > 122 && len(cfs) != 1 {
			t.Errorf("generated product %v has %d custom fields", p["id"], len(cfs))
		}
		for _, c := range p["categories"].([]any) {
			if !known[c.(float64)] {
				t.Errorf("product %v is in unknown category %v", p["id"], c)
			}
		}
	}
	// sort=id&direction=desc, id:in, categories:in.
	desc, _ := v3Pages(t, en, "/catalog/products", "sort=id&direction=desc")
	for i := 1; i < len(desc); i++ {
		if desc[i-1]["id"].(float64) <= desc[i]["id"].(float64) {
			t.Fatalf("direction=desc out of order at %d", i)
		}
	}
	in, _ := v3Pages(t, en, "/catalog/products", fmt.Sprintf("id:in=111,%d,%d", res.ProductIDs[0], res.ProductIDs[9]))
	if len(in) != 3 {
		t.Errorf("id:in found %d", len(in))
	}
	cat := prods[200]["categories"].([]any)[0].(float64)
	inCat, _ := v3Pages(t, en, "/catalog/products", fmt.Sprintf("categories:in=%v", cat))
	want := 0
	for _, p := range prods {
		if slices.Contains(p["categories"].([]any), any(cat)) {
			want++
		}
	}
	if len(inCat) != want || want == 0 {
		t.Errorf("categories:in=%v: %d, want %d", cat, len(inCat), want)
	}
	// date_modified:min/max split the catalog; an update moves a product past the mark.
	mark := prods[300]["date_modified"].(string)
	after, _ := v3Pages(t, en, "/catalog/products", "date_modified:min="+mark)
	before, _ := v3Pages(t, en, "/catalog/products", "date_modified:max="+mark)
	same := 0
	for _, p := range prods {
		if p["date_modified"] == mark {
			same++
		}
	}
	if len(after)+len(before) != len(prods)+same || len(after) == 0 || len(before) == 0 {
		t.Errorf("date_modified split: %d after, %d before, %d total", len(after), len(before), len(prods))
	}
	en.clock.t = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	price := 12.5
	if _, err := en.e.UpdateProduct(testHash, res.ProductIDs[3], ProductUpdate{Price: &price}); err != nil {
		t.Fatal(err)
	}
	if _, err := en.e.UpdateVariant(testHash, 118, 141, VariantUpdate{Price: &price}); err != nil {
		t.Fatal(err)
	}
	changed, _ := v3Pages(t, en, "/catalog/products", "date_modified:min=2026-01-01T00:00:00Z&include=variants")
	if len(changed) != 2 || changed[0]["id"] != float64(118) || changed[1]["id"] != float64(res.ProductIDs[3]) || changed[1]["price"] != 12.5 {
		t.Errorf("changed since the mark: %v", ids(changed))
	}
	wantStatus(t, en.api("GET", "v3", "/catalog/products?sort=colour", nil), 422)
	wantStatus(t, en.api("GET", "v3", "/catalog/products?direction=up", nil), 422)
	r := en.api("GET", "v3", "/catalog/categories/21", nil)
	wantStatus(t, r, 200)
	if c := r.obj(t)["data"].(map[string]any); c["name"] != "Kitchen" || c["custom_url"].(map[string]any)["url"] != "/kitchen/" {
		t.Errorf("category 21: %v", c)
	}
	wantStatus(t, en.api("GET", "v3", "/catalog/categories/999999", nil), 404)
	r = en.api("GET", "v3", "/catalog/products/118/variants", nil)
	wantStatus(t, r, 200)
}

func TestCatalogControlAPIFiresWebhooks(t *testing.T) {
	en := newEnv(t, Options{})
	rc := newReceiver(t)
	// One hook, so that deliveries keep their order.
	en.hook(rc, "store/*", nil)
	r := en.sim("POST", "/"+testHash+"/categories", map[string]any{"name": "Outdoor", "parent_id": 18})
	wantStatus(t, r, 201)
	catID := int(r.obj(t)["data"].(map[string]any)["id"].(float64))
	r = en.sim("POST", "/"+testHash+"/products", map[string]any{"name": "Camp Stool", "sku": "STOOL", "price": 35,
		"categories": []int{catID}, "custom_fields": map[string]string{"Material": "Oak"},
		"variants": []map[string]any{{"sku": "STOOL-OAK", "label": "Oak"}, {"sku": "STOOL-ASH", "label": "Ash"}}})
	wantStatus(t, r, 201)
	p := r.obj(t)["data"].(map[string]any)
	pid := int(p["id"].(float64))
	if len(p["variants"].([]any)) != 2 || p["custom_fields"].([]any)[0].(map[string]any)["value"] != "Oak" {
		t.Errorf("created product %v", p)
	}
	vid := int(p["variants"].([]any)[1].(map[string]any)["id"].(float64))
	wantStatus(t, en.sim("PUT", fmt.Sprintf("/%s/products/%d", testHash, pid), map[string]any{"name": "Camp Stool II"}), 200)
	wantStatus(t, en.sim("POST", fmt.Sprintf("/%s/products/%d/variants", testHash, pid), map[string]any{"sku": "STOOL-ELM", "label": "Elm"}), 201)
	wantStatus(t, en.sim("PUT", fmt.Sprintf("/%s/products/%d/variants/%d", testHash, pid, vid), map[string]any{"price": 40}), 200)
	wantStatus(t, en.sim("DELETE", fmt.Sprintf("/%s/products/%d/variants/%d", testHash, pid, vid), nil), 204)
	wantStatus(t, en.sim("PUT", fmt.Sprintf("/%s/categories/%d", testHash, catID), map[string]any{"name": "Outdoors"}), 200)
	wantStatus(t, en.sim("PUT", fmt.Sprintf("/%s/categories/18", testHash), map[string]any{"parent_id": catID}), 422)
	wantStatus(t, en.sim("DELETE", fmt.Sprintf("/%s/categories/18", testHash), nil), 422)
	wantStatus(t, en.sim("DELETE", fmt.Sprintf("/%s/categories/%d", testHash, catID), nil), 204)
	wantStatus(t, en.sim("DELETE", fmt.Sprintf("/%s/products/%d", testHash, pid), nil), 204)
	wantStatus(t, en.sim("POST", "/"+testHash+"/products", map[string]any{"name": "Dup", "sku": "TEE-M"}), 422)
	wantStatus(t, en.sim("PUT", fmt.Sprintf("/%s/products/%d", testHash, pid), map[string]any{"name": "x"}), 404)
	want := []string{
		"store/category/created", "store/product/created", "store/sku/created", "store/sku/created",
		"store/product/updated", "store/sku/created", "store/sku/updated", "store/sku/deleted",
		"store/category/updated", "store/category/deleted", "store/sku/deleted", "store/sku/deleted", "store/product/deleted",
	}
	got := rc.wait(t, len(want))
	var scopes []string
	for _, d := range got {
		en.spec.checkCallback(t, d.Body)
		cb := parseCallback(t, d.Body)
		scopes = append(scopes, cb.Scope)
		if cb.Scope == "store/sku/updated" {
			sku := cb.Data["sku"].(map[string]any)
			if cb.Data["type"] != "sku" || sku["product_id"] != float64(pid) || sku["variant_id"] != float64(vid) {
				t.Errorf("sku/updated data %v", cb.Data)
			}
		}
	}
	if !slices.Equal(scopes, want) {
		t.Errorf("scopes\n got %v\nwant %v", scopes, want)
	}
	wantStatus(t, en.api("GET", "v3", "/catalog/products/"+strconv.Itoa(pid), nil), 404)
}

func TestRateLimitWindowAndRequestStats(t *testing.T) {
	en := newEnv(t, Options{RateLimitQuota: 150, RateLimitWindow: 2 * time.Second})
	r := en.api("GET", "v3", "/catalog/products", nil)
	if r.Header.Get("X-Rate-Limit-Time-Window-Ms") != "2000" || r.Header.Get("X-Rate-Limit-Time-Reset-Ms") != "2000" {
		t.Errorf("Options.RateLimitWindow not applied: %v", r.Header)
	}
	// Compress at runtime: 3 per 500 ms.
	r = en.sim("PUT", "/"+testHash+"/rate-limit", map[string]any{"quota": 3, "window_ms": 500})
	wantStatus(t, r, 200)
	if m := r.obj(t); m["quota"] != float64(3) || m["window_ms"] != float64(500) {
		t.Errorf("rate-limit answer %v", m)
	}
	wantStatus(t, en.sim("DELETE", "/"+testHash+"/requests", nil), 204)
	for i := 0; i < 3; i++ {
		r = en.api("GET", "v2", "/orders", nil)
		if r.Status != 204 && r.Status != 200 {
			t.Fatalf("request %d: %d", i, r.Status)
		}
		if r.Header.Get("X-Rate-Limit-Requests-Left") != strconv.Itoa(2-i) || r.Header.Get("X-Rate-Limit-Time-Window-Ms") != "500" {
			t.Errorf("request %d headers %v", i, r.Header)
		}
	}
	en.clock.Advance(200 * time.Millisecond)
	r = en.api("GET", "v2", "/orders/100", nil)
	wantStatus(t, r, 429)
	if r.Header.Get("X-Rate-Limit-Time-Reset-Ms") != "300" || r.Header.Get("X-Rate-Limit-Requests-Left") != "0" {
		t.Errorf("429 headers %v", r.Header)
	}
	en.clock.Advance(300 * time.Millisecond)
	wantStatus(t, en.api("GET", "v3", "/customers", nil), 200)
	r = en.sim("GET", "/"+testHash+"/requests", nil)
	wantStatus(t, r, 200)
	var st RequestStats
	r.json(t, &st)
	if st.Requests != 5 || st.Throttled != 1 || st.Paths["GET /v2/orders"] != (PathStats{Requests: 3}) ||
		st.Paths["GET /v2/orders/{id}"] != (PathStats{Requests: 1, Throttled: 1}) || st.Paths["GET /v3/customers"] != (PathStats{Requests: 1}) {
		t.Errorf("stats %+v", st)
	}
	if g, err := en.e.RequestStats(testHash); err != nil || g.Requests != st.Requests {
		t.Errorf("Go accessor %+v, %v", g, err)
	}
	r = en.sim("GET", "/"+testHash+"/rate-limit", nil)
	if m := r.obj(t); m["quota"] != float64(3) || m["window_ms"] != float64(500) {
		t.Errorf("GET rate-limit %v", m)
	}
	wantStatus(t, en.sim("PUT", "/"+testHash+"/rate-limit", map[string]any{"quota": -1}), 422)
	wantStatus(t, en.sim("PUT", "/"+testHash+"/rate-limit", map[string]any{}), 422)
	// An unauthenticated request is not counted.
	en.callToken("GET", "/stores/"+testHash+"/v3/customers", nil, "wrong")
	if g, _ := en.e.RequestStats(testHash); g.Requests != 5 {
		t.Errorf("unauthenticated request counted: %d", g.Requests)
	}
}

// A snapshot saved before categories existed loads with its products'
// categories created and its products available.
func TestOldSnapshotGainsCategories(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.json")
	old := `{"version":1,"stores":[{"hash":"bcflowdev","access_token":"dev-access-token","client_secret":"s","store_id":1,
		"channels":[1],"quota":150,"products":[{"id":5,"name":"Old","sku":"OLD","type":"physical","categories":[7],
		"variants":[{"id":9,"sku":"OLD","sku_id":9}],"date_created":"2024-01-01T00:00:00Z","date_modified":"2024-01-01T00:00:00Z"}],
		"customer_groups":[{"id":1,"name":"Retail"}],"customers":[],"orders":[],"promotions":[],"segments":[],"shopper_profiles":[],"hooks":[],"seq":{"Order":99}}]}`
	must(t, os.WriteFile(path, []byte(old), 0o600))
	en := newEnv(t, Options{SnapshotPath: path})
	r := en.api("GET", "v3", "/catalog/categories", nil)
	wantStatus(t, r, 200)
	if d := r.obj(t)["data"].([]any); len(d) != 1 || d[0].(map[string]any)["id"] != float64(7) {
		t.Errorf("categories after loading an old snapshot: %v", d)
	}
	r = en.api("GET", "v3", "/catalog/products/5", nil)
	wantStatus(t, r, 200)
	if a := r.obj(t)["data"].(map[string]any)["availability"]; a != "available" {
		t.Errorf("availability %v", a)
	}
}
