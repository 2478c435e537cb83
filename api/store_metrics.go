package api

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bcflow/bcflow/analytics"
	"github.com/bcflow/bcflow/store"
)

// MetricsSource is the part of the store the business metrics read;
// *store.Store implements it.
type MetricsSource interface {
	AnalyticsStores(ctx context.Context) ([]string, error)
	RollupChannels(ctx context.Context, storeHash string) ([]int64, error)
	RollupTotals(ctx context.Context, storeHash string, channelID int64, from, to string, kinds ...string) ([]analytics.RollupRow, error)
	SyncRuns(ctx context.Context, storeHash string) ([]store.SyncRun, error)
	SegmentSizes(ctx context.Context, storeHash string) (map[string]int, error)
}

// StoreMetricsOptions configure NewStoreMetrics.
type StoreMetricsOptions struct {
	// Source is the store; required.
	Source MetricsSource
	// Stores are the configured stores; the stores with figures are added.
	Stores []string
	// TTL is how long a reading of the store is served (default 10 s).
	TTL time.Duration
	// Timeout bounds one reading (default 5 s).
	Timeout time.Duration
	// Now is the clock of the cache (default time.Now).
	Now func() time.Time
	// Logger receives failures to read the store.
	Logger *slog.Logger
}

// StoreMetrics is a prometheus.Collector of bcflow's business figures,
// read from the store at most once per TTL:
//
//	bcflow_messages_total{store,channel,flow,step,outcome}  decisions of the send path (sent, skipped, deferred, failed, unknown), all days;
//	                                                channel is the BigCommerce channel id, "" for decisions recorded without one
//	bcflow_recovered_revenue_total{store}           revenue of recovered carts, in the store's currency, all days
//	bcflow_sync_progress{store,kind,resource}       the latest sync of each kind, done/total (0..1; 1 when finished)
//	bcflow_segment_members{store,segment}           current members of each segment
//
// A part the store fails to answer is logged and has no sample; the
// scrape never fails because of it.
type StoreMetrics struct {
	opts StoreMetricsOptions

	messages, revenue, sync, segments *prometheus.Desc

	mu      sync.Mutex
	readAt  time.Time
	samples []prometheus.Metric
}

// messageOutcomes are the decisions bcflow_messages_total counts.
var messageOutcomes = []string{"sent", "skipped", "deferred", "failed", "unknown"}

// sendPath reports whether r counts in bcflow_messages_total: an outcome
// of a flow's step (what a flow records without a step, such as the order
// hub signalling a cart flow, is not a message).
func sendPath(r analytics.RollupRow) bool {
	return r.K2 != "" && slices.Contains(messageOutcomes, r.K3)
}

