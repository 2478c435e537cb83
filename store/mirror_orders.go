package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// MirrorOrder is a BigCommerce order as the mirror holds it. A status
// change, refund or edit is an upsert; BigCommerce archives rather than
// deletes orders, but DeleteMirrorOrder removes one (an archived order an
// operator wants gone) with its figures.
type MirrorOrder struct {
	ID int64 `json:"id"`
	// CustomerID is 0 for a guest order.
	CustomerID int64  `json:"customer_id"`
	Email      string `json:"email"` // the billing email
	ChannelID  int64  `json:"channel_id"`
	StatusID   int    `json:"status_id"`
	Status     string `json:"status"`

	SubtotalExTax  Money  `json:"subtotal_ex_tax"`
	SubtotalIncTax Money  `json:"subtotal_inc_tax"`
	TotalExTax     Money  `json:"total_ex_tax"`
	TotalIncTax    Money  `json:"total_inc_tax"`
	RefundedAmount Money  `json:"refunded_amount"`
	Currency       string `json:"currency"`

	CouponCodes  []string          `json:"coupon_codes"`
	DateCreated  time.Time         `json:"date_created"`
	DateModified time.Time         `json:"date_modified"`
	Lines        []MirrorOrderLine `json:"lines"`
}

// MirrorOrderLine is one line item of an order.
type MirrorOrderLine struct {
	// LineID is BigCommerce's order product id; 0 is replaced by the line's
	// 1-based position in the order.
	LineID    int64  `json:"line_id"`
	ProductID int64  `json:"product_id"`
	VariantID int64  `json:"variant_id"`
	SKU       string `json:"sku"`
	Name      string `json:"name"`
	Quantity  int64  `json:"quantity"`
	// Price is the unit price including tax.
	Price Money `json:"price"`
}

var ordersTable = newTableSpec("mirror_orders", `store_hash text, id bigint, customer_id bigint, email text,
	email_lc text, channel_id bigint, status_id integer, status text, subtotal_ex_tax bigint, subtotal_inc_tax bigint,
	total_ex_tax bigint, total_inc_tax bigint, refunded_amount bigint, currency text, coupon_codes jsonb,
	date_created timestamptz, date_modified timestamptz, counted smallint, contribution bigint`)

var orderLinesTable = newTableSpec("mirror_order_lines", `store_hash text, order_id bigint, line_id bigint,
	product_id bigint, variant_id bigint, sku text, name text, quantity bigint, price bigint`)

// orderCouponsTable holds an order's coupon codes, one row each, trimmed and
// lower-cased (what the segment rule coupon_used reads).
var orderCouponsTable = newTableSpec("mirror_order_coupons", `store_hash text, order_id bigint, code_lc text`)

