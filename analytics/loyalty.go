package analytics

import (
	"context"
	"fmt"
	"slices"

	"github.com/bcflow/bcflow/config"
)

// Loyalty is the answer of GET .../analytics/loyalty.
type Loyalty struct {
	Period         Range         `json:"period"`
	Previous       Range         `json:"previous"`
	Channel        int64         `json:"channel"`
	Members        int64         `json:"members"`
	MembersByTier  []TierMembers `json:"members_by_tier"`
	PointsIssued   Count         `json:"points_issued"`
	PointsRedeemed Count         `json:"points_redeemed"`
	RedemptionRate Rate          `json:"redemption_rate"`
	// OutstandingPoints are the members' unspent points, now.
	OutstandingPoints int64 `json:"outstanding_points"`
	// OutstandingLiability is what those points are worth as coupons:
	// points / points_per_coupon × coupon_value (0 without redemption).
	OutstandingLiability string       `json:"outstanding_liability"`
	Series               []LoyaltyDay `json:"series"`
}

// TierMembers is how many members a tier holds.
type TierMembers struct {
	Tier    string `json:"tier"`
	Members int64  `json:"members"`
}

// LoyaltyDay is one day of the loyalty series, in points.
type LoyaltyDay struct {
	Day      string `json:"day"`
	Issued   int64  `json:"issued"`
	Redeemed int64  `json:"redeemed"`
}

// pointsIssued sums the points awarded (awards and bonuses) and redeemed
// (as a positive number) over q's two periods.
func pointsIssued(q Query, rows []RollupRow) (issued, redeemed Count) {
	for _, r := range rows {
		if r.Kind != KindLoyalty {
			continue
		}
		var dst *Count
		v := int64(r.Amount)
		switch r.K3 {
		case ledgerAward, ledgerBonus:
			dst = &issued
		case ledgerRedemption:
			dst, v = &redeemed, -v
		default:
			continue
		}
		switch {
		case q.Period.Contains(r.Day):
			dst.Current += v
		case q.Previous.Contains(r.Day):
			dst.Previous += v
		}
	}
	return issued, redeemed
}

func members(tiers []TierCount) int64 {
	var n int64
	for _, t := range tiers {
		n += t.Members
	}
	return n
}

// ComposeLoyalty builds the loyalty figures from the rows of q's span (kind
// loyalty), the tiers' counts now, the program's tiers in order (those
// without members show 0) and its redemption settings.
func ComposeLoyalty(q Query, rows []RollupRow, tiers []TierCount, tierOrder []string, redemption config.Redemption) Loyalty {
	issued, redeemed := pointsIssued(q, rows)
	out := Loyalty{
		Period: q.Period, Previous: q.Previous, Channel: q.Channel,
		Members: members(tiers), PointsIssued: issued, PointsRedeemed: redeemed,
		RedemptionRate: Rate{Current: ratio(redeemed.Current, issued.Current), Previous: ratio(redeemed.Previous, issued.Previous)},
		MembersByTier:  []TierMembers{},
	}
	byTier := map[string]int64{}
	for _, t := range tiers {
		byTier[t.Tier] += t.Members
		out.OutstandingPoints += t.Points
	}
	for _, name := range tierOrder {
		out.MembersByTier = append(out.MembersByTier, TierMembers{Tier: name, Members: byTier[name]})
	}
	var others []string
	for name := range byTier {
		if !slices.Contains(tierOrder, name) {
			others = append(others, name)
		}
	}
	slices.Sort(others)
	for _, name := range others {
		out.MembersByTier = append(out.MembersByTier, TierMembers{Tier: name, Members: byTier[name]})
	}
	liability := 0.0
	if redemption.PointsPerCoupon > 0 && out.OutstandingPoints > 0 {
		liability = float64(out.OutstandingPoints) / float64(redemption.PointsPerCoupon) * redemption.CouponValue
	}
	out.OutstandingLiability = formatFloatMoney(liability)
	days := map[string]*LoyaltyDay{}
	for _, r := range rows {
		if r.Kind != KindLoyalty || !q.Period.Contains(r.Day) {
			continue
		}
		d := days[r.Day]
		if d == nil {
			d = &LoyaltyDay{Day: r.Day}
			days[r.Day] = d
		}
		switch r.K3 {
		case ledgerAward, ledgerBonus:
			d.Issued += int64(r.Amount)
		case ledgerRedemption:
			d.Redeemed -= int64(r.Amount)
		}
	}
	out.Series = []LoyaltyDay{}
	for _, s := range q.Period.Days() {
		d := LoyaltyDay{Day: s}
		if v := days[s]; v != nil {
			d = *v
		}
		out.Series = append(out.Series, d)
	}
	return out
}

// Loyalty reads and composes the loyalty figures of storeHash, with the
// redemption settings of its flows file for q.Channel.
func (s *Service) Loyalty(ctx context.Context, storeHash string, q Query) (Loyalty, error) {
	var rows []RollupRow
	var tiers []TierCount
	err := parallel(
		func() (err error) {
			if rows, err = s.periodRows(ctx, storeHash, q, KindLoyalty); err != nil {
				err = fmt.Errorf("analytics: loyalty rollups: %w", err)
			}
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
		return Loyalty{}, err
	}
	set := s.flows().For(storeHash, int(q.Channel))
	var order []string
	var redemption config.Redemption
	if set.Loyalty != nil {
		for _, t := range set.Loyalty.Tiers {
			order = append(order, t.Name)
		}
		if set.Loyalty.Redemption.Enabled {
			redemption = set.Loyalty.Redemption
		}
	}
	return ComposeLoyalty(q, rows, tiers, order, redemption), nil
}
