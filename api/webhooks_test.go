package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"

	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/bcflow/bcflow/starter"
	"github.com/bcflow/bcflow/store"
)

// recordingDispatcher stands in for the starter at the HTTP level: it
// records what the receiver hands over and can simulate an outage. The
// real starter on a real Temporal server is exercised in e2e.
type recordingDispatcher struct {
	mu     sync.Mutex
	events []starter.Event
	unsubs []string
	down   bool
	// all makes every scope supported (default: cart scopes only).
	all bool
	// gate, when set, holds each Dispatch until it is closed, after
	// announcing itself on entered.
	gate    chan struct{}
	entered chan struct{}
}

func (d *recordingDispatcher) Supports(scope string) bool {
	return d.all || strings.HasPrefix(scope, "store/cart/")
}

func (d *recordingDispatcher) Dispatch(_ context.Context, ev starter.Event) (starter.Result, error) {
	if d.gate != nil {
		d.entered <- struct{}{}
		<-d.gate
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.down {
		return starter.Result{}, errors.New("temporal: connection refused")
	}
	d.events = append(d.events, ev)
	return starter.Result{Action: starter.ActionSignalled, WorkflowID: "cart/" + ev.StoreHash + "/" + ev.Data.ID}, nil
}

func (d *recordingDispatcher) Unsubscribe(_ context.Context, email, reason string) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.down {
		return 0, errors.New("temporal: connection refused")
	}
	d.unsubs = append(d.unsubs, email+":"+reason)
	return 1, nil
}

func (d *recordingDispatcher) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.events)
}

// cart1 is a cart id in BigCommerce's shape (a UUID), quoted for the payload.
const cart1 = `"09346904-4175-44fd-be53-f7e598531b6c"`

const (
	testSecret       = "hook-secret"
	testClientSecret = "client-secret-of-abc123"
)

type webhookFixture struct {
	h     http.Handler
	disp  *recordingDispatcher
	store *store.Store
	// metrics is the registry of the webhook counter.
	metrics *prometheus.Registry
}

func newWebhookFixture(t *testing.T) *webhookFixture {
	t.Helper()
	return newWebhookFixtureOn(t, "sqlite:"+filepath.Join(t.TempDir(), "bcflow.db"))
}

// newWebhookFixtureOn is newWebhookFixture on the database at url.
func newWebhookFixtureOn(t *testing.T, url string) *webhookFixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	disp := &recordingDispatcher{}
	reg := prometheus.NewRegistry()
	metrics, err := NewWebhookMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Logger: slog.New(slog.DiscardHandler), MaxBodyBytes: 4096})
	s.MountWebhooks(WebhookOptions{
		Secret:      []byte(testSecret),
		Stores:      map[string]StoreAuth{"abc123": {ClientSecret: []byte(testClientSecret), StoreID: "1001"}},
		BrevoSecret: []byte("brevo-secret"),
		Deliveries:  st,
		Dispatcher:  disp,
		Events:      st,
		Metrics:     metrics,
		Logger:      slog.New(slog.DiscardHandler),
	})
	return &webhookFixture{h: s.Handler(), disp: disp, store: st, metrics: reg}
}

func cartPayload(scope, id string, createdAt int64) string {
	return fmt.Sprintf(`{"scope":%q,"store_id":"1001","producer":"stores/abc123","hash":"4fd0a1","created_at":%d,"data":{"type":"cart","id":%s}}`,
		scope, createdAt, id)
}

func (f *webhookFixture) post(t *testing.T, body string, header http.Header) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/webhooks/bigcommerce", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(WebhookSecretHeader, testSecret)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

func errorCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func TestWebhookBadInputClasses(t *testing.T) {
	f := newWebhookFixture(t)
	now := time.Now().Unix()
	cases := []struct {
		name   string
		body   string
		header http.Header
		status int
		code   string
		inMsg  string
	}{
		{"no secret header", cartPayload("store/cart/updated", cart1, now), http.Header{WebhookSecretHeader: {""}}, 401, "unauthorized", ""},
		{"wrong secret header", cartPayload("store/cart/updated", cart1, now), http.Header{WebhookSecretHeader: {"guess"}}, 401, "unauthorized", ""},
		{"not JSON", `scope=store/cart/updated`, nil, 400, "bad_payload", "body"},
		{"missing scope", `{"store_id":"1","producer":"stores/abc123","data":{"id":1}}`, nil, 400, "bad_payload", "scope"},
		{"missing store_id", `{"scope":"store/cart/updated","producer":"stores/abc123","data":{"id":1}}`, nil, 400, "bad_payload", "store_id"},
		{"missing data", `{"scope":"store/cart/updated","store_id":"1","producer":"stores/abc123"}`, nil, 400, "bad_payload", "data"},
		{"bad data.id", `{"scope":"store/cart/updated","store_id":"1","producer":"stores/abc123","data":{"id":{"x":1}}}`, nil, 400, "bad_payload", "data.id"},
		{"unknown store", strings.Replace(cartPayload("store/cart/updated", cart1, now), "stores/abc123", "stores/zzz999", 1), nil, 404, "unknown_store", "zzz999"},
		{"too large", `{"scope":"` + strings.Repeat("x", 5000) + `"}`, nil, 413, "body_too_large", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := f.post(t, tc.body, tc.header)
			if status != tc.status || errorCode(body) != tc.code {
				t.Fatalf("got %d %v, want %d %s", status, body, tc.status, tc.code)
			}
			if msg, _ := body["error"].(map[string]any)["message"].(string); !strings.Contains(msg, tc.inMsg) {
				t.Fatalf("message %q does not name %q", msg, tc.inMsg)
			}
		})
	}
	if f.disp.count() != 0 {
		t.Fatalf("rejected webhooks were dispatched: %d", f.disp.count())
	}
	// Nothing was recorded for any rejected delivery: a correct one is fresh.
	if status, body := f.post(t, cartPayload("store/cart/updated", cart1, now), nil); status != 200 || body["status"] != "signalled" {
		t.Fatalf("valid webhook after rejects: %d %v", status, body)
	}
}

func TestWebhookIgnoredScopeAnswers200(t *testing.T) {
	f := newWebhookFixture(t)
	status, body := f.post(t, `{"scope":"store/product/updated","store_id":"1001","producer":"stores/abc123","hash":"x","created_at":1,"data":{"type":"product","id":7}}`, nil)
	if status != 200 || body["status"] != "ignored" || f.disp.count() != 0 {
		t.Fatalf("ignored scope: %d %v", status, body)
	}
}

func TestWebhookCartIDsAreUUIDs(t *testing.T) {
	f := newWebhookFixture(t)
	now := time.Now().Unix()
	f.post(t, cartPayload("store/cart/updated", `"9B0C6A9E-2B55-4C36-B8A4-1B5B2A4D8C11"`, now), nil)
	if status, out := f.post(t, cartPayload("store/cart/updated", `42`, now+1), nil); status != 400 || errorCode(out) != "bad_payload" {
		t.Fatalf("numeric cart id: %d %v", status, out)
	}
	if f.disp.count() != 1 || f.disp.events[0].Data.ID != "9b0c6a9e-2b55-4c36-b8a4-1b5b2a4d8c11" {
		t.Fatalf("events = %+v", f.disp.events)
	}
}

