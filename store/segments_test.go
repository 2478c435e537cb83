package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bcflow/bcflow/config"
)

// segFixture: a registered customer with everything, a registered customer
// with nothing (no orders, no group, no loyalty account, no country), and a
// guest with one order.
func segFixture(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	must(t, s.UpsertCustomers(ctx, "seg", []MirrorCustomer{
		{ID: 1, Email: "Full@x.io", GroupID: 2, ChannelIDs: []int{1}, AcceptsMarketing: true, Country: "FR", DateModified: segNow},
		{ID: 2, Email: "empty@x.io", DateModified: segNow},
	}))
	_, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO loyalty_accounts (store_hash, customer_id, balance, lifetime_earned,
		tier, updated_at) VALUES (?, 1, 150, 0, 'Gold', ?)`), "seg", s.tv(segNow))
	must(t, err)
	must(t, s.UpsertProducts(ctx, "seg", []MirrorProduct{{ID: 7, CategoryIDs: []int{70}, DateModified: segNow}}))
	must(t, s.UpsertCategories(ctx, "seg", []MirrorCategory{{ID: 70, Name: "Teapots"}}))
	must(t, s.UpsertOrders(ctx, "seg", []MirrorOrder{
		{ID: 1, CustomerID: 1, Email: "full@x.io", StatusID: 10, TotalIncTax: 600 * moneyScale, ChannelID: 1,
			CouponCodes: []string{"WELCOME"}, DateCreated: segNow.AddDate(0, 0, -100), DateModified: segNow,
			Lines: []MirrorOrderLine{{ProductID: 7, SKU: "TP-1"}}},
		{ID: 2, CustomerID: 1, Email: "full@x.io", StatusID: 11, TotalIncTax: 600 * moneyScale, ChannelID: 1,
			DateCreated: segNow.AddDate(0, 0, -95), DateModified: segNow},
		// Refunded: counts for nothing (its coupon and SKU neither).
		{ID: 3, CustomerID: 1, Email: "full@x.io", StatusID: 4, TotalIncTax: 50 * moneyScale, ChannelID: 2,
			CouponCodes: []string{"REFUNDED"}, DateCreated: segNow.AddDate(0, 0, -1), DateModified: segNow,
			Lines: []MirrorOrderLine{{ProductID: 8, SKU: "GONE"}}},
		{ID: 4, Email: "Guest@x.io", StatusID: 10, TotalIncTax: 30 * moneyScale, ChannelID: 3,
			DateCreated: segNow.AddDate(0, 0, -10), DateModified: segNow},
	}))
}

func evalMembers(t *testing.T, s *Store, r config.Rule) []string {
	t.Helper()
	q, err := s.CompileSegment(r, SegmentEnv{Now: segNow, GroupIDs: map[string][]int{"Wholesale": {2}}})
	must(t, err)
	ch, err := s.EvaluateSegment(context.Background(), "seg", "t", q, SegmentScope{}, segNow)
	must(t, err)
	var out []string
	for _, c := range ch {
		if !c.Entered {
			t.Fatalf("a first evaluation left: %+v", c)
		}
		out = append(out, c.Email)
	}
	if _, err := s.DropSegment(context.Background(), "seg", "t", segNow); err != nil {
		t.Fatal(err)
	}
	return out
}

// Each field against the three shoppers, and its not: a shopper without the
// figure never matches the condition and always matches its not.
func TestSegmentFieldsAndNulls(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		segFixture(t, s)
		d := func(days int) *config.Duration { return ptr(config.Duration(time.Duration(days) * 24 * time.Hour)) }
		all := []string{"empty@x.io", "full@x.io", "guest@x.io"}
		cases := []struct {
			name string
			rule config.Rule
			want []string
		}{
			{"orders_count==2", config.Rule{OrdersCount: &config.NumberRange{Equals: ptr(2.0)}}, []string{"full@x.io"}},
			{"orders_count<=1", config.Rule{OrdersCount: &config.NumberRange{AtMost: ptr(1.0)}}, []string{"empty@x.io", "guest@x.io"}},
			{"total_spent>=1000", config.Rule{TotalSpent: &config.NumberRange{AtLeast: ptr(1000.0)}}, []string{"full@x.io"}},
			{"total_spent<30.0001", config.Rule{TotalSpent: &config.NumberRange{LessThan: ptr(30.0001)}}, []string{"empty@x.io", "guest@x.io"}},
			{"aov==600", config.Rule{AverageOrderValue: &config.NumberRange{Equals: ptr(600.0)}}, []string{"full@x.io"}},
			{"aov<=100 (never without orders)", config.Rule{AverageOrderValue: &config.NumberRange{AtMost: ptr(100.0)}}, []string{"guest@x.io"}},
			{"last older 90d", config.Rule{LastOrder: &config.DateRange{OlderThan: d(90)}}, []string{"full@x.io"}},
			{"last within 30d", config.Rule{LastOrder: &config.DateRange{Within: d(30)}}, []string{"guest@x.io"}},
			{"first before", config.Rule{FirstOrder: &config.DateRange{Before: segNow.AddDate(0, 0, -99).Format(time.DateOnly)}}, []string{"full@x.io"}},
			{"first after", config.Rule{FirstOrder: &config.DateRange{After: segNow.AddDate(0, 0, -99).Format(time.DateOnly)}}, []string{"guest@x.io"}},
			{"group by name", config.Rule{CustomerGroup: []string{"wholesale"}}, []string{"full@x.io"}},
			{"group by id", config.Rule{CustomerGroup: []string{"2"}}, []string{"full@x.io"}},
			{"group unresolved", config.Rule{CustomerGroup: []string{"Retail", "0"}}, nil},
			{"channel (customer)", config.Rule{Channel: []int{1}}, []string{"full@x.io"}},
			{"channel (guest order)", config.Rule{Channel: []int{3}}, []string{"guest@x.io"}},
			{"channel (refunded order only)", config.Rule{Channel: []int{2}}, nil},
			{"accepts_marketing", config.Rule{AcceptsMarketing: ptr(true)}, []string{"full@x.io"}},
			{"accepts_marketing false (guests never)", config.Rule{AcceptsMarketing: ptr(false)}, []string{"empty@x.io"}},
			{"registered", config.Rule{Registered: ptr(true)}, []string{"empty@x.io", "full@x.io"}},
			{"guest", config.Rule{Registered: ptr(false)}, []string{"guest@x.io"}},
			{"tier", config.Rule{LoyaltyTier: []string{"GOLD"}}, []string{"full@x.io"}},
			{"points", config.Rule{PointsBalance: &config.NumberRange{AtLeast: ptr(100.0)}}, []string{"full@x.io"}},
			{"points at most (needs an account)", config.Rule{PointsBalance: &config.NumberRange{AtMost: ptr(1000.0)}}, []string{"full@x.io"}},
			{"coupon", config.Rule{CouponUsed: []string{"welcome"}}, []string{"full@x.io"}},
			{"coupon any", config.Rule{CouponUsed: []string{"*"}}, []string{"full@x.io"}},
			{"coupon of a refunded order", config.Rule{CouponUsed: []string{"refunded"}}, nil},
			{"sku", config.Rule{SKUPurchased: []string{"TP-1"}}, []string{"full@x.io"}},
			{"sku exact", config.Rule{SKUPurchased: []string{"tp-1", "GONE"}}, nil},
			{"category id", config.Rule{CategoryPurchased: []string{"70"}}, []string{"full@x.io"}},
			{"category name", config.Rule{CategoryPurchased: []string{"teapots"}}, []string{"full@x.io"}},
			{"country code", config.Rule{Country: []string{"fr"}}, []string{"full@x.io"}},
			{"country name", config.Rule{Country: []string{"France"}}, []string{"full@x.io"}},
			{"any", config.Rule{Any: []config.Rule{{Registered: ptr(false)}, {LoyaltyTier: []string{"gold"}}}}, []string{"full@x.io", "guest@x.io"}},
			{"all", config.Rule{All: []config.Rule{{Registered: ptr(true)}, {OrdersCount: &config.NumberRange{AtLeast: ptr(2.0)}}}}, []string{"full@x.io"}},
			{"fields of one node are all", config.Rule{Registered: ptr(true), OrdersCount: &config.NumberRange{Equals: ptr(0.0)}}, []string{"empty@x.io"}},
		}
		for _, c := range cases {
			got := evalMembers(t, s, c.rule)
			if !slices.Equal(got, c.want) {
				t.Errorf("%s: got %v, want %v", c.name, got, c.want)
			}
			var wantNot []string
			for _, e := range all {
				if !slices.Contains(c.want, e) {
					wantNot = append(wantNot, e)
				}
			}
			if got := evalMembers(t, s, config.Rule{Not: &c.rule}); !slices.Equal(got, wantNot) {
				t.Errorf("not %s: got %v, want %v", c.name, got, wantNot)
			}
		}
	})
}

// Values are bound, never spliced: a coupon code, a SKU, a tier or a
// country full of quotes matches itself and nothing else.
func TestSegmentInjection(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		evil := `x') OR 1=1; DROP TABLE mirror_orders; --'"?`
		must(t, s.UpsertOrders(ctx, "seg", []MirrorOrder{
			{ID: 1, Email: "a@x.io", StatusID: 10, CouponCodes: []string{evil}, DateCreated: segNow, DateModified: segNow,
				Lines: []MirrorOrderLine{{SKU: evil}}},
			{ID: 2, Email: "b@x.io", StatusID: 10, CouponCodes: []string{"plain"}, DateCreated: segNow, DateModified: segNow},
		}))
		for _, r := range []config.Rule{
			{CouponUsed: []string{evil}},
			{SKUPurchased: []string{evil}},
			{Any: []config.Rule{{CouponUsed: []string{evil}}, {LoyaltyTier: []string{evil}}, {Country: []string{evil}},
				{CustomerGroup: []string{evil}}, {CategoryPurchased: []string{evil}}}},
		} {
			if got := evalMembers(t, s, r); !slices.Equal(got, []string{"a@x.io"}) {
				t.Errorf("got %v, want [a@x.io]", got)
			}
		}
		if _, err := s.MirrorOrderByID(ctx, "seg", 1); err != nil {
			t.Fatalf("orders gone: %v", err)
		}
	})
}

