package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SyncState is the cursor of one store's sync of one resource (e.g.
// "customers", "orders").
type SyncState struct {
	StoreHash string
	Resource  string
	Cursor    string
	UpdatedAt time.Time // zero means now, on PutSyncState
}

// GetSyncState returns the sync state of (storeHash, resource), or
// ErrNotFound.
func (s *Store) GetSyncState(ctx context.Context, storeHash, resource string) (SyncState, error) {
	var st SyncState
	err := s.rdb.QueryRowContext(ctx, s.rebind(`SELECT store_hash, resource, cursor, updated_at FROM sync_state
		WHERE store_hash = ? AND resource = ?`), storeHash, resource).
		Scan(&st.StoreHash, &st.Resource, &st.Cursor, (*dbTime)(&st.UpdatedAt))
	if errors.Is(err, sql.ErrNoRows) {
		return SyncState{}, fmt.Errorf("store: get sync state %s/%s: %w", storeHash, resource, ErrNotFound)
	}
	if err != nil {
		return SyncState{}, fmt.Errorf("store: get sync state %s/%s: %w", storeHash, resource, err)
	}
	return st, nil
}

// PutSyncState inserts or replaces the sync state of (st.StoreHash,
// st.Resource).
func (s *Store) PutSyncState(ctx context.Context, st SyncState) error {
	if st.StoreHash == "" || st.Resource == "" {
		return fmt.Errorf("store: put sync state: store hash and resource are required: %w", ErrInvalid)
	}
	_, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO sync_state (store_hash, resource, cursor, updated_at)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (store_hash, resource) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`),
		st.StoreHash, st.Resource, st.Cursor, s.tv(orNow(st.UpdatedAt)))
	if err != nil {
		return fmt.Errorf("store: put sync state %s/%s: %w", st.StoreHash, st.Resource, err)
	}
	return nil
}
