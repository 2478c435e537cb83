package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

var t0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

func testOrder(id int64, email string, status int, total Money, created time.Time) MirrorOrder {
	return MirrorOrder{ID: id, Email: email, ChannelID: 1, StatusID: status, Status: "s", TotalIncTax: total,
		TotalExTax: total - total/6, SubtotalIncTax: total, SubtotalExTax: total - total/6, Currency: "EUR",
		DateCreated: created, DateModified: created}
}

func TestMirrorOrderRoundTrip(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		o := MirrorOrder{ID: 101, CustomerID: 7, Email: "Ann@Example.com", ChannelID: 2, StatusID: 11,
			Status: "Awaiting Fulfillment", SubtotalExTax: 100000, SubtotalIncTax: 120000, TotalExTax: 105000,
			TotalIncTax: 126000, RefundedAmount: 12345, Currency: "EUR", CouponCodes: []string{"SPRING", "VIP"},
			DateCreated: t0, DateModified: t0.Add(time.Minute),
			Lines: []MirrorOrderLine{
				{LineID: 2, ProductID: 77, VariantID: 78, SKU: "SKU-B", Name: "Bee", Quantity: 1, Price: 60000},
				{LineID: 1, ProductID: 55, VariantID: 56, SKU: "SKU-A", Name: "Ay", Quantity: 2, Price: 33000},
			}}
		must(t, s.UpsertOrders(ctx, "s1", []MirrorOrder{o}))
		got, err := s.MirrorOrderByID(ctx, "s1", 101)
		must(t, err)
		want := o
		want.Lines = []MirrorOrderLine{o.Lines[1], o.Lines[0]} // by line id
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
		}
		if _, err := s.MirrorOrderByID(ctx, "other", 101); !errors.Is(err, ErrNotFound) {
			t.Fatalf("other store: %v", err)
		}

		// An update replaces the lines.
		o.DateModified = o.DateModified.Add(time.Minute)
		o.Lines = []MirrorOrderLine{{LineID: 3, ProductID: 99, SKU: "SKU-C", Quantity: 5, Price: 1}}
		o.CouponCodes = nil
		must(t, s.UpsertOrders(ctx, "s1", []MirrorOrder{o}))
		got, err = s.MirrorOrderByID(ctx, "s1", 101)
		must(t, err)
		if len(got.Lines) != 1 || got.Lines[0].SKU != "SKU-C" || len(got.CouponCodes) != 0 {
			t.Fatalf("after update: %+v", got)
		}
		c, err := s.MirrorCounts(ctx, "s1")
		must(t, err)
		if c.Orders != 1 || c.OrderLines != 1 || c.Shoppers != 1 {
			t.Fatalf("counts %+v", c)
		}
	})
}

func TestMirrorOrderStaleIgnored(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		o := testOrder(1, "a@x.io", 11, 50000, t0)
		o.DateModified = t0.Add(time.Hour)
		o.Lines = []MirrorOrderLine{{LineID: 1, SKU: "NEW"}}
		must(t, s.UpsertOrders(ctx, "s", []MirrorOrder{o}))

		stale := o
		stale.DateModified = t0.Add(30 * time.Minute)
		stale.StatusID = 5 // cancelled, but older news
		stale.Lines = []MirrorOrderLine{{LineID: 1, SKU: "OLD"}}
		must(t, s.UpsertOrders(ctx, "s", []MirrorOrder{stale}))
		got, err := s.MirrorOrderByID(ctx, "s", 1)
		must(t, err)
		if got.StatusID != 11 || got.Lines[0].SKU != "NEW" {
			t.Fatalf("stale upsert overwrote: %+v", got)
		}
		st, err := s.ShopperStats(ctx, "s", "a@x.io")
		must(t, err)
		if st.OrdersCount != 1 || st.TotalSpent != 50000 {
			t.Fatalf("stale upsert moved stats: %+v", st)
		}

		// Equal date: written again, idempotent.
		for range 2 {
			must(t, s.UpsertOrders(ctx, "s", []MirrorOrder{o}))
		}
		st, err = s.ShopperStats(ctx, "s", "a@x.io")
		must(t, err)
		if st.OrdersCount != 1 || st.TotalSpent != 50000 {
			t.Fatalf("repeat upsert changed stats: %+v", st)
		}

		// Within one page, the newest version of an id wins, wherever it is.
		newer := o
		newer.DateModified = t0.Add(2 * time.Hour)
		newer.RefundedAmount = 10000
		must(t, s.UpsertOrders(ctx, "s", []MirrorOrder{newer, stale}))
		st, err = s.ShopperStats(ctx, "s", "a@x.io")
		must(t, err)
		if st.OrdersCount != 1 || st.TotalSpent != 40000 {
			t.Fatalf("page with two versions: %+v", st)
		}
	})
}

