package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// The dashboard's reads: rollups by period, the store's channels, customer
// and loyalty totals, and one customer's overview. None scans orders or
// decisions: they read the rollups' primary key, or one shopper's rows.

// RollupRow is one day's figure of one kind and key (see the Rollup*
// kinds).
type RollupRow struct {
	Day            string // YYYY-MM-DD, UTC
	Kind           string
	K1, K2, K3, K4 string
	N              int64
	Amount         Money // Money units, or loyalty points for RollupLoyalty
}

// TierCount is the loyalty members of one tier and their points balance.
type TierCount struct {
	Tier    string
	Members int64
	Points  int64
}

// parseDay checks a 'YYYY-MM-DD' day.
func parseDay(day string) error {
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		return fmt.Errorf("day %q is not YYYY-MM-DD: %w", day, ErrInvalid)
	}
	return nil
}

// Rollups returns the store's rollup rows of channelID (0: the whole store)
// for the days from to to (inclusive, 'YYYY-MM-DD', UTC) of kinds (none:
// every kind), ordered by kind, day and keys. Rows whose n and amount are
// both zero are left out. A malformed day or unknown kind is ErrInvalid.
func (s *Store) Rollups(ctx context.Context, storeHash string, channelID int64, from, to string, kinds ...string) ([]RollupRow, error) {
	if err := errors.Join(parseDay(from), parseDay(to)); err != nil {
		return nil, fmt.Errorf("store: rollups: %w", err)
	}
	if len(kinds) == 0 {
		kinds = sortedKinds()
	}
	for _, k := range kinds {
		if !rollupKinds[k] {
			return nil, fmt.Errorf("store: rollups: unknown kind %q: %w", k, ErrInvalid)
		}
	}
	out := []RollupRow{}
	for _, kind := range kinds { // one range of the primary key each
		rows, err := s.rdb.QueryContext(ctx, s.rebind(`SELECT day, kind, k1, k2, k3, k4, n, amount FROM rollups
			WHERE store_hash = ? AND channel_id = ? AND kind = ? AND day >= ? AND day <= ? AND (n <> 0 OR amount <> 0)
			ORDER BY day, k1, k2, k3, k4`), storeHash, channelID, kind, from, to)
		if err != nil {
			return nil, fmt.Errorf("store: rollups: %w", err)
		}
		for rows.Next() {
			var r RollupRow
			if err := rows.Scan(&r.Day, &r.Kind, &r.K1, &r.K2, &r.K3, &r.K4, &r.N, (*int64)(&r.Amount)); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: rollups: %w", err)
			}
			out = append(out, r)
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("store: rollups: %w", err)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: rollups: %w", err)
		}
	}
	return out, nil
}

