package analytics

import (
	"context"
	"fmt"
	"slices"
)

// StoreView is a store the dashboard can show, with its channels.
type StoreView struct {
	StoreHash string  `json:"store_hash"`
	Channels  []int64 `json:"channels"`
}

// Stores lists the configured stores and every store with figures, by
// hash, each with the channels it has figures for.
func (s *Service) Stores(ctx context.Context, configured []string) ([]StoreView, error) {
	hashes, err := s.Source.AnalyticsStores(ctx)
	if err != nil {
		return nil, fmt.Errorf("analytics: stores: %w", err)
	}
	hashes = append(slices.Clone(configured), hashes...)
	slices.Sort(hashes)
	hashes = slices.Compact(hashes)
	out := make([]StoreView, 0, len(hashes))
	for _, h := range hashes {
		chs, err := s.Source.RollupChannels(ctx, h)
		if err != nil {
			return nil, fmt.Errorf("analytics: channels of %s: %w", h, err)
		}
		chs = slices.DeleteFunc(slices.Clone(chs), func(c int64) bool { return c == 0 })
		slices.Sort(chs)
		if chs == nil {
			chs = []int64{}
		}
		out = append(out, StoreView{StoreHash: h, Channels: chs})
	}
	return out, nil
}
