package brevoemu

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
)

// BenchmarkSyncMemory loads the emulator with what a historical sync of a
// large store pushes — 100,000 contacts imported into a list and 500,000
// orders of three lines in batches of 1,000 — and reports the live heap it
// holds (runtime.MemStats.HeapAlloc after a GC, less the empty emulator's).
// Run it once: go test ./emulator/brevoemu -run '^$' -bench SyncMemory -benchtime 1x
func BenchmarkSyncMemory(b *testing.B) {
	const contacts, orders, perBatch = 100_000, 500_000, 1000
	for range b.N {
		e := New(Options{NoFamilyRateLimits: true})
		h := e.Handler()
		post := func(path string, body []byte, want int) {
			req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
			req.Header.Set("api-key", DefaultAPIKey)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != want {
				b.Fatalf("%s: %d %s", path, rec.Code, rec.Body.String())
			}
		}
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)

		post("/v3/contacts/folders", []byte(`{"name":"bcflow"}`), 201)
		post("/v3/contacts/lists", []byte(`{"name":"Customers","folderId":1}`), 201)
		var buf bytes.Buffer
		for start := 0; start < contacts; start += perBatch {
			buf.Reset()
			buf.WriteString(`{"listIds":[1],"emptyContactsAttributes":false,"jsonBody":[`)
			for i := start; i < start+perBatch; i++ {
				if i > start {
					buf.WriteByte(',')
				}
				fmt.Fprintf(&buf, `{"email":"shopper%d@example.com","attributes":{"FIRSTNAME":"First%d","LASTNAME":"Last%d","SMS":"+4179%07d","COMPANY":"Company %d","CUSTOMER_GROUP":"Retail","CHANNEL":"1","ORDERS_COUNT":%d,"TOTAL_SPENT":%d.50,"BIGCOMMERCE_ID":%d}}`,
					i, i, i, i, i%500, i%40, i%9000, i)
			}
			buf.WriteString(`]}`)
			post("/v3/contacts/import", buf.Bytes(), 202)
		}
		for start := 0; start < orders; start += perBatch {
			buf.Reset()
			buf.WriteString(`{"historical":true,"orders":[`)
			for i := start; i < start+perBatch; i++ {
				if i > start {
					buf.WriteByte(',')
				}
				fmt.Fprintf(&buf, `{"id":"%d","createdAt":"2024-03-%02dT10:11:12Z","updatedAt":"2024-04-%02dT10:11:12Z","status":"completed","amount":%d.95,"storeId":"abc123","email":"shopper%d@example.com",`+
					`"products":[{"productId":"%d","variantId":"%d","quantity":1,"price":19.99},{"productId":"%d","variantId":"%d","quantity":2,"price":5},{"productId":"%d","quantity":1,"price":42}],`+
					`"coupons":["SPRING%d"],"billing":{"city":"Basel","countryCode":"CH","paymentMethod":"card"}}`,
					100000+i, 1+i%28, 1+i%28, i%300, i%contacts, i%5000, i%5000+7, (i+1)%5000, (i+1)%5000+7, (i+2)%5000, i%20)
			}
			buf.WriteString(`]}`)
			post("/v3/orders/status/batch", buf.Bytes(), 202)
		}
		buf = bytes.Buffer{}
		var after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&after)
		c := e.Counts()
		if c.Contacts != contacts || c.Orders != orders {
			b.Fatalf("counts %+v", c)
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MB")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/orders, "B/order-incl-contacts")
		if p := os.Getenv("BREVOEMU_HEAP_PROFILE"); p != "" {
			f, err := os.Create(p)
			if err != nil {
				b.Fatal(err)
			}
			_ = pprof.WriteHeapProfile(f)
			f.Close()
		}
		runtime.KeepAlive(e)
	}
}
