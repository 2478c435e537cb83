package bigcommerce

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/bcflow/bcflow/emulator/bcemu"
)

func TestEmulatorSegmentsIdempotent(t *testing.T) {
	env, _ := newEmuEnv(t, bcemu.Options{}, nil)
	c, ctx := env.c, context.Background()
	seg := try(c.CreateSegments(ctx, SegmentInput{Name: "Repeat"})).must(t)[0].ID

	// Customer 9999 does not exist and 0 is a guest: the first create is
	// refused whole, the customers are read back, and 1, 2, 3 are created.
	res := try(c.EnsureShopperProfiles(ctx, 3, 1, 2, 9999, 0, 1)).must(t)
	if len(res.IDs) != 3 || res.Created != 3 || !slices.Equal(res.Missing, []int{0, 9999}) {
		t.Fatalf("first ensure %+v", res)
	}
	// 1 and 2 have a profile now: a 409, then only 4 is created.
	again := try(c.EnsureShopperProfiles(ctx, 1, 2, 4)).must(t)
	if again.Created != 1 || again.IDs[1] != res.IDs[1] || again.IDs[2] != res.IDs[2] || again.IDs[4] == "" || len(again.Missing) != 0 {
		t.Fatalf("second ensure %+v (first %+v)", again, res)
	}
	if n := env.ct.operations["POST /shopper-profiles"]; n != 4 {
		t.Errorf("%d create requests, want 4 (refused, retried; refused, retried)", n)
	}
	p1, p2, p3, p4 := res.IDs[1], res.IDs[2], res.IDs[3], again.IDs[4]

	try(c.AddProfilesToSegment(ctx, seg, p1, p3)).must(t)
	_, err := c.AddProfilesToSegment(ctx, seg, p2, p3, p1)
	if !IsConflict(err) {
		t.Fatalf("re-adding members: %v", err)
	}
	want := []string{p1, p3}
	slices.Sort(want)
	if got := ConflictingProfileIDs(err); !slices.Equal(got, want) {
		t.Errorf("conflicting ids %v, want %v", got, want)
	}
	if ConflictingProfileIDs(fmt.Errorf("wrapped: %w", err)) == nil {
		t.Error("a wrapped 409 names no ids")
	}
	if ConflictingProfileIDs(nil) != nil {
		t.Error("nil error names ids")
	}

	added := try(c.AddProfilesToSegmentIdempotent(ctx, seg, p1, p2, p3, p4, p2)).must(t)
	slices.Sort(added.Added)
	slices.Sort(added.Already)
	wantAdded, wantAlready := []string{p2, p4}, []string{p1, p3}
	slices.Sort(wantAdded)
	slices.Sort(wantAlready)
	if !slices.Equal(added.Added, wantAdded) || !slices.Equal(added.Already, wantAlready) {
		t.Errorf("idempotent add %+v, want added %v already %v", added, wantAdded, wantAlready)
	}
	if m := try(Collect(c.SegmentProfiles(ctx, seg))).must(t); len(m) != 4 {
		t.Errorf("members %d", len(m))
	}
	// Everything in already: a 409 each round, nothing added.
	all := try(c.AddProfilesToSegmentIdempotent(ctx, seg, p4, p3)).must(t)
	if len(all.Added) != 0 || len(all.Already) != 2 {
		t.Errorf("re-add of members %+v", all)
	}

	// Removing a profile that is not a member is not an error.
	try(0, c.RemoveProfilesFromSegment(ctx, seg, p1, p1)).must(t)
	try(0, c.RemoveProfilesFromSegment(ctx, seg, p1)).must(t)
	if m := try(Collect(c.SegmentProfiles(ctx, seg))).must(t); len(m) != 3 {
		t.Errorf("members after removal %d", len(m))
	}
	// A deleted segment is not found, not "feature unavailable".
	try(0, c.DeleteSegments(ctx, seg)).must(t)
	err = c.RemoveProfilesFromSegment(ctx, seg, p2)
	if !IsNotFound(err) || IsFeatureUnavailable(err) {
		t.Errorf("removing from a deleted segment: %v", err)
	}
}

