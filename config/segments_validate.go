package config

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"
)

// This file validates the segments and segment_flows sections, and the
// references to segments (segment flows, coupons) and from them (customer
// groups, loyalty tiers) where levels meet.

var segmentNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// MaxRuleDepth is how deep all, any and not may nest in a segment rule.
const MaxRuleDepth = 8

var (
	fieldSegments     = flowSetField("Segments")
	fieldSegmentFlows = flowSetField("SegmentFlows")
)

// segments checks one level's segments section.
func (c *checker) segments(p string, s *Segments) {
	if s.Enabled && len(s.Definitions) == 0 {
		c.add(p+".definitions", "enabled segments need at least one definition (or write enabled: false)")
	}
	names := &uniqueNames{list: "definitions", what: "segment name", re: segmentNameRE,
		shape: "must be lower-case letters, digits, '_' or '-', starting with a letter or digit"}
	titles := map[string]int{}
	lists := map[string]int{}
	for i, d := range s.Definitions {
		dp := fmt.Sprintf("%s.definitions[%d]", p, i)
		c.entryName(names, dp, i, d.Name)
		titlePath := dp + ".title"
		if d.Title == "" {
			titlePath = dp + ".name"
		}
		title := d.BigCommerceName()
		if strings.TrimSpace(title) != title {
			c.add(titlePath, "a segment title must have no leading or trailing spaces, got %q", title)
		} else if key := strings.ToLower(title); title != "" {
			if first, dup := titles[key]; dup {
				c.add(titlePath, "duplicate segment title %q (also definitions[%d]): BigCommerce finds segments by it", title, first)
			} else {
				titles[key] = i
			}
		}
		listPath := dp + ".brevo_list"
		if d.BrevoList == "" {
			listPath = titlePath
		}
		if list := d.BrevoListName(); d.BrevoList == "" && strings.TrimSpace(title) != title {
			// The title's problem, reported above.
		} else if strings.TrimSpace(list) != list || len(list) > 100 {
			c.add(listPath, "a Brevo list name must have no leading or trailing spaces and at most 100 characters, got %q", list)
		} else if key := strings.ToLower(list); list != "" {
			if first, dup := lists[key]; dup {
				c.add(listPath, "duplicate Brevo list %q (also definitions[%d]): each segment needs its own list", list, first)
			} else {
				lists[key] = i
			}
		}
		c.rule(dp+".rule", d.Rule, 1)
	}
}

// channelSegments checks that the segments a store's channels add (names
// the store level does not define) keep BigCommerce segment titles and Brevo
// lists apart from the store's and from each other: segments are store-wide
// (SegmentsFor), one BigCommerce segment and one Brevo list each. A
// channel's redefinition of a store segment takes the store's title.
func (c *checker) channelSegments(f *Flows, si int) {
	s := f.StoreOverrides[si]
	storeSet, _ := f.resolve(s.StoreHash, 0)
	storeNames := map[string]bool{}
	titles := map[string]string{} // lower-cased title or list -> owner
	lists := map[string]string{}
	if storeSet.Segments != nil {
		for _, d := range storeSet.Segments.Definitions {
			storeNames[d.Name] = true
			titles[strings.ToLower(d.BigCommerceName())] = fmt.Sprintf("the store's segment %q", d.Name)
			lists[strings.ToLower(d.BrevoListName())] = fmt.Sprintf("the store's segment %q", d.Name)
		}
	}
	added := map[string]bool{}
	for ci, ch := range s.Channels {
		if ch.Segments == nil || !ch.Segments.Enabled {
			continue
		}
		for di, d := range ch.Segments.Definitions {
			if d.Name == "" || storeNames[d.Name] || added[d.Name] {
				continue
			}
			added[d.Name] = true
			dp := fmt.Sprintf("stores[%d].channels[%d].segments.definitions[%d]", si, ci, di)
			owner := fmt.Sprintf("segment %q of channel %d", d.Name, ch.ChannelID)
			titlePath := dp + ".title"
			if d.Title == "" {
				titlePath = dp + ".name"
			}
			if other, dup := titles[strings.ToLower(d.BigCommerceName())]; dup {
				c.add(titlePath, "duplicate segment title %q: %s has it too (segments are store-wide, one BigCommerce segment each)", d.BigCommerceName(), other)
			} else {
				titles[strings.ToLower(d.BigCommerceName())] = owner
			}
			listPath := dp + ".brevo_list"
			if d.BrevoList == "" {
				listPath = titlePath
			}
			if other, dup := lists[strings.ToLower(d.BrevoListName())]; dup {
				c.add(listPath, "duplicate Brevo list %q: %s has it too (segments are store-wide, one Brevo list each)", d.BrevoListName(), other)
			} else {
				lists[strings.ToLower(d.BrevoListName())] = owner
			}
		}
	}
}

