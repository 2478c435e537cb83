package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/bcflow/bcflow/emulator/bcemu"
)

// BenchmarkSegmentMembershipLatency measures how soon a shopper's segment
// membership is right after BigCommerce got the 2xx of the order's webhook:
// b.N guest orders are placed at BCFLOW_BENCH_ORDER_RATE orders per second
// (default 2; 0 places them as fast as 8 goroutines can) on the real
// Temporal server and the emulator (each order also sends its cart webhooks
// and starts the order's flows, as in production), and for each the time
// from the emulator's delivery of store/order/created to the shopper's
// entry into the built-in first_time_buyers segment in bcflow's store is
// taken. Above the rate the machine sustains, the figure is queueing. Run:
//
//	go test ./e2e -run '^$' -bench SegmentMembershipLatency -benchtime 200x
func BenchmarkSegmentMembershipLatency(b *testing.B) {
	s := newStack(b, stackOptions{})
	ctx := context.Background()
	run := benchSeq.Add(1)
	emails := make([]string, b.N)
	orderOf := make([]int, b.N)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	errs := make(chan error, b.N)
	rate := 2.0
	if v := os.Getenv("BCFLOW_BENCH_ORDER_RATE"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r < 0 {
			b.Fatalf("BCFLOW_BENCH_ORDER_RATE=%q: want orders per second, 0 for no pacing", v)
		}
		rate = r
	}
	if err := s.bc.ResetRequestStats(s.hash); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if rate > 0 {
			time.Sleep(time.Until(start.Add(time.Duration(float64(i) / rate * float64(time.Second)))))
		}
		emails[i] = fmt.Sprintf("latency-%d-%d@example.com", run, i)
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			c, err := s.bc.CreateCart(s.hash, bcemu.CartInput{Email: emails[i], Items: []bcemu.ItemInput{{SKU: "OTS", Quantity: 1}}})
			if err != nil {
				errs <- err
				return
			}
			o, err := s.bc.Checkout(s.hash, c.ID, bcemu.CheckoutInput{})
			if err != nil {
				errs <- err
				return
			}
			orderOf[i] = o.ID
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	// Every shopper is in the segment, eventually.
	deadline := time.Now().Add(3 * time.Minute)
	entered := make([]time.Time, b.N)
	for i := 0; i < b.N; {
		m, ok, err := s.store.CurrentSegmentMember(ctx, s.hash, "first_time_buyers", emails[i])
		if err != nil {
			b.Fatal(err)
		}
		if !ok {
			if time.Now().After(deadline) {
				b.Fatalf("%s not in first_time_buyers after 3 minutes", emails[i])
			}
			time.Sleep(50 * time.Millisecond)
			continue
		}
		entered[i] = m.EnteredAt
		i++
	}
	b.StopTimer()
	// The 2xx of each order's first webhook delivery, as the emulator saw it.
	deliveries, err := s.bc.Deliveries(s.hash)
	if err != nil {
		b.Fatal(err)
	}
	acked := map[int]time.Time{}
	for _, d := range deliveries {
		if d.Scope != "store/order/created" || d.Outcome != "delivered" {
			continue
		}
		var body struct {
			Data struct {
				ID int `json:"id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(d.Body, &body); err != nil {
			b.Fatal(err)
		}
		if t, ok := acked[body.Data.ID]; !ok || d.At.Before(t) {
			acked[body.Data.ID] = d.At
		}
	}
	var lat latencies
	for i := range b.N {
		at, ok := acked[orderOf[i]]
		if !ok {
			b.Fatalf("no delivered store/order/created webhook for order %d", orderOf[i])
		}
		lat.add(max(0, entered[i].Sub(at)))
	}
	lat.report(b, "membership-")
	// What each order costs the store's API quota (450 per 30 s here, the
	// Pro plan's): above it, the client paces and latency grows.
	stats, err := s.bc.RequestStats(s.hash)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(stats.Requests)/float64(b.N), "bigcommerce-requests/order")
	b.ReportMetric(float64(stats.Throttled), "bigcommerce-429s")
}
