package config

import (
	"reflect"
	"sort"
	"strings"
)

// This file is the schema of customer segments (the segments section) and
// of the flows they start (segment_flows). A segment is a named rule over
// the store mirror's per-shopper figures; bcflow keeps its membership as
// events arrive, pushes it to BigCommerce's Customer Segmentation API and to
// a Brevo list, and may start a sequence when a shopper enters or leaves it.

// Segments is the segments section: which segments the store keeps and
// where their membership is pushed.
type Segments struct {
	// Enabled turns the section on.
	Enabled bool `yaml:"enabled"`
	// PushToBigCommerce keeps a BigCommerce customer segment (Customer
	// Segmentation API, Enterprise plans) in step with each segment
	// (default true). Stores without the API degrade to the rest.
	PushToBigCommerce bool `yaml:"push_to_bigcommerce"`
	// PushToBrevo keeps a Brevo list in step with each segment (default
	// true).
	PushToBrevo bool `yaml:"push_to_brevo"`
	// Definitions are the segments; the built-in five unless written.
	Definitions []SegmentDefinition `yaml:"definitions"`
}

// SegmentDefinition is one segment.
type SegmentDefinition struct {
	// Name identifies the segment in bcflow (lower-case letters, digits,
	// '_' and '-'): in the admin API, in segment_flows and in coupons.
	Name string `yaml:"name" flows:"required"`
	// Title is the segment's name in BigCommerce (found again by it) and
	// the default Brevo list name (default: Name).
	Title string `yaml:"title,omitempty"`
	// Description is shown in BigCommerce.
	Description string `yaml:"description,omitempty"`
	// BrevoList is the name of the Brevo list kept in step (default: Title).
	BrevoList string `yaml:"brevo_list,omitempty"`
	// Rule says who is in the segment.
	Rule Rule `yaml:"rule" flows:"required"`
}

// Rule is a condition over one shopper's figures. Every condition written
// in one rule must hold (as in all); all, any and not combine rules. A rule
// must hold at least one condition. Lists mean "any of".
//
// A shopper is a lower-cased email: registered customers and guests alike
// (guests have no customer group, loyalty account or marketing flag, so
// conditions on those never hold for them).
type Rule struct {
	// All holds when every rule in it holds.
	All []Rule `yaml:"all,omitempty"`
	// Any holds when at least one rule in it holds.
	Any []Rule `yaml:"any,omitempty"`
	// Not holds when its rule does not.
	Not *Rule `yaml:"not,omitempty"`

	// OrdersCount is the number of orders that count (not incomplete,
	// refunded, cancelled or declined).
	OrdersCount *NumberRange `yaml:"orders_count,omitempty"`
	// TotalSpent is the sum of those orders' totals (inc. tax) less
	// refunds, in store currency.
	TotalSpent *NumberRange `yaml:"total_spent,omitempty"`
	// AverageOrderValue is TotalSpent / OrdersCount (shoppers without
	// orders have none, and never match).
	AverageOrderValue *NumberRange `yaml:"average_order_value,omitempty"`
	// FirstOrder is the date of the first counted order.
	FirstOrder *DateRange `yaml:"first_order,omitempty"`
	// LastOrder is the date of the latest counted order.
	LastOrder *DateRange `yaml:"last_order,omitempty"`
	// CustomerGroup: the customer is in one of these groups (names from
	// customer_groups, or numeric ids; matched as GroupMatches does).
	CustomerGroup []string `yaml:"customer_group,omitempty"`
	// Channel: the shopper belongs to (registered customers) or ordered on
	// (anyone) one of these storefront channels.
	Channel []int `yaml:"channel,omitempty"`
	// AcceptsMarketing: the customer accepts marketing email (guests never
	// do).
	AcceptsMarketing *bool `yaml:"accepts_marketing,omitempty"`
	// Registered: the shopper has a customer account (true) or is a guest
	// (false).
	Registered *bool `yaml:"registered,omitempty"`
	// LoyaltyTier: the customer's loyalty tier is one of these names.
	LoyaltyTier []string `yaml:"loyalty_tier,omitempty"`
	// PointsBalance is the customer's loyalty points balance.
	PointsBalance *NumberRange `yaml:"points_balance,omitempty"`
	// CouponUsed: a counted order used one of these coupon codes
	// (case-insensitive); "*" means any coupon.
	CouponUsed []string `yaml:"coupon_used,omitempty"`
	// SKUPurchased: a counted order holds one of these SKUs (exact).
	SKUPurchased []string `yaml:"sku_purchased,omitempty"`
	// CategoryPurchased: a counted order holds a product of one of these
	// categories (numeric ids, or names matched case-insensitively).
	CategoryPurchased []string `yaml:"category_purchased,omitempty"`
	// Country: the customer's country is one of these (ISO 3166-1 alpha-2
	// codes or English names, case-insensitive).
	Country []string `yaml:"country,omitempty"`
}

