package store

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// The life of one customer's points as the loyalty flows drive it: an
// award, its duplicate, two partial refunds and a full one on one order, a
// redemption that fails at coupon creation and one that succeeds, and the
// program figures.
func TestLoyaltyProgramLedger(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		const cust = 21
		award := func(order, points int64, kind string) bool {
			t.Helper()
			ins, err := s.AppendLedger(ctx, LedgerEntry{StoreHash: testStore, ChannelID: 1, CustomerID: cust, OrderID: order, Kind: kind, Points: points})
			must(t, err)
			return ins
		}
		reverse := func(order int64, key string, target int64) (LedgerEntry, bool) {
			t.Helper()
			e, ins, err := s.ReverseOrderPoints(ctx, LedgerEntry{StoreHash: testStore, CustomerID: cust, OrderID: order,
				IdempotencyKey: key, Reason: "refund"}, target)
			must(t, err)
			return e, ins
		}

		// Award and first-purchase bonus; the award webhook redelivered.
		if !award(100, 200, LedgerAward) || !award(100, 50, LedgerBonus) {
			t.Fatal("award or bonus not inserted")
		}
		if award(100, 200, LedgerAward) {
			t.Fatal("duplicate award inserted")
		}
		checkAccount(t, s, cust, 250, 250)

		// First partial refund (30 % of the award), then its redelivery.
		e, ins := reverse(100, "refund:100:30.00", 60)
		if !ins || e.Points != -60 {
			t.Fatalf("first partial reversal: inserted=%v %+v", ins, e)
		}
		if e, ins = reverse(100, "refund:100:30.00", 60); ins || e.Points != -60 {
			t.Fatalf("redelivered partial reversal: inserted=%v %+v", ins, e)
		}
		checkAccount(t, s, cust, 190, 190)

		// Second partial refund: cumulative 50 % → 40 more, not taken for a duplicate.
		if e, ins = reverse(100, "refund:100:50.00", 100); !ins || e.Points != -40 {
			t.Fatalf("second partial reversal: inserted=%v %+v", ins, e)
		}
		// A target already reached stores nothing.
		if e, ins = reverse(100, "refund:100:40.00", 80); ins || e.Points != 0 {
			t.Fatalf("reached target: inserted=%v %+v", ins, e)
		}
		p, err := s.GetOrderPoints(ctx, testStore, cust, 100)
		must(t, err)
		if p != (OrderPoints{Awarded: 200, Bonus: 50, Reversed: 100}) || p.Remaining() != 150 {
			t.Fatalf("order points %+v", p)
		}
		checkAccount(t, s, cust, 150, 150)

		// Redemption whose coupon creation fails debits nothing.
		errCoupon := errors.New("bigcommerce: 422 promotion invalid")
		if _, err := s.Redeem(ctx, LedgerEntry{IdempotencyKey: "redeem:a", StoreHash: testStore, CustomerID: cust, Points: 100},
			func(context.Context) (string, error) { return "", errCoupon }); !errors.Is(err, errCoupon) {
			t.Fatalf("failing coupon: %v", err)
		}
		checkAccount(t, s, cust, 150, 150)
		if _, err := s.Redeem(ctx, LedgerEntry{IdempotencyKey: "redeem:b", StoreHash: testStore, CustomerID: cust, Points: 100},
			func(context.Context) (string, error) { return "BCL-1", nil }); err != nil {
			t.Fatal(err)
		}
		checkAccount(t, s, cust, 50, 150)

		// Full refund: the rest of what the order earned (150) is due, but
		// only 50 points are left; the shortfall is recorded, never negative.
		e, ins = reverse(100, "refund:100:full", 250)
		if !ins || e.Points != -50 || !strings.Contains(e.Reason, "50 of 150") {
			t.Fatalf("full reversal: inserted=%v %+v", ins, e)
		}
		checkAccount(t, s, cust, 0, 100)
		// More points later; a second full-refund notice takes the rest.
		award(101, 500, LedgerAward)
		if e, ins = reverse(100, "refund:100:full-again", 250); !ins || e.Points != -100 {
			t.Fatalf("rest of the reversal: inserted=%v %+v", ins, e)
		}
		checkAccount(t, s, cust, 400, 500)
		// Nothing of order 100 remains to take back.
		if e, ins = reverse(100, "refund:100:more", 1000); ins || e.Points != 0 {
			t.Fatalf("over-reversal: inserted=%v %+v", ins, e)
		}

		// A key used by another kind is refused; so is a missing key.
		if _, _, err := s.ReverseOrderPoints(ctx, LedgerEntry{StoreHash: testStore, CustomerID: cust, OrderID: 100, IdempotencyKey: "redeem:b"}, 10); !errors.Is(err, ErrInvalid) {
			t.Fatalf("key of a redemption: %v", err)
		}
		if _, _, err := s.ReverseOrderPoints(ctx, LedgerEntry{StoreHash: testStore, CustomerID: cust, OrderID: 100}, 10); !errors.Is(err, ErrInvalid) {
			t.Fatalf("no key: %v", err)
		}

		// AppendLedger reversals with their own keys are cumulative too.
		award(102, 30, LedgerAward)
		for i, key := range []string{"r1", "r2"} {
			got, ins, err := s.AppendLedgerEntry(ctx, LedgerEntry{IdempotencyKey: key, StoreHash: testStore, CustomerID: cust, OrderID: 102, Kind: LedgerReversal, Points: 20})
			must(t, err)
			if want := []int64{-20, -10}[i]; !ins || got.Points != want {
				t.Fatalf("reversal %s: inserted=%v %+v, want %d", key, ins, got, want)
			}
		}

		// Another customer, and the figures.
		_, err = s.AppendLedger(ctx, LedgerEntry{StoreHash: testStore, CustomerID: 22, OrderID: 200, Kind: LedgerAward, Points: 40})
		must(t, err)
		st, err := s.GetLoyaltyStats(ctx, testStore)
		must(t, err)
		want := LoyaltyStats{Members: 2, PointsIssued: 500 + 40, PointsRedeemed: 100, PointsOutstanding: 400 + 40, Redemptions: 1}
		if st != want {
			t.Fatalf("stats %+v, want %+v", st, want)
		}
		if r := st.RedemptionRate(); r < 0.185 || r > 0.186 {
			t.Fatalf("redemption rate %v", r)
		}
		if st, err = s.GetLoyaltyStats(ctx, "other"); err != nil || st != (LoyaltyStats{}) || st.RedemptionRate() != 0 {
			t.Fatalf("empty store stats %+v %v", st, err)
		}
	})
}
