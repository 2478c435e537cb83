package store

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bcflow/bcflow/config"
)

// The segment rule compiler: a config.Rule becomes one SQL predicate over the
// shopper universe (segmentUniverse: shopper_stats s, its mirrored customer
// c and loyalty account la), evaluated set-based for every shopper of a store
// at once or for a few. Every value of the rule is a bound parameter.
//
// Every leaf condition is two-valued: a shopper without the figure (a guest's
// customer group, a shopper without orders' last order date) does not match
// the condition, and does match its not.

// segmentUniverse is the FROM clause of segment evaluation: one row per
// shopper (shopper_stats: every registered customer with an email and every
// email an order was keyed to).
const segmentUniverse = `shopper_stats s
	LEFT JOIN mirror_customers c ON s.customer_id > 0 AND c.store_hash = s.store_hash AND c.id = s.customer_id
	LEFT JOIN loyalty_accounts la ON s.customer_id > 0 AND la.store_hash = s.store_hash AND la.customer_id = s.customer_id`

// SegmentEnv is what a rule is compiled against.
type SegmentEnv struct {
	// Now is the instant relative dates (older_than, within) count from.
	Now time.Time
	// GroupIDs resolves customer_group references that are names to group
	// ids (resolved by the caller from BigCommerce's groups); a numeric
	// reference is an id itself. An unresolved name matches nothing.
	GroupIDs map[string][]int
}

// SegmentQuery is a compiled segment rule: an SQL predicate over the shopper
// universe with its bound values, for one dialect.
type SegmentQuery struct {
	dialect string
	pred    string
	args    []any
	dates   []dateCond
}

// dateCond is a relative date condition of the rule (older_than or within).
type dateCond struct {
	field string // "first_order" | "last_order"
	d     time.Duration
}

// Segment window fields.
const (
	SegmentFirstOrder = "first_order"
	SegmentLastOrder  = "last_order"
)

// SegmentWindow is a range (From, To] of a shopper date (Field
// "first_order" or "last_order"); a zero From has no lower bound.
type SegmentWindow struct {
	Field    string
	From, To time.Time
}

// CompileSegment compiles rule for dialect (DialectPostgres or
// DialectSQLite). Errors (an empty rule, a malformed date, a non-finite
// number) wrap ErrInvalid.
func CompileSegment(rule config.Rule, env SegmentEnv, dialect string) (*SegmentQuery, error) {
	if dialect != DialectPostgres && dialect != DialectSQLite {
		return nil, fmt.Errorf("store: compile segment: unknown dialect %q: %w", dialect, ErrInvalid)
	}
	if env.Now.IsZero() {
		env.Now = now()
	}
	rc := &ruleCompiler{env: env, dialect: dialect}
	pred, err := rc.rule(rule)
	if err != nil {
		return nil, fmt.Errorf("store: compile segment: %w", err)
	}
	return &SegmentQuery{dialect: dialect, pred: pred, args: rc.args, dates: rc.dates}, nil
}

// CompileSegment compiles rule for the store's dialect.
func (s *Store) CompileSegment(rule config.Rule, env SegmentEnv) (*SegmentQuery, error) {
	return CompileSegment(rule, env, s.dialect)
}

// TimeBased reports whether the rule holds relative dates (older_than or
// within), whose outcome changes with time alone.
func (q *SegmentQuery) TimeBased() bool { return len(q.dates) > 0 }

