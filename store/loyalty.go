package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Ledger entry kinds.
const (
	LedgerAward      = "award"      // points earned by an order (> 0)
	LedgerReversal   = "reversal"   // an award taken back, e.g. on refund (stored < 0)
	LedgerBonus      = "bonus"      // extra points (>= 0)
	LedgerRedemption = "redemption" // points spent on a coupon (stored < 0)
	LedgerAdjustment = "adjustment" // manual correction, either sign
)

// LedgerEntry is one row of the loyalty ledger. Points are signed: credits
// positive, debits negative. Given points are normalised by kind: award and
// bonus must not be negative; reversal and redemption are stored negative
// whatever sign is given (so a cost may be passed as a positive number);
// adjustment keeps its sign.
type LedgerEntry struct {
	ID int64
	// IdempotencyKey is unique over the whole ledger. When empty for an
	// order-bound entry it is derived from (StoreHash, OrderID, Kind);
	// entries without an order must carry one. An order has at most one
	// entry of each kind except reversals: each partial refund is its own
	// reversal, told apart by its key.
	IdempotencyKey string
	StoreHash      string
	ChannelID      int64
	CustomerID     int64
	OrderID        int64 // 0 when the entry is not bound to an order
	Kind           string
	Points         int64
	Reason         string
	CouponCode     string    // set by Redeem
	CreatedAt      time.Time // zero means now
}

// Account is a customer's loyalty account, kept in step with the ledger.
type Account struct {
	StoreHash  string
	CustomerID int64
	Balance    int64 // never negative
	// LifetimeEarned is the sum of every entry except redemptions: awards,
	// bonuses and adjustments, less reversals.
	LifetimeEarned int64
	Tier           string
	UpdatedAt      time.Time
}

const ledgerCols = `id, idempotency_key, store_hash, channel_id, customer_id, order_id, kind, points, reason, coupon_code, created_at`

func scanLedger(sc interface{ Scan(...any) error }) (LedgerEntry, error) {
	var e LedgerEntry
	var order sql.NullInt64
	err := sc.Scan(&e.ID, &e.IdempotencyKey, &e.StoreHash, &e.ChannelID, &e.CustomerID, &order, &e.Kind, &e.Points,
		&e.Reason, &e.CouponCode, (*dbTime)(&e.CreatedAt))
	e.OrderID = order.Int64
	return e, err
}

