package store

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Segment membership. segment_memberships holds one row per stint of a
// shopper (lower-cased email) in a segment: entered_at, and left_at once the
// shopper left (NULL while current; a unique index allows one current row per
// shopper and segment). A stint's entered_at is later than every earlier
// stint's of the same shopper and segment (bumped by a microsecond when an
// evaluation time repeats), so (segment, email, entered_at) names a stint.
//
// Each row records where its crossings stand with each push target:
// BigCommerce and Brevo (pending add → added; on leaving, added → pending
// remove → removed; a row that leaves before it was ever added needs
// nothing; guests are not applicable in BigCommerce) and the segment flows
// (entry dispatched, leave dispatched).
//
// Evaluations of a store's segments are serialised (a transaction-scoped
// advisory lock on PostgreSQL; SQLite's write lock), so an evaluation never
// acts on figures older than those an earlier one acted on.

// Push states of bc_state and brevo_state.
const (
	pushNone          = 0 // nothing to do: left before it was ever added
	pushPendingAdd    = 1
	pushAdded         = 2
	pushPendingRemove = 3
	pushRemoved       = 4
	pushNotApplicable = 5 // a guest in BigCommerce, or skipped
)

// flows_state bits.
const (
	flowsEntryDone = 1
	flowsLeaveDone = 2
)

// PushTarget is where segment membership goes.
type PushTarget string

// Push targets.
const (
	// PushBigCommerce is BigCommerce's Customer Segmentation API.
	PushBigCommerce PushTarget = "bigcommerce"
	// PushBrevo is the segment's Brevo list.
	PushBrevo PushTarget = "brevo"
	// PushFlows is the segment flows: each entry and leave crossing once.
	PushFlows PushTarget = "flows"
)

// SegmentScope limits an evaluation to some shoppers: the listed emails and
// the shoppers whose date is in one of the windows. The zero value is every
// shopper of the store.
type SegmentScope struct {
	Emails  []string
	Windows []SegmentWindow
}

func (sc SegmentScope) all() bool { return len(sc.Emails) == 0 && len(sc.Windows) == 0 }

// SegmentChange is a shopper entering or leaving a segment.
type SegmentChange struct {
	Segment    string
	Email      string
	CustomerID int64
	Entered    bool
	// At is the stint's entered_at (Entered) or left_at.
	At time.Time
}

// SegmentMember is one stint of a shopper in a segment (LeftAt zero while
// current).
type SegmentMember struct {
	Segment    string
	Email      string
	CustomerID int64
	EnteredAt  time.Time
	LeftAt     time.Time
}

// PendingPush is a crossing not yet pushed to a target: Add for an entry (add
// to the target), else a leave (remove). The stint is named by Segment, Email
// and EnteredAt; give it back as read to MarkSegmentPushes or
// SkipSegmentPushes.
type PendingPush struct {
	Segment    string
	Email      string
	CustomerID int64
	EnteredAt  time.Time
	LeftAt     time.Time
	Add        bool
}

// SegmentTarget is where a segment is pushed: its BigCommerce customer
// segment id and its Brevo list id.
type SegmentTarget struct {
	Segment       string
	BigCommerceID string
	BrevoListID   int64
	UpdatedAt     time.Time
}

// lockSegments serialises the store's segment evaluations on PostgreSQL.
func (s *Store) lockSegments(ctx context.Context, tx *sqlx.Tx, storeHash string) error {
	if s.dialect != DialectPostgres {
		return nil
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte("bcflow/segments/" + storeHash))
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(h.Sum64())); err != nil {
		return fmt.Errorf("lock segments: %w", err)
	}
	return nil
}

func (s *Store) checkQuery(q *SegmentQuery) error {
	if q == nil {
		return fmt.Errorf("nil segment query: %w", ErrInvalid)
	}
	if q.dialect != s.dialect {
		return fmt.Errorf("segment query compiled for %s, store is %s: %w", q.dialect, s.dialect, ErrInvalid)
	}
	return nil
}

// greatest is the larger of two time expressions of the dialect (a NULL
// second one counts as the earliest time).
func (s *Store) greatest(a, b string) string {
	if s.dialect == DialectPostgres {
		return "GREATEST(" + a + ", " + b + ")"
	}
	return "MAX(" + a + ", COALESCE(" + b + ", -9223372036854775807))"
}

// tsParam is a bound time parameter in an expression (typed on PostgreSQL).
func (s *Store) tsParam() string {
	if s.dialect == DialectPostgres {
		return "?::timestamptz"
	}
	return "?"
}

// nextMicro is expr + one microsecond.
func (s *Store) nextMicro(expr string) string {
	if s.dialect == DialectPostgres {
		return expr + " + interval '1 microsecond'"
	}
	return expr + " + 1"
}

// windowSQL is the condition that alias's date is in one of the windows.
func (s *Store) windowSQL(alias string, ws []SegmentWindow) (string, []any, error) {
	var ors []string
	var args []any
	for _, w := range ws {
		var col string
		switch w.Field {
		case SegmentFirstOrder:
			col = alias + ".first_order_at"
		case SegmentLastOrder:
			col = alias + ".last_order_at"
		default:
			return "", nil, fmt.Errorf("unknown window field %q: %w", w.Field, ErrInvalid)
		}
		if w.From.IsZero() {
			ors = append(ors, "("+col+" IS NOT NULL AND "+col+" <= ?)")
			args = append(args, s.tv(w.To))
		} else {
			ors = append(ors, "("+col+" > ? AND "+col+" <= ?)")
			args = append(args, s.tv(w.From), s.tv(w.To))
		}
	}
	return "(" + strings.Join(ors, " OR ") + ")", args, nil
}