// TimeWindows returns the ranges of shopper dates whose older_than/within
// outcome can have flipped between an evaluation at prev and one at now: a
// shopper outside them has the same outcome at both (for the time-based
// conditions; other figures move through events). A zero prev means never:
// every date up to now's bounds. Nil when the rule has no relative date or
// now is not after prev.
func (q *SegmentQuery) TimeWindows(prev, now time.Time) []SegmentWindow {
	if q == nil || len(q.dates) == 0 || !now.After(prev) {
		return nil
	}
	var out []SegmentWindow
	for _, dc := range q.dates {
		w := SegmentWindow{Field: dc.field, To: normTime(now.Add(-dc.d))}
		if !prev.IsZero() {
			// older_than d holds for date < t-d, within d for date >= t-d: the
			// outcome differs between prev and now for date in [prev-d, now-d).
			w.From = normTime(prev.Add(-dc.d)).Add(-time.Microsecond)
		}
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	slices.SortFunc(out, func(a, b SegmentWindow) int {
		if c := strings.Compare(a.Field, b.Field); c != 0 {
			return c
		}
		if c := a.From.Compare(b.From); c != 0 {
			return c
		}
		return a.To.Compare(b.To)
	})
	return out
}

// ruleCompiler accumulates the bound values of a predicate in order.
type ruleCompiler struct {
	env     SegmentEnv
	dialect string
	args    []any
	dates   []dateCond
}

const sqlFalse = "(1=0)"

func (rc *ruleCompiler) bind(v any) string {
	rc.args = append(rc.args, v)
	return "?"
}

func (rc *ruleCompiler) bindList(vals []any) string {
	ps := make([]string, len(vals))
	for i, v := range vals {
		ps[i] = rc.bind(v)
	}
	return strings.Join(ps, ", ")
}

func (rc *ruleCompiler) timeArg(t time.Time) any {
	t = normTime(t)
	if rc.dialect == DialectSQLite {
		return t.UnixMicro()
	}
	return t
}

// rule compiles one node: every condition written in it must hold.
func (rc *ruleCompiler) rule(r config.Rule) (string, error) {
	var parts []string
	for _, sub := range r.All {
		p, err := rc.rule(sub)
		if err != nil {
			return "", err
		}
		parts = append(parts, p)
	}
	if len(r.Any) > 0 {
		var ors []string
		for _, sub := range r.Any {
			p, err := rc.rule(sub)
			if err != nil {
				return "", err
			}
			ors = append(ors, p)
		}
		parts = append(parts, "("+strings.Join(ors, " OR ")+")")
	}
	if r.Not != nil {
		p, err := rc.rule(*r.Not)
		if err != nil {
			return "", err
		}
		parts = append(parts, "(NOT "+p+")")
	}
	add := func(p string, err error) error {
		if err != nil {
			return err
		}
		parts = append(parts, p)
		return nil
	}
	if r.OrdersCount != nil {
		if err := add(rc.intRange("s.orders_count", "", *r.OrdersCount, 1)); err != nil {
			return "", fmt.Errorf("orders_count: %w", err)
		}
	}
	if r.TotalSpent != nil {
		if err := add(rc.intRange("s.total_spent", "", *r.TotalSpent, moneyScale)); err != nil {
			return "", fmt.Errorf("total_spent: %w", err)
		}
	}
	if r.AverageOrderValue != nil {
		if err := add(rc.averageOrderValue(*r.AverageOrderValue)); err != nil {
			return "", fmt.Errorf("average_order_value: %w", err)
		}
	}
	if r.FirstOrder != nil {
		if err := add(rc.dateRange("s.first_order_at", SegmentFirstOrder, *r.FirstOrder)); err != nil {
			return "", fmt.Errorf("first_order: %w", err)
		}
	}
	if r.LastOrder != nil {
		if err := add(rc.dateRange("s.last_order_at", SegmentLastOrder, *r.LastOrder)); err != nil {
			return "", fmt.Errorf("last_order: %w", err)
		}
	}
	if len(r.CustomerGroup) > 0 {
		parts = append(parts, rc.customerGroup(r.CustomerGroup))
	}
	if len(r.Channel) > 0 {
		parts = append(parts, rc.channel(r.Channel))
	}
	if r.AcceptsMarketing != nil {
		var v any = *r.AcceptsMarketing
		if rc.dialect == DialectSQLite {
			v = boolInt(*r.AcceptsMarketing)
		}
		parts = append(parts, "(c.id IS NOT NULL AND c.accepts_marketing = "+rc.bind(v)+")")
	}
	if r.Registered != nil {
		if *r.Registered {
			parts = append(parts, "(s.customer_id > 0)")
		} else {
			parts = append(parts, "(s.customer_id <= 0)")
		}
	}
	if len(r.LoyaltyTier) > 0 {
		parts = append(parts, "(la.customer_id IS NOT NULL AND LOWER(TRIM(la.tier)) IN ("+
			rc.bindList(lowerAll(r.LoyaltyTier))+"))")
	}
	if r.PointsBalance != nil {
		if err := add(rc.intRange("la.balance", "la.customer_id IS NOT NULL", *r.PointsBalance, 1)); err != nil {
			return "", fmt.Errorf("points_balance: %w", err)
		}
	}
	if len(r.CouponUsed) > 0 {
		parts = append(parts, rc.couponUsed(r.CouponUsed))
	}
	if len(r.SKUPurchased) > 0 {
		skus := make([]any, 0, len(r.SKUPurchased))
		for _, v := range r.SKUPurchased {
			skus = append(skus, strings.TrimSpace(v))
		}
		parts = append(parts, `EXISTS (SELECT 1 FROM mirror_orders o JOIN mirror_order_lines l
			ON l.store_hash = o.store_hash AND l.order_id = o.id
			WHERE o.store_hash = s.store_hash AND o.email_lc = s.email_lc AND o.counted = 1 AND l.sku IN (`+rc.bindList(skus)+`))`)
	}
	if len(r.CategoryPurchased) > 0 {
		parts = append(parts, rc.categoryPurchased(r.CategoryPurchased))
	}
	if len(r.Country) > 0 {
		parts = append(parts, "(c.id IS NOT NULL AND LOWER(TRIM(c.country)) IN ("+rc.bindList(countryKeys(r.Country))+"))")
	}
	if len(parts) == 0 {
		return "", fmt.Errorf("a rule holds no condition: %w", ErrInvalid)
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return "(" + strings.Join(parts, " AND ") + ")", nil
}

// maxThreshold bounds integer thresholds so that products and comparisons
// stay within BIGINT (an average order value compares total_spent with
// threshold × orders_count).
const maxThreshold = 1e13

// intBound turns a float bound on an integer figure into an integer one with
// the same outcome: at_least x ⇔ ≥ ceil(x), more_than x ⇔ > floor(x),
// at_most x ⇔ ≤ floor(x), less_than x ⇔ < ceil(x); equals a non-integer
// never holds (ok false).
func intBound(op string, x float64) (v int64, ok bool, err error) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, false, fmt.Errorf("%v is not a number: %w", x, ErrInvalid)
	}
	x = math.Max(-maxThreshold, math.Min(maxThreshold, x))
	switch op {
	case ">=", "<":
		return int64(math.Ceil(x)), true, nil
	case ">", "<=":
		return int64(math.Floor(x)), true, nil
	default: // "="
		if x != math.Trunc(x) {
			return 0, false, nil
		}
		return int64(x), true, nil
	}
}

