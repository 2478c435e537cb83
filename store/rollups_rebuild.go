package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// rollupsMarker is the sync_state row (store '*') recording that the
// rollups of the data present when migration 00007 ran were rebuilt.
const (
	rollupsMarkerStore    = "*"
	rollupsMarkerResource = "analytics:rollups-rebuilt"
)

// dayExpr is the SQL of the UTC day ('YYYY-MM-DD', ” for NULL) of a time
// column.
func (s *Store) dayExpr(col string) string {
	if s.dialect == DialectPostgres {
		return `COALESCE(to_char(` + col + ` AT TIME ZONE 'UTC', 'YYYY-MM-DD'), '')`
	}
	// Unix microseconds, floored to seconds (also before 1970).
	return `COALESCE(strftime('%Y-%m-%d', (` + col + ` - (((` + col + `) % 1000000) + 1000000) % 1000000) / 1000000, 'unixepoch'), '')`
}

// jsonIntElems is the FROM item (to follow "tbl, ") of the integer
// elements of a JSON array column, the expression of an element, and the
// condition that keeps integers only.
func (s *Store) jsonIntElems(col string) (from, value, cond string) {
	if s.dialect == DialectPostgres {
		return `jsonb_array_elements_text(CASE WHEN jsonb_typeof(` + col + `) = 'array' THEN ` + col +
				` ELSE '[]'::jsonb END) AS ch(x)`,
			`CAST(ch.x AS BIGINT)`, `ch.x ~ '^[0-9]+$'`
	}
	return `json_each(CASE WHEN json_valid(` + col + `) AND json_type(` + col + `) = 'array' THEN ` + col +
		` ELSE '[]' END) AS ch`, `ch.value`, `ch.type = 'integer'`
}

// rollupSources are SELECTs of (channel_id, kind, day, k1, k2, k3, k4, n,
// amount) over one store's base tables (each takes the store hash once),
// already grouped by channel; the caller adds channel 0.
func (s *Store) rollupSources() []string {
	reasonKinds := `'skipped', 'deferred', 'failed', 'unknown', 'exited'`
	chFrom, chVal, chCond := s.jsonIntElems("c.channel_ids")
	return []string{
		// orders
		`SELECT channel_id, 'orders' AS kind, ` + s.dayExpr("date_created") + ` AS day, '' AS k1, '' AS k2, '' AS k3,
			'' AS k4, COUNT(*) AS n, SUM(contribution) AS amount
		FROM mirror_orders WHERE store_hash = ? AND counted = 1 GROUP BY 1, 3`,
		// decisions
		// (a holdout conversion counts on its cart's assignment day: see holdoutCohortDay)
		`SELECT d.channel_id, 'decision' AS kind, ` + s.dayExpr("COALESCE(a.at, d.at)") + ` AS day, d.flow AS k1, d.step AS k2,
			d.decision AS k3,
			CASE WHEN d.decision IN (` + reasonKinds + `) OR d.step = 'holdout' THEN
				CASE WHEN d.reason_key <> '' THEN d.reason_key ELSE d.reason END ELSE '' END AS k4,
			COUNT(*) AS n, SUM(d.amount) AS amount
		FROM decisions d LEFT JOIN (SELECT store_hash, workflow_id, MIN(at) AS at FROM decisions
				WHERE step = 'holdout' AND decision = 'assigned' GROUP BY store_hash, workflow_id) a
			ON d.step = 'holdout' AND d.decision = 'converted' AND a.store_hash = d.store_hash AND a.workflow_id = d.workflow_id
		WHERE d.store_hash = ? GROUP BY 1, 3, 4, 5, 6, 7`,
		// entered: each workflow's first decision (by insertion)
		`SELECT d.channel_id, 'entered' AS kind, ` + s.dayExpr("d.at") + ` AS day, d.flow AS k1, '' AS k2, '' AS k3,
			'' AS k4, COUNT(*) AS n, 0 AS amount
		FROM decisions d JOIN (SELECT MIN(id) AS id FROM decisions WHERE store_hash = ? AND workflow_id <> ''
			GROUP BY workflow_id) f ON f.id = d.id
		GROUP BY 1, 3, 4`,
		// loyalty
		`SELECT channel_id, 'loyalty' AS kind, ` + s.dayExpr("created_at") + ` AS day, '' AS k1, '' AS k2, kind AS k3,
			'' AS k4, COUNT(*) AS n, SUM(points) AS amount
		FROM loyalty_ledger WHERE store_hash = ? GROUP BY 1, 3, 6`,
		// engagement
		`SELECT m.channel_id, 'engagement' AS kind, ` + s.dayExpr("COALESCE(m.sent_at, m.created_at)") + ` AS day,
			m.flow AS k1, m.step AS k2, e.event AS k3, '' AS k4, COUNT(*) AS n, 0 AS amount
		FROM message_events e JOIN messages m ON m.id = e.message_id WHERE m.store_hash = ? GROUP BY 1, 3, 4, 5, 6`,
		// segments entered
		`SELECT 0 AS channel_id, 'segment' AS kind, ` + s.dayExpr("entered_at") + ` AS day, segment AS k1, '' AS k2,
			'entered' AS k3, '' AS k4, COUNT(*) AS n, 0 AS amount
		FROM segment_memberships WHERE store_hash = ? GROUP BY 3, 4`,
		// segments left
		`SELECT 0 AS channel_id, 'segment' AS kind, ` + s.dayExpr("left_at") + ` AS day, segment AS k1, '' AS k2,
			'left' AS k3, '' AS k4, COUNT(*) AS n, 0 AS amount
		FROM segment_memberships WHERE store_hash = ? AND left_at IS NOT NULL GROUP BY 3, 4`,
		// customers: one row per distinct channel of each customer
		`SELECT ` + chVal + ` AS channel_id, 'customers' AS kind, ` + s.dayExpr("c.date_created") + ` AS day, '' AS k1,
			'' AS k2, '' AS k3, '' AS k4, COUNT(DISTINCT c.id) AS n, 0 AS amount
		FROM mirror_customers c, ` + chFrom + `
		WHERE c.store_hash = ? AND ` + chCond + ` AND ` + chVal + ` <> 0 GROUP BY 1, 3`,
	}
}