// couponKeys returns an order's coupon codes trimmed, lower-cased,
// deduplicated, without empty ones.
func couponKeys(codes []string) []string {
	var out []string
	for _, c := range codes {
		if k := strings.ToLower(strings.TrimSpace(c)); k != "" && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// storedOrder is what UpsertOrders needs of an order's current row.
type storedOrder struct {
	email    string // the order's own email
	channel  int64
	modified time.Time
	share    orderShare
}

// UpsertOrders writes a page of orders and their lines (an order's lines are
// replaced with it) and moves the shoppers' figures and the orders rollups by
// each order's new minus old contribution, all in one transaction. An order older (DateModified)
// than its stored row is ignored; within the page, the last of an id's
// newest versions wins. An order counts for its customer's email when the
// customer is mirrored, else for its own email.
func (s *Store) UpsertOrders(ctx context.Context, storeHash string, orders []MirrorOrder) error {
	if len(orders) == 0 {
		return nil
	}
	if storeHash == "" {
		return fmt.Errorf("store: upsert orders: store hash is required: %w", ErrInvalid)
	}
	orders, err := latestByID(orders, func(o MirrorOrder) (int64, time.Time) { return o.ID, o.DateModified })
	if err != nil {
		return fmt.Errorf("store: upsert orders: %w", err)
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.lockShoppers(ctx, tx, storeHash); err != nil {
			return err
		}
		ids := make([]any, 0, len(orders))
		var custIDs []any
		seenCust := map[int64]bool{}
		for _, o := range orders {
			ids = append(ids, o.ID)
			if o.CustomerID != 0 && !seenCust[o.CustomerID] {
				seenCust[o.CustomerID] = true
				custIDs = append(custIDs, o.CustomerID)
			}
		}
		stored, err := s.storedOrders(ctx, tx, storeHash, `id`, ids)
		if err != nil {
			return err
		}
		custEmail, err := s.customerEmails(ctx, tx, storeHash, custIDs)
		if err != nil {
			return err
		}
		deltas := shopperDeltas{}
		bumps := rollupBumps{}
		var orderArgs, lineArgs, couponArgs, replaced []any
		for _, o := range orders {
			old, exists := stored[o.ID]
			if exists && o.DateModified.Before(old.modified) {
				continue // stale
			}
			key := custEmail[o.CustomerID]
			if o.CustomerID == 0 || key == "" {
				key = emailKey(o.Email)
			}
			counted, amount := orderContribution(o)
			share := orderShare{key: key, customerID: o.CustomerID, counted: counted, amount: amount,
				created: normTime(o.DateCreated)}
			bumps.order(share, o.ChannelID, 1)
			if exists {
				deltas.move(&old.share, &share)
				bumps.order(old.share, old.channel, -1)
				replaced = append(replaced, o.ID)
			} else {
				deltas.move(nil, &share)
			}
			coupons, err := jsonText(nonNil(o.CouponCodes))
			if err != nil {
				return err
			}
			orderArgs = append(orderArgs, storeHash, o.ID, o.CustomerID, o.Email, key, o.ChannelID, o.StatusID, o.Status,
				o.SubtotalExTax, o.SubtotalIncTax, o.TotalExTax, o.TotalIncTax, o.RefundedAmount, o.Currency, coupons,
				s.ntv(o.DateCreated), s.ntv(o.DateModified), boolInt(counted), amount)
			for _, code := range couponKeys(o.CouponCodes) {
				couponArgs = append(couponArgs, storeHash, o.ID, code)
			}
			for _, l := range dedupeLines(o.Lines) {
				lineArgs = append(lineArgs, storeHash, o.ID, l.LineID, l.ProductID, l.VariantID, l.SKU, l.Name, l.Quantity,
					l.Price)
			}
		}
		if err := s.insertRows(ctx, tx, ordersTable, orderArgs, `
			ON CONFLICT (store_hash, id) DO UPDATE SET customer_id = excluded.customer_id, email = excluded.email,
			email_lc = excluded.email_lc, channel_id = excluded.channel_id, status_id = excluded.status_id,
			status = excluded.status, subtotal_ex_tax = excluded.subtotal_ex_tax,
			subtotal_inc_tax = excluded.subtotal_inc_tax, total_ex_tax = excluded.total_ex_tax,
			total_inc_tax = excluded.total_inc_tax, refunded_amount = excluded.refunded_amount,
			currency = excluded.currency, coupon_codes = excluded.coupon_codes, date_created = excluded.date_created,
			date_modified = excluded.date_modified, counted = excluded.counted, contribution = excluded.contribution`); err != nil {
			return fmt.Errorf("write orders: %w", err)
		}
		for _, chunk := range chunks(replaced, s.batchParams()) {
			if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM mirror_order_lines WHERE store_hash = ? AND order_id IN (`+
				inList(len(chunk))+`)`), append([]any{storeHash}, chunk...)...); err != nil {
				return fmt.Errorf("replace order lines: %w", err)
			}
			if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM mirror_order_coupons WHERE store_hash = ? AND order_id IN (`+
				inList(len(chunk))+`)`), append([]any{storeHash}, chunk...)...); err != nil {
				return fmt.Errorf("replace order coupons: %w", err)
			}
		}
		if err := s.insertRows(ctx, tx, orderLinesTable, lineArgs, ``); err != nil {
			return fmt.Errorf("write order lines: %w", err)
		}
		if err := s.insertRows(ctx, tx, orderCouponsTable, couponArgs, ` ON CONFLICT DO NOTHING`); err != nil {
			return fmt.Errorf("write order coupons: %w", err)
		}
		if err := s.bump(ctx, tx, storeHash, bumps); err != nil {
			return err
		}
		return deltas.apply(ctx, s, tx, storeHash)
	})
	if err != nil {
		return fmt.Errorf("store: upsert %d orders: %w", len(orders), err)
	}
	return nil
}