// bounds lists a NumberRange's written bounds as (operator, value) scaled
// (money: ×10000 rounded half away from zero, as ParseMoney would read it).
func bounds(nr config.NumberRange, scale float64) []struct {
	op string
	x  float64
} {
	var out []struct {
		op string
		x  float64
	}
	addB := func(op string, p *float64) {
		if p == nil {
			return
		}
		x := *p * scale
		if scale != 1 {
			x = math.Round(x)
		}
		out = append(out, struct {
			op string
			x  float64
		}{op, x})
	}
	addB(">=", nr.AtLeast)
	addB(">", nr.MoreThan)
	addB("<=", nr.AtMost)
	addB("<", nr.LessThan)
	addB("=", nr.Equals)
	return out
}

// intRange compiles a NumberRange over an integer column; guard (if any) is
// the condition under which the column is the shopper's figure.
func (rc *ruleCompiler) intRange(col, guard string, nr config.NumberRange, scale float64) (string, error) {
	bs := bounds(nr, scale)
	if len(bs) == 0 {
		return "", fmt.Errorf("a number range holds no bound: %w", ErrInvalid)
	}
	var parts []string
	if guard != "" {
		parts = append(parts, guard)
	}
	for _, b := range bs {
		v, ok, err := intBound(b.op, b.x)
		if err != nil {
			return "", err
		}
		if !ok {
			return sqlFalse, nil
		}
		parts = append(parts, col+" "+b.op+" "+rc.bind(v))
	}
	return "(" + strings.Join(parts, " AND ") + ")", nil
}

