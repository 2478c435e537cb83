package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// LastFlowMessage returns the newest message sent to a customer of a store
// between from and to (sent_at, inclusive) by any flow but excludeFlow;
// found is false when there is none. Messages without a flow (rows written
// before messages carried one) never count. Last-touch attribution uses it:
// an order within the window after a flow's message converts for that
// flow's step.
func (s *Store) LastFlowMessage(ctx context.Context, storeHash, customerKey, excludeFlow string, from, to time.Time) (msg *Message, found bool, err error) {
	row := s.rdb.QueryRowContext(ctx, s.rebind(`SELECT `+messageCols+` FROM messages
		WHERE store_hash = ? AND customer_key = ? AND status = ? AND flow <> '' AND flow <> ? AND sent_at >= ? AND sent_at <= ?
		ORDER BY sent_at DESC, id DESC LIMIT 1`),
		storeHash, customerKey, MessageSent, excludeFlow, s.tv(from), s.tv(to))
	m, err := scanMessage(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: last flow message to %s/%s: %w", storeHash, customerKey, err)
	}
	return m, true, nil
}

// HasDecision reports whether a decision with this dedupe key is stored
// (e.g. an order's "recovered" decision, whichever path recorded it).
func (s *Store) HasDecision(ctx context.Context, dedupeKey string) (bool, error) {
	var n int
	err := s.rdb.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*) FROM decisions WHERE dedupe_key = ?`), dedupeKey).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: decision %q stored: %w", dedupeKey, err)
	}
	return n > 0, nil
}
