package config

import (
	"math"
	"reflect"
	"strconv"
	"strings"
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

// seg returns a file whose defaults hold a segments section with the given
// definition lines (indented for the definitions list), starting at line 4.
func seg(lines string) string {
	return "defaults:\n  segments:\n    definitions:\n" + lines
}

func TestParseFlowsSegmentErrors(t *testing.T) {
	runFlowsCases(t, []flowsCase{
		{"unknown rule field", seg("      - name: a\n        rule:\n          orders_cnt: {at_least: 2}\n"),
			`flows.yaml:6: defaults.segments.definitions[0].rule.orders_cnt: unknown field "orders_cnt" (did you mean "orders_count"?)`},
		{"unknown range field", seg("      - name: a\n        rule:\n          total_spent: {at_lest: 2}\n"),
			`flows.yaml:6: defaults.segments.definitions[0].rule.total_spent.at_lest: unknown field "at_lest" (did you mean "at_least"?)`},
		{"unknown nested field", seg("      - name: a\n        rule:\n          any:\n            - not:\n                last_ordr: {within: 7d}\n"),
			`flows.yaml:8: defaults.segments.definitions[0].rule.any[0].not.last_ordr: unknown field "last_ordr" (did you mean "last_order"?)`},
		{"names", seg("      - {name: Big, rule: {registered: true}}\n      - {name: a, rule: {registered: true}}\n      - {name: a, title: Other, rule: {registered: false}}\n      - {name: _x, rule: {registered: true}}\n      - {rule: {registered: true}}\n"),
			`flows.yaml:4: defaults.segments.definitions[0].name: must be lower-case letters, digits, '_' or '-', starting with a letter or digit, got "Big"
flows.yaml:6: defaults.segments.definitions[2].name: duplicate segment name "a" (also definitions[1])
flows.yaml:7: defaults.segments.definitions[3].name: must be lower-case letters, digits, '_' or '-', starting with a letter or digit, got "_x"
flows.yaml:8: defaults.segments.definitions[4].name: is required`},
		{"titles and lists", seg("      - {name: a, title: VIP, rule: {registered: true}}\n      - {name: b, title: vip, rule: {registered: true}}\n      - {name: c, brevo_list: VIP, rule: {registered: true}}\n      - {name: d, title: \" D\", rule: {registered: true}}\n      - {name: e, rule: {registered: true}}\n      - {name: f, brevo_list: e, rule: {registered: true}}\n"),
			`flows.yaml:5: defaults.segments.definitions[1].title: duplicate segment title "vip" (also definitions[0]): BigCommerce finds segments by it
flows.yaml:5: defaults.segments.definitions[1].title: duplicate Brevo list "vip" (also definitions[0]): each segment needs its own list
flows.yaml:6: defaults.segments.definitions[2].brevo_list: duplicate Brevo list "VIP" (also definitions[0]): each segment needs its own list
flows.yaml:7: defaults.segments.definitions[3].title: a segment title must have no leading or trailing spaces, got " D"
flows.yaml:9: defaults.segments.definitions[5].brevo_list: duplicate Brevo list "e" (also definitions[4]): each segment needs its own list`},
		{"missing keys", seg("      - title: A\n"),
			`flows.yaml:4: defaults.segments.definitions[0].name: is required
flows.yaml:4: defaults.segments.definitions[0].rule: is required`},
		{"no definitions", "defaults:\n  segments:\n    definitions: []\n",
			`flows.yaml:3: defaults.segments.definitions: enabled segments need at least one definition (or write enabled: false)`},
		{"empty rules", seg("      - name: a\n        rule: {}\n      - name: b\n        rule:\n          not: {}\n          all: []\n          any: [{}]\n"),
			`flows.yaml:5: defaults.segments.definitions[0].rule: must hold at least one condition (orders_count, total_spent, last_order, customer_group... or all, any, not)
flows.yaml:8: defaults.segments.definitions[1].rule.not: must hold at least one condition (orders_count, total_spent, last_order, customer_group... or all, any, not)
flows.yaml:9: defaults.segments.definitions[1].rule.all: must list at least one rule
flows.yaml:10: defaults.segments.definitions[1].rule.any[0]: must hold at least one condition (orders_count, total_spent, last_order, customer_group... or all, any, not)`},
		{"number ranges", seg(`      - name: a
        rule:
          orders_count: {at_least: 1.5}
          total_spent: {}
          average_order_value: {equals: 10, at_least: 5}
          points_balance: {at_least: -1}
      - name: b
        rule:
          orders_count: {at_least: 2, more_than: 1}
          total_spent: {at_most: 5, less_than: 6}
      - name: c
        rule:
          orders_count: {at_least: 5, at_most: 4}
          total_spent: {more_than: 10, at_most: 10}
          average_order_value: {at_least: 10, at_most: 10}
`),
			`flows.yaml:6: defaults.segments.definitions[0].rule.orders_count.at_least: must be a whole number (orders are counted), got 1.5
flows.yaml:7: defaults.segments.definitions[0].rule.total_spent: must hold at least one bound: at_least, more_than, at_most, less_than or equals
flows.yaml:8: defaults.segments.definitions[0].rule.average_order_value.equals: cannot be combined with other bounds: write equals alone
flows.yaml:9: defaults.segments.definitions[0].rule.points_balance.at_least: must be 0 or more, got -1
flows.yaml:12: defaults.segments.definitions[1].rule.orders_count.more_than: write at_least or more_than, not both
flows.yaml:13: defaults.segments.definitions[1].rule.total_spent.less_than: write at_most or less_than, not both
flows.yaml:16: defaults.segments.definitions[2].rule.orders_count: matches nothing: at_least 5 and at_most 4
flows.yaml:17: defaults.segments.definitions[2].rule.total_spent: matches nothing: more_than 10 and at_most 10`},
		{"date ranges", seg(`      - name: a
        rule:
          first_order: {}
          last_order: {older_than: 0s, within: -1d}
      - name: b
        rule:
          first_order: {before: 2026-02-30, after: 01/02/2026}
          last_order: {older_than: 30d, within: 30d}
      - name: c
        rule:
          first_order: {after: 2026-01-02, before: 2026-01-02}
          last_order: {within: 1x}
`),
			`flows.yaml:6: defaults.segments.definitions[0].rule.first_order: must hold at least one bound: older_than, within, before or after
flows.yaml:7: defaults.segments.definitions[0].rule.last_order.older_than: must be a positive duration such as 90d, got "0s"
flows.yaml:7: defaults.segments.definitions[0].rule.last_order.within: must be a positive duration such as 90d, got "-1d"
flows.yaml:10: defaults.segments.definitions[1].rule.first_order.before: must be a date YYYY-MM-DD, got "2026-02-30"
flows.yaml:10: defaults.segments.definitions[1].rule.first_order.after: must be a date YYYY-MM-DD, got "01/02/2026"
flows.yaml:11: defaults.segments.definitions[1].rule.last_order: matches nothing: within 30d must be longer than older_than 30d
flows.yaml:14: defaults.segments.definitions[2].rule.first_order: matches nothing: after 2026-01-02 (inclusive) must come before before 2026-01-02
flows.yaml:15: defaults.segments.definitions[2].rule.last_order.within: must be a duration like 90m, 36h, 14d or 1d12h, got "1x"`},
		{"lists", seg(`      - name: a
        rule:
          channel: [0, 2]
          customer_group: []
          loyalty_tier: [""]
          coupon_used: [" "]
          sku_purchased: []
          category_purchased: [""]
          country: [""]
      - name: b
        rule: {channel: []}
`),
			`flows.yaml:6: defaults.segments.definitions[0].rule.channel[0]: must be a BigCommerce channel id (1 or more), got 0
flows.yaml:7: defaults.segments.definitions[0].rule.customer_group: must list at least one value: a customer group name from customer_groups or a numeric group id
flows.yaml:8: defaults.segments.definitions[0].rule.loyalty_tier[0]: must not be empty: a loyalty tier name
flows.yaml:9: defaults.segments.definitions[0].rule.coupon_used[0]: must not be empty: a coupon code, or "*" for any coupon
flows.yaml:10: defaults.segments.definitions[0].rule.sku_purchased: must list at least one value: a product SKU
flows.yaml:11: defaults.segments.definitions[0].rule.category_purchased[0]: must not be empty: a category id or name
flows.yaml:12: defaults.segments.definitions[0].rule.country[0]: must not be empty: an ISO 3166-1 alpha-2 code or an English country name
flows.yaml:14: defaults.segments.definitions[1].rule.channel: must list at least one channel id`},
		{"wrong types", seg("      - name: a\n        rule:\n          channel: [web]\n          accepts_marketing: maybe\n          not: [{registered: true}]\n"),
			`flows.yaml:6: defaults.segments.definitions[0].rule.channel[0]: must be a whole number, got "web"
flows.yaml:7: defaults.segments.definitions[0].rule.accepts_marketing: must be true or false, got "maybe"
flows.yaml:8: defaults.segments.definitions[0].rule.not: must be a mapping (key: value lines), got a list`},
		{"customer groups", "defaults:\n  customer_groups: [Retail]\n  segments:\n    definitions:\n      - name: a\n        rule: {any: [{customer_group: [Retail, \"12\"]}, {customer_group: [Wholesale]}]}\n",
			`flows.yaml:6: defaults.segments.definitions[0].rule.any[1].customer_group[0]: unknown customer group "Wholesale" (customer_groups lists Retail) or use the numeric group id`},
		{"loyalty tiers", "defaults:\n  loyalty:\n    tiers: [{name: Bronze, min_points: 0}, {name: Gold, min_points: 10}]\n  segments:\n    definitions:\n      - name: a\n        rule: {loyalty_tier: [gold, Silver]}\n",
			`flows.yaml:7: defaults.segments.definitions[0].rule.loyalty_tier[1]: unknown loyalty tier "Silver" (loyalty.tiers lists Bronze, Gold)`},
	})
}

func TestParseFlowsSegmentRuleDepth(t *testing.T) {
	// The definition's rule is level 1: MaxRuleDepth nots take the
	// innermost rule one level too deep.
	_, err := ParseFlows("flows.yaml", []byte(seg("      - name: deep\n        rule:\n"+nested(MaxRuleDepth))))
	want := "flows.yaml:" + strconv.Itoa(5+MaxRuleDepth) + ": defaults.segments.definitions[0].rule" + strings.Repeat(".not", MaxRuleDepth) +
		": rules may nest at most 8 deep (all, any and not); simplify this one"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant %s", err, want)
	}
	// One level less is fine.
	if _, err := ParseFlows("flows.yaml", []byte(seg("      - name: deep\n        rule:\n"+nested(MaxRuleDepth-1)))); err != nil {
		t.Errorf("%d levels: %v", MaxRuleDepth, err)
	}
}

