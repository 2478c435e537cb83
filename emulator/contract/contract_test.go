package contract

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeTB records failures instead of failing the enclosing test.
type fakeTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
	fatal  bool
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.Errorf(format, args...)
	f.fatal = true
}
func (f *fakeTB) failed() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.errors, "\n")
}

func jsonResp(status int, body string) *http.Response {
	h := http.Header{}
	if body != "" {
		h.Set("Content-Type", "application/json")
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body))}
}

func jsonReq(method, url, body string) *http.Request {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, url, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	return req
}

func TestSpecsDir(t *testing.T) {
	d, err := SpecsDir()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(d, "brevo", "swagger.yaml")); err != nil {
		t.Fatalf("SpecsDir %s has no brevo/swagger.yaml: %v", d, err)
	}

	t.Setenv(EnvSpecsDir, d)
	if got, err := SpecsDir(); err != nil || got != d {
		t.Fatalf("override: got %q, %v", got, err)
	}

	t.Setenv(EnvSpecsDir, filepath.Join(t.TempDir(), "nope"))
	if _, err := SpecsDir(); err == nil || !strings.Contains(err.Error(), EnvSpecsDir) {
		t.Fatalf("missing override dir: err = %v", err)
	}
	f := &fakeTB{}
	if s := Load(f, "brevo/swagger.yaml"); s != nil || !f.fatal || !strings.Contains(f.failed(), "not a directory") {
		t.Fatalf("Load with missing dir: spec=%v fatal=%v msg=%q", s, f.fatal, f.failed())
	}
}

func TestLoadAllSpecs(t *testing.T) {
	files := []string{
		"brevo/swagger.yaml",
		"bigcommerce/abandoned_carts.v3.yml", "bigcommerce/carts.v3.yml", "bigcommerce/customers.v2.yml",
		"bigcommerce/customers.v3.yml", "bigcommerce/marketing.v2.yml", "bigcommerce/orders.v2.oas2.yml",
		"bigcommerce/products_catalog.v3.yml", "bigcommerce/promotions.v3.yml", "bigcommerce/segments.v3.yml",
		"bigcommerce/webhooks.v3.yml",
	}
	for _, f := range files {
		s := Load(t, f)
		if s == nil || len(s.routes) == 0 {
			t.Errorf("%s: no routes", f)
		}
	}
	// Cached: the same document is shared.
	if Load(t, "bigcommerce/carts.v3.yml").Doc != Load(t, "bigcommerce/carts.v3.yml").Doc {
		t.Error("documents are not cached")
	}
	f := &fakeTB{}
	Load(f, "brevo/nope.yaml")
	if !f.fatal {
		t.Error("loading a missing file did not fail")
	}
}

func TestRouting(t *testing.T) {
	carts := Load(t, "bigcommerce/carts.v3.yml")
	cases := []struct {
		method, path, want string
		params             map[string]string
	}{
		{"GET", "/stores/abc123/v3/carts/c-1", "/carts/{cartId}", map[string]string{"store_hash": "abc123", "cartId": "c-1"}},
		{"GET", "/stores/abc123/v3/carts/settings", "/carts/settings", nil},
		{"DELETE", "/stores/abc123/v3/carts/c-1/items/i-2", "/carts/{cartId}/items/{itemId}", map[string]string{"itemId": "i-2"}},
	}
	for _, c := range cases {
		r, params, err := carts.FindRoute(httptest.NewRequest(c.method, "http://127.0.0.1:1234"+c.path, nil))
		if err != nil {
			t.Errorf("%s %s: %v", c.method, c.path, err)
			continue
		}
		if r.Path != c.want {
			t.Errorf("%s %s: routed to %s, want %s", c.method, c.path, r.Path, c.want)
		}
		for k, v := range c.params {
			if params[k] != v {
				t.Errorf("%s %s: param %s = %q, want %q", c.method, c.path, k, params[k], v)
			}
		}
	}
	if _, _, err := carts.FindRoute(httptest.NewRequest("GET", "/stores/abc/v3/nothing", nil)); err == nil {
		t.Error("unknown path routed")
	}
	if _, _, err := carts.FindRoute(httptest.NewRequest("PATCH", "/stores/abc/v3/carts", nil)); err == nil || !strings.Contains(err.Error(), "method not allowed") {
		t.Errorf("PATCH /carts: err = %v", err)
	}
	brevo := Load(t, "brevo/swagger.yaml")
	for _, p := range []string{"/v3/smtp/email", "/v3/transactionalSMS/send", "/v3/events/batch", "/v3/contacts"} {
		if _, _, err := brevo.FindRoute(httptest.NewRequest("POST", p, nil)); err != nil {
			t.Errorf("POST %s: %v", p, err)
		}
	}
	if r, _, err := brevo.FindRoute(httptest.NewRequest("GET", "/v3/contacts/a%40b.c", nil)); err != nil || r.Path != "/contacts/{identifier}" {
		t.Errorf("GET contact: %v %v", r, err)
	}
}

