package bigcommerce

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Product is a v3 catalog product (product_Full, the fields flows use).
type Product struct {
	ID                int     `json:"id"`
	Name              string  `json:"name"`
	Type              string  `json:"type"` // physical or digital
	SKU               string  `json:"sku"`
	Description       string  `json:"description"`
	Price             Decimal `json:"price"`
	SalePrice         Decimal `json:"sale_price"`
	RetailPrice       Decimal `json:"retail_price"`
	CalculatedPrice   Decimal `json:"calculated_price"`
	BrandID           int     `json:"brand_id"`
	Categories        []int   `json:"categories"`
	InventoryLevel    int     `json:"inventory_level"`
	InventoryTracking string  `json:"inventory_tracking"`
	IsVisible         bool    `json:"is_visible"`
	Availability      string  `json:"availability"`
	CustomURL         struct {
		URL string `json:"url"`
	} `json:"custom_url"`
	DateCreated  Time `json:"date_created"`
	DateModified Time `json:"date_modified"`
	// Variants is set with Include "variants".
	Variants []Variant `json:"variants,omitempty"`
	// Images is set with Include "images".
	Images []ProductImage `json:"images,omitempty"`
	// PrimaryImage is set with Include "primary_image".
	PrimaryImage *ProductImage `json:"primary_image,omitempty"`
	// CustomFields is set with Include IncludeCustomFields.
	CustomFields []ProductCustomField `json:"custom_fields,omitempty"`
}

// ProductCustomField is a name/value pair a merchant adds to a product.
type ProductCustomField struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ThumbnailURL returns the standard-size URL of the thumbnail image (or the
// first image), "" when the product was fetched without images.
func (p Product) ThumbnailURL() string {
	if p.PrimaryImage != nil && p.PrimaryImage.URLStandard != "" {
		return p.PrimaryImage.URLStandard
	}
	for _, img := range p.Images {
		if img.IsThumbnail {
			return img.URLStandard
		}
	}
	if len(p.Images) > 0 {
		return p.Images[0].URLStandard
	}
	return ""
}

// Variant is a purchasable variant of a product.
type Variant struct {
	ID                 int      `json:"id"`
	ProductID          int      `json:"product_id"`
	SKU                string   `json:"sku"`
	Price              *Decimal `json:"price"`      // nil: the product's price
	SalePrice          *Decimal `json:"sale_price"` // nil: none
	CalculatedPrice    Decimal  `json:"calculated_price"`
	InventoryLevel     int      `json:"inventory_level"`
	ImageURL           string   `json:"image_url"`
	PurchasingDisabled bool     `json:"purchasing_disabled"`
	// UPC and MPN identify the variant outside the store.
	UPC          string               `json:"upc"`
	MPN          string               `json:"mpn"`
	OptionValues []VariantOptionValue `json:"option_values"`
}

// VariantOptionValue is one option choice of a variant ("Size: Small").
type VariantOptionValue struct {
	ID                int    `json:"id"`
	Label             string `json:"label"`
	OptionID          int    `json:"option_id"`
	OptionDisplayName string `json:"option_display_name"`
}

// ProductImage is a product image.
type ProductImage struct {
	ID           int    `json:"id"`
	ProductID    int    `json:"product_id"`
	IsThumbnail  bool   `json:"is_thumbnail"`
	SortOrder    int    `json:"sort_order"`
	Description  string `json:"description"`
	URLZoom      string `json:"url_zoom"`
	URLStandard  string `json:"url_standard"`
	URLThumbnail string `json:"url_thumbnail"`
	URLTiny      string `json:"url_tiny"`
}

// Product sub-resources for ProductFilter.Include.
const (
	IncludeVariants     = "variants"
	IncludeImages       = "images"
	IncludePrimaryImage = "primary_image"
	IncludeCustomFields = "custom_fields"
)

// ProductFilter selects catalog products. Zero fields are unset.
type ProductFilter struct {
	IDs  []int    `json:"ids,omitempty"`
	SKUs []string `json:"skus,omitempty"`
	// Include lists sub-resources: IncludeVariants, IncludeImages,
	// IncludePrimaryImage, IncludeCustomFields, …
	Include []string `json:"include,omitempty"`
	// DateModifiedMin and DateModifiedMax bound date_modified (sent as
	// date_modified:min / :max, ISO 8601 UTC).
	DateModifiedMin time.Time `json:"date_modified_min,omitzero"`
	DateModifiedMax time.Time `json:"date_modified_max,omitzero"`
	// Sort is the field to sort by (id, name, sku, price, date_modified, …);
	// Direction is "asc" or "desc" (the API's default: asc).
	Sort      string `json:"sort,omitempty"`
	Direction string `json:"direction,omitempty"`
	PageOptions
}

func (f ProductFilter) query() url.Values {
	q := url.Values{}
	if len(f.IDs) > 0 {
		q.Set("id:in", joinInts(f.IDs))
	}
	if len(f.SKUs) > 0 {
		q.Set("sku:in", strings.Join(f.SKUs, ","))
	}
	if len(f.Include) > 0 {
		q.Set("include", strings.Join(f.Include, ","))
	}
	if !f.DateModifiedMin.IsZero() {
		q.Set("date_modified:min", formatFilterTime(f.DateModifiedMin))
	}
	if !f.DateModifiedMax.IsZero() {
		q.Set("date_modified:max", formatFilterTime(f.DateModifiedMax))
	}
	if f.Sort != "" {
		q.Set("sort", f.Sort)
	}
	if f.Direction != "" {
		q.Set("direction", f.Direction)
	}
	f.PageOptions.apply(q)
	return q
}

// GetProducts returns one page of the products matching f.
func (c *Client) GetProducts(ctx context.Context, f ProductFilter) (Page[Product], error) {
	var items []Product
	p, err := c.callV3(ctx, request{op: "get products", method: http.MethodGet, path: "/catalog/products", query: f.query()}, &items)
	if items == nil {
		items = []Product{}
	}
	return Page[Product]{Items: items, Pagination: p}, err
}

// Products iterates over every product matching f.
func (c *Client) Products(ctx context.Context, f ProductFilter) iter.Seq2[Product, error] {
	limit := iterLimit(f.PageOptions)
	return iterate(ctx, f.Page, func(ctx context.Context, page int) ([]Product, bool, error) {
		g := f
		g.PageOptions = PageOptions{Page: page, Limit: limit}
		p, err := c.GetProducts(ctx, g)
		return p.Items, v3More(p.Pagination, len(p.Items), limit), err
	})
}

// GetProduct returns a product with the given sub-resources.
func (c *Client) GetProduct(ctx context.Context, productID int, include ...string) (Product, error) {
	q := url.Values{}
	if len(include) > 0 {
		q.Set("include", strings.Join(include, ","))
	}
	var p Product
	_, err := c.callV3(ctx, request{op: fmt.Sprintf("get product %d", productID), method: http.MethodGet,
		path: "/catalog/products/" + pathID(productID), query: q}, &p)
	return p, err
}
