package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
)

// Per-shopper figures. A shopper is a lower-cased, trimmed email: a guest's
// orders merge by email, and a registered customer's orders count for the
// customer's current email. shopper_stats holds, per (store, shopper), the
// orders count, total spent and first/last order dates, maintained
// incrementally in the transaction of the order or customer upsert that
// changes them: each order row stores what it contributes (counted,
// contribution), and an upsert applies new minus old. First/last dates are
// extended on additions; a shopper that loses a counted order (status, email,
// date or customer change) gets them recomputed from its own orders through
// the (store_hash, email_lc, counted, date_created) index — never a scan.
//
// Rows exist for every registered customer with an email and every email an
// order was keyed to; a shopper without counted orders has a row of zeros
// (or none), and ShopperStats reads both the same way.

// Order statuses that do not count towards a shopper's figures.
const (
	OrderStatusIncomplete = 0
	OrderStatusRefunded   = 4
	OrderStatusCancelled  = 5
	OrderStatusDeclined   = 6
)

// CountsTowardsSpend reports whether an order in BigCommerce status statusID
// counts towards its shopper's orders count and total spent: every status
// except 0 Incomplete, 4 Refunded, 5 Cancelled and 6 Declined.
func CountsTowardsSpend(statusID int) bool {
	switch statusID {
	case OrderStatusIncomplete, OrderStatusRefunded, OrderStatusCancelled, OrderStatusDeclined:
		return false
	}
	return true
}

// orderContribution is what an order adds to its shopper's figures: whether
// it counts, and total_inc_tax − refunded_amount (never below zero).
func orderContribution(o MirrorOrder) (counted bool, amount Money) {
	if !CountsTowardsSpend(o.StatusID) {
		return false, 0
	}
	return true, max(0, o.TotalIncTax-o.RefundedAmount)
}

// ShopperStats are one shopper's derived figures.
type ShopperStats struct {
	// Email is the shopper key (lower-cased, trimmed).
	Email string `json:"email"`
	// CustomerID is the registered customer with this email (0: a guest).
	CustomerID  int64 `json:"customer_id"`
	OrdersCount int64 `json:"orders_count"`
	TotalSpent  Money `json:"total_spent"`
	// FirstOrderAt and LastOrderAt are the creation dates of the first and
	// last counted orders (zero without any).
	FirstOrderAt time.Time `json:"first_order_at,omitempty"`
	LastOrderAt  time.Time `json:"last_order_at,omitempty"`
	UpdatedAt    time.Time `json:"updated_at,omitempty"`
}

// AverageOrderValue is TotalSpent / OrdersCount rounded half away from zero
// to a Money unit; 0 without orders.
func (st ShopperStats) AverageOrderValue() Money {
	if st.OrdersCount <= 0 {
		return 0
	}
	n := int64(st.OrdersCount)
	q, r := int64(st.TotalSpent)/n, int64(st.TotalSpent)%n
	if 2*absInt(r) >= n {
		if st.TotalSpent < 0 {
			q--
		} else {
			q++
		}
	}
	return Money(q)
}

// ShopperStats returns the figures of the shopper with this email (any case,
// surrounding spaces ignored). A shopper never seen has zero figures and a
// nil error.
func (s *Store) ShopperStats(ctx context.Context, storeHash, email string) (ShopperStats, error) {
	st := ShopperStats{Email: emailKey(email)}
	err := s.rdb.QueryRowContext(ctx, s.rebind(`SELECT customer_id, orders_count, total_spent, first_order_at,
		last_order_at, updated_at FROM shopper_stats WHERE store_hash = ? AND email_lc = ?`), storeHash, st.Email).
		Scan(&st.CustomerID, &st.OrdersCount, &st.TotalSpent, (*dbTime)(&st.FirstOrderAt), (*dbTime)(&st.LastOrderAt),
			(*dbTime)(&st.UpdatedAt))
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return ShopperStats{}, fmt.Errorf("store: shopper stats: %w", err)
	}
	return st, nil
}

// shopperDelta is the change a transaction makes to one shopper's row.
type shopperDelta struct {
	customerID  int64 // a customer id to attach when the row has none
	count       int64
	spent       Money
	first, last time.Time // extension by added orders (zero: none)
	recompute   bool      // a counted order left: recompute first/last
}

// shopperDeltas collects the changes of one transaction by shopper key.
type shopperDeltas map[string]*shopperDelta

func (d shopperDeltas) at(key string) *shopperDelta {
	x := d[key]
	if x == nil {
		x = &shopperDelta{}
		d[key] = x
	}
	return x
}