// NumberRange bounds a figure; every bound written must hold, and at least
// one must be written.
type NumberRange struct {
	// AtLeast: figure >= AtLeast.
	AtLeast *float64 `yaml:"at_least,omitempty"`
	// MoreThan: figure > MoreThan.
	MoreThan *float64 `yaml:"more_than,omitempty"`
	// AtMost: figure <= AtMost.
	AtMost *float64 `yaml:"at_most,omitempty"`
	// LessThan: figure < LessThan.
	LessThan *float64 `yaml:"less_than,omitempty"`
	// Equals: figure == Equals.
	Equals *float64 `yaml:"equals,omitempty"`
}

// DateRange bounds a date; every bound written must hold, and at least one
// must be written. A shopper without the date (no counted order) never
// matches a date range.
type DateRange struct {
	// OlderThan: the date is more than this long ago (e.g. 90d). Changes
	// with time alone: the daily segment run re-evaluates it.
	OlderThan *Duration `yaml:"older_than,omitempty"`
	// Within: the date is at most this long ago (e.g. 30d). Changes with
	// time alone, as OlderThan.
	Within *Duration `yaml:"within,omitempty"`
	// Before: the date is before this day (YYYY-MM-DD, UTC).
	Before string `yaml:"before,omitempty"`
	// After: the date is on or after this day (YYYY-MM-DD, UTC).
	After string `yaml:"after,omitempty"`
}

// SegmentEdge says which move across a segment's boundary starts a flow.
type SegmentEdge string

// Segment edges.
const (
	// SegmentEnter: the shopper entered the segment.
	SegmentEnter SegmentEdge = "enter"
	// SegmentLeave: the shopper left the segment.
	SegmentLeave SegmentEdge = "leave"
)

// SegmentFlow starts a sequence when a shopper enters (or leaves) a
// segment: once per entry, through the same send machinery as every flow.
// A shopper who crosses back (leaves after entering, or re-enters after
// leaving) before a step ends the flow.
type SegmentFlow struct {
	// Name identifies the flow (letters, digits, '_' and '-'); unique in
	// the list.
	Name string `yaml:"name" flows:"required"`
	// Segment is the Name of a defined segment.
	Segment string `yaml:"segment" flows:"required"`
	// On is enter or leave (default: element_defaults, built in enter).
	On SegmentEdge `yaml:"on"`
	// Sequence is sent after the crossing; delays count from it and may
	// start at 0s.
	Sequence []Step `yaml:"sequence" flows:"required"`
}

func (s *Segments) setDefaults() {
	*s = builtinSection(func(f *FlowSet) *Segments { return f.Segments })
}

// BigCommerceName returns the segment's name in BigCommerce: Title, else
// Name.
func (d SegmentDefinition) BigCommerceName() string {
	if d.Title != "" {
		return d.Title
	}
	return d.Name
}

// BrevoListName returns the name of the Brevo list kept in step with the
// segment: BrevoList, else BigCommerceName.
func (d SegmentDefinition) BrevoListName() string {
	if d.BrevoList != "" {
		return d.BrevoList
	}
	return d.BigCommerceName()
}

