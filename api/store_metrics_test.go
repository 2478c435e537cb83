package api

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bcflow/bcflow/analytics"
	"github.com/bcflow/bcflow/store"
)

// fakeMetricsSource answers the collector's reads from memory; failing
// makes a part fail.
type fakeMetricsSource struct {
	rows map[string][]analytics.RollupRow
	// channelRows are the rows of one channel (rows are the whole store's).
	channelRows map[string]map[int64][]analytics.RollupRow
	runs        map[string][]store.SyncRun
	sizes       map[string]map[string]int
	failing     map[string]bool
	reads       int
}

func (f *fakeMetricsSource) fail(part string) error {
	if f.failing[part] {
		return errors.New("database is locked")
	}
	return nil
}

func (f *fakeMetricsSource) AnalyticsStores(context.Context) ([]string, error) {
	f.reads++
	if err := f.fail("stores"); err != nil {
		return nil, err
	}
	return []string{"abc123", "def456"}, nil
}

func (f *fakeMetricsSource) RollupChannels(_ context.Context, sh string) ([]int64, error) {
	return slices.Sorted(maps.Keys(f.channelRows[sh])), f.fail("rollups " + sh)
}

func (f *fakeMetricsSource) RollupTotals(_ context.Context, sh string, ch int64, from, to string, kinds ...string) ([]analytics.RollupRow, error) {
	if ch != 0 {
		return f.channelRows[sh][ch], f.fail("rollups " + sh)
	}
	if from != "0001-01-01" || to != "9999-12-31" || len(kinds) != 1 || kinds[0] != analytics.KindDecision {
		return nil, errors.New("unexpected rollups query")
	}
	if err := f.fail("rollups " + sh); err != nil {
		return nil, err
	}
	return f.rows[sh], nil
}

func (f *fakeMetricsSource) SyncRuns(_ context.Context, sh string) ([]store.SyncRun, error) {
	return f.runs[sh], f.fail("sync " + sh)
}

func (f *fakeMetricsSource) SegmentSizes(_ context.Context, sh string) (map[string]int, error) {
	return f.sizes[sh], f.fail("segments " + sh)
}

func TestStoreMetrics(t *testing.T) {
	dec := func(flow, step, decision string, n int64, amount store.Money) analytics.RollupRow {
		return analytics.RollupRow{Day: "2026-11-01", Kind: analytics.KindDecision, K1: flow, K2: step, K3: decision, N: n, Amount: amount}
	}
	src := &fakeMetricsSource{
		rows: map[string][]analytics.RollupRow{"abc123": {
			dec("cart-recovery", "reminder-1", "sent", 3, 0),
			{Day: "2026-11-02", Kind: analytics.KindDecision, K1: "cart-recovery", K2: "reminder-1", K3: "sent", N: 2},
			dec("cart-recovery", "reminder-1", "skipped", 1, 0),
			{Day: "2026-11-02", Kind: analytics.KindDecision, K1: "cart-recovery", K2: "reminder-1", K3: "skipped", K4: "quiet hours", N: 4},
			dec("cart-recovery", "reminder-2", "unknown", 1, 0),
			dec("cart-recovery", "reminder-1", "recovered", 2, 1234500),
			dec("cart-recovery", "holdout", "assigned", 9, 0),
			dec("order-lifecycle", "", "sent", 4, 0), // the hub signalled cart flows: no message
		}},
		// Of the 5 reminder-1 sends, 4 were on channel 1 (3) and 2 (1); one had no channel.
		channelRows: map[string]map[int64][]analytics.RollupRow{"abc123": {
			1: {dec("cart-recovery", "reminder-1", "sent", 3, 0), dec("cart-recovery", "reminder-2", "unknown", 1, 0)},
			2: {dec("cart-recovery", "reminder-1", "sent", 1, 0), dec("cart-recovery", "reminder-1", "recovered", 2, 1234500)},
		}},
		runs: map[string][]store.SyncRun{"abc123": {{Kind: "historical", Resources: []store.ResourceProgress{
			{Resource: "customers", Total: 200, Done: 50},
			{Resource: "orders", Total: -1},
			{Resource: "products", Total: 10, Done: 10, Finished: true},
		}}}},
		sizes:   map[string]map[string]int{"abc123": {"vip": 12}, "def456": {"vip": 3}},
		failing: map[string]bool{"sync def456": true},
	}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	m := NewStoreMetrics(StoreMetricsOptions{Source: src, Stores: []string{"abc123"}, Now: func() time.Time { return now }})
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	want := map[string]float64{
		`bcflow_messages_total{channel="",flow="cart-recovery",outcome="sent",step="reminder-1",store="abc123"}`:     1,
		`bcflow_messages_total{channel="1",flow="cart-recovery",outcome="sent",step="reminder-1",store="abc123"}`:    3,
		`bcflow_messages_total{channel="2",flow="cart-recovery",outcome="sent",step="reminder-1",store="abc123"}`:    1,
		`bcflow_messages_total{channel="",flow="cart-recovery",outcome="skipped",step="reminder-1",store="abc123"}`:  5,
		`bcflow_messages_total{channel="1",flow="cart-recovery",outcome="unknown",step="reminder-2",store="abc123"}`: 1,
		`bcflow_recovered_revenue_total{store="abc123"}`:                                                             123.45,
		`bcflow_recovered_revenue_total{store="def456"}`:                                                             0,
		`bcflow_sync_progress{kind="historical",resource="customers",store="abc123"}`:                                0.25,
		`bcflow_sync_progress{kind="historical",resource="orders",store="abc123"}`:                                   0,
		`bcflow_sync_progress{kind="historical",resource="products",store="abc123"}`:                                 1,
		`bcflow_segment_members{segment="vip",store="abc123"}`:                                                       12,
		`bcflow_segment_members{segment="vip",store="def456"}`:                                                       3,
	}
	got := withPrefix(scrape(t, reg), "bcflow_")
	if !maps.Equal(got, want) {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
	// Within the TTL the store is not read again.
	src.sizes["abc123"]["vip"] = 13
	scrape(t, reg)
	if src.reads != 1 {
		t.Fatalf("%d reads within the TTL", src.reads)
	}
	// After it, it is; a part that fails has no sample, the scrape still answers.
	now = now.Add(10 * time.Second)
	src.failing["rollups abc123"] = true
	got = withPrefix(scrape(t, reg), "bcflow_")
	if src.reads != 2 || got[`bcflow_segment_members{segment="vip",store="abc123"}`] != 13 {
		t.Fatalf("after the TTL: %d reads, %v", src.reads, got)
	}
	if _, ok := got[`bcflow_recovered_revenue_total{store="abc123"}`]; ok {
		t.Fatal("a failed read left a sample")
	}
	// Even with nothing readable.
	now = now.Add(time.Minute)
	src.failing = map[string]bool{"stores": true, "rollups abc123": true, "sync abc123": true, "segments abc123": true}
	if got := withPrefix(scrape(t, reg), "bcflow_"); len(got) != 0 {
		t.Fatalf("store down: %v", got)
	}
}
