package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/bcflow/bcflow/store"
)

// benchEnvInt reads a positive integer from the environment (default def).
func benchEnvInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// benchDashEnd is when the seeded history ends, and the dashboard's today:
// fixed, so a database seeded once is reused with the same figures.
var benchDashEnd = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

// BenchmarkDashboardAPI measures every dashboard call through the real
// handlers over a seeded PostgreSQL store (scripts/bench-dashboard): by
// default 100,000 customers, 1,000,000 orders and 5,000,000 decisions
// (BCFLOW_BENCH_DASHBOARD_CUSTOMERS, _ORDERS, _DECISIONS) in the database
// BCFLOW_BENCH_DASHBOARD_URL, seeded once by store.SeedAnalytics under a
// store hash naming the sizes and reused by later runs. Each iteration
// calls every endpoint once (30- and 365-day periods, a different
// customer each time); it reports each endpoint's p50 and p95 in ms and
// the worst p95. BCFLOW_BENCH_DASHBOARD_STORE benchmarks a store seeded
// elsewhere in that database instead (its history ending today). Skipped
// without BCFLOW_BENCH_DASHBOARD_URL.
func BenchmarkDashboardAPI(b *testing.B) {
	url := os.Getenv("BCFLOW_BENCH_DASHBOARD_URL")
	if url == "" {
		b.Skip("set BCFLOW_BENCH_DASHBOARD_URL (scripts/bench-dashboard) to run")
	}
	customers := benchEnvInt("BCFLOW_BENCH_DASHBOARD_CUSTOMERS", 100_000)
	orders := benchEnvInt("BCFLOW_BENCH_DASHBOARD_ORDERS", 1_000_000)
	decisions := benchEnvInt("BCFLOW_BENCH_DASHBOARD_DECISIONS", 5_000_000)
	ctx := context.Background()
	st, err := store.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	hash := fmt.Sprintf("bench%dc%do%dd", customers, orders, decisions)
	today := benchDashEnd
	known, err := st.AnalyticsStores(ctx)
	if err != nil {
		b.Fatal(err)
	}
	switch other := os.Getenv("BCFLOW_BENCH_DASHBOARD_STORE"); {
	case other != "":
		// A store seeded elsewhere, with history ending today.
		if !slices.Contains(known, other) {
			b.Fatalf("BCFLOW_BENCH_DASHBOARD_STORE: no store %q with figures in the database", other)
		}
		hash, today = other, time.Now().UTC().Truncate(24*time.Hour)
		b.Logf("benchmarking store %s", hash)
	case slices.Contains(known, hash):
		b.Logf("reusing %s", hash)
	default:
		start := time.Now()
		if err := store.SeedAnalytics(ctx, st, store.SeedSpec{StoreHash: hash, Customers: customers, Orders: orders,
			Decisions: decisions, Days: 400, Seed: 14, End: benchDashEnd}); err != nil {
			b.Fatal(err)
		}
		b.Logf("seeded %s in %s", hash, time.Since(start).Round(time.Second))
	}

	s := New(Options{Logger: slog.New(slog.DiscardHandler)})
	admin := s.Admin([]byte("bench-token"))
	stores := []string{hash}
	MountTimeline(admin, st, stores)
	MountAnalytics(admin, AnalyticsOptions{Source: st, Stores: stores, Now: func() time.Time { return today }})
	MountCustomers(admin, CustomersOptions{Store: st, Stores: stores})
	h := s.Handler()

	period := func(days int) string {
		return "from=" + today.AddDate(0, 0, 1-days).Format(time.DateOnly) + "&to=" + today.Format(time.DateOnly)
	}
	p30, p365 := period(30), period(365)
	base := "/api/v1/stores/" + hash
	type endpoint struct {
		name string
		path func(i int) string
	}
	fixed := func(p string) func(int) string { return func(int) string { return p } }
	customer := func(i int) int { return (i*7919)%customers + 1 }
	endpoints := []endpoint{{"stores", fixed("/api/v1/stores")}}
	for _, fig := range []string{"overview", "flows", "loyalty", "segments", "holdout"} {
		endpoints = append(endpoints,
			endpoint{fig + "_30d", fixed(base + "/analytics/" + fig + "?" + p30)},
			endpoint{fig + "_365d", fixed(base + "/analytics/" + fig + "?" + p365)},
			endpoint{fig + "_30d_ch1", fixed(base + "/analytics/" + fig + "?" + p30 + "&channel=1")})
	}
	endpoints = append(endpoints,
		endpoint{"customer_id", func(i int) string { return fmt.Sprintf("%s/customers/%d", base, customer(i)) }},
		endpoint{"customer_email", func(i int) string { return fmt.Sprintf("%s/customers/seed-%d@example.test", base, customer(i)) }},
		endpoint{"timeline_id", func(i int) string { return fmt.Sprintf("%s/customers/%d/timeline", base, customer(i)) }},
		endpoint{"timeline_email", func(i int) string {
			return fmt.Sprintf("%s/customers/seed-%d@example.test/timeline", base, customer(i))
		}})

	call := func(path string) time.Duration {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer bench-token")
		rec := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, req)
		d := time.Since(start)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
		return d
	}
	// One warm-up call each: the first read of a cold cache is not what a
	// merchant opening the dashboard twice sees.
	for _, e := range endpoints {
		call(e.path(0))
	}
	took := make([][]time.Duration, len(endpoints))
	b.ResetTimer()
	for i := range b.N {
		for j, e := range endpoints {
			took[j] = append(took[j], call(e.path(i+1)))
		}
	}
	b.StopTimer()
	var worst float64
	for j, e := range endpoints {
		p50, p95 := percentile(took[j], 0.50), percentile(took[j], 0.95)
		b.ReportMetric(p50, e.name+"_p50_ms")
		b.ReportMetric(p95, e.name+"_p95_ms")
		worst = max(worst, p95)
	}
	b.ReportMetric(worst, "worst_p95_ms")
}

// percentile is the q-quantile of ds (nearest rank), in milliseconds.
func percentile(ds []time.Duration, q float64) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	i := int(float64(len(s))*q+0.999999) - 1
	i = min(max(i, 0), len(s)-1)
	return float64(s[i].Microseconds()) / 1000
}