func TestSegmentCompileErrors(t *testing.T) {
	for _, r := range []config.Rule{
		{},
		{Not: &config.Rule{}},
		{OrdersCount: &config.NumberRange{}},
		{LastOrder: &config.DateRange{}},
		{FirstOrder: &config.DateRange{Before: "01/02/2025"}},
	} {
		if _, err := CompileSegment(r, SegmentEnv{Now: segNow}, DialectSQLite); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: err %v, want ErrInvalid", r, err)
		}
	}
	if _, err := CompileSegment(config.Rule{Registered: ptr(true)}, SegmentEnv{}, "oracle"); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown dialect: %v", err)
	}
}

func stintsOf(t *testing.T, s *Store, email string) []SegmentMember {
	t.Helper()
	ms, err := s.ShopperSegments(context.Background(), "seg", email)
	must(t, err)
	return ms
}

// Enter, leave, re-enter: two stints, the newest first; a re-entry at the
// same instant as the earlier entry still gets its own (later) entered_at.
func TestSegmentStints(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		q, err := s.CompileSegment(config.Rule{OrdersCount: &config.NumberRange{AtLeast: ptr(2.0)}}, SegmentEnv{Now: segNow})
		must(t, err)
		qs := map[string]*SegmentQuery{"repeat": q}
		order := func(id int64, status int, mod time.Duration) {
			must(t, s.UpsertOrders(ctx, "seg", []MirrorOrder{{ID: id, Email: "a@x.io", StatusID: status,
				DateCreated: segNow, DateModified: segNow.Add(mod)}}))
		}
		order(1, 10, 0)
		order(2, 10, 0)
		t1, t2, t3 := segNow.Add(time.Hour), segNow.Add(2*time.Hour), segNow.Add(3*time.Hour)
		ch, err := s.EvaluateSegments(ctx, "seg", qs, []string{"A@x.io "}, t1)
		must(t, err)
		if len(ch) != 1 || !ch[0].Entered || !ch[0].At.Equal(t1) || ch[0].Email != "a@x.io" {
			t.Fatalf("enter: %+v", ch)
		}
		// Nothing changed: nothing happens.
		if ch, err := s.EvaluateSegments(ctx, "seg", qs, []string{"a@x.io"}, t1.Add(time.Minute)); err != nil || len(ch) != 0 {
			t.Fatalf("again: %+v %v", ch, err)
		}
		order(2, 4, time.Minute) // refunded
		ch, err = s.EvaluateSegments(ctx, "seg", qs, []string{"a@x.io"}, t2)
		must(t, err)
		if len(ch) != 1 || ch[0].Entered || !ch[0].At.Equal(t2) {
			t.Fatalf("leave: %+v", ch)
		}
		order(3, 10, 0)
		ch, err = s.EvaluateSegment(ctx, "seg", "repeat", q, SegmentScope{}, t3)
		must(t, err)
		if len(ch) != 1 || !ch[0].Entered || !ch[0].At.Equal(t3) {
			t.Fatalf("re-enter: %+v", ch)
		}
		ms := stintsOf(t, s, "a@x.io")
		if len(ms) != 2 || !ms[0].EnteredAt.Equal(t3) || !ms[0].LeftAt.IsZero() || !ms[1].EnteredAt.Equal(t1) ||
			!ms[1].LeftAt.Equal(t2) {
			t.Fatalf("stints: %+v", ms)
		}
		if m, ok, err := s.CurrentSegmentMember(ctx, "seg", "repeat", "A@X.IO"); err != nil || !ok || !m.EnteredAt.Equal(t3) {
			t.Fatalf("current: %+v %v %v", m, ok, err)
		}
		entries, err := s.SegmentEntries(ctx, "seg", "repeat", t1, t3)
		must(t, err)
		if len(entries) != 1 || !entries[0].EnteredAt.Equal(t1) {
			t.Fatalf("entries in [t1, t3): %+v", entries)
		}
		// Leave and re-enter at one instant (t3 again): the new stint is
		// entered a microsecond after the last.
		_, err = s.DropSegment(ctx, "seg", "repeat", t3)
		must(t, err)
		ch, err = s.EvaluateSegment(ctx, "seg", "repeat", q, SegmentScope{Emails: []string{"a@x.io"}}, t3)
		must(t, err)
		if len(ch) != 1 || !ch[0].At.Equal(t3.Add(time.Microsecond)) {
			t.Fatalf("same-instant re-entry: %+v", ch)
		}
		ch, err = s.EvaluateSegments(ctx, "seg", map[string]*SegmentQuery{"repeat": q}, []string{"a@x.io"}, t3)
		must(t, err)
		if len(ch) != 0 {
			t.Fatalf("no change expected: %+v", ch)
		}
		_, err = s.DropSegment(ctx, "seg", "repeat", t3)
		must(t, err)
		ch, err = s.EvaluateSegments(ctx, "seg", qs, []string{"a@x.io"}, t3)
		must(t, err)
		if len(ch) != 1 || !ch[0].At.Equal(t3.Add(2*time.Microsecond)) {
			t.Fatalf("same-instant incremental re-entry: %+v", ch)
		}
		if n := len(stintsOf(t, s, "a@x.io")); n != 4 {
			t.Fatalf("%d stints, want 4", n)
		}
		sizes, err := s.SegmentSizes(ctx, "seg")
		must(t, err)
		names, err := s.SegmentNames(ctx, "seg")
		must(t, err)
		if sizes["repeat"] != 1 || !slices.Equal(names, []string{"repeat"}) {
			t.Fatalf("sizes %v names %v", sizes, names)
		}
	})
}

