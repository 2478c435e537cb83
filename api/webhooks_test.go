package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

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
}

func (d *recordingDispatcher) Supports(scope string) bool {
	return strings.HasPrefix(scope, "store/cart/")
}

func (d *recordingDispatcher) Dispatch(_ context.Context, ev starter.Event) (starter.Result, error) {
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

const (
	testSecret       = "hook-secret"
	testClientSecret = "client-secret-of-abc123"
)

type webhookFixture struct {
	h     http.Handler
	disp  *recordingDispatcher
	store *store.Store
}

func newWebhookFixture(t *testing.T) *webhookFixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "bcflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	disp := &recordingDispatcher{}
	s := New(Options{Logger: slog.New(slog.DiscardHandler), MaxBodyBytes: 4096})
	s.MountWebhooks(WebhookOptions{
		Secret:      []byte(testSecret),
		Stores:      map[string]StoreAuth{"abc123": {ClientSecret: []byte(testClientSecret)}},
		BrevoSecret: []byte("brevo-secret"),
		Deliveries:  st,
		Dispatcher:  disp,
		Logger:      slog.New(slog.DiscardHandler),
	})
	return &webhookFixture{h: s.Handler(), disp: disp, store: st}
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
		{"no secret header", cartPayload("store/cart/updated", `"c1"`, now), http.Header{WebhookSecretHeader: {""}}, 401, "unauthorized", ""},
		{"wrong secret header", cartPayload("store/cart/updated", `"c1"`, now), http.Header{WebhookSecretHeader: {"guess"}}, 401, "unauthorized", ""},
		{"not JSON", `scope=store/cart/updated`, nil, 400, "bad_payload", "body"},
		{"missing scope", `{"store_id":"1","producer":"stores/abc123","data":{"id":1}}`, nil, 400, "bad_payload", "scope"},
		{"missing store_id", `{"scope":"store/cart/updated","producer":"stores/abc123","data":{"id":1}}`, nil, 400, "bad_payload", "store_id"},
		{"missing data", `{"scope":"store/cart/updated","store_id":"1","producer":"stores/abc123"}`, nil, 400, "bad_payload", "data"},
		{"bad data.id", `{"scope":"store/cart/updated","store_id":"1","producer":"stores/abc123","data":{"id":{"x":1}}}`, nil, 400, "bad_payload", "data.id"},
		{"unknown store", strings.Replace(cartPayload("store/cart/updated", `"c1"`, now), "stores/abc123", "stores/zzz999", 1), nil, 404, "unknown_store", "zzz999"},
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
	if status, body := f.post(t, cartPayload("store/cart/updated", `"c1"`, now), nil); status != 200 || body["status"] != "signalled" {
		t.Fatalf("valid webhook after rejects: %d %v", status, body)
	}
}

func TestWebhookIgnoredScopeAnswers200(t *testing.T) {
	f := newWebhookFixture(t)
	status, body := f.post(t, `{"scope":"store/product/updated","store_id":"1","producer":"stores/abc123","hash":"x","created_at":1,"data":{"type":"product","id":7}}`, nil)
	if status != 200 || body["status"] != "ignored" || f.disp.count() != 0 {
		t.Fatalf("ignored scope: %d %v", status, body)
	}
}

func TestWebhookNumericAndUUIDIDs(t *testing.T) {
	f := newWebhookFixture(t)
	now := time.Now().Unix()
	f.post(t, cartPayload("store/cart/updated", `"9b0c6a9e-2b55-4c36-b8a4-1b5b2a4d8c11"`, now), nil)
	f.post(t, cartPayload("store/cart/updated", `42`, now+1), nil)
	if f.disp.count() != 2 || f.disp.events[0].Data.ID != "9b0c6a9e-2b55-4c36-b8a4-1b5b2a4d8c11" || f.disp.events[1].Data.ID != "42" {
		t.Fatalf("events = %+v", f.disp.events)
	}
}

func TestWebhookDedupeUsesCreatedAtNotHashAlone(t *testing.T) {
	f := newWebhookFixture(t)
	now := time.Now().Unix()
	first := cartPayload("store/cart/updated", `"c1"`, now)
	if status, body := f.post(t, first, nil); status != 200 || body["status"] != "signalled" {
		t.Fatalf("first: %d %v", status, body)
	}
	// The exact redelivery is a duplicate and dispatches nothing.
	if status, body := f.post(t, first, nil); status != 200 || body["status"] != "duplicate" {
		t.Fatalf("redelivery: %d %v", status, body)
	}
	// A second update of the same cart has the same hash but a new created_at:
	// a real event that must reset the abandonment clock.
	if status, body := f.post(t, cartPayload("store/cart/updated", `"c1"`, now+5), nil); status != 200 || body["status"] != "signalled" {
		t.Fatalf("second update: %d %v", status, body)
	}
	if f.disp.count() != 2 {
		t.Fatalf("dispatched %d events, want 2", f.disp.count())
	}
}

func TestWebhookTemporalDownIs503ThenRetrySucceeds(t *testing.T) {
	f := newWebhookFixture(t)
	body := cartPayload("store/cart/updated", `"c1"`, time.Now().Unix())
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
	body := cartPayload("store/cart/updated", `"c1"`, time.Now().Unix())
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
	if len(f.disp.unsubs) != 1 || f.disp.unsubs[0] != "Ann@Example.com:unsubscribed" {
		t.Fatalf("unsubscribe signals = %v", f.disp.unsubs)
	}
}

func TestWebhookIDTellsSameSecondEventsApart(t *testing.T) {
	f := newWebhookFixture(t)
	body := cartPayload("store/cart/updated", `"c1"`, time.Now().Unix())
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
