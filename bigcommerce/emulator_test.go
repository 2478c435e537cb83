package bigcommerce

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bcflow/bcflow/emulator/bcemu"
)

// newEmuEnv serves a fresh emulator (sharing the client's fake clock) through
// the contract transport, which checks requests and answers against the
// official specs.
func newEmuEnv(t *testing.T, opts bcemu.Options, tweak func(*Options)) (*testEnv, *bcemu.Emulator) {
	t.Helper()
	var emu *bcemu.Emulator
	var ft *fakeTime
	env := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emu.Handler().ServeHTTP(w, r)
	}), true, func(o *Options) {
		if tweak != nil {
			tweak(o)
		}
	})
	ft = env.time
	if opts.Clock == nil {
		opts.Clock = ft.Now
	}
	var err error
	if emu, err = bcemu.New(opts); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	return env, emu
}

// tried holds a call's results until must checks them:
// try(c.GetCart(ctx, id)).must(t).
type tried[T any] struct {
	v   T
	err error
}

func try[T any](v T, err error) tried[T] { return tried[T]{v, err} }

func (r tried[T]) must(t *testing.T) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.v
}

func TestEmulatorCartsAndOrders(t *testing.T) {
	env, emu := newEmuEnv(t, bcemu.Options{}, nil)
	c, ctx := env.c, context.Background()
	t0 := env.time.Now()

	// A shopper's storefront cart.
	sc := try(emu.CreateCart(testHash, bcemu.CartInput{CustomerID: 1, Items: []bcemu.ItemInput{
		{SKU: "OTL", Quantity: 1}, {SKU: "TEE-M", Quantity: 2}}})).must(t)
	cart := try(c.GetCart(ctx, sc.ID)).must(t)
	if cart.ID != sc.ID || cart.CustomerID != 1 || cart.Email != "jane.doe@example.com" || cart.Currency.Code != "USD" {
		t.Errorf("cart %+v", cart)
	}
	if cart.CartAmount.String() != "165" || cart.Quantity() != 3 || len(cart.Items()) != 2 || cart.Version != 1 {
		t.Errorf("cart amount %s quantity %d items %+v", cart.CartAmount, cart.Quantity(), cart.Items())
	}
	if it := cart.Items()[1]; it.SKU != "TEE-M" || it.VariantID != 141 || it.ExtendedSalePrice.String() != "56" || it.ImageURL == "" {
		t.Errorf("line %+v", it)
	}
	if !cart.CreatedTime.Equal(t0) {
		t.Errorf("created %v, want %v", cart.CreatedTime, t0)
	}

	// Storefront carts cannot have redirect URLs: recreate through the API.
	_, err := c.CreateRedirectURLs(ctx, sc.ID)
	if ae, ok := AsAPIError(err); !ok || ae.Kind != KindValidation || ae.Status != 422 || IsRetryable(err) {
		t.Errorf("redirect urls of a storefront cart: %v", err)
	}
	in := CartInputFrom(cart)
	in.IncludeRedirectURLs = true
	api := try(c.CreateCart(ctx, in)).must(t)
	if api.ID == sc.ID || api.RedirectURLs == nil || !strings.Contains(api.RedirectURLs.CheckoutURL, api.ID) || api.CartAmount.String() != "165" {
		t.Errorf("recreated cart %+v", api)
	}
	urls := try(c.CreateRedirectURLs(ctx, api.ID)).must(t)
	if urls.CartURL == "" || urls.CheckoutURL == api.RedirectURLs.CheckoutURL {
		t.Errorf("fresh redirect urls %+v", urls)
	}
	override := MustParseDecimal("9.99")
	custom := try(c.CreateCart(ctx, CartInput{Currency: "usd", Locale: "en", LineItems: []CartLineItemInput{{ProductID: 113, Quantity: 2, ListPrice: &override}}})).must(t)
	if custom.CartAmount.String() != "19.98" || custom.CustomerID != 0 {
		t.Errorf("price override cart %+v", custom)
	}
	if _, err := c.CreateCart(ctx, CartInput{LineItems: []CartLineItemInput{{ProductID: 118, Quantity: 1}}}); !strings.Contains(fmt.Sprint(err), "variant_id") {
		t.Errorf("product with variants but no variant id: %v", err)
	}

	// Abandoned-cart token lookup.
	token := try(emu.AbandonCart(testHash, sc.ID)).must(t)
	if got := try(c.GetAbandonedCart(ctx, token)).must(t); got != sc.ID {
		t.Errorf("abandoned cart %s, want %s", got, sc.ID)
	}
	if _, err := c.GetAbandonedCart(ctx, "00000000000000000000000000000000"); !IsNotFound(err) {
		t.Errorf("unknown token: %v", err)
	}

	// Checkout with the store's WELCOME10 coupon: the cart is gone.
	env.time.Advance(time.Hour)
	placed := try(emu.Checkout(testHash, sc.ID, bcemu.CheckoutInput{CouponCode: "WELCOME10", ShippingCost: 5})).must(t)
	if _, err := c.GetCart(ctx, sc.ID); !IsNotFound(err) {
		t.Errorf("converted cart: %v", err)
	} else {
		mustContain(t, err.Error(), "bigcommerce: get cart "+sc.ID[:8]+"…: not found: 404")
	}

	o := try(c.GetOrder(ctx, placed.ID)).must(t)
	if o.CartID != sc.ID || o.CustomerID != 1 || o.StatusID != StatusAwaitingFulfillment || o.Status != "Awaiting Fulfillment" {
		t.Errorf("order %+v", o)
	}
	// 165 − 16.50 + 5 shipping, exactly.
	if o.SubtotalExTax.StringFixed(4) != "165.0000" || o.CouponDiscount.String() != "16.5" || o.TotalIncTax.String() != "153.5" {
		t.Errorf("order money subtotal %s coupon %s total %s", o.SubtotalExTax, o.CouponDiscount, o.TotalIncTax)
	}
	if !o.DateCreated.Equal(t0.Add(time.Hour)) || !o.DateShipped.IsZero() || o.BillingAddress.Email != "jane.doe@example.com" || o.ItemsTotal != 3 {
		t.Errorf("order dates/billing %+v", o)
	}
	if _, err := c.GetOrder(ctx, 987654); !IsNotFound(err) {
		t.Errorf("missing order: %v", err)
	}

	products := try(c.OrderProducts(ctx, o.ID)).must(t)
	if len(products) != 2 || products[1].SKU != "TEE-M" || products[1].Quantity != 2 || products[1].PriceIncTax.StringFixed(2) != "28.00" || products[1].VariantID != 141 {
		t.Errorf("order products %+v", products)
	}
	coupons := try(c.OrderCoupons(ctx, o.ID)).must(t)
	if len(coupons) != 1 || coupons[0].Code != "WELCOME10" || coupons[0].Type != 1 || coupons[0].Amount.String() != "10" || coupons[0].Discount.String() != "16.5" {
		t.Errorf("order coupons %+v", coupons)
	}
	if ships := try(c.OrderShipments(ctx, o.ID)).must(t); len(ships) != 0 {
		t.Errorf("shipments before shipping %+v", ships)
	}
	env.time.Advance(24 * time.Hour)
	try(emu.Ship(testHash, o.ID, bcemu.ShipInput{TrackingNumber: "1Z999", Carrier: "ups"})).must(t)
	ships := try(c.OrderShipments(ctx, o.ID)).must(t)
	if len(ships) != 1 || ships[0].TrackingNumber != "1Z999" || ships[0].TrackingCarrier != "ups" || len(ships[0].Items) != 2 || !ships[0].DateCreated.Equal(t0.Add(25*time.Hour)) {
		t.Errorf("shipments %+v", ships)
	}
	if o = try(c.GetOrder(ctx, o.ID)).must(t); o.StatusID != StatusShipped || o.DateShipped.IsZero() {
		t.Errorf("shipped order %+v", o)
	}

	// More orders for the filters and the iterator.
	for i := range 4 {
		cc := try(emu.CreateCart(testHash, bcemu.CartInput{CustomerID: 2, Items: []bcemu.ItemInput{{SKU: "MUG-WHITE", Quantity: i + 1}}})).must(t)
		try(emu.Checkout(testHash, cc.ID, bcemu.CheckoutInput{})).must(t)
	}
	if got := try(c.ListOrders(ctx, OrderFilter{CartID: sc.ID})).must(t); len(got) != 1 || got[0].ID != o.ID {
		t.Errorf("by cart id %+v", got)
	}
	if got := try(c.ListOrders(ctx, OrderFilter{CustomerID: 2, Sort: "id"})).must(t); len(got) != 4 {
		t.Errorf("by customer: %d", len(got))
	}
	if got := try(c.ListOrders(ctx, OrderFilter{Email: "JANE.DOE@example.com"})).must(t); len(got) != 1 {
		t.Errorf("by email: %d", len(got))
	}
	if got := try(c.ListOrders(ctx, OrderFilter{StatusID: new(StatusShipped)})).must(t); len(got) != 1 {
		t.Errorf("by status: %d", len(got))
	}
	if got := try(c.ListOrders(ctx, OrderFilter{MinDateCreated: t0.Add(2 * time.Hour)})).must(t); len(got) != 4 {
		t.Errorf("created after: %d", len(got))
	}
	if got := try(c.ListOrders(ctx, OrderFilter{MinDateModified: t0.Add(24 * time.Hour), CustomerID: 1})).must(t); len(got) != 1 {
		t.Errorf("modified after: %d", len(got))
	}
	if got := try(c.ListOrders(ctx, OrderFilter{CustomerID: 4})).must(t); got == nil || len(got) != 0 {
		t.Errorf("no orders (204): %#v", got)
	}
	var ids []int
	for ord, err := range c.Orders(ctx, OrderFilter{PageOptions: PageOptions{Limit: 2}}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ord.ID)
	}
	if len(ids) != 5 || !sort.IntsAreSorted(ids) {
		t.Errorf("iterated orders %v", ids)
	}
	n := try(c.CountOrders(ctx, OrderFilter{})).must(t)
	if n.Total != 5 || n.ByStatus(StatusAwaitingFulfillment) != 4 || n.ByStatus(StatusShipped) != 1 {
		t.Errorf("count %+v", n)
	}
	if n := try(c.CountOrders(ctx, OrderFilter{CustomerID: 2})).must(t); n.Total != 4 {
		t.Errorf("count of customer 2: %+v", n)
	}
}