// TimeBased reports whether the rule holds a condition that changes with
// time alone (older_than or within, anywhere in it): such segments are
// re-evaluated by the daily run.
func (r Rule) TimeBased() bool {
	timed := func(d *DateRange) bool { return d != nil && (d.OlderThan != nil || d.Within != nil) }
	if timed(r.FirstOrder) || timed(r.LastOrder) {
		return true
	}
	if r.Not != nil && r.Not.TimeBased() {
		return true
	}
	for _, sub := range append(append([]Rule(nil), r.All...), r.Any...) {
		if sub.TimeBased() {
			return true
		}
	}
	return false
}

// GroupRefs returns every customer_group reference in the rule (names or
// numeric ids, as written), in rule order without duplicates, for the
// caller to resolve to group ids.
func (r Rule) GroupRefs() []string {
	var out []string
	seen := map[string]bool{}
	var walk func(r Rule)
	walk = func(r Rule) {
		for _, ref := range r.CustomerGroup {
			if !seen[ref] {
				seen[ref] = true
				out = append(out, ref)
			}
		}
		for _, sub := range r.All {
			walk(sub)
		}
		for _, sub := range r.Any {
			walk(sub)
		}
		if r.Not != nil {
			walk(*r.Not)
		}
	}
	walk(r)
	return out
}

// SegmentsFor returns the segments a store keeps: the settings of its
// store-level segments section (enabled, push flags; the zero value when
// there is none) and its definitions, sorted by Name, with Title and
// BrevoList filled in (BigCommerceName, BrevoListName).
//
// Segments are store-wide (one BigCommerce segment, one Brevo list each),
// but a channel's segments section may redefine a segment for that
// channel's shoppers, or add one. The definition returned then composes
// the levels: a shopper of a redefining channel is judged by the channel's
// rule, anyone else by the store's:
//
//	any:
//	  - all: [{channel: [2]}, <channel 2's rule>]
//	  - ...
//	  - all: [{not: {channel: [2, ...]}}, <store rule>]   # when the store defines it
//
// A channel section written with enabled: false, or a channel definition
// identical to the store's, changes nothing. Title, Description and
// BrevoList come from the store's definition, else from the redefining
// channel with the lowest id.
func (f *Flows) SegmentsFor(storeHash string) (Segments, []SegmentDefinition) {
	set, _ := f.resolve(storeHash, 0)
	var settings Segments
	defs := map[string]SegmentDefinition{}
	if set.Segments != nil {
		settings = deepCopy(*set.Segments)
		settings.Definitions = nil
		for _, d := range set.Segments.Definitions {
			defs[d.Name] = deepCopy(d)
		}
	}

	type override struct {
		channel int
		def     SegmentDefinition
	}
	overrides := map[string][]override{}
	for _, s := range f.StoreOverrides {
		if storeHash == "" || !strings.EqualFold(s.StoreHash, storeHash) {
			continue
		}
		for _, ch := range s.Channels {
			if ch.Segments == nil || !ch.Segments.Enabled {
				continue
			}
			for _, d := range ch.Segments.Definitions {
				if sd, ok := defs[d.Name]; ok && reflect.DeepEqual(sd.Rule, d.Rule) {
					continue
				}
				overrides[d.Name] = append(overrides[d.Name], override{ch.ChannelID, deepCopy(d)})
			}
		}
		break
	}
	for name, ovs := range overrides {
		sort.SliceStable(ovs, func(i, j int) bool { return ovs[i].channel < ovs[j].channel })
		composed, hasStore := defs[name]
		if !hasStore {
			composed = ovs[0].def
		}
		var alts []Rule
		var chans []int
		for _, o := range ovs {
			alts = append(alts, Rule{All: []Rule{{Channel: []int{o.channel}}, o.def.Rule}})
			chans = append(chans, o.channel)
		}
		if hasStore {
			alts = append(alts, Rule{All: []Rule{{Not: &Rule{Channel: chans}}, composed.Rule}})
		}
		composed.Rule = Rule{Any: alts}
		defs[name] = composed
	}

	out := make([]SegmentDefinition, 0, len(defs))
	for _, d := range defs {
		d.Title = d.BigCommerceName()
		d.BrevoList = d.BrevoListName()
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return settings, out
}
