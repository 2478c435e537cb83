package config

import (
	"slices"
	"strconv"
	"strings"
)

// This file holds the rules that match an order or a customer against the
// flows: placed statuses, goals, customer groups and loyalty tiers.

// CallName returns the goal's call name: StoreCode followed by the goal name.
func (o *OrderGoals) CallName(g Goal) string { return o.StoreCode + g.Name }

// IsPlaced reports whether an order in status s counts as placed.
func (o *OrderGoals) IsPlaced(s OrderStatus) bool {
	return slices.Contains(o.PlacedStatuses, s)
}

// MatchesCoupon reports whether code achieves a coupon goal
// (case-insensitive).
func (g Goal) MatchesCoupon(code string) bool {
	return g.Kind == GoalCoupon && strings.EqualFold(strings.TrimSpace(code), strings.TrimSpace(g.Code))
}

// MatchesGroup reports whether a customer in group (id, name) achieves a
// customer_group goal (see GroupMatches).
func (g Goal) MatchesGroup(id int, name string) bool {
	return g.Kind == GoalCustomerGroup && GroupMatches(g.Group, id, name)
}

// groupRefID returns the group id a reference names, if it is numeric.
func groupRefID(ref string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(ref))
	return n, err == nil
}

// GroupMatches is the one rule for a customer-group reference of the flows
// file (goals, group multipliers, B2B groups, segment rules): a numeric
// reference is a BigCommerce group id, anything else a group name matched
// case-insensitively; spaces around either are ignored. A customer in no
// group (id 0, no name) matches no reference.
func GroupMatches(ref string, id int, name string) bool {
	if n, ok := groupRefID(ref); ok {
		return id > 0 && n == id
	}
	name = strings.TrimSpace(name)
	return name != "" && strings.EqualFold(strings.TrimSpace(ref), name)
}

// GroupMultiplier returns the multiplier of the customer group (id, name),
// 1 if no listed group matches. When several match (the group's name and
// its id) the first reference in sorted order wins, so the result never
// depends on map order and workflows may call it.
func (l *Loyalty) GroupMultiplier(id int, name string) float64 {
	refs := make([]string, 0, len(l.GroupMultipliers))
	// The keys are sorted before use: map order never shows.
	//workflowcheck:ignore
	for ref := range l.GroupMultipliers {
		refs = append(refs, ref)
	}
	slices.Sort(refs)
	for _, ref := range refs {
		if GroupMatches(ref, id, name) {
			return l.GroupMultipliers[ref]
		}
	}
	return 1
}

// Includes reports whether the customer group (id, name) is one of the B2B
// groups. It does not look at Enabled.
func (b B2B) Includes(id int, name string) bool {
	return slices.ContainsFunc(b.Groups, func(ref string) bool { return GroupMatches(ref, id, name) })
}

// TierFor returns the highest tier whose MinPoints lifetimePoints reaches,
// and false when none is reached (no tiers, or fewer points than the first
// tier's MinPoints).
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