// scopeParts splits a scope into passes of at most a batch of emails each
// (windows in their own pass); every pass is a scope with emails or windows.
func (s *Store) scopeParts(sc SegmentScope) []SegmentScope {
	var out []SegmentScope
	for _, chunk := range chunks(normEmails(sc.Emails), max(1, s.batchParams()/4)) {
		out = append(out, SegmentScope{Emails: chunk})
	}
	if len(sc.Windows) > 0 {
		out = append(out, SegmentScope{Windows: sc.Windows})
	}
	return out
}

// normEmails returns the shopper keys of emails, deduplicated, without
// empty ones.
func normEmails(emails []string) []string {
	out := make([]string, 0, len(emails))
	for _, e := range emails {
		if k := emailKey(e); k != "" {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func anys[T any](vals []T) []any {
	out := make([]any, len(vals))
	for i, v := range vals {
		out[i] = v
	}
	return out
}

// EvaluateSegment evaluates one segment for the shoppers of scope (the zero
// scope: every shopper of the store, in one set-based statement for the
// entries and one for the leaves) at time at, and records the crossings: a
// shopper matching without a current stint enters, a current member in scope
// not matching (or no longer a shopper) leaves. It returns the changes.
func (s *Store) EvaluateSegment(ctx context.Context, storeHash, segment string, q *SegmentQuery, scope SegmentScope,
	at time.Time) ([]SegmentChange, error) {
	if storeHash == "" || segment == "" {
		return nil, fmt.Errorf("store: evaluate segment: store hash and segment are required: %w", ErrInvalid)
	}
	if err := s.checkQuery(q); err != nil {
		return nil, fmt.Errorf("store: evaluate segment %s: %w", segment, err)
	}
	at = orNow(at)
	passes := []SegmentScope{{}}
	if !scope.all() {
		passes = s.scopeParts(scope)
		if len(passes) == 0 {
			return nil, nil
		}
	}
	var changes []SegmentChange
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.lockSegments(ctx, tx, storeHash); err != nil {
			return err
		}
		for _, sc := range passes {
			if len(sc.Emails) == 0 && s.dialect == DialectPostgres {
				// Set-based from here on (the email passes come first): hash
				// joins whatever the statistics say. Planned on the
				// statistics of a table still empty, the anti-join against
				// the current stints became a nested loop probing an index
				// that grows with the very insert, quadratic in the members.
				if _, err := tx.ExecContext(ctx, `SET LOCAL enable_nestloop = off`); err != nil {
					return fmt.Errorf("plan settings: %w", err)
				}
			}
			left, err := s.leaveSegment(ctx, tx, storeHash, segment, q, sc, at)
			if err != nil {
				return err
			}
			entered, err := s.enterSegment(ctx, tx, storeHash, segment, q, sc, at)
			if err != nil {
				return err
			}
			if len(sc.Emails) > 0 {
				// Set-based passes leave it to the shoppers' own events: it
				// cost a full pass as much as the rest of an unchanged run.
				if err := s.attachStintCustomers(ctx, tx, storeHash, segment, sc); err != nil {
					return err
				}
			}
			changes = append(changes, left...)
			changes = append(changes, entered...)
		}
		return s.bumpSegmentChanges(ctx, tx, storeHash, changes)
	})
	if err != nil {
		return nil, fmt.Errorf("store: evaluate segment %s: %w", segment, err)
	}
	if len(changes) >= analyzeAfterChanges && s.dialect == DialectPostgres {
		// Fresh statistics right away (autovacuum would take its time): the
		// plans of the next evaluations (hash anti-joins, primary-key probes)
		// depend on them. Only an optimisation, so its failure is not the
		// evaluation's.
		_, _ = s.db.ExecContext(ctx, `ANALYZE segment_memberships`)
	}
	sortChanges(changes)
	return changes, nil
}

// analyzeAfterChanges is the number of crossings of one full evaluation
// after which PostgreSQL's statistics of segment_memberships are refreshed.
const analyzeAfterChanges = 5000

func sortChanges(cs []SegmentChange) {
	slices.SortFunc(cs, func(a, b SegmentChange) int {
		if c := strings.Compare(a.Segment, b.Segment); c != 0 {
			return c
		}
		if c := strings.Compare(a.Email, b.Email); c != 0 {
			return c
		}
		return a.At.Compare(b.At)
	})
}

// leaveSet is the SET list that ends a stint at the time parameter (never
// before it began): an entry not yet pushed needs no push any more
// (pushPendingAdd -> pushNone), one pushed needs its removal (pushAdded ->
// pushPendingRemove).
func (s *Store) leaveSet() string {
	return `left_at = ` + s.greatest(s.tsParam(), "entered_at") + `,
		bc_state = CASE bc_state WHEN 1 THEN 0 WHEN 2 THEN 3 ELSE bc_state END,
		brevo_state = CASE brevo_state WHEN 1 THEN 0 WHEN 2 THEN 3 ELSE brevo_state END`
}

// enterSegment inserts a stint for every shopper of scope matching q without
// a current one.
func (s *Store) enterSegment(ctx context.Context, tx *sqlx.Tx, storeHash, segment string, q *SegmentQuery,
	sc SegmentScope, at time.Time) ([]SegmentChange, error) {
	scopeSQL := ""
	var scopeArgs []any
	if len(sc.Emails) > 0 {
		scopeSQL = " AND s.email_lc IN (" + inList(len(sc.Emails)) + ")"
		scopeArgs = anys(sc.Emails)
	} else if len(sc.Windows) > 0 {
		w, args, err := s.windowSQL("s", sc.Windows)
		if err != nil {
			return nil, err
		}
		scopeSQL, scopeArgs = " AND "+w, args
	}
	// The latest earlier stint of each shopper (one aggregate, joined: a
	// stint starts after it).
	prevScope := ""
	var prevArgs []any
	if len(sc.Emails) > 0 {
		prevScope = " AND p.email_lc IN (" + inList(len(sc.Emails)) + ")"
		prevArgs = anys(sc.Emails)
	}
	entered := s.greatest(s.tsParam(), s.nextMicro("prev.last"))
	query := `INSERT INTO segment_memberships (store_hash, segment, email_lc, entered_at, customer_id, left_at, bc_state,
		brevo_state, flows_state)
		SELECT s.store_hash, ?, s.email_lc, ` + entered + `, s.customer_id, NULL,
			CASE WHEN s.customer_id > 0 THEN 1 ELSE 5 END, 1, 0
		FROM ` + segmentUniverse + `
		LEFT JOIN (SELECT p.email_lc, MAX(p.entered_at) AS last FROM segment_memberships p
			WHERE p.store_hash = ? AND p.segment = ?` + prevScope + ` GROUP BY p.email_lc) prev ON prev.email_lc = s.email_lc
		WHERE s.store_hash = ? AND s.email_lc <> ''` + scopeSQL + ` AND ` + q.pred + `
		AND NOT EXISTS (SELECT 1 FROM segment_memberships cur WHERE cur.store_hash = s.store_hash AND cur.segment = ?
			AND cur.email_lc = s.email_lc AND cur.left_at IS NULL)
		ON CONFLICT DO NOTHING
		RETURNING email_lc, customer_id, entered_at`
	args := make([]any, 0, 6+len(prevArgs)+len(scopeArgs)+len(q.args))
	args = append(args, segment, s.tv(at), storeHash, segment)
	args = append(args, prevArgs...)
	args = append(args, storeHash)
	args = append(args, scopeArgs...)
	args = append(args, q.args...)
	args = append(args, segment)
	return s.scanChanges(ctx, tx, segment, true, s.rebind(query), args)
}

// leaveSegment ends the current stints of scope's shoppers that no longer
// match q.
func (s *Store) leaveSegment(ctx context.Context, tx *sqlx.Tx, storeHash, segment string, q *SegmentQuery,
	sc SegmentScope, at time.Time) ([]SegmentChange, error) {
	scopeSQL := ""
	var scopeArgs []any
	if len(sc.Emails) > 0 {
		scopeSQL = " AND email_lc IN (" + inList(len(sc.Emails)) + ")"
		scopeArgs = anys(sc.Emails)
	} else if len(sc.Windows) > 0 {
		w, args, err := s.windowSQL("w", sc.Windows)
		if err != nil {
			return nil, err
		}
		scopeSQL = " AND email_lc IN (SELECT w.email_lc FROM shopper_stats w WHERE w.store_hash = ? AND " + w + ")"
		scopeArgs = append([]any{storeHash}, args...)
	}
	query := `UPDATE segment_memberships SET ` + s.leaveSet() + `
		WHERE store_hash = ? AND segment = ? AND left_at IS NULL` + scopeSQL + `
		AND NOT EXISTS (SELECT 1 FROM ` + segmentUniverse + ` WHERE s.store_hash = segment_memberships.store_hash
			AND s.email_lc = segment_memberships.email_lc AND ` + q.pred + `)
		RETURNING email_lc, customer_id, left_at`
	args := make([]any, 0, 3+len(scopeArgs)+len(q.args))
	args = append(args, s.tv(at), storeHash, segment)
	args = append(args, scopeArgs...)
	args = append(args, q.args...)
	return s.scanChanges(ctx, tx, segment, false, s.rebind(query), args)
}

// attachStintCustomers gives the current guest stints of the scope's
// shoppers who have registered since their customer id (BigCommerce now
// applies), as EvaluateSegments does.
func (s *Store) attachStintCustomers(ctx context.Context, tx *sqlx.Tx, storeHash, segment string, sc SegmentScope) error {
	scopeSQL := ""
	var scopeArgs []any
	if len(sc.Emails) > 0 {
		scopeSQL = " AND email_lc IN (" + inList(len(sc.Emails)) + ")"
		scopeArgs = anys(sc.Emails)
	}
	const stats = `shopper_stats st WHERE st.store_hash = segment_memberships.store_hash
		AND st.email_lc = segment_memberships.email_lc`
	_, err := tx.ExecContext(ctx, s.rebind(`UPDATE segment_memberships SET
		customer_id = COALESCE((SELECT st.customer_id FROM `+stats+`), 0),
		bc_state = CASE WHEN bc_state = 5 THEN 1 ELSE bc_state END
		WHERE store_hash = ? AND segment = ? AND left_at IS NULL AND customer_id <= 0`+scopeSQL+`
		AND EXISTS (SELECT 1 FROM `+stats+` AND st.customer_id > 0)`), append([]any{storeHash, segment}, scopeArgs...)...)
	if err != nil {
		return fmt.Errorf("attach customers to stints: %w", err)
	}
	return nil
}

// scanChanges runs a statement returning (email_lc, customer_id, time).
func (s *Store) scanChanges(ctx context.Context, q queryer, segment string, entered bool, query string,
	args []any) ([]SegmentChange, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SegmentChange
	for rows.Next() {
		c := SegmentChange{Segment: segment, Entered: entered}
		if err := rows.Scan(&c.Email, &c.CustomerID, (*dbTime)(&c.At)); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// EvaluateSegments evaluates every segment of qs for a few shoppers at time
// at, in one transaction of a few statements: one reading whether each
// shopper matches each segment, one reading their stints, one inserting the
// entries and one ending the leaves. Segments not in qs are left alone. It
// runs on every event that touches a shopper.
func (s *Store) EvaluateSegments(ctx context.Context, storeHash string, qs map[string]*SegmentQuery, emails []string,
	at time.Time) ([]SegmentChange, error) {
	if storeHash == "" {
		return nil, fmt.Errorf("store: evaluate segments: store hash is required: %w", ErrInvalid)
	}
	names := make([]string, 0, len(qs))
	for name, q := range qs {
		if err := s.checkQuery(q); err != nil {
			return nil, fmt.Errorf("store: evaluate segments: %s: %w", name, err)
		}
		names = append(names, name)
	}
	slices.Sort(names)
	keys := normEmails(emails)
	if len(names) == 0 || len(keys) == 0 {
		return nil, nil
	}
	at = normTime(orNow(at))
	var changes []SegmentChange
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.lockSegments(ctx, tx, storeHash); err != nil {
			return err
		}
		for _, chunk := range chunks(keys, max(1, s.batchParams()/4)) {
			cs, err := s.evaluateShoppers(ctx, tx, storeHash, names, qs, chunk, at)
			if err != nil {
				return err
			}
			changes = append(changes, cs...)
		}
		return s.bumpSegmentChanges(ctx, tx, storeHash, changes)
	})
	if err != nil {
		return nil, fmt.Errorf("store: evaluate segments for %d shoppers: %w", len(keys), err)
	}
	sortChanges(changes)
	return changes, nil
}

type stintKey struct{ segment, email string }

type stint struct {
	entered    time.Time
	customerID int64
	current    bool
}

func (s *Store) evaluateShoppers(ctx context.Context, tx *sqlx.Tx, storeHash string, names []string,
	qs map[string]*SegmentQuery, emails []string, at time.Time) ([]SegmentChange, error) {
	// Which shopper matches which segment.
	cols := make([]string, len(names))
	var args []any
	for i, name := range names {
		q := qs[name]
		cols[i] = "CASE WHEN " + q.pred + " THEN 1 ELSE 0 END"
		args = append(args, q.args...)
	}
	args = append(args, storeHash)
	args = append(args, anys(emails)...)
	rows, err := tx.QueryContext(ctx, s.rebind(`SELECT s.email_lc, s.customer_id, `+strings.Join(cols, ", ")+`
		FROM `+segmentUniverse+` WHERE s.store_hash = ? AND s.email_lc IN (`+inList(len(emails))+`)`), args...)
	if err != nil {
		return nil, fmt.Errorf("match shoppers: %w", err)
	}
	matches := map[stintKey]bool{}
	customer := map[string]int64{}
	for rows.Next() {
		var email string
		var cust int64
		flags := make([]int, len(names))
		dest := []any{&email, &cust}
		for i := range flags {
			dest = append(dest, &flags[i])
		}
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return nil, fmt.Errorf("match shoppers: %w", err)
		}
		customer[email] = cust
		for i, f := range flags {
			if f != 0 {
				matches[stintKey{names[i], email}] = true
			}
		}
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("match shoppers: %w", err)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("match shoppers: %w", err)
	}

	// Their latest stints.
	// By email only: the primary key's prefix, whatever the statistics say.
	rows, err = tx.QueryContext(ctx, s.rebind(`SELECT segment, email_lc, entered_at, customer_id, left_at IS NULL
		FROM segment_memberships WHERE store_hash = ? AND email_lc IN (`+inList(len(emails))+`)`+s.forUpdate()),
		append([]any{storeHash}, anys(emails)...)...)
	if err != nil {
		return nil, fmt.Errorf("read stints: %w", err)
	}
	latest := map[stintKey]stint{}
	for rows.Next() {
		var k stintKey
		var st stint
		if err := rows.Scan(&k.segment, &k.email, (*dbTime)(&st.entered), &st.customerID, &st.current); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read stints: %w", err)
		}
		if _, ok := qs[k.segment]; !ok {
			continue
		}
		if old, ok := latest[k]; !ok || st.current || (!old.current && st.entered.After(old.entered)) {
			latest[k] = st
		}
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("read stints: %w", err)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read stints: %w", err)
	}

	var enterArgs, leaveArgs, upgradeArgs []any
	for _, name := range names {
		for _, email := range emails {
			k := stintKey{name, email}
			st, has := latest[k]
			switch m := matches[k]; {
			case m && (!has || !st.current):
				entered := at
				if has && !st.entered.Before(at) {
					entered = st.entered.Add(time.Microsecond)
				}
				cust := customer[email]
				bc := pushPendingAdd
				if cust <= 0 {
					bc = pushNotApplicable
				}
				enterArgs = append(enterArgs, storeHash, name, email, s.tv(entered), cust, nil, bc, pushPendingAdd, 0)
			case !m && has && st.current:
				leaveArgs = append(leaveArgs, name, email, s.tv(st.entered))
			case m && has && st.current && st.customerID <= 0 && customer[email] > 0:
				// A guest member registered: BigCommerce now applies.
				upgradeArgs = append(upgradeArgs, name, email, s.tv(st.entered))
			}
		}
	}
	var out []SegmentChange
	if len(leaveArgs) > 0 {
		cs, err := s.updateStints(ctx, tx, storeHash, s.leaveSet(), []any{s.tv(at)},
			`left_at IS NULL`, leaveArgs, `segment, email_lc, customer_id, left_at`)
		if err != nil {
			return nil, fmt.Errorf("end stints: %w", err)
		}
		out = append(out, cs...)
	}
	if len(enterArgs) > 0 {
		cs, err := s.insertStints(ctx, tx, enterArgs)
		if err != nil {
			return nil, fmt.Errorf("start stints: %w", err)
		}
		out = append(out, cs...)
	}
	if len(upgradeArgs) > 0 {
		if _, err := s.updateStints(ctx, tx, storeHash, `customer_id = COALESCE((SELECT st.customer_id FROM shopper_stats st
			WHERE st.store_hash = segment_memberships.store_hash AND st.email_lc = segment_memberships.email_lc), 0),
			bc_state = CASE WHEN bc_state = 5 THEN 1 ELSE bc_state END`, nil, `left_at IS NULL AND customer_id <= 0`,
			upgradeArgs, ""); err != nil {
			return nil, fmt.Errorf("attach customers to stints: %w", err)
		}
	}
	return out, nil
}

