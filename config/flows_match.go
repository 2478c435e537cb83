package config

import (
	"strconv"
	"strings"
)

// CallName returns the goal's call name: StoreCode followed by the goal name.
func (o *OrderGoals) CallName(g Goal) string { return o.StoreCode + g.Name }

// IsPlaced reports whether an order in status s counts as placed.
func (o *OrderGoals) IsPlaced(s OrderStatus) bool {
	for _, p := range o.PlacedStatuses {
		if p == s {
			return true
		}
	}
	return false
}

// MatchesCoupon reports whether code achieves a coupon goal
// (case-insensitive).
func (g Goal) MatchesCoupon(code string) bool {
	return g.Kind == GoalCoupon && strings.EqualFold(strings.TrimSpace(code), strings.TrimSpace(g.Code))
}

// MatchesGroup reports whether a customer in group (id, name) achieves a
// customer_group goal; Group may be a numeric id or a case-insensitive name.
func (g Goal) MatchesGroup(id int, name string) bool {
	return g.Kind == GoalCustomerGroup && groupMatches(g.Group, id, name)
}

func groupMatches(ref string, id int, name string) bool {
	if n, err := strconv.Atoi(ref); err == nil {
		return n == id
	}
	return strings.EqualFold(strings.TrimSpace(ref), strings.TrimSpace(name))
}

// GroupMultiplier returns the multiplier for the customer group (id, name),
// 1 if the group is not listed.
func (l *Loyalty) GroupMultiplier(id int, name string) float64 {
	for ref, m := range l.GroupMultipliers {
		if groupMatches(ref, id, name) {
			return m
		}
	}
	return 1
}

// TierFor returns the tier reached with lifetime points (the first tier if
// none is reached).
func (l *Loyalty) TierFor(lifetimePoints int64) (Tier, bool) {
	var best Tier
	found := false
	for _, t := range l.Tiers {
		if lifetimePoints >= t.MinPoints && (!found || t.MinPoints >= best.MinPoints) {
			best, found = t, true
		}
	}
	return best, found
}

// LinkFor returns the survey link for an order.
func (s *Survey) LinkFor(orderID int64) string {
	return strings.ReplaceAll(s.Link, OrderIDPlaceholder, strconv.FormatInt(orderID, 10))
}
