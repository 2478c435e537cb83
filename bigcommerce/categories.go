package bigcommerce

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// Category is a v3 catalog category (categories_catalog.v3.yml, Category).
type Category struct {
	ID int `json:"id"`
	// ParentID is 0 for a top-level category.
	ParentID    int    `json:"parent_id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	SortOrder   int    `json:"sort_order"`
	IsVisible   bool   `json:"is_visible"`
	ImageURL    string `json:"image_url"`
	// CustomURL.URL is the category's path on the storefront ("/garden/").
	CustomURL struct {
		URL          string `json:"url"`
		IsCustomized bool   `json:"is_customized"`
	} `json:"custom_url"`
}

// CategoryFilter selects catalog categories. Zero fields are unset.
type CategoryFilter struct {
	IDs []int `json:"ids,omitempty"`
	// ParentID filters on the parent; nil for any (0 is top level).
	ParentID *int `json:"parent_id,omitempty"`
	// IsVisible filters on visibility; nil for any.
	IsVisible *bool `json:"is_visible,omitempty"`
	// Sort is name, id, parent_id or sort_order (ascending).
	Sort string `json:"sort,omitempty"`
	PageOptions
}

func (f CategoryFilter) query() url.Values {
	q := url.Values{}
	if len(f.IDs) > 0 {
		q.Set("id:in", joinInts(f.IDs))
	}
	if f.ParentID != nil {
		q.Set("parent_id", strconv.Itoa(*f.ParentID))
	}
	if f.IsVisible != nil {
		q.Set("is_visible", strconv.FormatBool(*f.IsVisible))
	}
	if f.Sort != "" {
		q.Set("sort", f.Sort)
	}
	f.PageOptions.apply(q)
	return q
}

// GetCategories returns one page of the categories matching f, through GET
// /v3/catalog/categories: the listing the specs describe (the spec marks it
// deprecated in favour of the category trees API, which has no description
// in the specs bcflow is checked against; it serves the same categories).
func (c *Client) GetCategories(ctx context.Context, f CategoryFilter) (Page[Category], error) {
	var items []Category
	p, err := c.callV3(ctx, request{op: "get categories", method: http.MethodGet, path: "/catalog/categories", query: f.query()}, &items)
	if items == nil {
		items = []Category{}
	}
	return Page[Category]{Items: items, Pagination: p}, err
}

// Categories iterates over every category matching f.
func (c *Client) Categories(ctx context.Context, f CategoryFilter) iter.Seq2[Category, error] {
	limit := iterLimit(f.PageOptions)
	return iterate(ctx, f.Page, func(ctx context.Context, page int) ([]Category, bool, error) {
		g := f
		g.PageOptions = PageOptions{Page: page, Limit: limit}
		p, err := c.GetCategories(ctx, g)
		return p.Items, v3More(p.Pagination, len(p.Items), limit), err
	})
}