func TestEmulatorSegmentsIdempotentLargeBatches(t *testing.T) {
	env, emu := newEmuEnv(t, bcemu.Options{}, nil)
	c, ctx := env.c, context.Background()
	seg := try(c.CreateSegments(ctx, SegmentInput{Name: "High value"})).must(t)[0].ID
	var custIDs []int
	for i := range 120 {
		cu := try(emu.CreateCustomer(testHash, bcemu.CustomerInput{Email: fmt.Sprintf("big%03d@example.com", i)})).must(t)
		custIDs = append(custIDs, cu.ID)
	}
	res := try(c.EnsureShopperProfiles(ctx, custIDs...)).must(t)
	if res.Created != 120 || len(res.IDs) != 120 {
		t.Fatalf("ensure %d created, %d ids", res.Created, len(res.IDs))
	}
	var pids []string
	for _, id := range custIDs {
		pids = append(pids, res.IDs[id])
	}
	// 7 members; the ids go out sorted, 50 a batch.
	members := []string{pids[0], pids[10], pids[49], pids[50], pids[77], pids[100], pids[119]}
	try(c.AddProfilesToSegment(ctx, seg, members...)).must(t)
	sorted := slices.Sorted(slices.Values(pids))
	refused := 0
	for _, b := range batches(sorted, SegmentBatchSize) {
		if slices.ContainsFunc(b, func(id string) bool { return slices.Contains(members, id) }) {
			refused++
		}
	}
	before := env.ct.operations["POST /segments/{segmentId}/shopper-profiles"]
	added := try(c.AddProfilesToSegmentIdempotent(ctx, seg, pids...)).must(t)
	if len(added.Added) != 113 || len(added.Already) != 7 {
		t.Errorf("added %d already %d", len(added.Added), len(added.Already))
	}
	// Three batches; those holding a member are refused once and sent
	// again without their members.
	if n := env.ct.operations["POST /segments/{segmentId}/shopper-profiles"] - before; n != 3+refused {
		t.Errorf("%d add requests, want %d", n, 3+refused)
	}
	if m := try(Collect(c.SegmentProfiles(ctx, seg))).must(t); len(m) != 120 {
		t.Errorf("members %d", len(m))
	}
}

