package brevoemu

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestProducts(t *testing.T) {
	v := newEnv(t, Options{})
	p1 := `{"id":"101","name":"Mug","url":"https://shop/mug","imageUrl":"https://shop/mug.jpg","sku":"MUG-1","price":12.5,"categories":["7"],"metaInfo":{"brand":"Acme"}}`
	r := v.call("POST", "/v3/products", p1, true)
	if r.status != 201 || r.json(t)["id"] == nil {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	wantError(t, v.call("POST", "/v3/products", p1, true), 400, "duplicate_parameter")
	// updateEnabled updates what is given and keeps the rest.
	if r := v.call("POST", "/v3/products", `{"id":"101","name":"Big mug","price":14,"updateEnabled":true}`, true); r.status != 204 {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	p, ok := v.e.Product("101")
	if !ok || p.Name != "Big mug" || *p.Price != 14 || p.SKU != "MUG-1" || p.Categories[0] != "7" || p.MetaInfo["brand"] != "Acme" {
		t.Fatalf("product %+v", p)
	}
	wantError(t, v.call("POST", "/v3/products", `{"id":"102"}`, false), 400, "missing_parameter")
	wantError(t, v.call("POST", "/v3/products", `{"id":"102","name":"x","metaInfo":{"a":"1","b":"2","c":"3","d":"4","e":"5","f":"6","g":"7","h":"8","i":"9","j":"10","k":"11"}}`, true), 400, "invalid_parameter")
	wantError(t, v.call("POST", "/v3/products", `{"id":"102","name":"x","metaInfo":{"stock":3}}`, false), 400, "invalid_parameter")

	// Batch: counts, limits, duplicates, updateEnabled.
	r = v.call("POST", "/v3/products/batch", `{"products":[{"id":"201","name":"Tee","price":20,"categories":["8"]},{"id":"202","name":"Cap","price":9}]}`, true)
	if m := r.json(t); r.status != 201 || m["createdCount"] != 2.0 || m["updatedCount"] != 0.0 {
		t.Fatalf("batch: %d %s", r.status, r.body)
	}
	wantError(t, v.call("POST", "/v3/products/batch", `{"products":[{"id":"201","name":"Tee"},{"id":"203","name":"Hat"}]}`, true), 400, "duplicate_parameter")
	wantError(t, v.call("POST", "/v3/products/batch", `{"updateEnabled":true,"products":[{"id":"203","name":"Hat"},{"id":"203","name":"Hat"}]}`, true), 400, "duplicate_parameter")
	r = v.call("POST", "/v3/products/batch", `{"updateEnabled":true,"products":[{"id":"201","name":"Tee shirt"},{"id":"203","name":"Hat"}]}`, true)
	if m := r.json(t); r.status != 201 || m["createdCount"] != 1.0 || m["updatedCount"] != 1.0 {
		t.Fatalf("upsert batch: %d %s", r.status, r.body)
	}
	var many []string
	for i := range 101 {
		many = append(many, fmt.Sprintf(`{"id":"x%d","name":"n"}`, i))
	}
	wantError(t, v.call("POST", "/v3/products/batch", `{"products":[`+strings.Join(many, ",")+`]}`, true), 400, "out_of_range")
	if n := v.e.Counts().Products; n != 4 {
		t.Fatalf("%d products, want 4", n)
	}

	// Reads.
	r = v.call("GET", "/v3/products?limit=10&sort=asc", "", true)
	m := r.json(t)
	ps, _ := m["products"].([]any)
	if r.status != 200 || m["count"] != 4.0 || len(ps) != 4 || ps[0].(map[string]any)["id"] != "101" {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	for q, want := range map[string]float64{"ids=201,203": 2, "categories=8": 1, "price[gte]=14": 2, "name=mug": 1} {
		if r := v.call("GET", "/v3/products?"+q, "", true); r.json(t)["count"] != want {
			t.Errorf("GET /v3/products?%s: %s, want count %v", q, r.body, want)
		}
	}
	wantError(t, v.call("GET", "/v3/products?name=mu", "", true), 400, "invalid_parameter")
	if r := v.call("GET", "/v3/products/201", "", true); r.status != 200 || r.json(t)["name"] != "Tee shirt" {
		t.Fatalf("get: %d %s", r.status, r.body)
	}
	wantError(t, v.call("GET", "/v3/products/999", "", true), 404, "document_not_found")
	var listed []Product
	if err := json.Unmarshal(v.sim("GET", "/_sim/brevo/products", "").body, &listed); err != nil || len(listed) != 4 {
		t.Fatalf("sim products: %v %d", err, len(listed))
	}
}

func TestCategories(t *testing.T) {
	v := newEnv(t, Options{})
	r := v.call("POST", "/v3/categories", `{"id":"7","name":"Kitchen","url":"https://shop/kitchen"}`, true)
	if r.status != 201 || r.json(t)["id"] == nil {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	wantError(t, v.call("POST", "/v3/categories", `{"id":"7","name":"Kitchen"}`, true), 400, "duplicate_parameter")
	wantError(t, v.call("POST", "/v3/categories", `{"id":"8"}`, true), 400, "missing_parameter")
	if r := v.call("POST", "/v3/categories", `{"id":"7","isDeleted":true,"updateEnabled":true}`, true); r.status != 204 {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	if c, _ := v.e.Category("7"); c.Name != "Kitchen" || !c.IsDeleted {
		t.Fatalf("category %+v", c)
	}
	r = v.call("POST", "/v3/categories/batch", `{"updateEnabled":true,"categories":[{"id":"7","name":"Cooking"},{"id":"8","name":"Garden"}]}`, true)
	if m := r.json(t); r.status != 201 || m["createdCount"] != 1.0 || m["updatedCount"] != 1.0 {
		t.Fatalf("batch: %d %s", r.status, r.body)
	}
	var many []string
	for i := range 101 {
		many = append(many, fmt.Sprintf(`{"id":"c%d","name":"n"}`, i))
	}
	wantError(t, v.call("POST", "/v3/categories/batch", `{"categories":[`+strings.Join(many, ",")+`]}`, true), 400, "out_of_range")
	r = v.call("GET", "/v3/categories?limit=100", "", true)
	if m := r.json(t); r.status != 200 || m["count"] != 2.0 {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	if r := v.call("GET", "/v3/categories/8", "", true); r.status != 200 || r.json(t)["name"] != "Garden" {
		t.Fatalf("get: %d %s", r.status, r.body)
	}
	wantError(t, v.call("GET", "/v3/categories/99", "", true), 404, "document_not_found")
	wantError(t, v.call("GET", "/v3/categories?limit=101", "", false), 400, "out_of_range")
}