// NewStoreMetrics builds the collector; register it on the process's
// registry.
func NewStoreMetrics(opts StoreMetricsOptions) *StoreMetrics {
	if opts.TTL == 0 {
		opts.TTL = 10 * time.Second
	}
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &StoreMetrics{
		opts: opts,
		messages: prometheus.NewDesc("bcflow_messages_total",
			"Decisions of the flows' send path by store, BigCommerce channel (empty: recorded without one), flow, step and outcome (sent, skipped, deferred, failed, unknown).",
			[]string{"store", "channel", "flow", "step", "outcome"}, nil),
		revenue: prometheus.NewDesc("bcflow_recovered_revenue_total",
			"Revenue of the orders recovered by cart reminders, in the store's currency.", []string{"store"}, nil),
		sync: prometheus.NewDesc("bcflow_sync_progress",
			"Progress of the latest store sync of each kind per resource, 0 to 1 (1 when finished).",
			[]string{"store", "kind", "resource"}, nil),
		segments: prometheus.NewDesc("bcflow_segment_members",
			"Current members of each customer segment.", []string{"store", "segment"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (m *StoreMetrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.messages
	ch <- m.revenue
	ch <- m.sync
	ch <- m.segments
}

// Collect implements prometheus.Collector: the cached samples, read again
// once older than TTL.
func (m *StoreMetrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	if now := m.opts.Now(); m.samples == nil || now.Sub(m.readAt) >= m.opts.TTL {
		m.samples, m.readAt = m.read(), now
	}
	samples := m.samples
	m.mu.Unlock()
	for _, s := range samples {
		ch <- s
	}
}

// read reads every figure of every store; a failed part is logged and
// left out.
func (m *StoreMetrics) read() []prometheus.Metric {
	ctx, cancel := context.WithTimeout(context.Background(), m.opts.Timeout)
	defer cancel()
	out := []prometheus.Metric{}
	fail := func(what, storeHash string, err error) {
		m.opts.Logger.Warn("business metrics: read "+what, "store", storeHash, "error", err.Error())
	}
	stores := slices.Clone(m.opts.Stores)
	known, err := m.opts.Source.AnalyticsStores(ctx)
	if err != nil {
		fail("stores", "", err)
	}
	stores = append(stores, known...)
	slices.Sort(stores)
	for _, sh := range slices.Compact(stores) {
		if samples, err := m.messageSamples(ctx, sh); err != nil {
			fail("decision rollups", sh, err)
		} else {
			out = append(out, samples...)
		}
		if runs, err := m.opts.Source.SyncRuns(ctx, sh); err != nil {
			fail("sync runs", sh, err)
		} else {
			for _, r := range runs {
				for _, p := range r.Resources {
					out = append(out, prometheus.MustNewConstMetric(m.sync, prometheus.GaugeValue, syncProgress(p), sh, r.Kind, p.Resource))
				}
			}
		}
		if sizes, err := m.opts.Source.SegmentSizes(ctx, sh); err != nil {
			fail("segment sizes", sh, err)
		} else {
			for seg, n := range sizes {
				out = append(out, prometheus.MustNewConstMetric(m.segments, prometheus.GaugeValue, float64(n), sh, seg))
			}
		}
	}
	return out
}

// messageSamples reads a store's decision rollups of all days, whole store
// and per channel, into its message counts (by channel; what no channel
// holds is the channel "") and its recovered revenue.
func (m *StoreMetrics) messageSamples(ctx context.Context, storeHash string) ([]prometheus.Metric, error) {
	type key struct{ channel, flow, step, outcome string }
	counts := map[key]int64{}
	var recovered store.Money
	read := func(channel int64) ([]analytics.RollupRow, error) {
		return m.opts.Source.RollupTotals(ctx, storeHash, channel, "0001-01-01", "9999-12-31", analytics.KindDecision)
	}
	rows, err := read(0)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if r.Kind != analytics.KindDecision {
			continue
		}
		if r.K3 == "recovered" {
			recovered += r.Amount
		}
		if sendPath(r) {
			counts[key{"", r.K1, r.K2, r.K3}] += r.N
		}
	}
	channels, err := m.opts.Source.RollupChannels(ctx, storeHash)
	if err != nil {
		return nil, err
	}
	for _, ch := range channels {
		rows, err := read(ch)
		if err != nil {
			return nil, err
		}
		label := strconv.FormatInt(ch, 10)
		for _, r := range rows {
			if r.Kind == analytics.KindDecision && sendPath(r) {
				counts[key{label, r.K1, r.K2, r.K3}] += r.N
				counts[key{"", r.K1, r.K2, r.K3}] -= r.N // the whole store's row counts it too
			}
		}
	}
	out := make([]prometheus.Metric, 0, len(counts)+1)
	for k, n := range counts {
		if n == 0 && k.channel == "" {
			continue // every such decision had a channel
		}
		out = append(out, prometheus.MustNewConstMetric(m.messages, prometheus.CounterValue, float64(n), storeHash, k.channel, k.flow, k.step, k.outcome))
	}
	return append(out, prometheus.MustNewConstMetric(m.revenue, prometheus.CounterValue, recovered.Float64(), storeHash)), nil
}

// syncProgress is a resource's share done: 1 when finished, 0 while its
// total is unknown.
func syncProgress(p store.ResourceProgress) float64 {
	switch {
	case p.Finished:
		return 1
	case p.Total <= 0:
		return 0
	default:
		return min(1, float64(p.Done)/float64(p.Total))
	}
}