var stintColumns = `store_hash, segment, email_lc, entered_at, customer_id, left_at, bc_state, brevo_state, flows_state`

// insertStints inserts rows of stintColumns (9 values each), skipping any
// that would make a second current stint, and returns the entries.
func (s *Store) insertStints(ctx context.Context, tx *sqlx.Tx, args []any) ([]SegmentChange, error) {
	const ncols = 9
	var out []SegmentChange
	per := max(1, s.batchParams()/ncols)
	for start := 0; start < len(args); start += per * ncols {
		end := min(len(args), start+per*ncols)
		n := (end - start) / ncols
		tuple := "(" + inList(ncols) + ")"
		vals := strings.TrimSuffix(strings.Repeat(tuple+",", n), ",")
		rows, err := tx.QueryContext(ctx, s.rebind(`INSERT INTO segment_memberships (`+stintColumns+`) VALUES `+vals+`
			ON CONFLICT DO NOTHING RETURNING segment, email_lc, customer_id, entered_at`), args[start:end]...)
		if err != nil {
			return nil, err
		}
		cs, err := readStintChanges(rows, true)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

// readStintChanges reads rows of (segment, email_lc, customer_id, time) as
// changes (entries when entered, leaves otherwise) and closes rows.
func readStintChanges(rows *sql.Rows, entered bool) ([]SegmentChange, error) {
	defer rows.Close()
	var out []SegmentChange
	for rows.Next() {
		c := SegmentChange{Entered: entered}
		if err := rows.Scan(&c.Segment, &c.Email, &c.CustomerID, (*dbTime)(&c.At)); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// stintTuple is the (segment, email_lc, entered_at) value tuple of a stint.
func (s *Store) stintTuple() string {
	if s.dialect == DialectPostgres {
		return "(?::text, ?::text, ?::timestamptz)"
	}
	return "(?, ?, ?)"
}

// updateStints runs `UPDATE segment_memberships SET set WHERE store_hash = ?
// AND cond` on the stints named by keys (segment, email_lc, entered_at
// triples), in batches; with returning (segment, email_lc, customer_id and a
// time), it returns the rows as leave changes.
func (s *Store) updateStints(ctx context.Context, tx queryer, storeHash, set string, setArgs []any, cond string,
	keys []any, returning string) ([]SegmentChange, error) {
	var out []SegmentChange
	per := max(1, (s.batchParams()-len(setArgs)-1)/3)
	for start := 0; start < len(keys); start += per * 3 {
		end := min(len(keys), start+per*3)
		n := (end - start) / 3
		vals := strings.TrimSuffix(strings.Repeat(s.stintTuple()+",", n), ",")
		query := `UPDATE segment_memberships SET ` + set + ` WHERE store_hash = ? AND ` + cond +
			` AND (segment, email_lc, entered_at) IN (VALUES ` + vals + `)`
		args := append(append(append([]any{}, setArgs...), storeHash), keys[start:end]...)
		if returning == "" {
			if _, err := tx.ExecContext(ctx, s.rebind(query), args...); err != nil {
				return nil, err
			}
			continue
		}
		rows, err := tx.QueryContext(ctx, s.rebind(query+` RETURNING `+returning), args...)
		if err != nil {
			return nil, err
		}
		cs, err := readStintChanges(rows, false)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

// DropSegment ends every current stint of the segment at time at (a
// definition removed from the flows file) and returns the leaves.
func (s *Store) DropSegment(ctx context.Context, storeHash, segment string, at time.Time) ([]SegmentChange, error) {
	at = orNow(at)
	var changes []SegmentChange
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.lockSegments(ctx, tx, storeHash); err != nil {
			return err
		}
		var err error
		changes, err = s.scanChanges(ctx, tx, segment, false, s.rebind(`UPDATE segment_memberships
			SET `+s.leaveSet()+`
			WHERE store_hash = ? AND segment = ? AND left_at IS NULL
			RETURNING email_lc, customer_id, left_at`), []any{s.tv(at), storeHash, segment})
		if err != nil {
			return err
		}
		return s.bumpSegmentChanges(ctx, tx, storeHash, changes)
	})
	if err != nil {
		return nil, fmt.Errorf("store: drop segment %s: %w", segment, err)
	}
	sortChanges(changes)
	return changes, nil
}

// SegmentNames returns the segments that have current members or a target,
// sorted.
func (s *Store) SegmentNames(ctx context.Context, storeHash string) ([]string, error) {
	rows, err := s.rdb.QueryContext(ctx, s.rebind(`SELECT segment FROM segment_memberships
		WHERE store_hash = ? AND left_at IS NULL GROUP BY segment
		UNION SELECT segment FROM segment_targets WHERE store_hash = ? ORDER BY 1`), storeHash, storeHash)
	if err != nil {
		return nil, fmt.Errorf("store: segment names: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("store: segment names: %w", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: segment names: %w", err)
	}
	return out, nil
}

// SegmentSizes returns the number of current members of each segment that
// has any.
func (s *Store) SegmentSizes(ctx context.Context, storeHash string) (map[string]int, error) {
	rows, err := s.rdb.QueryContext(ctx, s.rebind(`SELECT segment, COUNT(*) FROM segment_memberships
		WHERE store_hash = ? AND left_at IS NULL GROUP BY segment`), storeHash)
	if err != nil {
		return nil, fmt.Errorf("store: segment sizes: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var n string
		var c int
		if err := rows.Scan(&n, &c); err != nil {
			return nil, fmt.Errorf("store: segment sizes: %w", err)
		}
		out[n] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: segment sizes: %w", err)
	}
	return out, nil
}

const memberCols = `segment, email_lc, customer_id, entered_at, left_at`

func scanMembers(rows *sql.Rows, err error) ([]SegmentMember, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SegmentMember
	for rows.Next() {
		var m SegmentMember
		if err := rows.Scan(&m.Segment, &m.Email, &m.CustomerID, (*dbTime)(&m.EnteredAt), (*dbTime)(&m.LeftAt)); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// SegmentMembers returns a page of a segment's current members by email,
// those after afterEmail ("" from the start), at most limit (default 100).
func (s *Store) SegmentMembers(ctx context.Context, storeHash, segment, afterEmail string, limit int) ([]SegmentMember, error) {
	if limit <= 0 {
		limit = 100
	}
	out, err := scanMembers(s.rdb.QueryContext(ctx, s.rebind(`SELECT `+memberCols+` FROM segment_memberships
		WHERE store_hash = ? AND segment = ? AND left_at IS NULL AND email_lc > ? ORDER BY email_lc LIMIT ?`),
		storeHash, segment, emailKey(afterEmail), limit))
	if err != nil {
		return nil, fmt.Errorf("store: segment %s members: %w", segment, err)
	}
	return out, nil
}

// ShopperSegments returns every stint of the shopper in any segment, newest
// first.
func (s *Store) ShopperSegments(ctx context.Context, storeHash, email string) ([]SegmentMember, error) {
	out, err := scanMembers(s.rdb.QueryContext(ctx, s.rebind(`SELECT `+memberCols+` FROM segment_memberships
		WHERE store_hash = ? AND email_lc = ? ORDER BY entered_at DESC, segment`), storeHash, emailKey(email)))
	if err != nil {
		return nil, fmt.Errorf("store: shopper segments: %w", err)
	}
	return out, nil
}

// SegmentEntries returns the stints of a segment entered in [from, to) (a
// zero to: no upper bound), oldest first.
func (s *Store) SegmentEntries(ctx context.Context, storeHash, segment string, from, to time.Time) ([]SegmentMember, error) {
	query := `SELECT ` + memberCols + ` FROM segment_memberships WHERE store_hash = ? AND segment = ? AND entered_at >= ?`
	args := []any{storeHash, segment, s.tv(from)}
	if !to.IsZero() {
		query += ` AND entered_at < ?`
		args = append(args, s.tv(to))
	}
	out, err := scanMembers(s.rdb.QueryContext(ctx, s.rebind(query+` ORDER BY entered_at, email_lc`), args...))
	if err != nil {
		return nil, fmt.Errorf("store: segment %s entries: %w", segment, err)
	}
	return out, nil
}

// CurrentSegmentMember returns the shopper's current stint in the segment,
// if any.
func (s *Store) CurrentSegmentMember(ctx context.Context, storeHash, segment, email string) (SegmentMember, bool, error) {
	out, err := scanMembers(s.rdb.QueryContext(ctx, s.rebind(`SELECT `+memberCols+` FROM segment_memberships
		WHERE store_hash = ? AND segment = ? AND email_lc = ? AND left_at IS NULL`), storeHash, segment, emailKey(email)))
	if err != nil {
		return SegmentMember{}, false, fmt.Errorf("store: current segment member: %w", err)
	}
	if len(out) == 0 {
		return SegmentMember{}, false, nil
	}
	return out[0], true, nil
}

// pushConds returns, for a target, the conditions of pending adds and
// removes (each matching a partial index) and the time column each is
// ordered by.
func pushConds(target PushTarget) (add, remove string, err error) {
	switch target {
	case PushBigCommerce:
		return "bc_state = 1", "bc_state = 3", nil
	case PushBrevo:
		return "brevo_state = 1", "brevo_state = 3", nil
	case PushFlows:
		return "flows_state IN (0, 2)", "left_at IS NOT NULL AND flows_state IN (0, 1)", nil
	}
	return "", "", fmt.Errorf("unknown push target %q: %w", target, ErrInvalid)
}

// PendingSegmentPushes returns up to limit crossings not yet pushed to
// target, oldest crossing first (entries by entered_at, leaves by left_at),
// of one segment or ("") all.
func (s *Store) PendingSegmentPushes(ctx context.Context, storeHash string, target PushTarget, segment string,
	limit int) ([]PendingPush, error) {
	add, remove, err := pushConds(target)
	if err != nil {
		return nil, fmt.Errorf("store: pending segment pushes: %w", err)
	}
	if limit <= 0 {
		limit = 100
	}
	segCond := ""
	var segArgs []any
	if segment != "" {
		segCond = " AND segment = ?"
		segArgs = []any{segment}
	}
	// Each side in its partial index's order, no sort: ties at a page's end
	// come on the next page once this one is marked.
	read := func(cond, order string, isAdd bool) ([]PendingPush, error) {
		rows, err := s.rdb.QueryContext(ctx, s.rebind(`SELECT segment, email_lc, customer_id, entered_at, left_at
			FROM segment_memberships WHERE store_hash = ? AND `+cond+segCond+` ORDER BY `+order+` LIMIT ?`),
			append(append([]any{storeHash}, segArgs...), limit)...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []PendingPush
		for rows.Next() {
			p := PendingPush{Add: isAdd}
			if err := rows.Scan(&p.Segment, &p.Email, &p.CustomerID, (*dbTime)(&p.EnteredAt), (*dbTime)(&p.LeftAt)); err != nil {
				return nil, err
			}
			out = append(out, p)
		}
		return out, rows.Err()
	}
	adds, err := read(add, "entered_at", true)
	if err != nil {
		return nil, fmt.Errorf("store: pending segment pushes: %w", err)
	}
	removes, err := read(remove, "left_at", false)
	if err != nil {
		return nil, fmt.Errorf("store: pending segment pushes: %w", err)
	}
	out := append(adds, removes...)
	at := func(p PendingPush) time.Time {
		if p.Add {
			return p.EnteredAt
		}
		return p.LeftAt
	}
	slices.SortStableFunc(out, func(a, b PendingPush) int {
		if c := at(a).Compare(at(b)); c != 0 {
			return c
		}
		if a.Add != b.Add {
			if a.Add {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a.Segment, b.Segment); c != 0 {
			return c
		}
		return strings.Compare(a.Email, b.Email)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// pushKeys splits items into the stint keys of adds and of removes.
func (s *Store) pushKeys(items []PendingPush) (adds, removes []any) {
	for _, p := range items {
		k := []any{p.Segment, emailKey(p.Email), s.tv(p.EnteredAt)}
		if p.Add {
			adds = append(adds, k...)
		} else {
			removes = append(removes, k...)
		}
	}
	return adds, removes
}

// MarkSegmentPushes records that the crossings were pushed to target. An add
// marked on a stint that has left meanwhile (its add was in flight) becomes
// a pending remove; marks of crossings already recorded change nothing.
func (s *Store) MarkSegmentPushes(ctx context.Context, storeHash string, target PushTarget, done []PendingPush) error {
	return s.settlePushes(ctx, storeHash, target, done, false)
}

// SkipSegmentPushes records that the crossings will not be pushed to target
// (not applicable: a guest, the API unavailable): they stop being pending.
func (s *Store) SkipSegmentPushes(ctx context.Context, storeHash string, target PushTarget, items []PendingPush) error {
	return s.settlePushes(ctx, storeHash, target, items, true)
}

func (s *Store) settlePushes(ctx context.Context, storeHash string, target PushTarget, items []PendingPush, skip bool) error {
	if len(items) == 0 {
		return nil
	}
	var col string
	switch target {
	case PushBigCommerce:
		col = "bc_state"
	case PushBrevo:
		col = "brevo_state"
	case PushFlows:
		col = "flows_state"
	default:
		return fmt.Errorf("store: settle segment pushes: unknown push target %q: %w", target, ErrInvalid)
	}
	adds, removes := s.pushKeys(items)
	type step struct {
		set, cond string
		keys      []any
	}
	var steps []step
	switch {
	case target == PushFlows:
		steps = []step{
			{"flows_state = flows_state | 1", "(flows_state & 1) = 0", adds},
			{"flows_state = flows_state | 2", "left_at IS NOT NULL AND (flows_state & 2) = 0", removes},
		}
	case skip:
		steps = []step{
			{col + " = 5", col + " = 1", adds},
			{col + " = 5", col + " = 3", removes},
		}
	default:
		steps = []step{
			{col + " = CASE " + col + " WHEN 1 THEN 2 ELSE 3 END", col + " IN (0, 1)", adds},
			{col + " = 4", col + " = 3", removes},
		}
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		// Serialised with the evaluations, whose multi-row updates of the
		// same stints could otherwise deadlock with this one.
		if err := s.lockSegments(ctx, tx, storeHash); err != nil {
			return err
		}
		for _, st := range steps {
			if len(st.keys) == 0 {
				continue
			}
			if _, err := s.updateStints(ctx, tx, storeHash, st.set, nil, st.cond, st.keys, ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: settle %d segment pushes to %s: %w", len(items), target, err)
	}
	return nil
}

// PendingSegmentPushCounts returns, per segment, the number of crossings
// pending for each target (segments and targets without any are absent).
func (s *Store) PendingSegmentPushCounts(ctx context.Context, storeHash string) (map[string]map[PushTarget]int, error) {
	var parts []string
	var args []any
	for _, t := range []PushTarget{PushBigCommerce, PushBrevo, PushFlows} {
		add, remove, _ := pushConds(t)
		for _, cond := range []string{add, remove} {
			parts = append(parts, `SELECT segment, '`+string(t)+`' AS target, COUNT(*) AS n FROM segment_memberships
				WHERE store_hash = ? AND `+cond+` GROUP BY segment`)
			args = append(args, storeHash)
		}
	}
	rows, err := s.rdb.QueryContext(ctx, s.rebind(strings.Join(parts, " UNION ALL ")), args...)
	if err != nil {
		return nil, fmt.Errorf("store: pending segment push counts: %w", err)
	}
	defer rows.Close()
	out := map[string]map[PushTarget]int{}
	for rows.Next() {
		var seg, t string
		var n int
		if err := rows.Scan(&seg, &t, &n); err != nil {
			return nil, fmt.Errorf("store: pending segment push counts: %w", err)
		}
		if out[seg] == nil {
			out[seg] = map[PushTarget]int{}
		}
		out[seg][PushTarget(t)] += n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: pending segment push counts: %w", err)
	}
	return out, nil
}

// ShopperProfileIDs returns the BigCommerce shopper profile ids kept for
// the customers that have one.
func (s *Store) ShopperProfileIDs(ctx context.Context, storeHash string, customerIDs []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(customerIDs))
	for _, chunk := range chunks(anys(customerIDs), s.batchParams()) {
		rows, err := s.rdb.QueryContext(ctx, s.rebind(`SELECT customer_id, profile_id FROM bc_shopper_profiles
			WHERE store_hash = ? AND customer_id IN (`+inList(len(chunk))+`)`), append([]any{storeHash}, chunk...)...)
		if err != nil {
			return nil, fmt.Errorf("store: shopper profile ids: %w", err)
		}
		for rows.Next() {
			var id int64
			var p string
			if err := rows.Scan(&id, &p); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: shopper profile ids: %w", err)
			}
			out[id] = p
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("store: shopper profile ids: %w", err)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: shopper profile ids: %w", err)
		}
	}
	return out, nil
}

var shopperProfilesTable = newTableSpec("bc_shopper_profiles", `store_hash text, customer_id bigint, profile_id text,
	updated_at timestamptz`)

// SaveShopperProfileIDs keeps the BigCommerce shopper profile ids of
// customers (replacing earlier ones).
func (s *Store) SaveShopperProfileIDs(ctx context.Context, storeHash string, ids map[int64]string) error {
	if len(ids) == 0 {
		return nil
	}
	keys := slices.Sorted(maps.Keys(ids))
	at := s.tv(now())
	args := make([]any, 0, len(keys)*4)
	for _, id := range keys {
		args = append(args, storeHash, id, ids[id], at)
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		return s.insertRows(ctx, tx, shopperProfilesTable, args, ` ON CONFLICT (store_hash, customer_id) DO UPDATE SET
			profile_id = excluded.profile_id, updated_at = excluded.updated_at`)
	})
	if err != nil {
		return fmt.Errorf("store: save %d shopper profile ids: %w", len(ids), err)
	}
	return nil
}

// SegmentTargets returns the store's segment targets by segment.
func (s *Store) SegmentTargets(ctx context.Context, storeHash string) (map[string]SegmentTarget, error) {
	rows, err := s.rdb.QueryContext(ctx, s.rebind(`SELECT segment, bc_segment_id, brevo_list_id, updated_at
		FROM segment_targets WHERE store_hash = ?`), storeHash)
	if err != nil {
		return nil, fmt.Errorf("store: segment targets: %w", err)
	}
	defer rows.Close()
	out := map[string]SegmentTarget{}
	for rows.Next() {
		var t SegmentTarget
		if err := rows.Scan(&t.Segment, &t.BigCommerceID, &t.BrevoListID, (*dbTime)(&t.UpdatedAt)); err != nil {
			return nil, fmt.Errorf("store: segment targets: %w", err)
		}
		out[t.Segment] = t
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: segment targets: %w", err)
	}
	return out, nil
}

// SaveSegmentTarget records a segment's targets. An empty BigCommerceID or a
// zero BrevoListID keeps the stored one, so each target can be saved on its
// own; a zero UpdatedAt is now.
func (s *Store) SaveSegmentTarget(ctx context.Context, storeHash string, t SegmentTarget) error {
	if storeHash == "" || t.Segment == "" {
		return fmt.Errorf("store: save segment target: store hash and segment are required: %w", ErrInvalid)
	}
	_, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO segment_targets (store_hash, segment, bc_segment_id,
		brevo_list_id, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (store_hash, segment) DO UPDATE SET
		bc_segment_id = CASE WHEN excluded.bc_segment_id = '' THEN segment_targets.bc_segment_id ELSE excluded.bc_segment_id END,
		brevo_list_id = CASE WHEN excluded.brevo_list_id = 0 THEN segment_targets.brevo_list_id ELSE excluded.brevo_list_id END,
		updated_at = excluded.updated_at`),
		storeHash, t.Segment, t.BigCommerceID, t.BrevoListID, s.tv(orNow(t.UpdatedAt)))
	if err != nil {
		return fmt.Errorf("store: save segment target %s: %w", t.Segment, err)
	}
	return nil
}

// SegmentMovement counts a segment's crossings in a period.
type SegmentMovement struct {
	// Entered counts the stints that began in the period, Left those that
	// ended in it.
	Entered, Left int
}

// SegmentMovements counts, per segment of the store, the shoppers who
// entered and who left in [from, to): two grouped counts, whatever the
// segments' sizes.
func (s *Store) SegmentMovements(ctx context.Context, storeHash string, from, to time.Time) (map[string]SegmentMovement, error) {
	out := map[string]SegmentMovement{}
	for _, col := range []string{"entered_at", "left_at"} {
		rows, err := s.rdb.QueryContext(ctx, s.rebind(`SELECT segment, COUNT(*) FROM segment_memberships
			WHERE store_hash = ? AND `+col+` >= ? AND `+col+` < ? GROUP BY segment`), storeHash, s.tv(from), s.tv(to))
		if err != nil {
			return nil, fmt.Errorf("store: segment movements: %w", err)
		}
		for rows.Next() {
			var seg string
			var n int
			if err := rows.Scan(&seg, &n); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: segment movements: %w", err)
			}
			m := out[seg]
			if col == "entered_at" {
				m.Entered = n
			} else {
				m.Left = n
			}
			out[seg] = m
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: segment movements: %w", err)
		}
		rows.Close()
	}
	return out, nil
}