func absInt(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// normLedger validates e and normalises its points, key and time.
func normLedger(e LedgerEntry) (LedgerEntry, error) {
	switch {
	case e.StoreHash == "":
		return e, fmt.Errorf("store hash is required: %w", ErrInvalid)
	case e.CustomerID <= 0:
		return e, fmt.Errorf("customer id must be positive: %w", ErrInvalid)
	case e.OrderID < 0:
		return e, fmt.Errorf("order id must not be negative: %w", ErrInvalid)
	}
	switch e.Kind {
	case LedgerAward, LedgerBonus:
		if e.Points < 0 {
			return e, fmt.Errorf("%s points must not be negative: %w", e.Kind, ErrInvalid)
		}
	case LedgerReversal:
		e.Points = -absInt(e.Points)
	case LedgerRedemption:
		if e.Points == 0 {
			return e, fmt.Errorf("redemption of 0 points: %w", ErrInvalid)
		}
		e.Points = -absInt(e.Points)
	case LedgerAdjustment:
	default:
		return e, fmt.Errorf("unknown ledger kind %q: %w", e.Kind, ErrInvalid)
	}
	if e.IdempotencyKey == "" {
		if e.OrderID == 0 {
			return e, fmt.Errorf("idempotency key is required for an entry without an order: %w", ErrInvalid)
		}
		e.IdempotencyKey = fmt.Sprintf("order:%s:%d:%s", e.StoreHash, e.OrderID, e.Kind)
	}
	e.CreatedAt = normTime(orNow(e.CreatedAt))
	return e, nil
}

// AppendLedger adds e to the ledger and updates the account balance in the
// same transaction; see AppendLedgerEntry. inserted is false when an entry
// with the same idempotency key, or (except for reversals) the same (store,
// order, kind), exists.
func (s *Store) AppendLedger(ctx context.Context, e LedgerEntry) (inserted bool, err error) {
	_, inserted, err = s.AppendLedgerEntry(ctx, e)
	return inserted, err
}

// AppendLedgerEntry is AppendLedger returning the stored entry: the new one,
// or the existing duplicate when inserted is false.
//
// The balance never goes negative: a reversal takes back at most what the
// order earned (its award and bonus) less its earlier reversals, and at most
// the current balance; a
// negative adjustment at most the balance (the stored Points show what was
// actually taken); a redemption larger than the balance fails with
// ErrInsufficientPoints (use Redeem to pair a redemption with a coupon).
func (s *Store) AppendLedgerEntry(ctx context.Context, e LedgerEntry) (stored LedgerEntry, inserted bool, err error) {
	e, err = normLedger(e)
	if err != nil {
		return LedgerEntry{}, false, fmt.Errorf("store: append ledger %q: %w", e.IdempotencyKey, err)
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		acct, err := s.lockAccount(ctx, tx, e.StoreHash, e.CustomerID, e.CreatedAt)
		if err != nil {
			return err
		}
		if dup, err := s.findLedgerDup(ctx, tx, e); err == nil {
			stored = dup
			return nil
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		switch e.Kind {
		case LedgerReversal:
			if e.OrderID != 0 {
				var earned int64
				if err := tx.QueryRowContext(ctx, s.rebind(`SELECT COALESCE(SUM(points), 0) FROM loyalty_ledger
					WHERE store_hash = ? AND customer_id = ? AND order_id = ? AND kind IN (?, ?, ?)`),
					e.StoreHash, e.CustomerID, e.OrderID, LedgerAward, LedgerBonus, LedgerReversal).Scan(&earned); err != nil {
					return fmt.Errorf("sum order points: %w", err)
				}
				e.Points = min(0, max(e.Points, -earned))
			}
			e.Points = max(e.Points, -acct.Balance)
		case LedgerAdjustment:
			e.Points = max(e.Points, -acct.Balance)
		case LedgerRedemption:
			if -e.Points > acct.Balance {
				return fmt.Errorf("need %d, have %d: %w", -e.Points, acct.Balance, ErrInsufficientPoints)
			}
		}
		ok, err := s.insertLedger(ctx, tx, &e)
		if err != nil {
			return err
		}
		if !ok { // lost a race on the idempotency key with another customer's entry
			dup, err := s.findLedgerDup(ctx, tx, e)
			stored = dup
			return err
		}
		if err := s.applyToAccount(ctx, tx, e); err != nil {
			return err
		}
		stored, inserted = e, true
		return nil
	})
	if err != nil {
		return LedgerEntry{}, false, fmt.Errorf("store: append ledger %q: %w", e.IdempotencyKey, err)
	}
	return stored, inserted, nil
}

// Redeem spends points for a coupon, atomically: in one transaction it locks
// the customer's account, checks the balance (ErrInsufficientPoints if it is
// short), calls issue to create the coupon, and records the debit with the
// coupon code only if issue succeeded. If issue fails, or the transaction
// does, nothing is debited (a coupon issued just before a failed commit is
// the caller's to cancel).
//
// e.Kind must be LedgerRedemption or empty; e.Points is the cost (either
// sign); e.IdempotencyKey is required. A retry with the key of a stored
// redemption returns that entry without calling issue again.
//
// Concurrent redemptions for one customer are serialised (SELECT ... FOR
// UPDATE on PostgreSQL, the single writer on SQLite), so they cannot both
// pass the balance check. issue runs while the lock is held: it must not
// write through this Store (on SQLite that would wait for itself); reads are
// fine on PostgreSQL and file-backed SQLite.
func (s *Store) Redeem(ctx context.Context, e LedgerEntry, issue func(ctx context.Context) (couponCode string, err error)) (LedgerEntry, error) {
	if e.Kind == "" {
		e.Kind = LedgerRedemption
	}
	if e.Kind != LedgerRedemption {
		return LedgerEntry{}, fmt.Errorf("store: redeem %q: kind %q is not %q: %w", e.IdempotencyKey, e.Kind, LedgerRedemption, ErrInvalid)
	}
	if e.IdempotencyKey == "" || issue == nil {
		return LedgerEntry{}, fmt.Errorf("store: redeem: idempotency key and issuer are required: %w", ErrInvalid)
	}
	e, err := normLedger(e)
	if err != nil {
		return LedgerEntry{}, fmt.Errorf("store: redeem %q: %w", e.IdempotencyKey, err)
	}
	var out LedgerEntry
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		acct, err := s.lockAccount(ctx, tx, e.StoreHash, e.CustomerID, e.CreatedAt)
		if err != nil {
			return err
		}
		if dup, err := s.findLedgerDup(ctx, tx, e); err == nil {
			if dup.Kind != LedgerRedemption || dup.StoreHash != e.StoreHash || dup.CustomerID != e.CustomerID {
				return fmt.Errorf("idempotency key already used by a %s entry of customer %d: %w", dup.Kind, dup.CustomerID, ErrInvalid)
			}
			out = dup
			return nil
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if cost := -e.Points; cost > acct.Balance {
			return fmt.Errorf("need %d, have %d: %w", cost, acct.Balance, ErrInsufficientPoints)
		}
		code, err := issue(ctx)
		if err != nil {
			return fmt.Errorf("issue coupon: %w", err)
		}
		e.CouponCode = code
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
		out = e
		return nil
	})
	if err != nil {
		return LedgerEntry{}, fmt.Errorf("store: redeem %q: %w", e.IdempotencyKey, err)
	}
	return out, nil
}

