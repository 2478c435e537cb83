package analytics

import (
	"context"
	"fmt"
	"math"

	"github.com/bcflow/bcflow/store"
)

// Holdout is the answer of GET .../analytics/holdout: the conversion of
// the carts cart recovery messaged against those it held back, over the
// period.
type Holdout struct {
	Period  Range `json:"period"`
	Channel int64 `json:"channel"`
	// Percent is the share of carts held back, from the flows file.
	Percent  int          `json:"percent"`
	Messaged HoldoutGroup `json:"messaged"`
	Holdout  HoldoutGroup `json:"holdout"`
	// RateDifference is the messaged rate minus the held-out rate, with
	// its 95 % confidence interval (normal approximation of the
	// difference of two proportions); 0 when a group has no carts.
	RateDifference     float64    `json:"rate_difference"`
	RateDifferenceCI95 [2]float64 `json:"rate_difference_ci95"`
	// IncrementalRevenue is the revenue the messages added:
	// RateDifference × messaged carts × the mean converted order value
	// (both groups), with its interval from the rate's.
	IncrementalRevenue     string    `json:"incremental_revenue"`
	IncrementalRevenueCI95 [2]string `json:"incremental_revenue_ci95"`
	// Significant: the interval of the difference excludes 0.
	Significant bool `json:"significant"`
}

// HoldoutGroup is one group's carts and conversions.
type HoldoutGroup struct {
	Carts     int64   `json:"carts"`
	Converted int64   `json:"converted"`
	Rate      float64 `json:"rate"`
	Revenue   string  `json:"revenue"`
}

// z95 is the standard normal quantile of a two-sided 95 % interval.
const z95 = 1.959963984540054

// GroupCounts are one holdout group's raw figures.
type GroupCounts struct {
	Carts, Converted int64
	Revenue          store.Money
}

// Compare compares the messaged group with the held-out group: rates, their
// difference with its 95 % interval, and the incremental revenue. It is
// zero-safe: a group without carts has rate 0, and then the difference,
// its interval and the incremental revenue are 0 and not significant.
func Compare(messaged, holdout GroupCounts) Holdout {
	g := func(c GroupCounts) HoldoutGroup {
		return HoldoutGroup{Carts: c.Carts, Converted: c.Converted, Rate: ratio(c.Converted, c.Carts), Revenue: FormatMoney(c.Revenue)}
	}
	out := Holdout{Messaged: g(messaged), Holdout: g(holdout), IncrementalRevenue: "0.00",
		IncrementalRevenueCI95: [2]string{"0.00", "0.00"}}
	if messaged.Carts == 0 || holdout.Carts == 0 {
		return out
	}
	p1, p0 := out.Messaged.Rate, out.Holdout.Rate
	diff := p1 - p0
	se := math.Sqrt(p1*(1-p1)/float64(messaged.Carts) + p0*(1-p0)/float64(holdout.Carts))
	lo, hi := diff-z95*se, diff+z95*se
	out.RateDifference, out.RateDifferenceCI95 = diff, [2]float64{lo, hi}
	out.Significant = lo > 0 || hi < 0
	mean := 0.0
	if conv := messaged.Converted + holdout.Converted; conv > 0 {
		mean = (messaged.Revenue + holdout.Revenue).Float64() / float64(conv)
	}
	scale := float64(messaged.Carts) * mean
	out.IncrementalRevenue = formatFloatMoney(diff * scale)
	out.IncrementalRevenueCI95 = [2]string{formatFloatMoney(lo * scale), formatFloatMoney(hi * scale)}
	return out
}

// HoldoutCounts reads the groups from decision rows: cart recovery's
// holdout step, decision "assigned" (a cart put in a group) and
// "converted" (its order, with the amount), the group in the reason.
func HoldoutCounts(r Range, rows []RollupRow) (messaged, holdout GroupCounts) {
	for _, row := range rows {
		if row.Kind != KindDecision || row.K1 != flowCartRecovery || row.K2 != stepHoldout || !r.Contains(row.Day) {
			continue
		}
		var g *GroupCounts
		switch row.K4 {
		case groupMessaged:
			g = &messaged
		case groupHoldout:
			g = &holdout
		default:
			continue
		}
		switch row.K3 {
		case decisionAssigned:
			g.Carts += row.N
		case decisionConverted:
			g.Converted += row.N
			g.Revenue += row.Amount
		}
	}
	return messaged, holdout
}

// ComposeHoldout builds the holdout comparison of q.Period from decision
// rows, with the configured percent.
func ComposeHoldout(q Query, rows []RollupRow, percent int) Holdout {
	out := Compare(HoldoutCounts(q.Period, rows))
	out.Period, out.Channel, out.Percent = q.Period, q.Channel, percent
	return out
}

// Holdout reads and composes the holdout comparison of storeHash, with the
// holdout percent of its flows file for q.Channel.
func (s *Service) Holdout(ctx context.Context, storeHash string, q Query) (Holdout, error) {
	rows, err := s.totals(ctx, storeHash, q.Channel, q.Period, KindDecision)
	if err != nil {
		return Holdout{}, fmt.Errorf("analytics: holdout rollups: %w", err)
	}
	percent := 0
	if set := s.flows().For(storeHash, int(q.Channel)); set.CartRecovery != nil && set.CartRecovery.Enabled {
		percent = set.CartRecovery.HoldoutPercent
	}
	return ComposeHoldout(q, rows, percent), nil
}