// TestWebhookMalformedIDsAre400 posts every malformed id the issue lists
// (and their good counterparts): each bad one answers 400 with a JSON error
// naming the field, and leaves no workflow and no dedupe row behind.
func TestWebhookMalformedIDsAre400(t *testing.T) {
	f := newWebhookFixture(t)
	f.disp.all = true
	now := time.Now().Unix()
	payload := func(scope, data string) string {
		return fmt.Sprintf(`{"scope":%q,"store_id":"1001","producer":"stores/abc123","hash":"4fd0a1","created_at":%d,"data":%s}`, scope, now, data)
	}
	bad := []struct{ name, body, field string }{
		{"cart id path traversal", payload("store/cart/updated", `{"type":"cart","id":"../../../etc/passwd"}`), "data.id"},
		{"cart id script", payload("store/cart/updated", `{"type":"cart","id":"<script>alert(1)</script>"}`), "data.id"},
		{"cart id 12345", payload("store/cart/updated", `{"type":"cart","id":"12345"}`), "data.id"},
		{"cart id sql", payload("store/cart/created", `{"type":"cart","id":"1' OR '1'='1"}`), "data.id"},
		{"cart id NUL", payload("store/cart/updated", `{"type":"cart","id":"09346904-4175-44fd-be53-f7e598531b6c\u0000"}`), "data.id"},
		{"cart id newline", payload("store/cart/updated", `{"type":"cart","id":"09346904-4175-44fd-be53-f7e598531b6c\n"}`), "data.id"},
		{"cart id invalid UTF-8", payload("store/cart/updated", "{\"type\":\"cart\",\"id\":\"\xc3\x28\"}"), "body"},
		{"line item cartId", payload("store/cart/lineItem/created", `{"type":"cart_line_item","id":"b0386708-fef3-45de-9d8b-fbe3031450a4","cartId":"../x"}`), "data.cartId"},
		{"order id abc", payload("store/order/created", `{"type":"order","id":"abc"}`), "data.id"},
		{"order id -5", payload("store/order/created", `{"type":"order","id":-5}`), "data.id"},
		{"order id 0", payload("store/order/statusUpdated", `{"type":"order","id":0,"status":{"previous_status_id":1,"new_status_id":11}}`), "data.id"},
		{"customer id", payload("store/customer/updated", `{"type":"customer","id":"7; DROP"}`), "data.id"},
		{"product id", payload("store/product/updated", `{"type":"product","id":-1}`), "data.id"},
		{"shipment order", payload("store/shipment/created", `{"type":"shipment","id":3,"orderId":"abc"}`), "data.orderId"},
		{"store hash", strings.Replace(payload("store/order/created", `{"type":"order","id":1}`), "stores/abc123", "stores/ABC-123", 1), "producer"},
		{"store_id not a number", strings.Replace(payload("store/order/created", `{"type":"order","id":1}`), `"1001"`, `"x1"`, 1), "store_id"},
		{"store_id of another store", strings.Replace(payload("store/order/created", `{"type":"order","id":1}`), `"1001"`, `"2002"`, 1), "store_id"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			status, out := f.post(t, tc.body, nil)
			msg, _ := out["error"].(map[string]any)["message"].(string)
			if status != 400 || errorCode(out) != "bad_payload" || !strings.HasPrefix(msg, tc.field) {
				t.Fatalf("got %d %v, want 400 bad_payload naming %s", status, out, tc.field)
			}
		})
	}
	if f.disp.count() != 0 {
		t.Fatalf("malformed webhooks were dispatched: %+v", f.disp.events)
	}
	var rows int
	if err := f.store.DB().Get(&rows, `SELECT COUNT(*) FROM webhook_deliveries`); err != nil || rows != 0 {
		t.Fatalf("dedupe rows after malformed webhooks: %d (%v), want 0", rows, err)
	}
	good := []string{
		payload("store/cart/updated", `{"type":"cart","id":"09346904-4175-44fd-be53-f7e598531b6c"}`),
		payload("store/cart/couponApplied", `{"type":"cart","id":"09346904-4175-44fd-be53-f7e598531b6c","couponId":1}`),
		payload("store/cart/lineItem/created", `{"type":"cart_line_item","id":"b0386708-fef3-45de-9d8b-fbe3031450a4","cartId":"09346904-4175-44fd-be53-f7e598531b6c"}`),
		payload("store/order/created", `{"type":"order","id":250}`),
		payload("store/order/statusUpdated", `{"type":"order","id":"250","status":{"previous_status_id":0,"new_status_id":11}}`),
		payload("store/shipment/created", `{"type":"shipment","id":12,"orderId":251}`),
		payload("store/customer/updated", `{"type":"customer","id":32}`),
	}
	for _, body := range good {
		if status, out := f.post(t, body, nil); status != 200 || out["status"] != "signalled" {
			t.Errorf("good webhook %s: %d %v", body, status, out)
		}
	}
	if f.disp.count() != len(good) {
		t.Fatalf("dispatched %d good webhooks, want %d", f.disp.count(), len(good))
	}
}

func TestWebhookDedupeUsesCreatedAtNotHashAlone(t *testing.T) {
	f := newWebhookFixture(t)
	now := time.Now().Unix()
	first := cartPayload("store/cart/updated", cart1, now)
	if status, body := f.post(t, first, nil); status != 200 || body["status"] != "signalled" {
		t.Fatalf("first: %d %v", status, body)
	}
	// The exact redelivery is a duplicate and dispatches nothing.
	if status, body := f.post(t, first, nil); status != 200 || body["status"] != "duplicate" {
		t.Fatalf("redelivery: %d %v", status, body)
	}
	// A second update of the same cart has the same hash but a new created_at:
	// a real event that must reset the abandonment clock.
	if status, body := f.post(t, cartPayload("store/cart/updated", cart1, now+5), nil); status != 200 || body["status"] != "signalled" {
		t.Fatalf("second update: %d %v", status, body)
	}
	if f.disp.count() != 2 {
		t.Fatalf("dispatched %d events, want 2", f.disp.count())
	}
}