// customersWhole is the customers rollup of channel 0 (each customer once,
// whatever its channels).
const customersWhole = `INSERT INTO rollups (store_hash, channel_id, kind, day, k1, k2, k3, k4, n, amount)
	SELECT store_hash, 0, 'customers', %s, '', '', '', '', COUNT(*), 0
	FROM mirror_customers WHERE store_hash = ? GROUP BY store_hash, %s`

// RebuildRollups recomputes a store's rollups from the base tables (orders,
// customers, decisions, ledger, message events, segment stints), set-based,
// in one transaction: the store's rows are deleted, then each kind is
// inserted by one INSERT … SELECT. On PostgreSQL the rollups table is
// locked (EXCLUSIVE: reads go on) for the transaction, so no write counts
// twice or goes missing meanwhile.
func (s *Store) RebuildRollups(ctx context.Context, storeHash string) error {
	if storeHash == "" {
		return fmt.Errorf("store: rebuild rollups: store hash is required: %w", ErrInvalid)
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error { return s.rebuildRollups(ctx, tx, storeHash) })
	if err != nil {
		return fmt.Errorf("store: rebuild rollups of %s: %w", storeHash, err)
	}
	return nil
}

func (s *Store) rebuildRollups(ctx context.Context, tx *sqlx.Tx, storeHash string) error {
	if s.dialect == DialectPostgres {
		if _, err := tx.ExecContext(ctx, `LOCK TABLE rollups IN EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("lock rollups: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM rollups WHERE store_hash = ?`), storeHash); err != nil {
		return fmt.Errorf("delete rollups: %w", err)
	}
	for _, src := range s.rollupSources() {
		// Each source once for its channels, once more (summed) for channel 0;
		// inserted in primary key order, so a period's rows share heap pages
		// (the dashboard's range scans read few of them).
		q := `INSERT INTO rollups (store_hash, channel_id, kind, day, k1, k2, k3, k4, n, amount)
			SELECT CAST(? AS TEXT), ch, kind, day, k1, k2, k3, k4, SUM(n), SUM(amount) FROM (
				SELECT CASE WHEN x.w = 0 THEN 0 ELSE b.channel_id END AS ch, b.kind, b.day, b.k1, b.k2, b.k3, b.k4,
					b.n, b.amount
				FROM (` + src + `) b CROSS JOIN (SELECT 0 AS w UNION ALL SELECT 1 AS w) x
				WHERE (x.w = 0 AND b.kind <> 'customers') OR (x.w = 1 AND b.channel_id <> 0)) y
			GROUP BY ch, kind, day, k1, k2, k3, k4
			HAVING SUM(n) <> 0 OR SUM(amount) <> 0
			ORDER BY ch, kind, day, k1, k2, k3, k4`
		if _, err := tx.ExecContext(ctx, s.rebind(q), storeHash, storeHash); err != nil {
			return fmt.Errorf("rebuild rollups: %w", err)
		}
	}
	day := s.dayExpr("date_created")
	if _, err := tx.ExecContext(ctx, s.rebind(fmt.Sprintf(customersWhole, day, day)), storeHash); err != nil {
		return fmt.Errorf("rebuild customer rollups: %w", err)
	}
	return nil
}

// rollupStores lists the stores with any row the rollups count.
func (s *Store) rollupStores(ctx context.Context) ([]string, error) {
	var out []string
	err := sqlx.SelectContext(ctx, s.db, &out, `SELECT store_hash FROM mirror_orders
		UNION SELECT store_hash FROM mirror_customers UNION SELECT store_hash FROM decisions
		UNION SELECT store_hash FROM loyalty_ledger UNION SELECT store_hash FROM messages
		UNION SELECT store_hash FROM segment_memberships`)
	if err != nil {
		return nil, fmt.Errorf("list stores: %w", err)
	}
	return out, nil
}

// rebuildRollupsOnce rebuilds every store's rollups unless the marker says
// it was done: the history of an install that had data before migration
// 00007 (the write paths keep them from then on). The marker is set when
// every store is done; a crash before reruns it, which is harmless.
func (s *Store) rebuildRollupsOnce(ctx context.Context) error {
	_, err := s.GetSyncState(ctx, rollupsMarkerStore, rollupsMarkerResource)
	if err == nil {
		return nil
	}
	if !errors.Is(err, ErrNotFound) {
		return err
	}
	stores, err := s.rollupStores(ctx)
	if err != nil {
		return fmt.Errorf("store: rebuild rollups after migrating: %w", err)
	}
	for _, h := range stores {
		if err := s.RebuildRollups(ctx, h); err != nil {
			return err
		}
	}
	return s.PutSyncState(ctx, SyncState{StoreHash: rollupsMarkerStore, Resource: rollupsMarkerResource, Cursor: "done"})
}