// isEmpty reports whether the rule holds no condition at all.
func (r Rule) isEmpty() bool {
	v := reflect.ValueOf(r)
	for i := 0; i < v.NumField(); i++ {
		if !v.Field(i).IsNil() {
			return false
		}
	}
	return true
}

// rule checks a segment rule at nesting depth (1 for a definition's rule).
func (c *checker) rule(p string, r Rule, depth int) {
	if depth > MaxRuleDepth {
		c.add(p, "rules may nest at most %d deep (all, any and not); simplify this one", MaxRuleDepth)
		return
	}
	if r.isEmpty() {
		c.addUnlessInnerFailed(p, "must hold at least one condition (orders_count, total_spent, last_order, customer_group... or all, any, not)")
		return
	}
	for _, sub := range []struct {
		name  string
		rules []Rule
	}{{"all", r.All}, {"any", r.Any}} {
		if sub.rules != nil && len(sub.rules) == 0 {
			c.add(p+"."+sub.name, "must list at least one rule")
		}
		for i, sr := range sub.rules {
			c.rule(fmt.Sprintf("%s.%s[%d]", p, sub.name, i), sr, depth+1)
		}
	}
	if r.Not != nil {
		c.rule(p+".not", *r.Not, depth+1)
	}
	c.numberRange(p+".orders_count", r.OrdersCount, true)
	c.numberRange(p+".total_spent", r.TotalSpent, false)
	c.numberRange(p+".average_order_value", r.AverageOrderValue, false)
	c.numberRange(p+".points_balance", r.PointsBalance, false)
	c.dateRange(p+".first_order", r.FirstOrder)
	c.dateRange(p+".last_order", r.LastOrder)
	if r.Channel != nil && len(r.Channel) == 0 {
		c.add(p+".channel", "must list at least one channel id")
	}
	for i, ch := range r.Channel {
		if ch < 1 {
			c.add(fmt.Sprintf("%s.channel[%d]", p, i), "must be a BigCommerce channel id (1 or more), got %d", ch)
		}
	}
	for _, l := range []struct {
		name, what string
		values     []string
	}{
		{"customer_group", "a customer group name from customer_groups or a numeric group id", r.CustomerGroup},
		{"loyalty_tier", "a loyalty tier name", r.LoyaltyTier},
		{"coupon_used", `a coupon code, or "*" for any coupon`, r.CouponUsed},
		{"sku_purchased", "a product SKU", r.SKUPurchased},
		{"category_purchased", "a category id or name", r.CategoryPurchased},
		{"country", "an ISO 3166-1 alpha-2 code or an English country name", r.Country},
	} {
		if l.values != nil && len(l.values) == 0 {
			c.add(p+"."+l.name, "must list at least one value: %s", l.what)
		}
		for i, v := range l.values {
			if strings.TrimSpace(v) == "" {
				c.add(fmt.Sprintf("%s.%s[%d]", p, l.name, i), "must not be empty: %s", l.what)
			}
		}
	}
}