func pending(t *testing.T, s *Store, target PushTarget) []PendingPush {
	t.Helper()
	p, err := s.PendingSegmentPushes(context.Background(), "seg", target, "", 100)
	must(t, err)
	return p
}

func pushSummary(ps []PendingPush) []string {
	var out []string
	for _, p := range ps {
		op := "-"
		if p.Add {
			op = "+"
		}
		out = append(out, op+p.Segment+"/"+p.Email)
	}
	return out
}

// The push outbox: adds pending on entry (BigCommerce: registered customers
// only), removes pending after an add, nothing for a stint that left before
// its add, and an add marked after the leave (in flight) becomes a pending
// remove.
func TestSegmentPushStates(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		must(t, s.UpsertCustomers(ctx, "seg", []MirrorCustomer{
			{ID: 1, Email: "c1@x.io", DateModified: segNow}, {ID: 2, Email: "c2@x.io", DateModified: segNow},
			{ID: 3, Email: "c3@x.io", DateModified: segNow}}))
		must(t, s.UpsertOrders(ctx, "seg", []MirrorOrder{{ID: 9, Email: "guest@x.io", StatusID: 10, DateCreated: segNow,
			DateModified: segNow}}))
		in, err := s.CompileSegment(config.Rule{Not: &config.Rule{OrdersCount: &config.NumberRange{AtLeast: ptr(5.0)}}}, SegmentEnv{})
		must(t, err)
		out, err := s.CompileSegment(config.Rule{OrdersCount: &config.NumberRange{AtLeast: ptr(5.0)}}, SegmentEnv{})
		must(t, err)
		t1, t2 := segNow.Add(time.Hour), segNow.Add(2*time.Hour)
		_, err = s.EvaluateSegment(ctx, "seg", "s", in, SegmentScope{}, t1)
		must(t, err)
		if got := pushSummary(pending(t, s, PushBigCommerce)); !slices.Equal(got, []string{"+s/c1@x.io", "+s/c2@x.io", "+s/c3@x.io"}) {
			t.Fatalf("bigcommerce pending: %v (guests are not applicable)", got)
		}
		brevo := pending(t, s, PushBrevo)
		if got := pushSummary(brevo); len(got) != 4 {
			t.Fatalf("brevo pending: %v", got)
		}
		counts, err := s.PendingSegmentPushCounts(ctx, "seg")
		must(t, err)
		if c := counts["s"]; c[PushBigCommerce] != 3 || c[PushBrevo] != 4 || c[PushFlows] != 4 {
			t.Fatalf("counts %v", counts)
		}
		bc := pending(t, s, PushBigCommerce)
		// c1 is added; c2's add is in flight; c3's add never happens.
		must(t, s.MarkSegmentPushes(ctx, "seg", PushBigCommerce, bc[:1]))
		must(t, s.MarkSegmentPushes(ctx, "seg", PushBigCommerce, bc[:1])) // a retried mark changes nothing
		// Everyone leaves (the rule changed).
		ch, err := s.EvaluateSegment(ctx, "seg", "s", out, SegmentScope{}, t2)
		must(t, err)
		if len(ch) != 4 || ch[0].Entered || !ch[0].At.Equal(t2) {
			t.Fatalf("leave: %+v", ch)
		}
		if ch, err := s.DropSegment(ctx, "seg", "s", t2); err != nil || len(ch) != 0 {
			t.Fatalf("drop of an empty segment: %+v %v", ch, err)
		}
		if got := pushSummary(pending(t, s, PushBigCommerce)); !slices.Equal(got, []string{"-s/c1@x.io"}) {
			t.Fatalf("after leave: %v", got)
		}
		// c2's add lands after the leave: it must be removed again.
		must(t, s.MarkSegmentPushes(ctx, "seg", PushBigCommerce, bc[1:2]))
		p := pending(t, s, PushBigCommerce)
		if got := pushSummary(p); !slices.Equal(got, []string{"-s/c1@x.io", "-s/c2@x.io"}) {
			t.Fatalf("after the late add: %v", got)
		}
		if !p[0].LeftAt.Equal(t2) || !p[0].EnteredAt.Equal(t1) || p[0].CustomerID != 1 {
			t.Fatalf("pending remove: %+v", p[0])
		}
		must(t, s.MarkSegmentPushes(ctx, "seg", PushBigCommerce, p))
		if got := pending(t, s, PushBigCommerce); len(got) != 0 {
			t.Fatalf("after removes: %v", pushSummary(got))
		}
		// A late add mark of a removed stint changes nothing.
		must(t, s.MarkSegmentPushes(ctx, "seg", PushBigCommerce, bc[:2]))
		if got := pending(t, s, PushBigCommerce); len(got) != 0 {
			t.Fatalf("after a replayed add: %v", pushSummary(got))
		}
		// Brevo: nothing was added, so nothing to remove; skip clears too.
		if got := pending(t, s, PushBrevo); len(got) != 0 {
			t.Fatalf("brevo after leaving unadded: %v", pushSummary(got))
		}
		// Flows: every entry, then every leave, oldest first.
		fl := pending(t, s, PushFlows)
		if got := pushSummary(fl); len(got) != 8 || got[0][0] != '+' || got[7][0] != '-' {
			t.Fatalf("flows: %v", got)
		}
		must(t, s.MarkSegmentPushes(ctx, "seg", PushFlows, fl[:4]))
		fl = pending(t, s, PushFlows)
		if got := pushSummary(fl); len(got) != 4 || got[0][0] != '-' {
			t.Fatalf("flows after the entries: %v", got)
		}
		must(t, s.SkipSegmentPushes(ctx, "seg", PushFlows, fl))
		if got := pending(t, s, PushFlows); len(got) != 0 {
			t.Fatalf("flows after skipping: %v", pushSummary(got))
		}
		counts, err = s.PendingSegmentPushCounts(ctx, "seg")
		must(t, err)
		if len(counts) != 0 {
			t.Fatalf("counts %v", counts)
		}
		// Skip: a new entry's BigCommerce add is skipped (API unavailable).
		_, err = s.EvaluateSegment(ctx, "seg", "s", in, SegmentScope{}, t2.Add(time.Hour))
		must(t, err)
		p, err = s.PendingSegmentPushes(ctx, "seg", PushBigCommerce, "s", 2)
		must(t, err)
		if len(p) != 2 {
			t.Fatalf("limit: %v", pushSummary(p))
		}
		if other, err := s.PendingSegmentPushes(ctx, "seg", PushBigCommerce, "other", 10); err != nil || len(other) != 0 {
			t.Fatalf("other segment: %v %v", other, err)
		}
		must(t, s.SkipSegmentPushes(ctx, "seg", PushBigCommerce, pending(t, s, PushBigCommerce)))
		if got := pending(t, s, PushBigCommerce); len(got) != 0 {
			t.Fatalf("after skip: %v", pushSummary(got))
		}
		if err := s.MarkSegmentPushes(ctx, "seg", "nowhere", p); !errors.Is(err, ErrInvalid) {
			t.Fatalf("unknown target: %v", err)
		}
	})
}

