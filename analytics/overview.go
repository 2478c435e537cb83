package analytics

import (
	"context"
	"fmt"
	"slices"
)

// Overview is the answer of GET .../analytics/overview.
type Overview struct {
	Period   Range         `json:"period"`
	Previous Range         `json:"previous"`
	Channel  int64         `json:"channel"`
	Store    StoreFigures  `json:"store"`
	Flows    FlowTotals    `json:"flows"`
	Loyalty  LoyaltyTotals `json:"loyalty"`
	Series   []OverviewDay `json:"series"`
}

// StoreFigures are the store's own figures, from the mirror's rollups.
type StoreFigures struct {
	CustomersTotal    int64            `json:"customers_total"`
	CustomersNew      Count            `json:"customers_new"`
	Orders            Count            `json:"orders"`
	Revenue           Amount           `json:"revenue"`
	AverageOrderValue Amount           `json:"average_order_value"`
	ByChannel         []ChannelFigures `json:"by_channel"`
}

// ChannelFigures are one channel's figures over the period.
type ChannelFigures struct {
	ChannelID      int64  `json:"channel_id"`
	CustomersTotal int64  `json:"customers_total"`
	Orders         int64  `json:"orders"`
	Revenue        string `json:"revenue"`
}

// FlowTotals add up every flow.
type FlowTotals struct {
	Entered          Count  `json:"entered"`
	Sent             Count  `json:"sent"`
	Converted        Count  `json:"converted"`
	RecoveredRevenue Amount `json:"recovered_revenue"`
	GoalsReached     Count  `json:"goals_reached"`
}

// LoyaltyTotals are the loyalty program's headline figures.
type LoyaltyTotals struct {
	Members        int64 `json:"members"`
	PointsIssued   Count `json:"points_issued"`
	PointsRedeemed Count `json:"points_redeemed"`
}

// OverviewDay is one day of the overview's series.
type OverviewDay struct {
	Day              string `json:"day"`
	Orders           int64  `json:"orders"`
	Revenue          string `json:"revenue"`
	CustomersNew     int64  `json:"customers_new"`
	Sent             int64  `json:"sent"`
	RecoveredRevenue string `json:"recovered_revenue"`
}

// overviewKinds are the rollup kinds the overview reads.
var overviewKinds = []string{KindOrders, KindCustomers, KindEntered, KindDecision, KindLoyalty}

// ComposeOverview builds the overview from the rollup rows of q's span
// (kinds overviewKinds, q.Channel), the store's customer total, each
// channel's figures and the loyalty tiers.
func ComposeOverview(q Query, rows []RollupRow, customersTotal int64, byChannel []ChannelFigures, tiers []TierCount) Overview {
	kind := func(k string) func(RollupRow) bool { return func(r RollupRow) bool { return r.Kind == k } }
	orders := sumRows(q, rows, kind(KindOrders))
	recovered := sumRows(q, rows, func(r RollupRow) bool { return funnelDecision(r, decisionRecovered) })
	issued, redeemed := pointsIssued(q, rows)
	withFunnel := funnelFlows(rows)
	out := Overview{
		Period: q.Period, Previous: q.Previous, Channel: q.Channel,
		Store: StoreFigures{
			CustomersTotal: customersTotal,
			CustomersNew:   sumRows(q, rows, kind(KindCustomers)).count(),
			Orders:         orders.count(),
			Revenue:        orders.amount(),
			AverageOrderValue: Amount{
				Current:  FormatMoney(average(orders.cur.Amount, orders.cur.N)),
				Previous: FormatMoney(average(orders.prev.Amount, orders.prev.N)),
			},
			ByChannel: byChannel,
		},
		Flows: FlowTotals{
			Entered:          sumRows(q, rows, func(r RollupRow) bool { return r.Kind == KindEntered && withFunnel[r.K1] }).count(),
			Sent:             sumRows(q, rows, func(r RollupRow) bool { return funnelDecision(r, decisionSent) }).count(),
			Converted:        sumRows(q, rows, conversion).count(),
			RecoveredRevenue: recovered.amount(),
			GoalsReached:     sumRows(q, rows, func(r RollupRow) bool { return r.Kind == KindDecision && r.K3 == decisionGoal }).count(),
		},
		Loyalty: LoyaltyTotals{Members: members(tiers), PointsIssued: issued, PointsRedeemed: redeemed},
	}
	if out.Store.ByChannel == nil {
		out.Store.ByChannel = []ChannelFigures{}
	}
	type day struct {
		orders, customers, sent tally
		revenue, recovered      tally
	}
	days := map[string]*day{}
	for _, r := range rows {
		if !q.Period.Contains(r.Day) {
			continue
		}
		d := days[r.Day]
		if d == nil {
			d = &day{}
			days[r.Day] = d
		}
		switch {
		case r.Kind == KindOrders:
			d.orders.add(r)
		case r.Kind == KindCustomers:
			d.customers.add(r)
		case funnelDecision(r, decisionSent):
			d.sent.add(r)
		case funnelDecision(r, decisionRecovered):
			d.recovered.add(r)
		}
	}
	for _, s := range q.Period.Days() {
		d := days[s]
		if d == nil {
			d = &day{}
		}
		out.Series = append(out.Series, OverviewDay{Day: s, Orders: d.orders.N, Revenue: FormatMoney(d.orders.Amount),
			CustomersNew: d.customers.N, Sent: d.sent.N, RecoveredRevenue: FormatMoney(d.recovered.Amount)})
	}
	if out.Series == nil {
		out.Series = []OverviewDay{}
	}
	return out
}

