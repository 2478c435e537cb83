package analytics

import (
	"context"

	"github.com/bcflow/bcflow/store"
)

// RollupRow is one day's figure of one kind and key, as the store sums it.
type RollupRow = store.RollupRow

// TierCount is how many loyalty members a tier holds and their points.
type TierCount = store.TierCount

// Rollup kinds (the store's).
const (
	KindOrders     = store.RollupOrders
	KindCustomers  = store.RollupCustomers
	KindEntered    = store.RollupEntered
	KindDecision   = store.RollupDecision
	KindEngagement = store.RollupEngagement
	KindLoyalty    = store.RollupLoyalty
	KindSegment    = store.RollupSegment
)

// Source is the part of the store the figures read; *store.Store implements
// it.
type Source interface {
	// Rollups returns rows summed per (day, kind, k1..k4) for the days from
	// to to (inclusive, YYYY-MM-DD) of channelID (0: the whole store).
	Rollups(ctx context.Context, storeHash string, channelID int64, from, to string, kinds ...string) ([]RollupRow, error)
	// RollupTotals is Rollups summed over the days: one row per (kind,
	// k1..k4), Day empty.
	RollupTotals(ctx context.Context, storeHash string, channelID int64, from, to string, kinds ...string) ([]RollupRow, error)
	// RollupChannels lists the channel ids with any rollup (0 aside).
	RollupChannels(ctx context.Context, storeHash string) ([]int64, error)
	// AnalyticsStores lists the store hashes with any rollup.
	AnalyticsStores(ctx context.Context) ([]string, error)
	// CustomersTotal counts the customers of channelID, all days.
	CustomersTotal(ctx context.Context, storeHash string, channelID int64) (int64, error)
	// LoyaltyTiers counts loyalty members and their points per tier.
	LoyaltyTiers(ctx context.Context, storeHash string) ([]TierCount, error)
	// SegmentSizes counts the current members of each segment.
	SegmentSizes(ctx context.Context, storeHash string) (map[string]int, error)
}