// A guest member who registers becomes applicable in BigCommerce.
func TestSegmentGuestRegisters(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		must(t, s.UpsertOrders(ctx, "seg", []MirrorOrder{{ID: 1, Email: "g@x.io", StatusID: 10, DateCreated: segNow,
			DateModified: segNow}}))
		q, err := s.CompileSegment(config.Rule{OrdersCount: &config.NumberRange{AtLeast: ptr(1.0)}}, SegmentEnv{})
		must(t, err)
		qs := map[string]*SegmentQuery{"buyers": q}
		_, err = s.EvaluateSegments(ctx, "seg", qs, []string{"g@x.io"}, segNow)
		must(t, err)
		if got := pending(t, s, PushBigCommerce); len(got) != 0 {
			t.Fatalf("guest: %v", pushSummary(got))
		}
		must(t, s.UpsertCustomers(ctx, "seg", []MirrorCustomer{{ID: 5, Email: "G@x.io", DateModified: segNow}}))
		_, err = s.EvaluateSegments(ctx, "seg", qs, []string{"g@x.io"}, segNow.Add(time.Hour))
		must(t, err)
		got := pending(t, s, PushBigCommerce)
		if len(got) != 1 || got[0].CustomerID != 5 || !got[0].Add {
			t.Fatalf("registered: %+v", got)
		}
		// The same through an evaluation of one segment for the shopper.
		must(t, s.UpsertOrders(ctx, "seg", []MirrorOrder{{ID: 2, Email: "h@x.io", StatusID: 10, DateCreated: segNow,
			DateModified: segNow}}))
		_, err = s.EvaluateSegment(ctx, "seg", "buyers", q, SegmentScope{}, segNow)
		must(t, err)
		must(t, s.UpsertCustomers(ctx, "seg", []MirrorCustomer{{ID: 6, Email: "h@x.io", DateModified: segNow}}))
		_, err = s.EvaluateSegment(ctx, "seg", "buyers", q, SegmentScope{Emails: []string{"h@x.io"}}, segNow.Add(time.Hour))
		must(t, err)
		got = pending(t, s, PushBigCommerce)
		if len(got) != 2 || !slices.ContainsFunc(got, func(p PendingPush) bool { return p.CustomerID == 6 && p.Email == "h@x.io" }) {
			t.Fatalf("registered (one segment): %+v", got)
		}
	})
}