// orderShare is what one order row contributes to one shopper.
type orderShare struct {
	key        string
	customerID int64
	counted    bool
	amount     Money
	created    time.Time
}

// move applies an order's change from old (nil when new) to new (nil when
// the order stops counting anywhere).
func (d shopperDeltas) move(old, new *orderShare) {
	if old != nil && old.key != "" && old.counted {
		x := d.at(old.key)
		x.count--
		x.spent -= old.amount
		if new == nil || !new.counted || new.key != old.key || !new.created.Equal(old.created) {
			x.recompute = true
		}
	}
	if new == nil || new.key == "" {
		return
	}
	x := d.at(new.key)
	if x.customerID == 0 {
		x.customerID = new.customerID
	}
	if !new.counted {
		return
	}
	x.count++
	x.spent += new.amount
	if c := new.created; !c.IsZero() {
		if x.first.IsZero() || c.Before(x.first) {
			x.first = c
		}
		if c.After(x.last) {
			x.last = c
		}
	}
}

var shopperStatsTable = newTableSpec("shopper_stats", `store_hash text, email_lc text, customer_id bigint,
	orders_count bigint, total_spent bigint, first_order_at timestamptz, last_order_at timestamptz,
	updated_at timestamptz`)

// apply writes the deltas: one multi-row upsert (keys sorted so concurrent
// writers lock rows in the same order), then one recomputation of first/last
// for the shoppers that lost a counted order.
func (d shopperDeltas) apply(ctx context.Context, s *Store, tx *sqlx.Tx, storeHash string) error {
	if len(d) == 0 {
		return nil
	}
	keys := slices.Sorted(maps.Keys(d))
	at := s.tv(now())
	args := make([]any, 0, len(keys)*8)
	var recompute []any
	for _, k := range keys {
		x := d[k]
		args = append(args, storeHash, k, x.customerID, x.count, x.spent, s.ntv(x.first), s.ntv(x.last), at)
		if x.recompute {
			recompute = append(recompute, k)
		}
	}
	err := s.insertRows(ctx, tx, shopperStatsTable, args, `
		ON CONFLICT (store_hash, email_lc) DO UPDATE SET
		customer_id = CASE WHEN shopper_stats.customer_id = 0 THEN excluded.customer_id ELSE shopper_stats.customer_id END,
		orders_count = shopper_stats.orders_count + excluded.orders_count,
		total_spent = shopper_stats.total_spent + excluded.total_spent,
		first_order_at = CASE WHEN excluded.first_order_at IS NULL THEN shopper_stats.first_order_at
			WHEN shopper_stats.first_order_at IS NULL OR excluded.first_order_at < shopper_stats.first_order_at
			THEN excluded.first_order_at ELSE shopper_stats.first_order_at END,
		last_order_at = CASE WHEN excluded.last_order_at IS NULL THEN shopper_stats.last_order_at
			WHEN shopper_stats.last_order_at IS NULL OR excluded.last_order_at > shopper_stats.last_order_at
			THEN excluded.last_order_at ELSE shopper_stats.last_order_at END,
		updated_at = excluded.updated_at`)
	if err != nil {
		return fmt.Errorf("update shopper stats: %w", err)
	}
	for _, chunk := range chunks(recompute, s.batchParams()) {
		if err := s.recomputeOrderDates(ctx, tx, storeHash, chunk); err != nil {
			return err
		}
	}
	return nil
}

// recomputeOrderDates sets first/last order dates of the given shoppers from
// their own counted orders (two index seeks each).
func (s *Store) recomputeOrderDates(ctx context.Context, tx *sqlx.Tx, storeHash string, keys []any) error {
	_, err := tx.ExecContext(ctx, s.rebind(`UPDATE shopper_stats SET
		first_order_at = (SELECT MIN(o.date_created) FROM mirror_orders o WHERE o.store_hash = shopper_stats.store_hash
			AND o.email_lc = shopper_stats.email_lc AND o.counted = 1),
		last_order_at = (SELECT MAX(o.date_created) FROM mirror_orders o WHERE o.store_hash = shopper_stats.store_hash
			AND o.email_lc = shopper_stats.email_lc AND o.counted = 1)
		WHERE store_hash = ? AND email_lc IN (`+inList(len(keys))+`)`), append([]any{storeHash}, keys...)...)
	if err != nil {
		return fmt.Errorf("recompute shopper order dates: %w", err)
	}
	return nil
}
