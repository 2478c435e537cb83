package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The seeded store's rollups agree with its base tables, its data has the
// shape the dashboard shows, and writes after seeding keep them agreeing.
func TestSeedAnalytics(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		end := time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC)
		spec := SeedSpec{StoreHash: "seed1", Customers: 60, Orders: 400, Decisions: 600, Days: 30, Seed: 7, End: end}
		must(t, SeedAnalytics(ctx, s, spec))
		if err := SeedAnalytics(ctx, s, spec); !errors.Is(err, ErrInvalid) {
			t.Fatalf("seeding a store twice: %v, want ErrInvalid", err)
		}
		scalar := func(q string, args ...any) int64 {
			t.Helper()
			var n int64
			must(t, s.DB().QueryRowContext(ctx, s.rebind(q), args...).Scan(&n))
			return n
		}
		for table, want := range map[string]int64{"mirror_customers": 60, "mirror_orders": 400, "decisions": 600} {
			if n := scalar(`SELECT COUNT(*) FROM ` + table + ` WHERE store_hash = 'seed1'`); n != want {
				t.Errorf("%s: %d rows, want %d", table, n, want)
			}
		}
		rows, err := s.Rollups(ctx, "seed1", 0, "2026-05-01", "2026-06-30")
		must(t, err)
		sum := func(kind string, keep func(RollupRow) bool) (n int64, amount Money) {
			for _, r := range rows {
				if r.Kind == kind && (keep == nil || keep(r)) {
					n += r.N
					amount += r.Amount
				}
			}
			return n, amount
		}
		// Orders and revenue.
		n, amount := sum(RollupOrders, nil)
		if want := scalar(`SELECT COUNT(*) FROM mirror_orders WHERE store_hash = 'seed1' AND counted = 1`); n != want || n < 300 {
			t.Errorf("orders: %d, want %d", n, want)
		}
		if want := scalar(`SELECT SUM(contribution) FROM mirror_orders WHERE store_hash = 'seed1'`); int64(amount) != want {
			t.Errorf("revenue: %d, want %d", amount, want)
		}
		if want := scalar(`SELECT SUM(orders_count) FROM shopper_stats WHERE store_hash = 'seed1'`); n != want {
			t.Errorf("shopper stats count %d orders, the rollups %d", want, n)
		}
		for _, ch := range []int64{1, 2} {
			chRows, err := s.Rollups(ctx, "seed1", ch, "2026-05-01", "2026-06-30", RollupOrders)
			must(t, err)
			var got int64
			for _, r := range chRows {
				got += r.N
			}
			if want := scalar(`SELECT COUNT(*) FROM mirror_orders WHERE store_hash = 'seed1' AND counted = 1 AND channel_id = ?`, ch); got != want || got == 0 {
				t.Errorf("orders of channel %d: %d, want %d", ch, got, want)
			}
		}
		// Spread over the period.
		days := map[string]bool{}
		for _, r := range rows {
			if r.Kind == RollupOrders || r.Kind == RollupDecision {
				days[r.Day] = true
			}
		}
		if len(days) < 28 {
			t.Errorf("orders and decisions on %d days of 30", len(days))
		}
		// Customers.
		if got, _ := s.CustomersTotal(ctx, "seed1", 0); got != 60 {
			t.Errorf("customers: %d", got)
		}
		c1, _ := s.CustomersTotal(ctx, "seed1", 1)
		c2, _ := s.CustomersTotal(ctx, "seed1", 2)
		if c1 != 40 || c2 != 40 { // ids 1 mod 3 in 1, 0 mod 3 in 2, 2 mod 3 in both
			t.Errorf("customers by channel: %d, %d", c1, c2)
		}
		// Decisions, entered workflows, the holdout and the funnel's shapes.
		if n, _ := sum(RollupDecision, nil); n != 600 {
			t.Errorf("decisions: %d", n)
		}
		if n, _ := sum(RollupEntered, nil); n != 120 {
			t.Errorf("entered: %d, want 120 workflows", n)
		}
		held, _ := sum(RollupDecision, func(r RollupRow) bool { return r.K2 == HoldoutStep && r.K3 == "assigned" && r.K4 == "holdout" })
		messaged, _ := sum(RollupDecision, func(r RollupRow) bool { return r.K2 == HoldoutStep && r.K3 == "assigned" && r.K4 == "messaged" })
		if held == 0 || messaged <= held || held+messaged != 40 {
			t.Errorf("holdout assignment: %d held, %d messaged", held, messaged)
		}
		for _, d := range []string{DecisionSent, DecisionSkipped, DecisionDeferred, "recovered", "converted"} {
			if n, _ := sum(RollupDecision, func(r RollupRow) bool { return r.K3 == d }); n == 0 {
				t.Errorf("no %s decision seeded", d)
			}
		}
		if _, a := sum(RollupDecision, func(r RollupRow) bool { return r.K3 == "recovered" }); a <= 0 {
			t.Errorf("recovered revenue: %v", a)
		}
		// Messages and engagement.
		sent, _ := sum(RollupDecision, func(r RollupRow) bool { return r.K3 == DecisionSent })
		if got := scalar(`SELECT COUNT(*) FROM messages WHERE store_hash = 'seed1' AND provider_message_id <> ''`); got != sent {
			t.Errorf("messages: %d, sent decisions: %d", got, sent)
		}
		delivered, _ := sum(RollupEngagement, func(r RollupRow) bool { return r.K3 == EventDelivered })
		opened, _ := sum(RollupEngagement, func(r RollupRow) bool { return r.K3 == EventOpened })
		if delivered == 0 || opened == 0 || opened >= delivered {
			t.Errorf("engagement: %d delivered, %d opened of %d", delivered, opened, sent)
		}
		// Loyalty.
		entries, points := sum(RollupLoyalty, nil)
		if want := scalar(`SELECT COUNT(*) FROM loyalty_ledger WHERE store_hash = 'seed1'`); entries != want || entries == 0 {
			t.Errorf("ledger entries: %d, want %d", entries, want)
		}
		if want := scalar(`SELECT SUM(balance) FROM loyalty_accounts WHERE store_hash = 'seed1'`); int64(points) != want {
			t.Errorf("points: %d, balances %d", points, want)
		}
		tiers, err := s.LoyaltyTiers(ctx, "seed1")
		must(t, err)
		if len(tiers) < 2 {
			t.Errorf("tiers: %+v", tiers)
		}
		if n, _ := sum(RollupLoyalty, func(r RollupRow) bool { return r.K3 == LedgerRedemption }); n == 0 {
			t.Errorf("no redemption seeded")
		}
		// The seeded data is what the write paths would have written: they
		// carry on from it.
		checkRollupsAgree(t, s, "seed1")
		must(t, s.AppendDecision(ctx, Decision{StoreHash: "seed1", WorkflowID: "cart-recovery/seed1/0", Flow: "cart-recovery",
			Step: "reminder-1", Decision: DecisionSent, At: end}))
		must(t, s.UpsertOrders(ctx, "seed1", []MirrorOrder{{ID: 20, CustomerID: 3, StatusID: 4, TotalIncTax: 1,
			DateCreated: end, DateModified: end}}))
		checkRollupsAgree(t, s, "seed1")
	})
}
