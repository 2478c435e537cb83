package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/emulator/bcemu"
	"github.com/bcflow/bcflow/store"
)

// loyaltyFixture is the loyalty API on a real SQLite store, issuing coupons
// in the BigCommerce emulator through the real client.
type loyaltyFixture struct {
	t     *testing.T
	h     http.Handler
	store *store.Store
	bc    *bigcommerce.Client
	now   time.Time
}

const loyaltyToken = "admin-token"

func newLoyaltyFixture(t *testing.T, coupons CouponIssuer) *loyaltyFixture {
	t.Helper()
	f := &loyaltyFixture{t: t, store: newWebhookFixture(t).store, now: time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC)}
	emu, err := bcemu.New(bcemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	srv := httptest.NewServer(emu.Handler())
	t.Cleanup(srv.Close)
	seed := bcemu.DefaultStore()
	f.bc, err = bigcommerce.New(bigcommerce.Options{BaseURL: srv.URL, StoreHash: seed.Hash, AccessToken: seed.AccessToken})
	if err != nil {
		t.Fatal(err)
	}
	if coupons == nil {
		coupons = activities.NewLoyaltyCoupons(map[string]*bigcommerce.Client{seed.Hash: f.bc})
	}
	s := New(Options{Logger: slog.New(slog.DiscardHandler)})
	MountLoyalty(s.Admin([]byte(loyaltyToken)), LoyaltyOptions{Ledger: f.store, Coupons: coupons, Stores: []string{seed.Hash},
		Now: func() time.Time { return f.now }})
	f.h = s.Handler()
	return f
}

func (f *loyaltyFixture) do(method, path, body string, header map[string]string) (int, map[string]any) {
	f.t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewBufferString(body))
	req.Header.Set("Authorization", "Bearer "+loyaltyToken)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		f.t.Fatalf("%s %s: body %q is not JSON", method, path, rec.Body.String())
	}
	return rec.Code, out
}

func (f *loyaltyFixture) award(customer, order, points int64) {
	f.t.Helper()
	if _, err := f.store.AppendLedger(context.Background(), store.LedgerEntry{StoreHash: "bcflowdev", CustomerID: customer, OrderID: order,
		Kind: store.LedgerAward, Points: points, Reason: "order", CreatedAt: f.now.Add(-time.Hour)}); err != nil {
		f.t.Fatal(err)
	}
}

func errCode(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func TestLoyaltyRedeemIssuesCouponAndDebitsOnce(t *testing.T) {
	f := newLoyaltyFixture(t, nil)
	ctx := context.Background()
	f.award(7, 100, 1200)

	// Behind the admin token.
	req := httptest.NewRequest(http.MethodPost, "/api/v1/loyalty/bcflowdev/7/redeem", nil)
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", rec.Code)
	}

	code, out := f.do(http.MethodPost, "/api/v1/loyalty/bcflowdev/7/redeem", `{"points": 1000}`, map[string]string{IdempotencyKeyHeader: "r-1"})
	if code != http.StatusCreated || out["points"] != float64(1000) || out["value"] != "10.00" || out["balance"] != float64(200) || out["replayed"] != false {
		t.Fatalf("redeem: %d %v", code, out)
	}
	coupon, _ := out["coupon_code"].(string)
	if !strings.HasPrefix(coupon, "BCL-") {
		t.Fatalf("coupon code %q", coupon)
	}
	if exp, _ := out["expires_at"].(string); exp != f.now.Add(90*24*time.Hour).Format(time.RFC3339) {
		t.Fatalf("expires_at %q", exp)
	}
	// The coupon exists in the store: its own promotion, $10 off, one use, ending at expiry.
	promos, err := f.bc.ListPromotions(ctx, bigcommerce.PromotionFilter{Code: coupon})
	if err != nil {
		t.Fatal(err)
	}
	if len(promos.Items) != 1 {
		t.Fatalf("promotions with code %s: %+v", coupon, promos.Items)
	}
	p := promos.Items[0]
	if p.MaxUses != 1 || p.EndDate.IsZero() || len(p.Rules) != 1 || p.Rules[0].Action.CartValue == nil ||
		p.Rules[0].Action.CartValue.Discount.FixedAmount == nil || p.Rules[0].Action.CartValue.Discount.FixedAmount.String() != "10" {
		t.Fatalf("promotion %+v", p)
	}

	// A retry with the same key repeats the answer; no second coupon, no second debit.
	code, again := f.do(http.MethodPost, "/api/v1/loyalty/bcflowdev/7/redeem", `{"points": 1000}`, map[string]string{IdempotencyKeyHeader: "r-1"})
	if code != http.StatusOK || again["coupon_code"] != coupon || again["replayed"] != true || again["balance"] != float64(200) {
		t.Fatalf("replay: %d %v", code, again)
	}
	if all, _ := f.bc.ListPromotions(ctx, bigcommerce.PromotionFilter{Name: "bcflow loyalty " + coupon}); len(all.Items) != 1 {
		t.Fatalf("replay created another promotion: %+v", all.Items)
	}

	// Not enough points, a bad amount, a bad customer, an unknown store.
	if code, out = f.do(http.MethodPost, "/api/v1/loyalty/bcflowdev/7/redeem", `{}`, nil); code != http.StatusConflict || errCode(out) != "insufficient_points" {
		t.Fatalf("insufficient: %d %v", code, out)
	}
	if code, out = f.do(http.MethodPost, "/api/v1/loyalty/bcflowdev/7/redeem", `{"points": 300}`, nil); code != http.StatusBadRequest || errCode(out) != "bad_points" {
		t.Fatalf("bad points: %d %v", code, out)
	}
	if code, out = f.do(http.MethodPost, "/api/v1/loyalty/bcflowdev/7/redeem", `{"pts": 500}`, nil); code != http.StatusBadRequest || errCode(out) != "bad_body" {
		t.Fatalf("unknown field: %d %v", code, out)
	}
	if code, out = f.do(http.MethodPost, "/api/v1/loyalty/bcflowdev/ann/redeem", `{}`, nil); code != http.StatusBadRequest || errCode(out) != "bad_customer" {
		t.Fatalf("bad customer: %d %v", code, out)
	}
	if code, out = f.do(http.MethodGet, "/api/v1/loyalty/nostore/7", ``, nil); code != http.StatusNotFound || errCode(out) != "unknown_store" {
		t.Fatalf("unknown store: %d %v", code, out)
	}

	// Account, ledger and stats.
	code, out = f.do(http.MethodGet, "/api/v1/loyalty/bcflowdev/7", ``, nil)
	if code != http.StatusOK || out["balance"] != float64(200) || out["lifetime_earned"] != float64(1200) || out["tier"] != "Silver" ||
		out["next_tier"] != "Gold" || out["points_to_next_tier"] != float64(3800) {
		t.Fatalf("account: %d %v", code, out)
	}
	code, out = f.do(http.MethodGet, "/api/v1/loyalty/bcflowdev/7/ledger?limit=10", ``, nil)
	entries, _ := out["entries"].([]any)
	if code != http.StatusOK || len(entries) != 2 {
		t.Fatalf("ledger: %d %v", code, out)
	}
	if first := entries[0].(map[string]any); first["kind"] != "redemption" || first["points"] != float64(-1000) || first["coupon_code"] != coupon {
		t.Fatalf("newest entry %v", first)
	}
	if code, out = f.do(http.MethodGet, "/api/v1/loyalty/bcflowdev/7/ledger?limit=0", ``, nil); code != http.StatusBadRequest {
		t.Fatalf("bad limit: %d %v", code, out)
	}
	code, out = f.do(http.MethodGet, "/api/v1/loyalty/bcflowdev/stats", ``, nil)
	if code != http.StatusOK || out["members"] != float64(1) || out["points_issued"] != float64(1200) || out["points_redeemed"] != float64(1000) ||
		out["redemptions"] != float64(1) {
		t.Fatalf("stats: %d %v", code, out)
	}
	if rate, _ := out["redemption_rate"].(float64); rate < 0.833 || rate > 0.834 {
		t.Fatalf("redemption rate %v", out["redemption_rate"])
	}
	// A customer without an account: zeros and the first tier.
	if code, out = f.do(http.MethodGet, "/api/v1/loyalty/bcflowdev/99", ``, nil); code != http.StatusOK || out["balance"] != float64(0) || out["tier"] != "Bronze" {
		t.Fatalf("new customer: %d %v", code, out)
	}
}