// DeleteMirrorOrder removes an order with its lines and coupons, taking its
// contribution off its shopper's figures and the orders rollups, in one
// transaction. Deleting an absent order is not an error.
func (s *Store) DeleteMirrorOrder(ctx context.Context, storeHash string, id int64) error {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.lockShoppers(ctx, tx, storeHash); err != nil {
			return err
		}
		stored, err := s.storedOrders(ctx, tx, storeHash, `id`, []any{id})
		if err != nil {
			return err
		}
		old, ok := stored[id]
		if !ok {
			return nil
		}
		for _, table := range []string{"mirror_order_lines", "mirror_order_coupons"} {
			if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM `+table+` WHERE store_hash = ? AND order_id = ?`),
				storeHash, id); err != nil {
				return fmt.Errorf("delete from %s: %w", table, err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM mirror_orders WHERE store_hash = ? AND id = ?`),
			storeHash, id); err != nil {
			return fmt.Errorf("delete order: %w", err)
		}
		bumps := rollupBumps{}
		bumps.order(old.share, old.channel, -1)
		if err := s.bump(ctx, tx, storeHash, bumps); err != nil {
			return err
		}
		deltas := shopperDeltas{}
		deltas.move(&old.share, nil)
		return deltas.apply(ctx, s, tx, storeHash)
	})
	if err != nil {
		return fmt.Errorf("store: delete mirror order %d: %w", id, err)
	}
	return nil
}

// storedOrders reads the contribution rows of the orders whose column col
// (id or customer_id) is in vals, by order id.
func (s *Store) storedOrders(ctx context.Context, q queryer, storeHash, col string, vals []any) (map[int64]storedOrder, error) {
	out := make(map[int64]storedOrder, len(vals))
	for _, chunk := range chunks(vals, s.batchParams()) {
		rows, err := q.QueryContext(ctx, s.rebind(`SELECT id, customer_id, email, email_lc, counted, contribution, date_created,
			date_modified, channel_id FROM mirror_orders WHERE store_hash = ? AND `+col+` IN (`+inList(len(chunk))+`)`+s.forUpdate()),
			append([]any{storeHash}, chunk...)...)
		if err != nil {
			return nil, fmt.Errorf("read stored orders: %w", err)
		}
		for rows.Next() {
			var id int64
			var counted int
			var o storedOrder
			if err := rows.Scan(&id, &o.share.customerID, &o.email, &o.share.key, &counted, &o.share.amount,
				(*dbTime)(&o.share.created), (*dbTime)(&o.modified), &o.channel); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read stored orders: %w", err)
			}
			o.share.counted = counted != 0
			out[id] = o
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("read stored orders: %w", err)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read stored orders: %w", err)
		}
	}
	return out, nil
}

