package brevoemu

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bcflow/bcflow/emulator/contract"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type env struct {
	t     *testing.T
	e     *Emulator
	srv   *httptest.Server
	spec  *contract.Spec
	clock *fakeClock
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	clock := &fakeClock{now: time.Date(2026, 3, 10, 12, 0, 0, 250_000_000, time.UTC)}
	if opts.Clock == nil {
		opts.Clock = clock.Now
	}
	if opts.RateLimitFamilies == nil && opts.RateTimeScale == 0 {
		// The fake clock stands still: tests that are not about the
		// published family limits would soon exhaust them.
		opts.NoFamilyRateLimits = true
	}
	e := New(opts)
	if err := e.LoadError(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e.Handler())
	t.Cleanup(func() { srv.Close(); e.Close() })
	spec := contract.Load(t, "brevo/swagger.yaml").
		AllowUndocumented("errorModel", 401, 404).
		AllowUndocumented("", 429, 500, 502, 503)
	return &env{t: t, e: e, srv: srv, spec: spec, clock: clock}
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

// call sends a request with the default API key, checks the response against
// Brevo's spec, and (when the request is meant to be valid) the request too.
func (v *env) call(method, path, body string, validRequest bool, hdr ...string) reply {
	v.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, v.srv.URL+path, rd)
	if err != nil {
		v.t.Fatal(err)
	}
	req.Header.Set("api-key", DefaultAPIKey)
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	if validRequest {
		v.spec.ValidateRequest(v.t, req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	v.spec.ValidateResponse(v.t, req, resp)
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, b}
}

func (v *env) sim(method, path, body string) reply {
	v.t.Helper()
	req, _ := http.NewRequest(method, v.srv.URL+path, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, b}
}

func wantError(t *testing.T, r reply, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if got := r.json(t)["code"]; got != code {
		t.Fatalf("code %v, want %s; body %s", got, code, r.body)
	}
}

const email1 = `{"sender":{"name":"Shop","email":"shop@example.com"},"to":[{"email":"Ann@Example.com","name":"Ann"}],"subject":"Your cart","htmlContent":"<p>Come back</p>","tags":["abandoned-cart"]}`

var emailIDRe = regexp.MustCompile(`^<\d{12}\.\d{11}@smtp-relay\.mailin\.fr>$`)

func TestSendEmail(t *testing.T) {
	v := newEnv(t, Options{})
	r := v.call("POST", "/v3/smtp/email", email1, true)
	if r.status != 201 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	id, _ := r.json(t)["messageId"].(string)
	if !emailIDRe.MatchString(id) {
		t.Fatalf("messageId %q has not Brevo's shape", id)
	}
	msgs := v.e.Messages(Filter{To: "ann@example.com"})
	if len(msgs) != 1 || msgs[0].ID != id || msgs[0].Subject != "Your cart" || msgs[0].From != "shop@example.com" ||
		len(msgs[0].Tags) != 1 || msgs[0].Channel != ChannelEmail {
		t.Fatalf("recorded %+v", msgs)
	}
	if len(v.e.Messages(Filter{To: "bob@example.com"})) != 0 || len(v.e.Messages(Filter{Tag: "other"})) != 0 {
		t.Fatal("filter matched unrelated messages")
	}

	tmpl := `{"templateId":12,"params":{"CART_URL":"https://shop/cart/1"},"to":[{"email":"bob@example.com"}],"headers":{"X-Mailin-custom":"cart:1"}}`
	if r := v.call("POST", "/v3/smtp/email", tmpl, true); r.status != 201 {
		t.Fatalf("template send: %d %s", r.status, r.body)
	}
	m := v.e.Messages(Filter{To: "bob@example.com"})
	if len(m) != 1 || m[0].TemplateID != 12 || m[0].Params["CART_URL"] != "https://shop/cart/1" {
		t.Fatalf("template message %+v", m)
	}

	versions := `{"sender":{"email":"shop@example.com"},"subject":"Hi","textContent":"x","messageVersions":[{"to":[{"email":"a@example.com"}]},{"to":[{"email":"b@example.com"}],"subject":"Hello B"}]}`
	r = v.call("POST", "/v3/smtp/email", versions, true)
	if ids, _ := r.json(t)["messageIds"].([]any); r.status != 201 || len(ids) != 2 {
		t.Fatalf("versions: %d %s", r.status, r.body)
	}
	if m := v.e.Messages(Filter{To: "b@example.com"}); len(m) != 1 || m[0].Subject != "Hello B" {
		t.Fatalf("version b: %+v", m)
	}

	sched := `{"sender":{"email":"shop@example.com"},"to":[{"email":"c@example.com"}],"subject":"Later","htmlContent":"x","scheduledAt":"2026-03-11T09:00:00Z"}`
	if r := v.call("POST", "/v3/smtp/email", sched, true); r.status != 202 || r.json(t)["batchId"] == nil {
		t.Fatalf("scheduled: %d %s", r.status, r.body)
	}

	// Inspection API.
	sr := v.sim("GET", "/_sim/brevo/messages?to=ann@example.com", "")
	var listed []Message
	if err := json.Unmarshal(sr.body, &listed); err != nil || len(listed) != 1 || listed[0].ID != id {
		t.Fatalf("GET /_sim/brevo/messages: %s (%v)", sr.body, err)
	}
	sr = v.sim("GET", "/_sim/brevo/messages?to=nobody@example.com", "")
	if strings.TrimSpace(string(sr.body)) != "[]" {
		t.Fatalf("empty filter: %s", sr.body)
	}
}

