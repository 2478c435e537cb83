package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const testStore = "abc"

// checkAccount asserts the balance and lifetime, and that the account agrees
// with the ledger.
func checkAccount(t *testing.T, s *Store, customer, wantBalance, wantLifetime int64) {
	t.Helper()
	ctx := context.Background()
	bal, life, err := s.Balance(ctx, testStore, customer)
	must(t, err)
	if bal != wantBalance || life != wantLifetime {
		t.Fatalf("balance=%d lifetime=%d, want %d and %d", bal, life, wantBalance, wantLifetime)
	}
	var sum, earned int64
	must(t, s.DB().QueryRowContext(ctx, s.rebind(`SELECT COALESCE(SUM(points), 0),
		COALESCE(SUM(CASE WHEN kind <> 'redemption' THEN points ELSE 0 END), 0)
		FROM loyalty_ledger WHERE store_hash = ? AND customer_id = ?`), testStore, customer).Scan(&sum, &earned))
	if sum != bal || earned != life {
		t.Fatalf("ledger sums %d/%d disagree with account %d/%d", sum, earned, bal, life)
	}
}

func TestLedger(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		const cust = 7
		appendE := func(e LedgerEntry) (LedgerEntry, bool) {
			t.Helper()
			e.StoreHash, e.CustomerID = testStore, cust
			got, ins, err := s.AppendLedgerEntry(ctx, e)
			must(t, err)
			return got, ins
		}

		if _, ins := appendE(LedgerEntry{OrderID: 1, Kind: LedgerAward, Points: 100, Reason: "order 1"}); !ins {
			t.Fatal("award not inserted")
		}
		checkAccount(t, s, cust, 100, 100)

		// Duplicate award: same order (derived key), and same order with another key.
		if _, ins := appendE(LedgerEntry{OrderID: 1, Kind: LedgerAward, Points: 100}); ins {
			t.Fatal("duplicate award inserted")
		}
		dup, ins := appendE(LedgerEntry{IdempotencyKey: "other", OrderID: 1, Kind: LedgerAward, Points: 999})
		if ins || dup.Points != 100 {
			t.Fatalf("award with other key for same order: inserted=%v %+v", ins, dup)
		}
		ins, err := s.AppendLedger(ctx, LedgerEntry{StoreHash: testStore, CustomerID: cust, OrderID: 1, Kind: LedgerAward, Points: 100})
		must(t, err)
		if ins {
			t.Fatal("AppendLedger: duplicate inserted")
		}
		checkAccount(t, s, cust, 100, 100)

		appendE(LedgerEntry{OrderID: 2, Kind: LedgerAward, Points: 50})
		checkAccount(t, s, cust, 150, 150)

		// Full reversal of order 1 (the cost may be given positive).
		rev, ins := appendE(LedgerEntry{OrderID: 1, Kind: LedgerReversal, Points: 100, Reason: "refund"})
		if !ins || rev.Points != -100 {
			t.Fatalf("full reversal: inserted=%v %+v", ins, rev)
		}
		checkAccount(t, s, cust, 50, 50)

		// Partial reversal of order 2, then its redelivery.
		if rev, ins = appendE(LedgerEntry{OrderID: 2, Kind: LedgerReversal, Points: -20}); !ins || rev.Points != -20 {
			t.Fatalf("partial reversal: inserted=%v %+v", ins, rev)
		}
		if _, ins = appendE(LedgerEntry{OrderID: 2, Kind: LedgerReversal, Points: -20}); ins {
			t.Fatal("duplicate reversal inserted")
		}
		checkAccount(t, s, cust, 30, 30)

		// A reversal never takes more than the order earned ...
		appendE(LedgerEntry{OrderID: 3, Kind: LedgerAward, Points: 40})
		appendE(LedgerEntry{IdempotencyKey: "promo-3", OrderID: 3, Kind: LedgerBonus, Points: 5})
		checkAccount(t, s, cust, 75, 75)
		_, err = s.Redeem(ctx, LedgerEntry{IdempotencyKey: "r-1", StoreHash: testStore, CustomerID: cust, Points: 60},
			func(context.Context) (string, error) { return "C-1", nil })
		must(t, err)
		checkAccount(t, s, cust, 15, 75)
		// ... nor more than the balance: order 3 earned 45 but only 15 are left.
		if rev, ins = appendE(LedgerEntry{OrderID: 3, Kind: LedgerReversal, Points: -1000}); !ins || rev.Points != -15 {
			t.Fatalf("clamped reversal: inserted=%v %+v", ins, rev)
		}
		checkAccount(t, s, cust, 0, 60)

		// A reversal for an order that earned nothing takes nothing.
		appendE(LedgerEntry{OrderID: 4, Kind: LedgerAward, Points: 10}) // balance 10
		if rev, ins = appendE(LedgerEntry{OrderID: 99, Kind: LedgerReversal, Points: -10}); !ins || rev.Points != 0 {
			t.Fatalf("reversal of unawarded order: inserted=%v %+v", ins, rev)
		}
		// Negative adjustment clamps at the balance; positive adds.
		if adj, _ := appendE(LedgerEntry{IdempotencyKey: "adj-1", Kind: LedgerAdjustment, Points: -25}); adj.Points != -10 {
			t.Fatalf("clamped adjustment: %+v", adj)
		}
		checkAccount(t, s, cust, 0, 60)
		appendE(LedgerEntry{IdempotencyKey: "adj-2", Kind: LedgerAdjustment, Points: 8})
		checkAccount(t, s, cust, 8, 68)

		// Redemption through AppendLedger cannot overdraw.
		_, _, err = s.AppendLedgerEntry(ctx, LedgerEntry{IdempotencyKey: "r-x", StoreHash: testStore, CustomerID: cust, Kind: LedgerRedemption, Points: 9})
		if !errors.Is(err, ErrInsufficientPoints) {
			t.Fatalf("overdraw: %v, want ErrInsufficientPoints", err)
		}
		checkAccount(t, s, cust, 8, 68)

		hist, err := s.LedgerHistory(ctx, testStore, cust, 3)
		must(t, err)
		if len(hist) != 3 || hist[0].IdempotencyKey != "adj-2" || hist[1].IdempotencyKey != "adj-1" || hist[2].OrderID != 99 {
			t.Fatalf("history newest first: %+v", hist)
		}
		hist, err = s.LedgerHistory(ctx, testStore, cust, 0)
		must(t, err)
		if len(hist) != 12 {
			t.Fatalf("history has %d entries, want 12", len(hist))
		}
		for _, e := range hist {
			if e.IdempotencyKey == "r-1" && (e.CouponCode != "C-1" || e.Points != -60 || e.OrderID != 0) {
				t.Fatalf("redemption entry %+v", e)
			}
		}

		// Unknown customer: zero balance, no error.
		bal, life, err := s.Balance(ctx, testStore, 12345)
		must(t, err)
		if bal != 0 || life != 0 {
			t.Fatalf("unknown customer: %d %d", bal, life)
		}
		if _, err := s.GetAccount(ctx, testStore, 12345); !errors.Is(err, ErrNotFound) {
			t.Fatalf("GetAccount unknown: %v", err)
		}
		must(t, s.SetTier(ctx, testStore, cust, "gold"))
		acct, err := s.GetAccount(ctx, testStore, cust)
		must(t, err)
		if acct.Tier != "gold" || acct.Balance != 8 {
			t.Fatalf("account %+v", acct)
		}

		for name, e := range map[string]LedgerEntry{
			"negative award":  {OrderID: 5, Kind: LedgerAward, Points: -1},
			"unknown kind":    {OrderID: 5, Kind: "gift", Points: 1},
			"no key no order": {Kind: LedgerBonus, Points: 1},
			"no customer":     {OrderID: 5, Kind: LedgerAward, Points: 1, CustomerID: -1},
		} {
			if e.CustomerID == 0 {
				e.CustomerID = cust
			}
			e.StoreHash = testStore
			if _, err := s.AppendLedger(ctx, e); !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", name, err)
			}
		}
	})
}