// nested returns rule lines of n nested nots around registered: true,
// indented for a definition's rule.
func nested(n int) string {
	var b strings.Builder
	indent := "          "
	for i := 0; i < n; i++ {
		b.WriteString(indent + "not:\n")
		indent += "  "
	}
	b.WriteString(indent + "registered: true\n")
	return b.String()
}

func TestParseFlowsSegmentFlowErrors(t *testing.T) {
	const step = "        - {name: s, delay: 0s, channel: email, template: {brevo_template_id: 1}}\n"
	runFlowsCases(t, []flowsCase{
		{"flows", "defaults:\n  segments: {}\n  segment_flows:\n" +
			"    - name: win-back\n      segment: at_risk\n      sequence:\n" + step +
			"    - name: win-back\n      segment: at-risk\n      on: exit\n      sequence:\n" +
			"        - {name: s, delay: -1h, channel: email, template: {brevo_template_id: 1}}\n" +
			"        - {name: s, delay: 1h, channel: fax, template: {brevo_template_id: 1}}\n" +
			"    - name: bad name\n      segment: high_value\n      on: leave\n      sequence: []\n" +
			"    - {name: x}\n",
			`flows.yaml:8: defaults.segment_flows[1].name: duplicate segment flow name "win-back" (also segment_flows[0])
flows.yaml:9: defaults.segment_flows[1].segment: unknown segment "at-risk" (segments defines at_risk, first_time_buyers, high_value, repeat_customers, wholesale)
flows.yaml:10: defaults.segment_flows[1].on: must be enter or leave, got "exit"
flows.yaml:12: defaults.segment_flows[1].sequence[0].delay: must not be negative, got "-1h"
flows.yaml:13: defaults.segment_flows[1].sequence[1].name: duplicate step name "s" (also defaults.segment_flows[1].sequence[0])
flows.yaml:13: defaults.segment_flows[1].sequence[1].channel: unknown channel "fax" (want email, sms or whatsapp)
flows.yaml:14: defaults.segment_flows[2].name: must be letters, digits, '_' or '-', got "bad name"
flows.yaml:17: defaults.segment_flows[2].sequence: must list at least one step
flows.yaml:18: defaults.segment_flows[3].segment: is required
flows.yaml:18: defaults.segment_flows[3].sequence: is required`},
		{"no segments section", "defaults:\n  segment_flows:\n    - name: a\n      segment: at_risk\n      sequence:\n" + step,
			`flows.yaml:4: defaults.segment_flows[0].segment: unknown segment "at_risk": no segment is defined here (add a segments section)`},
		{"coupon segments", `defaults:
  segments:
    definitions:
      - {name: vip, rule: {total_spent: {at_least: 500}}}
  cart_recovery:
    steps:
      - {name: a, delay: 1h, channel: email, template: {brevo_template_id: 1}, coupon: {percent: 10, segment: vip}}
      - {name: b, delay: 2h, channel: email, template: {brevo_template_id: 1}, coupon: {percent: 10, segment: vips}}
  order_goals:
    goals:
      - name: g
        kind: sku
        sku: X
        sequence:
          - {name: a, delay: 0s, channel: email, template: {brevo_template_id: 1}, coupon: {percent: 5, segment: gold}}
        replenishment:
          period_per_unit: 30d
          channel: email
          template: {brevo_template_id: 1}
          coupon: {percent: 5, segment: silver}
  review_request:
    coupon: {percent: 5, segment: bronze}
  segment_flows:
    - name: f
      segment: vip
      sequence:
        - {name: a, delay: 0s, channel: email, template: {brevo_template_id: 1}, coupon: {percent: 15, segment: vip}}
        - {name: b, delay: 1d, channel: email, template: {brevo_template_id: 1}, coupon: {percent: 15, segment: lapsed}}
`,
			`flows.yaml:8: defaults.cart_recovery.steps[1].coupon.segment: unknown segment "vips" (segments defines vip)
flows.yaml:15: defaults.order_goals.goals[0].sequence[0].coupon.segment: unknown segment "gold" (segments defines vip)
flows.yaml:20: defaults.order_goals.goals[0].replenishment.coupon.segment: unknown segment "silver" (segments defines vip)
flows.yaml:22: defaults.review_request.coupon.segment: unknown segment "bronze" (segments defines vip)
flows.yaml:28: defaults.segment_flows[0].sequence[1].coupon.segment: unknown segment "lapsed" (segments defines vip)`},
		{"coupon segment not pushed", `defaults:
  segments:
    push_to_bigcommerce: false
    definitions:
      - {name: vip, rule: {total_spent: {at_least: 500}}}
  review_request:
    coupon: {percent: 5, segment: vip}
stores:
  - store_hash: abc
    segments: {enabled: false}
`,
			`flows.yaml:7: defaults.review_request.coupon.segment: segment "vip" is not pushed to BigCommerce (segments is off or push_to_bigcommerce is false), so no shopper could use the coupon`},
		{"channel segments are store-wide", `defaults:
  segments:
    definitions:
      - {name: big, title: Big, rule: {total_spent: {at_least: 500}}}
stores:
  - store_hash: abc
    channels:
      - channel_id: 2
        segments:
          definitions:
            - {name: big, title: Ignored, rule: {total_spent: {at_least: 900}}}
            - {name: big2, title: big, rule: {total_spent: {at_least: 900}}}
            - {name: eu, rule: {country: [FR]}}
      - channel_id: 3
        segments:
          definitions:
            - {name: de, title: EU, rule: {country: [DE]}}
`,
			`flows.yaml:12: stores[0].channels[0].segments.definitions[1].title: duplicate segment title "big": the store's segment "big" has it too (segments are store-wide, one BigCommerce segment each)
flows.yaml:12: stores[0].channels[0].segments.definitions[1].title: duplicate Brevo list "big": the store's segment "big" has it too (segments are store-wide, one Brevo list each)
flows.yaml:17: stores[0].channels[1].segments.definitions[0].title: duplicate segment title "EU": segment "eu" of channel 2 has it too (segments are store-wide, one BigCommerce segment each)
flows.yaml:17: stores[0].channels[1].segments.definitions[0].title: duplicate Brevo list "EU": segment "eu" of channel 2 has it too (segments are store-wide, one Brevo list each)`},
		{"levels", `defaults:
  customer_groups: [VIP]
  segments:
    definitions:
      - {name: vip, rule: {customer_group: [VIP]}}
  segment_flows:
    - name: f
      segment: vip
      sequence:
        - {name: a, delay: 0s, channel: email, template: {brevo_template_id: 1}}
stores:
  - store_hash: abc
    customer_groups: [Retail]
    segments:
      definitions:
        - {name: big, rule: {total_spent: {at_least: 500}}}
    channels:
      - channel_id: 2
        customer_groups: [Retail, Trade]
        segments:
          definitions:
            - {name: trade, rule: {customer_group: [Trade, Wholesale]}}
        segment_flows:
          - name: t
            segment: trade
            sequence:
              - {name: a, delay: 0s, channel: email, template: {brevo_template_id: 1}}
          - name: b
            segment: big
            on: leave
            sequence:
              - {name: a, delay: 0s, channel: email, template: {brevo_template_id: 1}, coupon: {percent: 5, segment: vip}}
`,
			`flows.yaml:8: defaults.segment_flows[0].segment: unknown segment "vip" (segments defines big, trade) (applies to store abc)
flows.yaml:22: stores[0].channels[0].segments.definitions[0].rule.customer_group[1]: unknown customer group "Wholesale" (customer_groups lists Retail, Trade) or use the numeric group id
flows.yaml:32: stores[0].channels[0].segment_flows[1].sequence[0].coupon.segment: unknown segment "vip" (segments defines big, trade)`},
	})
}