// TimeWindows bound the shoppers a time-only run looks at: one whose last
// order crosses 90 days between the runs is a candidate and enters; one far
// from the boundary is not looked at (even though it would match).
func TestSegmentTimeWindows(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		prev := segNow.Add(-24 * time.Hour)
		must(t, s.UpsertOrders(ctx, "seg", []MirrorOrder{
			{ID: 1, Email: "crossing@x.io", StatusID: 10, DateCreated: segNow.AddDate(0, 0, -90).Add(-time.Hour), DateModified: segNow},
			{ID: 2, Email: "far@x.io", StatusID: 10, DateCreated: segNow.AddDate(0, 0, -300), DateModified: segNow},
			{ID: 3, Email: "recent@x.io", StatusID: 10, DateCreated: segNow.AddDate(0, 0, -10), DateModified: segNow},
		}))
		q, err := s.CompileSegment(config.Rule{LastOrder: &config.DateRange{OlderThan: ptr(config.Duration(90 * 24 * time.Hour))}},
			SegmentEnv{Now: segNow})
		must(t, err)
		if !q.TimeBased() {
			t.Fatal("not time-based")
		}
		ws := q.TimeWindows(prev, segNow)
		if len(ws) != 1 || ws[0].Field != SegmentLastOrder || !ws[0].To.Equal(segNow.AddDate(0, 0, -90)) ||
			ws[0].From.After(prev.AddDate(0, 0, -90)) || ws[0].From.Before(prev.AddDate(0, 0, -90).Add(-time.Second)) {
			t.Fatalf("windows %+v", ws)
		}
		ch, err := s.EvaluateSegment(ctx, "seg", "at-risk", q, SegmentScope{Windows: ws}, segNow)
		must(t, err)
		if len(ch) != 1 || ch[0].Email != "crossing@x.io" || !ch[0].Entered {
			t.Fatalf("time-only run: %+v", ch)
		}
		if w := q.TimeWindows(segNow, segNow); w != nil {
			t.Fatalf("no time passed: %+v", w)
		}
		if w := q.TimeWindows(time.Time{}, segNow); len(w) != 1 || !w[0].From.IsZero() {
			t.Fatalf("never ran: %+v", w)
		}
		plain, err := s.CompileSegment(config.Rule{OrdersCount: &config.NumberRange{AtLeast: ptr(1.0)}}, SegmentEnv{Now: segNow})
		must(t, err)
		if plain.TimeBased() || plain.TimeWindows(prev, segNow) != nil {
			t.Fatal("orders_count is not time-based")
		}
		// A window scope also lets members leave: within 30d, a day later.
		q30, err := s.CompileSegment(config.Rule{LastOrder: &config.DateRange{Within: ptr(config.Duration(10 * 24 * time.Hour))}},
			SegmentEnv{Now: segNow.Add(-time.Hour)})
		must(t, err)
		ch, err = s.EvaluateSegment(ctx, "seg", "recent", q30, SegmentScope{}, segNow.Add(-time.Hour))
		must(t, err)
		if len(ch) != 1 || ch[0].Email != "recent@x.io" {
			t.Fatalf("recent: %+v", ch)
		}
		q30b, err := s.CompileSegment(config.Rule{LastOrder: &config.DateRange{Within: ptr(config.Duration(10 * 24 * time.Hour))}},
			SegmentEnv{Now: segNow.Add(2 * time.Hour)})
		must(t, err)
		ch, err = s.EvaluateSegment(ctx, "seg", "recent", q30b,
			SegmentScope{Windows: q30b.TimeWindows(segNow.Add(-time.Hour), segNow.Add(2*time.Hour))}, segNow.Add(2*time.Hour))
		must(t, err)
		if len(ch) != 1 || ch[0].Entered {
			t.Fatalf("recent leaves: %+v", ch)
		}
	})
}