// lockAccount creates the account row if needed and returns it locked for
// the rest of tx.
func (s *Store) lockAccount(ctx context.Context, tx *sqlx.Tx, storeHash string, customerID int64, at time.Time) (Account, error) {
	if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO loyalty_accounts
		(store_hash, customer_id, balance, lifetime_earned, tier, updated_at) VALUES (?, ?, 0, 0, '', ?)
		ON CONFLICT DO NOTHING`), storeHash, customerID, s.tv(at)); err != nil {
		return Account{}, fmt.Errorf("create account: %w", err)
	}
	a, err := scanAccount(tx.QueryRowContext(ctx, s.rebind(`SELECT `+accountCols+` FROM loyalty_accounts
		WHERE store_hash = ? AND customer_id = ?`+s.forUpdate()), storeHash, customerID))
	if err != nil {
		return Account{}, fmt.Errorf("lock account: %w", err)
	}
	return a, nil
}

const accountCols = `store_hash, customer_id, balance, lifetime_earned, tier, updated_at`

func scanAccount(sc interface{ Scan(...any) error }) (Account, error) {
	var a Account
	err := sc.Scan(&a.StoreHash, &a.CustomerID, &a.Balance, &a.LifetimeEarned, &a.Tier, (*dbTime)(&a.UpdatedAt))
	return a, err
}

// findLedgerDup returns the entry that e would duplicate, or ErrNotFound:
// the entry with its key or, except for reversals, its (store, order, kind).
func (s *Store) findLedgerDup(ctx context.Context, q queryer, e LedgerEntry) (LedgerEntry, error) {
	dup, err := scanLedger(q.QueryRowContext(ctx, s.rebind(`SELECT `+ledgerCols+` FROM loyalty_ledger
		WHERE idempotency_key = ? OR (store_hash = ? AND order_id = ? AND kind = ? AND kind <> ?) ORDER BY id LIMIT 1`),
		e.IdempotencyKey, e.StoreHash, nullOrder(e.OrderID), e.Kind, LedgerReversal))
	if errors.Is(err, sql.ErrNoRows) {
		return LedgerEntry{}, ErrNotFound
	}
	if err != nil {
		return LedgerEntry{}, fmt.Errorf("find duplicate: %w", err)
	}
	return dup, nil
}

// insertLedger inserts e, setting e.ID, and bumps the loyalty rollup; ok
// is false on a unique conflict.
func (s *Store) insertLedger(ctx context.Context, tx *sqlx.Tx, e *LedgerEntry) (ok bool, err error) {
	err = tx.QueryRowContext(ctx, s.rebind(`INSERT INTO loyalty_ledger
		(idempotency_key, store_hash, channel_id, customer_id, order_id, kind, points, reason, coupon_code, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`),
		e.IdempotencyKey, e.StoreHash, e.ChannelID, e.CustomerID, nullOrder(e.OrderID), e.Kind, e.Points, e.Reason,
		e.CouponCode, s.tv(e.CreatedAt)).Scan(&e.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("insert entry: %w", err)
	}
	b := rollupBumps{}
	b.add(RollupLoyalty, rollupDay(e.CreatedAt), [4]string{"", "", e.Kind, ""}, 1, e.Points, e.ChannelID)
	if err := s.bump(ctx, tx, e.StoreHash, b); err != nil {
		return false, err
	}
	return true, nil
}

// applyToAccount adds a freshly inserted entry to its (locked) account.
func (s *Store) applyToAccount(ctx context.Context, tx *sqlx.Tx, e LedgerEntry) error {
	var earned int64
	if e.Kind != LedgerRedemption {
		earned = e.Points
	}
	if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE loyalty_accounts
		SET balance = balance + ?, lifetime_earned = lifetime_earned + ?, updated_at = ?
		WHERE store_hash = ? AND customer_id = ?`),
		e.Points, earned, s.tv(e.CreatedAt), e.StoreHash, e.CustomerID); err != nil {
		return fmt.Errorf("update account: %w", err)
	}
	return nil
}

