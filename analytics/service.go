package analytics

import "github.com/bcflow/bcflow/config"

// Service reads the figures of a store through Source and composes them;
// the Compose functions are the same composition without the reads.
type Service struct {
	// Source is the store; required.
	Source Source
	// Config gives step order, loyalty redemption, tiers and segment
	// titles; nil means the built-in defaults.
	Config *config.Flows
}

// defaultFlows is read once: DefaultFlows decodes the built-in file.
var defaultFlows = config.DefaultFlows()

// flows is s.Config or the built-in defaults.
func (s *Service) flows() *config.Flows {
	if s.Config == nil {
		return defaultFlows
	}
	return s.Config
}