func TestSendEmailValidation(t *testing.T) {
	v := newEnv(t, Options{})
	cases := []struct {
		name, body, code string
	}{
		{"not json", `{"sender":`, "bad_request"},
		{"no sender", `{"to":[{"email":"a@example.com"}],"subject":"s","htmlContent":"h"}`, "missing_parameter"},
		{"no to", `{"sender":{"email":"shop@example.com"},"subject":"s","htmlContent":"h"}`, "missing_parameter"},
		{"bad recipient", `{"sender":{"email":"shop@example.com"},"to":[{"email":"not-an-email"}],"subject":"s","htmlContent":"h"}`, "invalid_parameter"},
		{"to not a list", `{"sender":{"email":"shop@example.com"},"to":"a@example.com","subject":"s","htmlContent":"h"}`, "invalid_parameter"},
		{"no subject", `{"sender":{"email":"shop@example.com"},"to":[{"email":"a@example.com"}],"htmlContent":"h"}`, "missing_parameter"},
		{"no content", `{"sender":{"email":"shop@example.com"},"to":[{"email":"a@example.com"}],"subject":"s"}`, "missing_parameter"},
		{"bad sender", `{"sender":{"email":"shop"},"to":[{"email":"a@example.com"}],"subject":"s","htmlContent":"h"}`, "invalid_parameter"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, v.call("POST", "/v3/smtp/email", c.body, false), 400, c.code)
		})
	}
	if n := len(v.e.Messages(Filter{})); n != 0 {
		t.Fatalf("%d invalid messages recorded", n)
	}
}

func TestIdempotencyKey(t *testing.T) {
	v := newEnv(t, Options{})
	body := `{"sender":{"email":"shop@example.com"},"to":[{"email":"a@example.com"}],"subject":"s","htmlContent":"h","headers":{"idempotencyKey":"cart-42-step-1"}}`
	first := v.call("POST", "/v3/smtp/email", body, true).json(t)["messageId"]
	v.clock.Advance(29 * time.Minute)
	r := v.call("POST", "/v3/smtp/email", body, true)
	if r.status != 201 || r.json(t)["messageId"] != first {
		t.Fatalf("repeat within 30 min: %d %s, want messageId %v", r.status, r.body, first)
	}
	if n := len(v.e.Messages(Filter{})); n != 1 {
		t.Fatalf("%d messages recorded, want 1", n)
	}
	other := strings.Replace(body, "cart-42-step-1", "cart-42-step-2", 1)
	if id := v.call("POST", "/v3/smtp/email", other, true).json(t)["messageId"]; id == first {
		t.Fatal("different key reused the message")
	}
	v.clock.Advance(2 * time.Minute) // 31 min after the first send
	r = v.call("POST", "/v3/smtp/email", body, true)
	if r.json(t)["messageId"] == first {
		t.Fatal("key still deduplicated after 30 minutes")
	}
	if n := len(v.e.Messages(Filter{})); n != 3 {
		t.Fatalf("%d messages recorded, want 3", n)
	}
	if m := v.e.Messages(Filter{}); m[0].IdempotencyKey != "cart-42-step-1" {
		t.Fatalf("idempotency key not recorded: %+v", m[0])
	}
}