func TestLedgerConcurrentAward(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		const n = 12
		var inserted atomic.Int32
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				ins, err := s.AppendLedger(ctx, LedgerEntry{StoreHash: testStore, CustomerID: 9, OrderID: 77, Kind: LedgerAward, Points: 10})
				if err != nil {
					errs <- err
				}
				if ins {
					inserted.Add(1)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if inserted.Load() != 1 {
			t.Fatalf("%d concurrent awards inserted, want 1", inserted.Load())
		}
		checkAccount(t, s, 9, 10, 10)
	})
}

func TestRedeem(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		const cust = 3
		_, err := s.AppendLedger(ctx, LedgerEntry{StoreHash: testStore, CustomerID: cust, OrderID: 1, Kind: LedgerAward, Points: 100})
		must(t, err)

		// Success. Reads through the Store work while the issuer runs.
		calls := 0
		issue := func(ctx context.Context) (string, error) {
			calls++
			bal, _, err := s.Balance(ctx, testStore, cust)
			if err != nil {
				return "", err
			}
			if bal != 100 {
				return "", fmt.Errorf("balance seen by issuer = %d", bal)
			}
			return "BCF-40OFF", nil
		}
		e, err := s.Redeem(ctx, LedgerEntry{IdempotencyKey: "redeem-1", StoreHash: testStore, ChannelID: 1, CustomerID: cust, Points: 40, Reason: "$4 off"}, issue)
		must(t, err)
		if e.ID == 0 || e.Kind != LedgerRedemption || e.Points != -40 || e.CouponCode != "BCF-40OFF" || e.Reason != "$4 off" {
			t.Fatalf("redeemed entry %+v", e)
		}
		checkAccount(t, s, cust, 60, 100)

		// Retry of the same redemption: same entry, no second coupon.
		again, err := s.Redeem(ctx, LedgerEntry{IdempotencyKey: "redeem-1", StoreHash: testStore, CustomerID: cust, Points: 40}, issue)
		must(t, err)
		if calls != 1 || again.ID != e.ID || again.CouponCode != "BCF-40OFF" {
			t.Fatalf("retry: calls=%d %+v", calls, again)
		}
		checkAccount(t, s, cust, 60, 100)

		// Failing issuer: nothing is debited, and the key stays usable.
		errIssuer := errors.New("bigcommerce: 503")
		_, err = s.Redeem(ctx, LedgerEntry{IdempotencyKey: "redeem-2", StoreHash: testStore, CustomerID: cust, Points: 50},
			func(context.Context) (string, error) { return "", errIssuer })
		if !errors.Is(err, errIssuer) {
			t.Fatalf("failing issuer: %v", err)
		}
		checkAccount(t, s, cust, 60, 100)
		hist, err := s.LedgerHistory(ctx, testStore, cust, 0)
		must(t, err)
		if len(hist) != 2 {
			t.Fatalf("failed redemption left ledger entries: %+v", hist)
		}
		// A panicking issuer rolls back too.
		func() {
			defer func() { _ = recover() }()
			_, _ = s.Redeem(ctx, LedgerEntry{IdempotencyKey: "redeem-2", StoreHash: testStore, CustomerID: cust, Points: 50},
				func(context.Context) (string, error) { panic("boom") })
		}()
		checkAccount(t, s, cust, 60, 100)
		if _, err = s.Redeem(ctx, LedgerEntry{IdempotencyKey: "redeem-2", StoreHash: testStore, CustomerID: cust, Points: 50},
			func(context.Context) (string, error) { return "BCF-50", nil }); err != nil {
			t.Fatalf("retry after failure: %v", err)
		}
		checkAccount(t, s, cust, 10, 100)

		// Insufficient points: the issuer is not called.
		called := false
		_, err = s.Redeem(ctx, LedgerEntry{IdempotencyKey: "redeem-3", StoreHash: testStore, CustomerID: cust, Points: 11},
			func(context.Context) (string, error) { called = true; return "X", nil })
		if !errors.Is(err, ErrInsufficientPoints) || called {
			t.Fatalf("insufficient: err=%v called=%v", err, called)
		}
		// Unknown customer: insufficient too.
		if _, err = s.Redeem(ctx, LedgerEntry{IdempotencyKey: "redeem-4", StoreHash: testStore, CustomerID: 404, Points: 1},
			func(context.Context) (string, error) { return "X", nil }); !errors.Is(err, ErrInsufficientPoints) {
			t.Fatalf("unknown customer: %v", err)
		}
		checkAccount(t, s, cust, 10, 100)

		// Misuse.
		ok := func(context.Context) (string, error) { return "X", nil }
		for name, e := range map[string]LedgerEntry{
			"no key":         {StoreHash: testStore, CustomerID: cust, Points: 1},
			"wrong kind":     {IdempotencyKey: "k", StoreHash: testStore, CustomerID: cust, Points: 1, Kind: LedgerAward},
			"zero points":    {IdempotencyKey: "k", StoreHash: testStore, CustomerID: cust},
			"key of award":   {IdempotencyKey: "order:abc:1:award", StoreHash: testStore, CustomerID: cust, Points: 1},
			"other customer": {IdempotencyKey: "redeem-1", StoreHash: testStore, CustomerID: 4, Points: 1},
		} {
			if _, err := s.Redeem(ctx, e, ok); !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", name, err)
			}
		}
		if _, err := s.Redeem(ctx, LedgerEntry{IdempotencyKey: "k", StoreHash: testStore, CustomerID: cust, Points: 1}, nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("nil issuer: %v", err)
		}
	})
}