func TestEmulatorSegmentationUnavailable(t *testing.T) {
	var emu *bcemu.Emulator
	// A 403 is not among the responses the spec declares: no response check.
	env := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { emu.Handler().ServeHTTP(w, r) }), false, nil)
	var err error
	if emu, err = bcemu.New(bcemu.Options{Clock: env.time.Now}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	c, ctx := env.c, context.Background()

	seg := try(c.CreateSegments(ctx, SegmentInput{Name: "VIP"})).must(t)[0].ID
	prof := try(c.EnsureShopperProfiles(ctx, 1)).must(t).IDs[1]
	try(c.AddProfilesToSegment(ctx, seg, prof)).must(t)

	// Off through the control API, as e2e tests and bcflow sim do.
	ctl := httptest.NewServer(emu.Handler())
	t.Cleanup(ctl.Close)
	put := func(body string) int {
		req, _ := http.NewRequest(http.MethodPut, ctl.URL+"/_sim/bigcommerce/"+testHash+"/segmentation", strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := put(`{"available": false}`); st != http.StatusOK {
		t.Fatalf("PUT segmentation: %d", st)
	}
	if st := put(`{}`); st != http.StatusUnprocessableEntity {
		t.Errorf("PUT segmentation without available: %d", st)
	}
	if ok := try(emu.SegmentationAvailable(testHash)).must(t); ok {
		t.Fatal("still available")
	}
	calls := map[string]error{}
	_, calls["list segments"] = c.ListSegments(ctx, PageOptions{})
	_, calls["create segments"] = c.CreateSegments(ctx, SegmentInput{Name: "Other"})
	_, calls["list profiles"] = c.ListShopperProfiles(ctx, PageOptions{})
	_, calls["create profiles"] = c.CreateShopperProfiles(ctx, 2)
	_, calls["ensure profiles"] = c.EnsureShopperProfiles(ctx, 2)
	_, calls["add"] = c.AddProfilesToSegmentIdempotent(ctx, seg, prof)
	calls["remove"] = c.RemoveProfilesFromSegment(ctx, seg, prof)
	_, calls["members"] = c.ListSegmentProfiles(ctx, seg, PageOptions{})
	calls["delete"] = c.DeleteSegments(ctx, seg)
	for name, err := range calls {
		if !IsFeatureUnavailable(err) {
			t.Errorf("%s without segmentation: %v", name, err)
		}
		if ae, ok := AsAPIError(err); !ok || ae.Status != http.StatusForbidden || ae.Title != bcemu.SegmentationUnavailableTitle {
			t.Errorf("%s: %#v", name, ae)
		}
	}
	cu := try(c.GetCustomer(ctx, 1, IncludeShopperProfileID, IncludeSegmentIDs)).must(t)
	if cu.ShopperProfileID != "" || cu.SegmentIDs != nil {
		t.Errorf("customer without segmentation: profile %q segments %v", cu.ShopperProfileID, cu.SegmentIDs)
	}
	// Other APIs are untouched.
	try(c.GetCustomer(ctx, 2)).must(t)

	// Back on: what was there is there.
	try(0, emu.SetSegmentationAvailable(testHash, true)).must(t)
	if m := try(Collect(c.SegmentProfiles(ctx, seg))).must(t); len(m) != 1 || m[0].ID != prof {
		t.Errorf("members after turning it back on %+v", m)
	}
	if cu := try(c.GetCustomer(ctx, 1, IncludeShopperProfileID)).must(t); cu.ShopperProfileID != prof {
		t.Errorf("profile after turning it back on %q", cu.ShopperProfileID)
	}
	if err := emu.SetSegmentationAvailable("nosuchstore", false); err == nil {
		t.Error("unknown store accepted")
	}
}

func TestIsFeatureUnavailable(t *testing.T) {
	cases := []struct {
		status int
		path   string
		want   bool
	}{
		{403, "/v3/segments", true},
		{403, "/v3/segments/abc/shopper-profiles", true},
		{403, "/v3/shopper-profiles", true},
		{403, "/v3/shopper-profiles/abc/segments", true},
		{404, "/v3/segments", true},
		{404, "/v3/shopper-profiles/", true},
		{404, "/v3/segments/abc/shopper-profiles", false}, // the segment is gone
		{401, "/v3/segments", false},
		{409, "/v3/segments", false},
		{403, "/v3/customers", false},
		{403, "/v3/segmentsx", false},
		{500, "/v3/segments", false},
	}
	for _, tc := range cases {
		err := fmt.Errorf("push: %w", &APIError{Status: tc.status, Path: tc.path, Kind: kindOf(tc.status)})
		if got := IsFeatureUnavailable(err); got != tc.want {
			t.Errorf("%d %s: %v, want %v", tc.status, tc.path, got, tc.want)
		}
	}
	if IsFeatureUnavailable(nil) || IsFeatureUnavailable(fmt.Errorf("plain")) {
		t.Error("non-API errors count as unavailable")
	}
}

func TestEmulatorSegmentPromotion(t *testing.T) {
	env, emu := newEmuEnv(t, bcemu.Options{}, nil)
	c, ctx := env.c, context.Background()
	vip := try(c.CreateSegments(ctx, SegmentInput{Name: "VIP"})).must(t)[0].ID
	res := try(c.EnsureShopperProfiles(ctx, 1, 2)).must(t)
	try(c.AddProfilesToSegment(ctx, vip, res.IDs[1])).must(t)

	promo := try(c.CreatePromotion(ctx, PromotionInput{
		Name: "VIP only 15%", Rules: []PromotionRule{PercentOffCart(MustParseDecimal("15"))},
		CustomerSegments: InSegments(vip),
	})).must(t)
	if s := promo.Customer.Segments; s == nil || !slices.Equal(s.IDs, []string{vip}) {
		t.Fatalf("created promotion's segments %+v", promo.Customer)
	}
	if got := try(c.GetPromotion(ctx, promo.ID)).must(t); got.Customer.Segments == nil || !slices.Equal(got.Customer.Segments.IDs, []string{vip}) {
		t.Errorf("read promotion's segments %+v", got.Customer)
	}
	try(c.CreatePromotionCode(ctx, promo.ID, CouponCodeInput{Code: "VIP-15"})).must(t)

	// Customer 1 is in VIP; customer 2 and guests are not.
	cart := func(customerID int, email string) string {
		return try(emu.CreateCart(testHash, bcemu.CartInput{CustomerID: customerID, Email: email, Items: []bcemu.ItemInput{{SKU: "CC3C", Quantity: 1}}})).must(t).ID
	}
	if _, err := emu.ApplyCartCoupon(testHash, cart(2, ""), "VIP-15"); err == nil {
		t.Error("a customer outside the segment applied the coupon")
	}
	if _, err := emu.Checkout(testHash, cart(0, "guest@example.com"), bcemu.CheckoutInput{CouponCode: "VIP-15"}); err == nil {
		t.Error("a guest used the coupon")
	}
	in := cart(1, "")
	try(emu.ApplyCartCoupon(testHash, in, "VIP-15")).must(t)
	placed := try(emu.Checkout(testHash, in, bcemu.CheckoutInput{CouponCode: "VIP-15"})).must(t)
	if len(placed.Coupons) != 1 || placed.Coupons[0].Code != "VIP-15" {
		t.Errorf("order coupons %+v", placed.Coupons)
	}

	// An exclusion, and shapes the API refuses.
	ex := try(c.CreatePromotion(ctx, PromotionInput{Name: "Not for VIPs", Rules: []PromotionRule{AmountOffCart(MustParseDecimal("5"))},
		CustomerSegments: NotInSegments(vip)})).must(t)
	if ex.Customer.Segments == nil || ex.Customer.Segments.Not == nil || !slices.Equal(ex.Customer.Segments.Not.IDs, []string{vip}) {
		t.Errorf("exclusion %+v", ex.Customer)
	}
	bad := []*SegmentCondition{
		{},
		{IDs: []string{vip}, Not: InSegments(vip)},
		{And: []SegmentCondition{{IDs: []string{vip}}}},
		{IDs: []string{strings.Repeat("x", 37)}},
		{Not: &SegmentCondition{Not: &SegmentCondition{Not: &SegmentCondition{Not: InSegments(vip)}}}},
	}
	for i, b := range bad {
		if _, err := c.CreatePromotion(ctx, PromotionInput{Name: fmt.Sprintf("bad %d", i), Rules: []PromotionRule{AmountOffCart(MustParseDecimal("5"))}, CustomerSegments: b}); err == nil {
			t.Errorf("condition %d accepted", i)
		}
	}
	if _, err := c.CreatePromotion(ctx, PromotionInput{Name: "unknown segment", Rules: []PromotionRule{AmountOffCart(MustParseDecimal("5"))},
		CustomerSegments: InSegments("0c7f0d9e-0000-4000-8000-000000000000")}); err == nil {
		t.Error("a promotion for an unknown segment was accepted")
	}
}

// TestEmulatorSegmentAddsInParallel runs SegmentMaxInFlight adds at once:
// the emulator, which refuses an eleventh concurrent write with 429, takes
// them all.
func TestEmulatorSegmentAddsInParallel(t *testing.T) {
	env, emu := newEmuEnv(t, bcemu.Options{}, nil)
	c, ctx := env.c, context.Background()
	seg := try(c.CreateSegments(ctx, SegmentInput{Name: "Parallel"})).must(t)[0].ID
	var custIDs []int
	for i := range SegmentMaxInFlight * SegmentBatchSize {
		cu := try(emu.CreateCustomer(testHash, bcemu.CustomerInput{Email: fmt.Sprintf("par%03d@example.com", i)})).must(t)
		custIDs = append(custIDs, cu.ID)
	}
	res := try(c.EnsureShopperProfiles(ctx, custIDs...)).must(t)
	var pids []string
	for _, id := range custIDs {
		pids = append(pids, res.IDs[id])
	}
	errs := make(chan error, SegmentMaxInFlight)
	for _, b := range batches(pids, SegmentBatchSize) {
		go func() {
			_, err := c.AddProfilesToSegmentIdempotent(ctx, seg, b...)
			errs <- err
		}()
	}
	for range SegmentMaxInFlight {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := env.ct.status(http.StatusTooManyRequests); n != 0 {
		t.Errorf("%d answers 429", n)
	}
	if m := try(Collect(c.SegmentProfiles(ctx, seg))).must(t); len(m) != len(pids) {
		t.Errorf("members %d, want %d", len(m), len(pids))
	}
}
