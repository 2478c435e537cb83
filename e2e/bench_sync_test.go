package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bcflow/bcflow/emulator/bcemu"
	"github.com/bcflow/bcflow/emulator/brevoemu"
	"github.com/bcflow/bcflow/starter"
	"github.com/bcflow/bcflow/workflows"
)

// BenchmarkHistoricalSync measures a historical sync of a generated store
// (issue 12's speed targets) with `bcflow worker` as its own process on
// PostgreSQL: list requests against the minimum number of pages, wall
// time against the quota-bound minimum (pages ÷ the rate bcflow allows
// itself: quota × (1 − reserve share) per window), 429s from BigCommerce
// and Brevo, and the worker's peak RSS. The store's size and quota come
// from the environment (scripts/bench-sync sets them):
//
//	BCFLOW_BENCH_SYNC_CUSTOMERS, _ORDERS, _PRODUCTS, _CATEGORIES (10000, 50000, 1000, 50)
//	BCFLOW_BENCH_SYNC_QUOTA, BCFLOW_BENCH_SYNC_WINDOW (150, 30s): the store's rate limit
//	(the Standard plan's; a shorter window compresses time)
//	BCFLOW_BENCH_SYNC_CONCURRENCY (16)
//
// Brevo's published limits apply with time compressed 3600× (its batch
// endpoints allow 100 requests an hour: real Brevo takes hours for a large
// store's orders; see README).
func BenchmarkHistoricalSync(b *testing.B) {
	size := bcemu.BulkOptions{
		Customers: envInt(b, "BCFLOW_BENCH_SYNC_CUSTOMERS", 10000), Orders: envInt(b, "BCFLOW_BENCH_SYNC_ORDERS", 50000),
		Products: envInt(b, "BCFLOW_BENCH_SYNC_PRODUCTS", 1000), Categories: envInt(b, "BCFLOW_BENCH_SYNC_CATEGORIES", 50), Seed: 7,
	}
	quota := envInt(b, "BCFLOW_BENCH_SYNC_QUOTA", 150)
	window, err := time.ParseDuration(envString("BCFLOW_BENCH_SYNC_WINDOW", "30s"))
	if err != nil {
		b.Fatal(err)
	}
	concurrency := envInt(b, "BCFLOW_BENCH_SYNC_CONCURRENCY", 16)
	for range b.N {
		s, w := newWorkerProcessStack(b, stackOptions{}, fmt.Sprintf("BCFLOW_BC_SYNC_CONCURRENCY=%d", concurrency))
		if _, err := s.bc.BulkGenerate(s.hash, size); err != nil {
			b.Fatal(err)
		}
		if _, err := s.bc.SetRateLimit(s.hash, quota, window); err != nil {
			b.Fatal(err)
		}
		if err := s.brevo.SetRateLimits(brevoemu.RateLimitConfig{Families: brevoemu.PublishedRateLimits(), TimeScale: 3600}); err != nil {
			b.Fatal(err)
		}
		// Let the window the setup used pass, then count from zero.
		time.Sleep(window)
		if err := s.bc.ResetRequestStats(s.hash); err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		start := time.Now()
		runID, err := starter.StartSync(ctx, s.c, workflows.StoreSyncInput{StoreHash: s.hash, Kind: workflows.SyncHistorical}, taskQueue)
		if err != nil {
			b.Fatal(err)
		}
		var res workflows.StoreSyncResult
		if err := s.c.GetWorkflow(ctx, workflows.StoreSyncID(s.hash, workflows.SyncHistorical), runID).Get(ctx, &res); err != nil {
			b.Fatal(err)
		}
		wall := time.Since(start)
		stats, err := s.bc.RequestStats(s.hash)
		if err != nil {
			b.Fatal(err)
		}
		var items int64
		minPages := 0
		for _, p := range res.Resources {
			minPages += max(int((p.Total+249)/250), 1)
			items += p.Done
		}
		listRequests := 0
		for _, path := range []string{"GET /v2/orders", "GET /v3/customers", "GET /v3/catalog/products", "GET /v3/catalog/categories"} {
			listRequests += stats.Paths[path].Requests
		}
		allowed := float64(quota) * 0.8 / window.Seconds() // requests a second bcflow allows itself
		bound := time.Duration(float64(minPages) / allowed * float64(time.Second))
		rss := peakRSS(b, w.cmd.Process.Pid)
		cpu := processCPU(b, w.cmd.Process.Pid)
		bv := s.brevo.Counts()
		b.ReportMetric(float64(items), "items")
		b.ReportMetric(float64(minPages), "min-pages")
		b.ReportMetric(float64(listRequests)/float64(minPages), "requests/min-pages")
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(wall.Seconds()/bound.Seconds(), "wall/quota-bound")
		b.ReportMetric(float64(stats.Throttled), "bc-429")
		b.ReportMetric(float64(bv.Limited), "brevo-429")
		b.ReportMetric(float64(rss)/(1<<20), "worker-peak-rss-MiB")
		b.ReportMetric(float64(cpu.Milliseconds())/float64(minPages), "worker-cpu-ms/page")
		for ep, c := range s.brevo.RequestCounts() {
			if c.Limited > 0 {
				b.Logf("Brevo refused %d of %d requests to %s", c.Limited, c.Requests, ep)
			}
		}
		if bv.Orders != size.Orders {
			b.Errorf("Brevo holds %d orders of %d", bv.Orders, size.Orders)
		}
		s.sampleOrders(b, size.Orders)
	}
}

// peakRSS reads a process's peak resident set (VmHWM) in bytes.
func peakRSS(b *testing.B, pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatal("no VmHWM in /proc status")
	return 0
}

// processCPU reads a process's user and system CPU time so far.
func processCPU(b *testing.B, pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name (which may hold spaces) in parentheses.
	fields := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("/proc/%d/stat: %v %v", pid, err1, err2)
	}
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	return n
}

func envString(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
