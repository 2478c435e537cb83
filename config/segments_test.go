package config

import (
	"reflect"
	"testing"
)

func float(v float64) *float64 { return &v }

func dur(s string) *Duration { d := MustParseDuration(s); return &d }

func TestSegmentsBuiltIn(t *testing.T) {
	s := DefaultFlows().Defaults.Segments
	if s == nil || !s.Enabled || !s.PushToBigCommerce || !s.PushToBrevo {
		t.Fatalf("built-in segments section = %+v, want enabled and pushed to both", s)
	}
	want := map[string]struct {
		title string
		rule  Rule
	}{
		"first_time_buyers": {"First-time buyers", Rule{OrdersCount: &NumberRange{Equals: float(1)}}},
		"repeat_customers":  {"Repeat customers", Rule{OrdersCount: &NumberRange{AtLeast: float(2)}}},
		"high_value":        {"High-value customers", Rule{TotalSpent: &NumberRange{AtLeast: float(1000)}}},
		"wholesale":         {"Wholesale customers", Rule{CustomerGroup: []string{"Wholesale"}}},
		"at_risk":           {"At-risk customers", Rule{LastOrder: &DateRange{OlderThan: dur("90d")}, OrdersCount: &NumberRange{AtLeast: float(2)}}},
	}
	if len(s.Definitions) != len(want) {
		t.Fatalf("%d built-in segments, want %d", len(s.Definitions), len(want))
	}
	for _, d := range s.Definitions {
		w, ok := want[d.Name]
		if !ok {
			t.Errorf("unexpected built-in segment %q", d.Name)
			continue
		}
		if d.Title != w.title || d.BrevoListName() != w.title || !reflect.DeepEqual(d.Rule, w.rule) {
			t.Errorf("segment %s = %+v, want title %q and rule %+v", d.Name, d, w.title, w.rule)
		}
	}
	if len(DefaultFlows().Defaults.SegmentFlows) != 0 {
		t.Error("the built-in playbook starts no segment flow")
	}
}

