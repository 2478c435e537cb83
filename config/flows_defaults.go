package config

import (
	_ "embed"
	"fmt"
	"math"
	"os"
)

// This file loads flows: the built-in playbook, which is flows.default.yaml
// and nothing else (decoded once, when the package initialises), the
// defaults of keys a file leaves out, and flows files from disk.

//go:embed flows.default.yaml
var defaultFlowsYAML []byte

// builtinFlows is flows.default.yaml decoded; nil only while init decodes it.
// Never hand it out: DefaultFlows and the section defaults return copies.
var builtinFlows *Flows

func init() {
	f, err := ParseFlows("flows.default.yaml", defaultFlowsYAML)
	if err != nil {
		panic(fmt.Sprintf("config: the built-in flows file is invalid: %v", err))
	}
	builtinFlows = f
}

// DefaultFlowsYAML returns the commented built-in flows file, for commands
// that write a starting file and for the documentation. DefaultFlows is this
// file decoded.
func DefaultFlowsYAML() []byte { return append([]byte(nil), defaultFlowsYAML...) }

// DefaultFlows returns the built-in classic playbook used when no flows file
// is configured: flows.default.yaml, decoded. Each call returns a fresh copy
// the caller may modify.
func DefaultFlows() *Flows { return deepCopy(builtinFlows) }

// LoadFlows reads, parses and validates the flows file at path.
func LoadFlows(path string) (*Flows, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("flows: %w", err)
	}
	return ParseFlows(path, data)
}

// builtinSection returns a copy of a section of the built-in defaults, the
// values of every key a written section leaves out. While init decodes the
// built-in file itself there is nothing to copy: that file writes every key.
func builtinSection[T any](section func(*FlowSet) *T) T {
	var zero T
	if builtinFlows == nil {
		return zero
	}
	s := section(&builtinFlows.Defaults)
	if s == nil {
		return zero
	}
	return deepCopy(*s)
}

// The defaults of keys a file leaves out, all from flows.default.yaml:
// a written section starts from the built-in section (which may be
// written with enabled: false, as the survey is, only to hold defaults);
// coupons, tiers, replenishment reminders and segment flows, which have no
// built-in entry to start from, from element_defaults (the file's own
// when it writes one, ParseFlows decoding it first).

func (c *CartRecovery) setDefaults() {
	*c = builtinSection(func(s *FlowSet) *CartRecovery { return s.CartRecovery })
}

func (o *OrderGoals) setDefaults() {
	*o = builtinSection(func(s *FlowSet) *OrderGoals { return s.OrderGoals })
}

func (l *Loyalty) setDefaults() {
	*l = builtinSection(func(s *FlowSet) *Loyalty { return s.Loyalty })
}

func (r *ReviewRequest) setDefaults() {
	*r = builtinSection(func(s *FlowSet) *ReviewRequest { return s.ReviewRequest })
}

func (s *Survey) setDefaults() {
	*s = builtinSection(func(f *FlowSet) *Survey { return f.Survey })
}

// ElementDefaults holds the values of keys left out by parts of a flows
// file that are not sections. A section a file writes starts from the
// built-in section, but a coupon, a tier, a replenishment reminder or a
// segment flow has no built-in one to start from: their left-out keys
// take these. flows.default.yaml's element_defaults is the only source of
// the built-in values; a file may write its own block, which applies to the
// whole file (keys it leaves out keep the built-in values).
type ElementDefaults struct {
	// Coupon: the defaults of every coupon.
	Coupon CouponDefaults `yaml:"coupon"`
	// Tier: the defaults of every loyalty tier.
	Tier TierDefaults `yaml:"tier"`
	// Replenishment: the defaults of every replenishment reminder.
	Replenishment ReplenishmentDefaults `yaml:"replenishment"`
	// SegmentFlow: the defaults of every segment flow.
	SegmentFlow SegmentFlowDefaults `yaml:"segment_flow"`
}

// CouponDefaults are the element defaults of coupons.
type CouponDefaults struct {
	// ExpiresAfter is Coupon.ExpiresAfter's default (built in: 7d).
	ExpiresAfter Duration `yaml:"expires_after"`
}

// TierDefaults are the element defaults of loyalty tiers.
type TierDefaults struct {
	// Multiplier is Tier.Multiplier's default (built in: 1).
	Multiplier float64 `yaml:"multiplier"`
}

// ReplenishmentDefaults are the element defaults of replenishment
// reminders.
type ReplenishmentDefaults struct {
	// QuantityAware is Replenishment.QuantityAware's default (built in:
	// true).
	QuantityAware bool `yaml:"quantity_aware"`
}

// SegmentFlowDefaults are the element defaults of segment flows.
type SegmentFlowDefaults struct {
	// On is SegmentFlow.On's default (built in: enter).
	On SegmentEdge `yaml:"on"`
}

// builtinElementDefaults returns a copy of flows.default.yaml's
// element_defaults (zero while init decodes that file, which decodes its
// block before anything that uses it).
func builtinElementDefaults() ElementDefaults {
	if builtinFlows == nil || builtinFlows.ElementDefaults == nil {
		return ElementDefaults{}
	}
	return *builtinFlows.ElementDefaults
}

func (e *ElementDefaults) setDefaults() { *e = builtinElementDefaults() }

// elementDefaulter is implemented by the parts of a file that take their
// left-out keys from element_defaults.
type elementDefaulter interface{ setElementDefaults(*ElementDefaults) }

func (c *Coupon) setElementDefaults(e *ElementDefaults) { c.ExpiresAfter = e.Coupon.ExpiresAfter }

func (t *Tier) setElementDefaults(e *ElementDefaults) { t.Multiplier = e.Tier.Multiplier }

func (r *Replenishment) setElementDefaults(e *ElementDefaults) {
	r.QuantityAware = e.Replenishment.QuantityAware
}

func (f *SegmentFlow) setElementDefaults(e *ElementDefaults) { f.On = e.SegmentFlow.On }

func (c *checker) elementDefaults(p string, e *ElementDefaults) {
	if e.Coupon.ExpiresAfter <= 0 {
		c.add(p+".coupon.expires_after", "must be a positive duration, got %q", e.Coupon.ExpiresAfter)
	}
	if m := e.Tier.Multiplier; !(m > 0) || math.IsInf(m, 0) {
		c.add(p+".tier.multiplier", "must be a positive number, got %v", m)
	}
	switch e.SegmentFlow.On {
	case SegmentEnter, SegmentLeave:
	default:
		c.add(p+".segment_flow.on", "must be enter or leave, got %q", e.SegmentFlow.On)
	}
}
