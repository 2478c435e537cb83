package activities

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/config"
)

// fakeSegments is a SegmentEngine that records what activities ask of it
// (the engine itself is tested in package segments).
type fakeSegments struct {
	mu        sync.Mutex
	evaluated [][]string
	changes   []SegmentChange
	err       error
	stints    []SegmentStint
	bcID      string
	bcErr     error
}

func (f *fakeSegments) EvaluateShoppers(_ context.Context, _ string, emails ...string) ([]SegmentChange, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.evaluated = append(f.evaluated, emails)
	return f.changes, f.err
}
func (f *fakeSegments) SegmentNames(context.Context, string) ([]string, error) { return nil, nil }
func (f *fakeSegments) Recompute(_ context.Context, _, segment string, _ bool, progress func(SegmentProgress)) (SegmentRecomputeResult, error) {
	progress(SegmentProgress{Segment: segment, Done: 1, Total: 1})
	return SegmentRecomputeResult{Segments: 1, Evaluated: 1}, nil
}
func (f *fakeSegments) Push(context.Context, string, int) (SegmentPushResult, error) {
	return SegmentPushResult{}, nil
}
func (f *fakeSegments) PendingCrossings(context.Context, string, int) ([]SegmentCrossing, error) {
	return nil, nil
}
func (f *fakeSegments) MarkCrossings(context.Context, string, []SegmentCrossing) error { return nil }
func (f *fakeSegments) ShopperSegments(context.Context, string, string) ([]SegmentStint, error) {
	return f.stints, nil
}
func (f *fakeSegments) BigCommerceSegmentID(context.Context, string, string) (string, error) {
	return f.bcID, f.bcErr
}

// lastEvaluated is the emails of the last evaluation.
func (f *fakeSegments) lastEvaluated() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.evaluated) == 0 {
		return nil
	}
	return f.evaluated[len(f.evaluated)-1]
}

type fakeNudger struct {
	mu         sync.Mutex
	nudges     int
	recomputes []string
}

func (n *fakeNudger) NudgeSegments(context.Context, string) error {
	n.mu.Lock()
	n.nudges++
	n.mu.Unlock()
	return nil
}
func (n *fakeNudger) NudgeRecompute(_ context.Context, storeHash, segment string, timeOnly bool) error {
	n.mu.Lock()
	n.recomputes = append(n.recomputes, storeHash+"/"+segment)
	n.mu.Unlock()
	return nil
}

func withSegments(a *Activities) (*fakeSegments, *fakeNudger) {
	f, n := &fakeSegments{}, &fakeNudger{}
	a.Segments, a.Nudger = f, n
	return f, n
}

// A mirrored order evaluates its shopper's segments in the same activity
// and nudges the segment sync when a membership changed; an evaluation
// that fails fails the activity (it is retried).
func TestLoadOrderEvaluatesTheShoppersSegments(t *testing.T) {
	w := newOrderActs(t)
	ctx := context.Background()
	f, n := withSegments(w.acts)
	id := w.order(4, "", 11, "", item("TEE-M", 1))
	if _, err := w.acts.LoadOrder(ctx, OrderInput{StoreHash: w.hash, OrderID: id, Mirror: true}); err != nil {
		t.Fatal(err)
	}
	if got := f.lastEvaluated(); !slices.Contains(got, "vip@example.com") {
		t.Fatalf("evaluated %v, want the order's shopper", got)
	}
	if n.nudges != 0 {
		t.Fatalf("%d nudges without a change", n.nudges)
	}
	f.changes = []SegmentChange{{Segment: "first-time-buyers", Email: "vip@example.com", CustomerID: 4, Entered: true}}
	if _, err := w.acts.LoadOrder(ctx, OrderInput{StoreHash: w.hash, OrderID: id, Mirror: true}); err != nil {
		t.Fatal(err)
	}
	if n.nudges != 1 {
		t.Fatalf("%d nudges after a change, want 1", n.nudges)
	}
	// Without Mirror (a flow's own read), nothing is evaluated.
	before := len(f.evaluated)
	if _, err := w.acts.LoadOrder(ctx, OrderInput{StoreHash: w.hash, OrderID: id}); err != nil {
		t.Fatal(err)
	}
	if len(f.evaluated) != before {
		t.Fatal("a read without the mirror evaluated segments")
	}
	f.err = errors.New("database down")
	if _, err := w.acts.LoadOrder(ctx, OrderInput{StoreHash: w.hash, OrderID: id, Mirror: true}); err == nil {
		t.Fatal("a failed evaluation did not fail the activity")
	}
}

