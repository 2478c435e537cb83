package syncer

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/messaging"
	"github.com/bcflow/bcflow/store"
)

// productIncludes are the sub-resources a product page brings along.
var productIncludes = []string{"variants", "images", "custom_fields"}

func (s *Syncer) countProducts(ctx context.Context, bc *bigcommerce.Client, since time.Time) (int64, error) {
	p, err := bc.GetProducts(ctx, bigcommerce.ProductFilter{DateModifiedMin: since, PageOptions: bigcommerce.PageOptions{Page: 1, Limit: 1}})
	if err != nil {
		return 0, err
	}
	return int64(p.Pagination.Total), nil
}

func (s *Syncer) productPage(ctx context.Context, bc *bigcommerce.Client, since time.Time, page int) (Result, error) {
	p, err := bc.GetProducts(ctx, bigcommerce.ProductFilter{
		DateModifiedMin: since, Include: productIncludes, Sort: "id", Direction: "asc",
		PageOptions: bigcommerce.PageOptions{Page: page, Limit: bigcommerce.MaxPageSize},
	})
	if err != nil {
		return Result{}, err
	}
	r, err := s.Products(ctx, bc.StoreHash(), p.Items)
	r.Full, r.Requests = len(p.Items) >= bigcommerce.MaxPageSize, 1
	return r, err
}

// Product mirrors one product (a webhook's), or removes it from the mirror
// when BigCommerce no longer has it.
func (s *Syncer) Product(ctx context.Context, bc *bigcommerce.Client, productID int64) error {
	p, err := bc.GetProduct(ctx, int(productID), productIncludes...)
	if bigcommerce.IsNotFound(err) {
		if err := s.Store.DeleteMirrorProduct(ctx, bc.StoreHash(), productID); err != nil {
			return fmt.Errorf("syncer: delete product: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("syncer: load product: %w", err)
	}
	_, err = s.Products(ctx, bc.StoreHash(), []bigcommerce.Product{p})
	return err
}

// Products writes products (with variants, images, custom fields) into the
// mirror and pushes the changed ones to the provider's catalog.
func (s *Syncer) Products(ctx context.Context, storeHash string, ps []bigcommerce.Product) (Result, error) {
	return copyEntities(ctx, s, storeHash, ps, entityCopy[bigcommerce.Product, store.MirrorProduct, messaging.Product]{
		what: Products, kind: pushProduct, upsert: s.Store.UpsertProducts,
		mirror: func(p bigcommerce.Product) store.MirrorProduct {
			return mirrorProduct(p, s.link(ctx, storeHash, p.CustomURL.URL))
		},
		payload: func(_ bigcommerce.Product, m store.MirrorProduct) (string, messaging.Product, bool) {
			return strconv.FormatInt(m.ID, 10), providerProduct(m), true
		},
		send: func(ctx context.Context, changed []messaging.Product, _ []bool) error {
			return s.Provider.UpsertProducts(ctx, changed)
		},
	})
}

func (s *Syncer) countCategories(ctx context.Context, bc *bigcommerce.Client) (int64, error) {
	p, err := bc.GetCategories(ctx, bigcommerce.CategoryFilter{PageOptions: bigcommerce.PageOptions{Page: 1, Limit: 1}})
	if err != nil {
		return 0, err
	}
	return int64(p.Pagination.Total), nil
}

// categoryPage copies a page of categories; the list has no modified-since
// filter and categories are few, so every sync copies them all (the push
// sends only the changed ones).
func (s *Syncer) categoryPage(ctx context.Context, bc *bigcommerce.Client, page int) (Result, error) {
	p, err := bc.GetCategories(ctx, bigcommerce.CategoryFilter{PageOptions: bigcommerce.PageOptions{Page: page, Limit: bigcommerce.MaxPageSize}})
	if err != nil {
		return Result{}, err
	}
	r, err := s.Categories(ctx, bc.StoreHash(), p.Items)
	r.Full, r.Requests = len(p.Items) >= bigcommerce.MaxPageSize, 1
	return r, err
}

// Category mirrors one category (a webhook's), or removes it.
func (s *Syncer) Category(ctx context.Context, bc *bigcommerce.Client, categoryID int64) error {
	p, err := bc.GetCategories(ctx, bigcommerce.CategoryFilter{IDs: []int{int(categoryID)}})
	if err != nil {
		return fmt.Errorf("syncer: load category: %w", err)
	}
	if len(p.Items) == 0 {
		if err := s.Store.DeleteMirrorCategory(ctx, bc.StoreHash(), categoryID); err != nil {
			return fmt.Errorf("syncer: delete category: %w", err)
		}
		return nil
	}
	_, err = s.Categories(ctx, bc.StoreHash(), p.Items)
	return err
}

// Categories writes categories into the mirror and pushes the changed ones.
func (s *Syncer) Categories(ctx context.Context, storeHash string, cs []bigcommerce.Category) (Result, error) {
	return copyEntities(ctx, s, storeHash, cs, entityCopy[bigcommerce.Category, store.MirrorCategory, messaging.Category]{
		what: Categories, kind: pushCategory, upsert: s.Store.UpsertCategories,
		mirror: func(c bigcommerce.Category) store.MirrorCategory {
			return store.MirrorCategory{ID: int64(c.ID), ParentID: int64(c.ParentID), Name: c.Name, URL: s.link(ctx, storeHash, c.CustomURL.URL)}
		},
		payload: func(_ bigcommerce.Category, m store.MirrorCategory) (string, messaging.Category, bool) {
			id := strconv.FormatInt(m.ID, 10)
			return id, messaging.Category{ID: id, Name: m.Name, URL: m.URL}, true
		},
		send: func(ctx context.Context, changed []messaging.Category, _ []bool) error {
			return s.Provider.UpsertCategories(ctx, changed)
		},
	})
}

// link makes a storefront path absolute on the store's default channel.
func (s *Syncer) link(ctx context.Context, storeHash, path string) string {
	if path == "" || s.StorefrontURL == nil || (len(path) > 4 && path[:4] == "http") {
		return path
	}
	base := s.StorefrontURL(ctx, storeHash, 1)
	if base == "" {
		return path
	}
	return base + path
}

// mirrorProduct maps a product to its mirror row.
func mirrorProduct(p bigcommerce.Product, url string) store.MirrorProduct {
	m := store.MirrorProduct{
		ID: int64(p.ID), Name: p.Name, SKU: p.SKU, Price: money(p.Price), CategoryIDs: p.Categories, URL: url,
		Availability: p.Availability, DateModified: p.DateModified.Time,
	}
	for _, img := range p.Images {
		m.Images = append(m.Images, img.URLStandard)
	}
	for _, v := range p.Variants {
		price := p.Price // a variant without its own price has the product's
		if v.Price != nil {
			price = *v.Price
		}
		m.Variants = append(m.Variants, store.MirrorVariant{ID: int64(v.ID), SKU: v.SKU, Price: money(price)})
	}
	if len(p.CustomFields) > 0 {
		m.CustomFields = map[string]string{}
		for _, f := range p.CustomFields {
			m.CustomFields[f.Name] = f.Value
		}
	}
	return m
}