// numberRange checks the bounds of a figure; whole figures (order counts)
// take whole bounds.
func (c *checker) numberRange(p string, n *NumberRange, whole bool) {
	if n == nil {
		return
	}
	bounds := []struct {
		name string
		v    *float64
	}{{"at_least", n.AtLeast}, {"more_than", n.MoreThan}, {"at_most", n.AtMost}, {"less_than", n.LessThan}, {"equals", n.Equals}}
	written := 0
	for _, b := range bounds {
		if b.v == nil {
			continue
		}
		written++
		switch v := *b.v; {
		case !(v >= 0) || math.IsInf(v, 0):
			c.add(p+"."+b.name, "must be 0 or more, got %v", v)
		case whole && v != math.Trunc(v):
			c.add(p+"."+b.name, "must be a whole number (orders are counted), got %v", v)
		}
	}
	switch {
	case written == 0:
		c.addUnlessInnerFailed(p, "must hold at least one bound: at_least, more_than, at_most, less_than or equals")
		return
	case n.Equals != nil && written > 1:
		c.add(p+".equals", "cannot be combined with other bounds: write equals alone")
		return
	}
	if n.AtLeast != nil && n.MoreThan != nil {
		c.add(p+".more_than", "write at_least or more_than, not both")
		return
	}
	if n.AtMost != nil && n.LessThan != nil {
		c.add(p+".less_than", "write at_most or less_than, not both")
		return
	}
	lo, loName, loStrict := n.AtLeast, "at_least", false
	if n.MoreThan != nil {
		lo, loName, loStrict = n.MoreThan, "more_than", true
	}
	hi, hiName, hiStrict := n.AtMost, "at_most", false
	if n.LessThan != nil {
		hi, hiName, hiStrict = n.LessThan, "less_than", true
	}
	if lo != nil && hi != nil && (*lo > *hi || *lo == *hi && (loStrict || hiStrict)) {
		c.add(p, "matches nothing: %s %v and %s %v", loName, *lo, hiName, *hi)
	}
}

const dateLayout = "2006-01-02"

// dateRange checks the bounds of a date.
func (c *checker) dateRange(p string, d *DateRange) {
	if d == nil {
		return
	}
	if d.OlderThan == nil && d.Within == nil && d.Before == "" && d.After == "" {
		c.addUnlessInnerFailed(p, "must hold at least one bound: older_than, within, before or after")
		return
	}
	for _, b := range []struct {
		name string
		v    *Duration
	}{{"older_than", d.OlderThan}, {"within", d.Within}} {
		if b.v != nil && *b.v <= 0 {
			c.add(p+"."+b.name, "must be a positive duration such as 90d, got %q", *b.v)
		}
	}
	if d.OlderThan != nil && d.Within != nil && *d.OlderThan > 0 && *d.Within <= *d.OlderThan {
		c.add(p, "matches nothing: within %s must be longer than older_than %s", *d.Within, *d.OlderThan)
	}
	dates := map[string]time.Time{}
	for _, b := range []struct{ name, v string }{{"before", d.Before}, {"after", d.After}} {
		if b.v == "" {
			continue
		}
		t, err := time.Parse(dateLayout, b.v)
		if err != nil {
			c.add(p+"."+b.name, "must be a date YYYY-MM-DD, got %q", b.v)
			continue
		}
		dates[b.name] = t
	}
	if before, ok := dates["before"]; ok {
		if after, ok := dates["after"]; ok && !after.Before(before) {
			c.add(p, "matches nothing: after %s (inclusive) must come before before %s", d.After, d.Before)
		}
	}
}

// segmentFlows checks one level's segment_flows list (the segments they
// name are checked by segmentRefs, where levels meet).
func (c *checker) segmentFlows(p string, flows []SegmentFlow) {
	names := &uniqueNames{list: "segment_flows", what: "segment flow name", re: goalNameRE, fold: true,
		shape: "must be letters, digits, '_' or '-'"}
	for i, sf := range flows {
		fp := fmt.Sprintf("%s.segment_flows[%d]", p, i)
		c.entryName(names, fp, i, sf.Name)
		if sf.Segment == "" {
			c.add(fp+".segment", "is required: the name of a segment")
		}
		switch sf.On {
		case SegmentEnter, SegmentLeave:
		default:
			c.add(fp+".on", "must be enter or leave, got %q", sf.On)
		}
		if len(sf.Sequence) == 0 {
			c.add(fp+".sequence", "must list at least one step")
		}
		c.steps(fp+".sequence", sf.Sequence, false)
	}
}

