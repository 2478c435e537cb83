package segments

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/emulator/bcemu"
	"github.com/bcflow/bcflow/store"
)

// analyze refreshes PostgreSQL's planner statistics after a bulk setup, as
// autovacuum does on a live database within a minute of such writes. The
// store refreshes them itself after a large full evaluation, not (yet)
// after DropSegment: without this, the marks of the push benchmark's
// removes iteration (10,000 stints left at one instant) are planned as a
// nested loop over the whole table and take about 19 s instead of 0.1 s.
func analyze(b *testing.B, st *store.Store) {
	b.Helper()
	if _, err := st.DB().Exec(`ANALYZE`); err != nil {
		b.Fatal(err)
	}
}

// benchEnv reads a positive integer from the environment (default def).
func benchEnv(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// seedShoppers mirrors n shoppers into st: nine in ten registered
// customers (one in ten of them Wholesale), the rest guests; each has
// 0 to 4 orders of 40 to 1,480 over the 400 days before at.
func seedShoppers(b *testing.B, st *store.Store, hash string, n int, at time.Time) {
	b.Helper()
	ctx := context.Background()
	const page = 1000
	var customers []store.MirrorCustomer
	var orders []store.MirrorOrder
	orderID := int64(0)
	flush := func(force bool) {
		if len(customers) >= page || (force && len(customers) > 0) {
			if err := st.UpsertCustomers(ctx, hash, customers); err != nil {
				b.Fatal(err)
			}
			customers = customers[:0]
		}
		if len(orders) >= page || (force && len(orders) > 0) {
			if err := st.UpsertOrders(ctx, hash, orders); err != nil {
				b.Fatal(err)
			}
			orders = orders[:0]
		}
	}
	for i := range n {
		email := fmt.Sprintf("shopper%06d@bench.example", i)
		var cid int64
		if i%10 != 9 {
			cid = int64(i + 1)
			group := int64(1)
			if i%10 == 0 {
				group = 2
			}
			customers = append(customers, store.MirrorCustomer{ID: cid, Email: email, GroupID: group, ChannelIDs: []int{1},
				AcceptsMarketing: i%2 == 0, Country: "US", DateCreated: at.AddDate(-2, 0, 0), DateModified: at.AddDate(-2, 0, 0)})
		}
		for k := range i % 5 {
			orderID++
			total := store.Money((40 + (i*7+k*13)%37*40) * 10000)
			placed := at.Add(-time.Duration((i*31+k*97)%400*24) * time.Hour)
			orders = append(orders, store.MirrorOrder{ID: orderID, CustomerID: cid, Email: email, ChannelID: 1, StatusID: 10,
				Status: "Completed", TotalIncTax: total, TotalExTax: total, Currency: "USD", CouponCodes: []string{},
				DateCreated: placed, DateModified: placed})
		}
		flush(false)
	}
	flush(true)
}

// BenchmarkSegmentFullEvaluation evaluates the five built-in segments in
// full over 100,000 shoppers (BCFLOW_BENCH_SEGMENT_SHOPPERS) on PostgreSQL:
// one set-based query per segment, a diff against the current members and
// batched writes. Each iteration starts with no members (every shopper who
// qualifies enters), the heaviest case; "steady" re-evaluates with members
// in place (nothing changes).
func BenchmarkSegmentFullEvaluation(b *testing.B) {
	n := benchEnv("BCFLOW_BENCH_SEGMENT_SHOPPERS", 100_000)
	ctx := context.Background()
	st := openStore(b, postgresSchemaURL(b))
	_, _, bc := bcEmulator(b, 1<<30, bigcommerce.Options{})
	hash := bc.StoreHash()
	at := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	start := time.Now()
	seedShoppers(b, st, hash, n, at)
	b.Logf("seeded %d shoppers in %s", n, time.Since(start).Round(time.Millisecond))
	analyze(b, st)

	builtin := config.DefaultFlows()
	if _, defs := builtin.SegmentsFor(hash); len(defs) != 5 {
		b.Fatalf("%d built-in segments", len(defs))
	}
	none := config.DefaultFlows()
	none.Defaults.Segments.Definitions = []config.SegmentDefinition{}
	flows := builtin
	eng := &Engine{Store: st, Flows: func() *config.Flows { return flows },
		BigCommerce: func(string) (*bigcommerce.Client, error) { return bc, nil }, Now: func() time.Time { return at }}

	b.Run("from-empty", func(b *testing.B) {
		var entered int
		for b.Loop() {
			b.StopTimer()
			flows = none
			if _, err := eng.Recompute(ctx, hash, "", false, nil); err != nil {
				b.Fatal(err)
			}
			flows = builtin
			analyze(b, st)
			b.StartTimer()
			res, err := eng.Recompute(ctx, hash, "", false, nil)
			if err != nil {
				b.Fatal(err)
			}
			entered = res.Entered
		}
		b.ReportMetric(float64(n), "shoppers")
		b.ReportMetric(float64(entered), "entered")
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/evaluation")
	})
	b.Run("steady", func(b *testing.B) {
		flows = builtin
		if _, err := eng.Recompute(ctx, hash, "", false, nil); err != nil {
			b.Fatal(err)
		}
		analyze(b, st)
		for b.Loop() {
			res, err := eng.Recompute(ctx, hash, "", false, nil)
			if err != nil {
				b.Fatal(err)
			}
			if res.Entered+res.Left != 0 {
				b.Fatalf("a steady re-evaluation changed memberships: %+v", res)
			}
		}
		b.ReportMetric(float64(n), "shoppers")
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/evaluation")
	})
}

// BenchmarkSegmentPush pushes 10,000 membership changes
// (BCFLOW_BENCH_SEGMENT_CHANGES) to the emulated BigCommerce under a quota
// (BCFLOW_BENCH_SEGMENT_QUOTA requests per BCFLOW_BENCH_SEGMENT_WINDOW_MS,
// default 50 per 250 ms: BigCommerce's windows compressed): iterations
// alternate between adding every customer to a segment (shopper profiles
// created on the first) and removing them all. It reports the requests per
// second reached (req/s), the share of the quota the client allows itself
// (allowed-share: 1 − ReserveShare) and the rate that makes
// (allowed-req/s), their ratio (ratio: the target is ≥ 0.95), the
// share of the allowed requests used over the whole windows the pushes
// spanned (window-use: a push ending early in a window counts the whole
// window), and the 429s (which fail it). Setup (the recompute making the
// changes) is not timed.
func BenchmarkSegmentPush(b *testing.B) {
	n := benchEnv("BCFLOW_BENCH_SEGMENT_CHANGES", 10_000)
	quota := benchEnv("BCFLOW_BENCH_SEGMENT_QUOTA", 50)
	window := time.Duration(benchEnv("BCFLOW_BENCH_SEGMENT_WINDOW_MS", 250)) * time.Millisecond
	ctx := context.Background()
	st := openStore(b, postgresSchemaURL(b))
	emu, _, bc := bcEmulator(b, 1<<30, bigcommerce.Options{})
	hash := bc.StoreHash()
	at := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

	var customers []store.MirrorCustomer
	for i := range n {
		email := fmt.Sprintf("push%06d@bench.example", i)
		c, err := emu.CreateCustomer(hash, bcemu.CustomerInput{Email: email, FirstName: "Bench", LastName: "Shopper"})
		if err != nil {
			b.Fatal(err)
		}
		customers = append(customers, store.MirrorCustomer{ID: int64(c.ID), Email: email, GroupID: 1, ChannelIDs: []int{1},
			DateCreated: at, DateModified: at})
	}
	for len(customers) > 0 {
		k := min(1000, len(customers))
		if err := st.UpsertCustomers(ctx, hash, customers[:k]); err != nil {
			b.Fatal(err)
		}
		customers = customers[k:]
	}
	with, err := config.ParseFlows("flows.yaml", []byte(`version: 1
defaults:
  segments:
    enabled: true
    push_to_bigcommerce: true
    push_to_brevo: false
    definitions:
      - name: registered
        title: Registered customers
        rule: {registered: true}
`))
	if err != nil {
		b.Fatal(err)
	}
	without, err := config.ParseFlows("flows.yaml", []byte(`version: 1
defaults:
  segments:
    enabled: true
    push_to_bigcommerce: true
    push_to_brevo: false
    definitions:
      - name: nobody
        title: Nobody
        rule: {orders_count: {at_least: 1000000}}
`))
	if err != nil {
		b.Fatal(err)
	}
	flows := with
	clock := at
	eng := &Engine{Store: st, Flows: func() *config.Flows { return flows },
		BigCommerce: func(string) (*bigcommerce.Client, error) { return bc, nil }, Now: func() time.Time { return clock }}
	if _, err := emu.SetRateLimit(hash, quota, window); err != nil {
		b.Fatal(err)
	}

	var requests, throttled, windows int
	var spent time.Duration
	add := true
	for b.Loop() {
		b.StopTimer()
		clock = clock.Add(time.Minute)
		if add {
			flows = with
		} else {
			flows = without
		}
		res, err := eng.Recompute(ctx, hash, "", false, nil)
		if err != nil {
			b.Fatal(err)
		}
		if res.Entered+res.Left != n {
			b.Fatalf("recompute changed %d memberships, want %d", res.Entered+res.Left, n)
		}
		analyze(b, st)
		before, err := emu.RequestStats(hash)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		pushed := 0
		for {
			r, err := eng.Push(ctx, hash, n)
			if err != nil {
				b.Fatal(err)
			}
			pushed += r.BigCommerceAdded + r.BigCommerceRemoved
			if r.Skipped > 0 || r.BigCommerceUnavailable {
				b.Fatalf("push skipped: %+v", r)
			}
			if !r.More {
				break
			}
		}
		took := time.Since(start)
		b.StopTimer()
		if pushed != n {
			b.Fatalf("pushed %d changes, want %d", pushed, n)
		}
		after, err := emu.RequestStats(hash)
		if err != nil {
			b.Fatal(err)
		}
		requests += after.Requests - before.Requests
		throttled += after.Throttled - before.Throttled
		spent += took
		windows += int(math.Ceil(float64(took) / float64(window)))
		add = !add
		b.StartTimer()
	}
	rl := bc.RateLimit()
	allowed := 1 - float64(rl.Reserve)/float64(rl.Quota) // the share of each window the client uses
	allowedRate := float64(quota-rl.Reserve) / window.Seconds()
	rate := float64(requests) / spent.Seconds()
	b.ReportMetric(float64(n), "changes/op")
	b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
	b.ReportMetric(rate, "req/s")
	b.ReportMetric(allowed, "allowed-share")
	b.ReportMetric(allowedRate, "allowed-req/s")
	b.ReportMetric(rate/allowedRate, "ratio")
	b.ReportMetric(float64(requests)/(float64(windows)*float64(quota-rl.Reserve)), "window-use")
	b.ReportMetric(float64(throttled), "429s")
	if throttled > 0 {
		b.Errorf("%d requests answered 429", throttled)
	}
}
