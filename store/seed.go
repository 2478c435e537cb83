package store

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/jmoiron/sqlx"
)

// SeedSpec sizes the demo and benchmark data of SeedAnalytics.
type SeedSpec struct {
	StoreHash string
	Customers int // mirrored customers, ids 1..Customers
	Orders    int // mirrored orders, ids 1..Orders, in channels 1 and 2
	Decisions int // decisions, five per workflow
	Days      int // the data spreads over the Days days before End
	Seed      int64
	// End is when the seeded history ends (zero: now, to the hour).
	End time.Time
}

var seedStoreRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// SeedAnalytics fills an empty store with demo and benchmark data, then
// rebuilds its rollups (RebuildRollups), all in one transaction:
//
//   - customers seed-<id>@example.test in channel 1, 2 or both, created over
//     the period; their shopper figures computed from their orders;
//   - orders of those customers in channels 1 and 2 (about 5 % refunded or
//     cancelled, some partly refunded);
//   - decisions of the flows cart-recovery (holdout assignment with 10 % of
//     carts held out, two reminders sent, skipped, deferred or failed with
//     their reasons, recovered and converted with the cart's amount),
//     post-purchase and winback (sent, skipped, deferred, converted,
//     goal_reached), five per workflow;
//   - a sent message with a provider id for each "sent" decision, most
//     delivered, some opened and clicked;
//   - loyalty: every other customer a member, an award per counted order,
//     some signup bonuses and redemptions, accounts with bronze, silver and
//     gold tiers.
//
// Values are derived from the row numbers and Seed (no randomness), so a
// spec seeds the same data. On PostgreSQL every table is one INSERT …
// SELECT over generate_series (100,000 customers, 1,000,000 orders and
// 5,000,000 decisions in minutes); on SQLite a recursive CTE stands in for
// it (fine for small sizes). Seeding a store that has data is refused.
func SeedAnalytics(ctx context.Context, s *Store, spec SeedSpec) error {
	if !seedStoreRE.MatchString(spec.StoreHash) || spec.Customers < 1 || spec.Orders < 0 || spec.Decisions < 0 || spec.Days < 1 {
		return fmt.Errorf("store: seed analytics: store hash [A-Za-z0-9_-], customers >= 1, days >= 1 are required: %w", ErrInvalid)
	}
	if spec.End.IsZero() {
		spec.End = time.Now().UTC().Truncate(time.Hour)
	}
	g := seedGen{s: s, spec: spec, seed: uint64(spec.Seed) % 1000003}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*) FROM (SELECT 1 FROM mirror_customers WHERE store_hash = ?
			UNION ALL SELECT 1 FROM decisions WHERE store_hash = ?) x`), spec.StoreHash, spec.StoreHash).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("store %s has data already: %w", spec.StoreHash, ErrInvalid)
		}
		if s.dialect == DialectPostgres {
			// The tables just filled have no statistics inside this
			// transaction: the planner takes them for empty and joins
			// them by nested loops, quadratic in the seed's size (the
			// shopper figures of 4,000 customers took a minute).
			if _, err := tx.ExecContext(ctx, `SET LOCAL enable_nestloop = off`); err != nil {
				return fmt.Errorf("seed: %w", err)
			}
		}
		for _, step := range g.statements() {
			if _, err := tx.ExecContext(ctx, step.sql); err != nil {
				return fmt.Errorf("seed %s: %w", step.name, err)
			}
		}
		return s.rebuildRollups(ctx, tx, spec.StoreHash)
	})
	if err != nil {
		return fmt.Errorf("store: seed analytics: %w", err)
	}
	if s.dialect == DialectPostgres {
		// Fresh statistics for the plans of the dashboard's reads.
		_, _ = s.db.ExecContext(ctx, `ANALYZE`)
	}
	return nil
}

// seedGen writes the seeding statements of one spec.
type seedGen struct {
	s    *Store
	spec SeedSpec
	seed uint64
}

type seedStep struct{ name, sql string }

// series is a FROM item of the integers 1..n, named alias(i).
func (g seedGen) series(n int, alias string) string {
	if g.s.dialect == DialectPostgres {
		return fmt.Sprintf(`generate_series(1, %d) AS %s(i)`, n, alias)
	}
	return fmt.Sprintf(`(WITH RECURSIVE r(i) AS (SELECT 1 WHERE %d >= 1 UNION ALL SELECT i + 1 FROM r WHERE i < %d)
		SELECT i FROM r) AS %s`, n, n, alias)
}

// h is a deterministic hash of an integer expression in [0, 1000003).
func (g seedGen) h(x string, salt int) string {
	return fmt.Sprintf(`((%s) * 2654435761 + %d) %% 1000003`, x, (g.seed+uint64(salt)*7919)%1000003)
}

// spread is a deterministic offset in [0, period) seconds for an integer
// expression: two hashes, so periods beyond the hash's range are covered.
func (g seedGen) spread(x string, salt, period int) string {
	return fmt.Sprintf(`((%s) * 1000003 + (%s)) %% %d`, g.h(x, salt), g.h(x, salt+100), period)
}

// before is the time secs (an integer expression) before spec.End.
func (g seedGen) before(secs string) string {
	if g.s.dialect == DialectPostgres {
		return fmt.Sprintf(`(TIMESTAMPTZ '%s' - (%s) * INTERVAL '1 second')`, g.spec.End.UTC().Format(time.RFC3339Nano), secs)
	}
	return fmt.Sprintf(`(%d - (%s) * 1000000)`, normTime(g.spec.End).UnixMicro(), secs)
}

// plus is time expression t plus secs seconds.
func (g seedGen) plus(t string, secs int) string {
	if g.s.dialect == DialectPostgres {
		return fmt.Sprintf(`(%s + INTERVAL '%d second')`, t, secs)
	}
	return fmt.Sprintf(`(%s + %d)`, t, int64(secs)*1000000)
}

func (g seedGen) json(text string) string {
	if g.s.dialect == DialectPostgres {
		return `CAST(` + text + ` AS JSONB)`
	}
	return text
}

func (g seedGen) str(x string) string { return `CAST(` + x + ` AS TEXT)` }

func (g seedGen) statements() []seedStep {
	sp := g.spec
	st := "'" + sp.StoreHash + "'"
	period := sp.Days * 86400
	email := func(id string) string { return `'seed-' || ` + g.str(id) + ` || '@example.test'` }
	// Orders and workflows belong to customer 1 + h % Customers.
	custOf := func(x string, salt int) string { return fmt.Sprintf(`(1 + (%s) %% %d)`, g.h(x, salt), sp.Customers) }
	decisionSQL := g.decisionsSQL(st, period, email, custOf)
	return []seedStep{
		{"customers", `INSERT INTO mirror_customers (store_hash, id, email, email_lc, first_name, last_name, channel_ids,
			accepts_marketing, country, date_created, date_modified)
			SELECT ` + st + `, c.i, ` + email("c.i") + `, ` + email("c.i") + `, 'Seed', 'Shopper ' || ` + g.str("c.i") + `,
				` + g.json(`CASE c.i % 3 WHEN 0 THEN '[2]' WHEN 1 THEN '[1]' ELSE '[1,2]' END`) + `,
				` + map[bool]string{true: "c.i % 2 = 0", false: "c.i % 2"}[g.s.dialect == DialectPostgres] + `,
				CASE c.i % 4 WHEN 0 THEN 'FR' WHEN 1 THEN 'US' WHEN 2 THEN 'DE' ELSE 'GB' END,
				` + g.before(g.spread("c.i", 1, period)) + `, ` + g.before(g.spread("c.i", 1, period)) + `
			FROM ` + g.series(sp.Customers, "c")},
		{"orders", `INSERT INTO mirror_orders (store_hash, id, customer_id, email, email_lc, channel_id, status_id, status,
			subtotal_ex_tax, subtotal_inc_tax, total_ex_tax, total_inc_tax, refunded_amount, currency, date_created,
			date_modified, counted, contribution)
			SELECT ` + st + `, o.i, o.cust, ` + email("o.cust") + `, ` + email("o.cust") + `, o.ch, o.status,
				CASE o.status WHEN 4 THEN 'Refunded' WHEN 5 THEN 'Cancelled' ELSE 'Completed' END,
				o.total, o.total, o.total, o.total, o.refunded, 'USD', o.at, o.at,
				CASE WHEN o.status IN (4, 5) THEN 0 ELSE 1 END,
				CASE WHEN o.status IN (4, 5) THEN 0 ELSE o.total - o.refunded END
			FROM (SELECT x.i, ` + custOf("x.i", 2) + ` AS cust, 1 + x.i % 2 AS ch,
				CASE WHEN x.i % 20 = 0 THEN 4 WHEN x.i % 25 = 0 THEN 5 ELSE 10 END AS status,
				(1000 + (` + g.h("x.i", 3) + `) % 20000) * 100 AS total,
				CASE WHEN x.i % 15 = 0 THEN (1000 + (` + g.h("x.i", 3) + `) % 20000) * 25 ELSE 0 END AS refunded,
				` + g.before(g.spread("x.i", 4, period)) + ` AS at
				FROM ` + g.series(sp.Orders, "x") + `) o`},
		{"shopper stats", `INSERT INTO shopper_stats (store_hash, email_lc, customer_id, orders_count, total_spent,
			first_order_at, last_order_at, updated_at)
			SELECT c.store_hash, c.email_lc, c.id, COALESCE(a.n, 0), COALESCE(a.spent, 0), a.first, a.last, ` + g.before("0") + `
			FROM mirror_customers c LEFT JOIN (SELECT email_lc, COUNT(*) AS n, SUM(contribution) AS spent,
				MIN(date_created) AS first, MAX(date_created) AS last FROM mirror_orders
				WHERE store_hash = ` + st + ` AND counted = 1 GROUP BY email_lc) a ON a.email_lc = c.email_lc
			WHERE c.store_hash = ` + st},
		{"decisions", decisionSQL},
		{"messages", `INSERT INTO messages (idempotency_key, store_hash, channel_id, customer_key, email, channel, template,
			status, provider_message_id, created_at, sent_at, updated_at, flow, step)
			SELECT d.workflow_id || '/' || d.step, d.store_hash, d.channel_id, SUBSTR(d.customer_key, 3), d.email, 'email', d.step,
				'sent', '<seed-' || ` + g.str("d.id") + ` || '@smtp-relay.mailin.fr>', d.at, d.at, d.at, d.flow, d.step
			FROM decisions d WHERE d.store_hash = ` + st + ` AND d.decision = 'sent'`},
		{"message events", `INSERT INTO message_events (message_id, event, at)
			SELECT m.id, e.event, ` + g.plus("m.sent_at", 60) + ` FROM messages m,
				(SELECT 'delivered' AS event, 97 AS pct, 1 AS salt UNION ALL SELECT 'opened', 40, 2
				 UNION ALL SELECT 'clicked', 8, 3) e
			WHERE m.store_hash = ` + st + ` AND (` + g.h("m.id", 10) + ` + e.salt * 7) % 100 < e.pct`},
		{"loyalty awards", `INSERT INTO loyalty_ledger (idempotency_key, store_hash, channel_id, customer_id, order_id, kind,
			points, reason, created_at)
			SELECT 'seed:' || o.store_hash || ':award:' || ` + g.str("o.id") + `, o.store_hash, o.channel_id, o.customer_id,
				o.id, 'award', o.contribution / 10000, 'order', o.date_created
			FROM mirror_orders o WHERE o.store_hash = ` + st + ` AND o.counted = 1 AND o.customer_id % 2 = 0`},
		{"loyalty bonuses", `INSERT INTO loyalty_ledger (idempotency_key, store_hash, channel_id, customer_id, kind, points,
			reason, created_at)
			SELECT 'seed:' || c.store_hash || ':signup:' || ` + g.str("c.id") + `, c.store_hash, 0, c.id, 'bonus', 100,
				'signup', c.date_created
			FROM mirror_customers c WHERE c.store_hash = ` + st + ` AND c.id % 4 = 0`},
		{"loyalty redemptions", `INSERT INTO loyalty_ledger (idempotency_key, store_hash, channel_id, customer_id, kind, points,
			reason, coupon_code, created_at)
			SELECT 'seed:' || ` + st + ` || ':redeem:' || ` + g.str("l.customer_id") + `, ` + st + `, 0, l.customer_id,
				'redemption', -500, 'coupon', 'SEED-' || ` + g.str("l.customer_id") + `, l.last
			FROM (SELECT customer_id, SUM(points) AS pts, MAX(created_at) AS last FROM loyalty_ledger
				WHERE store_hash = ` + st + ` GROUP BY customer_id) l
			WHERE l.pts >= 500 AND l.customer_id % 3 = 0`},
		{"loyalty accounts", `INSERT INTO loyalty_accounts (store_hash, customer_id, balance, lifetime_earned, tier, updated_at)
			SELECT ` + st + `, l.customer_id, l.balance, l.earned,
				CASE WHEN l.earned >= 2000 THEN 'gold' WHEN l.earned >= 800 THEN 'silver' ELSE 'bronze' END, l.last
			FROM (SELECT customer_id, SUM(points) AS balance,
					SUM(CASE WHEN kind = 'redemption' THEN 0 ELSE points END) AS earned, MAX(created_at) AS last
				FROM loyalty_ledger WHERE store_hash = ` + st + ` GROUP BY customer_id) l`},
	}
}

// decisionsSQL seeds the decisions: workflow w = (i-1)/5 of flow w % 3,
// slot p = (i-1) % 5, a draw r per decision and c per workflow (its
// conversion), one hour between slots.
func (g seedGen) decisionsSQL(st string, period int, email func(string) string, custOf func(string, int) string) string {
	sp := g.spec
	const cart, post = "0", "1"
	// Per flow: step and decision of each slot.
	step := `CASE
		WHEN d.f = ` + cart + ` THEN CASE d.p WHEN 0 THEN 'holdout' WHEN 1 THEN 'reminder-1' WHEN 2 THEN 'reminder-2'
			WHEN 3 THEN CASE WHEN d.held THEN 'holdout' ELSE 'reminder-2' END ELSE 'holdout' END
		WHEN d.f = ` + post + ` THEN CASE d.p WHEN 0 THEN 'thank-you' WHEN 1 THEN 'review-request' WHEN 2 THEN 'cross-sell'
			WHEN 3 THEN 'cross-sell' ELSE 'cross-sell' END
		ELSE CASE d.p WHEN 0 THEN 'email-1' WHEN 1 THEN 'email-2' WHEN 2 THEN 'email-3' WHEN 3 THEN 'email-3'
			ELSE 'email-3' END END`
	// sendish is a send slot's outcome by the draw r.
	sendish := func(sent, skipped, deferred int) string {
		return fmt.Sprintf(`CASE WHEN d.r < %d THEN 'sent' WHEN d.r < %d THEN 'skipped' WHEN d.r < %d THEN 'deferred'
			WHEN d.r < 99 THEN 'failed' ELSE 'unknown' END`, sent, sent+skipped, sent+skipped+deferred)
	}
	decision := `CASE
		WHEN d.f = ` + cart + ` THEN CASE
			WHEN d.p = 0 THEN 'assigned'
			WHEN d.p IN (1, 2) THEN CASE WHEN d.held THEN 'skipped' ELSE ` + sendish(70, 15, 10) + ` END
			WHEN d.p = 3 THEN CASE WHEN d.conv AND NOT d.held THEN 'recovered' ELSE 'exited' END
			ELSE CASE WHEN d.conv THEN 'converted' ELSE 'exited' END END
		WHEN d.p = 0 THEN 'sent'
		WHEN d.p IN (1, 2) THEN ` + sendish(60, 25, 10) + `
		WHEN d.p = 3 THEN CASE WHEN d.conv THEN 'converted' ELSE 'exited' END
		ELSE CASE WHEN d.conv THEN 'goal_reached' ELSE 'exited' END END`
	reason := `CASE
		WHEN d.f = ` + cart + ` AND (d.p = 0 OR d.p = 4) THEN CASE WHEN d.held THEN 'holdout' ELSE 'messaged' END
		WHEN d.f = ` + cart + ` AND d.held THEN 'holdout'
		WHEN dec = 'skipped' THEN CASE d.r % 3 WHEN 0 THEN 'quiet hours' WHEN 1 THEN 'no marketing consent'
			ELSE 'frequency cap' END
		WHEN dec = 'deferred' THEN 'quiet hours'
		WHEN dec = 'failed' THEN 'provider error'
		WHEN dec = 'unknown' THEN 'provider timeout'
		WHEN dec = 'exited' THEN 'sequence ended'
		WHEN dec IN ('recovered', 'converted', 'goal_reached') THEN 'order placed'
		ELSE '' END`
	amount := `CASE WHEN dec IN ('recovered', 'converted') THEN (2000 + d.c * 37 % 15000) * 100 ELSE 0 END`
	flow := `CASE d.f WHEN 0 THEN 'cart-recovery' WHEN 1 THEN 'post-purchase' ELSE 'winback' END`
	boolean := func(cond string) string {
		if g.s.dialect == DialectPostgres {
			return "(" + cond + ")"
		}
		return "(" + cond + ")" // SQLite: 0/1, which NOT and AND take as well
	}
	inner := `SELECT x.i, (x.i - 1) / 5 AS w, (x.i - 1) % 5 AS p, ((x.i - 1) / 5) % 3 AS f,
			(` + g.h("x.i", 20) + `) % 100 AS r, (` + g.h("(x.i - 1) / 5", 21) + `) % 100 AS c,
			` + boolean(`((x.i - 1) / 5) % 30 < 3`) + ` AS held,
			` + boolean(`(`+g.h("(x.i - 1) / 5", 21)+`) % 100 < CASE WHEN ((x.i - 1) / 5) % 30 < 3 THEN 10 ELSE 15 END`) + ` AS conv,
			` + custOf("(x.i - 1) / 5", 22) + ` AS cust,
			` + g.before(g.spread("(x.i - 1) / 5", 23, period)+` + (4 - (x.i - 1) % 5) * 3600`) + ` AS at
		FROM ` + g.series(sp.Decisions, "x")
	// dec is the decision, named for reason and amount.
	mid := `SELECT d.*, ` + decision + ` AS dec FROM (` + inner + `) d`
	// Its reasons are reason keys already (no number, no ": ").
	return `INSERT INTO decisions (dedupe_key, store_hash, customer_key, email, workflow_id, flow, step, decision, reason,
		reason_key, details, at, channel_id, amount)
		SELECT 'seed:' || ` + st + ` || ':' || ` + g.str("d.i") + `, ` + st + `, 'c:' || ` + g.str("d.cust") + `, ` + email("d.cust") + `,
			` + flow + ` || '/' || ` + st + ` || '/' || ` + g.str("d.w") + `, ` + flow + `, ` + step + `, dec, ` + reason + `, ` + reason + `,
			'{}', d.at, 1 + d.w % 2, ` + amount + `
		FROM (` + mid + `) d`
}
