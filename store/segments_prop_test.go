package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bcflow/bcflow/config"
)

// The one-source guard of the segment rule language: random rules over
// random shoppers, evaluated by the compiled SQL (full and incremental) and
// by segModel.match, a plain Go reading of config.Rule's documentation, must
// give the same members; again after random changes to the shoppers' orders.

var segNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

var segGroupNames = map[int64]string{1: "Retail", 2: "Wholesale", 3: "VIP"}

var segEnvGroups = map[string][]int{"Retail": {1}, "Wholesale": {2}, "VIP": {3}}

var segCategoryNames = map[int64]string{10: "Mugs", 11: "Tea", 12: "Gifts"}

var segCountryNames = map[string]string{"FR": "France", "DE": "Germany", "GB": "United Kingdom"}

type segAccount struct {
	tier    string
	balance int64
}

type segModel struct {
	customers  map[int64]MirrorCustomer
	accounts   map[int64]segAccount
	orders     map[int64]MirrorOrder
	products   map[int64][]int
	guests     []string
	modified   time.Time
	nextOrder  int64
	nextChange int
}

func (m *segModel) emails() []string {
	var out []string
	for _, c := range m.customers {
		out = append(out, emailKey(c.Email))
	}
	for _, o := range m.orders {
		out = append(out, m.orderKey(o))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (m *segModel) orderKey(o MirrorOrder) string {
	if c, ok := m.customers[o.CustomerID]; ok && o.CustomerID > 0 {
		return emailKey(c.Email)
	}
	return emailKey(o.Email)
}

func (m *segModel) customerOf(email string) (MirrorCustomer, bool) {
	var best MirrorCustomer
	found := false
	for _, c := range m.customers {
		if emailKey(c.Email) == email && (!found || c.ID < best.ID) {
			best, found = c, true
		}
	}
	return best, found
}

// counted returns the shopper's counted orders.
func (m *segModel) counted(email string) []MirrorOrder {
	var out []MirrorOrder
	for _, o := range m.orders {
		if m.orderKey(o) == email && CountsTowardsSpend(o.StatusID) {
			out = append(out, o)
		}
	}
	return out
}

func numMatch(nr config.NumberRange, v float64) bool {
	if nr.AtLeast != nil && !(v >= *nr.AtLeast) {
		return false
	}
	if nr.MoreThan != nil && !(v > *nr.MoreThan) {
		return false
	}
	if nr.AtMost != nil && !(v <= *nr.AtMost) {
		return false
	}
	if nr.LessThan != nil && !(v < *nr.LessThan) {
		return false
	}
	if nr.Equals != nil && v != *nr.Equals {
		return false
	}
	return true
}

func dateMatch(dr config.DateRange, d time.Time, ok bool) bool {
	if !ok {
		return false
	}
	if dr.OlderThan != nil && !(segNow.Sub(d) > dr.OlderThan.Std()) {
		return false
	}
	if dr.Within != nil && !(segNow.Sub(d) <= dr.Within.Std()) {
		return false
	}
	if dr.Before != "" {
		day, _ := time.Parse(time.DateOnly, dr.Before)
		if !d.Before(day) {
			return false
		}
	}
	if dr.After != "" {
		day, _ := time.Parse(time.DateOnly, dr.After)
		if d.Before(day) {
			return false
		}
	}
	return true
}

// match is config.Rule's meaning, read plainly.
func (m *segModel) match(r config.Rule, email string) bool {
	for _, sub := range r.All {
		if !m.match(sub, email) {
			return false
		}
	}
	if len(r.Any) > 0 && !slices.ContainsFunc(r.Any, func(sub config.Rule) bool { return m.match(sub, email) }) {
		return false
	}
	if r.Not != nil && m.match(*r.Not, email) {
		return false
	}
	orders := m.counted(email)
	var total Money
	var first, last time.Time
	for _, o := range orders {
		total += max(0, o.TotalIncTax-o.RefundedAmount)
		if first.IsZero() || o.DateCreated.Before(first) {
			first = o.DateCreated
		}
		if o.DateCreated.After(last) {
			last = o.DateCreated
		}
	}
	c, registered := m.customerOf(email)
	acct, hasAcct := m.accounts[c.ID]
	hasAcct = hasAcct && registered
	if r.OrdersCount != nil && !numMatch(*r.OrdersCount, float64(len(orders))) {
		return false
	}
	if r.TotalSpent != nil && !numMatch(*r.TotalSpent, total.Float64()) {
		return false
	}
	if r.AverageOrderValue != nil && (len(orders) == 0 || !numMatch(*r.AverageOrderValue, total.Float64()/float64(len(orders)))) {
		return false
	}
	if r.FirstOrder != nil && !dateMatch(*r.FirstOrder, first, len(orders) > 0) {
		return false
	}
	if r.LastOrder != nil && !dateMatch(*r.LastOrder, last, len(orders) > 0) {
		return false
	}
	if len(r.CustomerGroup) > 0 && !(registered && slices.ContainsFunc(r.CustomerGroup, func(ref string) bool {
		return config.GroupMatches(ref, int(c.GroupID), segGroupNames[c.GroupID])
	})) {
		return false
	}
	if len(r.Channel) > 0 && !slices.ContainsFunc(r.Channel, func(ch int) bool {
		return registered && slices.Contains(c.ChannelIDs, ch) ||
			slices.ContainsFunc(orders, func(o MirrorOrder) bool { return o.ChannelID == int64(ch) })
	}) {
		return false
	}
	if r.AcceptsMarketing != nil && !(registered && c.AcceptsMarketing == *r.AcceptsMarketing) {
		return false
	}
	if r.Registered != nil && registered != *r.Registered {
		return false
	}
	if len(r.LoyaltyTier) > 0 && !(hasAcct && slices.ContainsFunc(r.LoyaltyTier, func(t string) bool {
		return strings.EqualFold(t, acct.tier)
	})) {
		return false
	}
	if r.PointsBalance != nil && !(hasAcct && numMatch(*r.PointsBalance, float64(acct.balance))) {
		return false
	}
	if len(r.CouponUsed) > 0 && !slices.ContainsFunc(orders, func(o MirrorOrder) bool {
		return slices.ContainsFunc(o.CouponCodes, func(code string) bool {
			return strings.TrimSpace(code) != "" && slices.ContainsFunc(r.CouponUsed, func(want string) bool {
				return want == "*" || strings.EqualFold(strings.TrimSpace(want), strings.TrimSpace(code))
			})
		})
	}) {
		return false
	}
	if len(r.SKUPurchased) > 0 && !slices.ContainsFunc(orders, func(o MirrorOrder) bool {
		return slices.ContainsFunc(o.Lines, func(l MirrorOrderLine) bool { return slices.Contains(r.SKUPurchased, l.SKU) })
	}) {
		return false
	}
	if len(r.CategoryPurchased) > 0 && !slices.ContainsFunc(orders, func(o MirrorOrder) bool {
		return slices.ContainsFunc(o.Lines, func(l MirrorOrderLine) bool {
			return slices.ContainsFunc(m.products[l.ProductID], func(cat int) bool {
				return slices.ContainsFunc(r.CategoryPurchased, func(ref string) bool {
					return ref == fmt.Sprint(cat) || strings.EqualFold(ref, segCategoryNames[int64(cat)])
				})
			})
		})
	}) {
		return false
	}
	if len(r.Country) > 0 && !(registered && slices.ContainsFunc(r.Country, func(v string) bool {
		return strings.EqualFold(v, c.Country) || strings.EqualFold(v, segCountryNames[c.Country])
	})) {
		return false
	}
	return true
}

func ptr[T any](v T) *T { return &v }

func randomRange(rng *rand.Rand, vals []float64) *config.NumberRange {
	v := func() *float64 { return ptr(vals[rng.IntN(len(vals))]) }
	nr := &config.NumberRange{}
	switch rng.IntN(6) {
	case 0:
		nr.AtLeast = v()
	case 1:
		nr.MoreThan = v()
	case 2:
		nr.AtMost = v()
	case 3:
		nr.LessThan = v()
	case 4:
		nr.Equals = v()
	default:
		nr.AtLeast, nr.LessThan = v(), v()
	}
	return nr
}

func randomDates(rng *rand.Rand) *config.DateRange {
	days := func() *config.Duration { return ptr(config.Duration(time.Duration(rng.IntN(400)) * 24 * time.Hour)) }
	dr := &config.DateRange{}
	switch rng.IntN(5) {
	case 0:
		dr.OlderThan = days()
	case 1:
		dr.Within = days()
	case 2:
		dr.Before = segNow.AddDate(0, 0, -rng.IntN(400)).Format(time.DateOnly)
	case 3:
		dr.After = segNow.AddDate(0, 0, -rng.IntN(400)).Format(time.DateOnly)
	default:
		dr.OlderThan, dr.Within = days(), days()
	}
	return dr
}

func pick[T any](rng *rand.Rand, vals ...T) []T {
	n := 1 + rng.IntN(2)
	out := make([]T, n)
	for i := range out {
		out[i] = vals[rng.IntN(len(vals))]
	}
	return out
}

func randomLeaf(rng *rand.Rand) config.Rule {
	var r config.Rule
	switch rng.IntN(16) {
	case 0:
		r.OrdersCount = randomRange(rng, []float64{0, 1, 1.5, 2, 3})
	case 1:
		r.TotalSpent = randomRange(rng, []float64{0, 25, 100, 250.5, 1000})
	case 2:
		r.AverageOrderValue = randomRange(rng, []float64{0, 25, 62.5, 100, 200})
	case 3:
		r.FirstOrder = randomDates(rng)
	case 4:
		r.LastOrder = randomDates(rng)
	case 5:
		r.CustomerGroup = pick(rng, "1", "wholesale", "VIP", "Unknown", "0", " 2 ")
	case 6:
		r.Channel = pick(rng, 1, 2, 3)
	case 7:
		r.AcceptsMarketing = ptr(rng.IntN(2) == 0)
	case 8:
		r.Registered = ptr(rng.IntN(2) == 0)
	case 9:
		r.LoyaltyTier = pick(rng, "gold", "SILVER", "bronze")
	case 10:
		r.PointsBalance = randomRange(rng, []float64{0, 50, 99.5, 100, 400})
	case 11:
		r.CouponUsed = pick(rng, "welcome", "IT'S", "*", "sale10", "nope")
	case 12:
		r.SKUPurchased = pick(rng, "A", "B", "C", "a")
	case 13:
		r.CategoryPurchased = pick(rng, "10", "tea", "GIFTS", "99")
	case 14:
		r.Country = pick(rng, "fr", "Germany", "united kingdom", "GB", "ES")
	default:
		r.OrdersCount = randomRange(rng, []float64{1, 2})
		r.Registered = ptr(true)
	}
	return r
}

func randomRule(rng *rand.Rand, depth int) config.Rule {
	if depth <= 0 || rng.IntN(3) == 0 {
		return randomLeaf(rng)
	}
	switch rng.IntN(3) {
	case 0:
		return config.Rule{All: []config.Rule{randomRule(rng, depth-1), randomRule(rng, depth-1)}}
	case 1:
		return config.Rule{Any: []config.Rule{randomRule(rng, depth-1), randomRule(rng, depth-1)}}
	default:
		return config.Rule{Not: ptr(randomRule(rng, depth-1))}
	}
}

var segStatuses = []int{0, 2, 4, 5, 10, 11}

func (m *segModel) randomOrder(rng *rand.Rand, emails []string) MirrorOrder {
	m.nextOrder++
	m.modified = m.modified.Add(time.Second)
	o := MirrorOrder{ID: m.nextOrder, StatusID: segStatuses[rng.IntN(len(segStatuses))],
		TotalIncTax: Money(rng.IntN(8)) * 125000, ChannelID: int64(1 + rng.IntN(3)),
		DateCreated:  segNow.Add(-time.Duration(rng.IntN(400*24)) * time.Hour),
		DateModified: m.modified}
	if rng.IntN(4) == 0 {
		o.RefundedAmount = Money(rng.Int64N(int64(o.TotalIncTax) + 1))
	}
	if id := int64(rng.IntN(12)); id > 0 && id <= int64(len(m.customers)) {
		o.CustomerID = id
		o.Email = m.customers[id].Email
	} else {
		o.Email = emails[rng.IntN(len(emails))]
	}
	if rng.IntN(2) == 0 {
		o.CouponCodes = pick(rng, "WELCOME", "it's", "Sale10", " ")
	}
	for range rng.IntN(3) {
		o.Lines = append(o.Lines, MirrorOrderLine{ProductID: int64(1 + rng.IntN(5)), SKU: []string{"A", "B", "C"}[rng.IntN(3)],
			Quantity: 1})
	}
	return o
}

func seedSegModel(t *testing.T, s *Store, rng *rand.Rand) *segModel {
	ctx := context.Background()
	m := &segModel{customers: map[int64]MirrorCustomer{}, accounts: map[int64]segAccount{}, orders: map[int64]MirrorOrder{},
		products: map[int64][]int{}, modified: segNow}
	var cs []MirrorCustomer
	countries := []string{"FR", "DE", "GB", ""}
	for id := int64(1); id <= 10; id++ {
		c := MirrorCustomer{ID: id, Email: fmt.Sprintf("C%d@x.io", id), GroupID: int64(rng.IntN(4)),
			ChannelIDs: pick(rng, 1, 2), AcceptsMarketing: rng.IntN(2) == 0, Country: countries[rng.IntN(4)],
			DateModified: segNow}
		if rng.IntN(5) == 0 {
			c.ChannelIDs = nil
		}
		cs = append(cs, c)
		m.customers[id] = c
		if rng.IntN(3) > 0 {
			a := segAccount{tier: []string{"Gold", "silver", ""}[rng.IntN(3)], balance: int64(rng.IntN(5)) * 50}
			m.accounts[id] = a
			_, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO loyalty_accounts (store_hash, customer_id, balance,
				lifetime_earned, tier, updated_at) VALUES (?, ?, ?, 0, ?, ?)`), "seg", id, a.balance, a.tier, s.tv(segNow))
			must(t, err)
		}
	}
	must(t, s.UpsertCustomers(ctx, "seg", cs))
	var ps []MirrorProduct
	for id := int64(1); id <= 5; id++ {
		cats := pick(rng, 10, 11, 12)
		m.products[id] = cats
		ps = append(ps, MirrorProduct{ID: id, CategoryIDs: cats, DateModified: segNow})
	}
	must(t, s.UpsertProducts(ctx, "seg", ps))
	var cats []MirrorCategory
	for id, name := range segCategoryNames {
		cats = append(cats, MirrorCategory{ID: id, Name: name})
	}
	must(t, s.UpsertCategories(ctx, "seg", cats))
	m.guests = []string{"g1@x.io", "G2@x.io", "g3@x.io", "g4@x.io", "g5@x.io"}
	var orders []MirrorOrder
	for range 35 {
		o := m.randomOrder(rng, m.guests)
		orders = append(orders, o)
		m.orders[o.ID] = o
	}
	must(t, s.UpsertOrders(ctx, "seg", orders))
	return m
}

func currentMembers(t *testing.T, s *Store, segment string) []string {
	t.Helper()
	var out []string
	after := ""
	for {
		page, err := s.SegmentMembers(context.Background(), "seg", segment, after, 7)
		must(t, err)
		if len(page) == 0 {
			return out
		}
		for _, p := range page {
			out = append(out, p.Email)
		}
		after = page[len(page)-1].Email
	}
}

func TestSegmentRuleProperty(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		seed := uint64(time.Now().UnixNano())
		t.Logf("seed %d", seed)
		rng := rand.New(rand.NewPCG(seed, 13))
		ctx := context.Background()
		m := seedSegModel(t, s, rng)
		nrules := 120
		if testing.Short() {
			nrules = 40
		}
		rules := make([]config.Rule, nrules)
		qs := map[string]*SegmentQuery{}
		for i := range rules {
			rules[i] = randomRule(rng, 3)
			q, err := s.CompileSegment(rules[i], SegmentEnv{Now: segNow, GroupIDs: segEnvGroups})
			must(t, err)
			qs[fmt.Sprintf("inc%03d", i)] = q
		}
		at := segNow
		check := func(round int) {
			t.Helper()
			emails := m.emails()
			partial := 0
			defer func() {
				// The guard guards only if rules split the shoppers.
				if partial < len(rules)/4 {
					t.Fatalf("round %d: only %d of %d rules split the %d shoppers", round, partial, len(rules), len(emails))
				}
			}()
			for i, r := range rules {
				var want []string
				for _, e := range emails {
					if m.match(r, e) {
						want = append(want, e)
					}
				}
				if len(want) > 0 && len(want) < len(emails) {
					partial++
				}
				full := currentMembers(t, s, fmt.Sprintf("full%03d", i))
				inc := currentMembers(t, s, fmt.Sprintf("inc%03d", i))
				if !slices.Equal(full, want) || !slices.Equal(inc, want) {
					t.Fatalf("round %d rule %d %s:\n want %v\n full %v\n incremental %v (seed %d)", round, i,
						ruleString(r), want, full, inc, seed)
				}
			}
		}
		evaluate := func(touched []string) {
			at = at.Add(time.Minute)
			for i := range rules {
				name := fmt.Sprintf("full%03d", i)
				_, err := s.EvaluateSegment(ctx, "seg", name, qs[fmt.Sprintf("inc%03d", i)], SegmentScope{}, at)
				must(t, err)
			}
			for _, chunk := range chunks(touched, 3) {
				_, err := s.EvaluateSegments(ctx, "seg", qs, chunk, at)
				must(t, err)
			}
		}
		evaluate(m.emails())
		check(0)
		for round := 1; round <= 4; round++ {
			// Change a few orders (new ones, status changes, refunds) and
			// re-evaluate the touched shoppers incrementally.
			var page []MirrorOrder
			touched := map[string]bool{}
			for range 6 {
				var o MirrorOrder
				if rng.IntN(2) == 0 {
					o = m.randomOrder(rng, m.guests)
				} else {
					o = m.orders[1+rng.Int64N(m.nextOrder)]
					m.modified = m.modified.Add(time.Second)
					o.DateModified = m.modified
					o.StatusID = segStatuses[rng.IntN(len(segStatuses))]
				}
				page = append(page, o)
				if old, ok := m.orders[o.ID]; ok {
					touched[m.orderKey(old)] = true
				}
				m.orders[o.ID] = o
				touched[m.orderKey(o)] = true
			}
			must(t, s.UpsertOrders(ctx, "seg", page))
			var list []string
			for e := range touched {
				list = append(list, e)
			}
			evaluate(list)
			check(round)
		}
	})
}

// ruleString renders a rule for failure messages.
func ruleString(r config.Rule) string {
	var parts []string
	for _, sub := range r.All {
		parts = append(parts, ruleString(sub))
	}
	if len(r.All) > 0 {
		parts = []string{"all(" + strings.Join(parts, ", ") + ")"}
	}
	if len(r.Any) > 0 {
		var ors []string
		for _, sub := range r.Any {
			ors = append(ors, ruleString(sub))
		}
		parts = append(parts, "any("+strings.Join(ors, ", ")+")")
	}
	if r.Not != nil {
		parts = append(parts, "not("+ruleString(*r.Not)+")")
	}
	nr := func(name string, n *config.NumberRange) {
		if n == nil {
			return
		}
		f := func(p *float64) string {
			if p == nil {
				return "-"
			}
			return fmt.Sprint(*p)
		}
		parts = append(parts, fmt.Sprintf("%s[>=%s >%s <=%s <%s =%s]", name, f(n.AtLeast), f(n.MoreThan), f(n.AtMost),
			f(n.LessThan), f(n.Equals)))
	}
	dr := func(name string, d *config.DateRange) {
		if d == nil {
			return
		}
		var o, w string
		if d.OlderThan != nil {
			o = d.OlderThan.Std().String()
		}
		if d.Within != nil {
			w = d.Within.Std().String()
		}
		parts = append(parts, fmt.Sprintf("%s[older %s within %s before %s after %s]", name, o, w, d.Before, d.After))
	}
	nr("orders_count", r.OrdersCount)
	nr("total_spent", r.TotalSpent)
	nr("aov", r.AverageOrderValue)
	dr("first_order", r.FirstOrder)
	dr("last_order", r.LastOrder)
	nr("points", r.PointsBalance)
	for name, v := range map[string]any{"group": r.CustomerGroup, "channel": r.Channel, "tier": r.LoyaltyTier,
		"coupon": r.CouponUsed, "sku": r.SKUPurchased, "category": r.CategoryPurchased, "country": r.Country} {
		if reflectLen(v) > 0 {
			parts = append(parts, fmt.Sprintf("%s%v", name, v))
		}
	}
	if r.AcceptsMarketing != nil {
		parts = append(parts, fmt.Sprintf("marketing=%v", *r.AcceptsMarketing))
	}
	if r.Registered != nil {
		parts = append(parts, fmt.Sprintf("registered=%v", *r.Registered))
	}
	slices.Sort(parts)
	return strings.Join(parts, " & ")
}

func reflectLen(v any) int {
	switch x := v.(type) {
	case []string:
		return len(x)
	case []int:
		return len(x)
	}
	return 0
}
