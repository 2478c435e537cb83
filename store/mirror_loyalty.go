package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// MirrorOrderPage returns page (from 1) of a store's mirrored orders of
// registered customers, size at a time, oldest id first, without their
// lines: the past orders a loyalty import goes through.
func (s *Store) MirrorOrderPage(ctx context.Context, storeHash string, page, size int) ([]MirrorOrder, error) {
	if page < 1 || size < 1 {
		return nil, fmt.Errorf("store: mirror order page %d of %d: %w", page, size, ErrInvalid)
	}
	rows, err := s.rdb.QueryContext(ctx, s.rebind(`SELECT id, customer_id, email, channel_id, status_id, status,
		subtotal_ex_tax, total_inc_tax, refunded_amount, currency, date_created
		FROM mirror_orders WHERE store_hash = ? AND customer_id > 0 ORDER BY id LIMIT ? OFFSET ?`), storeHash, size, (page-1)*size)
	if err != nil {
		return nil, fmt.Errorf("store: mirror order page %d: %w", page, err)
	}
	defer rows.Close()
	var out []MirrorOrder
	for rows.Next() {
		var o MirrorOrder
		if err := rows.Scan(&o.ID, &o.CustomerID, &o.Email, &o.ChannelID, &o.StatusID, &o.Status,
			&o.SubtotalExTax, &o.TotalIncTax, &o.RefundedAmount, &o.Currency, (*dbTime)(&o.DateCreated)); err != nil {
			return nil, fmt.Errorf("store: mirror order page %d: %w", page, err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: mirror order page %d: %w", page, err)
	}
	return out, nil
}

// CountRegisteredOrders counts a store's mirrored orders of registered
// customers (the pages of MirrorOrderPage).
func (s *Store) CountRegisteredOrders(ctx context.Context, storeHash string) (int64, error) {
	var n int64
	if err := s.rdb.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*) FROM mirror_orders WHERE store_hash = ? AND customer_id > 0`),
		storeHash).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count registered orders: %w", err)
	}
	return n, nil
}

// OrderedBefore reports whether a customer has a mirrored order older than
// orderID in one of statuses (a repeat purchase).
func (s *Store) OrderedBefore(ctx context.Context, storeHash string, customerID, orderID int64, statuses []int) (bool, error) {
	if len(statuses) == 0 {
		return false, nil
	}
	in := make([]string, len(statuses))
	for i, st := range statuses {
		in[i] = strconv.Itoa(st)
	}
	var n int
	err := s.rdb.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*) FROM mirror_orders WHERE store_hash = ? AND customer_id = ? AND id < ?
		AND status_id IN (`+strings.Join(in, ",")+`)`), storeHash, customerID, orderID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: orders of customer %d before %d: %w", customerID, orderID, err)
	}
	return n > 0, nil
}
