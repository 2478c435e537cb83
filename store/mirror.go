package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The store mirror: BigCommerce's customers, orders (with their lines),
// products, categories and carts as bcflow last saw them, per store. Every
// upsert takes a page (up to a few hundred rows) and writes it in one
// transaction with multi-row statements. Rows carry BigCommerce's
// date_modified: an incoming row older than the stored one is ignored (a late
// webhook or a stale page never overwrites newer data); an equal one is
// written again, which changes nothing when the data is the same. A row
// without a modification date (zero) counts as the oldest: it never
// overwrites a dated row.

// maxBatchParams bounds the bind parameters of one IN list on PostgreSQL
// (which allows 65535).
const maxBatchParams = 30000

// sqliteBatchParams bounds the parameters of one multi-row statement on
// SQLite: modernc.org/sqlite binds in time quadratic in a statement's
// parameters, and SQLite has no round trip to save, so rows go in small
// statements (measured by BenchmarkMirrorUpsertOrders).
const sqliteBatchParams = 400

// batchParams is the parameter budget of one multi-row statement.
func (s *Store) batchParams() int {
	if s.dialect == DialectSQLite {
		return sqliteBatchParams
	}
	return maxBatchParams
}

// emailKey is the shopper key of an email: trimmed and lower-cased.
func emailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// jsonText encodes v for a JSON column; nil slices and maps become [] / {}.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode json: %w", err)
	}
	return string(b), nil
}

// jsonCol scans a JSON column (TEXT or JSONB) into its target.
type jsonCol struct{ v any }

// Scan implements sql.Scanner.
func (j jsonCol) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		return nil
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("store: cannot scan %T as json", src)
	}
	if err := json.Unmarshal(b, j.v); err != nil {
		return fmt.Errorf("store: decode json column: %w", err)
	}
	return nil
}

// tableSpec is a table's columns in the order an upsert binds them, with
// their PostgreSQL types.
type tableSpec struct {
	table   string
	cols    []string
	pgTypes []string
	colList string // "a, b, c"
}

// newTableSpec parses "col type, col type, …".
func newTableSpec(table, cols string) *tableSpec {
	t := &tableSpec{table: table}
	for _, c := range strings.Split(cols, ",") {
		name, typ, _ := strings.Cut(strings.TrimSpace(c), " ")
		t.cols = append(t.cols, name)
		t.pgTypes = append(t.pgTypes, strings.TrimSpace(typ))
	}
	t.colList = strings.Join(t.cols, ", ")
	return t
}

// insertRows inserts rows (args holds len(t.cols) values per row) followed
// by tail (an ON CONFLICT clause). PostgreSQL gets one statement whatever
// the number of rows: a column array per column, unnested (a plan that
// does not grow with the rows, measured faster than a multi-row VALUES).
// SQLite gets multi-row VALUES statements within its parameter budget.
func (s *Store) insertRows(ctx context.Context, q *sqlx.Tx, t *tableSpec, args []any, tail string) error {
	if len(args) == 0 {
		return nil
	}
	ncols := len(t.cols)
	if len(args)%ncols != 0 {
		return fmt.Errorf("store: %d values for rows of %d columns", len(args), ncols)
	}
	if s.dialect == DialectPostgres {
		nrows := len(args) / ncols
		arrays := make([]any, ncols)
		params := make([]string, ncols)
		for c := range ncols {
			col := make([]any, nrows)
			for r := range nrows {
				col[r] = args[r*ncols+c]
			}
			arrays[c] = pq.GenericArray{A: col}
			params[c] = fmt.Sprintf("$%d::%s[]", c+1, t.pgTypes[c])
		}
		// WHERE true: without it ON CONFLICT could parse as a join's ON.
		_, err := q.ExecContext(ctx, `INSERT INTO `+t.table+` (`+t.colList+`) SELECT * FROM unnest(`+
			strings.Join(params, ", ")+`) WHERE true `+tail, arrays...)
		return err
	}
	per := max(1, s.batchParams()/ncols)
	var full *sql.Stmt // the statement of a full chunk, prepared once
	defer func() {
		if full != nil {
			_ = full.Close()
		}
	}()
	for start := 0; start < len(args); start += per * ncols {
		end := min(len(args), start+per*ncols)
		n := (end - start) / ncols
		if n < per {
			if _, err := q.ExecContext(ctx, t.valuesInsert(n, tail), args[start:end]...); err != nil {
				return err
			}
			continue
		}
		if full == nil {
			var err error
			if full, err = q.PrepareContext(ctx, t.valuesInsert(n, tail)); err != nil {
				return err
			}
		}
		if _, err := full.ExecContext(ctx, args[start:end]...); err != nil {
			return err
		}
	}
	return nil
}

