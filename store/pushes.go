package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/jmoiron/sqlx"
)

// Provider pushes: per (store, kind, entity), the hash of the payload the
// messaging provider last accepted, so a sync sends only what changed. Kind
// names the payload ("contact", "order", "product", "category", …; the
// caller's vocabulary), entity_id the BigCommerce id or email.

var pushesTable = newTableSpec("provider_pushes", `store_hash text, kind text, entity_id text, hash text,
	pushed_at timestamptz`)

// PushedHashes returns the stored hashes of the given entities (absent ones
// are missing from the map), in as few queries as the dialect's parameter budget allows.
func (s *Store) PushedHashes(ctx context.Context, storeHash, kind string, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	for _, chunk := range chunks(ids, s.batchParams()) {
		args := make([]any, 0, len(chunk)+2)
		args = append(args, storeHash, kind)
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := s.rdb.QueryContext(ctx, s.rebind(`SELECT entity_id, hash FROM provider_pushes
			WHERE store_hash = ? AND kind = ? AND entity_id IN (`+inList(len(chunk))+`)`), args...)
		if err != nil {
			return nil, fmt.Errorf("store: pushed hashes: %w", err)
		}
		for rows.Next() {
			var id, h string
			if err := rows.Scan(&id, &h); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: pushed hashes: %w", err)
			}
			out[id] = h
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("store: pushed hashes: %w", err)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: pushed hashes: %w", err)
		}
	}
	return out, nil
}

// SetPushedHashes records the hashes the provider accepted (insert or
// replace), in one transaction of multi-row statements.
func (s *Store) SetPushedHashes(ctx context.Context, storeHash, kind string, hashes map[string]string) error {
	if len(hashes) == 0 {
		return nil
	}
	if storeHash == "" || kind == "" {
		return fmt.Errorf("store: set pushed hashes: store hash and kind are required: %w", ErrInvalid)
	}
	ids := make([]string, 0, len(hashes))
	for id := range hashes {
		ids = append(ids, id)
	}
	slices.Sort(ids) // a stable lock order for concurrent writers
	at := s.tv(now())
	args := make([]any, 0, len(ids)*5)
	for _, id := range ids {
		args = append(args, storeHash, kind, id, hashes[id], at)
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		return s.insertRows(ctx, tx, pushesTable, args, ` ON CONFLICT (store_hash, kind, entity_id) DO UPDATE SET hash = excluded.hash,
			pushed_at = excluded.pushed_at`)
	})
	if err != nil {
		return fmt.Errorf("store: set %d pushed hashes: %w", len(hashes), err)
	}
	return nil
}
