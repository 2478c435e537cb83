package activities

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/emulator/bcemu"
	"github.com/bcflow/bcflow/store"
)

func newTestStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "bcflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

// emulated is a BigCommerce emulator with a real client for its default store.
func emulated(t *testing.T) (*bcemu.Emulator, *bigcommerce.Client) {
	t.Helper()
	emu, err := bcemu.New(bcemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	srv := httptest.NewServer(emu.Handler())
	t.Cleanup(srv.Close)
	seed := bcemu.DefaultStore()
	bc, err := bigcommerce.New(bigcommerce.Options{BaseURL: srv.URL, StoreHash: seed.Hash, AccessToken: seed.AccessToken})
	if err != nil {
		t.Fatal(err)
	}
	return emu, bc
}

func TestParseBirthday(t *testing.T) {
	for in, want := range map[string]string{
		"1990-05-17": "5/17", "1990-05-17T00:00:00Z": "5/17", "05/17/1990": "5/17", "5/17": "5/17", "--05-17": "5/17",
		"2000-02-29": "2/29", " 12/31/1980 ": "12/31",
		"1990-13-01": "", "1990-02-30": "", "17.05.1990": "", "": "", "May 17": "", "05/17/90": "", "1990-05-17x": "",
	} {
		m, d, ok := ParseBirthday(in)
		got := ""
		if ok {
			got = fmt.Sprintf("%d/%d", m, d)
		}
		if got != want {
			t.Errorf("ParseBirthday(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFindBirthdays(t *testing.T) {
	pages := []string{
		`[{"id":1,"email":"a@example.com","first_name":"A","origin_channel_id":1,"form_fields":[{"name":"Birthday","value":"1990-05-17"}]},
		  {"id":2,"email":"b@example.com","form_fields":[{"name":"Birthday","value":"1990-05-18"}]},
		  {"id":3,"email":"c@example.com","attributes":[{"attribute_id":9,"attribute_value":"05/17/1985"}]}]`,
		`[{"id":4,"email":"d@example.com","form_fields":[{"name":"date_of_birth","value":"--05-17"}]},
		  {"id":5,"email":"e@example.com","attributes":[{"attribute_id":8,"attribute_value":"1990-05-17"}]},
		  {"id":6,"email":"f@example.com","form_fields":[{"name":"Birthday","value":"not a date"}]},
		  {"id":7,"email":"g@example.com","form_fields":[{"name":"DOB","value":"2000-02-29"}]}]`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/stores/abc/v3/customers/attributes":
			fmt.Fprint(w, `{"data":[{"id":8,"name":"Favourite colour","type":"string"},{"id":9,"name":"Date of Birth","type":"date"}],
				"meta":{"pagination":{"total":2,"count":2,"per_page":250,"current_page":1,"total_pages":1}}}`)
		case "/stores/abc/v3/customers":
			page := 1
			if r.URL.Query().Get("page") == "2" {
				page = 2
			}
			if !strings.Contains(r.URL.Query().Get("include"), "formfields") {
				t.Errorf("customers without form fields: %s", r.URL.RawQuery)
			}
			fmt.Fprintf(w, `{"data":%s,"meta":{"pagination":{"total":7,"count":3,"per_page":250,"current_page":%d,"total_pages":2}}}`, pages[page-1], page)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	bc, err := bigcommerce.New(bigcommerce.Options{BaseURL: srv.URL, StoreHash: "abc", AccessToken: "t"})
	if err != nil {
		t.Fatal(err)
	}
	a := &Activities{BigCommerce: map[string]*bigcommerce.Client{"abc": bc}}
	var suite testsuite.WorkflowTestSuite
	find := func(in BirthdaysInput) []int64 {
		t.Helper()
		env := suite.NewTestActivityEnvironment()
		env.RegisterActivity(a)
		v, err := env.ExecuteActivity(a.FindBirthdays, in)
		if err != nil {
			t.Fatal(err)
		}
		var found []BirthdayCustomer
		if err := v.Get(&found); err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, c := range found {
			ids = append(ids, c.CustomerID)
		}
		return ids
	}
	if got := fmt.Sprint(find(BirthdaysInput{StoreHash: "abc", Month: time.May, Day: 17})); got != "[1 3 4]" {
		t.Fatalf("17 May: %s", got)
	}
	if got := fmt.Sprint(find(BirthdaysInput{StoreHash: "abc", Month: time.February, Day: 28, AlsoFeb29: true})); got != "[7]" {
		t.Fatalf("28 Feb of a non-leap year: %s", got)
	}
	if got := find(BirthdaysInput{StoreHash: "abc", Month: time.February, Day: 28}); len(got) != 0 {
		t.Fatalf("28 Feb of a leap year: %v", got)
	}
}

func TestLoyaltyLedgerActivities(t *testing.T) {
	a := &Activities{Store: newTestStore(t)}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	at := time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC)
	appendE := func(in LoyaltyEntryInput) LoyaltyEntry {
		t.Helper()
		v, err := env.ExecuteActivity(a.AppendLoyaltyEntry, in)
		if err != nil {
			t.Fatal(err)
		}
		var out LoyaltyEntry
		_ = v.Get(&out)
		return out
	}
	e := appendE(LoyaltyEntryInput{StoreHash: "abc", CustomerID: 7, OrderID: 1, Kind: store.LedgerAward, Points: 120, At: at})
	if !e.Inserted || e.Points != 120 || e.Account.Balance != 120 || e.Account.LifetimeEarned != 120 {
		t.Fatalf("award %+v", e)
	}
	if e = appendE(LoyaltyEntryInput{StoreHash: "abc", CustomerID: 7, OrderID: 1, Kind: store.LedgerAward, Points: 999, At: at}); e.Inserted || e.Points != 120 {
		t.Fatalf("duplicate award %+v", e)
	}
	v, err := env.ExecuteActivity(a.ReverseLoyaltyPoints, LoyaltyReversalInput{StoreHash: "abc", CustomerID: 7, OrderID: 1, Target: 30,
		IdempotencyKey: "refund-1", Reason: "partial refund", At: at})
	if err != nil {
		t.Fatal(err)
	}
	var rev LoyaltyEntry
	_ = v.Get(&rev)
	if !rev.Inserted || rev.Points != -30 || rev.Account.Balance != 90 {
		t.Fatalf("reversal %+v", rev)
	}
	if _, err := env.ExecuteActivity(a.SetLoyaltyTier, LoyaltyTierInput{StoreHash: "abc", CustomerID: 7, Tier: "Silver"}); err != nil {
		t.Fatal(err)
	}
	v, err = env.ExecuteActivity(a.GetLoyaltyAccount, LoyaltyAccountInput{StoreHash: "abc", CustomerID: 7})
	if err != nil {
		t.Fatal(err)
	}
	var acct LoyaltyAccount
	_ = v.Get(&acct)
	if acct != (LoyaltyAccount{Balance: 90, LifetimeEarned: 90, Tier: "Silver"}) {
		t.Fatalf("account %+v", acct)
	}
	// An entry without order or key is refused for good.
	if _, err := env.ExecuteActivity(a.AppendLoyaltyEntry, LoyaltyEntryInput{StoreHash: "abc", CustomerID: 7, Kind: store.LedgerBonus, Points: 5}); err == nil ||
		!strings.Contains(err.Error(), ErrTypeInvalid) {
		t.Fatalf("invalid entry: %v", err)
	}
}

func TestLoadMergeFieldsAndRefundState(t *testing.T) {
	emu, bc := emulated(t)
	hash := bcemu.DefaultStore().Hash
	a := &Activities{Store: newTestStore(t), BigCommerce: map[string]*bigcommerce.Client{hash: bc}}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	load := func(in MergeFieldsInput) MergeFieldSet {
		t.Helper()
		v, err := env.ExecuteActivity(a.LoadMergeFields, in)
		if err != nil {
			t.Fatal(err)
		}
		var out MergeFieldSet
		_ = v.Get(&out)
		return out
	}
	cart, err := emu.CreateCart(hash, bcemu.CartInput{CustomerID: 3, Items: []bcemu.ItemInput{{SKU: "CC3C", Quantity: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	c := load(MergeFieldsInput{StoreHash: hash, CartID: cart.ID})
	if !c.Exists || c.Fields["cart_id"] != cart.ID || c.Fields["cart_item_count"] != "2" || c.Fields["customer_email"] != "buyer@wholesale.example.com" ||
		c.Fields["customer_company"] != "Wholesale Co" || c.Fields["customer_group_id"] != "2" || c.Fields["customer_group_name"] == "" ||
		c.Fields["cart_currency"] == "" || c.Fields["channel_id"] != "1" {
		t.Fatalf("cart fields %v", c.Fields)
	}
	for _, k := range append(append([]string{}, MergeFieldsCustomer...), MergeFieldsCart...) {
		if _, ok := c.Fields[k]; !ok {
			t.Errorf("cart fields lack %s", k)
		}
	}
	order, err := emu.Checkout(hash, cart.ID, bcemu.CheckoutInput{PaymentMethod: "Cash on Delivery"})
	if err != nil {
		t.Fatal(err)
	}
	o := load(MergeFieldsInput{StoreHash: hash, OrderID: int64(order.ID)})
	if !o.Exists || o.StatusID != 11 || o.Shopper.CustomerID != 3 || o.Shopper.Email != "buyer@wholesale.example.com" {
		t.Fatalf("order set %+v", o)
	}
	f := o.Fields
	if f["order_id"] != fmt.Sprint(order.ID) || f["order_payment_method"] != "Cash on Delivery" || f["order_total_inc_tax"] == "" ||
		f["billing_email"] == "" || f["customer_company"] != "Wholesale Co" || f["order_date_created"] == "" || f["cart_id"] != cart.ID ||
		f["order_status"] == "" || f["order_currency"] == "" {
		t.Fatalf("order fields %v", f)
	}
	for _, k := range append(append([]string{}, MergeFieldsCustomer...), MergeFieldsOrder...) {
		if _, ok := f[k]; !ok {
			t.Errorf("order fields lack %s", k)
		}
	}
	if gone := load(MergeFieldsInput{StoreHash: hash, OrderID: 999999}); gone.Exists {
		t.Fatalf("missing order exists: %+v", gone)
	}

	// Refund state: partial, then the rest.
	refund := func() RefundState {
		t.Helper()
		v, err := env.ExecuteActivity(a.LoadRefundState, RefundStateInput{StoreHash: hash, OrderID: int64(order.ID)})
		if err != nil {
			t.Fatal(err)
		}
		var st RefundState
		_ = v.Get(&st)
		return st
	}
	if _, err := emu.Refund(hash, order.ID, bcemu.RefundInput{Amount: 10}); err != nil {
		t.Fatal(err)
	}
	if st := refund(); !st.Exists || st.StatusID != 14 || st.RefundedAmount != "10" {
		t.Fatalf("partial refund state %+v", st)
	}
	if _, err := emu.Refund(hash, order.ID, bcemu.RefundInput{}); err != nil {
		t.Fatal(err)
	}
	if st := refund(); st.StatusID != 4 || st.RefundedAmount != st.TotalIncTax {
		t.Fatalf("full refund state %+v", st)
	}
}

func TestLoyaltyCouponsAreIdempotentAndRevocable(t *testing.T) {
	_, bc := emulated(t)
	hash := bcemu.DefaultStore().Hash
	l := NewLoyaltyCoupons(map[string]*bigcommerce.Client{hash: bc})
	ctx := context.Background()
	exp := time.Now().Add(24 * time.Hour)
	for range 2 { // the retry finds the promotion and the code
		if err := l.IssueCoupon(ctx, hash, 1, "BCL-TEST1", "5.00", exp); err != nil {
			t.Fatal(err)
		}
	}
	page, err := bc.ListPromotions(ctx, bigcommerce.PromotionFilter{Code: "BCL-TEST1"})
	if err != nil || len(page.Items) != 1 || len(page.Items[0].Channels) != 1 || page.Items[0].Channels[0].ID != 1 {
		t.Fatalf("promotions %+v %v", page.Items, err)
	}
	if err := l.RevokeCoupon(ctx, hash, "BCL-TEST1"); err != nil {
		t.Fatal(err)
	}
	if page, _ = bc.ListPromotions(ctx, bigcommerce.PromotionFilter{Code: "BCL-TEST1"}); len(page.Items) != 0 {
		t.Fatalf("revoked coupon still there: %+v", page.Items)
	}
	if err := l.RevokeCoupon(ctx, hash, "BCL-TEST1"); err != nil {
		t.Fatalf("revoking twice: %v", err)
	}
	if err := l.IssueCoupon(ctx, "nostore", 0, "X", "5.00", exp); err == nil {
		t.Fatal("unknown store accepted")
	}
}
