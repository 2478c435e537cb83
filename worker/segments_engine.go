package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/segments"
	"github.com/bcflow/bcflow/store"
)

// SegmentEngine adapts the segment engine to what activities ask of it
// (activities.SegmentEngine): the same calls, in activities' own types.
// Give it to activities.Activities.Segments; New then wires the nudger.
func SegmentEngine(e *segments.Engine) activities.SegmentEngine { return segmentEngine{e} }

type segmentEngine struct{ e *segments.Engine }

func (s segmentEngine) EvaluateShoppers(ctx context.Context, storeHash string, emails ...string) ([]activities.SegmentChange, error) {
	changes, err := s.e.EvaluateShoppers(ctx, storeHash, emails...)
	out := make([]activities.SegmentChange, 0, len(changes))
	for _, c := range changes {
		out = append(out, activities.SegmentChange{Segment: c.Segment, Email: c.Email, CustomerID: c.CustomerID, Entered: c.Entered, At: c.At})
	}
	return out, err
}

func (s segmentEngine) Recompute(ctx context.Context, storeHash, segment string, timeOnly bool, progress func(activities.SegmentProgress)) (activities.SegmentRecomputeResult, error) {
	res, err := s.e.Recompute(ctx, storeHash, segment, timeOnly, func(p segments.Progress) {
		if progress != nil {
			progress(activities.SegmentProgress{Segment: p.Segment, Done: p.Done, Total: p.Total})
		}
	})
	return activities.SegmentRecomputeResult{Segments: res.Segments, Evaluated: res.Evaluated, Entered: res.Entered, Left: res.Left}, err
}

func (s segmentEngine) Push(ctx context.Context, storeHash string, max int) (activities.SegmentPushResult, error) {
	r, err := s.e.Push(ctx, storeHash, max)
	return activities.SegmentPushResult{
		BigCommerceAdded: r.BigCommerceAdded, BigCommerceRemoved: r.BigCommerceRemoved, BrevoAdded: r.BrevoAdded, BrevoRemoved: r.BrevoRemoved,
		Skipped: r.Skipped, More: r.More, BigCommerceUnavailable: r.BigCommerceUnavailable,
	}, err
}

func (s segmentEngine) PendingCrossings(ctx context.Context, storeHash string, limit int) ([]activities.SegmentCrossing, error) {
	ps, err := s.e.PendingCrossings(ctx, storeHash, limit)
	out := make([]activities.SegmentCrossing, 0, len(ps))
	for _, p := range ps {
		out = append(out, activities.SegmentCrossing{Segment: p.Segment, Email: p.Email, CustomerID: p.CustomerID,
			EnteredAt: p.EnteredAt, LeftAt: p.LeftAt, Entered: p.Add})
	}
	return out, err
}

func (s segmentEngine) MarkCrossings(ctx context.Context, storeHash string, done []activities.SegmentCrossing) error {
	ps := make([]store.PendingPush, 0, len(done))
	for _, c := range done {
		ps = append(ps, store.PendingPush{Segment: c.Segment, Email: c.Email, CustomerID: c.CustomerID,
			EnteredAt: c.EnteredAt, LeftAt: c.LeftAt, Add: c.Entered})
	}
	return s.e.MarkCrossings(ctx, storeHash, ps)
}

func (s segmentEngine) ShopperSegments(ctx context.Context, storeHash, email string) ([]activities.SegmentStint, error) {
	ms, err := s.e.Store.ShopperSegments(ctx, storeHash, email)
	out := make([]activities.SegmentStint, 0, len(ms))
	for _, m := range ms {
		out = append(out, activities.SegmentStint{Segment: m.Segment, Email: m.Email, CustomerID: m.CustomerID, EnteredAt: m.EnteredAt, LeftAt: m.LeftAt})
	}
	return out, err
}

// BigCommerceSegmentID is the engine's, with the errors that say the
// segment cannot exist in BigCommerce marked for activities.
func (s segmentEngine) BigCommerceSegmentID(ctx context.Context, storeHash, segment string) (string, error) {
	id, err := s.e.BigCommerceSegmentID(ctx, storeHash, segment)
	if errors.Is(err, segments.ErrBigCommerceUnavailable) || errors.Is(err, segments.ErrDisabled) || errors.Is(err, segments.ErrUnknownSegment) {
		return "", fmt.Errorf("%w: %w", activities.ErrSegmentUnavailable, err)
	}
	return id, err
}

// EnableSegments gives acts a segment engine over its own store, flows file,
// BigCommerce clients and provider (the provider's lists when it keeps
// them), so every process builds the engine the same way. Call it before New.
func EnableSegments(acts *activities.Activities, logger *slog.Logger) {
	flows, bigCommerce, lists := activities.SegmentEngineDeps(acts)
	acts.Segments = SegmentEngine(&segments.Engine{Store: acts.Store, Flows: flows, BigCommerce: bigCommerce, Lists: lists, Logger: logger})
}