func TestSegmentsDefaults(t *testing.T) {
	f, err := ParseFlows("flows.yaml", []byte(`
defaults:
  segments:
    definitions:
      - name: vip
        rule: {loyalty_tier: [Gold]}
      - name: big
        title: Big spenders
        rule: {total_spent: {more_than: 500}}
      - name: listed
        title: Listed
        brevo_list: Brevo listed
        rule: {registered: true}
  segment_flows:
    - name: hello-vip
      segment: vip
      sequence:
        - {name: hi, delay: 0s, channel: email, template: {brevo_template_id: 3}}
`))
	if err != nil {
		t.Fatal(err)
	}
	s := f.Defaults.Segments
	if !s.Enabled || !s.PushToBigCommerce || !s.PushToBrevo {
		t.Errorf("written segments section without flags = %+v, want enabled and pushed to both", s)
	}
	names := func(d SegmentDefinition) [2]string { return [2]string{d.BigCommerceName(), d.BrevoListName()} }
	if got := names(s.Definitions[0]); got != [2]string{"vip", "vip"} {
		t.Errorf("untitled segment names = %v", got)
	}
	if got := names(s.Definitions[1]); got != [2]string{"Big spenders", "Big spenders"} {
		t.Errorf("titled segment names = %v", got)
	}
	if got := names(s.Definitions[2]); got != [2]string{"Listed", "Brevo listed"} {
		t.Errorf("segment with a Brevo list names = %v", got)
	}
	if on := f.Defaults.SegmentFlows[0].On; on != SegmentEnter {
		t.Errorf("segment flow on = %q, want enter", on)
	}

	f, err = ParseFlows("flows.yaml", []byte("defaults:\n  segments:\n    push_to_brevo: false\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s := f.Defaults.Segments; !s.PushToBigCommerce || s.PushToBrevo || len(s.Definitions) != 5 {
		t.Errorf("segments without definitions = %+v, want the five built-ins and BigCommerce pushes", s)
	}
}

func TestSegmentsDecodeCustomRule(t *testing.T) {
	f, err := ParseFlows("flows.yaml", []byte(`
defaults:
  customer_groups: [Retail, VIP]
  loyalty:
    tiers:
      - {name: Bronze, min_points: 0}
      - {name: Gold, min_points: 100}
  segments:
    push_to_bigcommerce: false
    definitions:
      - name: lapsed-vip
        title: Lapsed VIPs
        description: VIPs who stopped buying
        brevo_list: Lapsed VIP list
        rule:
          all:
            - any:
                - customer_group: [VIP, "7"]
                - loyalty_tier: [Gold]
            - not:
                last_order: {within: 60d}
          orders_count: {at_least: 2, at_most: 50}
          total_spent: {more_than: 100.5, less_than: 10000}
          average_order_value: {equals: 40}
          first_order: {before: 2026-01-01, after: 2020-06-30}
          channel: [1, 2]
          accepts_marketing: true
          registered: true
          points_balance: {at_least: 0}
          coupon_used: ["*"]
          sku_purchased: [COFFEE-1KG]
          category_purchased: ["23", Coffee]
          country: [US, Canada]
`))
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	want := SegmentDefinition{
		Name: "lapsed-vip", Title: "Lapsed VIPs", Description: "VIPs who stopped buying", BrevoList: "Lapsed VIP list",
		Rule: Rule{
			All: []Rule{
				{Any: []Rule{{CustomerGroup: []string{"VIP", "7"}}, {LoyaltyTier: []string{"Gold"}}}},
				{Not: &Rule{LastOrder: &DateRange{Within: dur("60d")}}},
			},
			OrdersCount:       &NumberRange{AtLeast: float(2), AtMost: float(50)},
			TotalSpent:        &NumberRange{MoreThan: float(100.5), LessThan: float(10000)},
			AverageOrderValue: &NumberRange{Equals: float(40)},
			FirstOrder:        &DateRange{Before: "2026-01-01", After: "2020-06-30"},
			Channel:           []int{1, 2},
			AcceptsMarketing:  &yes,
			Registered:        &yes,
			PointsBalance:     &NumberRange{AtLeast: float(0)},
			CouponUsed:        []string{"*"},
			SKUPurchased:      []string{"COFFEE-1KG"},
			CategoryPurchased: []string{"23", "Coffee"},
			Country:           []string{"US", "Canada"},
		},
	}
	s := f.Defaults.Segments
	if s.PushToBigCommerce || !s.PushToBrevo || len(s.Definitions) != 1 {
		t.Fatalf("segments = %+v", s)
	}
	if got := s.Definitions[0]; !reflect.DeepEqual(got, want) {
		t.Errorf("decoded\n%+v\nwant\n%+v", got, want)
	}
	if !want.Rule.TimeBased() {
		t.Error("a rule with within in a not is time-based")
	}
	if got := want.Rule.GroupRefs(); !reflect.DeepEqual(got, []string{"VIP", "7"}) {
		t.Errorf("GroupRefs = %v", got)
	}
}

func TestRuleTimeBasedAndGroupRefs(t *testing.T) {
	for _, tt := range []struct {
		name string
		rule Rule
		time bool
		refs []string
	}{
		{"count", Rule{OrdersCount: &NumberRange{AtLeast: float(2)}}, false, nil},
		{"absolute dates", Rule{FirstOrder: &DateRange{Before: "2026-01-01"}, LastOrder: &DateRange{After: "2025-01-01"}}, false, nil},
		{"older_than", Rule{LastOrder: &DateRange{OlderThan: dur("90d")}}, true, nil},
		{"within in any", Rule{Any: []Rule{{CustomerGroup: []string{"VIP"}}, {FirstOrder: &DateRange{Within: dur("7d")}}}}, true, []string{"VIP"}},
		{"in all and not", Rule{CustomerGroup: []string{"Wholesale"}, All: []Rule{{Not: &Rule{CustomerGroup: []string{"3", "Wholesale"}, LastOrder: &DateRange{Within: dur("1d")}}}}}, true, []string{"Wholesale", "3"}},
	} {
		if got := tt.rule.TimeBased(); got != tt.time {
			t.Errorf("%s: TimeBased = %v, want %v", tt.name, got, tt.time)
		}
		if got := tt.rule.GroupRefs(); !reflect.DeepEqual(got, tt.refs) {
			t.Errorf("%s: GroupRefs = %v, want %v", tt.name, got, tt.refs)
		}
	}
}

func TestSegmentsFor(t *testing.T) {
	f, err := ParseFlows("flows.yaml", []byte(`
defaults:
  segments:
    definitions:
      - {name: repeat, title: Repeat, rule: {orders_count: {at_least: 2}}}
      - {name: big, title: Big, rule: {total_spent: {at_least: 1000}}}
stores:
  - store_hash: abc
    segments:
      push_to_brevo: false
      definitions:
        - {name: repeat, title: Repeaters, brevo_list: Rep, rule: {orders_count: {at_least: 3}}}
        - {name: big, title: Big, rule: {total_spent: {at_least: 1000}}}
    channels:
      - channel_id: 3
        segments:
          push_to_bigcommerce: false
          definitions:
            - {name: repeat, title: Ignored, rule: {orders_count: {at_least: 5}}}
            - {name: big, rule: {total_spent: {at_least: 1000}}}
            - {name: eu-only, title: EU, rule: {country: [FR]}}
      - channel_id: 2
        segments:
          definitions:
            - {name: repeat, rule: {orders_count: {at_least: 4}}}
      - channel_id: 4
        segments:
          enabled: false
          definitions:
            - {name: repeat, rule: {orders_count: {at_least: 9}}}
  - store_hash: other
    name: inherits the defaults
`))
	if err != nil {
		t.Fatal(err)
	}
	settings, defs := f.SegmentsFor("ABC")
	if !settings.Enabled || !settings.PushToBigCommerce || settings.PushToBrevo || settings.Definitions != nil {
		t.Errorf("settings = %+v, want the store level's without definitions", settings)
	}
	count := func(n float64) Rule { return Rule{OrdersCount: &NumberRange{AtLeast: float(n)}} }
	want := []SegmentDefinition{
		{Name: "big", Title: "Big", BrevoList: "Big", Rule: Rule{TotalSpent: &NumberRange{AtLeast: float(1000)}}},
		{Name: "eu-only", Title: "EU", BrevoList: "EU", Rule: Rule{Any: []Rule{
			{All: []Rule{{Channel: []int{3}}, {Country: []string{"FR"}}}},
		}}},
		{Name: "repeat", Title: "Repeaters", BrevoList: "Rep", Rule: Rule{Any: []Rule{
			{All: []Rule{{Channel: []int{2}}, count(4)}},
			{All: []Rule{{Channel: []int{3}}, count(5)}},
			{All: []Rule{{Not: &Rule{Channel: []int{2, 3}}}, count(3)}},
		}}},
	}
	if !reflect.DeepEqual(defs, want) {
		t.Errorf("SegmentsFor(abc) =\n%+v\nwant\n%+v", defs, want)
	}

	settings, defs = f.SegmentsFor("other")
	if !settings.Enabled || !settings.PushToBrevo || len(defs) != 2 || defs[0].Name != "big" || defs[1].Name != "repeat" || !reflect.DeepEqual(defs[1].Rule, count(2)) {
		t.Errorf("SegmentsFor(other) = %+v, %+v: want the defaults", settings, defs)
	}
	if _, defs := f.SegmentsFor("unknown"); len(defs) != 2 {
		t.Errorf("an unknown store gets the defaults, got %+v", defs)
	}
	// The result is a copy.
	_, defs = f.SegmentsFor("abc")
	defs[2].Rule.Any[0].All[0].Channel[0] = 99
	defs[0].Rule.TotalSpent.AtLeast = float(1)
	if _, again := f.SegmentsFor("abc"); !reflect.DeepEqual(again, want) {
		t.Error("SegmentsFor results share memory with the flows")
	}

	if settings, defs := (&Flows{Version: 1}).SegmentsFor("abc"); settings.Enabled || len(defs) != 0 {
		t.Errorf("no segments section: %+v %+v", settings, defs)
	}
}
