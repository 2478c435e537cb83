package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// AllStores is the store hash of a suppression that applies to every store.
const AllStores = "*"

// Suppression keeps an address from being emailed (an unsubscribe or a hard
// bounce reported by Brevo).
type Suppression struct {
	StoreHash string // a store hash, or AllStores
	Email     string // matched case-insensitively; stored lowercased
	Reason    string // e.g. "unsubscribed", "hard_bounce"
	At        time.Time
}

func normEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// AddSuppression records a suppression; adding one that exists updates its
// reason and time.
func (s *Store) AddSuppression(ctx context.Context, sp Suppression) error {
	email := normEmail(sp.Email)
	if sp.StoreHash == "" || email == "" {
		return fmt.Errorf("store: add suppression: store hash and email are required: %w", ErrInvalid)
	}
	_, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO suppressions (store_hash, email, reason, at) VALUES (?, ?, ?, ?)
		ON CONFLICT (store_hash, email) DO UPDATE SET reason = excluded.reason, at = excluded.at`),
		sp.StoreHash, email, sp.Reason, s.tv(orNow(sp.At)))
	if err != nil {
		return fmt.Errorf("store: add suppression for %s: %w", sp.StoreHash, err)
	}
	return nil
}

// RemoveSuppression deletes the suppression of email for storeHash (exactly
// that store hash; AllStores for a global one), e.g. on resubscribe.
func (s *Store) RemoveSuppression(ctx context.Context, storeHash, email string) error {
	_, err := s.db.ExecContext(ctx, s.rebind(`DELETE FROM suppressions WHERE store_hash = ? AND email = ?`),
		storeHash, normEmail(email))
	if err != nil {
		return fmt.Errorf("store: remove suppression for %s: %w", storeHash, err)
	}
	return nil
}

// IsSuppressed reports whether email is suppressed for storeHash, by a
// suppression of that store or of AllStores, with the newest one's reason.
func (s *Store) IsSuppressed(ctx context.Context, storeHash, email string) (bool, string, error) {
	var reason string
	err := s.rdb.QueryRowContext(ctx, s.rebind(`SELECT reason FROM suppressions
		WHERE email = ? AND store_hash IN (?, ?) ORDER BY at DESC LIMIT 1`),
		normEmail(email), storeHash, AllStores).Scan(&reason)
	if errors.Is(err, sql.ErrNoRows) {
		return false, "", nil
	}
	if err != nil {
		return false, "", fmt.Errorf("store: is suppressed for %s: %w", storeHash, err)
	}
	return true, reason, nil
}