func TestSMS(t *testing.T) {
	v := newEnv(t, Options{})
	body := `{"sender":"MyShop","recipient":"33689965433","content":"Your cart is waiting","type":"transactional","tag":"cart"}`
	r := v.call("POST", "/v3/transactionalSMS/send", body, true)
	if r.status != 201 {
		t.Fatalf("send: %d %s", r.status, r.body)
	}
	if id, ok := r.json(t)["messageId"].(float64); !ok || id < 1e15 {
		t.Fatalf("messageId %s", r.body)
	}
	if len(r.json(t)) != 1 {
		t.Fatalf("/send answers only messageId, got %s", r.body)
	}
	r = v.call("POST", "/v3/transactionalSMS/sms", body, true)
	m := r.json(t)
	if r.status != 201 || m["reference"] == nil || m["smsCount"] != 1.0 || m["remainingCredits"] == nil {
		t.Fatalf("legacy: %d %s", r.status, r.body)
	}
	msgs := v.e.Messages(Filter{To: "+33689965433", Channel: ChannelSMS})
	if len(msgs) != 2 || msgs[0].Tags[0] != "cart" || msgs[1].Endpoint != EndpointSendSMSLegacy {
		t.Fatalf("messages %+v", msgs)
	}
	wantError(t, v.call("POST", "/v3/transactionalSMS/send", `{"sender":"MyShop","content":"x"}`, false), 400, "missing_parameter")
	wantError(t, v.call("POST", "/v3/transactionalSMS/send", `{"sender":"AVeryLongSenderName","recipient":"33689965433","content":"x"}`, false), 400, "invalid_parameter")
}

func TestSMSCredits(t *testing.T) {
	v := newEnv(t, Options{SMSCredits: 1})
	body := `{"sender":"MyShop","recipient":"33689965433","content":"hi"}`
	if r := v.call("POST", "/v3/transactionalSMS/sms", body, true); r.status != 201 {
		t.Fatalf("first: %d", r.status)
	}
	wantError(t, v.call("POST", "/v3/transactionalSMS/sms", body, true), 402, "not_enough_credits")
}

func TestWhatsApp(t *testing.T) {
	v := newEnv(t, Options{})
	r := v.call("POST", "/v3/whatsapp/sendMessage", `{"senderNumber":"33612345678","contactNumbers":["33687654321"],"templateId":3,"params":{"FNAME":"Ann"}}`, true)
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	id, _ := r.json(t)["messageId"].(string)
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(id) {
		t.Fatalf("messageId %q is not a UUIDv4", id)
	}
	if m := v.e.Messages(Filter{To: "33687654321", Channel: ChannelWhatsApp}); len(m) != 1 || m[0].TemplateID != 3 {
		t.Fatalf("%+v", m)
	}
	wantError(t, v.call("POST", "/v3/whatsapp/sendMessage", `{"senderNumber":"33612345678","contactNumbers":["33687654321"]}`, true), 400, "missing_parameter")
	wantError(t, v.call("POST", "/v3/whatsapp/sendMessage", `{"contactNumbers":["33687654321"],"text":"hi"}`, false), 400, "missing_parameter")
}

