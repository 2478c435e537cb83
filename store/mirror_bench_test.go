package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// benchOrderPage builds a page of 250 orders with two lines each (500
// lines), ids from first, over 200 shoppers, a third of them registered.
func benchOrderPage(first int64, modified time.Time) []MirrorOrder {
	page := make([]MirrorOrder, 250)
	for i := range page {
		id := first + int64(i)
		o := MirrorOrder{ID: id, Email: fmt.Sprintf("shopper%d@example.com", id%200), ChannelID: 1,
			StatusID: []int{2, 10, 11, 5}[id%4], Status: "Shipped", SubtotalExTax: 40000, SubtotalIncTax: 48000,
			TotalExTax: 45000, TotalIncTax: 54000 + Money(id%7)*100, Currency: "EUR", CouponCodes: []string{"WELCOME"},
			DateCreated: t0.Add(time.Duration(id) * time.Minute), DateModified: modified}
		if id%3 == 0 {
			o.CustomerID = id % 200
		}
		o.Lines = []MirrorOrderLine{
			{LineID: id*10 + 1, ProductID: id % 50, VariantID: id % 90, SKU: fmt.Sprintf("SKU-%d", id%90), Name: "Mug",
				Quantity: 1, Price: 24000},
			{LineID: id*10 + 2, ProductID: id%50 + 1, SKU: fmt.Sprintf("SKU-%d", id%90+1), Name: "Cup", Quantity: 2,
				Price: 15000},
		}
		page[i] = o
	}
	return page
}

// BenchmarkMirrorUpsertOrders measures one page of 250 orders with 500 lines
// (one transaction, shopper figures included): new orders (a historical
// sync) and the same orders modified again (a re-sync or reconcile).
func BenchmarkMirrorUpsertOrders(b *testing.B) {
	forEachDialectB(b, func(b *testing.B, s *Store) {
		ctx := context.Background()
		b.Run("insert", func(b *testing.B) {
			next := int64(1_000_000)
			for b.Loop() {
				if err := s.UpsertOrders(ctx, "bench", benchOrderPage(next, t0)); err != nil {
					b.Fatal(err)
				}
				next += 250
			}
			b.ReportMetric(float64(b.N*250)/b.Elapsed().Seconds(), "orders/s")
		})
		b.Run("update", func(b *testing.B) {
			if err := s.UpsertOrders(ctx, "bench", benchOrderPage(1, t0)); err != nil {
				b.Fatal(err)
			}
			mod := t0
			for b.Loop() {
				mod = mod.Add(time.Second)
				page := benchOrderPage(1, mod)
				for i := range page {
					page[i].StatusID = []int{4, 11}[(i+int(mod.Unix()))%2] // refunds move first/last
				}
				if err := s.UpsertOrders(ctx, "bench", page); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*250)/b.Elapsed().Seconds(), "orders/s")
		})
	})
}

// BenchmarkMirrorUpsertCustomers measures one page of 250 new customers.
func BenchmarkMirrorUpsertCustomers(b *testing.B) {
	forEachDialectB(b, func(b *testing.B, s *Store) {
		ctx := context.Background()
		next := int64(1)
		for b.Loop() {
			page := make([]MirrorCustomer, 250)
			for i := range page {
				id := next + int64(i)
				page[i] = MirrorCustomer{ID: id, Email: fmt.Sprintf("c%d@example.com", id), FirstName: "Ann",
					LastName: "Lee", GroupID: 2, ChannelIDs: []int{1}, AcceptsMarketing: id%2 == 0, Country: "FR",
					AddressCount: 1, AddressSummary: "Lyon, FR", DateCreated: t0, DateModified: t0,
					Attributes: map[string]string{"size": "M"}}
			}
			if err := s.UpsertCustomers(ctx, "bench", page); err != nil {
				b.Fatal(err)
			}
			next += 250
		}
		b.ReportMetric(float64(b.N*250)/b.Elapsed().Seconds(), "customers/s")
	})
}
