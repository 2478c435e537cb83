package segments

import (
	"context"
	"fmt"
	"time"

	"github.com/bcflow/bcflow/store"
)

// Crossing is a shopper's move across a segment's boundary, for the flows
// that start on it.
type Crossing struct {
	Segment, Email string
	CustomerID     int64
	// Entered is true for an entry, false for a leave.
	Entered bool
	// At is when the shopper entered (or left).
	At time.Time
}

// CrossingOf returns the crossing a pending flows push stands for.
func CrossingOf(p store.PendingPush) Crossing {
	c := Crossing{Segment: p.Segment, Email: p.Email, CustomerID: p.CustomerID, Entered: p.Add, At: p.EnteredAt}
	if !p.Add {
		c.At = p.LeftAt
	}
	return c
}

// PendingCrossings returns the store's crossings not yet dispatched to
// segment flows, oldest first (entries: Add true, At EnteredAt; leaves: Add
// false, At LeftAt). None when the store's segments are disabled.
func (e *Engine) PendingCrossings(ctx context.Context, storeHash string, limit int) ([]store.PendingPush, error) {
	if settings, _ := e.definitions(storeHash); !settings.Enabled {
		return nil, nil
	}
	if limit <= 0 {
		limit = DefaultPushMax
	}
	out, err := e.Store.PendingSegmentPushes(ctx, storeHash, store.PushFlows, "", limit)
	if err != nil {
		return nil, fmt.Errorf("segments: pending crossings of store %s: %w", storeHash, err)
	}
	return out, nil
}

// MarkCrossings records crossings as dispatched.
func (e *Engine) MarkCrossings(ctx context.Context, storeHash string, done []store.PendingPush) error {
	if len(done) == 0 {
		return nil
	}
	if err := e.Store.MarkSegmentPushes(ctx, storeHash, store.PushFlows, done); err != nil {
		return fmt.Errorf("segments: mark %d crossings of store %s: %w", len(done), storeHash, err)
	}
	return nil
}