// Two (or ten) concurrent redemptions must not both pass the balance check.
func TestRedeemConcurrent(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		const cust, n, cost = 5, 10, 30
		_, err := s.AppendLedger(ctx, LedgerEntry{StoreHash: testStore, CustomerID: cust, OrderID: 1, Kind: LedgerAward, Points: 100})
		must(t, err)

		var issued, okCount, shortCount atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				<-start
				_, err := s.Redeem(ctx, LedgerEntry{IdempotencyKey: fmt.Sprintf("c-%d", i), StoreHash: testStore, CustomerID: cust, Points: cost},
					func(context.Context) (string, error) {
						issued.Add(1)
						time.Sleep(5 * time.Millisecond) // widen the race window
						return fmt.Sprintf("CODE-%d", i), nil
					})
				switch {
				case err == nil:
					okCount.Add(1)
				case errors.Is(err, ErrInsufficientPoints):
					shortCount.Add(1)
				default:
					errs <- err
				}
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if okCount.Load() != 3 || shortCount.Load() != n-3 || issued.Load() != 3 {
			t.Fatalf("ok=%d insufficient=%d coupons issued=%d, want 3, %d, 3", okCount.Load(), shortCount.Load(), issued.Load(), n-3)
		}
		checkAccount(t, s, cust, 10, 100)
	})
}