// averageOrderValue compiles total_spent / orders_count OP x exactly as
// total_spent OP x × orders_count, for shoppers with orders only.
func (rc *ruleCompiler) averageOrderValue(nr config.NumberRange) (string, error) {
	bs := bounds(nr, moneyScale)
	if len(bs) == 0 {
		return "", fmt.Errorf("a number range holds no bound: %w", ErrInvalid)
	}
	parts := []string{"s.orders_count > 0"}
	for _, b := range bs {
		v, _, err := intBound(b.op, b.x) // x is a whole number of Money units
		if err != nil {
			return "", err
		}
		parts = append(parts, "s.total_spent "+b.op+" "+rc.bind(v)+" * s.orders_count")
	}
	return "(" + strings.Join(parts, " AND ") + ")", nil
}

// dateRange compiles a DateRange over a nullable date column.
func (rc *ruleCompiler) dateRange(col, field string, dr config.DateRange) (string, error) {
	parts := []string{col + " IS NOT NULL"}
	if dr.OlderThan != nil {
		d := dr.OlderThan.Std()
		parts = append(parts, col+" < "+rc.bind(rc.timeArg(rc.env.Now.Add(-d))))
		rc.dates = append(rc.dates, dateCond{field: field, d: d})
	}
	if dr.Within != nil {
		d := dr.Within.Std()
		parts = append(parts, col+" >= "+rc.bind(rc.timeArg(rc.env.Now.Add(-d))))
		rc.dates = append(rc.dates, dateCond{field: field, d: d})
	}
	for _, b := range []struct{ op, day string }{{"<", dr.Before}, {">=", dr.After}} {
		if b.day == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, strings.TrimSpace(b.day))
		if err != nil {
			return "", fmt.Errorf("date %q is not YYYY-MM-DD: %w", b.day, ErrInvalid)
		}
		parts = append(parts, col+" "+b.op+" "+rc.bind(rc.timeArg(t)))
	}
	if len(parts) == 1 {
		return "", fmt.Errorf("a date range holds no bound: %w", ErrInvalid)
	}
	return "(" + strings.Join(parts, " AND ") + ")", nil
}

// customerGroup resolves group references to ids: a numeric reference is
// the id, a name goes through env.GroupIDs (exactly, else
// case-insensitively); group 0 (no group) and unresolved names match
// nothing.
func (rc *ruleCompiler) customerGroup(refs []string) string {
	seen := map[int]bool{}
	var ids []any
	addID := func(id int) {
		if id > 0 && !seen[id] {
			seen[id] = true
			ids = append(ids, int64(id))
		}
	}
	for _, ref := range refs {
		ref = strings.TrimSpace(ref)
		if n, err := strconv.Atoi(ref); err == nil {
			addID(n)
			continue
		}
		found, ok := rc.env.GroupIDs[ref]
		if !ok {
			for k, v := range rc.env.GroupIDs {
				if strings.EqualFold(strings.TrimSpace(k), ref) {
					found = append(found, v...)
				}
			}
		}
		for _, id := range found {
			addID(id)
		}
	}
	if len(ids) == 0 {
		return sqlFalse
	}
	slices.SortFunc(ids, func(a, b any) int { return int(a.(int64) - b.(int64)) })
	return "(c.id IS NOT NULL AND c.group_id IN (" + rc.bindList(ids) + "))"
}

