package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bcflow/bcflow/workflows"
)

// bonusStarts records what the handler hands to the starter; the real
// starter on a real Temporal server is exercised in e2e.
type bonusStarts struct {
	seen []workflows.LoyaltyBonusInput
	down bool
}

func (b *bonusStarts) AwardBonus(_ context.Context, in workflows.LoyaltyBonusInput) (bool, string, error) {
	if b.down {
		return false, "", errors.New("temporal: connection refused")
	}
	id := workflows.LoyaltyBonusID(in)
	for _, s := range b.seen {
		if workflows.LoyaltyBonusID(s) == id {
			return false, id, nil
		}
	}
	b.seen = append(b.seen, in)
	return true, id, nil
}

func TestBonusEndpoint(t *testing.T) {
	f := newWebhookFixture(t)
	starts := &bonusStarts{}
	s := New(Options{Logger: slog.New(slog.DiscardHandler)})
	MountLoyalty(s.Admin([]byte("admin")), LoyaltyOptions{Ledger: f.store, Bonuses: starts, Stores: []string{"abc123"}})
	post := func(path, body string) (int, map[string]any) {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer admin")
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		var out map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		return rec.Code, out
	}
	const path = "/api/v1/loyalty/abc123/42/bonus"
	for body, code := range map[string]string{
		`{"kind":"birthday_party","reference":"x"}`:         "bad_kind",
		`{"kind":"review_submitted"}`:                       "bad_reference",
		`{"kind":"referral","reference":"a/b"}`:             "bad_reference",
		`{"kind":"referral","reference":"r1","extra":true}`: "bad_body",
		`not json`: "bad_body",
	} {
		if status, out := post(path, body); status != 400 || errorCode(out) != code {
			t.Errorf("%s: %d %v, want 400 %s", body, status, out, code)
		}
	}
	if status, _ := post("/api/v1/loyalty/other/42/bonus", `{"kind":"newsletter_signup"}`); status != 404 {
		t.Errorf("unknown store: %d", status)
	}
	status, out := post(path, `{"kind":"review_submitted","reference":"rev-9","email":"x@example.com"}`)
	if status != 202 || out["status"] != "accepted" || out["workflow_id"] != "bonus/abc123/42/review_submitted/rev-9" {
		t.Fatalf("accepted: %d %v", status, out)
	}
	if status, out = post(path, `{"kind":"review_submitted","reference":"rev-9"}`); status != 202 || out["status"] != "duplicate" {
		t.Fatalf("repeat: %d %v", status, out)
	}
	starts.down = true
	if status, out = post(path, `{"kind":"newsletter_signup"}`); status != 503 || errorCode(out) != "temporal_unavailable" {
		t.Fatalf("temporal down: %d %v", status, out)
	}
	if len(starts.seen) != 1 || starts.seen[0].CustomerID != 42 || starts.seen[0].Email != "x@example.com" {
		t.Fatalf("starts = %+v", starts.seen)
	}
}
