package bcemu

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// checkSchema validates a control-API object against a component schema of a spec file.
func (en *env) checkSchema(file, schema string, v any) {
	en.t.Helper()
	for _, sr := range en.spec.routers {
		if sr.name != file {
			continue
		}
		ref := sr.doc.Components.Schemas[schema]
		if ref == nil {
			en.t.Fatalf("%s has no schema %s", file, schema)
		}
		b, _ := json.Marshal(v)
		var generic any
		_ = json.Unmarshal(b, &generic)
		if err := ref.Value.VisitJSON(generic, openapi3.MultiErrors(), openapi3.VisitAsResponse(),
			openapi3.EnableFormatValidation(), openapi3.SetSchemaRegexCompiler(lenientRegex)); err != nil {
			en.t.Errorf("control API object violates %s %s: %v\n%s", file, schema, err, b)
		}
		return
	}
	en.t.Fatalf("spec %s not loaded", file)
}

func data(t *testing.T, r resp) map[string]any {
	t.Helper()
	d, ok := r.obj(t)["data"].(map[string]any)
	if !ok {
		t.Fatalf("no data object: %s", r.Body)
	}
	return d
}

// TestControlAPIShopperScript drives a store only through /_sim/bigcommerce,
// the way the README's curl script does, and checks the generated objects
// against the official schemas.
func TestControlAPIShopperScript(t *testing.T) {
	en := newEnv(t, Options{})
	rc := newReceiver(t)
	en.hook(rc, "store/cart/abandoned", nil)
	base := "/" + testHash

	wantStatus(t, en.sim("GET", "", nil), 200)
	wantStatus(t, en.sim("GET", "/", nil), 200)
	r := en.sim("GET", "/stores", nil)
	wantStatus(t, r, 200)
	var stores []StoreInfo
	r.json(t, &stores)
	if len(stores) != 1 || stores[0].Hash != testHash || stores[0].AccessToken != testToken || stores[0].ClientSecret != "dev-client-secret" || stores[0].Channels[0] != 1 {
		t.Fatalf("stores %+v", stores)
	}
	r = en.sim("POST", base+"/customers", map[string]any{"email": "ana@example.com", "first_name": "Ana", "last_name": "Lima", "phone": "+5511999990000", "customer_group_id": 3, "accepts_marketing": true, "accepts_product_review_abandoned_cart_emails": true})
	wantStatus(t, r, 201)
	cust := data(t, r)
	en.checkSchema("customers.v3.yml", "customer_Full", cust)
	cid := int(cust["id"].(float64))
	r = en.sim("PUT", fmt.Sprintf("%s/customers/%d", base, cid), map[string]any{"customer_group_id": 2})
	wantStatus(t, r, 200)
	en.checkSchema("customers.v3.yml", "customer_Full", data(t, r))
	r = en.sim("POST", base+"/customers", map[string]any{"email": "walkin@example.com", "guest": true, "first_name": "Walk"})
	wantStatus(t, r, 201)

	r = en.sim("POST", base+"/carts", map[string]any{"customer_id": cid, "line_items": []any{map[string]any{"sku": "FLCT-NAVY", "quantity": 2}, map[string]any{"product_id": 114, "quantity": 1}}})
	wantStatus(t, r, 201)
	cart := data(t, r)
	en.checkSchema("carts.v3.yml", "Cart_Full", cart)
	cartID := cart["id"].(string)
	if cart["email"] != "ana@example.com" || cart["base_amount"] != float64(49*2+199) {
		t.Errorf("cart %v", cart)
	}
	r = en.sim("PUT", base+"/carts/"+cartID, map[string]any{"add": []any{map[string]any{"sku": "MUG-BLACK", "quantity": 1}}, "quantities": []any{map[string]any{"sku": "FLCT-NAVY", "quantity": 1}}})
	wantStatus(t, r, 200)
	en.checkSchema("carts.v3.yml", "Cart_Full", data(t, r))
	r = en.sim("POST", base+"/carts/"+cartID+"/abandon", nil)
	wantStatus(t, r, 200)
	token := data(t, r)["token"].(string)
	cb := parseCallback(t, rc.wait(t, 1)[0].Body)
	if cb.Data["token"] != token {
		t.Errorf("abandoned token %v vs %s", cb.Data, token)
	}
	r = en.api("GET", "v3", "/abandoned-carts/"+token, nil)
	if data(t, r)["cart_id"] != cartID {
		t.Errorf("token lookup %s", r.Body)
	}
	r = en.sim("POST", base+"/promotions", map[string]any{"name": "Recover 10", "code": "RECOVER10", "amount_off": 10})
	wantStatus(t, r, 201)
	en.checkSchema("promotions.v3.yml", "SavedCouponPromotion", data(t, r))
	r = en.sim("POST", base+"/carts/"+cartID+"/checkout", map[string]any{"coupon_code": "RECOVER10"})
	wantStatus(t, r, 201)
	order := r.obj(t)
	en.checkSchema("orders.v2.oas2.yml", "order_Resp", order)
	oid := int(order["id"].(float64))
	if order["coupon_discount"] != "10.0000" || order["total_inc_tax"] != "260.0000" || order["cart_id"] != cartID || order["is_email_opt_in"] != true {
		t.Errorf("order %v %v %v", order["coupon_discount"], order["total_inc_tax"], order["is_email_opt_in"])
	}
	r = en.sim("PUT", fmt.Sprintf("%s/orders/%d/status", base, oid), map[string]any{"status_id": 9})
	wantStatus(t, r, 200)
	en.checkSchema("orders.v2.oas2.yml", "order_Resp", r.obj(t))
	r = en.sim("POST", fmt.Sprintf("%s/orders/%d/shipments", base, oid), map[string]any{"tracking_number": "RM123GB", "tracking_carrier": "royalmail"})
	wantStatus(t, r, 201)
	en.checkSchema("orders.v2.oas2.yml", "orderShipment", r.obj(t))
	r = en.sim("POST", fmt.Sprintf("%s/orders/%d/refunds", base, oid), map[string]any{"amount": 20})
	wantStatus(t, r, 201)
	o := en.api("GET", "v2", fmt.Sprintf("/orders/%d", oid), nil).obj(t)
	if o["status_id"] != float64(14) || o["refunded_amount"] != "20.0000" {
		t.Errorf("after refund %v %v", o["status_id"], o["refunded_amount"])
	}
	// A guest cart: email entered later; the guest's name fills the billing address.
	r = en.sim("POST", base+"/carts", map[string]any{"line_items": []any{map[string]any{"sku": "CLC", "quantity": 1}}})
	wantStatus(t, r, 201)
	gid := data(t, r)["id"].(string)
	wantStatus(t, en.sim("POST", base+"/carts/"+gid+"/checkout", nil), 422)
	wantStatus(t, en.sim("PUT", base+"/carts/"+gid+"/email", map[string]any{"email": "walkin@example.com"}), 200)
	r = en.sim("POST", base+"/carts/"+gid+"/checkout", map[string]any{"status_id": 7, "payment_method": "Cash"})
	wantStatus(t, r, 201)
	g := r.obj(t)
	if g["customer_id"] != float64(0) || g["billing_address"].(map[string]any)["first_name"] != "Walk" || g["status"] != "Awaiting Payment" {
		t.Errorf("guest order %v", g)
	}
	// Deleting and errors.
	r = en.sim("POST", base+"/carts", map[string]any{"line_items": []any{map[string]any{"sku": "CLC", "quantity": 1}}})
	wantStatus(t, en.sim("DELETE", base+"/carts/"+data(t, r)["id"].(string), nil), 204)
	wantStatus(t, en.sim("POST", base+"/carts/nope/abandon", nil), 404)
	wantStatus(t, en.sim("POST", "/nostore/carts", map[string]any{}), 404)
	wantStatus(t, en.sim("GET", "/nowhere/at/all/x", nil), 404)
	// Bulk generation.
	r = en.sim("POST", base+"/bulk", map[string]any{"customers": 5, "orders": 20, "seed": 3, "from": "2024-01-01T00:00:00Z", "to": "2024-02-01T00:00:00Z"})
	wantStatus(t, r, 201)
	var res BulkResult
	r.json(t, &res)
	if len(res.CustomerIDs) != 5 || len(res.OrderIDs) != 20 {
		t.Errorf("bulk %+v", res)
	}
	list := en.api("GET", "v2", "/orders?max_date_created=2024-02-01&limit=250", nil)
	var orders []map[string]any
	list.json(t, &orders)
	if len(orders) != 20 {
		t.Errorf("%d bulk orders in range", len(orders))
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sim.json")
	en := newEnv(t, Options{SnapshotPath: path})
	rc := newReceiver(t)
	hookID := en.hook(rc, "store/order/created", map[string]string{"X-K": "v"})
	cu, err := en.e.CreateCustomer(testHash, CustomerInput{Email: "saved@example.com", GroupID: 2})
	must(t, err)
	c, _ := en.e.CreateCart(testHash, CartInput{CustomerID: cu.ID, Items: []ItemInput{{SKU: "OTL", Quantity: 1}}})
	open, _ := en.e.CreateCart(testHash, CartInput{Email: "g@example.com", Items: []ItemInput{{SKU: "TEE-XL", Quantity: 2}}})
	token, _ := en.e.AbandonCart(testHash, open.ID)
	o, err := en.e.Checkout(testHash, c.ID, CheckoutInput{})
	must(t, err)
	_, err = en.e.Ship(testHash, o.ID, ShipInput{TrackingNumber: "T1", Carrier: "fedex"})
	must(t, err)
	wantStatus(t, en.api("POST", "v3", "/segments", []any{map[string]any{"name": "Saved"}}), 201)
	wantStatus(t, en.sim("POST", "/save", nil), 200)

	before := map[string]string{}
	for _, p := range []string{"/v2/orders", fmt.Sprintf("/v2/orders/%d/shipments", o.ID), "/v3/carts/" + open.ID, "/v3/customers", "/v3/segments", fmt.Sprintf("/v3/hooks/%d", hookID), "/v3/abandoned-carts/" + token} {
		before[p] = string(en.raw("GET", p).Body)
	}
	en2 := newEnv(t, Options{SnapshotPath: path})
	for p, want := range before {
		if got := string(en2.raw("GET", p).Body); got != want {
			t.Errorf("%s after reload:\n got %s\nwant %s", p, got, want)
		}
	}
	// Sequences continue after a reload.
	c2, _ := en2.e.CreateCart(testHash, CartInput{CustomerID: 1, Items: []ItemInput{{SKU: "OTS", Quantity: 1}}})
	o2, err := en2.e.Checkout(testHash, c2.ID, CheckoutInput{})
	must(t, err)
	if o2.ID != o.ID+1 {
		t.Errorf("next order id %d, want %d", o2.ID, o.ID+1)
	}
	if _, err := en2.e.CreateCustomer(testHash, CustomerInput{Email: "saved@example.com"}); err == nil {
		t.Error("reloaded customers lost")
	}
	// Without a path, Save fails clearly.
	if err := newEnv(t, Options{}).e.Save(); err == nil {
		t.Error("Save without SnapshotPath succeeded")
	}
	b, _ := os.ReadFile(path)
	if !json.Valid(b) {
		t.Error("snapshot is not JSON")
	}
}

func TestLoadSeedFile(t *testing.T) {
	en := newEnv(t, Options{})
	path := filepath.Join(t.TempDir(), "seed.json")
	seed := `{
  "customers": [{"email": "seed1@example.com", "first_name": "Seed", "last_name": "One", "customer_group_id": 3}],
  "promotions": [{"name": "Seed 5", "code": "SEED5", "amount_off": 5}],
  "carts": [
    {"cart": {"customer_id": 5, "line_items": [{"sku": "OTL", "quantity": 1}]}, "checkout": {"coupon_code": "SEED5"}},
    {"cart": {"email": "lost@example.com", "line_items": [{"sku": "MUG-WHITE", "quantity": 3}]}, "abandon": true}
  ],
  "bulk": {"customers": 3, "orders": 4, "seed": 1}
}`
	must(t, os.WriteFile(path, []byte(seed), 0o600))
	must(t, en.e.LoadSeedFile(path))
	r := en.api("GET", "v2", "/orders/count", nil)
	if r.obj(t)["count"] != float64(5) {
		t.Errorf("orders after seed: %s", r.Body)
	}
	r = en.api("GET", "v2", "/orders/100", nil)
	if o := r.obj(t); o["customer_id"] != float64(5) || o["coupon_discount"] != "5.0000" {
		t.Errorf("seeded order %s", r.Body)
	}
	must(t, os.WriteFile(path, []byte(`{"bogus": 1}`), 0o600))
	if err := en.e.LoadSeedFile(path); err == nil {
		t.Error("unknown seed fields accepted")
	}
	wantStatus(t, en.sim("POST", "/seed", map[string]any{"customers": []any{map[string]any{"email": "http@example.com"}}}), 200)
	wantStatus(t, en.sim("POST", "/seed", map[string]any{"customers": []any{map[string]any{"email": "http@example.com"}}}), 409)
}

// TestConcurrentUse exercises the locks under -race: shoppers, API readers and deliveries at once.
func TestConcurrentUse(t *testing.T) {
	en := newEnv(t, Options{RateLimitQuota: 100000, RetryScale: 1e-6})
	rc := newReceiver(t)
	en.hook(rc, "store/cart/*", nil)
	en.hook(rc, "store/order/*", nil)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				c, err := en.e.CreateCart(testHash, CartInput{CustomerID: 1 + (w+i)%4, Items: []ItemInput{{SKU: "TEE-M", Quantity: 1}}})
				if err != nil {
					errs <- err
					return
				}
				if _, err := en.e.UpdateCart(testHash, c.ID, CartUpdate{Add: []ItemInput{{SKU: "SM13", Quantity: 1}}}); err != nil {
					errs <- err
					return
				}
				o, err := en.e.Checkout(testHash, c.ID, CheckoutInput{})
				if err != nil {
					errs <- err
					return
				}
				if _, err := en.e.SetOrderStatus(testHash, o.ID, 10); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				if r := en.raw("GET", "/v2/orders?limit=250"); r.Status != 200 && r.Status != 204 {
					errs <- fmt.Errorf("list status %d", r.Status)
				}
				en.raw("GET", "/v3/customers")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	r := en.api("GET", "v2", "/orders/count", nil)
	if r.obj(t)["count"] != float64(80) {
		t.Errorf("count %s", r.Body)
	}
	// 80 × (created, updated, lineItem/created, lineItem/created, updated, converted, order/created, order/updated, statusUpdated)
	rc.wait(t, 80*9)
	en.e.Close() // closing with nothing pending returns promptly
	done := make(chan struct{})
	go func() { en.e.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hangs")
	}
}
