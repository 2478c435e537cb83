package analytics

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/store"
)

func moneyOf(units int64) store.Money { return store.Money(units) }

// cents makes Money from an amount in cents.
func cents(c int64) store.Money { return store.Money(c * 100) }

// threeDays is 2026-11-01..03, after 2026-10-29..31.
var threeDays = Query{Period: Range{"2026-11-01", "2026-11-03"}, Previous: Range{"2026-10-29", "2026-10-31"}}

func row(day, kind, k1, k2, k3, k4 string, n int64, amount store.Money) RollupRow {
	return RollupRow{Day: day, Kind: kind, K1: k1, K2: k2, K3: k3, K4: k4, N: n, Amount: amount}
}

// storeRows is a store's rollups around threeDays: orders, customers, a
// cart flow (two steps, a holdout step that must not count), goals and
// loyalty; and rows outside both periods that must not count either.
var storeRows = []RollupRow{
	row("2026-11-01", KindOrders, "", "", "", "", 2, cents(10000)),
	row("2026-11-03", KindOrders, "", "", "", "", 1, cents(5050)),
	row("2026-10-30", KindOrders, "", "", "", "", 1, cents(2000)),
	row("2026-10-01", KindOrders, "", "", "", "", 9, cents(99900)),
	row("2026-11-02", KindCustomers, "", "", "", "", 3, 0),
	row("2026-10-31", KindCustomers, "", "", "", "", 1, 0),
	row("2026-11-01", KindEntered, "cart-recovery", "", "", "", 4, 0),
	row("2026-10-29", KindEntered, "cart-recovery", "", "", "", 2, 0),
	row("2026-11-01", KindDecision, "cart-recovery", "reminder-1", "sent", "", 4, 0),
	row("2026-11-02", KindDecision, "cart-recovery", "reminder-2", "sent", "", 2, 0),
	row("2026-11-01", KindDecision, "cart-recovery", "reminder-2", "skipped", "quiet hours", 1, 0),
	row("2026-11-02", KindDecision, "cart-recovery", "reminder-2", "skipped", "no consent", 2, 0),
	row("2026-11-02", KindDecision, "cart-recovery", "reminder-2", "unknown", "timeout", 1, 0),
	row("2026-11-03", KindDecision, "cart-recovery", "reminder-2", "failed", "timeout", 1, 0),
	row("2026-10-30", KindDecision, "cart-recovery", "reminder-2", "skipped", "quiet hours", 5, 0),
	row("2026-11-03", KindDecision, "cart-recovery", "reminder-2", "recovered", "", 1, cents(8000)),
	row("2026-11-01", KindDecision, "cart-recovery", "holdout", "assigned", "messaged", 5, 0),
	row("2026-11-03", KindDecision, "cart-recovery", "holdout", "converted", "messaged", 1, cents(8000)),
	row("2026-11-03", KindDecision, "cart-recovery", "holdout", "sent", "", 7, 0), // never a funnel row
	row("2026-11-02", KindEngagement, "cart-recovery", "reminder-1", "delivered", "", 4, 0),
	row("2026-11-02", KindEngagement, "cart-recovery", "reminder-1", "opened", "", 3, 0),
	row("2026-11-03", KindEngagement, "cart-recovery", "reminder-1", "clicked", "", 1, 0),
	row("2026-10-31", KindEngagement, "cart-recovery", "reminder-1", "opened", "", 2, 0),
	row("2026-11-02", KindDecision, "order-goals", "", "goal_reached", "", 2, 0),
	row("2026-11-01", KindLoyalty, "", "", "award", "", 2, 150),
	row("2026-11-02", KindLoyalty, "", "", "bonus", "", 1, 50),
	row("2026-11-03", KindLoyalty, "", "", "redemption", "", 1, -100),
	row("2026-11-03", KindLoyalty, "", "", "reversal", "", 1, -30),
	row("2026-10-29", KindLoyalty, "", "", "award", "", 1, 40),
}