func TestLoyaltyRedeemCouponFailureDebitsNothing(t *testing.T) {
	// An unreachable BigCommerce: the promotion cannot be created.
	bad, err := bigcommerce.New(bigcommerce.Options{BaseURL: "http://127.0.0.1:1", StoreHash: "bcflowdev", AccessToken: "x", MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	f := newLoyaltyFixture(t, activities.NewLoyaltyCoupons(map[string]*bigcommerce.Client{"bcflowdev": bad}))
	f.award(8, 200, 600)
	code, out := f.do(http.MethodPost, "/api/v1/loyalty/bcflowdev/8/redeem", `{"points": 500}`, nil)
	if code != http.StatusBadGateway || errCode(out) != "coupon_failed" {
		t.Fatalf("failing coupon: %d %v", code, out)
	}
	bal, _, err := f.store.Balance(context.Background(), "bcflowdev", 8)
	if err != nil || bal != 600 {
		t.Fatalf("balance after failed coupon = %d (%v), want 600", bal, err)
	}
}

// revokeRecorder issues coupons, then the ledger fails the debit.
type revokeRecorder struct {
	issued, revoked []string
}

func (r *revokeRecorder) IssueCoupon(_ context.Context, _ string, _ int, code, _ string, _ time.Time) error {
	r.issued = append(r.issued, code)
	return nil
}

func (r *revokeRecorder) RevokeCoupon(_ context.Context, _ string, code string) error {
	r.revoked = append(r.revoked, code)
	return nil
}

// failingLedger fails the redemption's commit after the issuer ran.
type failingLedger struct{ *store.Store }

func (l failingLedger) Redeem(ctx context.Context, e store.LedgerEntry, issue func(context.Context) (string, error)) (store.LedgerEntry, error) {
	if _, err := issue(ctx); err != nil {
		return store.LedgerEntry{}, err
	}
	return store.LedgerEntry{}, errors.New("commit: connection reset")
}

func TestLoyaltyRedeemRevokesCouponWhenDebitFails(t *testing.T) {
	rec := &revokeRecorder{}
	st := newWebhookFixture(t).store
	s := New(Options{Logger: slog.New(slog.DiscardHandler)})
	MountLoyalty(s.Admin([]byte(loyaltyToken)), LoyaltyOptions{Ledger: failingLedger{st}, Coupons: rec})
	req := httptest.NewRequest(http.MethodPost, "/api/v1/loyalty/abc/5/redeem", nil)
	req.Header.Set("Authorization", "Bearer "+loyaltyToken)
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, req)
	if w.Code != http.StatusServiceUnavailable || len(rec.issued) != 1 || len(rec.revoked) != 1 || rec.revoked[0] != rec.issued[0] {
		t.Fatalf("status %d issued %v revoked %v: %s", w.Code, rec.issued, rec.revoked, w.Body.String())
	}
}
