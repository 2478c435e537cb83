package analytics

import (
	"context"

	"github.com/bcflow/bcflow/store"
)

// RollupRow is one day's figure of one kind and key, as the store sums it.
type RollupRow struct {
	Day            string // YYYY-MM-DD, UTC
	Kind           string
	K1, K2, K3, K4 string
	N              int64
	Amount         store.Money
}

// TierCount is how many loyalty members a tier holds and their points.
type TierCount struct {
	Tier    string
	Members int64
	Points  int64
}

// Rollup kinds (the store's).
const (
	KindOrders     = "orders"
	KindCustomers  = "customers"
	KindEntered    = "entered"
	KindDecision   = "decision"
	KindEngagement = "engagement"
	KindLoyalty    = "loyalty"
	KindSegment    = "segment"
)

// Source is the part of the store the figures read; *store.Store implements
// it.
type Source interface {
	// Rollups returns rows summed per (day, kind, k1..k4) for the days from
	// to to (inclusive, YYYY-MM-DD) of channelID (0: the whole store).
	Rollups(ctx context.Context, storeHash string, channelID int64, from, to string, kinds ...string) ([]RollupRow, error)
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
