package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Delivery outcomes bcflow itself reads.
const (
	// DeliveryReceived is the outcome RecordDelivery and ClaimDelivery store
	// when none is given: the delivery is claimed and being dispatched.
	DeliveryReceived = "received"
	// DeliveryAccepted marks a delivery whose event Temporal accepted: every
	// later copy is a duplicate.
	DeliveryAccepted = "accepted"
)

// DeliveryKey identifies one BigCommerce webhook event. BigCommerce's hash is
// not unique per event (every update of one cart carries the same hash), so
// the event's created_at is part of the key.
type DeliveryKey struct {
	StoreHash string
	Scope     string // e.g. "store/cart/updated"
	Hash      string
	CreatedAt int64 // BigCommerce's created_at, unix seconds
}

func (k DeliveryKey) String() string {
	return fmt.Sprintf("%s/%s/%s@%d", k.StoreHash, k.Scope, k.Hash, k.CreatedAt)
}

// Delivery is one received webhook delivery.
type Delivery struct {
	StoreHash     string
	Scope         string
	Hash          string
	CreatedAt     int64     // BigCommerce's created_at, unix seconds
	ReceivedAt    time.Time // when bcflow received it; zero means now
	PayloadDigest string    // e.g. hex SHA-256 of the body
	Outcome       string    // free-form; DeliveryReceived when empty
}

// Key returns the delivery's dedupe key.
func (d Delivery) Key() DeliveryKey {
	return DeliveryKey{StoreHash: d.StoreHash, Scope: d.Scope, Hash: d.Hash, CreatedAt: d.CreatedAt}
}

// RecordDelivery stores d unless a delivery with the same key is already
// stored. fresh is false for a duplicate (a BigCommerce redelivery).
func (s *Store) RecordDelivery(ctx context.Context, d Delivery) (fresh bool, err error) {
	if d.StoreHash == "" || d.Scope == "" {
		return false, fmt.Errorf("store: record delivery %s: store hash and scope are required: %w", d.Key(), ErrInvalid)
	}
	if d.Outcome == "" {
		d.Outcome = DeliveryReceived
	}
	res, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO webhook_deliveries
		(store_hash, scope, hash, created_at, received_at, payload_digest, outcome)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
		d.StoreHash, d.Scope, d.Hash, d.CreatedAt, s.tv(orNow(d.ReceivedAt)), d.PayloadDigest, d.Outcome)
	if err != nil {
		return false, fmt.Errorf("store: record delivery %s: %w", d.Key(), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: record delivery %s: %w", d.Key(), err)
	}
	return n == 1, nil
}

// ClaimDelivery claims d for dispatch in one atomic statement and reports
// whether this caller holds the claim and must dispatch the event. It
// claims when no delivery with d's key is stored, or when the stored one
// was never accepted and its claim is older than staleBefore (its
// dispatcher crashed or gave up); otherwise another copy is accepted or in
// flight, and the caller answers duplicate. Of N concurrent claims of one
// delivery exactly one wins. A claim whose dispatch failed must be released
// with DeleteDelivery, so the sender's retry is claimed again.
func (s *Store) ClaimDelivery(ctx context.Context, d Delivery, staleBefore time.Time) (claimed bool, err error) {
	if d.StoreHash == "" || d.Scope == "" {
		return false, fmt.Errorf("store: claim delivery %s: store hash and scope are required: %w", d.Key(), ErrInvalid)
	}
	if d.Outcome == "" {
		d.Outcome = DeliveryReceived
	}
	res, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO webhook_deliveries
		(store_hash, scope, hash, created_at, received_at, payload_digest, outcome)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (store_hash, scope, hash, created_at) DO UPDATE
		SET received_at = excluded.received_at, payload_digest = excluded.payload_digest, outcome = excluded.outcome
		WHERE webhook_deliveries.outcome <> ? AND webhook_deliveries.received_at < ?`),
		d.StoreHash, d.Scope, d.Hash, d.CreatedAt, s.tv(orNow(d.ReceivedAt)), d.PayloadDigest, d.Outcome,
		DeliveryAccepted, s.tv(staleBefore))
	if err != nil {
		return false, fmt.Errorf("store: claim delivery %s: %w", d.Key(), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: claim delivery %s: %w", d.Key(), err)
	}
	return n == 1, nil
}

// GetDelivery returns the stored delivery with key k, or ErrNotFound.
func (s *Store) GetDelivery(ctx context.Context, k DeliveryKey) (Delivery, error) {
	var d Delivery
	err := s.rdb.QueryRowContext(ctx, s.rebind(`SELECT store_hash, scope, hash, created_at, received_at, payload_digest, outcome
		FROM webhook_deliveries WHERE store_hash = ? AND scope = ? AND hash = ? AND created_at = ?`),
		k.StoreHash, k.Scope, k.Hash, k.CreatedAt).
		Scan(&d.StoreHash, &d.Scope, &d.Hash, &d.CreatedAt, (*dbTime)(&d.ReceivedAt), &d.PayloadDigest, &d.Outcome)
	if errors.Is(err, sql.ErrNoRows) {
		return Delivery{}, fmt.Errorf("store: get delivery %s: %w", k, ErrNotFound)
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("store: get delivery %s: %w", k, err)
	}
	return d, nil
}

// MarkDeliveryOutcome records what became of a delivery (e.g. "started",
// "ignored"). It returns ErrNotFound when no delivery has key k.
func (s *Store) MarkDeliveryOutcome(ctx context.Context, k DeliveryKey, outcome string) error {
	res, err := s.db.ExecContext(ctx, s.rebind(`UPDATE webhook_deliveries SET outcome = ?
		WHERE store_hash = ? AND scope = ? AND hash = ? AND created_at = ?`),
		outcome, k.StoreHash, k.Scope, k.Hash, k.CreatedAt)
	if err != nil {
		return fmt.Errorf("store: mark delivery %s: %w", k, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: mark delivery %s: %w", k, err)
	} else if n == 0 {
		return fmt.Errorf("store: mark delivery %s: %w", k, ErrNotFound)
	}
	return nil
}

// DeleteDelivery forgets a delivery so that BigCommerce's retry of it is seen
// as fresh (use it when starting the workflow failed). Deleting a delivery
// that is not stored is not an error.
func (s *Store) DeleteDelivery(ctx context.Context, k DeliveryKey) error {
	_, err := s.db.ExecContext(ctx, s.rebind(`DELETE FROM webhook_deliveries
		WHERE store_hash = ? AND scope = ? AND hash = ? AND created_at = ?`),
		k.StoreHash, k.Scope, k.Hash, k.CreatedAt)
	if err != nil {
		return fmt.Errorf("store: delete delivery %s: %w", k, err)
	}
	return nil
}

// PruneDeliveries deletes deliveries received before olderThan and returns
// how many it deleted. Keep deliveries longer than BigCommerce goes on
// retrying one, or a late retry will be seen as fresh.
func (s *Store) PruneDeliveries(ctx context.Context, olderThan time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.rebind(`DELETE FROM webhook_deliveries WHERE received_at < ?`), s.tv(olderThan))
	if err != nil {
		return 0, fmt.Errorf("store: prune deliveries: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: prune deliveries: %w", err)
	}
	return n, nil
}
