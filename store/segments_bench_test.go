package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/bcflow/bcflow/config"
	"github.com/jmoiron/sqlx"
)

// segBenchShoppers is the size of the benchmark's store.
const segBenchShoppers = 100_000

// builtinSegmentRules are the five built-in segments of issue 13 (the
// thresholds of the flows file's defaults).
func builtinSegmentRules() map[string]config.Rule {
	return map[string]config.Rule{
		"first-time": {OrdersCount: &config.NumberRange{Equals: ptr(1.0)}},
		"repeat":     {OrdersCount: &config.NumberRange{AtLeast: ptr(2.0)}},
		"high-value": {TotalSpent: &config.NumberRange{AtLeast: ptr(1000.0)}},
		"wholesale":  {CustomerGroup: []string{"Wholesale"}},
		"at-risk": {All: []config.Rule{
			{LastOrder: &config.DateRange{OlderThan: ptr(config.Duration(90 * 24 * time.Hour))}},
			{OrdersCount: &config.NumberRange{AtLeast: ptr(2.0)}},
		}},
	}
}

// seedSegmentBench bulk-inserts n shoppers straight into the mirror tables
// (70 % registered customers in four groups, 30 % guests; 0–5 counted orders
// each over two years, a line and sometimes a coupon per order), with
// figures consistent with the orders.
func seedSegmentBench(b *testing.B, s *Store, storeHash string, n int, now time.Time) {
	b.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 13))
	var customers, stats, orders, lines, coupons []any
	orderID := int64(0)
	flush := func(force bool) {
		if !force && len(stats) < 10_000*len(shopperStatsTable.cols) {
			return
		}
		err := s.inTx(ctx, func(tx *sqlx.Tx) error {
			for _, w := range []struct {
				t    *tableSpec
				args []any
			}{{customersTable, customers}, {shopperStatsTable, stats}, {ordersTable, orders}, {orderLinesTable, lines},
				{orderCouponsTable, coupons}} {
				if err := s.insertRows(ctx, tx, w.t, w.args, ""); err != nil {
					return fmt.Errorf("%s: %w", w.t.table, err)
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		customers, stats, orders, lines, coupons = customers[:0], stats[:0], orders[:0], lines[:0], coupons[:0]
	}
	for i := range n {
		email := fmt.Sprintf("shopper%06d@example.com", i)
		var custID int64
		if i%10 < 7 {
			custID = int64(i + 1)
			customers = append(customers, storeHash, custID, email, email, "Ann", "Lee", "", "", int64(1+rng.IntN(4)),
				"[1]", rng.IntN(2) == 0, Money(0), "FR", 1, "Lyon, FR", int64(0), "", "{}", s.ntv(now), s.ntv(now))
		}
		count := []int{0, 1, 1, 1, 2, 2, 3, 5}[rng.IntN(8)]
		if custID == 0 && count == 0 {
			count = 1 // a guest exists through an order
		}
		var total Money
		var first, last time.Time
		for range count {
			orderID++
			amount := Money(rng.IntN(800_00)) * 100
			created := now.Add(-time.Duration(rng.IntN(730*24)) * time.Hour)
			total += amount
			if first.IsZero() || created.Before(first) {
				first = created
			}
			if created.After(last) {
				last = created
			}
			codes := "[]"
			if orderID%5 == 0 {
				codes = `["WELCOME"]`
				coupons = append(coupons, storeHash, orderID, "welcome")
			}
			orders = append(orders, storeHash, orderID, custID, email, email, int64(1), 10, "Shipped", amount, amount,
				amount, amount, Money(0), "EUR", codes, s.ntv(created), s.ntv(created), 1, amount)
			lines = append(lines, storeHash, orderID, int64(1), int64(1+rng.IntN(500)), int64(0),
				fmt.Sprintf("SKU-%d", rng.IntN(500)), "Mug", int64(1), amount)
		}
		stats = append(stats, storeHash, email, custID, int64(count), total, s.ntv(first), s.ntv(last), s.tv(now))
		flush(false)
	}
	flush(true)
	if s.dialect == DialectPostgres {
		if _, err := s.db.ExecContext(ctx, `ANALYZE`); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSegmentEvaluateAll evaluates the five built-in segments in full
// over 100,000 shoppers on PostgreSQL: from empty membership (every member
// enters; the target is under 10 s for the five) and again with
// nothing changed. One op is the five segments.
func BenchmarkSegmentEvaluateAll(b *testing.B) {
	s := openBench(b, postgresSchemaURL(b))
	ctx := context.Background()
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	start := time.Now()
	seedSegmentBench(b, s, "bench", segBenchShoppers, now)
	b.Logf("seeded %d shoppers in %s", segBenchShoppers, time.Since(start).Round(time.Millisecond))
	env := SegmentEnv{Now: now, GroupIDs: map[string][]int{"Wholesale": {3}}}
	qs := map[string]*SegmentQuery{}
	for name, r := range builtinSegmentRules() {
		q, err := s.CompileSegment(r, env)
		if err != nil {
			b.Fatal(err)
		}
		qs[name] = q
	}
	evaluateAll := func(at time.Time) int {
		changes := 0
		for name, q := range qs {
			ch, err := s.EvaluateSegment(ctx, "bench", name, q, SegmentScope{}, at)
			if err != nil {
				b.Fatal(err)
			}
			changes += len(ch)
		}
		return changes
	}
	b.Run("from-empty", func(b *testing.B) {
		changes := 0
		for i := range b.N {
			b.StopTimer()
			if _, err := s.db.ExecContext(ctx, `DELETE FROM segment_memberships`); err != nil {
				b.Fatal(err)
			}
			if _, err := s.db.ExecContext(ctx, `VACUUM ANALYZE segment_memberships`); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			changes = evaluateAll(now.Add(time.Duration(i) * time.Second))
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/run")
		b.ReportMetric(float64(changes), "entries/run")
	})
	b.Run("no-changes", func(b *testing.B) {
		evaluateAll(now)
		changes := 0
		for i := range b.N {
			changes += evaluateAll(now.Add(time.Duration(i+1) * time.Second))
		}
		if changes != 0 {
			b.Fatalf("%d changes without any change", changes)
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/run")
	})
	b.Run("incremental-one-shopper", func(b *testing.B) {
		for i := range b.N {
			email := fmt.Sprintf("shopper%06d@example.com", i%segBenchShoppers)
			if _, err := s.EvaluateSegments(ctx, "bench", qs, []string{email}, now.Add(time.Hour)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