// Concurrent evaluations of one shopper never make two current stints.
func TestSegmentConcurrentEvaluations(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		must(t, s.UpsertOrders(ctx, "seg", []MirrorOrder{{ID: 1, Email: "a@x.io", StatusID: 10, DateCreated: segNow,
			DateModified: segNow}}))
		q, err := s.CompileSegment(config.Rule{OrdersCount: &config.NumberRange{AtLeast: ptr(1.0)}}, SegmentEnv{})
		must(t, err)
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := range 8 {
			wg.Add(2)
			at := segNow.Add(time.Duration(i) * time.Millisecond)
			go func() {
				defer wg.Done()
				_, err := s.EvaluateSegments(ctx, "seg", map[string]*SegmentQuery{"b": q}, []string{"a@x.io"}, at)
				errs <- err
			}()
			go func() {
				defer wg.Done()
				_, err := s.EvaluateSegment(ctx, "seg", "b", q, SegmentScope{}, at)
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			must(t, err)
		}
		if ms := stintsOf(t, s, "a@x.io"); len(ms) != 1 {
			t.Fatalf("stints: %+v", ms)
		}
	})
}

// The side tables follow the orders and products.
func TestSegmentSideTables(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		codes := func() []string {
			rows, err := s.db.QueryContext(ctx, `SELECT code_lc FROM mirror_order_coupons ORDER BY code_lc`)
			must(t, err)
			defer rows.Close()
			var out []string
			for rows.Next() {
				var c string
				must(t, rows.Scan(&c))
				out = append(out, c)
			}
			return out
		}
		cats := func() []int64 {
			rows, err := s.db.QueryContext(ctx, `SELECT category_id FROM mirror_product_categories ORDER BY category_id`)
			must(t, err)
			defer rows.Close()
			var out []int64
			for rows.Next() {
				var c int64
				must(t, rows.Scan(&c))
				out = append(out, c)
			}
			return out
		}
		must(t, s.UpsertOrders(ctx, "seg", []MirrorOrder{{ID: 1, Email: "a@x.io", CouponCodes: []string{"A", " a ", "B", ""},
			DateModified: segNow}}))
		if got := codes(); !slices.Equal(got, []string{"a", "b"}) {
			t.Fatalf("codes %v", got)
		}
		must(t, s.UpsertOrders(ctx, "seg", []MirrorOrder{{ID: 1, Email: "a@x.io", CouponCodes: []string{"C"},
			DateModified: segNow.Add(-time.Hour)}})) // stale
		must(t, s.UpsertOrders(ctx, "seg", []MirrorOrder{{ID: 1, Email: "a@x.io", CouponCodes: []string{"C"},
			DateModified: segNow.Add(time.Hour)}}))
		if got := codes(); !slices.Equal(got, []string{"c"}) {
			t.Fatalf("codes after update %v", got)
		}
		must(t, s.UpsertProducts(ctx, "seg", []MirrorProduct{{ID: 1, CategoryIDs: []int{3, 4}, DateModified: segNow}}))
		must(t, s.UpsertProducts(ctx, "seg", []MirrorProduct{{ID: 1, CategoryIDs: []int{5}, DateModified: segNow.Add(-time.Hour)}}))
		if got := cats(); !slices.Equal(got, []int64{3, 4}) {
			t.Fatalf("categories after a stale page %v", got)
		}
		must(t, s.UpsertProducts(ctx, "seg", []MirrorProduct{{ID: 1, CategoryIDs: []int{5}, DateModified: segNow.Add(time.Hour)}}))
		if got := cats(); !slices.Equal(got, []int64{5}) {
			t.Fatalf("categories %v", got)
		}
		must(t, s.DeleteMirrorProduct(ctx, "seg", 1))
		if got := cats(); len(got) != 0 {
			t.Fatalf("categories after delete %v", got)
		}
	})
}

