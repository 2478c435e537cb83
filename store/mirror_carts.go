package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// MirrorCart is an (abandoned) cart bcflow saw. BigCommerce has no list of
// carts: the mirror holds those the webhooks told about.
type MirrorCart struct {
	// ID is the cart's UUID.
	ID         string    `json:"id"`
	CustomerID int64     `json:"customer_id"`
	Email      string    `json:"email"`
	ChannelID  int64     `json:"channel_id"`
	Amount     Money     `json:"amount"`
	Currency   string    `json:"currency"`
	ItemCount  int       `json:"item_count"`
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated"`
	// AbandonedAt is when bcflow judged it abandoned (zero: not yet).
	AbandonedAt time.Time `json:"abandoned_at,omitempty"`
	// OrderID is the order the cart became (0: none yet).
	OrderID int64 `json:"order_id"`
}

// UpsertCart writes a cart; a cart older (Updated) than its stored row is
// ignored.
func (s *Store) UpsertCart(ctx context.Context, storeHash string, c MirrorCart) error {
	if storeHash == "" || c.ID == "" {
		return fmt.Errorf("store: upsert cart: store hash and cart id are required: %w", ErrInvalid)
	}
	_, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO mirror_carts (store_hash, id, customer_id, email, email_lc,
		channel_id, amount, currency, item_count, created_at, updated_at, abandoned_at, order_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (store_hash, id) DO UPDATE SET customer_id = excluded.customer_id, email = excluded.email,
		email_lc = excluded.email_lc, channel_id = excluded.channel_id, amount = excluded.amount,
		currency = excluded.currency, item_count = excluded.item_count, created_at = excluded.created_at,
		updated_at = excluded.updated_at, abandoned_at = excluded.abandoned_at, order_id = excluded.order_id
		WHERE mirror_carts.updated_at IS NULL OR excluded.updated_at >= mirror_carts.updated_at`),
		storeHash, c.ID, c.CustomerID, c.Email, emailKey(c.Email), c.ChannelID, c.Amount, c.Currency, c.ItemCount,
		s.ntv(c.Created), s.ntv(c.Updated), s.ntv(c.AbandonedAt), c.OrderID)
	if err != nil {
		return fmt.Errorf("store: upsert cart: %w", err)
	}
	return nil
}

// MirrorCartByID returns a mirrored cart, or ErrNotFound.
func (s *Store) MirrorCartByID(ctx context.Context, storeHash, id string) (MirrorCart, error) {
	var c MirrorCart
	err := s.rdb.QueryRowContext(ctx, s.rebind(`SELECT id, customer_id, email, channel_id, amount, currency, item_count,
		created_at, updated_at, abandoned_at, order_id FROM mirror_carts WHERE store_hash = ? AND id = ?`), storeHash, id).
		Scan(&c.ID, &c.CustomerID, &c.Email, &c.ChannelID, &c.Amount, &c.Currency, &c.ItemCount, (*dbTime)(&c.Created),
			(*dbTime)(&c.Updated), (*dbTime)(&c.AbandonedAt), &c.OrderID)
	if errors.Is(err, sql.ErrNoRows) {
		return MirrorCart{}, fmt.Errorf("store: mirror cart: %w", ErrNotFound)
	}
	if err != nil {
		return MirrorCart{}, fmt.Errorf("store: mirror cart: %w", err)
	}
	return c, nil
}
