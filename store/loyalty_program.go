package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// OrderPoints is what one order did to a customer's points.
type OrderPoints struct {
	// Awarded is the order's award entry (0 if none).
	Awarded int64
	// Bonus is the order's bonus entry, e.g. a first-purchase bonus.
	Bonus int64
	// Reversed is the sum of the order's reversals, as a positive number.
	Reversed int64
}

// Remaining is what a reversal may still take back.
func (p OrderPoints) Remaining() int64 { return max(0, p.Awarded+p.Bonus-p.Reversed) }

// GetOrderPoints sums an order's award, bonus and reversal entries.
func (s *Store) GetOrderPoints(ctx context.Context, storeHash string, customerID, orderID int64) (OrderPoints, error) {
	p, err := s.orderPoints(ctx, s.rdb, storeHash, customerID, orderID)
	if err != nil {
		return OrderPoints{}, fmt.Errorf("store: order points %s/%d: %w", storeHash, orderID, err)
	}
	return p, nil
}

func (s *Store) orderPoints(ctx context.Context, q queryer, storeHash string, customerID, orderID int64) (OrderPoints, error) {
	var p OrderPoints
	err := q.QueryRowContext(ctx, s.rebind(`SELECT
		COALESCE(SUM(CASE WHEN kind = ? THEN points ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN kind = ? THEN points ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN kind = ? THEN -points ELSE 0 END), 0)
		FROM loyalty_ledger WHERE store_hash = ? AND customer_id = ? AND order_id = ?`),
		LedgerAward, LedgerBonus, LedgerReversal, storeHash, customerID, orderID).Scan(&p.Awarded, &p.Bonus, &p.Reversed)
	if err != nil {
		return OrderPoints{}, fmt.Errorf("sum order points: %w", err)
	}
	return p, nil
}

// ReverseOrderPoints brings an order's reversals up to a cumulative target:
// after it, the order's reversals add up to min(target, what the order
// earned), unless the balance is short. It is how refunds are applied: each
// refund computes the total reversal the order's refunded amount calls for,
// and only the difference with the earlier reversals is taken, so two
// partial refunds of 30 % and 20 % take 30 % and then 20 %, a redelivered
// refund takes nothing, and a full refund takes what is left.
//
// e carries the store, customer, order, reason and the refund's own
// IdempotencyKey (required); its Kind and Points are ignored. A stored
// entry with that key is returned with inserted false. When the target is
// already reached nothing is stored (inserted false, zero Points).
//
// The balance never goes negative: when the customer has spent the points
// (redeemed them for coupons), the reversal takes what the balance holds and
// its Reason records the shortfall; a later refund of the same order may
// take the rest.
func (s *Store) ReverseOrderPoints(ctx context.Context, e LedgerEntry, target int64) (stored LedgerEntry, inserted bool, err error) {
	e.Kind, e.Points = LedgerReversal, 0
	if e.IdempotencyKey == "" || e.OrderID <= 0 {
		return LedgerEntry{}, false, fmt.Errorf("store: reverse order points: idempotency key and order id are required: %w", ErrInvalid)
	}
	e, err = normLedger(e)
	if err != nil {
		return LedgerEntry{}, false, fmt.Errorf("store: reverse order points %q: %w", e.IdempotencyKey, err)
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		acct, err := s.lockAccount(ctx, tx, e.StoreHash, e.CustomerID, e.CreatedAt)
		if err != nil {
			return err
		}
		if dup, err := s.findLedgerDup(ctx, tx, e); err == nil {
			if dup.Kind != LedgerReversal || dup.OrderID != e.OrderID {
				return fmt.Errorf("idempotency key already used by a %s entry of order %d: %w", dup.Kind, dup.OrderID, ErrInvalid)
			}
			stored = dup
			return nil
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		p, err := s.orderPoints(ctx, tx, e.StoreHash, e.CustomerID, e.OrderID)
		if err != nil {
			return err
		}
		want := min(max(target, 0), p.Awarded+p.Bonus) - p.Reversed
		if want <= 0 {
			stored = e
			return nil
		}
		take := min(want, acct.Balance)
		if take < want {
			e.Reason = fmt.Sprintf("%s (%d of %d points taken back: the balance held %d)", e.Reason, take, want, acct.Balance)
		}
		e.Points = -take
		ok, err := s.insertLedger(ctx, tx, &e)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("idempotency key taken concurrently: %w", ErrInvalid)
		}
		if err := s.applyToAccount(ctx, tx, e); err != nil {
			return err
		}
		stored, inserted = e, true
		return nil
	})
	if err != nil {
		return LedgerEntry{}, false, fmt.Errorf("store: reverse order points %q: %w", e.IdempotencyKey, err)
	}
	return stored, inserted, nil
}

// LoyaltyStats are a store's loyalty program figures.
type LoyaltyStats struct {
	// Members is the number of customers with a loyalty account.
	Members int64
	// PointsIssued is every point earned, net of reversals (the sum of the
	// accounts' lifetime earned points).
	PointsIssued int64
	// PointsRedeemed is every point spent on coupons.
	PointsRedeemed int64
	// PointsOutstanding is the sum of the balances.
	PointsOutstanding int64
	// Redemptions is the number of coupons issued for points.
	Redemptions int64
}

// RedemptionRate is PointsRedeemed / PointsIssued, 0 when nothing was
// issued.
func (st LoyaltyStats) RedemptionRate() float64 {
	if st.PointsIssued <= 0 {
		return 0
	}
	return float64(st.PointsRedeemed) / float64(st.PointsIssued)
}

// GetLoyaltyStats returns a store's program figures.
func (s *Store) GetLoyaltyStats(ctx context.Context, storeHash string) (LoyaltyStats, error) {
	var st LoyaltyStats
	if err := s.rdb.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*), COALESCE(SUM(lifetime_earned), 0), COALESCE(SUM(balance), 0)
		FROM loyalty_accounts WHERE store_hash = ?`), storeHash).Scan(&st.Members, &st.PointsIssued, &st.PointsOutstanding); err != nil {
		return LoyaltyStats{}, fmt.Errorf("store: loyalty stats %s: accounts: %w", storeHash, err)
	}
	if err := s.rdb.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*), COALESCE(SUM(-points), 0)
		FROM loyalty_ledger WHERE store_hash = ? AND kind = ?`), storeHash, LedgerRedemption).Scan(&st.Redemptions, &st.PointsRedeemed); err != nil {
		return LoyaltyStats{}, fmt.Errorf("store: loyalty stats %s: redemptions: %w", storeHash, err)
	}
	return st, nil
}
