package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// MirrorProduct is a catalog product as the mirror holds it.
type MirrorProduct struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	SKU         string `json:"sku"`
	Price       Money  `json:"price"`
	CategoryIDs []int  `json:"category_ids"`
	// Images are image URLs, the thumbnail first.
	Images       []string          `json:"images"`
	URL          string            `json:"url"`
	CustomFields map[string]string `json:"custom_fields"`
	// Availability is BigCommerce's availability: available, disabled or
	// preorder.
	Availability string          `json:"availability"`
	Variants     []MirrorVariant `json:"variants"`
	DateModified time.Time       `json:"date_modified"`
}

// MirrorVariant is one variant (SKU) of a product.
type MirrorVariant struct {
	ID    int64  `json:"id"`
	SKU   string `json:"sku"`
	Price Money  `json:"price"`
}

// MirrorCategory is a catalog category.
type MirrorCategory struct {
	ID       int64  `json:"id"`
	ParentID int64  `json:"parent_id"`
	Name     string `json:"name"`
	URL      string `json:"url"`
}

var productsTable = newTableSpec("mirror_products", `store_hash text, id bigint, name text, sku text, price bigint,
	category_ids jsonb, images jsonb, url text, custom_fields jsonb, availability text, variants jsonb,
	date_modified timestamptz`)

var categoriesTable = newTableSpec("mirror_categories", `store_hash text, id bigint, parent_id bigint, name text,
	url text`)

// UpsertProducts writes a page of products in one statement; a product older
// (DateModified) than its stored row is ignored.
func (s *Store) UpsertProducts(ctx context.Context, storeHash string, products []MirrorProduct) error {
	if len(products) == 0 {
		return nil
	}
	if storeHash == "" {
		return fmt.Errorf("store: upsert products: store hash is required: %w", ErrInvalid)
	}
	products, err := latestByID(products, func(p MirrorProduct) (int64, time.Time) { return p.ID, p.DateModified })
	if err != nil {
		return fmt.Errorf("store: upsert products: %w", err)
	}
	args := make([]any, 0, len(products)*12)
	for _, p := range products {
		fields := p.CustomFields
		if fields == nil {
			fields = map[string]string{}
		}
		var texts [4]string
		for i, v := range []any{nonNil(p.CategoryIDs), nonNil(p.Images), fields, nonNil(p.Variants)} {
			if texts[i], err = jsonText(v); err != nil {
				return fmt.Errorf("store: upsert products: %w", err)
			}
		}
		args = append(args, storeHash, p.ID, p.Name, p.SKU, p.Price, texts[0], texts[1], p.URL, texts[2], p.Availability,
			texts[3], s.ntv(p.DateModified))
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.insertRows(ctx, tx, productsTable, args, `
			ON CONFLICT (store_hash, id) DO UPDATE SET name = excluded.name, sku = excluded.sku, price = excluded.price,
			category_ids = excluded.category_ids, images = excluded.images, url = excluded.url,
			custom_fields = excluded.custom_fields, availability = excluded.availability, variants = excluded.variants,
			date_modified = excluded.date_modified
			WHERE mirror_products.date_modified IS NULL OR excluded.date_modified >= mirror_products.date_modified`); err != nil {
			return err
		}
		ids := make([]any, len(products))
		for i, p := range products {
			ids[i] = p.ID
		}
		return s.rebuildProductCategories(ctx, tx, storeHash, ids)
	})
	if err != nil {
		return fmt.Errorf("store: upsert %d products: %w", len(products), err)
	}
	return nil
}