// segmentRefs checks, for the set resolved for a store channel, that
// segment flows and coupons name a segment the store defines, and that the
// loyalty tiers segment rules name exist. Each reference is reported once,
// for the first level where it fails.
func (c *checker) segmentRefs(f *Flows, storeHash string, channelID int, scope string) {
	set, origin := f.resolve(storeHash, channelID)
	self := scopePrefix(f, storeHash, channelID)
	report := func(path, owner, format string, args ...any) {
		if c.reported[path] {
			return
		}
		c.reported[path] = true
		msg := fmt.Sprintf(format, args...)
		if owner != self {
			msg += " (applies to " + scope + ")"
		}
		c.add(path, "%s", msg)
	}

	var settings Segments
	var defs []SegmentDefinition
	if storeHash == "" {
		if set.Segments != nil {
			settings, defs = *set.Segments, set.Segments.Definitions
		}
	} else {
		settings, defs = f.SegmentsFor(storeHash)
	}
	known := map[string]bool{}
	var names []string
	for _, d := range defs {
		if d.Name != "" && !known[d.Name] {
			known[d.Name] = true
			names = append(names, d.Name)
		}
	}
	sort.Strings(names)
	unknown := func(path, owner, name string) {
		if name == "" || known[name] {
			return
		}
		if len(names) == 0 {
			report(path, owner, "unknown segment %q: no segment is defined here (add a segments section)", name)
		} else {
			report(path, owner, "unknown segment %q (segments defines %s)", name, strings.Join(names, ", "))
		}
	}
	for i, sf := range set.SegmentFlows {
		unknown(fmt.Sprintf("%s.segment_flows[%d].segment", origin[fieldSegmentFlows], i), origin[fieldSegmentFlows], sf.Segment)
	}
	sv := reflect.ValueOf(set)
	info := fieldsOf(sv.Type())
	for _, name := range info.names {
		idx := info.byName[name].index[0]
		if idx == fieldSegments {
			continue
		}
		couponsIn(sv.Field(idx), origin[idx]+"."+name, func(path string, cp *Coupon) {
			switch {
			case cp.Segment == "":
			case !known[cp.Segment]:
				unknown(path+".segment", origin[idx], cp.Segment)
			case !settings.Enabled || !settings.PushToBigCommerce:
				// The promotion would target a BigCommerce segment
				// nobody is pushed to: no shopper could use the coupon.
				report(path+".segment", origin[idx], "segment %q is not pushed to BigCommerce (segments is off or push_to_bigcommerce is false), so no shopper could use the coupon", cp.Segment)
			}
		})
	}

	if set.Loyalty == nil || !set.Loyalty.Enabled || len(set.Loyalty.Tiers) == 0 || set.Segments == nil {
		return
	}
	tiers := map[string]bool{}
	var tierNames []string
	for _, t := range set.Loyalty.Tiers {
		tiers[strings.ToLower(strings.TrimSpace(t.Name))] = true
		tierNames = append(tierNames, t.Name)
	}
	sp := origin[fieldSegments] + ".segments"
	for i, d := range set.Segments.Definitions {
		walkRule(d.Rule, fmt.Sprintf("%s.definitions[%d].rule", sp, i), 1, func(p string, r Rule) {
			for j, tier := range r.LoyaltyTier {
				if t := strings.ToLower(strings.TrimSpace(tier)); t != "" && !tiers[t] {
					report(fmt.Sprintf("%s.loyalty_tier[%d]", p, j), origin[fieldSegments],
						"unknown loyalty tier %q (loyalty.tiers lists %s)", tier, strings.Join(tierNames, ", "))
				}
			}
		})
	}
}

// walkRule calls visit for r and every rule nested in it (to MaxRuleDepth),
// with their paths.
func walkRule(r Rule, p string, depth int, visit func(p string, r Rule)) {
	if depth > MaxRuleDepth {
		return
	}
	visit(p, r)
	for i, sub := range r.All {
		walkRule(sub, fmt.Sprintf("%s.all[%d]", p, i), depth+1, visit)
	}
	for i, sub := range r.Any {
		walkRule(sub, fmt.Sprintf("%s.any[%d]", p, i), depth+1, visit)
	}
	if r.Not != nil {
		walkRule(*r.Not, p+".not", depth+1, visit)
	}
}

var couponType = reflect.TypeFor[*Coupon]()

// couponsIn calls visit for every coupon in v, with its path.
func couponsIn(v reflect.Value, path string, visit func(path string, c *Coupon)) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		if v.Type() == couponType {
			visit(path, v.Interface().(*Coupon))
			return
		}
		couponsIn(v.Elem(), path, visit)
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			couponsIn(v.Index(i), fmt.Sprintf("%s[%d]", path, i), visit)
		}
	case reflect.Struct:
		info := fieldsOf(v.Type())
		for _, name := range info.names {
			couponsIn(v.FieldByIndex(info.byName[name].index), joinPath(path, name), visit)
		}
	}
}
