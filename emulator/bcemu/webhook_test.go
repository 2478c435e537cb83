package bcemu

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// verifySignature checks a delivery the way a Standard Webhooks consumer does,
// with the store's client secret bytes as the key.
func verifySignature(t *testing.T, d delivery, secret string) {
	t.Helper()
	id, ts := d.Header.Get("webhook-id"), d.Header.Get("webhook-timestamp")
	if id == "" || ts == "" {
		t.Fatalf("missing webhook-id/timestamp: %v", d.Header)
	}
	if n, err := strconv.ParseInt(ts, 10, 64); err != nil || math.Abs(float64(time.Now().Unix()-n)) > 300 {
		t.Errorf("webhook-timestamp %q is not current unix seconds", ts)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(d.Body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if got := d.Header.Get("webhook-signature"); !hmac.Equal([]byte(got), []byte(want)) {
		t.Errorf("signature %q, want %q", got, want)
	}
	// And with the reference Standard Webhooks library, raw-secret mode.
	wh, err := standardwebhooks.NewWebhookRaw([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(d.Body, d.Header); err != nil {
		t.Errorf("standard-webhooks Verify: %v", err)
	}
}

// rawData returns the exact bytes of the payload's data member.
func rawData(t *testing.T, body []byte) []byte {
	t.Helper()
	var p struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	return p.Data
}

func TestWebhookPayloadsSignaturesAndSchemas(t *testing.T) {
	en := newEnv(t, Options{})
	rc := newReceiver(t)
	for _, scope := range []string{"store/cart/*", "store/order/*", "store/shipment/created", "store/customer/created", "store/customer/updated"} {
		en.hook(rc, scope, map[string]string{"X-Custom-Auth": "sekret"})
	}
	e := en.e
	cu, err := e.CreateCustomer(testHash, CustomerInput{Email: "shopper@example.com", FirstName: "Sho", LastName: "Pper"})
	must(t, err)
	_, err = e.UpdateCustomer(testHash, cu.ID, CustomerInput{Phone: "+15551234"})
	must(t, err)
	c, err := e.CreateCart(testHash, CartInput{CustomerID: cu.ID, Items: []ItemInput{{SKU: "TEE-S", Quantity: 1}}})
	must(t, err)
	_, err = e.UpdateCart(testHash, c.ID, CartUpdate{Add: []ItemInput{{SKU: "MUG-WHITE", Quantity: 2}}, Quantities: []QuantityChange{{SKU: "TEE-S", Quantity: 3}}})
	must(t, err)
	couponID, err := e.ApplyCartCoupon(testHash, c.ID, "welcome10")
	must(t, err)
	if _, err := e.ApplyCartCoupon(testHash, c.ID, "NO-SUCH-CODE"); err == nil {
		t.Fatal("an unknown coupon code was applied")
	}
	token, err := e.AbandonCart(testHash, c.ID)
	must(t, err)
	o, err := e.Checkout(testHash, c.ID, CheckoutInput{})
	must(t, err)
	sh, err := e.Ship(testHash, o.ID, ShipInput{TrackingNumber: "9400", Carrier: "usps"})
	must(t, err)
	_, err = e.Refund(testHash, o.ID, RefundInput{Amount: 5})
	must(t, err)
	g, err := e.CreateCart(testHash, CartInput{Items: []ItemInput{{SKU: "SM13", Quantity: 1}}})
	must(t, err)
	must(t, e.DeleteCart(testHash, g.ID))

	want := []string{
		"store/customer/created", "store/customer/updated",
		"store/cart/created", "store/cart/updated", "store/cart/lineItem/created",
		"store/cart/lineItem/created", "store/cart/lineItem/updated", "store/cart/updated",
		"store/cart/couponApplied", "store/cart/abandoned", "store/cart/converted", "store/order/created",
		"store/shipment/created", "store/order/updated", "store/order/statusUpdated",
		"store/order/refund/created", "store/order/updated", "store/order/statusUpdated",
		"store/cart/created", "store/cart/updated", "store/cart/lineItem/created", "store/cart/deleted",
	}
	got := rc.wait(t, len(want))
	time.Sleep(50 * time.Millisecond)
	if n := len(rc.all()); n != len(want) {
		t.Fatalf("%d deliveries, want %d", n, len(want))
	}
	counts := map[string]int{}
	for _, s := range want {
		counts[s]++
	}
	ids := map[string]bool{}
	for _, d := range got {
		cb := parseCallback(t, d.Body)
		counts[cb.Scope]--
		en.spec.checkCallback(t, d.Body)
		verifySignature(t, d, "dev-client-secret")
		if d.Header.Get("X-Custom-Auth") != "sekret" || d.Header.Get("Content-Type") != "application/json" {
			t.Errorf("headers %v", d.Header)
		}
		sum := sha1.Sum(rawData(t, d.Body))
		if cb.Hash != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: hash %s is not sha1 of data", cb.Scope, cb.Hash)
		}
		if cb.StoreID != "1001001" || cb.Producer != "stores/"+testHash || cb.CreatedAt != en.clock.Now().Unix() {
			t.Errorf("envelope %+v", cb)
		}
		if ids[d.Header.Get("webhook-id")] {
			t.Errorf("webhook-id %s reused across events", d.Header.Get("webhook-id"))
		}
		ids[d.Header.Get("webhook-id")] = true
		switch cb.Scope {
		case "store/cart/abandoned":
			if cb.Data["token"] != token || cb.Data["id"] != c.ID || cb.Data["type"] != "cart" {
				t.Errorf("abandoned data %v", cb.Data)
			}
		case "store/cart/couponApplied":
			if cb.Data["couponId"] != float64(couponID) || cb.Data["id"] != c.ID || cb.Data["type"] != "cart" {
				t.Errorf("couponApplied data %v", cb.Data)
			}
		case "store/cart/converted":
			if cb.Data["orderId"] != float64(o.ID) || cb.Data["id"] != c.ID {
				t.Errorf("converted data %v", cb.Data)
			}
		case "store/order/statusUpdated":
			st := cb.Data["status"].(map[string]any)
			if st["previous_status_id"] == st["new_status_id"] {
				t.Errorf("status data %v", cb.Data)
			}
		case "store/shipment/created":
			if cb.Data["orderId"] != float64(o.ID) || cb.Data["id"] != float64(sh.ID) || cb.Data["type"] != "shipment" {
				t.Errorf("shipment data %v", cb.Data)
			}
		case "store/order/refund/created":
			if cb.Data["refund"].(map[string]any)["refund_id"] != float64(1) {
				t.Errorf("refund data %v", cb.Data)
			}
		case "store/customer/created":
			if cb.Data["id"] != float64(cu.ID) || cb.Data["type"] != "customer" {
				t.Errorf("customer data %v", cb.Data)
			}
		case "store/cart/lineItem/created":
			if cb.Data["cartId"] == "" || cb.Data["type"] != "cart_line_item" {
				t.Errorf("line item data %v", cb.Data)
			}
		}
	}
	for s, n := range counts {
		if n != 0 {
			t.Errorf("scope %s: %d missing", s, n)
		}
	}
	// The delivery log shows every attempt.
	waitLog(t, en.e, len(want))
	r := en.sim("GET", "/"+testHash+"/deliveries", nil)
	wantStatus(t, r, 200)
	var log []Delivery
	r.json(t, &log)
	if len(log) != len(want) || log[0].Outcome != "delivered" || log[0].StatusCode != 200 {
		t.Errorf("delivery log %d entries: %+v", len(log), log[0])
	}
}

// waitLog waits until the delivery log has at least n entries (the log is
// written after the destination answered).
func waitLog(t *testing.T, e *Emulator, n int) []Delivery {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		log, err := e.Deliveries(testHash)
		must(t, err)
		if len(log) >= n {
			return log
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery log has %d entries, want %d", len(log), n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestWebhookRetryScheduleAndDeactivation(t *testing.T) {
	const scale = 1e-5 // the 46 h schedule takes 1.7 s
	en := newEnv(t, Options{RetryScale: scale})
	rc := newReceiver(t)
	rc.setStatus(func(int) int { return 503 })
	id := en.hook(rc, "store/customer/created", nil)
	_, err := en.e.CreateCustomer(testHash, CustomerInput{Email: "retry@example.com"})
	must(t, err)
	got := rc.wait(t, len(RetrySchedule)+1)
	deadline := time.Now().Add(5 * time.Second)
	var log []Delivery
	for time.Now().Before(deadline) {
		log, _ = en.e.Deliveries(testHash)
		if len(log) > 0 && log[len(log)-1].Outcome == "deactivated" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(log) != len(RetrySchedule)+1 {
		t.Fatalf("%d attempts logged, want %d", len(log), len(RetrySchedule)+1)
	}
	for i, d := range log {
		if d.Attempt != i || d.StatusCode != 503 || d.HookID != id {
			t.Errorf("attempt %d: %+v", i, d)
		}
		if i < len(RetrySchedule) {
			want := float64(RetrySchedule[i]) * scale / float64(time.Millisecond)
			if d.Outcome != "failed" || math.Abs(d.NextRetryMs-want) > 1e-6 {
				t.Errorf("attempt %d: outcome %s next retry %v ms, want %v", i, d.Outcome, d.NextRetryMs, want)
			}
			if gap := log[i+1].At.Sub(d.At); gap < 0 {
				t.Errorf("attempt %d logged out of order", i)
			}
		} else if d.Outcome != "deactivated" {
			t.Errorf("last attempt outcome %s", d.Outcome)
		}
	}
	if RetrySchedule[0] != 60*time.Second || RetrySchedule[len(RetrySchedule)-1] != 86400*time.Second {
		t.Error("schedule bounds")
	}
	// Retries repeat the exact bytes and webhook-id.
	for _, d := range got[1:] {
		if string(d.Body) != string(got[0].Body) || d.Header.Get("webhook-id") != got[0].Header.Get("webhook-id") {
			t.Fatal("a retry changed the body or webhook-id")
		}
		verifySignature(t, d, "dev-client-secret")
	}
	r := en.api("GET", "v3", fmt.Sprintf("/hooks/%d", id), nil)
	if r.obj(t)["data"].(map[string]any)["is_active"] != false {
		t.Errorf("hook still active after the last retry: %s", r.Body)
	}
	// An inactive hook gets nothing more.
	_, err = en.e.CreateCustomer(testHash, CustomerInput{Email: "after@example.com"})
	must(t, err)
	time.Sleep(50 * time.Millisecond)
	if n := len(rc.all()); n != len(RetrySchedule)+1 {
		t.Errorf("inactive hook received %d", n)
	}
}

func TestWebhookRetryThenSuccess(t *testing.T) {
	en := newEnv(t, Options{RetryScale: 1e-5})
	rc := newReceiver(t)
	rc.setStatus(func(n int) int {
		if n < 2 {
			return 500
		}
		return 204
	})
	id := en.hook(rc, "store/order/statusUpdated", nil)
	c, _ := en.e.CreateCart(testHash, CartInput{CustomerID: 1, Items: []ItemInput{{SKU: "OTS", Quantity: 1}}})
	o, err := en.e.Checkout(testHash, c.ID, CheckoutInput{})
	must(t, err)
	_, err = en.e.SetOrderStatus(testHash, o.ID, 10)
	must(t, err)
	got := rc.wait(t, 3)
	if got[0].Header.Get("webhook-id") != got[2].Header.Get("webhook-id") || string(got[0].Body) != string(got[2].Body) {
		t.Error("retry differs from the first attempt")
	}
	cb := parseCallback(t, got[2].Body)
	if st := cb.Data["status"].(map[string]any); st["previous_status_id"] != float64(11) || st["new_status_id"] != float64(10) {
		t.Errorf("status %v", st)
	}
	log := waitLog(t, en.e, 3)
	if len(log) != 3 || log[2].Outcome != "delivered" || log[2].Attempt != 2 {
		t.Errorf("log %+v", log)
	}
	if en.api("GET", "v3", fmt.Sprintf("/hooks/%d", id), nil).obj(t)["data"].(map[string]any)["is_active"] != true {
		t.Error("hook deactivated after a recovered delivery")
	}
}

func TestWebhookNetworkErrorIsRetried(t *testing.T) {
	en := newEnv(t, Options{RetryScale: 1e-6})
	r := en.api("POST", "v3", "/hooks", map[string]any{"scope": "store/customer/created", "destination": "http://127.0.0.1:1/unreachable"})
	wantStatus(t, r, 200)
	_, err := en.e.CreateCustomer(testHash, CustomerInput{Email: "net@example.com"})
	must(t, err)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		log, _ := en.e.Deliveries(testHash)
		if len(log) >= 2 {
			if log[0].Error == "" || log[0].Outcome != "failed" || log[1].Attempt != 1 {
				t.Errorf("log %+v", log[:2])
			}
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("network error was not retried")
}

func TestNewEventOnSameObjectIsNewDelivery(t *testing.T) {
	en := newEnv(t, Options{})
	rc := newReceiver(t)
	en.hook(rc, "store/cart/updated", nil)
	c, _ := en.e.CreateCart(testHash, CartInput{Items: []ItemInput{{SKU: "DPB", Quantity: 1}}})
	rc.wait(t, 1)
	en.clock.Advance(time.Second)
	_, err := en.e.SetCartEmail(testHash, c.ID, "same@example.com")
	must(t, err)
	en.clock.Advance(time.Second)
	_, err = en.e.SetCartEmail(testHash, c.ID, "same@example.com")
	must(t, err)
	got := rc.wait(t, 3)
	a, b := parseCallback(t, got[1].Body), parseCallback(t, got[2].Body)
	if a.Hash != b.Hash {
		t.Error("identical data should hash the same")
	}
	if a.CreatedAt == b.CreatedAt || got[1].Header.Get("webhook-id") == got[2].Header.Get("webhook-id") {
		t.Errorf("a new event must have its own created_at and webhook-id: %d %d", a.CreatedAt, b.CreatedAt)
	}
}

func TestWebhookFaultDuplicates(t *testing.T) {
	en := newEnv(t, Options{})
	rc := newReceiver(t)
	en.hook(rc, "store/customer/created", nil)
	wantStatus(t, en.sim("PUT", "/"+testHash+"/faults", map[string]any{"duplicate_next": 2}), 200)
	for i := 0; i < 3; i++ {
		_, err := en.e.CreateCustomer(testHash, CustomerInput{Email: fmt.Sprintf("dup%d@example.com", i)})
		must(t, err)
	}
	got := rc.wait(t, 5)
	time.Sleep(30 * time.Millisecond)
	if len(rc.all()) != 5 {
		t.Fatalf("%d deliveries, want 5", len(rc.all()))
	}
	for i := 0; i < 4; i += 2 {
		if string(got[i].Body) != string(got[i+1].Body) || got[i].Header.Get("webhook-id") != got[i+1].Header.Get("webhook-id") {
			t.Errorf("duplicate %d differs", i)
		}
	}
	if got[4].Header.Get("webhook-id") == got[3].Header.Get("webhook-id") {
		t.Error("third event was duplicated")
	}
	// Probability 1 duplicates everything.
	must(t, en.e.SetFaults(testHash, Faults{DuplicateProbability: 1}))
	_, err := en.e.CreateCustomer(testHash, CustomerInput{Email: "prob@example.com"})
	must(t, err)
	rc.wait(t, 7)
	log := waitLog(t, en.e, 7)
	dups := 0
	for _, d := range log {
		if d.Duplicate {
			dups++
		}
	}
	if dups != 3 {
		t.Errorf("%d duplicates logged, want 3", dups)
	}
}

func TestWebhookFaultReorderDropDelay(t *testing.T) {
	en := newEnv(t, Options{})
	rc := newReceiver(t)
	en.hook(rc, "store/customer/created", nil)
	en.hook(rc, "store/cart/created", nil)
	// Reorder: three events are held, then released newest first.
	must(t, en.e.SetFaults(testHash, Faults{ReorderHold: 3}))
	var ids []int
	for i := 0; i < 3; i++ {
		c, err := en.e.CreateCustomer(testHash, CustomerInput{Email: fmt.Sprintf("ro%d@example.com", i)})
		must(t, err)
		ids = append(ids, c.ID)
	}
	got := rc.wait(t, 3)
	for i, d := range got {
		if cb := parseCallback(t, d.Body); cb.Data["id"] != float64(ids[2-i]) {
			t.Errorf("delivery %d is customer %v, want %d", i, cb.Data["id"], ids[2-i])
		}
	}
	// Release flushes early.
	must(t, en.e.SetFaults(testHash, Faults{ReorderHold: 10}))
	a, _ := en.e.CreateCustomer(testHash, CustomerInput{Email: "early1@example.com"})
	b, _ := en.e.CreateCustomer(testHash, CustomerInput{Email: "early2@example.com"})
	time.Sleep(30 * time.Millisecond)
	if len(rc.all()) != 3 {
		t.Fatal("held events were delivered")
	}
	r := en.sim("POST", "/"+testHash+"/faults/release", nil)
	wantStatus(t, r, 200)
	got = rc.wait(t, 5)
	if parseCallback(t, got[3].Body).Data["id"] != float64(b.ID) || parseCallback(t, got[4].Body).Data["id"] != float64(a.ID) {
		t.Error("release did not reverse the held events")
	}
	// Drop a scope: carts vanish, customers still arrive.
	must(t, en.e.SetFaults(testHash, Faults{DropScopes: []string{"store/cart/*"}}))
	_, err := en.e.CreateCart(testHash, CartInput{Items: []ItemInput{{SKU: "OTL", Quantity: 1}}})
	must(t, err)
	_, err = en.e.CreateCustomer(testHash, CustomerInput{Email: "kept@example.com"})
	must(t, err)
	got = rc.wait(t, 6)
	time.Sleep(30 * time.Millisecond)
	if len(rc.all()) != 6 || parseCallback(t, got[5].Body).Scope != "store/customer/created" {
		t.Errorf("drop: %d deliveries", len(rc.all()))
	}
	log, _ := en.e.Deliveries(testHash)
	dropped := 0
	for _, d := range log {
		if d.Outcome == "dropped" {
			dropped++
		}
	}
	if dropped != 1 {
		t.Errorf("%d dropped entries", dropped)
	}
	// Delay holds the first attempt back.
	must(t, en.e.SetFaults(testHash, Faults{DelayMs: 150}))
	start := time.Now()
	_, err = en.e.CreateCustomer(testHash, CustomerInput{Email: "late@example.com"})
	must(t, err)
	rc.wait(t, 7)
	if el := time.Since(start); el < 140*time.Millisecond {
		t.Errorf("delayed delivery after %v", el)
	}
	r = en.sim("GET", "/"+testHash+"/faults", nil)
	if r.obj(t)["delay_ms"] != float64(150) {
		t.Errorf("faults %s", r.Body)
	}
	wantStatus(t, en.sim("PUT", "/"+testHash+"/faults", map[string]any{"duplicate_probability": 2}), 422)
}

func TestSignMatchesStandardWebhooks(t *testing.T) {
	// Reference vector computed independently: HMAC-SHA256 over "id.ts.body".
	mac := hmac.New(sha256.New, []byte("secret"))
	mac.Write([]byte(`msg_1.1700000000.{"a":1}`))
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if got := Sign("secret", "msg_1", 1700000000, []byte(`{"a":1}`)); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
	if !strings.HasPrefix(want, "v1,") {
		t.Fatal()
	}
}