func TestEvents(t *testing.T) {
	v := newEnv(t, Options{})
	if r := v.call("POST", "/v3/contacts", `{"email":"ann@example.com","attributes":{"FIRSTNAME":"Ann"}}`, true); r.status != 201 {
		t.Fatal(r.status)
	}
	r := v.call("POST", "/v3/events", `{"event_name":"cart_abandoned","identifiers":{"email_id":"ann@example.com"},"contact_properties":{"CART_TOTAL":42.5},"event_properties":{"cart_id":"c1"}}`, true)
	if r.status != 204 || len(r.body) != 0 {
		t.Fatalf("event: %d %s", r.status, r.body)
	}
	r = v.call("POST", "/v3/events/batch", `{"events":[{"event_name":"order_placed","identifiers":{"email_id":"ann@example.com"}},{"event_name":"order_placed","identifiers":{"ext_id":"cust-7"}}]}`, true)
	if r.status != 202 || r.json(t)["count"] != 2.0 {
		t.Fatalf("batch: %d %s", r.status, r.body)
	}
	if evs := v.e.Events(Filter{To: "ann@example.com"}); len(evs) != 2 || evs[0].Name != "cart_abandoned" || evs[0].EventProperties["cart_id"] != "c1" {
		t.Fatalf("events %+v", evs)
	}
	if evs := v.e.Events(Filter{Name: "order_placed"}); len(evs) != 2 {
		t.Fatalf("by name: %+v", evs)
	}
	if c, _ := v.e.Contact("ann@example.com"); c.Attributes["CART_TOTAL"] == nil {
		t.Fatalf("contact_properties not applied: %+v", c)
	}
	wantError(t, v.call("POST", "/v3/events", `{"identifiers":{"email_id":"ann@example.com"}}`, false), 400, "missing_parameter")
	wantError(t, v.call("POST", "/v3/events", `{"event_name":"x","identifiers":{}}`, true), 400, "missing_parameter")
	wantError(t, v.call("POST", "/v3/events", `{"event_name":"bad name!","identifiers":{"email_id":"ann@example.com"}}`, true), 400, "invalid_parameter")
	wantError(t, v.call("POST", "/v3/events/batch", `{"events":[{"event_name":"ok","identifiers":{"email_id":"ann@example.com"}},{"event_name":"x"}]}`, false), 400, "missing_parameter")
	if n := len(v.e.Events(Filter{})); n != 3 {
		t.Fatalf("%d events after rejected requests, want 3", n)
	}
	sr := v.sim("GET", "/_sim/brevo/events?email=ann@example.com&name=order_placed", "")
	var evs []Event
	if err := json.Unmarshal(sr.body, &evs); err != nil || len(evs) != 1 {
		t.Fatalf("GET /_sim/brevo/events: %s", sr.body)
	}
}

func TestContacts(t *testing.T) {
	v := newEnv(t, Options{})
	r := v.call("POST", "/v3/contacts", `{"email":"ann@example.com","ext_id":"cust-7","attributes":{"FIRSTNAME":"Ann"},"listIds":[3]}`, true)
	if r.status != 201 || r.json(t)["id"] != 1.0 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	wantError(t, v.call("POST", "/v3/contacts", `{"email":"ANN@example.com"}`, true), 400, "duplicate_parameter")
	r = v.call("POST", "/v3/contacts", `{"email":"ann@example.com","updateEnabled":true,"attributes":{"LASTNAME":"Lee"},"listIds":[5]}`, true)
	if r.status != 204 || len(r.body) != 0 {
		t.Fatalf("upsert: %d %s", r.status, r.body)
	}
	wantError(t, v.call("POST", "/v3/contacts", `{"attributes":{"FIRSTNAME":"x"}}`, true), 400, "missing_parameter")
	wantError(t, v.call("POST", "/v3/contacts", `{"email":"nope"}`, false), 400, "invalid_parameter")

	r = v.call("GET", "/v3/contacts/ann%40example.com", "", true)
	m := r.json(t)
	attrs, _ := m["attributes"].(map[string]any)
	if r.status != 200 || m["id"] != 1.0 || m["email"] != "ann@example.com" || attrs["FIRSTNAME"] != "Ann" || attrs["LASTNAME"] != "Lee" {
		t.Fatalf("get: %d %s", r.status, r.body)
	}
	if lists, _ := m["listIds"].([]any); len(lists) != 2 {
		t.Fatalf("listIds %v", m["listIds"])
	}

	r = v.call("PUT", "/v3/contacts/ann@example.com", `{"attributes":{"TAGS":"vip;repeat","FIRSTNAME":"Annie"},"listIds":[9],"unlinkListIds":[3]}`, true)
	if r.status != 204 {
		t.Fatalf("put: %d %s", r.status, r.body)
	}
	for _, path := range []string{"/v3/contacts/1", "/v3/contacts/cust-7?identifierType=ext_id", "/v3/contacts/ann%40example.com?identifierType=email_id"} {
		r = v.call("GET", path, "", true)
		m = r.json(t)
		attrs, _ = m["attributes"].(map[string]any)
		lists, _ := m["listIds"].([]any)
		if r.status != 200 || attrs["FIRSTNAME"] != "Annie" || attrs["TAGS"] != "vip;repeat" || len(lists) != 2 || lists[0] != 5.0 || lists[1] != 9.0 {
			t.Fatalf("GET %s after put: %d %s", path, r.status, r.body)
		}
	}
	r = v.call("PUT", "/v3/contacts/1", `{"attributes":{"EMAIL":"ann.lee@example.com"}}`, true)
	if c, ok := v.e.Contact("ann.lee@example.com"); r.status != 204 || !ok || c.ID != 1 {
		t.Fatalf("email change: %d %+v", r.status, c)
	}
	wantError(t, v.call("GET", "/v3/contacts/nobody@example.com", "", true), 404, "document_not_found")
	wantError(t, v.call("PUT", "/v3/contacts/nobody@example.com", `{"attributes":{"X":"y"}}`, true), 404, "document_not_found")
	if r := v.call("DELETE", "/v3/contacts/1", "", true); r.status != 204 {
		t.Fatalf("delete: %d", r.status)
	}
	if len(v.e.Contacts()) != 0 {
		t.Fatal("contact not deleted")
	}
	if r := v.call("POST", "/v3/contacts", `{"email":"bob@example.com"}`, true); r.json(t)["id"] != 2.0 {
		t.Fatalf("ids must not be reused: %s", r.body)
	}
	sr := v.sim("GET", "/_sim/brevo/contacts", "")
	var cs []Contact
	if err := json.Unmarshal(sr.body, &cs); err != nil || len(cs) != 1 || cs[0].Email != "bob@example.com" {
		t.Fatalf("GET /_sim/brevo/contacts: %s", sr.body)
	}
}