func TestWebhookTemporalDownIs503ThenRetrySucceeds(t *testing.T) {
	f := newWebhookFixture(t)
	body := cartPayload("store/cart/updated", cart1, time.Now().Unix())
	f.disp.down = true
	if status, out := f.post(t, body, nil); status != 503 || errorCode(out) != "temporal_unavailable" {
		t.Fatalf("temporal down: %d %v", status, out)
	}
	f.disp.down = false
	// BigCommerce's retry of the same delivery must not be taken for a duplicate.
	if status, out := f.post(t, body, nil); status != 200 || out["status"] != "signalled" {
		t.Fatalf("retry: %d %v", status, out)
	}
	if f.disp.count() != 1 {
		t.Fatalf("dispatched %d, want 1", f.disp.count())
	}
}

func TestWebhookStandardSignature(t *testing.T) {
	f := newWebhookFixture(t)
	body := cartPayload("store/cart/updated", cart1, time.Now().Unix())
	sign := func(secret string, ts time.Time) http.Header {
		wh, err := standardwebhooks.NewWebhookRaw([]byte(secret))
		if err != nil {
			t.Fatal(err)
		}
		sig, err := wh.Sign("msg_1", ts, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return http.Header{"Webhook-Id": {"msg_1"}, "Webhook-Timestamp": {fmt.Sprint(ts.Unix())}, "Webhook-Signature": {sig}}
	}
	if status, out := f.post(t, body, sign("someone-else", time.Now())); status != 401 || errorCode(out) != "bad_signature" {
		t.Fatalf("wrong key: %d %v", status, out)
	}
	if status, out := f.post(t, body, sign(testClientSecret, time.Now().Add(-10*time.Minute))); status != 401 {
		t.Fatalf("stale timestamp: %d %v", status, out)
	}
	if f.disp.count() != 0 {
		t.Fatal("a badly signed webhook was dispatched")
	}
	if status, out := f.post(t, body, sign(testClientSecret, time.Now())); status != 200 {
		t.Fatalf("good signature: %d %v", status, out)
	}
}

func TestBrevoWebhookSuppressesAndSignals(t *testing.T) {
	f := newWebhookFixture(t)
	post := func(auth, body string) (int, map[string]any) {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/brevo", strings.NewReader(body))
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, req)
		var out map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		return rec.Code, out
	}
	ev := `{"event":"unsubscribed","email":"Ann@Example.com","id":1,"date":"2026-11-22 10:00:00"}`
	if status, _ := post("Bearer nope", ev); status != 401 {
		t.Fatalf("wrong token: %d", status)
	}
	if status, out := post("Bearer brevo-secret", `{"event":"delivered","email":"a@b.c"}`); status != 200 || out["status"] != "ignored" {
		t.Fatalf("delivered event: %d %v", status, out)
	}
	for _, bad := range []string{"not-an-email", "Ann <ann@example.com>", "ann@example.com\nBcc: x@y.z", "\"'\"@x.y"} {
		body, _ := json.Marshal(map[string]string{"event": "unsubscribed", "email": bad})
		if status, out := post("Bearer brevo-secret", string(body)); status != 400 || errorCode(out) != "bad_payload" {
			t.Fatalf("email %q: %d %v, want 400 bad_payload", bad, status, out)
		}
		if ok, _, err := f.store.IsSuppressed(context.Background(), "abc123", bad); err != nil || ok {
			t.Fatalf("malformed address %q stored as a suppression (%v)", bad, err)
		}
	}
	if len(f.disp.unsubs) != 0 {
		t.Fatalf("malformed addresses signalled: %v", f.disp.unsubs)
	}
	f.disp.down = true
	if status, _ := post("Bearer brevo-secret", ev); status != 503 {
		t.Fatalf("temporal down: %d", status)
	}
	f.disp.down = false
	if status, out := post("Bearer brevo-secret", ev); status != 200 || out["status"] != "suppressed" {
		t.Fatalf("unsubscribe: %d %v", status, out)
	}
	ok, reason, err := f.store.IsSuppressed(context.Background(), "abc123", "ann@example.com")
	if err != nil || !ok || reason != "unsubscribed" {
		t.Fatalf("suppression = %v %q %v", ok, reason, err)
	}
	if len(f.disp.unsubs) != 1 || f.disp.unsubs[0] != "ann@example.com:unsubscribed" {
		t.Fatalf("unsubscribe signals = %v", f.disp.unsubs)
	}
}