func TestBrevoRequest(t *testing.T) {
	s := Load(t, "brevo/swagger.yaml")
	good := `{"sender":{"email":"shop@example.com"},"to":[{"email":"a@example.com"}],"subject":"Hi","htmlContent":"<p>x</p>"}`
	req := jsonReq("POST", "/v3/smtp/email", good)
	s.ValidateRequest(t, req)
	if b, _ := io.ReadAll(req.Body); string(b) != good {
		t.Errorf("request body not restored: %q", b)
	}

	f := &fakeTB{}
	s.ValidateRequest(f, jsonReq("POST", "/v3/smtp/email", `{"sender":{"email":"shop@example.com"},"to":"a@example.com"}`))
	if !strings.Contains(f.failed(), "to") {
		t.Errorf("bad request body passed: %q", f.failed())
	}

	f = &fakeTB{}
	s.ValidateRequest(f, jsonReq("POST", "/v3/transactionalSMS/send", `{"sender":"Shop","content":"hi"}`))
	if !strings.Contains(f.failed(), "recipient") {
		t.Errorf("SMS without recipient passed: %q", f.failed())
	}
	s.ValidateRequest(t, jsonReq("POST", "/v3/events/batch", `{"events":[{"event_name":"cart_abandoned","identifiers":{"email_id":"a@example.com"}}]}`))
}

func TestBrevoResponse(t *testing.T) {
	s := Load(t, "brevo/swagger.yaml")
	req := jsonReq("POST", "/v3/smtp/email", "")
	s.ValidateResponse(t, req, jsonResp(201, `{"messageId":"<202401011200.123@smtp-relay.mailin.fr>"}`))
	s.ValidateResponse(t, jsonReq("POST", "/v3/transactionalSMS/send", ""), jsonResp(201, `{"messageId":1511882900176220}`))
	s.ValidateResponse(t, jsonReq("POST", "/v3/events", ""), jsonResp(204, ""))
	// Brevo documents POST /contacts 204 with an example body but no schema.
	s.ValidateResponse(t, jsonReq("POST", "/v3/contacts", ""), jsonResp(204, ""))
	s.ValidateResponse(t, jsonReq("POST", "/v3/events/batch", ""), jsonResp(202, `{"message":"Batch accepted","count":1}`))

	bad := []struct {
		name   string
		req    *http.Request
		resp   *http.Response
		expect string
	}{
		{"wrong type", req, jsonResp(201, `{"messageId":42}`), "messageId"},
		{"sms id as string", jsonReq("POST", "/v3/transactionalSMS/send", ""), jsonResp(201, `{"messageId":"x"}`), "messageId"},
		{"bad error code", req, jsonResp(400, `{"code":"oops","message":"x"}`), "code"},
		{"undocumented status", req, jsonResp(418, `{}`), "not documented"},
		{"wrong content type", req, &http.Response{StatusCode: 201, Header: http.Header{"Content-Type": {"text/plain"}}, Body: io.NopCloser(strings.NewReader("x"))}, "text/plain"},
		{"unknown route", jsonReq("POST", "/v3/nowhere", ""), jsonResp(200, `{}`), "no matching operation"},
		{"204 with body", jsonReq("POST", "/v3/events", ""), jsonResp(204, `{}`), "204 with"},
	}
	for _, c := range bad {
		f := &fakeTB{}
		s.ValidateResponse(f, c.req, c.resp)
		if msg := f.failed(); !strings.Contains(msg, c.expect) {
			t.Errorf("%s: want failure mentioning %q, got %q", c.name, c.expect, msg)
		}
	}

	// Undocumented statuses can be allowed, with an error schema for their body.
	lenient := s.AllowUndocumented("errorModel", 401, 429)
	lenient.ValidateResponse(t, req, jsonResp(429, `{"code":"unauthorized","message":"slow down"}`))
	f := &fakeTB{}
	lenient.ValidateResponse(f, req, jsonResp(401, `{"message":"no code"}`))
	if !strings.Contains(f.failed(), "code") {
		t.Errorf("401 body without code passed: %q", f.failed())
	}
	f = &fakeTB{}
	s.ValidateResponse(f, req, jsonResp(429, `{"code":"unauthorized","message":"x"}`))
	if f.failed() == "" {
		t.Error("AllowUndocumented changed the shared spec")
	}
	s.AllowAnyStatus().ValidateResponse(t, req, jsonResp(418, `whatever`))
}

