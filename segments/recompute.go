package segments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/store"
)

// Progress reports a recompute's advance: Done of Total segments finished,
// Segment the one being evaluated ("" once all are done).
type Progress struct {
	Segment     string
	Done, Total int
}

// RecomputeResult sums up a recompute.
type RecomputeResult struct {
	// Segments is the number of segments looked at (dropped ones included).
	Segments int
	// Evaluated is the number of segment evaluations run (a time-only run
	// skips the segments whose outcome cannot have changed).
	Evaluated int
	// Entered and Left count the membership changes.
	Entered, Left int
}

// timeRun is what StateTimeRun holds: when every segment was last
// evaluated (fully, or for its time windows), and which definitions that
// was for.
type timeRun struct {
	At   time.Time         `json:"at"`
	Defs map[string]string `json:"defs"` // segment name → fingerprint
}

// Recompute evaluates the store's segments over the whole mirror (segment ""
// means every segment) and records who entered and left.
//
// With timeOnly, a segment is evaluated only for the shoppers whose
// time-based conditions (older_than, within) can have flipped since the
// last time-only run of every segment (the dates in q.TimeWindows, read
// through an index on the date, never a scan of everyone); segments without
// such conditions are skipped. A segment evaluated for the first time, or
// whose definition changed since, is evaluated in full. The run's time is
// kept in sync_state (StateTimeRun) when it covered every segment.
//
// Either way, segments that have members or targets but are no longer
// defined are dropped: their members leave (and so are removed from the
// targets by the next push). progress, if set, is called before each
// segment and once at the end. A store whose segments are disabled is left
// as it is.
func (e *Engine) Recompute(ctx context.Context, storeHash, segment string, timeOnly bool, progress func(Progress)) (RecomputeResult, error) {
	var res RecomputeResult
	settings, defs := e.definitions(storeHash)
	if !settings.Enabled {
		return res, nil
	}
	if progress == nil {
		progress = func(Progress) {}
	}
	now := e.now()

	names, err := e.Store.SegmentNames(ctx, storeHash)
	if err != nil {
		return res, fmt.Errorf("segments: recompute store %s: %w", storeHash, err)
	}
	var drop []string
	for _, n := range names {
		if _, ok := definition(defs, n); !ok && (segment == "" || segment == n) {
			drop = append(drop, n)
		}
	}
	sel := defs
	if segment != "" {
		d, ok := definition(defs, segment)
		switch {
		case ok:
			sel = []config.SegmentDefinition{d}
		case len(drop) > 0:
			sel = nil
		default:
			return res, fmt.Errorf("segments: recompute %s of store %s: %w", segment, storeHash, ErrUnknownSegment)
		}
	}

	run, err := e.loadTimeRun(ctx, storeHash)
	if err != nil {
		return res, err
	}
	var qs map[string]*store.SegmentQuery
	if len(sel) > 0 {
		if qs, err = e.compile(ctx, storeHash, sel, now); err != nil {
			return res, err
		}
	}

	total := len(drop) + len(sel)
	done := 0
	for _, n := range drop {
		progress(Progress{Segment: n, Done: done, Total: total})
		changes, err := e.Store.DropSegment(ctx, storeHash, n, now)
		if err != nil {
			return res, fmt.Errorf("segments: drop segment %s of store %s: %w", n, storeHash, err)
		}
		res.count(changes)
		res.Segments++
		done++
		e.log().InfoContext(ctx, "segments: dropped a segment no longer defined", "store_hash", storeHash,
			"segment", n, "left", len(changes))
	}
	for _, d := range sel {
		progress(Progress{Segment: d.Name, Done: done, Total: total})
		res.Segments++
		done++
		q := qs[d.Name]
		var scope store.SegmentScope
		if timeOnly && !run.At.IsZero() && run.Defs[d.Name] == fingerprint(d) {
			if !d.Rule.TimeBased() {
				continue
			}
			ws := q.TimeWindows(run.At, now)
			if len(ws) == 0 {
				// Nothing can have flipped (and an empty scope would mean
				// everyone).
				continue
			}
			scope.Windows = ws
		}
		changes, err := e.Store.EvaluateSegment(ctx, storeHash, d.Name, q, scope, now)
		if err != nil {
			return res, fmt.Errorf("segments: evaluate segment %s of store %s: %w", d.Name, storeHash, err)
		}
		res.count(changes)
		res.Evaluated++
	}
	progress(Progress{Done: total, Total: total})

	// Every run brings what it evaluated up to now; the run's time moves
	// only when it covered every segment.
	if len(sel) > 0 {
		next := timeRun{At: run.At, Defs: map[string]string{}}
		for _, d := range defs {
			if fp, ok := run.Defs[d.Name]; ok {
				next.Defs[d.Name] = fp
			}
		}
		for _, d := range sel {
			next.Defs[d.Name] = fingerprint(d)
		}
		if segment == "" {
			next.At = now
		}
		if err := e.saveTimeRun(ctx, storeHash, next); err != nil {
			return res, err
		}
	}
	return res, nil
}

func (r *RecomputeResult) count(changes []store.SegmentChange) {
	for _, c := range changes {
		if c.Entered {
			r.Entered++
		} else {
			r.Left++
		}
	}
}

func (e *Engine) loadTimeRun(ctx context.Context, storeHash string) (timeRun, error) {
	var run timeRun
	st, err := e.Store.GetSyncState(ctx, storeHash, StateTimeRun)
	if errors.Is(err, store.ErrNotFound) {
		return run, nil
	}
	if err != nil {
		return run, fmt.Errorf("segments: last time run of store %s: %w", storeHash, err)
	}
	if st.Cursor == "" {
		return run, nil
	}
	if err := json.Unmarshal([]byte(st.Cursor), &run); err != nil {
		// An unreadable state only costs a full run.
		e.log().WarnContext(ctx, "segments: unreadable time-run state; evaluating in full", "store_hash", storeHash, "err", err)
		return timeRun{}, nil
	}
	return run, nil
}

func (e *Engine) saveTimeRun(ctx context.Context, storeHash string, run timeRun) error {
	b, err := json.Marshal(run)
	if err != nil {
		return fmt.Errorf("segments: encode time run: %w", err)
	}
	if err := e.Store.PutSyncState(ctx, store.SyncState{StoreHash: storeHash, Resource: StateTimeRun, Cursor: string(b), UpdatedAt: e.now()}); err != nil {
		return fmt.Errorf("segments: save time run of store %s: %w", storeHash, err)
	}
	return nil
}