func TestAuth(t *testing.T) {
	v := newEnv(t, Options{APIKeys: []string{"k1", "k2"}})
	for _, key := range []string{"", "wrong", DefaultAPIKey} {
		for _, ep := range []struct{ method, path, body string }{
			{"POST", "/v3/smtp/email", email1},
			{"POST", "/v3/events", `{"event_name":"x","identifiers":{"email_id":"a@example.com"}}`},
			{"GET", "/v3/contacts/a@example.com", ""},
		} {
			r := v.call(ep.method, ep.path, ep.body, false, "api-key", key)
			if r.status != 401 || strings.TrimSpace(string(r.body)) != `{"code":"unauthorized","message":"Key not found"}` {
				t.Fatalf("key %q %s: %d %s", key, ep.path, r.status, r.body)
			}
		}
	}
	if r := v.call("POST", "/v3/smtp/email", email1, true, "api-key", "k2"); r.status != 201 {
		t.Fatalf("valid key: %d", r.status)
	}
	if n := len(v.e.Messages(Filter{})); n != 1 {
		t.Fatalf("%d messages, want 1", n)
	}
}

func TestRateLimit(t *testing.T) {
	v := newEnv(t, Options{RateLimits: map[string]int{EndpointSendEmail: 2}, RateWindow: time.Minute})
	for i, want := range []string{"1", "0"} {
		r := v.call("POST", "/v3/smtp/email", email1, true)
		if r.status != 201 || r.header.Get("x-sib-ratelimit-limit") != "2" || r.header.Get("x-sib-ratelimit-remaining") != want ||
			r.header.Get("x-sib-ratelimit-reset") != "60" {
			t.Fatalf("request %d: %d %v", i, r.status, r.header)
		}
	}
	v.clock.Advance(30 * time.Second)
	r := v.call("POST", "/v3/smtp/email", email1, true)
	if r.status != 429 || r.header.Get("x-sib-ratelimit-remaining") != "0" || r.header.Get("x-sib-ratelimit-reset") != "30" {
		t.Fatalf("third: %d %v %s", r.status, r.header, r.body)
	}
	// Other endpoints are not limited and carry no headers.
	if r := v.call("POST", "/v3/events", `{"event_name":"x","identifiers":{"email_id":"a@example.com"}}`, true); r.status != 204 || r.header.Get("x-sib-ratelimit-limit") != "" {
		t.Fatalf("events: %d %v", r.status, r.header)
	}
	v.clock.Advance(30 * time.Second)
	if r := v.call("POST", "/v3/smtp/email", email1, true); r.status != 201 || r.header.Get("x-sib-ratelimit-remaining") != "1" {
		t.Fatalf("next window: %d %v", r.status, r.header)
	}
	if n := len(v.e.Messages(Filter{})); n != 3 {
		t.Fatalf("%d messages, want 3 (429 must not record)", n)
	}
}

