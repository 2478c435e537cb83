package activities

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bcflow/bcflow/emulator/bcemu"
	"github.com/bcflow/bcflow/emulator/brevoemu"
	"github.com/bcflow/bcflow/messaging/brevo"
)

// orderActs is the activities wired to a real SQLite store and the
// BigCommerce + Brevo emulator over HTTP, through the real clients.
type orderActs struct {
	t    *testing.T
	acts *Activities
	bc   *bcemu.Emulator
	bv   *brevoemu.Emulator
	hash string
}

func newOrderActs(t *testing.T) *orderActs {
	t.Helper()
	w := newWorld(t)
	return &orderActs{t: t, acts: w.acts, bc: w.emu.BigCommerce(), bv: w.emu.Brevo(), hash: w.hash}
}

// order checks out a new cart of customerID (0: the guest email) in status.
func (w *orderActs) order(customerID int, email string, status int, coupon string, items ...bcemu.ItemInput) int64 {
	w.t.Helper()
	cart, err := w.bc.CreateCart(w.hash, bcemu.CartInput{CustomerID: customerID, Email: email, Items: items})
	if err != nil {
		w.t.Fatal(err)
	}
	o, err := w.bc.Checkout(w.hash, cart.ID, bcemu.CheckoutInput{StatusID: &status, CouponCode: coupon})
	if err != nil {
		w.t.Fatal(err)
	}
	return int64(o.ID)
}

func item(sku string, qty int) bcemu.ItemInput { return bcemu.ItemInput{SKU: sku, Quantity: qty} }

var defaultPlaced = []int{11, 9, 8, 3, 2, 10}

