package analytics

import (
	"context"
	"fmt"
	"sync"

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

// parallel runs reads at once (each on its own connection) and returns
// the first error: a page's latency is its slowest read, not their sum.
func parallel(reads ...func() error) error {
	errs := make([]error, len(reads))
	var wg sync.WaitGroup
	for i, read := range reads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = read()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// chunkDays is the longest span of one daily read: a year of a store's
// decisions is tens of thousands of rows, read as a few spans at once.
const chunkDays = 92

// chunks splits r into spans of at most chunkDays days.
func (r Range) chunks() []Range {
	days := r.Days()
	var out []Range
	for i := 0; i < len(days); i += chunkDays {
		out = append(out, Range{From: days[i], To: days[min(i+chunkDays, len(days))-1]})
	}
	return out
}

// periodRows reads the daily rows of q.Period (for the series), one read
// per kind and span, and the totals of q.Previous, dated its first day,
// all at once: what the Compose functions read, without a year of daily
// rows for the period only summed.
func (s *Service) periodRows(ctx context.Context, storeHash string, q Query, kinds ...string) ([]RollupRow, error) {
	spans := q.Period.chunks()
	daily := make([][]RollupRow, len(kinds)*len(spans))
	var prev []RollupRow
	reads := []func() error{func() (err error) {
		prev, err = s.totals(ctx, storeHash, q.Channel, q.Previous, kinds...)
		return err
	}}
	for i, kind := range kinds {
		for j, span := range spans {
			reads = append(reads, func() (err error) {
				daily[i*len(spans)+j], err = s.Source.Rollups(ctx, storeHash, q.Channel, span.From, span.To, kind)
				return err
			})
		}
	}
	if err := parallel(reads...); err != nil {
		return nil, err
	}
	var rows []RollupRow
	for _, d := range daily {
		rows = append(rows, d...)
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