func TestFaults(t *testing.T) {
	var mu sync.Mutex
	var slept []time.Duration
	v := newEnv(t, Options{Sleep: func(_ context.Context, d time.Duration) {
		mu.Lock()
		slept = append(slept, d)
		mu.Unlock()
	}})
	if r := v.sim("PUT", "/_sim/brevo/faults", `{"rateLimitNext":2}`); r.status != 200 {
		t.Fatalf("set faults: %d %s", r.status, r.body)
	}
	for i := 0; i < 2; i++ {
		r := v.call("POST", "/v3/smtp/email", email1, true)
		if r.status != 429 || r.header.Get("x-sib-ratelimit-reset") == "" {
			t.Fatalf("burst %d: %d %v", i, r.status, r.header)
		}
	}
	if r := v.call("POST", "/v3/smtp/email", email1, true); r.status != 201 {
		t.Fatalf("after burst: %d", r.status)
	}

	v.sim("PUT", "/_sim/brevo/faults", `{"serverErrorNext":1,"serverErrorStatus":503,"endpoint":"POST /v3/events"}`)
	if r := v.call("POST", "/v3/smtp/email", email1, true); r.status != 201 {
		t.Fatalf("other endpoint hit by scoped fault: %d", r.status)
	}
	ev := `{"event_name":"x","identifiers":{"email_id":"a@example.com"}}`
	if r := v.call("POST", "/v3/events", ev, true); r.status != 503 {
		t.Fatalf("5xx: %d", r.status)
	}
	if r := v.call("POST", "/v3/events", ev, true); r.status != 204 {
		t.Fatalf("after 5xx: %d", r.status)
	}

	v.sim("PUT", "/_sim/brevo/faults", `{"latencyMs":1500,"serverErrorNext":1}`)
	if r := v.call("POST", "/v3/events", ev, true); r.status != 500 {
		t.Fatalf("default 5xx status: %d", r.status)
	}
	var f faultsJSON
	_ = json.Unmarshal(v.sim("GET", "/_sim/brevo/faults", "").body, &f)
	if f.ServerErrorNext != 0 || f.LatencyMs != 1500 {
		t.Fatalf("faults now %+v", f)
	}
	v.call("POST", "/v3/events", ev, true)
	mu.Lock()
	if len(slept) != 2 || slept[0] != 1500*time.Millisecond {
		t.Fatalf("slept %v", slept)
	}
	mu.Unlock()
	if r := v.sim("DELETE", "/_sim/brevo/faults", ""); r.status != 204 {
		t.Fatal(r.status)
	}
	v.call("POST", "/v3/events", ev, true)
	if len(slept) != 2 {
		t.Fatal("latency not cleared")
	}
	if r := v.sim("PUT", "/_sim/brevo/faults", `{"serverErrorNext":1,"serverErrorStatus":404}`); r.status != 400 {
		t.Fatalf("non-5xx accepted: %d", r.status)
	}
	if r := v.sim("PUT", "/_sim/brevo/faults", `{"bogus":1}`); r.status != 400 {
		t.Fatalf("unknown field accepted: %d", r.status)
	}
}

type received struct {
	mu      sync.Mutex
	headers []http.Header
	bodies  []map[string]any
	status  int
}

func (rc *received) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var m map[string]any
	_ = json.NewDecoder(r.Body).Decode(&m)
	rc.headers = append(rc.headers, r.Header.Clone())
	rc.bodies = append(rc.bodies, m)
	if rc.status != 0 {
		w.WriteHeader(rc.status)
	}
}

