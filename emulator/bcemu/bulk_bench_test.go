package bcemu

import (
	"fmt"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"
)

// BenchmarkBulkGenerateLarge generates the store of issue 12's benchmark
// (100,000 customers, 500,000 orders, 5,000 products) and reports the heap
// the store holds afterwards (after a GC) as heap-MB, and the generation
// time per store as ns/op. Run:
//
//	go test ./emulator/bcemu -run '^$' -bench BulkGenerateLarge -benchtime 1x
func BenchmarkBulkGenerateLarge(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		e, err := New(Options{Clock: func() time.Time { return time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC) }})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := e.BulkGenerate("bcflowdev", BulkOptions{Customers: 100_000, Orders: 500_000, Products: 5_000, Categories: 50, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if len(res.OrderIDs) != 500_000 || len(res.CustomerIDs) != 100_000 || len(res.ProductIDs) != 5_000 {
			b.Fatalf("generated %d orders, %d customers, %d products", len(res.OrderIDs), len(res.CustomerIDs), len(res.ProductIDs))
		}
		res = BulkResult{}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MB")
		b.ReportMetric(float64(after.Sys)/(1<<20), "sys-MB")
		runtime.KeepAlive(e)
		e.Close()
		b.StartTimer()
	}
}

// BenchmarkOrderPageLarge serves pages of 250 orders with their line items
// (the historical sync's request) from a store of 500,000 generated orders,
// walking every page in turn. Run:
//
//	go test ./emulator/bcemu -run '^$' -bench OrderPageLarge
func BenchmarkOrderPageLarge(b *testing.B) {
	e, err := New(Options{RateLimitQuota: 1 << 30, Clock: func() time.Time { return time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	if _, err := e.BulkGenerate("bcflowdev", BulkOptions{Customers: 100_000, Orders: 500_000, Products: 5_000, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	h := e.Handler()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		page := 1 + i%2000
		req := httptest.NewRequest("GET", fmt.Sprintf("/stores/bcflowdev/v2/orders?include=consignments.line_items&consignment_structure=object&sort=id:asc&limit=250&page=%d", page), nil)
		req.Header.Set("X-Auth-Token", "dev-access-token")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("page %d: %d", page, rec.Code)
		}
	}
}