func TestComposeOverview(t *testing.T) {
	by := []ChannelFigures{{ChannelID: 1, CustomersTotal: 7, Orders: 2, Revenue: "100.00"}}
	got := ComposeOverview(threeDays, storeRows, 42, by, []TierCount{{Tier: "Bronze", Members: 5}, {Tier: "Gold", Members: 1}})
	want := Overview{
		Period: threeDays.Period, Previous: threeDays.Previous,
		Store: StoreFigures{CustomersTotal: 42, CustomersNew: Count{3, 1}, Orders: Count{3, 1}, Revenue: Amount{"150.50", "20.00"},
			AverageOrderValue: Amount{"50.17", "20.00"}, ByChannel: by},
		Flows: FlowTotals{Entered: Count{4, 2}, Sent: Count{6, 0}, Converted: Count{1, 0}, RecoveredRevenue: Amount{"80.00", "0.00"},
			GoalsReached: Count{2, 0}},
		Loyalty: LoyaltyTotals{Members: 6, PointsIssued: Count{200, 40}, PointsRedeemed: Count{100, 0}},
		Series: []OverviewDay{
			{Day: "2026-11-01", Orders: 2, Revenue: "100.00", Sent: 4, RecoveredRevenue: "0.00"},
			{Day: "2026-11-02", Revenue: "0.00", CustomersNew: 3, Sent: 2, RecoveredRevenue: "0.00"},
			{Day: "2026-11-03", Orders: 1, Revenue: "50.50", RecoveredRevenue: "80.00"},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %s\nwant %s", js(got), js(want))
	}
}

func TestComposeOverviewEmpty(t *testing.T) {
	got := ComposeOverview(threeDays, nil, 0, nil, nil)
	if got.Store.AverageOrderValue != (Amount{"0.00", "0.00"}) || got.Store.ByChannel == nil || len(got.Series) != 3 {
		t.Fatalf("got %s", js(got))
	}
	b := js(got)
	if !json.Valid([]byte(b)) {
		t.Fatal(b)
	}
}

func TestComposeFlows(t *testing.T) {
	order := func(flow string) []string {
		if flow == "cart-recovery" {
			return []string{"reminder-1", "reminder-2", "reminder-3"}
		}
		return nil
	}
	rows := append([]RollupRow{
		// a step the file no longer names comes after the named ones
		row("2026-11-02", KindDecision, "cart-recovery", "a-retired-step", "sent", "", 1, 0),
		row("2026-11-02", KindDecision, "review-request", "ask", "sent", "", 3, 0),
		row("2026-11-03", KindDecision, "review-request", "ask", "converted", "", 1, cents(1234)),
		// the order hub keeps books without steps: no funnel, no entries
		row("2026-11-02", KindEntered, "order-lifecycle", "", "", "", 5, 0),
		row("2026-11-02", KindDecision, "order-lifecycle", "", "sent", "", 3, 0),
	}, storeRows...)
	got := ComposeFlows(threeDays, rows, order)
	// order-goals recorded only step-less goals reached, the hub only its books.
	if len(got.Flows) != 2 || got.Flows[0].Flow != "cart-recovery" || got.Flows[1].Flow != "review-request" {
		t.Fatalf("flows: %s", js(got))
	}
	if o := ComposeOverview(threeDays, rows, 0, nil, nil); o.Flows.Sent != (Count{10, 0}) || o.Flows.Entered != (Count{4, 2}) {
		t.Fatalf("overview sent %+v entered %+v, want the steps' 10 sends and cart recovery's entries only", o.Flows.Sent, o.Flows.Entered)
	}
	cart := got.Flows[0]
	wantFlow := Funnel{Sent: Count{7, 0}, Delivered: Count{4, 0}, Opened: Count{3, 2}, Clicked: Count{1, 0},
		Skipped: Count{3, 5}, Failed: Count{2, 0}, Converted: Count{1, 0}, Revenue: Amount{"80.00", "0.00"}}
	if cart.Entered != (Count{4, 2}) || cart.Funnel != wantFlow {
		t.Fatalf("cart flow: %s", js(cart))
	}
	var steps []string
	for _, s := range cart.Steps {
		steps = append(steps, s.Step)
	}
	if !reflect.DeepEqual(steps, []string{"reminder-1", "reminder-2", "a-retired-step"}) {
		t.Fatalf("steps %v (the holdout step is not one)", steps)
	}
	r1 := cart.Steps[0]
	if r1.Funnel != (Funnel{Sent: Count{4, 0}, Delivered: Count{4, 0}, Opened: Count{3, 2}, Clicked: Count{1, 0}, Revenue: Amount{"0.00", "0.00"}}) || len(r1.Reasons) != 0 {
		t.Fatalf("reminder-1: %s", js(r1))
	}
	r2 := cart.Steps[1]
	if r2.Funnel != (Funnel{Sent: Count{2, 0}, Skipped: Count{3, 5}, Failed: Count{2, 0}, Converted: Count{1, 0}, Revenue: Amount{"80.00", "0.00"}}) {
		t.Fatalf("reminder-2: %s", js(r2))
	}
	// Reasons of the period only, unknown counted as failed, most first.
	wantReasons := []Reason{{"failed", "timeout", 2}, {"skipped", "no consent", 2}, {"skipped", "quiet hours", 1}}
	if !reflect.DeepEqual(r2.Reasons, wantReasons) {
		t.Fatalf("reasons %+v", r2.Reasons)
	}
	review := got.Flows[1]
	if review.Sent != (Count{3, 0}) || review.Converted != (Count{1, 0}) || review.Revenue != (Amount{"12.34", "0.00"}) || review.Entered != (Count{}) {
		t.Fatalf("review: %s", js(review))
	}
}

func TestComposeLoyalty(t *testing.T) {
	tiers := []TierCount{{Tier: "Bronze", Members: 5, Points: 1000}, {Tier: "Gold", Members: 1, Points: 500}, {Tier: "Legacy", Members: 1, Points: 0}}
	got := ComposeLoyalty(threeDays, storeRows, tiers, []string{"Bronze", "Silver", "Gold"}, config.Redemption{Enabled: true, PointsPerCoupon: 500, CouponValue: 5})
	want := Loyalty{
		Period: threeDays.Period, Previous: threeDays.Previous, Members: 7,
		MembersByTier:  []TierMembers{{"Bronze", 5}, {"Silver", 0}, {"Gold", 1}, {"Legacy", 1}},
		PointsIssued:   Count{200, 40},
		PointsRedeemed: Count{100, 0},
		RedemptionRate: Rate{0.5, 0},
		// 1500 points = 3 coupons of 5.00
		OutstandingPoints: 1500, OutstandingLiability: "15.00",
		Series: []LoyaltyDay{{"2026-11-01", 150, 0}, {"2026-11-02", 50, 0}, {"2026-11-03", 0, 100}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %s\nwant %s", js(got), js(want))
	}
	// Without redemption the points are worth nothing; a partial coupon counts pro rata.
	if l := ComposeLoyalty(threeDays, nil, tiers, nil, config.Redemption{}); l.OutstandingLiability != "0.00" || l.RedemptionRate != (Rate{}) {
		t.Fatalf("no redemption: %s", js(l))
	}
	if l := ComposeLoyalty(threeDays, nil, tiers, nil, config.Redemption{PointsPerCoupon: 1000, CouponValue: 7.5}); l.OutstandingLiability != "11.25" {
		t.Fatalf("pro rata: %s", l.OutstandingLiability)
	}
}

func TestComposeSegments(t *testing.T) {
	rows := []RollupRow{
		row("2026-11-02", KindSegment, "vip", "", "entered", "", 3, 0),
		row("2026-11-03", KindSegment, "vip", "", "left", "", 1, 0),
		row("2026-11-05", KindSegment, "vip", "", "entered", "", 2, 0), // after the period
		row("2026-10-30", KindSegment, "vip", "", "entered", "", 4, 0),
		row("2026-10-31", KindSegment, "vip", "", "left", "", 1, 0),
		row("2026-11-01", KindSegment, "old_list", "", "left", "", 2, 0),
	}
	got := ComposeSegments(threeDays, rows, map[string]int{"vip": 10}, []SegmentTitle{{"vip", "VIP shoppers"}, {"lapsed", "Lapsed"}})
	want := Segments{Period: threeDays.Period, Previous: threeDays.Previous, Segments: []SegmentView{
		// now 10; +2 after the period: 8 at the end of 11-03, 9 at the end of 11-02 (1 left on 11-03), 6 at the end of 11-01 (3 entered on 11-02)
		{Name: "vip", Title: "VIP shoppers", Size: 10, Entered: Count{3, 4}, Left: Count{1, 1},
			Series: []SegmentDay{{"2026-11-01", 6}, {"2026-11-02", 9}, {"2026-11-03", 8}}},
		{Name: "lapsed", Title: "Lapsed", Series: []SegmentDay{{"2026-11-01", 0}, {"2026-11-02", 0}, {"2026-11-03", 0}}},
		{Name: "old_list", Title: "old_list", Left: Count{2, 0}, Series: []SegmentDay{{"2026-11-01", 0}, {"2026-11-02", 0}, {"2026-11-03", 0}}},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %s\nwant %s", js(got), js(want))
	}
}

func TestCompareHoldout(t *testing.T) {
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	cases := []struct {
		name                      string
		messaged, holdout         GroupCounts
		diff, lo, hi              float64
		revenue, revLo, revHi     string
		significant               bool
		messagedRate, holdoutRate float64
	}{
		// p1 = 0.15, p0 = 0.10; se = sqrt(.15*.85/200 + .1*.9/200) = sqrt(0.0010875) = 0.0329772649;
		// ±1.959964*se = ±0.0646342515; mean order 5000/50 = 100; × 200 carts × 100.
		{name: "not significant", messaged: GroupCounts{200, 30, cents(300000)}, holdout: GroupCounts{200, 20, cents(200000)},
			diff: 0.05, lo: -0.0146342515, hi: 0.1146342515, revenue: "1000.00", revLo: "-292.69", revHi: "2292.69",
			messagedRate: 0.15, holdoutRate: 0.10},
		// p1 = 0.2, p0 = 0.1; se = sqrt(.16/1000 + .09/1000) = 0.0158113883; ±0.0309897516; mean 50; × 1000 × 50.
		{name: "significant", messaged: GroupCounts{1000, 200, cents(1000000)}, holdout: GroupCounts{1000, 100, cents(500000)},
			diff: 0.1, lo: 0.0690102484, hi: 0.1309897516, revenue: "5000.00", revLo: "3450.51", revHi: "6549.49", significant: true,
			messagedRate: 0.2, holdoutRate: 0.1},
		{name: "no held-out cart", messaged: GroupCounts{10, 2, cents(1000)}, revenue: "0.00", revLo: "0.00", revHi: "0.00", messagedRate: 0.2},
		{name: "nothing at all", revenue: "0.00", revLo: "0.00", revHi: "0.00"},
		{name: "no conversion", messaged: GroupCounts{10, 0, 0}, holdout: GroupCounts{10, 0, 0}, revenue: "0.00", revLo: "0.00", revHi: "0.00"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Compare(c.messaged, c.holdout)
			if !near(got.RateDifference, c.diff) || !near(got.RateDifferenceCI95[0], c.lo) || !near(got.RateDifferenceCI95[1], c.hi) {
				t.Errorf("difference %v %v, want %v [%v %v]", got.RateDifference, got.RateDifferenceCI95, c.diff, c.lo, c.hi)
			}
			if got.IncrementalRevenue != c.revenue || got.IncrementalRevenueCI95 != [2]string{c.revLo, c.revHi} || got.Significant != c.significant {
				t.Errorf("got %s", js(got))
			}
			if !near(got.Messaged.Rate, c.messagedRate) || !near(got.Holdout.Rate, c.holdoutRate) || got.Messaged.Carts != c.messaged.Carts {
				t.Errorf("groups %s", js(got))
			}
			if math.IsNaN(got.RateDifference) || math.IsNaN(got.RateDifferenceCI95[0]) {
				t.Error("NaN")
			}
		})
	}
}

func TestComposeHoldout(t *testing.T) {
	rows := []RollupRow{
		row("2026-11-01", KindDecision, "cart-recovery", "holdout", "assigned", "messaged", 200, 0),
		row("2026-11-02", KindDecision, "cart-recovery", "holdout", "assigned", "holdout", 200, 0),
		row("2026-11-02", KindDecision, "cart-recovery", "holdout", "converted", "messaged", 30, cents(300000)),
		row("2026-11-03", KindDecision, "cart-recovery", "holdout", "converted", "holdout", 20, cents(200000)),
		row("2026-10-31", KindDecision, "cart-recovery", "holdout", "assigned", "holdout", 50, 0), // previous period
		row("2026-11-02", KindDecision, "cart-recovery", "reminder-1", "recovered", "", 30, cents(300000)),
	}
	got := ComposeHoldout(threeDays, rows, 50)
	if got.Percent != 50 || got.Period != threeDays.Period || got.Messaged != (HoldoutGroup{200, 30, 0.15, "3000.00"}) ||
		got.Holdout != (HoldoutGroup{200, 20, 0.1, "2000.00"}) || got.IncrementalRevenue != "1000.00" {
		t.Fatalf("got %s", js(got))
	}
}

func TestServiceReadsThePeriodsAndChannels(t *testing.T) {
	src := &fakeSource{
		rows: map[int64][]RollupRow{
			0: storeRows,
			1: {row("2026-11-01", KindOrders, "", "", "", "", 2, cents(10000)), row("2026-10-30", KindOrders, "", "", "", "", 1, cents(2000))},
			2: {row("2026-11-03", KindOrders, "", "", "", "", 1, cents(5050))},
		},
		customers: map[int64]int64{0: 42, 1: 30, 2: 12},
		sizes:     map[string]int{"high_value": 4},
		stores:    []string{"zzz999", "abc123"},
	}
	s := &Service{Source: src}
	ctx := context.Background()
	o, err := s.Overview(ctx, "abc123", threeDays)
	if err != nil {
		t.Fatal(err)
	}
	wantBy := []ChannelFigures{{1, 30, 2, "100.00"}, {2, 12, 1, "50.50"}}
	if !reflect.DeepEqual(o.Store.ByChannel, wantBy) || o.Store.CustomersTotal != 42 || o.Store.Revenue != (Amount{"150.50", "20.00"}) {
		t.Fatalf("overview %s", js(o.Store))
	}
	if !slices.Contains(src.asked, "2026-11-01..2026-11-03") || !slices.Contains(src.asked, "totals 2026-10-29..2026-10-31") ||
		slices.Contains(src.asked, "2026-10-29..2026-11-03") {
		t.Fatalf("asked %v", src.asked)
	}
	src.asked = nil
	seg, err := s.Segments(ctx, "abc123", threeDays)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(src.asked, []string{"2026-10-29..9999-12-31"}) || len(seg.Segments) < 5 || seg.Segments[0].Title == "" {
		t.Fatalf("segments asked %v: %s", src.asked, js(seg))
	}
	stores, err := s.Stores(ctx, []string{"abc123", "def456"})
	if err != nil {
		t.Fatal(err)
	}
	if len(stores) != 3 || stores[0].StoreHash != "abc123" || !reflect.DeepEqual(stores[0].Channels, []int64{1, 2}) || stores[2].StoreHash != "zzz999" {
		t.Fatalf("stores %s", js(stores))
	}
	h, err := s.Holdout(ctx, "abc123", threeDays)
	if err != nil {
		t.Fatal(err)
	}
	if h.Percent != 0 || h.Messaged.Carts != 5 || h.Messaged.Converted != 1 {
		t.Fatalf("holdout %s", js(h))
	}
	l, err := s.Loyalty(ctx, "abc123", threeDays)
	if err != nil {
		t.Fatal(err)
	}
	if l.PointsIssued != (Count{200, 40}) || len(l.MembersByTier) == 0 {
		t.Fatalf("loyalty %s", js(l))
	}
	f, err := s.Flows(ctx, "abc123", threeDays)
	if err != nil {
		t.Fatal(err)
	}
	if f.Flows[0].Steps[0].Step != "reminder-1" {
		t.Fatalf("flows %s", js(f))
	}
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