// Migration 00006 fills the side tables from the JSON columns of existing
// rows.
func TestSegmentMigrationBackfill(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		must(t, s.UpsertOrders(ctx, "seg", []MirrorOrder{{ID: 1, Email: "a@x.io", CouponCodes: []string{"Spring", " x "},
			DateModified: segNow}}))
		must(t, s.UpsertProducts(ctx, "seg", []MirrorProduct{{ID: 1, CategoryIDs: []int{3, 4}, DateModified: segNow}}))
		p := migrationProvider(t, s)
		_, err := p.DownTo(ctx, 5)
		must(t, err)
		_, err = p.Up(ctx)
		must(t, err)
		var n int
		must(t, s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM mirror_order_coupons WHERE code_lc IN ('spring', 'x')`).Scan(&n))
		if n != 2 {
			t.Fatalf("%d coupon rows, want 2", n)
		}
		must(t, s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM mirror_product_categories WHERE category_id IN (3, 4)`).Scan(&n))
		if n != 2 {
			t.Fatalf("%d category rows, want 2", n)
		}
	})
}

func TestSegmentProfilesAndTargets(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		must(t, s.SaveShopperProfileIDs(ctx, "seg", map[int64]string{1: "p1", 2: "p2"}))
		must(t, s.SaveShopperProfileIDs(ctx, "seg", map[int64]string{2: "p2b"}))
		got, err := s.ShopperProfileIDs(ctx, "seg", []int64{1, 2, 3})
		must(t, err)
		if len(got) != 2 || got[1] != "p1" || got[2] != "p2b" {
			t.Fatalf("profiles %v", got)
		}
		must(t, s.SaveSegmentTarget(ctx, "seg", SegmentTarget{Segment: "vip", BigCommerceID: "bc-1"}))
		must(t, s.SaveSegmentTarget(ctx, "seg", SegmentTarget{Segment: "vip", BrevoListID: 42}))
		ts, err := s.SegmentTargets(ctx, "seg")
		must(t, err)
		if v := ts["vip"]; v.BigCommerceID != "bc-1" || v.BrevoListID != 42 || v.UpdatedAt.IsZero() {
			t.Fatalf("targets %+v", ts)
		}
		names, err := s.SegmentNames(ctx, "seg")
		must(t, err)
		if !slices.Equal(names, []string{"vip"}) {
			t.Fatalf("names %v", names)
		}
	})
}