// SyncContact and the loyalty writes evaluate the customer's segments.
func TestContactAndLoyaltyWritesEvaluateTheCustomer(t *testing.T) {
	w := newOrderActs(t)
	ctx := context.Background()
	w.acts.Flows = config.DefaultFlows()
	f, _ := withSegments(w.acts)
	if _, err := w.acts.SyncContact(ctx, SyncContactInput{StoreHash: w.hash, CustomerID: 4}); err != nil {
		t.Fatal(err)
	}
	if got := f.lastEvaluated(); !slices.Equal(got, []string{"vip@example.com"}) {
		t.Fatalf("SyncContact evaluated %v", got)
	}
	f.evaluated = nil
	if _, err := w.acts.AppendLoyaltyEntry(ctx, LoyaltyEntryInput{StoreHash: w.hash, CustomerID: 4, Kind: LedgerBonus, Points: 50,
		IdempotencyKey: "bonus/test/4", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := w.acts.SetLoyaltyTier(ctx, LoyaltyTierInput{StoreHash: w.hash, CustomerID: 4, Tier: "Gold"}); err != nil {
		t.Fatal(err)
	}
	if len(f.evaluated) != 2 || !slices.Equal(f.evaluated[0], []string{"vip@example.com"}) {
		t.Fatalf("loyalty writes evaluated %v", f.evaluated)
	}
	// A customer bcflow has not mirrored has no shopper to evaluate.
	f.evaluated = nil
	if err := w.acts.SetLoyaltyTier(ctx, LoyaltyTierInput{StoreHash: w.hash, CustomerID: 999, Tier: "Gold"}); err != nil {
		t.Fatal(err)
	}
	if len(f.evaluated) != 0 {
		t.Fatalf("evaluated %v for an unknown customer", f.evaluated)
	}
}

// A bulk sync evaluates nothing page by page; its end asks for a full
// recompute (historical, manual, the customers reconcile), not the
// catalog's reconcile.
func TestFinishSyncAsksForASegmentRecompute(t *testing.T) {
	w := newOrderActs(t)
	ctx := context.Background()
	_, n := withSegments(w.acts)
	for _, kind := range []string{SyncHistorical, SyncReconcileProducts, SyncReconcileCustomers} {
		if err := w.acts.FinishSync(ctx, FinishSyncInput{StoreHash: w.hash, Kind: kind, Status: SyncCompleted}); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(n.recomputes, []string{w.hash + "/", w.hash + "/"}) {
		t.Fatalf("recomputes %v", n.recomputes)
	}
}

func TestCheckSegmentMembership(t *testing.T) {
	a := &Activities{}
	f, _ := withSegments(a)
	ctx := context.Background()
	entered := time.Date(2026, 3, 1, 10, 0, 0, 123456000, time.UTC)
	f.stints = []SegmentStint{{Segment: "at-risk", Email: "ann@example.com", EnteredAt: entered}}
	check := func(entered bool, at time.Time) SegmentMembership {
		t.Helper()
		m, err := a.CheckSegmentMembership(ctx, SegmentMembershipInput{StoreHash: "abc", Segment: "at-risk", Email: "Ann@Example.com",
			Entered: entered, At: at})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	// The stint that began at the crossing (as the database rounds it) lasts.
	if m := check(true, entered.Add(400*time.Nanosecond)); !m.Holds {
		t.Fatalf("entry: %+v", m)
	}
	// An earlier entry's flow: that stint ended, this one is another.
	if m := check(true, entered.Add(-48*time.Hour)); m.Holds || m.Reason != SegmentReasonLeft {
		t.Fatalf("earlier entry: %+v", m)
	}
	// A leave flow: the shopper is back in.
	if m := check(false, entered.Add(-time.Hour)); m.Holds || m.Reason != SegmentReasonReentered {
		t.Fatalf("leave, re-entered: %+v", m)
	}
	f.stints[0].LeftAt = entered.Add(time.Hour)
	if m := check(true, entered); m.Holds || m.Reason != SegmentReasonLeft {
		t.Fatalf("entry after leaving: %+v", m)
	}
	if m := check(false, entered.Add(time.Hour)); !m.Holds {
		t.Fatalf("leave, still out: %+v", m)
	}
}

// A step coupon restricted to a segment: under a promotion of its own
// targeting the BigCommerce segment; in a store without the Segmentation
// API, an unavailable coupon with the reason, not an error.
func TestEnsureCouponForASegment(t *testing.T) {
	w := newOrderActs(t)
	ctx := context.Background()
	f, _ := withSegments(w.acts)
	bc := w.acts.BigCommerce[w.hash]
	segs, err := bc.CreateSegments(ctx, bigcommerce.SegmentInput{Name: "VIP"})
	if err != nil {
		t.Fatal(err)
	}
	f.bcID = segs[0].ID
	c, err := w.acts.EnsureCoupon(ctx, CouponInput{StoreHash: w.hash, Code: "BCF-SEG1", Percent: 15, Segment: "vip",
		ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil || c.Code != "BCF-SEG1" || c.Unavailable != "" {
		t.Fatalf("coupon %+v, %v", c, err)
	}
	page, err := bc.ListPromotions(ctx, bigcommerce.PromotionFilter{Name: "bcflow: 15% off, segment vip"})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("promotions %+v, %v", page.Items, err)
	}
	if s := page.Items[0].Customer.Segments; s == nil || !slices.Equal(s.IDs, []string{f.bcID}) {
		t.Fatalf("promotion's segments %+v", s)
	}

	f.bcErr = ErrSegmentationUnavailable
	c, err = w.acts.EnsureCoupon(ctx, CouponInput{StoreHash: w.hash, Code: "BCF-SEG2", Percent: 15, Segment: "vip"})
	if err != nil || c.Code != "" || c.Unavailable == "" {
		t.Fatalf("coupon %+v, %v: want unavailable with a reason", c, err)
	}
}