func TestWebhook(t *testing.T) {
	rc := &received{}
	hook := httptest.NewServer(rc)
	defer hook.Close()
	v := newEnv(t, Options{})

	// Without a webhook the action still happens, but nothing is delivered.
	if r := v.sim("POST", "/_sim/brevo/webhook/fire", `{"event":"spam","email":"carl@example.com"}`); r.status != 200 || !strings.Contains(string(r.body), "no webhook configured") {
		t.Fatalf("fire without webhook: %d %s", r.status, r.body)
	}
	if v.e.Blocked()["carl@example.com"] != "spam" {
		t.Fatalf("blocked %v", v.e.Blocked())
	}
	if r := v.sim("POST", "/_sim/brevo/webhook/fire", `{"event":"exploded","email":"carl@example.com"}`); r.status != 400 {
		t.Fatalf("unknown event: %d %s", r.status, r.body)
	}
	cfg := `{"url":"` + hook.URL + `/brevo","events":["unsubscribed","hard_bounce","spam"],"headers":{"X-Bcflow-Secret":"s3cret"},"bearerToken":"tok"}`
	if r := v.sim("PUT", "/_sim/brevo/webhook", cfg); r.status != 200 {
		t.Fatalf("configure: %d %s", r.status, r.body)
	}
	if r := v.sim("PUT", "/_sim/brevo/webhook", `{"url":"ftp://x"}`); r.status != 400 {
		t.Fatalf("bad url accepted: %d", r.status)
	}
	v.call("POST", "/v3/contacts", `{"email":"ann@example.com"}`, true)
	id := v.call("POST", "/v3/smtp/email", email1+"", true).json(t)["messageId"]

	v.clock.Advance(time.Hour)
	r := v.sim("POST", "/_sim/brevo/webhook/fire", `{"event":"unsubscribed","email":"ann@example.com"}`)
	if r.status != 200 {
		t.Fatalf("fire: %d %s", r.status, r.body)
	}
	rc.mu.Lock()
	if len(rc.bodies) != 1 {
		t.Fatalf("%d deliveries", len(rc.bodies))
	}
	p, h := rc.bodies[0], rc.headers[0]
	rc.mu.Unlock()
	wh := v.e.Webhook()
	now := v.clock.Now()
	want := map[string]any{
		"event": "unsubscribed", "email": "ann@example.com", "id": float64(wh.ID), "message-id": id,
		"ts": float64(now.Unix()), "ts_event": float64(now.Unix()), "ts_epoch": float64(now.UnixMilli()),
		"date": "2026-03-10 14:00:00", "tag": "abandoned-cart", "subject": "Your cart", "contact_id": 1.0,
	}
	for k, w := range want {
		if p[k] != w {
			t.Errorf("payload[%q] = %v, want %v", k, p[k], w)
		}
	}
	if tags, _ := p["tags"].([]any); len(tags) != 1 || tags[0] != "abandoned-cart" {
		t.Errorf("tags %v", p["tags"])
	}
	if h.Get("Authorization") != "Bearer tok" || h.Get("X-Bcflow-Secret") != "s3cret" || h.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", h)
	}
	// Side effects: the contact is blacklisted, later sends are blocked.
	gr := v.call("GET", "/v3/contacts/ann@example.com", "", true)
	if gr.json(t)["emailBlacklisted"] != true {
		t.Fatalf("contact not blacklisted: %s", gr.body)
	}
	v.call("POST", "/v3/smtp/email", email1, true)
	if m := v.e.Messages(Filter{To: "ann@example.com"}); len(m) != 2 || m[0].Blocked || !m[1].Blocked {
		t.Fatalf("blocked flags: %+v", m)
	}
	if v.e.Blocked()["ann@example.com"] != "unsubscribed" {
		t.Fatalf("blocked list %v", v.e.Blocked())
	}

	d, err := v.e.FireWebhook(context.Background(), WebhookEvent{Event: WebhookHardBounce, Email: "bob@example.com", Reason: "mailbox full"})
	if err != nil || d.Status != 200 || d.Payload["reason"] != "mailbox full" || d.Payload["contact_id"] != 0 || d.Payload["message-id"] != nil {
		t.Fatalf("hard bounce: %+v %v", d, err)
	}
	if _, err := v.e.FireWebhook(context.Background(), WebhookEvent{Event: WebhookOpened, Email: "bob@example.com"}); err == nil {
		t.Fatal("event outside the subscription was delivered")
	}
	if _, err := v.e.FireWebhook(context.Background(), WebhookEvent{Event: "exploded", Email: "bob@example.com"}); err == nil {
		t.Fatal("unknown event accepted")
	}
	rc.mu.Lock()
	rc.status = 500
	rc.mu.Unlock()
	if d, err := v.e.FireWebhook(context.Background(), WebhookEvent{Event: WebhookSpam, Email: "bob@example.com"}); err == nil || d.Status != 500 {
		t.Fatalf("receiver failure: %+v %v", d, err)
	}
	var ds []WebhookDelivery
	_ = json.Unmarshal(v.sim("GET", "/_sim/brevo/webhook/deliveries", "").body, &ds)
	if len(ds) != 5 || ds[0].Error != "no webhook configured" || ds[1].Status != 200 || ds[4].Status != 500 {
		t.Fatalf("deliveries %+v", ds)
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "brevo.json")
	v := newEnv(t, Options{SnapshotPath: path})
	body := `{"sender":{"email":"shop@example.com"},"to":[{"email":"a@example.com"}],"subject":"s","htmlContent":"h","headers":{"idempotencyKey":"k1"},"params":{"N":3}}`
	id := v.call("POST", "/v3/smtp/email", body, true).json(t)["messageId"]
	v.call("POST", "/v3/contacts", `{"email":"a@example.com","attributes":{"FIRSTNAME":"A"}}`, true)
	v.call("POST", "/v3/events", `{"event_name":"x","identifiers":{"email_id":"a@example.com"}}`, true)
	_ = v.e.SetWebhook(&WebhookConfig{URL: "http://127.0.0.1:1/hook"})
	if r := v.sim("POST", "/_sim/brevo/save", ""); r.status != 204 {
		t.Fatalf("save: %d %s", r.status, r.body)
	}

	v2 := newEnv(t, Options{SnapshotPath: path, Clock: v.clock.Now})
	if m := v2.e.Messages(Filter{}); len(m) != 1 || m[0].ID != id || m[0].Subject != "s" {
		t.Fatalf("messages after load: %+v", m)
	}
	if c := v2.e.Contacts(); len(c) != 1 || c[0].Attributes["FIRSTNAME"] != "A" {
		t.Fatalf("contacts after load: %+v", c)
	}
	if len(v2.e.Events(Filter{})) != 1 || v2.e.Webhook() == nil {
		t.Fatal("events or webhook lost")
	}
	if got := v2.call("POST", "/v3/smtp/email", body, true).json(t)["messageId"]; got != id {
		t.Fatalf("idempotency lost: %v != %v", got, id)
	}
	if r := v2.call("POST", "/v3/contacts", `{"email":"b@example.com"}`, true); r.json(t)["id"] != 2.0 {
		t.Fatalf("contact ids restart: %s", r.body)
	}

	// Close saves too.
	v2.e.Close()
	v3 := New(Options{SnapshotPath: path})
	if len(v3.Contacts()) != 2 {
		t.Fatalf("Close did not save: %d contacts", len(v3.Contacts()))
	}

	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Options{SnapshotPath: path}); err == nil {
		t.Fatal("corrupt snapshot loaded")
	}
	if New(Options{SnapshotPath: path}).LoadError() == nil {
		t.Fatal("LoadError not set")
	}
	if err := New(Options{}).Save(); err == nil {
		t.Fatal("Save without path succeeded")
	}
}

