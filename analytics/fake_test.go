package analytics

import (
	"cmp"
	"context"
	"slices"
	"sync"
)

// fakeSource keeps rollup rows per channel in memory and answers as the
// store does: rows summed per (day, kind, keys) within the days and kinds
// asked, the whole store being channel 0.
type fakeSource struct {
	rows      map[int64][]RollupRow
	customers map[int64]int64
	tiers     []TierCount
	sizes     map[string]int
	stores    []string
	mu        sync.Mutex
	asked     []string // "from..to" of each Rollups call, "totals from..to" of each RollupTotals call
}

func (f *fakeSource) Rollups(_ context.Context, _ string, ch int64, from, to string, kinds ...string) ([]RollupRow, error) {
	f.ask(from + ".." + to)
	return f.rollups(ch, from, to, kinds...), nil
}

func (f *fakeSource) ask(q string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, q)
}

func (f *fakeSource) rollups(ch int64, from, to string, kinds ...string) []RollupRow {
	sums := map[RollupRow]*RollupRow{}
	var out []RollupRow
	for _, r := range f.rows[ch] {
		if r.Day < from || r.Day > to || (len(kinds) > 0 && !slices.Contains(kinds, r.Kind)) {
			continue
		}
		k := r
		k.N, k.Amount = 0, 0
		if s := sums[k]; s != nil {
			s.N += r.N
			s.Amount += r.Amount
			continue
		}
		c := r
		sums[k] = &c
	}
	for _, s := range sums {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b RollupRow) int {
		return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.K1, b.K1), cmp.Compare(a.K2, b.K2),
			cmp.Compare(a.K3, b.K3), cmp.Compare(a.K4, b.K4))
	})
	return out
}

func (f *fakeSource) RollupTotals(ctx context.Context, sh string, ch int64, from, to string, kinds ...string) ([]RollupRow, error) {
	f.ask("totals " + from + ".." + to)
	rows := f.rollups(ch, from, to, kinds...)
	sums := map[RollupRow]*RollupRow{}
	var keys []RollupRow
	for _, r := range rows {
		k := r
		k.Day, k.N, k.Amount = "", 0, 0
		if sums[k] == nil {
			c := k
			sums[k] = &c
			keys = append(keys, k)
		}
		sums[k].N += r.N
		sums[k].Amount += r.Amount
	}
	out := make([]RollupRow, 0, len(keys))
	for _, k := range keys {
		out = append(out, *sums[k])
	}
	return out, nil
}

func (f *fakeSource) RollupChannels(context.Context, string) ([]int64, error) {
	var out []int64
	for ch := range f.rows {
		if ch != 0 {
			out = append(out, ch)
		}
	}
	return out, nil
}

func (f *fakeSource) AnalyticsStores(context.Context) ([]string, error) { return f.stores, nil }

func (f *fakeSource) CustomersTotal(_ context.Context, _ string, ch int64) (int64, error) {
	return f.customers[ch], nil
}

func (f *fakeSource) LoyaltyTiers(context.Context, string) ([]TierCount, error) { return f.tiers, nil }

func (f *fakeSource) SegmentSizes(context.Context, string) (map[string]int, error) {
	return f.sizes, nil
}