func nullOrder(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// Balance returns a customer's current balance and lifetime earned points;
// both are 0 for a customer with no ledger entries.
func (s *Store) Balance(ctx context.Context, storeHash string, customerID int64) (balance, lifetimeEarned int64, err error) {
	a, err := s.GetAccount(ctx, storeHash, customerID)
	if errors.Is(err, ErrNotFound) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	return a.Balance, a.LifetimeEarned, nil
}

// GetAccount returns a customer's loyalty account, or ErrNotFound.
func (s *Store) GetAccount(ctx context.Context, storeHash string, customerID int64) (Account, error) {
	a, err := scanAccount(s.rdb.QueryRowContext(ctx, s.rebind(`SELECT `+accountCols+` FROM loyalty_accounts
		WHERE store_hash = ? AND customer_id = ?`), storeHash, customerID))
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, fmt.Errorf("store: get account %s/%d: %w", storeHash, customerID, ErrNotFound)
	}
	if err != nil {
		return Account{}, fmt.Errorf("store: get account %s/%d: %w", storeHash, customerID, err)
	}
	return a, nil
}

// SetTier records a customer's loyalty tier, creating the account if needed.
func (s *Store) SetTier(ctx context.Context, storeHash string, customerID int64, tier string) error {
	at := s.tv(now())
	_, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO loyalty_accounts
		(store_hash, customer_id, balance, lifetime_earned, tier, updated_at) VALUES (?, ?, 0, 0, ?, ?)
		ON CONFLICT (store_hash, customer_id) DO UPDATE SET tier = excluded.tier, updated_at = excluded.updated_at`),
		storeHash, customerID, tier, at)
	if err != nil {
		return fmt.Errorf("store: set tier %s/%d: %w", storeHash, customerID, err)
	}
	return nil
}

// LedgerHistory returns a customer's ledger entries, newest first; limit <= 0
// means 100.
func (s *Store) LedgerHistory(ctx context.Context, storeHash string, customerID int64, limit int) ([]LedgerEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.rdb.QueryContext(ctx, s.rebind(`SELECT `+ledgerCols+` FROM loyalty_ledger
		WHERE store_hash = ? AND customer_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`), storeHash, customerID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: ledger history %s/%d: %w", storeHash, customerID, err)
	}
	defer rows.Close()
	out := []LedgerEntry{}
	for rows.Next() {
		e, err := scanLedger(rows)
		if err != nil {
			return nil, fmt.Errorf("store: ledger history %s/%d: %w", storeHash, customerID, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: ledger history %s/%d: %w", storeHash, customerID, err)
	}
	return out, nil
}