// A time-only run over TimeWindows(prev, now) after a full run at prev gives
// the members a full run at now gives, for random relative-date rules over
// shoppers whose dates sit on and around the boundaries.
func TestSegmentTimeWindowsProperty(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		seed := uint64(time.Now().UnixNano())
		t.Logf("seed %d", seed)
		rng := rand.New(rand.NewPCG(seed, 7))
		prev := segNow.Add(-36 * time.Hour)
		days := []int{1, 2, 30, 90}
		var orders []MirrorOrder
		id := int64(0)
		for _, d := range days {
			for _, base := range []time.Time{prev, segNow} {
				for _, off := range []time.Duration{-time.Microsecond, 0, time.Microsecond, -time.Hour, time.Hour} {
					id++
					created := base.Add(-time.Duration(d)*24*time.Hour + off)
					orders = append(orders, MirrorOrder{ID: id, Email: fmt.Sprintf("s%d@x.io", id%23), StatusID: 10,
						DateCreated: created, DateModified: segNow})
				}
			}
		}
		for range 20 {
			id++
			orders = append(orders, MirrorOrder{ID: id, Email: fmt.Sprintf("s%d@x.io", id%23), StatusID: 10,
				DateCreated: segNow.Add(-time.Duration(rng.IntN(200*24)) * time.Hour), DateModified: segNow})
		}
		must(t, s.UpsertOrders(ctx, "seg", orders))
		dr := func() *config.DateRange {
			d := ptr(config.Duration(time.Duration(days[rng.IntN(len(days))]) * 24 * time.Hour))
			if rng.IntN(2) == 0 {
				return &config.DateRange{OlderThan: d}
			}
			return &config.DateRange{Within: d}
		}
		for i := range 30 {
			leaf := func() config.Rule {
				if rng.IntN(2) == 0 {
					return config.Rule{LastOrder: dr()}
				}
				return config.Rule{FirstOrder: dr()}
			}
			r := config.Rule{Any: []config.Rule{leaf(), {Not: ptr(leaf())}}}
			if rng.IntN(2) == 0 {
				r = config.Rule{All: []config.Rule{leaf(), leaf()}}
			}
			qPrev, err := s.CompileSegment(r, SegmentEnv{Now: prev})
			must(t, err)
			qNow, err := s.CompileSegment(r, SegmentEnv{Now: segNow})
			must(t, err)
			timed, full := fmt.Sprintf("timed%d", i), fmt.Sprintf("full%d", i)
			_, err = s.EvaluateSegment(ctx, "seg", timed, qPrev, SegmentScope{}, prev)
			must(t, err)
			_, err = s.EvaluateSegment(ctx, "seg", timed, qNow, SegmentScope{Windows: qNow.TimeWindows(prev, segNow)}, segNow)
			must(t, err)
			_, err = s.EvaluateSegment(ctx, "seg", full, qNow, SegmentScope{}, segNow)
			must(t, err)
			if a, b := currentMembers(t, s, timed), currentMembers(t, s, full); !slices.Equal(a, b) {
				t.Fatalf("rule %s: time-only run %v, full run %v (seed %d)", ruleString(r), a, b, seed)
			}
		}
	})
}