func TestLoadOrderReadsTheTruth(t *testing.T) {
	w := newOrderActs(t)
	ctx := context.Background()
	// Customer 4 of the default store: Victor, VIP group, accepts emails.
	id := w.order(4, "", 11, "welcome10", item("TEE-M", 2), item("MUG-WHITE", 1))
	if _, err := w.bc.Ship(w.hash, int(id), bcemu.ShipInput{TrackingNumber: "1Z999", Carrier: "ups"}); err != nil {
		t.Fatal(err)
	}
	basic, err := w.acts.LoadOrder(ctx, OrderInput{StoreHash: w.hash, OrderID: id})
	if err != nil {
		t.Fatal(err)
	}
	if !basic.Exists || basic.StatusID != 2 || basic.CustomerID != 4 || basic.BillingEmail != "vip@example.com" || basic.ChannelID != 1 ||
		basic.CartID == "" || basic.Currency != "USD" || basic.TotalIncTax == "" || basic.Lines != nil || basic.Shipments != nil {
		t.Fatalf("basic snapshot %+v", basic)
	}
	full, err := w.acts.LoadOrder(ctx, OrderInput{StoreHash: w.hash, OrderID: id, WithDetails: true, WithShipments: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Lines) != 2 || full.Lines[0].SKU != "TEE-M" || full.Lines[0].ProductSKU != "TEE" || full.Lines[0].Quantity != 2 ||
		!full.Lines[0].HasSKU("tee") || !full.Lines[0].HasSKU("TEE-M") || full.Lines[0].HasSKU("TEE-L") || full.Lines[0].ProductURL == "" {
		t.Fatalf("lines %+v", full.Lines)
	}
	if len(full.Coupons) != 1 || !strings.EqualFold(full.Coupons[0], "WELCOME10") {
		t.Fatalf("coupons %v", full.Coupons)
	}
	s := full.Shopper
	if s.CustomerID != 4 || s.Email != "vip@example.com" || s.FirstName != "Victor" || s.GroupID != 3 || full.GroupName != "VIP" ||
		!s.AcceptsAbandonedCartEmails || s.Suppressed || s.CustomerKey() != "c:4" {
		t.Fatalf("shopper %+v group %q", s, full.GroupName)
	}
	if len(full.Shipments) != 1 || full.Shipments[0].TrackingNumber != "1Z999" || full.Shipments[0].Carrier != "ups" {
		t.Fatalf("shipments %+v", full.Shipments)
	}
	missing, err := w.acts.LoadOrder(ctx, OrderInput{StoreHash: w.hash, OrderID: 99999, WithDetails: true})
	if err != nil || missing.Exists {
		t.Fatalf("missing order: %+v %v", missing, err)
	}
}

func TestLoadOrderOfAGuestUsesTheCheckoutOptIn(t *testing.T) {
	w := newOrderActs(t)
	if _, err := w.bc.CreateCustomer(w.hash, bcemu.CustomerInput{Guest: true, Email: "gus@example.com", FirstName: "Gus", AcceptsMarketing: true}); err != nil {
		t.Fatal(err)
	}
	id := w.order(0, "gus@example.com", 11, "", item("OTS", 1))
	o, err := w.acts.LoadOrder(context.Background(), OrderInput{StoreHash: w.hash, OrderID: id, WithDetails: true})
	if err != nil {
		t.Fatal(err)
	}
	s := o.Shopper
	if s.CustomerID != 0 || s.Email != "gus@example.com" || s.FirstName != "Gus" || !s.AcceptsMarketing || s.CustomerKey() != "e:gus@example.com" || o.GroupName != "" {
		t.Fatalf("guest shopper %+v", s)
	}
}

func TestCountPlacedOrders(t *testing.T) {
	w := newOrderActs(t)
	ctx := context.Background()
	count := func(customerID int64, email string, orderID int64) int {
		t.Helper()
		h, err := w.acts.CountPlacedOrders(ctx, OrderHistoryInput{StoreHash: w.hash, OrderID: orderID, CustomerID: customerID, Email: email, PlacedStatuses: defaultPlaced})
		if err != nil {
			t.Fatal(err)
		}
		return h.EarlierPlaced
	}
	// Registered customer 1: an abandoned checkout, a cancelled order, then
	// a first real order and a second.
	w.order(1, "", 0, "", item("OTL", 1))
	w.order(1, "", 5, "", item("OTL", 1))
	first := w.order(1, "", 11, "", item("OTL", 1))
	w.order(2, "", 10, "", item("OTL", 1)) // someone else's
	second := w.order(1, "", 11, "", item("OTS", 1))
	if n := count(1, "jane.doe@example.com", first); n != 0 {
		t.Fatalf("first order: %d earlier placed", n)
	}
	if n := count(1, "", second); n != 1 {
		t.Fatalf("second order: %d earlier placed", n)
	}
	// Guests are counted by billing email.
	for _, e := range []string{"gus@example.com", "other@example.com"} {
		if _, err := w.bc.CreateCustomer(w.hash, bcemu.CustomerInput{Guest: true, Email: e}); err != nil {
			t.Fatal(err)
		}
	}
	g1 := w.order(0, "gus@example.com", 9, "", item("OTS", 1))
	w.order(0, "other@example.com", 11, "", item("OTS", 1))
	g2 := w.order(0, "gus@example.com", 11, "", item("OTS", 1))
	if n := count(0, "gus@example.com", g1); n != 0 {
		t.Fatalf("guest's first order: %d earlier placed", n)
	}
	if n := count(0, "gus@example.com", g2); n != 1 {
		t.Fatalf("guest's second order: %d earlier placed", n)
	}
	if n := count(0, "", g2); n != 0 {
		t.Fatalf("nobody: %d", n)
	}
}

func TestFindReorder(t *testing.T) {
	w := newOrderActs(t)
	ctx := context.Background()
	first := w.order(1, "", 11, "", item("TEE-M", 1))
	find := func(sku string) int64 {
		t.Helper()
		r, err := w.acts.FindReorder(ctx, ReorderInput{StoreHash: w.hash, OrderID: first, CustomerID: 1, SKU: sku, PlacedStatuses: defaultPlaced})
		if err != nil {
			t.Fatal(err)
		}
		return r.OrderID
	}
	if got := find("TEE"); got != 0 {
		t.Fatalf("no later order yet, found %d", got)
	}
	w.order(1, "", 0, "", item("TEE-M", 1))  // abandoned checkout: not a reorder
	w.order(2, "", 11, "", item("TEE-M", 1)) // someone else
	again := w.order(1, "", 11, "", item("TEE-L", 2))
	if got := find("TEE"); got != again {
		t.Fatalf("reorder of the product: %d, want %d", got, again)
	}
	if got := find("tee-l"); got != again {
		t.Fatalf("reorder of the variant: %d, want %d", got, again)
	}
	if got := find("TEE-M"); got != 0 {
		t.Fatalf("TEE-M was not reordered, found %d", got)
	}
}

func TestTrackEventAndUpsertContactTags(t *testing.T) {
	w := newOrderActs(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC)
	err := w.acts.TrackEvent(ctx, EventInput{StoreHash: w.hash, Name: "bccoupon_used", Email: "ann@example.com",
		Properties: map[string]any{"order_id": 1001, "coupon_code": "spring10"}, At: at})
	if err != nil {
		t.Fatal(err)
	}
	evs := w.bv.Events(brevoemu.Filter{Name: "bccoupon_used"})
	if len(evs) != 1 || evs[0].Email != "ann@example.com" || evs[0].EventProperties["coupon_code"] != "spring10" {
		t.Fatalf("events %+v", evs)
	}
	if err := w.acts.TrackEvent(ctx, EventInput{StoreHash: w.hash, Name: "x"}); err == nil {
		t.Fatal("an event without a contact must fail")
	}

	tags := func(in ...string) string {
		t.Helper()
		got, err := w.acts.UpsertContactTags(ctx, ContactTagsInput{StoreHash: w.hash, Email: "Ann@Example.com", FirstName: "Ann", Tags: in})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(got.Tags, ",")
	}
	if got := tags("instagram", "spring-sale"); got != "instagram,spring-sale" {
		t.Fatalf("tags %s", got)
	}
	// A later goal adds its tags to the earlier ones; a retry changes nothing.
	for range 2 {
		if got := tags("vip", "instagram"); got != "instagram,spring-sale,vip" {
			t.Fatalf("tags %s", got)
		}
	}
	c, ok := w.bv.Contact("ann@example.com")
	if !ok || c.Attributes[brevo.DefaultTagsAttribute] != "instagram,spring-sale,vip" || c.Attributes["FIRSTNAME"] != "Ann" {
		t.Fatalf("contact %+v", c)
	}
}

func TestRecordGoalIsFreshForItsOwnRetryOnly(t *testing.T) {
	w := newOrderActs(t)
	ctx := context.Background()
	in := GoalInput{StoreHash: w.hash, OrderID: 7, CustomerKey: "c:1", Goal: "BCwelcome", WorkflowID: "goals/x/7",
		At: time.Date(2026, 11, 2, 15, 0, 0, 123456789, time.UTC)}
	for i := range 2 {
		if rec, err := w.acts.RecordGoal(ctx, in); err != nil || !rec.Fresh {
			t.Fatalf("attempt %d: %+v %v", i, rec, err)
		}
	}
	later := in
	later.At = in.At.Add(200 * 24 * time.Hour)
	if rec, err := w.acts.RecordGoal(ctx, later); err != nil || rec.Fresh {
		t.Fatalf("a later run: %+v %v", rec, err)
	}
	if _, err := w.acts.RecordGoal(ctx, GoalInput{StoreHash: w.hash, Goal: "x"}); err == nil {
		t.Fatal("no order id must fail")
	}
}
