package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestMirrorProducts(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		p := MirrorProduct{ID: 12, Name: "Mug", SKU: "MUG", Price: 129900, CategoryIDs: []int{3, 9},
			Images: []string{"https://cdn/x.jpg", "https://cdn/y.jpg"}, URL: "/mug/",
			CustomFields: map[string]string{"material": "clay"}, Availability: "available",
			Variants:     []MirrorVariant{{ID: 1, SKU: "MUG-R", Price: 129900}, {ID: 2, SKU: "MUG-B", Price: 139900}},
			DateModified: t0.Add(time.Hour)}
		must(t, s.UpsertProducts(ctx, "s", []MirrorProduct{p, {ID: 13, Name: "Cup", DateModified: t0}}))
		got, err := s.MirrorProductByID(ctx, "s", 12)
		must(t, err)
		if !reflect.DeepEqual(got, p) {
			t.Fatalf("round trip\n got %+v\nwant %+v", got, p)
		}
		stale := p
		stale.Name = "Old mug"
		stale.DateModified = t0
		must(t, s.UpsertProducts(ctx, "s", []MirrorProduct{stale}))
		undated := p
		undated.Name = "Undated mug"
		undated.DateModified = time.Time{}
		must(t, s.UpsertProducts(ctx, "s", []MirrorProduct{undated}))
		got, err = s.MirrorProductByID(ctx, "s", 12)
		must(t, err)
		if got.Name != "Mug" {
			t.Fatalf("stale product overwrote: %q", got.Name)
		}
		newer := p
		newer.Name = "Big mug"
		newer.DateModified = t0.Add(2 * time.Hour)
		must(t, s.UpsertProducts(ctx, "s", []MirrorProduct{newer}))
		got, err = s.MirrorProductByID(ctx, "s", 12)
		must(t, err)
		if got.Name != "Big mug" {
			t.Fatalf("newer product not written: %q", got.Name)
		}
		must(t, s.DeleteMirrorProduct(ctx, "s", 12))
		if _, err := s.MirrorProductByID(ctx, "s", 12); !errors.Is(err, ErrNotFound) {
			t.Fatalf("after delete: %v", err)
		}
		c, err := s.MirrorCounts(ctx, "s")
		must(t, err)
		if c.Products != 1 {
			t.Fatalf("counts %+v", c)
		}
	})
}

func TestMirrorCategoriesAndCarts(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		must(t, s.UpsertCategories(ctx, "s", []MirrorCategory{{ID: 1, Name: "Kitchen", URL: "/kitchen/"},
			{ID: 2, ParentID: 1, Name: "Mugs"}}))
		must(t, s.UpsertCategories(ctx, "s", []MirrorCategory{{ID: 2, ParentID: 1, Name: "Cups"}}))
		var name string
		must(t, s.DB().Get(&name, s.rebind(`SELECT name FROM mirror_categories WHERE store_hash = ? AND id = ?`), "s", 2))
		if name != "Cups" {
			t.Fatalf("category name %q", name)
		}
		must(t, s.DeleteMirrorCategory(ctx, "s", 1))

		cart := MirrorCart{ID: "9b1e", CustomerID: 3, Email: "Cart@Example.com", ChannelID: 1, Amount: 45000,
			Currency: "EUR", ItemCount: 2, Created: t0, Updated: t0.Add(time.Hour), AbandonedAt: t0.Add(2 * time.Hour)}
		must(t, s.UpsertCart(ctx, "s", cart))
		got, err := s.MirrorCartByID(ctx, "s", "9b1e")
		must(t, err)
		if !reflect.DeepEqual(got, cart) {
			t.Fatalf("cart round trip\n got %+v\nwant %+v", got, cart)
		}
		stale := cart
		stale.Amount = 1
		stale.Updated = t0
		must(t, s.UpsertCart(ctx, "s", stale))
		converted := cart
		converted.OrderID = 500
		converted.Updated = t0.Add(3 * time.Hour)
		must(t, s.UpsertCart(ctx, "s", converted))
		got, err = s.MirrorCartByID(ctx, "s", "9b1e")
		must(t, err)
		if got.Amount != 45000 || got.OrderID != 500 {
			t.Fatalf("cart after stale and newer: %+v", got)
		}
		if err := s.UpsertCart(ctx, "s", MirrorCart{}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("cart without id: %v", err)
		}
		c, err := s.MirrorCounts(ctx, "s")
		must(t, err)
		if c.Categories != 1 || c.Carts != 1 || c.Customers != 0 {
			t.Fatalf("counts %+v", c)
		}
	})
}
