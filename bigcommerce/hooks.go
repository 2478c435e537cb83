package bigcommerce

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// Hook is a webhook subscription. Headers are sent with every delivery; they
// usually carry a shared secret, so do not log a Hook.
type Hook struct {
	ID          int               `json:"id"`
	ClientID    string            `json:"client_id"`
	StoreHash   string            `json:"store_hash"`
	Scope       string            `json:"scope"`
	Destination string            `json:"destination"`
	IsActive    bool              `json:"is_active"`
	Headers     map[string]string `json:"headers"`
	CreatedAt   Time              `json:"created_at"`
	UpdatedAt   Time              `json:"updated_at"`
}

// HookInput creates a webhook subscription.
type HookInput struct {
	Scope       string `json:"scope"`       // e.g. "store/cart/abandoned"
	Destination string `json:"destination"` // https URL on port 443
	// IsActive defaults to true.
	IsActive *bool             `json:"is_active,omitempty"`
	Headers  map[string]string `json:"headers,omitempty"`
}

// HookUpdate changes a subscription; nil fields stay as they are.
type HookUpdate struct {
	Scope       *string `json:"scope,omitempty"`
	Destination *string `json:"destination,omitempty"`
	IsActive    *bool   `json:"is_active,omitempty"`
	// Headers replaces the headers when not nil.
	Headers map[string]string `json:"headers,omitempty"`
}

// HookFilter selects webhook subscriptions. Zero fields are unset.
type HookFilter struct {
	Scope       string `json:"scope,omitempty"`
	Destination string `json:"destination,omitempty"`
	IsActive    *bool  `json:"is_active,omitempty"`
	PageOptions
}

// ListHooks returns one page of the subscriptions of this API account.
func (c *Client) ListHooks(ctx context.Context, f HookFilter) (Page[Hook], error) {
	q := url.Values{}
	if f.Scope != "" {
		q.Set("scope", f.Scope)
	}
	if f.Destination != "" {
		q.Set("destination", f.Destination)
	}
	if f.IsActive != nil {
		q.Set("is_active", strconv.FormatBool(*f.IsActive))
	}
	f.PageOptions.apply(q)
	var items []Hook
	p, err := c.callV3(ctx, request{op: "list hooks", method: http.MethodGet, path: "/hooks", query: q}, &items)
	if items == nil {
		items = []Hook{}
	}
	return Page[Hook]{Items: items, Pagination: p}, err
}

// Hooks iterates over every subscription matching f.
func (c *Client) Hooks(ctx context.Context, f HookFilter) iter.Seq2[Hook, error] {
	limit := iterLimit(f.PageOptions)
	return iterate(ctx, f.Page, func(ctx context.Context, page int) ([]Hook, bool, error) {
		g := f
		g.PageOptions = PageOptions{Page: page, Limit: limit}
		p, err := c.ListHooks(ctx, g)
		return p.Items, v3More(p.Pagination, len(p.Items), limit), err
	})
}

// GetHook returns a subscription.
func (c *Client) GetHook(ctx context.Context, hookID int) (Hook, error) {
	var h Hook
	_, err := c.callV3(ctx, request{op: fmt.Sprintf("get hook %d", hookID), method: http.MethodGet, path: "/hooks/" + pathID(hookID)}, &h)
	return h, err
}

// CreateHook subscribes a destination to a scope.
func (c *Client) CreateHook(ctx context.Context, in HookInput) (Hook, error) {
	op := "create hook " + in.Scope
	if in.Scope == "" || in.Destination == "" {
		return Hook{}, errors.New("bigcommerce: " + op + ": scope and destination are required")
	}
	var h Hook
	_, err := c.callV3(ctx, request{op: op, method: http.MethodPost, path: "/hooks", body: in}, &h)
	return h, err
}

// UpdateHook changes a subscription.
func (c *Client) UpdateHook(ctx context.Context, hookID int, in HookUpdate) (Hook, error) {
	if in.Scope == nil && in.Destination == nil && in.IsActive == nil && in.Headers == nil {
		return Hook{}, fmt.Errorf("bigcommerce: update hook %d: nothing to change", hookID)
	}
	var h Hook
	_, err := c.callV3(ctx, request{op: fmt.Sprintf("update hook %d", hookID), method: http.MethodPut,
		path: "/hooks/" + pathID(hookID), body: in}, &h)
	return h, err
}

// DeleteHook deletes a subscription.
func (c *Client) DeleteHook(ctx context.Context, hookID int) error {
	_, err := c.callV3(ctx, request{op: fmt.Sprintf("delete hook %d", hookID), method: http.MethodDelete,
		path: "/hooks/" + pathID(hookID)}, nil)
	return err
}
