package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestMirrorCustomerRoundTrip(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := MirrorCustomer{ID: 9, Email: "Zoe@Example.com", FirstName: "Zoé", LastName: "Lambert", Phone: "+33612345678",
			Company: "ACME", GroupID: 3, ChannelIDs: []int{1, 4}, AcceptsMarketing: true, StoreCredit: 125000,
			Country: "FR", AddressCount: 2, AddressSummary: "Lyon, FR", DateCreated: t0, DateModified: t0.Add(time.Hour),
			B2BCompanyID: 44, B2BCompanyName: "ACME SAS", Attributes: map[string]string{"tier": "gold", "size": "M"}}
		// Text that array and JSON encodings must carry intact.
		odd := MirrorCustomer{ID: 10, Email: "odd@example.com", FirstName: "NULL", LastName: `"q", {b} \ \"x\"`,
			Company: "", Phone: "é 😀 \t tab", Attributes: map[string]string{`k"{,}`: `v\"NULL`}, DateModified: t0}
		must(t, s.UpsertCustomers(ctx, "s", []MirrorCustomer{c, odd}))
		got, err := s.MirrorCustomerByID(ctx, "s", 9)
		must(t, err)
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("round trip\n got %+v\nwant %+v", got, c)
		}
		got, err = s.MirrorCustomerByID(ctx, "s", 10)
		must(t, err)
		odd.ChannelIDs = []int{}
		if !reflect.DeepEqual(got, odd) {
			t.Fatalf("odd text round trip\n got %#v\nwant %#v", got, odd)
		}
		if _, err := s.MirrorCustomerByID(ctx, "s", 11); !errors.Is(err, ErrNotFound) {
			t.Fatalf("absent: %v", err)
		}

		// Stale ignored; equal date rewritten.
		stale := c
		stale.FirstName = "Old"
		stale.DateModified = t0
		must(t, s.UpsertCustomers(ctx, "s", []MirrorCustomer{stale}))
		got, err = s.MirrorCustomerByID(ctx, "s", 9)
		must(t, err)
		if got.FirstName != "Zoé" {
			t.Fatalf("stale customer overwrote: %+v", got)
		}
		same := c
		same.AcceptsMarketing = false
		same.ChannelIDs = nil
		same.Attributes = nil
		must(t, s.UpsertCustomers(ctx, "s", []MirrorCustomer{same}))
		got, err = s.MirrorCustomerByID(ctx, "s", 9)
		must(t, err)
		if got.AcceptsMarketing || len(got.ChannelIDs) != 0 || len(got.Attributes) != 0 {
			t.Fatalf("equal-date upsert not written: %+v", got)
		}

		must(t, s.DeleteMirrorCustomer(ctx, "s", 9))
		must(t, s.DeleteMirrorCustomer(ctx, "s", 9))
		if _, err := s.MirrorCustomerByID(ctx, "s", 9); !errors.Is(err, ErrNotFound) {
			t.Fatalf("after delete: %v", err)
		}
	})
}

// A guest's orders attach to the customer who registers with that email;
// the customer's later email change takes the figures along.
func TestMirrorCustomerAttachAndEmailChange(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		day := 24 * time.Hour
		must(t, s.UpsertOrders(ctx, "s", []MirrorOrder{
			testOrder(1, "Kim@Example.com", 10, 20000, t0),
			testOrder(2, "kim@example.com", 10, 30000, t0.Add(day)),
		}))
		st, err := s.ShopperStats(ctx, "s", "kim@example.com")
		must(t, err)
		if st.CustomerID != 0 || st.OrdersCount != 2 {
			t.Fatalf("guest %+v", st)
		}

		c := MirrorCustomer{ID: 5, Email: "KIM@example.com", DateModified: t0}
		must(t, s.UpsertCustomers(ctx, "s", []MirrorCustomer{c}))
		st, err = s.ShopperStats(ctx, "s", "kim@example.com")
		must(t, err)
		if st.CustomerID != 5 || st.OrdersCount != 2 || st.TotalSpent != 50000 {
			t.Fatalf("attached %+v", st)
		}

		// A registered order under another billing email counts for the
		// customer's email.
		o3 := testOrder(3, "kim.work@example.com", 10, 5000, t0.Add(2*day))
		o3.CustomerID = 5
		must(t, s.UpsertOrders(ctx, "s", []MirrorOrder{o3}))
		st, err = s.ShopperStats(ctx, "s", "kim@example.com")
		must(t, err)
		if st.OrdersCount != 3 || st.TotalSpent != 55000 || !st.LastOrderAt.Equal(t0.Add(2*day)) {
			t.Fatalf("registered order %+v", st)
		}

		// The customer changes email: the customer's order moves, the
		// guest orders stay with the old email.
		c.Email = "kim@new.example"
		c.DateModified = t0.Add(3 * day)
		must(t, s.UpsertCustomers(ctx, "s", []MirrorCustomer{c}))
		old, err := s.ShopperStats(ctx, "s", "kim@example.com")
		must(t, err)
		if old.CustomerID != 0 || old.OrdersCount != 2 || old.TotalSpent != 50000 || !old.LastOrderAt.Equal(t0.Add(day)) {
			t.Fatalf("old email after change %+v", old)
		}
		nw, err := s.ShopperStats(ctx, "s", "kim@new.example")
		must(t, err)
		if nw.CustomerID != 5 || nw.OrdersCount != 1 || nw.TotalSpent != 5000 || !nw.FirstOrderAt.Equal(t0.Add(2*day)) {
			t.Fatalf("new email after change %+v", nw)
		}

		// Deleted: the order counts for its own billing email again.
		must(t, s.DeleteMirrorCustomer(ctx, "s", 5))
		nw, err = s.ShopperStats(ctx, "s", "kim@new.example")
		must(t, err)
		if nw.CustomerID != 0 || nw.OrdersCount != 0 {
			t.Fatalf("after delete, new email %+v", nw)
		}
		work, err := s.ShopperStats(ctx, "s", "kim.work@example.com")
		must(t, err)
		if work.OrdersCount != 1 || work.TotalSpent != 5000 {
			t.Fatalf("after delete, billing email %+v", work)
		}
	})
}