func TestBigCommerceResponseAndSchemas(t *testing.T) {
	s := Load(t, "bigcommerce/webhooks.v3.yml")
	req := jsonReq("POST", "/stores/abc123/v3/hooks", `{"scope":"store/cart/created","destination":"https://x.example/wh","is_active":true}`)
	s.ValidateRequest(t, req)
	s.ValidateResponse(t, req, jsonResp(200, `{"data":{"id":1,"client_id":"c","store_hash":"abc123","created_at":1,"updated_at":1,"scope":"store/cart/created","destination":"https://x.example/wh","is_active":true,"headers":null},"meta":{}}`))
	f := &fakeTB{}
	s.ValidateResponse(f, req, jsonResp(200, `{"data":{"id":"one","scope":"store/cart/created","destination":"https://x"}}`))
	if !strings.Contains(f.failed(), "id") {
		t.Errorf("webhook with string id passed: %q", f.failed())
	}
	f = &fakeTB{}
	s.ValidateRequest(f, jsonReq("POST", "/stores/abc123/v3/hooks", `{"scope":"store/cart/created"}`))
	if !strings.Contains(f.failed(), "destination") {
		t.Errorf("hook without destination passed: %q", f.failed())
	}

	payload := `{"created_at":1561482670,"store_id":"1025646","producer":"stores/abc123","scope":"store/cart/created","hash":"352e4afc","data":{"type":"cart","id":"09346904-4175-44fd-be53-f7e598531b6c"}}`
	s.ValidateSchema(t, "store_cart_created", []byte(payload))
	s.ValidateSchema(t, "#/components/schemas/store_cart_created", []byte(payload))
	f = &fakeTB{}
	s.ValidateSchema(f, "store_cart_created", []byte(strings.Replace(payload, `"store_id":"1025646"`, `"store_id":1025646`, 1)))
	if !strings.Contains(f.failed(), "store_id") {
		t.Errorf("numeric store_id passed: %q", f.failed())
	}
	f = &fakeTB{}
	s.ValidateSchema(f, "no_such_schema", []byte(payload))
	if !strings.Contains(f.failed(), "not found") {
		t.Errorf("unknown schema: %q", f.failed())
	}
}

func TestPatterns(t *testing.T) {
	s := Load(t, "bigcommerce/promotions.v3.yml")
	// Go-compatible patterns are still enforced.
	if err := s.CheckSchema("Money", []byte(`"12.95"`)); err != nil {
		t.Errorf("Money 12.95: %v", err)
	}
	if err := s.CheckSchema("Money", []byte(`"abc"`)); err == nil {
		t.Error("Money \"abc\" passed its pattern")
	}
	// A Perl look-ahead pattern Go cannot compile must not error.
	if err := s.CheckSchema("MaximumAllowedDiscountAmount", []byte(`"10"`)); err != nil {
		t.Errorf("look-ahead pattern: %v", err)
	}
}

func TestConcurrentValidation(t *testing.T) {
	s := Load(t, "brevo/swagger.yaml")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.ValidateResponse(t, jsonReq("POST", "/v3/smtp/email", ""), jsonResp(201, `{"messageId":"<a@smtp-relay.mailin.fr>"}`))
			s.ValidateRequest(t, jsonReq("POST", "/v3/contacts", `{"email":"a@example.com","updateEnabled":true}`))
		}()
	}
	wg.Wait()
}

// The orders spec's consignments oneOf is patched so that a link and a
// consignment object each match one alternative, and line items likewise.
func TestBigCommerceOrderConsignments(t *testing.T) {
	s := Load(t, "bigcommerce/orders.v2.oas2.yml")
	req := jsonReq("GET", "/stores/abc123/v2/orders/7/consignments", "")
	line := `{"id":3,"order_id":7,"product_id":111,"variant_id":1,"name":"Mug","sku":"MUG","quantity":2,"price_inc_tax":"11.0000","price_ex_tax":"11.0000"}`
	link := `{"url":"https://api.bigcommerce.com/stores/abc123/v2/orders/7/products/3","resource":"/orders/7/products/3"}`
	for name, items := range map[string]string{"full line items": line, "line item links": link} {
		body := `{"pickups":[],"shipping":[{"id":7,"first_name":"A","line_items":[` + items + `],"items_total":2}],"downloads":[],"email":{"gift_certificates":[]}}`
		if err := s.CheckResponse(req, jsonResp(200, body)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	bad := `{"pickups":[],"shipping":[{"id":7,"line_items":[{"id":"three"}]}],"downloads":[],"email":{"gift_certificates":[]}}`
	if err := s.CheckResponse(req, jsonResp(200, bad)); err == nil {
		t.Error("a line item with a string id passed")
	}
	if err := s.CheckResponse(req, jsonResp(200, `{"shipping":[],"url":"x"}`)); err == nil {
		t.Error("a consignment object with a stray url passed")
	}
	list := jsonReq("GET", "/stores/abc123/v2/orders", "")
	order := `[{"id":7,"consignments":{"url":"https://api.bigcommerce.com/stores/abc123/v2/orders/7/consignments","resource":"/orders/7/consignments"}}]`
	if err := s.CheckResponse(list, jsonResp(200, order)); err != nil {
		t.Errorf("order with a consignments link: %v", err)
	}
	order = `[{"id":7,"consignments":{"pickups":[],"shipping":[],"downloads":[],"email":{"gift_certificates":[]}}}]`
	if err := s.CheckResponse(list, jsonResp(200, order)); err != nil {
		t.Errorf("order with consignments: %v", err)
	}
}