// rebuildProductCategories sets the mirror_product_categories rows of the
// products from their stored category_ids (a stale page, not written, gets
// its stored rows again).
func (s *Store) rebuildProductCategories(ctx context.Context, tx *sqlx.Tx, storeHash string, ids []any) error {
	elems := `jsonb_array_elements(p.category_ids) AS e(v) WHERE jsonb_typeof(p.category_ids) = 'array'
		AND jsonb_typeof(e.v) = 'number'`
	val := `(e.v #>> '{}')::numeric::bigint`
	if s.dialect == DialectSQLite {
		elems = `json_each(p.category_ids) AS e WHERE json_valid(p.category_ids) AND e.type = 'integer'`
		val = `e.value`
	}
	for _, chunk := range chunks(ids, s.batchParams()) {
		args := append([]any{storeHash}, chunk...)
		if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM mirror_product_categories WHERE store_hash = ?
			AND product_id IN (`+inList(len(chunk))+`)`), args...); err != nil {
			return fmt.Errorf("replace product categories: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO mirror_product_categories (store_hash, product_id, category_id)
			SELECT DISTINCT p.store_hash, p.id, `+val+` FROM mirror_products p, `+elems+`
			AND p.store_hash = ? AND p.id IN (`+inList(len(chunk))+`) ON CONFLICT DO NOTHING`), args...); err != nil {
			return fmt.Errorf("write product categories: %w", err)
		}
	}
	return nil
}

// MirrorProductByID returns a mirrored product, or ErrNotFound.
func (s *Store) MirrorProductByID(ctx context.Context, storeHash string, id int64) (MirrorProduct, error) {
	var p MirrorProduct
	err := s.rdb.QueryRowContext(ctx, s.rebind(`SELECT `+productsTable.colList+` FROM mirror_products WHERE store_hash = ? AND id = ?`),
		storeHash, id).Scan(new(string), &p.ID, &p.Name, &p.SKU, &p.Price, jsonCol{&p.CategoryIDs}, jsonCol{&p.Images},
		&p.URL, jsonCol{&p.CustomFields}, &p.Availability, jsonCol{&p.Variants}, (*dbTime)(&p.DateModified))
	if errors.Is(err, sql.ErrNoRows) {
		return MirrorProduct{}, fmt.Errorf("store: mirror product %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return MirrorProduct{}, fmt.Errorf("store: mirror product %d: %w", id, err)
	}
	return p, nil
}

// DeleteMirrorProduct removes a product (the product/deleted webhook); order
// lines keep their product id. Deleting an absent product is not an error.
func (s *Store) DeleteMirrorProduct(ctx context.Context, storeHash string, id int64) error {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM mirror_products WHERE store_hash = ? AND id = ?`),
			storeHash, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM mirror_product_categories WHERE store_hash = ? AND product_id = ?`),
			storeHash, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: delete mirror product %d: %w", id, err)
	}
	return nil
}

// UpsertCategories writes a page of categories in one statement (categories
// carry no modification date: the last write wins).
func (s *Store) UpsertCategories(ctx context.Context, storeHash string, categories []MirrorCategory) error {
	if len(categories) == 0 {
		return nil
	}
	if storeHash == "" {
		return fmt.Errorf("store: upsert categories: store hash is required: %w", ErrInvalid)
	}
	categories, err := latestByID(categories, func(c MirrorCategory) (int64, time.Time) { return c.ID, time.Time{} })
	if err != nil {
		return fmt.Errorf("store: upsert categories: %w", err)
	}
	args := make([]any, 0, len(categories)*5)
	for _, c := range categories {
		args = append(args, storeHash, c.ID, c.ParentID, c.Name, c.URL)
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		return s.insertRows(ctx, tx, categoriesTable, args, `
			ON CONFLICT (store_hash, id) DO UPDATE SET parent_id = excluded.parent_id, name = excluded.name,
			url = excluded.url`)
	})
	if err != nil {
		return fmt.Errorf("store: upsert %d categories: %w", len(categories), err)
	}
	return nil
}

// DeleteMirrorCategory removes a category (the category/deleted webhook).
// Deleting an absent category is not an error.
func (s *Store) DeleteMirrorCategory(ctx context.Context, storeHash string, id int64) error {
	if _, err := s.db.ExecContext(ctx, s.rebind(`DELETE FROM mirror_categories WHERE store_hash = ? AND id = ?`),
		storeHash, id); err != nil {
		return fmt.Errorf("store: delete mirror category %d: %w", id, err)
	}
	return nil
}