func TestShopperStatsIncremental(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		day := 24 * time.Hour
		// A guest with two orders under differently cased emails, one
		// cancelled order, and another shopper.
		must(t, s.UpsertOrders(ctx, "s", []MirrorOrder{
			testOrder(1, "Guest@Example.com", 10, 100000, t0),
			testOrder(2, " guest@example.COM ", 11, 50000, t0.Add(2*day)),
			testOrder(3, "guest@example.com", 5, 999999, t0.Add(3*day)),
			testOrder(4, "other@example.com", 2, 7000, t0.Add(day)),
		}))
		st, err := s.ShopperStats(ctx, "s", "GUEST@example.com")
		must(t, err)
		want := ShopperStats{Email: "guest@example.com", OrdersCount: 2, TotalSpent: 150000, FirstOrderAt: t0,
			LastOrderAt: t0.Add(2 * day)}
		if st.UpdatedAt.IsZero() {
			t.Error("UpdatedAt not set")
		}
		st.UpdatedAt = time.Time{}
		if st != want {
			t.Fatalf("guest stats\n got %+v\nwant %+v", st, want)
		}
		if aov := st.AverageOrderValue(); aov != 75000 {
			t.Fatalf("AOV %v", aov)
		}

		// The last order is refunded: it leaves, last_order_at falls back.
		o2 := testOrder(2, "guest@example.com", 4, 50000, t0.Add(2*day))
		o2.RefundedAmount = 50000
		o2.DateModified = t0.Add(5 * day)
		must(t, s.UpsertOrders(ctx, "s", []MirrorOrder{o2}))
		st, err = s.ShopperStats(ctx, "s", "guest@example.com")
		must(t, err)
		if st.OrdersCount != 1 || st.TotalSpent != 100000 || !st.LastOrderAt.Equal(t0) || !st.FirstOrderAt.Equal(t0) {
			t.Fatalf("after refund %+v", st)
		}

		// A partial refund on the remaining order lowers the spend only.
		o1 := testOrder(1, "guest@example.com", 14, 100000, t0)
		o1.RefundedAmount = 25000
		o1.DateModified = t0.Add(6 * day)
		must(t, s.UpsertOrders(ctx, "s", []MirrorOrder{o1}))
		st, err = s.ShopperStats(ctx, "s", "guest@example.com")
		must(t, err)
		if st.OrdersCount != 1 || st.TotalSpent != 75000 {
			t.Fatalf("after partial refund %+v", st)
		}

		// The order's email changes: its figures move to the new shopper.
		o1.Email = "other@example.com"
		o1.DateModified = t0.Add(7 * day)
		must(t, s.UpsertOrders(ctx, "s", []MirrorOrder{o1}))
		st, err = s.ShopperStats(ctx, "s", "guest@example.com")
		must(t, err)
		if st.OrdersCount != 0 || st.TotalSpent != 0 || !st.FirstOrderAt.IsZero() || !st.LastOrderAt.IsZero() {
			t.Fatalf("old shopper after email change %+v", st)
		}
		st, err = s.ShopperStats(ctx, "s", "other@example.com")
		must(t, err)
		if st.OrdersCount != 2 || st.TotalSpent != 82000 || !st.FirstOrderAt.Equal(t0) || !st.LastOrderAt.Equal(t0.Add(day)) {
			t.Fatalf("new shopper after email change %+v", st)
		}

		// Never seen: zeros, no error.
		st, err = s.ShopperStats(ctx, "s", "nobody@example.com")
		must(t, err)
		if st.OrdersCount != 0 || st.Email != "nobody@example.com" {
			t.Fatalf("unknown shopper %+v", st)
		}
	})
}

func TestMirrorOrdersInvalid(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if err := s.UpsertOrders(ctx, "", []MirrorOrder{{ID: 1}}); !errors.Is(err, ErrInvalid) {
			t.Errorf("no store: %v", err)
		}
		if err := s.UpsertOrders(ctx, "s", []MirrorOrder{{ID: 0}}); !errors.Is(err, ErrInvalid) {
			t.Errorf("id 0: %v", err)
		}
		must(t, s.UpsertOrders(ctx, "s", nil))
	})
}
