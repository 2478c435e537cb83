package config

import (
	"strings"
	"testing"
)

// defaultsProbe writes every part whose left-out keys take a default that is
// not a Go literal: a survey, a tier, a segments section, a segment flow, a
// replenishment reminder and a coupon.
const defaultsProbe = `defaults:
  survey: {link: "https://s.example.com/?o={order_id}"}
  loyalty: {tiers: [{name: All, min_points: 0}]}
  segments: {}
  segment_flows: [{name: f, segment: high_value, sequence: [{name: a, delay: 0s, event: e}]}]
  order_goals: {goals: [{name: g, kind: sku, sku: X, replenishment: {period_per_unit: 30d, event: r}}]}
  cart_recovery:
    steps: [{name: a, delay: 1h, channel: email, template: {brevo_template_id: 1}, coupon: {percent: 5}}]
`

type probed struct {
	surveyDelay, couponExpiry string
	multiplier                float64
	quantityAware, pushBrevo  bool
	on                        SegmentEdge
}

func probe(t *testing.T, file string) probed {
	t.Helper()
	f, err := ParseFlows("flows.yaml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	d := f.Defaults
	return probed{
		surveyDelay:   d.Survey.Delay.String(),
		couponExpiry:  d.CartRecovery.Steps[0].Coupon.ExpiresAfter.String(),
		multiplier:    d.Loyalty.Tiers[0].Multiplier,
		quantityAware: d.OrderGoals.Goals[0].Replenishment.QuantityAware,
		pushBrevo:     d.Segments.PushToBrevo,
		on:            d.SegmentFlows[0].On,
	}
}

// The defaults of left-out keys are flows.default.yaml's: changing that
// file changes them (no Go literal repeats them).
func TestLeftOutKeysTakeTheBuiltInFile(t *testing.T) {
	builtin := probed{surveyDelay: "7d", couponExpiry: "7d", multiplier: 1, quantityAware: true, pushBrevo: true, on: SegmentEnter}
	if got := probe(t, defaultsProbe); got != builtin {
		t.Fatalf("defaults = %+v, want %+v", got, builtin)
	}

	text := string(DefaultFlowsYAML())
	for _, r := range [][2]string{
		{"    delay: 7d\n    channel: email\n    template:\n      subject: \"How was", "    delay: 5d\n    channel: email\n    template:\n      subject: \"How was"},
		{"    expires_after: 7d           #", "    expires_after: 3d           #"},
		{"    multiplier: 1               #", "    multiplier: 2               #"},
		{"    quantity_aware: true        #", "    quantity_aware: false       #"},
		{"    on: enter                   #", "    on: leave                   #"},
		{"    push_to_brevo: true\n", "    push_to_brevo: false\n"},
	} {
		if strings.Count(text, r[0]) != 1 {
			t.Fatalf("flows.default.yaml no longer holds %q once: update this test", r[0])
		}
		text = strings.Replace(text, r[0], r[1], 1)
	}
	changed, err := ParseFlows("flows.default.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	saved := builtinFlows
	builtinFlows = changed
	t.Cleanup(func() { builtinFlows = saved })
	want := probed{surveyDelay: "5d", couponExpiry: "3d", multiplier: 2, quantityAware: false, pushBrevo: false, on: SegmentLeave}
	if got := probe(t, defaultsProbe); got != want {
		t.Errorf("after editing flows.default.yaml, defaults = %+v, want %+v", got, want)
	}
}

// A file's own element_defaults apply to the whole file; keys it leaves out
// keep the built-in values.
func TestFileElementDefaults(t *testing.T) {
	got := probe(t, "element_defaults:\n  coupon: {expires_after: 14d}\n  segment_flow: {on: leave}\n"+defaultsProbe)
	want := probed{surveyDelay: "7d", couponExpiry: "14d", multiplier: 1, quantityAware: true, pushBrevo: true, on: SegmentLeave}
	if got != want {
		t.Errorf("defaults = %+v, want %+v", got, want)
	}
	// The block may come after what uses it.
	if got := probe(t, defaultsProbe+"element_defaults:\n  tier: {multiplier: 3}\n"); got.multiplier != 3 {
		t.Errorf("tier multiplier = %v, want 3 from a block written last", got.multiplier)
	}

	runFlowsCases(t, []flowsCase{
		{"invalid", "element_defaults:\n  coupon: {expires_after: 0s}\n  tier: {multiplier: -1}\n  segment_flow: {on: up}\n",
			`flows.yaml:2: element_defaults.coupon.expires_after: must be a positive duration, got "0s"
flows.yaml:3: element_defaults.tier.multiplier: must be a positive number, got -1
flows.yaml:4: element_defaults.segment_flow.on: must be enter or leave, got "up"`},
		{"misspelt once", "element_defaults:\n  coupon: {expires: 1d}\n",
			`flows.yaml:2: element_defaults.coupon.expires: unknown field "expires"; known fields: expires_after`},
	})
}