func TestInspectionAndReset(t *testing.T) {
	v := newEnv(t, Options{})
	v.call("POST", "/v3/smtp/email", email1, true)
	v.call("POST", "/v3/smtp/email", "{}", false, "api-key", "bad")
	var reqs []Request
	_ = json.Unmarshal(v.sim("GET", "/_sim/brevo/requests", "").body, &reqs)
	if len(reqs) != 2 || reqs[0].Status != 201 || reqs[1].Status != 401 || reqs[0].Endpoint != EndpointSendEmail {
		t.Fatalf("requests %+v", reqs)
	}
	var idx map[string]any
	_ = json.Unmarshal(v.sim("GET", "/_sim/brevo/", "").body, &idx)
	if idx["messages"] != 1.0 {
		t.Fatalf("index %v", idx)
	}
	if r := v.sim("GET", "/_sim/brevo/nope", ""); r.status != 404 {
		t.Fatalf("unknown control route: %d", r.status)
	}
	r := v.call("GET", "/v3/account", "", false)
	if r.status != 404 || r.json(t)["code"] != "document_not_found" {
		t.Fatalf("unemulated endpoint: %d %s", r.status, r.body)
	}
	if r := v.sim("POST", "/_sim/brevo/reset", ""); r.status != 204 {
		t.Fatal(r.status)
	}
	if len(v.e.Messages(Filter{})) != 0 || len(v.e.Requests()) != 0 {
		t.Fatal("reset kept state")
	}
}

func TestConcurrentSends(t *testing.T) {
	v := newEnv(t, Options{RateLimits: map[string]int{AllEndpoints: 1000}})
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", v.srv.URL+"/v3/smtp/email", strings.NewReader(email1))
			req.Header.Set("api-key", DefaultAPIKey)
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			v.e.Messages(Filter{To: "ann@example.com"})
		}()
	}
	wg.Wait()
	if n := len(v.e.Messages(Filter{})); n != 20 {
		t.Fatalf("%d messages, want 20", n)
	}
}
