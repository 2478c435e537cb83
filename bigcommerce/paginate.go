package bigcommerce

import (
	"context"
	"iter"
	"net/url"
	"strconv"
)

// Page sizes. Both generations accept up to 250 items per page; v3 rejects
// larger limits with a 422, v2 clamps them.
const (
	MaxPageSize     = 250
	defaultPageSize = 50
)

// maxPages bounds an iteration, in case a server ignores the page parameter.
const maxPages = 100000

// Pagination is v3's meta.pagination.
type Pagination struct {
	Total       int `json:"total"`
	Count       int `json:"count"`
	PerPage     int `json:"per_page"`
	CurrentPage int `json:"current_page"`
	TotalPages  int `json:"total_pages"`
	Links       struct {
		Previous string `json:"previous,omitempty"`
		Current  string `json:"current,omitempty"`
		Next     string `json:"next,omitempty"`
	} `json:"links"`
}

// Page is one page of a v3 collection.
type Page[T any] struct {
	Items      []T
	Pagination Pagination
}

// HasNext reports whether a later page exists.
func (p Page[T]) HasNext() bool { return p.Pagination.CurrentPage < p.Pagination.TotalPages }

// PageOptions selects a page; zero values mean page 1 and the API's default
// size (50). Iterators default to MaxPageSize.
type PageOptions struct {
	Page  int `json:"page,omitempty"`
	Limit int `json:"limit,omitempty"`
}

func (p PageOptions) apply(q url.Values) {
	if p.Page > 0 {
		q.Set("page", strconv.Itoa(p.Page))
	}
	if p.Limit > 0 {
		l := p.Limit
		if l > MaxPageSize {
			l = MaxPageSize
		}
		q.Set("limit", strconv.Itoa(l))
	}
}

// iterLimit is the page size an iterator asks for.
func iterLimit(p PageOptions) int {
	if p.Limit <= 0 || p.Limit > MaxPageSize {
		return MaxPageSize
	}
	return p.Limit
}

// iterate walks the pages fetch returns from page start on, yielding each
// item; fetch reports whether a later page exists. The first error is
// yielded once, and iteration stops.
func iterate[T any](ctx context.Context, start int, fetch func(ctx context.Context, page int) ([]T, bool, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		if start < 1 {
			start = 1
		}
		for page := start; page < start+maxPages; page++ {
			items, more, err := fetch(ctx, page)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if !more || len(items) == 0 {
				return
			}
		}
	}
}

// v3More reports whether a v3 page has a successor: from meta.pagination
// when present, else from a full page.
func v3More(p Pagination, n, limit int) bool {
	if p.TotalPages > 0 || p.CurrentPage > 0 {
		return p.CurrentPage < p.TotalPages
	}
	return n >= limit
}

// Collect drains an iterator into a slice, stopping at the first error.
func Collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}