// channel: the customer belongs to one of the channels, or a counted order
// of the shopper was placed on one.
func (rc *ruleCompiler) channel(chans []int) string {
	var member string
	if rc.dialect == DialectPostgres {
		var ors []string
		for _, ch := range chans {
			ors = append(ors, "c.channel_ids @> "+rc.bind("["+strconv.Itoa(ch)+"]")+"::jsonb")
		}
		member = "(c.id IS NOT NULL AND jsonb_typeof(c.channel_ids) = 'array' AND (" + strings.Join(ors, " OR ") + "))"
	} else {
		ids := make([]any, len(chans))
		for i, ch := range chans {
			ids[i] = int64(ch)
		}
		member = "(c.id IS NOT NULL AND json_valid(c.channel_ids) AND EXISTS (SELECT 1 FROM json_each(c.channel_ids) je WHERE je.value IN (" +
			rc.bindList(ids) + ")))"
	}
	ids := make([]any, len(chans))
	for i, ch := range chans {
		ids[i] = int64(ch)
	}
	return "(" + member + ` OR EXISTS (SELECT 1 FROM mirror_orders o WHERE o.store_hash = s.store_hash
		AND o.email_lc = s.email_lc AND o.counted = 1 AND o.channel_id IN (` + rc.bindList(ids) + `)))`
}

// couponUsed: a counted order used one of the codes (case-insensitive);
// "*" is any code.
func (rc *ruleCompiler) couponUsed(codes []string) string {
	q := `EXISTS (SELECT 1 FROM mirror_orders o JOIN mirror_order_coupons oc ON oc.store_hash = o.store_hash AND oc.order_id = o.id
		WHERE o.store_hash = s.store_hash AND o.email_lc = s.email_lc AND o.counted = 1`
	if slices.ContainsFunc(codes, func(c string) bool { return strings.TrimSpace(c) == "*" }) {
		return q + ")"
	}
	return q + " AND oc.code_lc IN (" + rc.bindList(lowerAll(codes)) + "))"
}

// categoryPurchased: a counted order holds a product of one of the
// categories (numeric ids, or names matched case-insensitively).
func (rc *ruleCompiler) categoryPurchased(refs []string) string {
	var ids, names []any
	for _, ref := range refs {
		ref = strings.TrimSpace(ref)
		if n, err := strconv.ParseInt(ref, 10, 64); err == nil {
			ids = append(ids, n)
		} else {
			names = append(names, strings.ToLower(ref))
		}
	}
	var conds []string
	if len(ids) > 0 {
		conds = append(conds, "pc.category_id IN ("+rc.bindList(ids)+")")
	}
	if len(names) > 0 {
		conds = append(conds, `pc.category_id IN (SELECT mc.id FROM mirror_categories mc WHERE mc.store_hash = s.store_hash
			AND LOWER(TRIM(mc.name)) IN (`+rc.bindList(names)+`))`)
	}
	return `EXISTS (SELECT 1 FROM mirror_orders o JOIN mirror_order_lines l ON l.store_hash = o.store_hash AND l.order_id = o.id
		JOIN mirror_product_categories pc ON pc.store_hash = l.store_hash AND pc.product_id = l.product_id
		WHERE o.store_hash = s.store_hash AND o.email_lc = s.email_lc AND o.counted = 1 AND (` + strings.Join(conds, " OR ") + `))`
}

// lowerAll returns the values trimmed, lower-cased, as bind values.
func lowerAll(vals []string) []any {
	out := make([]any, 0, len(vals))
	for _, v := range vals {
		out = append(out, strings.ToLower(strings.TrimSpace(v)))
	}
	return out
}
