package analytics

import (
	"context"
	"fmt"

	"github.com/bcflow/bcflow/config"
)

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

// periodRows reads the daily rows of q.Period (for the series) and the
// totals of q.Previous, dated its first day: what the Compose functions
// read, without a year of daily rows for the period only summed.
func (s *Service) periodRows(ctx context.Context, storeHash string, q Query, kinds ...string) ([]RollupRow, error) {
	rows, err := s.Source.Rollups(ctx, storeHash, q.Channel, q.Period.From, q.Period.To, kinds...)
	if err != nil {
		return nil, err
	}
	prev, err := s.totals(ctx, storeHash, q.Channel, q.Previous, kinds...)
	if err != nil {
		return nil, err
	}
	return append(rows, prev...), nil
}

// totals reads the totals of r, dated its first day.
func (s *Service) totals(ctx context.Context, storeHash string, channel int64, r Range, kinds ...string) ([]RollupRow, error) {
	rows, err := s.Source.RollupTotals(ctx, storeHash, channel, r.From, r.To, kinds...)
	if err != nil {
		return nil, fmt.Errorf("totals %s..%s: %w", r.From, r.To, err)
	}
	for i := range rows {
		rows[i].Day = r.From
	}
	return rows, nil
}

// flows is s.Config or the built-in defaults.
func (s *Service) flows() *config.Flows {
	if s.Config == nil {
		return defaultFlows
	}
	return s.Config
}