func TestEmulatorCustomersAndCatalog(t *testing.T) {
	env, _ := newEmuEnv(t, bcemu.Options{}, nil)
	c, ctx := env.c, context.Background()
	t0 := env.time.Now()

	jane := try(c.GetCustomer(ctx, 1)).must(t)
	if jane.Email != "jane.doe@example.com" || jane.FirstName != "Jane" || jane.CustomerGroupID != 1 || !jane.AcceptsAbandonedCartEmails || !jane.DateCreated.Equal(t0) {
		t.Errorf("customer 1 %+v", jane)
	}
	if _, err := c.GetCustomer(ctx, 999); !IsNotFound(err) {
		t.Errorf("customer 999: %v", err)
	}
	p := try(c.GetCustomers(ctx, CustomerFilter{Emails: []string{"vip@example.com", "buyer@wholesale.example.com"}})).must(t)
	if len(p.Items) != 2 || p.Pagination.Total != 2 {
		t.Errorf("by email %+v", p)
	}
	if p := try(c.GetCustomers(ctx, CustomerFilter{GroupIDs: []int{2, 3}, IDs: []int{1, 2, 3, 4}})).must(t); len(p.Items) != 2 {
		t.Errorf("by group %+v", p.Items)
	}
	if p := try(c.GetCustomers(ctx, CustomerFilter{DateCreatedMin: t0.Add(-time.Hour), DateModifiedMax: t0.Add(time.Hour), Sort: "date_modified:asc"})).must(t); len(p.Items) != 4 {
		t.Errorf("by dates: %d", len(p.Items))
	}
	if p := try(c.GetCustomers(ctx, CustomerFilter{DateCreatedMin: t0.Add(time.Hour)})).must(t); len(p.Items) != 0 {
		t.Errorf("created later: %d", len(p.Items))
	}
	// A sync's page: every include, modified since, by date.
	sp := try(c.GetCustomers(ctx, CustomerFilter{DateModifiedMin: t0.Add(-time.Minute), Sort: "date_modified:asc",
		Include:     []string{IncludeAddresses, IncludeStoreCredit, IncludeAttributes, IncludeFormFields},
		PageOptions: PageOptions{Limit: MaxPageSize}})).must(t)
	if len(sp.Items) != 4 || sp.Pagination.Total != 4 || sp.Items[0].Addresses == nil || sp.Items[0].StoreCredit().String() != "0" ||
		len(sp.Items[0].ChannelIDs) == 0 {
		t.Errorf("sync page %+v", sp)
	}
	all := try(Collect(c.Customers(ctx, CustomerFilter{PageOptions: PageOptions{Limit: 3}}))).must(t)
	if len(all) != 4 || all[3].ID != 4 {
		t.Errorf("iterated customers %+v", all)
	}

	groups := try(Collect(c.CustomerGroups(ctx))).must(t)
	if len(groups) != 3 || groups[2].Name != "VIP" || !groups[0].IsDefault || !groups[0].DateCreated.Equal(t0) {
		t.Errorf("groups %+v", groups)
	}
	if g := try(c.GetCustomerGroup(ctx, 2)).must(t); g.Name != "Wholesale" {
		t.Errorf("group 2 %+v", g)
	}
	if _, err := c.GetCustomerGroup(ctx, 77); !IsNotFound(err) {
		t.Errorf("group 77: %v", err)
	}

	pp := try(c.GetProducts(ctx, ProductFilter{IDs: []int{111, 118}, Include: []string{IncludeVariants, IncludeImages}})).must(t)
	if len(pp.Items) != 2 {
		t.Fatalf("products %+v", pp.Items)
	}
	tee := pp.Items[1]
	if tee.ID != 118 || len(tee.Variants) != 4 || tee.Price.String() != "28" || len(tee.Images) != 1 || tee.ThumbnailURL() == "" {
		t.Errorf("tee %+v", tee)
	}
	xl := tee.Variants[3]
	if xl.SKU != "TEE-XL" || xl.Price == nil || xl.Price.String() != "30" || xl.CalculatedPrice.String() != "30" || xl.OptionValues[0].Label != "X-Large" {
		t.Errorf("tee XL %+v", xl)
	}
	if tee.Variants[0].Price != nil {
		t.Errorf("base-priced variant has price %v", tee.Variants[0].Price)
	}
	if got := try(c.GetProducts(ctx, ProductFilter{SKUs: []string{"TEE-M", "CC3C"}})).must(t); len(got.Items) != 2 || got.Items[0].ID != 113 {
		t.Errorf("by sku %+v", got.Items)
	}
	able := try(c.GetProduct(ctx, 114, IncludePrimaryImage)).must(t)
	if able.SalePrice.String() != "199" || able.CalculatedPrice.String() != "199" || able.PrimaryImage == nil || able.ThumbnailURL() != able.PrimaryImage.URLStandard {
		t.Errorf("product 114 %+v", able)
	}
	if _, err := c.GetProduct(ctx, 4242); !IsNotFound(err) {
		t.Errorf("product 4242: %v", err)
	}
	var ids []int
	for p, err := range c.Products(ctx, ProductFilter{PageOptions: PageOptions{Limit: 5}}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	if len(ids) != 12 || ids[0] != 111 || ids[11] != 122 {
		t.Errorf("iterated products %v", ids)
	}
}

func TestEmulatorPromotions(t *testing.T) {
	env, emu := newEmuEnv(t, bcemu.Options{}, nil)
	c, ctx := env.c, context.Background()

	promo := try(c.CreatePromotion(ctx, PromotionInput{
		Name: "bcflow cart recovery 15%", DisplayName: "15% off your cart",
		Rules: []PromotionRule{PercentOffCart(MustParseDecimal("15"))}, ChannelIDs: []int{1},
		StartDate: env.time.Now(),
	})).must(t)
	if promo.ID == 0 || promo.RedemptionType != RedemptionCoupon || promo.Status != "ENABLED" || len(promo.Rules) != 1 {
		t.Fatalf("promotion %+v", promo)
	}
	if d := promo.Rules[0].Action.CartValue; d == nil || d.Discount.PercentageAmount == nil || d.Discount.PercentageAmount.String() != "15" {
		t.Errorf("rule %+v", promo.Rules[0])
	}
	if _, err := c.CreatePromotion(ctx, PromotionInput{Name: "bcflow cart recovery 15%", Rules: []PromotionRule{AmountOffCart(MustParseDecimal("5"))}}); !IsConflict(err) {
		t.Errorf("duplicate promotion name: %v", err)
	}
	got := try(c.GetPromotion(ctx, promo.ID)).must(t)
	if got.Name != promo.Name || got.DisplayName != "15% off your cart" || len(got.Channels) != 1 {
		t.Errorf("get promotion %+v", got)
	}

	code := try(c.CreatePromotionCode(ctx, promo.ID, CouponCodeInput{Code: "BCF-5C1E0B1A", MaxUses: 1, MaxUsesPerCustomer: 1})).must(t)
	if code.ID == 0 || code.Code != "BCF-5C1E0B1A" || code.MaxUses != 1 || code.Created.IsZero() {
		t.Errorf("code %+v", code)
	}
	if _, err := c.CreatePromotionCode(ctx, promo.ID, CouponCodeInput{Code: "bcf-5c1e0b1a"}); !IsConflict(err) || !IsRetryable(err) {
		t.Errorf("duplicate code: %v", err)
	}
	if _, err := c.CreatePromotionCode(ctx, promo.ID, CouponCodeInput{Code: "no/slashes"}); err == nil {
		t.Error("invalid code accepted")
	}
	found := try(c.ListPromotions(ctx, PromotionFilter{Code: "BCF-5C1E0B1A"})).must(t)
	if len(found.Items) != 1 || found.Items[0].ID != promo.ID {
		t.Errorf("by code %+v", found.Items)
	}
	names := map[string]bool{}
	for p, err := range c.Promotions(ctx, PromotionFilter{RedemptionType: RedemptionCoupon, PageOptions: PageOptions{Limit: 1}}) {
		if err != nil {
			t.Fatal(err)
		}
		names[p.Name] = true
	}
	if !names["Welcome 10% off"] || !names[promo.Name] {
		t.Errorf("iterated promotions %v", names)
	}

	// The code works once at checkout.
	sc := try(emu.CreateCart(testHash, bcemu.CartInput{CustomerID: 2, Items: []bcemu.ItemInput{{SKU: "CC3C", Quantity: 2}}})).must(t)
	placed := try(emu.Checkout(testHash, sc.ID, bcemu.CheckoutInput{CouponCode: "BCF-5C1E0B1A"})).must(t)
	coupons := try(c.OrderCoupons(ctx, placed.ID)).must(t)
	if len(coupons) != 1 || coupons[0].Discount.String() != "14.85" {
		t.Errorf("discount of 15%% on 99: %+v", coupons)
	}
	if err := c.DeletePromotionCode(ctx, promo.ID, code.ID); err != nil {
		t.Fatal(err)
	}
	if found := try(c.ListPromotions(ctx, PromotionFilter{Code: "BCF-5C1E0B1A"})).must(t); len(found.Items) != 0 {
		t.Errorf("deleted code still found: %+v", found.Items)
	}
}

func TestEmulatorSegments(t *testing.T) {
	env, emu := newEmuEnv(t, bcemu.Options{}, nil)
	c, ctx := env.c, context.Background()

	segs := try(c.CreateSegments(ctx, SegmentInput{Name: "Gold tier", Description: "loyalty"}, SegmentInput{Name: "Lapsed"})).must(t)
	if len(segs) != 2 || segs[0].ID == "" || segs[0].CreatedAt.IsZero() {
		t.Fatalf("segments %+v", segs)
	}
	if _, err := c.CreateSegments(ctx, SegmentInput{Name: "Gold tier"}); !IsConflict(err) {
		t.Errorf("duplicate segment: %v", err)
	}
	gold := segs[0].ID

	// 120 customers, so that adding them takes three batches of ≤ 50.
	custIDs := []int{1, 2, 3, 4}
	for i := range 116 {
		cu := try(emu.CreateCustomer(testHash, bcemu.CustomerInput{Email: fmt.Sprintf("shopper%03d@example.com", i)})).must(t)
		custIDs = append(custIDs, cu.ID)
	}
	profiles := try(c.CreateShopperProfiles(ctx, custIDs...)).must(t)
	if len(profiles) != 120 || profiles[0].CustomerID != 1 {
		t.Fatalf("profiles %d", len(profiles))
	}
	if all := try(Collect(c.ShopperProfiles(ctx))).must(t); len(all) != 120 {
		t.Errorf("iterated profiles %d", len(all))
	}
	var pids []string
	for _, p := range profiles {
		pids = append(pids, p.ID)
	}
	before := env.ct.operations["POST /segments/{segmentId}/shopper-profiles"]
	added := try(c.AddProfilesToSegment(ctx, gold, pids...)).must(t)
	if len(added) != 120 {
		t.Errorf("added %d", len(added))
	}
	if n := env.ct.operations["POST /segments/{segmentId}/shopper-profiles"] - before; n != 3 {
		t.Errorf("%d add requests, want 3 batches", n)
	}
	members := try(Collect(c.SegmentProfiles(ctx, gold))).must(t)
	if len(members) != 120 {
		t.Errorf("members %d", len(members))
	}
	if _, err := c.AddProfilesToSegment(ctx, gold, pids[0]); !IsConflict(err) {
		t.Errorf("re-adding a member: %v", err)
	}
	jane := try(c.GetCustomer(ctx, 1, IncludeShopperProfileID, IncludeSegmentIDs)).must(t)
	if jane.ShopperProfileID != pids[0] || !slices.Contains(jane.SegmentIDs, gold) {
		t.Errorf("customer 1 profile %q segments %v", jane.ShopperProfileID, jane.SegmentIDs)
	}
	if err := c.RemoveProfilesFromSegment(ctx, gold, pids[:70]...); err != nil {
		t.Fatal(err)
	}
	if members := try(Collect(c.SegmentProfiles(ctx, gold))).must(t); len(members) != 50 {
		t.Errorf("members after removal %d", len(members))
	}
	if all := try(Collect(c.Segments(ctx))).must(t); len(all) != 2 {
		t.Errorf("segments %d", len(all))
	}
	if err := c.DeleteSegments(ctx, segs[1].ID); err != nil {
		t.Fatal(err)
	}
	if p := try(c.ListSegments(ctx, PageOptions{})).must(t); len(p.Items) != 1 || p.Items[0].ID != gold || p.Items[0].Description != "loyalty" {
		t.Errorf("segments after delete %+v", p.Items)
	}
}

func TestEmulatorHooks(t *testing.T) {
	env, _ := newEmuEnv(t, bcemu.Options{}, nil)
	c, ctx := env.c, context.Background()
	// A destination that accepts and ignores deliveries.
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(sink.Close)

	h := try(c.CreateHook(ctx, HookInput{Scope: "store/cart/abandoned", Destination: sink.URL + "/webhooks/bigcommerce",
		Headers: map[string]string{"X-Bcflow-Secret": "hook-secret"}})).must(t)
	if h.ID == 0 || !h.IsActive || h.StoreHash != testHash || h.Headers["X-Bcflow-Secret"] != "hook-secret" || h.CreatedAt.IsZero() {
		t.Errorf("hook %+v", h)
	}
	for _, sc := range []string{"store/order/created", "store/order/statusUpdated", "store/shipment/created"} {
		try(c.CreateHook(ctx, HookInput{Scope: sc, Destination: sink.URL + "/webhooks/bigcommerce", IsActive: new(false)})).must(t)
	}
	if _, err := c.CreateHook(ctx, HookInput{Scope: "store/cart/abandoned", Destination: sink.URL + "/webhooks/bigcommerce"}); err == nil || IsRetryable(err) {
		t.Errorf("duplicate hook: %v", err)
	}
	if p := try(c.ListHooks(ctx, HookFilter{Scope: "store/cart/abandoned"})).must(t); len(p.Items) != 1 || p.Items[0].ID != h.ID {
		t.Errorf("by scope %+v", p.Items)
	}
	if p := try(c.ListHooks(ctx, HookFilter{IsActive: new(false)})).must(t); len(p.Items) != 3 {
		t.Errorf("inactive %d", len(p.Items))
	}
	if all := try(Collect(c.Hooks(ctx, HookFilter{PageOptions: PageOptions{Limit: 3}}))).must(t); len(all) != 4 {
		t.Errorf("iterated hooks %d", len(all))
	}
	up := try(c.UpdateHook(ctx, h.ID, HookUpdate{IsActive: new(false), Headers: map[string]string{"X-Bcflow-Secret": "rotated"}})).must(t)
	if up.IsActive || up.Headers["X-Bcflow-Secret"] != "rotated" || up.Scope != h.Scope {
		t.Errorf("updated %+v", up)
	}
	if _, err := c.UpdateHook(ctx, h.ID, HookUpdate{}); err == nil {
		t.Error("empty update accepted")
	}
	if got := try(c.GetHook(ctx, h.ID)).must(t); got.IsActive {
		t.Errorf("get after update %+v", got)
	}
	if err := c.DeleteHook(ctx, h.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetHook(ctx, h.ID); !IsNotFound(err) {
		t.Errorf("deleted hook: %v", err)
	}
	if err := c.DeleteHook(ctx, h.ID); !IsNotFound(err) {
		t.Errorf("deleting twice: %v", err)
	}
	if logs := env.logs.String(); strings.Contains(logs, "rotated") || strings.Contains(logs, "hook-secret") {
		t.Errorf("hook headers logged: %s", logs)
	}
}

func TestEmulatorUnauthorized(t *testing.T) {
	env, _ := newEmuEnv(t, bcemu.Options{}, func(o *Options) { o.AccessToken = "wrong-token" })
	for _, call := range []func() error{
		func() error { _, err := env.c.GetCart(context.Background(), cartID); return err },
		func() error { _, err := env.c.ListOrders(context.Background(), OrderFilter{}); return err },
	} {
		err := call()
		if ae, ok := AsAPIError(err); !ok || ae.Kind != KindUnauthorized || IsRetryable(err) || strings.Contains(err.Error(), "wrong-token") {
			t.Errorf("err %v", err)
		}
	}
}

// TestEmulatorSteadyStateNeverHits429 drives far more requests than one
// window allows through an emulator with a small quota, on a shared fake
// clock: pacing must keep every request under the quota.
func TestEmulatorSteadyStateNeverHits429(t *testing.T) {
	env, emu := newEmuEnv(t, bcemu.Options{RateLimitQuota: 20}, nil)
	sc := try(emu.CreateCart(testHash, bcemu.CartInput{CustomerID: 1, Items: []bcemu.ItemInput{{SKU: "OTL", Quantity: 1}}})).must(t)
	start := env.time.Now()
	for i := range 100 {
		if _, err := env.c.GetCart(context.Background(), sc.ID); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if n := env.ct.status(429); n != 0 {
		t.Errorf("%d answers were 429", n)
	}
	// 100 requests at 16 per 30 s window (20 minus the fifth left to other
	// apps) need six window resets, and no more.
	if elapsed := env.time.Now().Sub(start); elapsed < 6*bcemu.RateLimitWindow || elapsed > 6*bcemu.RateLimitWindow+time.Second {
		t.Errorf("100 requests took %v of fake time", elapsed)
	}
	if len(env.time.Sleeps()) == 0 {
		t.Error("never paced")
	}

	// Concurrent callers share the pacer: all succeed (retrying any 429).
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 8 {
		wg.Go(func() {
			for range 8 {
				if _, err := env.c.GetCart(context.Background(), sc.ID); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// emulatorOperations are the operations the client uses: TestMain checks that
// the emulator round trips sent (and so contract-checked) a request to each.
var emulatorOperations = []string{
	"GET /carts/{cartId}", "POST /carts", "POST /carts/{cartId}/redirect_urls", "GET /abandoned-carts/{token}",
	"GET /orders/{order_id}", "GET /orders", "GET /orders/count", "GET /orders/{order_id}/products",
	"GET /orders/{order_id}/coupons", "GET /orders/{order_id}/shipments",
	"GET /customers", "GET /customer_groups", "GET /customer_groups/{customer_group_id}",
	"GET /catalog/products", "GET /catalog/products/{product_id}",
	"POST /promotions", "GET /promotions", "GET /promotions/{id}", "POST /promotions/{promotion_id}/codes",
	"DELETE /promotions/{promotion_id}/codes/{code_id}",
	"GET /segments", "POST /segments", "DELETE /segments", "GET /shopper-profiles", "POST /shopper-profiles",
	"GET /segments/{segmentId}/shopper-profiles", "POST /segments/{segmentId}/shopper-profiles",
	"DELETE /segments/{segmentId}/shopper-profiles",
	"GET /hooks", "POST /hooks", "GET /hooks/{webhook_id}", "PUT /hooks/{webhook_id}", "DELETE /hooks/{webhook_id}",
}

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" {
		coveredMu.Lock()
		for _, op := range emulatorOperations {
			if !covered[op] {
				fmt.Fprintf(os.Stderr, "FAIL: operation %s was never exercised against the emulator and the spec\n", op)
				code = 1
			}
		}
		coveredMu.Unlock()
	}
	os.Exit(code)
}

func BenchmarkGetCart(b *testing.B) {
	emu, err := bcemu.New(bcemu.Options{RateLimitQuota: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer emu.Close()
	srv := httptest.NewServer(emu.Handler())
	defer srv.Close()
	sc, err := emu.CreateCart(testHash, bcemu.CartInput{CustomerID: 1, Items: []bcemu.ItemInput{{SKU: "OTL", Quantity: 1}, {SKU: "TEE-M", Quantity: 2}, {SKU: "MUG-BLACK", Quantity: 1}}})
	if err != nil {
		b.Fatal(err)
	}
	c, err := New(Options{BaseURL: srv.URL, StoreHash: testHash, AccessToken: testToken})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.GetCart(ctx, sc.ID); err != nil {
			b.Fatal(err)
		}
	}
}