// customerEmails returns the shopper keys of the mirrored customers among ids.
func (s *Store) customerEmails(ctx context.Context, q queryer, storeHash string, ids []any) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	for _, chunk := range chunks(ids, s.batchParams()) {
		rows, err := q.QueryContext(ctx, s.rebind(`SELECT id, email_lc FROM mirror_customers WHERE store_hash = ?
			AND id IN (`+inList(len(chunk))+`)`), append([]any{storeHash}, chunk...)...)
		if err != nil {
			return nil, fmt.Errorf("read customer emails: %w", err)
		}
		for rows.Next() {
			var id int64
			var e string
			if err := rows.Scan(&id, &e); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read customer emails: %w", err)
			}
			out[id] = e
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("read customer emails: %w", err)
		}
	}
	return out, nil
}

// MirrorOrderByID returns a mirrored order with its lines (by line id), or
// ErrNotFound.
func (s *Store) MirrorOrderByID(ctx context.Context, storeHash string, id int64) (MirrorOrder, error) {
	var o MirrorOrder
	var emailLC string
	var counted int
	var contribution Money
	err := s.rdb.QueryRowContext(ctx, s.rebind(`SELECT `+ordersTable.colList+` FROM mirror_orders WHERE store_hash = ? AND id = ?`),
		storeHash, id).Scan(new(string), &o.ID, &o.CustomerID, &o.Email, &emailLC, &o.ChannelID, &o.StatusID, &o.Status,
		&o.SubtotalExTax, &o.SubtotalIncTax, &o.TotalExTax, &o.TotalIncTax, &o.RefundedAmount, &o.Currency,
		jsonCol{&o.CouponCodes}, (*dbTime)(&o.DateCreated), (*dbTime)(&o.DateModified), &counted, &contribution)
	if errors.Is(err, sql.ErrNoRows) {
		return MirrorOrder{}, fmt.Errorf("store: mirror order %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return MirrorOrder{}, fmt.Errorf("store: mirror order %d: %w", id, err)
	}
	rows, err := s.rdb.QueryContext(ctx, s.rebind(`SELECT line_id, product_id, variant_id, sku, name, quantity, price
		FROM mirror_order_lines WHERE store_hash = ? AND order_id = ? ORDER BY line_id`), storeHash, id)
	if err != nil {
		return MirrorOrder{}, fmt.Errorf("store: mirror order %d lines: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var l MirrorOrderLine
		if err := rows.Scan(&l.LineID, &l.ProductID, &l.VariantID, &l.SKU, &l.Name, &l.Quantity, &l.Price); err != nil {
			return MirrorOrder{}, fmt.Errorf("store: mirror order %d lines: %w", id, err)
		}
		o.Lines = append(o.Lines, l)
	}
	if err := rows.Err(); err != nil {
		return MirrorOrder{}, fmt.Errorf("store: mirror order %d lines: %w", id, err)
	}
	return o, nil
}

// dedupeLines numbers lines without an id by position and keeps the last of
// lines sharing an id.
func dedupeLines(lines []MirrorOrderLine) []MirrorOrderLine {
	if len(lines) == 0 {
		return nil
	}
	idx := make(map[int64]int, len(lines))
	out := make([]MirrorOrderLine, 0, len(lines))
	for i, l := range lines {
		if l.LineID == 0 {
			l.LineID = int64(i + 1)
		}
		if j, ok := idx[l.LineID]; ok {
			out[j] = l
			continue
		}
		idx[l.LineID] = len(out)
		out = append(out, l)
	}
	return out
}

// latestByID validates ids (> 0) and keeps, per id, the newest version by
// modified time (the last one on a tie), in first-seen order.
func latestByID[T any](in []T, key func(T) (int64, time.Time)) ([]T, error) {
	idx := make(map[int64]int, len(in))
	out := make([]T, 0, len(in))
	for _, v := range in {
		id, mod := key(v)
		if id <= 0 {
			return nil, fmt.Errorf("id %d must be positive: %w", id, ErrInvalid)
		}
		if j, ok := idx[id]; ok {
			if _, prev := key(out[j]); !mod.Before(prev) {
				out[j] = v
			}
			continue
		}
		idx[id] = len(out)
		out = append(out, v)
	}
	return out, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