func TestWebhookIDTellsSameSecondEventsApart(t *testing.T) {
	f := newWebhookFixture(t)
	body := cartPayload("store/cart/updated", cart1, time.Now().Unix())
	sign := func(id string) http.Header {
		wh, _ := standardwebhooks.NewWebhookRaw([]byte(testClientSecret))
		now := time.Now()
		sig, _ := wh.Sign(id, now, []byte(body))
		return http.Header{"Webhook-Id": {id}, "Webhook-Timestamp": {fmt.Sprint(now.Unix())}, "Webhook-Signature": {sig}}
	}
	// Two genuine updates of one cart in the same second: same body, new ids.
	f.post(t, body, sign("evt_1"))
	f.post(t, body, sign("evt_2"))
	// A retry of the first.
	if _, out := f.post(t, body, sign("evt_1")); out["status"] != "duplicate" {
		t.Fatalf("retry = %v", out)
	}
	if f.disp.count() != 2 {
		t.Fatalf("dispatched %d, want 2", f.disp.count())
	}
}

// testPostgresURL is the PostgreSQL the package tests use (as in store's
// tests): BCFLOW_TEST_POSTGRES_URL or the local trust-auth server.
func testPostgresURL() string {
	if u := os.Getenv("BCFLOW_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// postgresSchemaURL makes a throwaway schema, dropped at cleanup, and
// returns a URL whose search_path is it.
func postgresSchemaURL(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	admin, err := store.Open(ctx, testPostgresURL())
	if err == nil {
		err = admin.Ping(ctx)
	}
	if err != nil {
		if os.Getenv("BCFLOW_TEST_SKIP_POSTGRES") == "1" {
			t.Skipf("PostgreSQL not reachable: %v", err)
		}
		t.Fatalf("PostgreSQL not reachable (set BCFLOW_TEST_POSTGRES_URL, or BCFLOW_TEST_SKIP_POSTGRES=1 to skip): %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "bcflow_api_test_" + hex.EncodeToString(b[:])
	if _, err := admin.DB().ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = admin.DB().ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE")
		_ = admin.Close()
	})
	u, err := url.Parse(testPostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestConcurrentCopiesOfOneDeliveryDispatchOnce: N copies of one signed
// delivery arrive together; while the first is being dispatched the others
// answer duplicate, so exactly one dispatch happens. On both store
// backends.
func TestConcurrentCopiesOfOneDeliveryDispatchOnce(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			dbURL := "sqlite:" + filepath.Join(t.TempDir(), "bcflow.db")
			if backend == "postgres" {
				dbURL = postgresSchemaURL(t)
			}
			f := newWebhookFixtureOn(t, dbURL)
			const n = 5
			f.disp.gate, f.disp.entered = make(chan struct{}), make(chan struct{}, n)
			body := cartPayload("store/cart/updated", cart1, time.Now().Unix())
			wh, err := standardwebhooks.NewWebhookRaw([]byte(testClientSecret))
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			sig, err := wh.Sign("msg_concurrent", now, []byte(body))
			if err != nil {
				t.Fatal(err)
			}
			header := http.Header{"Webhook-Id": {"msg_concurrent"}, "Webhook-Timestamp": {fmt.Sprint(now.Unix())}, "Webhook-Signature": {sig}}
			type answer struct {
				status int
				body   map[string]any
			}
			answers := make(chan answer, n)
			for range n {
				go func() {
					status, out := f.post(t, body, header)
					answers <- answer{status, out}
				}()
			}
			// Release the dispatches once every copy has either answered or
			// entered Dispatch: before the claim was atomic, every copy
			// entered.
			var got []answer
			for entered := 0; entered+len(got) < n; {
				select {
				case <-f.disp.entered:
					entered++
				case a := <-answers:
					got = append(got, a)
				}
			}
			close(f.disp.gate)
			for len(got) < n {
				got = append(got, <-answers)
			}
			statuses := map[string]int{}
			for _, a := range got {
				if a.status != 200 {
					t.Fatalf("copy answered %d %v", a.status, a.body)
				}
				s, _ := a.body["status"].(string)
				statuses[s]++
			}
			if f.disp.count() != 1 || statuses["signalled"] != 1 || statuses["duplicate"] != n-1 {
				t.Fatalf("dispatched %d, answers %v; want 1 dispatch, 1 signalled, %d duplicate", f.disp.count(), statuses, n-1)
			}
		})
	}
}