// Overview reads and composes the overview of storeHash.
func (s *Service) Overview(ctx context.Context, storeHash string, q Query) (Overview, error) {
	var rows []RollupRow
	var total int64
	var byChannel []ChannelFigures
	var tiers []TierCount
	err := parallel(
		func() (err error) {
			if rows, err = s.periodRows(ctx, storeHash, q, overviewKinds...); err != nil {
				err = fmt.Errorf("analytics: overview rollups: %w", err)
			}
			return err
		},
		func() (err error) {
			if total, err = s.Source.CustomersTotal(ctx, storeHash, q.Channel); err != nil {
				err = fmt.Errorf("analytics: customers total: %w", err)
			}
			return err
		},
		func() (err error) {
			byChannel, err = s.channelFigures(ctx, storeHash, q)
			return err
		},
		func() (err error) {
			if tiers, err = s.Source.LoyaltyTiers(ctx, storeHash); err != nil {
				err = fmt.Errorf("analytics: loyalty tiers: %w", err)
			}
			return err
		},
	)
	if err != nil {
		return Overview{}, err
	}
	return ComposeOverview(q, rows, total, byChannel, tiers), nil
}

// channelFigures reads each channel's customers and its orders of the
// period.
func (s *Service) channelFigures(ctx context.Context, storeHash string, q Query) ([]ChannelFigures, error) {
	channels, err := s.Source.RollupChannels(ctx, storeHash)
	if err != nil {
		return nil, fmt.Errorf("analytics: channels: %w", err)
	}
	slices.Sort(channels)
	byChannel := make([]ChannelFigures, 0, len(channels))
	for _, ch := range channels {
		if ch == 0 {
			continue
		}
		crows, err := s.totals(ctx, storeHash, ch, q.Period, KindOrders)
		if err != nil {
			return nil, fmt.Errorf("analytics: channel %d rollups: %w", ch, err)
		}
		ctotal, err := s.Source.CustomersTotal(ctx, storeHash, ch)
		if err != nil {
			return nil, fmt.Errorf("analytics: channel %d customers: %w", ch, err)
		}
		var t tally
		for _, r := range crows {
			if r.Kind == KindOrders && q.Period.Contains(r.Day) {
				t.add(r)
			}
		}
		byChannel = append(byChannel, ChannelFigures{ChannelID: ch, CustomersTotal: ctotal, Orders: t.N, Revenue: FormatMoney(t.Amount)})
	}
	return byChannel, nil
}
