package api

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestWebhookMetricsCountScopeAndOutcome: every webhook is counted once
// under its scope (unknown before the sender is authenticated, other for a
// scope bcflow does not handle, brevo/<event>) and what bcflow answered.
func TestWebhookMetricsCountScopeAndOutcome(t *testing.T) {
	f := newWebhookFixture(t)
	now := time.Now().Unix()
	hdr := http.Header{WebhookSecretHeader: {testSecret}}
	f.post(t, cartPayload("store/cart/updated", cart1, now), hdr)
	f.post(t, cartPayload("store/cart/updated", cart1, now), hdr) // a retry
	f.post(t, cartPayload("store/product/updated", "7", now), hdr)
	f.post(t, cartPayload("store/cart/updated", cart1, now), http.Header{WebhookSecretHeader: {"wrong"}})
	f.post(t, `{"scope":`, hdr)
	brevo := func(body string) {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/brevo", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer brevo-secret")
		f.h.ServeHTTP(httptest.NewRecorder(), req)
	}
	brevo(`{"event":"unsubscribed","email":"ann@example.com"}`)
	brevo(`{"event":"delivered","email":"ann@example.com"}`)
	brevo(`{"event":"proxy_open","email":"ann@example.com"}`)
	brevo(`{"event":"unsubscribed","email":"not an email"}`)
	want := map[string]float64{
		`bcflow_webhooks_total{outcome="signalled",scope="store/cart/updated"}`:   1,
		`bcflow_webhooks_total{outcome="duplicate",scope="store/cart/updated"}`:   1,
		`bcflow_webhooks_total{outcome="ignored",scope="other"}`:                  1,
		`bcflow_webhooks_total{outcome="unauthorized",scope="unknown"}`:           1,
		`bcflow_webhooks_total{outcome="bad_payload",scope="unknown"}`:            1,
		`bcflow_webhooks_total{outcome="suppressed",scope="brevo/unsubscribed"}`:  1,
		`bcflow_webhooks_total{outcome="ignored",scope="brevo/delivered"}`:        1,
		`bcflow_webhooks_total{outcome="ignored",scope="brevo/other"}`:            1,
		`bcflow_webhooks_total{outcome="bad_payload",scope="brevo/unsubscribed"}`: 1,
	}
	got := withPrefix(scrape(t, f.metrics), "bcflow_webhooks_total")
	if !maps.Equal(got, want) {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
}
