package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Event claim statuses.
const (
	EventClaimed   = "claimed"   // the event is about to be tracked, or its track failed
	EventConfirmed = "confirmed" // the provider took the event
)

// EventClaim is a provider event bcflow tracks once: claimed before the
// request, confirmed after the provider took it. Key is derived by the
// workflow (its id, the event's name and what makes it distinct).
type EventClaim struct {
	StoreHash   string
	Key         string
	Name        string
	Status      string // EventClaimed or EventConfirmed
	ClaimedAt   time.Time
	ConfirmedAt time.Time // zero until confirmed
}

const eventClaimCols = `store_hash, event_key, name, status, claimed_at, confirmed_at`

func scanEventClaim(sc interface{ Scan(...any) error }) (EventClaim, error) {
	var c EventClaim
	err := sc.Scan(&c.StoreHash, &c.Key, &c.Name, &c.Status, (*dbTime)(&c.ClaimedAt), (*dbTime)(&c.ConfirmedAt))
	return c, err
}

// ClaimEvent claims the event (storeHash, key) unless it is claimed
// already, and returns the claim as stored: a fresh one, one claimed
// earlier whose track has not been confirmed (track it), or a confirmed
// one (do not track it again). Concurrent calls with one key store one
// claim.
func (s *Store) ClaimEvent(ctx context.Context, storeHash, key, name string, at time.Time) (EventClaim, error) {
	if storeHash == "" || key == "" || name == "" {
		return EventClaim{}, fmt.Errorf("store: claim event %q: store hash, key and name are required: %w", key, ErrInvalid)
	}
	at = orNow(at)
	_, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO event_claims (`+eventClaimCols+`)
		VALUES (?, ?, ?, ?, ?, NULL) ON CONFLICT DO NOTHING`), storeHash, key, name, EventClaimed, s.tv(at))
	if err != nil {
		return EventClaim{}, fmt.Errorf("store: claim event %q: %w", key, err)
	}
	c, err := scanEventClaim(s.db.QueryRowContext(ctx, s.rebind(`SELECT `+eventClaimCols+` FROM event_claims
		WHERE store_hash = ? AND event_key = ?`), storeHash, key))
	if err != nil {
		return EventClaim{}, fmt.Errorf("store: claim event %q: %w", key, err)
	}
	return c, nil
}

// ConfirmEvent records that the provider took the claimed event. Confirming
// it again changes nothing. ErrNotFound if it was never claimed.
func (s *Store) ConfirmEvent(ctx context.Context, storeHash, key string, at time.Time) error {
	at = orNow(at)
	res, err := s.db.ExecContext(ctx, s.rebind(`UPDATE event_claims SET status = ?, confirmed_at = ?
		WHERE store_hash = ? AND event_key = ? AND status <> ?`), EventConfirmed, s.tv(at), storeHash, key, EventConfirmed)
	if err != nil {
		return fmt.Errorf("store: confirm event %q: %w", key, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: confirm event %q: %w", key, err)
	} else if n > 0 {
		return nil
	}
	if _, err := s.GetEventClaim(ctx, storeHash, key); err != nil {
		return fmt.Errorf("store: confirm event %q: %w", key, err)
	}
	return nil
}

// GetEventClaim returns the claim of (storeHash, key), or ErrNotFound.
func (s *Store) GetEventClaim(ctx context.Context, storeHash, key string) (EventClaim, error) {
	c, err := scanEventClaim(s.db.QueryRowContext(ctx, s.rebind(`SELECT `+eventClaimCols+` FROM event_claims
		WHERE store_hash = ? AND event_key = ?`), storeHash, key))
	if errors.Is(err, sql.ErrNoRows) {
		return EventClaim{}, fmt.Errorf("store: event claim %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return EventClaim{}, fmt.Errorf("store: event claim %q: %w", key, err)
	}
	return c, nil
}
