package config

import (
	_ "embed"
	"fmt"
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

// The defaults of keys a file leaves out. Sections of the built-in playbook
// take them from flows.default.yaml; entries of lists, and sections the
// playbook leaves off, have the few below (documented in that file's
// comments).

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
	*s = Survey{TriggerStatus: StatusShipped, Delay: 7 * Duration(Day), Message: Message{Channel: ChannelEmail}}
}

func (c *Coupon) setDefaults() { c.ExpiresAfter = 7 * Duration(Day) }

func (r *Replenishment) setDefaults() { r.QuantityAware = true }

func (t *Tier) setDefaults() { t.Multiplier = 1 }
