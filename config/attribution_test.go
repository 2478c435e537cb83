package config

import (
	"testing"
	"time"
)

// attribution_window is positive, per store and channel like a section,
// and, left out, follows cart recovery's window at the same level.
func TestAttributionWindowPerStoreAndChannel(t *testing.T) {
	if got := DefaultFlows().For("any", 1); got.Attribution() != 120*time.Hour || got.AttributionWindow != nil {
		t.Fatalf("built-in attribution = %v (key %v), want cart recovery's 120h and no key", got.Attribution(), got.AttributionWindow)
	}
	f, err := ParseFlows("f.yaml", []byte(`defaults:
  attribution_window: 3d
  cart_recovery: {attribution_window: 2d}
stores:
  - store_hash: abc
    channels:
      - channel_id: 2
        attribution_window: 12h
  - store_hash: def
    cart_recovery: {attribution_window: 1d}
    channels:
      - channel_id: 3
        cart_recovery: {enabled: false}
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		store   string
		channel int
		want    time.Duration
	}{{"zzz", 1, 72 * time.Hour}, {"abc", 1, 72 * time.Hour}, {"abc", 2, 12 * time.Hour}, {"def", 3, 72 * time.Hour}} {
		set := f.For(c.store, c.channel)
		if got := set.Attribution(); got != c.want {
			t.Errorf("For(%s, %d).Attribution() = %v, want %v", c.store, c.channel, got, c.want)
		}
	}
	g, err := ParseFlows("g.yaml", []byte("defaults:\n  cart_recovery: {attribution_window: 2d}\nstores:\n  - store_hash: def\n    cart_recovery: {enabled: false}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := g.For("zzz", 1); got.Attribution() != 48*time.Hour {
		t.Errorf("without the key: %v, want cart recovery's 48h", got.Attribution())
	}
	if got := g.For("def", 1); got.Attribution() != DefaultAttributionWindow {
		t.Errorf("cart section without the key: %v, want the built-in %v", got.Attribution(), DefaultAttributionWindow)
	}
	var empty FlowSet
	if empty.Attribution() != DefaultAttributionWindow {
		t.Errorf("empty set: %v", empty.Attribution())
	}
}

func TestAttributionWindowErrors(t *testing.T) {
	runFlowsCases(t, []flowsCase{
		{"zero", "defaults:\n  attribution_window: 0s\n", `flows.yaml:2: defaults.attribution_window: must be a positive duration, got "0s"`},
		{"negative on a channel", "stores:\n  - store_hash: abc\n    channels:\n      - channel_id: 2\n        attribution_window: -1h\n",
			`flows.yaml:5: stores[0].channels[0].attribution_window: must be a positive duration, got "-1h"`},
		{"not a duration", "defaults:\n  attribution_window: later\n",
			`flows.yaml:2: defaults.attribution_window: must be a duration like 90m, 36h, 14d or 1d12h, got "later"`},
		{"valid", "defaults:\n  attribution_window: 7d\n", ""},
	})
}