// RollupTotals is Rollups summed over the period: one row per (kind,
// k1..k4) with Day empty, for figures that need no series (a year's
// decisions are tens of thousands of daily rows, and a few hundred totals).
func (s *Store) RollupTotals(ctx context.Context, storeHash string, channelID int64, from, to string, kinds ...string) ([]RollupRow, error) {
	if err := errors.Join(parseDay(from), parseDay(to)); err != nil {
		return nil, fmt.Errorf("store: rollup totals: %w", err)
	}
	if len(kinds) == 0 {
		kinds = sortedKinds()
	}
	for _, k := range kinds {
		if !rollupKinds[k] {
			return nil, fmt.Errorf("store: rollup totals: unknown kind %q: %w", k, ErrInvalid)
		}
	}
	args := []any{storeHash, channelID, from, to}
	args = append(args, anys(kinds)...)
	rows, err := s.rdb.QueryContext(ctx, s.rebind(`SELECT kind, k1, k2, k3, k4, CAST(SUM(n) AS BIGINT),
			CAST(SUM(amount) AS BIGINT) FROM rollups
		WHERE store_hash = ? AND channel_id = ? AND day >= ? AND day <= ? AND kind IN (`+inList(len(kinds))+`)
		GROUP BY kind, k1, k2, k3, k4 HAVING SUM(n) <> 0 OR SUM(amount) <> 0 ORDER BY kind, k1, k2, k3, k4`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: rollup totals: %w", err)
	}
	defer rows.Close()
	out := []RollupRow{}
	for rows.Next() {
		var r RollupRow
		if err := rows.Scan(&r.Kind, &r.K1, &r.K2, &r.K3, &r.K4, &r.N, (*int64)(&r.Amount)); err != nil {
			return nil, fmt.Errorf("store: rollup totals: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: rollup totals: %w", err)
	}
	return out, nil
}

// RollupChannels returns the channel ids (0 aside) with any rollup row of
// the store, ascending: a skip scan of the primary key, one probe per
// channel.
func (s *Store) RollupChannels(ctx context.Context, storeHash string) ([]int64, error) {
	out := []int64{}
	err := sqlx.SelectContext(ctx, s.rdb, &out, s.rebind(`WITH RECURSIVE c(id) AS (
			SELECT MIN(channel_id) FROM rollups WHERE store_hash = ? AND channel_id > 0
			UNION ALL
			SELECT (SELECT MIN(r.channel_id) FROM rollups r WHERE r.store_hash = ? AND r.channel_id > c.id)
			FROM c WHERE c.id IS NOT NULL)
		SELECT id FROM c WHERE id IS NOT NULL ORDER BY id`), storeHash, storeHash)
	if err != nil {
		return nil, fmt.Errorf("store: rollup channels: %w", err)
	}
	return out, nil
}

// AnalyticsStores returns the store hashes with any rollup row, sorted (a
// skip scan of the primary key).
func (s *Store) AnalyticsStores(ctx context.Context) ([]string, error) {
	out := []string{}
	err := sqlx.SelectContext(ctx, s.rdb, &out, `WITH RECURSIVE h(v) AS (
			SELECT MIN(store_hash) FROM rollups
			UNION ALL
			SELECT (SELECT MIN(r.store_hash) FROM rollups r WHERE r.store_hash > h.v) FROM h WHERE h.v IS NOT NULL)
		SELECT v FROM h WHERE v IS NOT NULL ORDER BY v`)
	if err != nil {
		return nil, fmt.Errorf("store: analytics stores: %w", err)
	}
	return out, nil
}

// CustomersTotal counts the store's mirrored customers of channelID (0: the
// whole store), all days, from the rollups.
func (s *Store) CustomersTotal(ctx context.Context, storeHash string, channelID int64) (int64, error) {
	var n int64
	err := s.rdb.QueryRowContext(ctx, s.rebind(`SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM rollups
		WHERE store_hash = ? AND channel_id = ? AND kind = ?`), storeHash, channelID, RollupCustomers).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: customers total: %w", err)
	}
	return n, nil
}

// LoyaltyTiers counts the store's loyalty accounts and sums their balances
// per tier (” for members without a tier), by tier name.
func (s *Store) LoyaltyTiers(ctx context.Context, storeHash string) ([]TierCount, error) {
	rows, err := s.rdb.QueryContext(ctx, s.rebind(`SELECT tier, COUNT(*), CAST(COALESCE(SUM(balance), 0) AS BIGINT)
		FROM loyalty_accounts WHERE store_hash = ? GROUP BY tier ORDER BY tier`), storeHash)
	if err != nil {
		return nil, fmt.Errorf("store: loyalty tiers: %w", err)
	}
	defer rows.Close()
	out := []TierCount{}
	for rows.Next() {
		var t TierCount
		if err := rows.Scan(&t.Tier, &t.Members, &t.Points); err != nil {
			return nil, fmt.Errorf("store: loyalty tiers: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: loyalty tiers: %w", err)
	}
	return out, nil
}

// RecordMessageEvent records a delivery or engagement event (EventDelivered,
// EventOpened or EventClicked) of the message the provider knows as
// providerMessageID, and bumps its engagement rollup, in one transaction.
// It reports whether the event counted: false (and no error) for an event
// already recorded for the message, or for a message id no sent message
// carries yet — such an event is held (message_events_early) until
// MarkMessageSent gives a message that id, and counts then; held events
// older than EarlyEventRetention are pruned.
func (s *Store) RecordMessageEvent(ctx context.Context, providerMessageID, event string, at time.Time) (counted bool, err error) {
	switch event {
	case EventDelivered, EventOpened, EventClicked:
	default:
		return false, fmt.Errorf("store: record message event: unknown event %q: %w", event, ErrInvalid)
	}
	providerMessageID = strings.TrimSpace(providerMessageID)
	if providerMessageID == "" {
		return false, fmt.Errorf("store: record message event: provider message id is required: %w", ErrInvalid)
	}
	at = orNow(at)
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var id, channel int64
		var storeHash, flow, step string
		var sent time.Time
		err := tx.QueryRowContext(ctx, s.rebind(`SELECT id, store_hash, channel_id, flow, step,
			COALESCE(sent_at, created_at) FROM messages WHERE provider_message_id = ? ORDER BY id LIMIT 1`),
			providerMessageID).Scan(&id, &storeHash, &channel, &flow, &step, (*dbTime)(&sent))
		if errors.Is(err, sql.ErrNoRows) {
			return s.holdEarlyEvent(ctx, tx, providerMessageID, event, at)
		}
		if err != nil {
			return fmt.Errorf("find message: %w", err)
		}
		counted, err = s.countMessageEvent(ctx, tx, sentMessageRef{id, storeHash, channel, flow, step, sent}, event, at)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: record message event %s: %w", event, err)
	}
	return counted, nil
}

// OrderSummary is one order of a customer's overview.
type OrderSummary struct {
	ID          int64     `json:"id"`
	Status      string    `json:"status"`
	TotalIncTax Money     `json:"total_inc_tax"`
	Currency    string    `json:"currency"`
	ChannelID   int64     `json:"channel_id"`
	DateCreated time.Time `json:"date_created"`
}

// CustomerOverview is what the dashboard shows of one customer: the
// mirrored customer (nil when unknown), the shopper's figures (nil without
// a shopper row), the last 20 orders newest first, and the loyalty account
// (nil without one).
type CustomerOverview struct {
	Customer *MirrorCustomer
	// Email is the shopper key the figures and orders were read by.
	Email   string
	Stats   *ShopperStats
	Orders  []OrderSummary
	Loyalty *Account
}

// customerOverviewOrders is how many orders CustomerOverview returns.
const customerOverviewOrders = 20

// CustomerOverview returns a customer's overview, found by customerID when
// it is positive, else by email (any case; the lowest customer id with that
// email). A shopper known only by email (a guest) has figures and orders
// and no customer. Nothing found is an overview of nils and no orders, not
// an error.
func (s *Store) CustomerOverview(ctx context.Context, storeHash string, customerID int64, email string) (CustomerOverview, error) {
	out := CustomerOverview{Orders: []OrderSummary{}}
	key := emailKey(email)
	if customerID <= 0 && key != "" {
		var id sql.NullInt64
		err := s.rdb.QueryRowContext(ctx, s.rebind(`SELECT MIN(id) FROM mirror_customers WHERE store_hash = ? AND email_lc = ?`),
			storeHash, key).Scan(&id)
		if err != nil {
			return CustomerOverview{}, fmt.Errorf("store: customer overview: %w", err)
		}
		customerID = id.Int64
	}
	if customerID > 0 {
		c, err := s.MirrorCustomerByID(ctx, storeHash, customerID)
		switch {
		case err == nil:
			out.Customer = &c
			key = emailKey(c.Email)
		case !errors.Is(err, ErrNotFound):
			return CustomerOverview{}, fmt.Errorf("store: customer overview: %w", err)
		}
		a, err := scanAccount(s.rdb.QueryRowContext(ctx, s.rebind(`SELECT `+accountCols+` FROM loyalty_accounts
			WHERE store_hash = ? AND customer_id = ?`), storeHash, customerID))
		switch {
		case err == nil:
			out.Loyalty = &a
		case !errors.Is(err, sql.ErrNoRows):
			return CustomerOverview{}, fmt.Errorf("store: customer overview: loyalty: %w", err)
		}
	}
	out.Email = key
	if key != "" {
		var st ShopperStats
		err := s.rdb.QueryRowContext(ctx, s.rebind(`SELECT customer_id, orders_count, total_spent, first_order_at,
			last_order_at, updated_at FROM shopper_stats WHERE store_hash = ? AND email_lc = ?`), storeHash, key).
			Scan(&st.CustomerID, &st.OrdersCount, &st.TotalSpent, (*dbTime)(&st.FirstOrderAt), (*dbTime)(&st.LastOrderAt),
				(*dbTime)(&st.UpdatedAt))
		switch {
		case err == nil:
			st.Email = key
			out.Stats = &st
		case !errors.Is(err, sql.ErrNoRows):
			return CustomerOverview{}, fmt.Errorf("store: customer overview: stats: %w", err)
		}
	}
	// The shopper's orders (a customer's are keyed to its email), else the
	// customer's by id.
	where, arg := `email_lc = ?`, any(key)
	if key == "" {
		if customerID <= 0 {
			return out, nil
		}
		where, arg = `customer_id = ?`, any(customerID)
	}
	rows, err := s.rdb.QueryContext(ctx, s.rebind(`SELECT id, status, total_inc_tax, currency, channel_id, date_created
		FROM mirror_orders WHERE store_hash = ? AND `+where+` ORDER BY date_created DESC, id DESC LIMIT ?`),
		storeHash, arg, customerOverviewOrders)
	if err != nil {
		return CustomerOverview{}, fmt.Errorf("store: customer overview: orders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var o OrderSummary
		if err := rows.Scan(&o.ID, &o.Status, (*int64)(&o.TotalIncTax), &o.Currency, &o.ChannelID,
			(*dbTime)(&o.DateCreated)); err != nil {
			return CustomerOverview{}, fmt.Errorf("store: customer overview: orders: %w", err)
		}
		out.Orders = append(out.Orders, o)
	}
	if err := rows.Err(); err != nil {
		return CustomerOverview{}, fmt.Errorf("store: customer overview: orders: %w", err)
	}
	return out, nil
}

// EarlyEventRetention is how long an event for a message id no sent message
// carries is held for MarkMessageSent: past it, the id is taken to be
// another sender's (a Brevo account sends more than bcflow's messages).
const EarlyEventRetention = 7 * 24 * time.Hour

// sentMessageRef is what an event needs of its sent message.
type sentMessageRef struct {
	id         int64
	storeHash  string
	channel    int64
	flow, step string
	sent       time.Time
}

// countMessageEvent records event for m once and bumps its engagement
// rollup on m's sent day; it reports whether the event was new.
func (s *Store) countMessageEvent(ctx context.Context, tx *sqlx.Tx, m sentMessageRef, event string, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO message_events (message_id, event, at) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`), m.id, event, s.tv(at))
	if err != nil {
		return false, fmt.Errorf("insert event: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	b := rollupBumps{}
	b.add(RollupEngagement, rollupDay(m.sent), [4]string{m.flow, m.step, event, ""}, 1, 0, m.channel)
	if err := s.bump(ctx, tx, m.storeHash, b); err != nil {
		return false, err
	}
	return true, nil
}

// holdEarlyEvent keeps an event whose message is not marked sent yet, and
// prunes held events older than EarlyEventRetention before at.
func (s *Store) holdEarlyEvent(ctx context.Context, tx *sqlx.Tx, providerMessageID, event string, at time.Time) error {
	if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO message_events_early (provider_message_id, event, at)
		VALUES (?, ?, ?) ON CONFLICT DO NOTHING`), providerMessageID, event, s.tv(at)); err != nil {
		return fmt.Errorf("hold early event: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM message_events_early WHERE at < ?`),
		s.tv(at.Add(-EarlyEventRetention))); err != nil {
		return fmt.Errorf("prune early events: %w", err)
	}
	return nil
}

// adoptEarlyEvents counts the held events of m's provider message id for m
// and forgets them.
func (s *Store) adoptEarlyEvents(ctx context.Context, tx *sqlx.Tx, providerMessageID string, m sentMessageRef) error {
	type held struct {
		Event string `db:"event"`
		At    dbTime `db:"at"`
	}
	var events []held
	if err := tx.SelectContext(ctx, &events, s.rebind(`SELECT event, at FROM message_events_early
		WHERE provider_message_id = ? ORDER BY event`), providerMessageID); err != nil {
		return fmt.Errorf("read early events: %w", err)
	}
	for _, e := range events {
		if _, err := s.countMessageEvent(ctx, tx, m, e.Event, time.Time(e.At)); err != nil {
			return err
		}
	}
	if len(events) > 0 {
		if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM message_events_early WHERE provider_message_id = ?`),
			providerMessageID); err != nil {
			return fmt.Errorf("forget early events: %w", err)
		}
	}
	return nil
}