// A file that copies the built-in segments but lists other customer groups
// is not blamed for the built-in wholesale segment it did not write.
func TestSegmentsBuiltInGroupsNotBlamed(t *testing.T) {
	if _, err := ParseFlows("flows.yaml", []byte("defaults:\n  customer_groups: [Retail]\n  segments: {}\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseFlows("flows.yaml", []byte("defaults:\n  customer_groups: [Retail]\n  segments:\n    definitions:\n      - {name: w, rule: {customer_group: [Wholesale]}}\n")); err == nil {
		t.Fatal("a written unknown group passed")
	}
}

func TestValidateSegmentsWithoutFile(t *testing.T) {
	f := DefaultFlows()
	f.Defaults.SegmentFlows = []SegmentFlow{{Name: "x", Segment: "high_value", Sequence: []Step{{Name: "a", Message: Message{Event: "e"}}}}}
	err := f.Validate()
	want := `flows: defaults.segment_flows[0].on: must be enter or leave, got ""`
	if err == nil || err.Error() != want {
		t.Errorf("Validate = %v, want %s", err, want)
	}
	f.Defaults.SegmentFlows[0].On = SegmentLeave
	f.Defaults.Segments.Definitions[0].Rule.OrdersCount.Equals = float(math.NaN())
	want = `flows: defaults.segments.definitions[0].rule.orders_count.equals: must be 0 or more, got NaN`
	if err := f.Validate(); err == nil || err.Error() != want {
		t.Errorf("Validate = %v, want %s", err, want)
	}
}

// The built-in file's commented segment_flows example is valid once
// uncommented.
func TestBuiltInSegmentFlowExample(t *testing.T) {
	lines := strings.Split(string(DefaultFlowsYAML()), "\n")
	out := make([]string, 0, len(lines))
	inExample := false
	for _, l := range lines {
		switch {
		case l == "  # segment_flows:":
			inExample = true
		case inExample && !strings.HasPrefix(l, "  # "):
			inExample = false
		}
		if inExample {
			l = "  " + strings.TrimPrefix(l, "  # ")
		}
		out = append(out, l)
	}
	f, err := ParseFlows("flows.default.yaml", []byte(strings.Join(out, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Defaults.SegmentFlows) != 1 || f.Defaults.SegmentFlows[0].Segment != "at_risk" || f.Defaults.SegmentFlows[0].On != SegmentEnter ||
		len(f.Defaults.SegmentFlows[0].Sequence) != 2 || f.Defaults.SegmentFlows[0].Sequence[0].Coupon.Segment != "at_risk" {
		t.Errorf("uncommented example = %+v", f.Defaults.SegmentFlows)
	}
}