// valuesInsert is an INSERT of n rows in a VALUES list, then tail.
func (t *tableSpec) valuesInsert(n int, tail string) string {
	tuple := "(" + inList(len(t.cols)) + ")"
	var b strings.Builder
	b.Grow(len(t.table) + len(t.colList) + len(tail) + 30 + n*(len(tuple)+1))
	b.WriteString(`INSERT INTO ` + t.table + ` (` + t.colList + `) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(tuple)
	}
	b.WriteString(tail)
	return b.String()
}

// chunks splits vals into runs of at most n (n > 0).
func chunks[T any](vals []T, n int) [][]T {
	var out [][]T
	for start := 0; start < len(vals); start += n {
		out = append(out, vals[start:min(len(vals), start+n)])
	}
	return out
}

// inList returns "?,?,…" for n values (n > 0).
func inList(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

// lockShoppers serialises, per store, the transactions that move shopper
// figures (order and customer upserts), so two of them never compute their
// deltas from the same old rows. SQLite's transactions already hold the
// database's write lock.
func (s *Store) lockShoppers(ctx context.Context, tx *sqlx.Tx, storeHash string) error {
	if s.dialect != DialectPostgres {
		return nil
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte("bcflow/shoppers/" + storeHash))
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(h.Sum64())); err != nil {
		return fmt.Errorf("lock shoppers: %w", err)
	}
	return nil
}

// MirrorCounts is the number of rows of each kind the mirror holds for a
// store.
type MirrorCounts struct {
	Customers  int64 `json:"customers"`
	Orders     int64 `json:"orders"`
	OrderLines int64 `json:"order_lines"`
	Products   int64 `json:"products"`
	Categories int64 `json:"categories"`
	Carts      int64 `json:"carts"`
	// Shoppers counts shopper_stats rows (registered customers and every
	// email that placed an order).
	Shoppers int64 `json:"shoppers"`
}

// MirrorCounts counts the store's mirrored rows (one statement).
func (s *Store) MirrorCounts(ctx context.Context, storeHash string) (MirrorCounts, error) {
	var c MirrorCounts
	err := s.rdb.QueryRowContext(ctx, s.rebind(`SELECT
		(SELECT COUNT(*) FROM mirror_customers WHERE store_hash = ?),
		(SELECT COUNT(*) FROM mirror_orders WHERE store_hash = ?),
		(SELECT COUNT(*) FROM mirror_order_lines WHERE store_hash = ?),
		(SELECT COUNT(*) FROM mirror_products WHERE store_hash = ?),
		(SELECT COUNT(*) FROM mirror_categories WHERE store_hash = ?),
		(SELECT COUNT(*) FROM mirror_carts WHERE store_hash = ?),
		(SELECT COUNT(*) FROM shopper_stats WHERE store_hash = ?)`),
		storeHash, storeHash, storeHash, storeHash, storeHash, storeHash, storeHash).
		Scan(&c.Customers, &c.Orders, &c.OrderLines, &c.Products, &c.Categories, &c.Carts, &c.Shoppers)
	if err != nil {
		return MirrorCounts{}, fmt.Errorf("store: mirror counts: %w", err)
	}
	return c, nil
}
