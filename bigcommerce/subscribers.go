package bigcommerce

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// Subscriber consents (Subscriber.Consents).
const (
	ConsentMarketingNewsletter = "marketing_newsletter"
	ConsentAbandonedCart       = "abandoned_cart"
)

// Subscriber is a newsletter subscriber (subscribers.v3.yml,
// subscriber_Full): a registered customer or a guest who ticked the
// newsletter box. The v3 customer has no accepts-marketing field; this list
// is where a shopper's marketing consent is, by email.
type Subscriber struct {
	ID        int    `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	// Source is storefront, order or custom.
	Source    string `json:"source"`
	OrderID   *int   `json:"order_id"`
	ChannelID int    `json:"channel_id"`
	// Consents lists the active subscriptions; empty when the shopper
	// unsubscribed.
	Consents     []string `json:"consents"`
	DateCreated  Time     `json:"date_created"`
	DateModified Time     `json:"date_modified"`
}

// AcceptsMarketing reports whether the subscriber consents to the
// marketing newsletter.
func (s Subscriber) AcceptsMarketing() bool {
	return slices.Contains(s.Consents, ConsentMarketingNewsletter)
}

// SubscriberFilter selects subscribers. Zero fields are unset.
type SubscriberFilter struct {
	Email           string    `json:"email,omitempty"`
	DateModifiedMin time.Time `json:"date_modified_min,omitzero"`
	DateModifiedMax time.Time `json:"date_modified_max,omitzero"`
	PageOptions
}

func (f SubscriberFilter) query() url.Values {
	q := url.Values{}
	if f.Email != "" {
		q.Set("email", f.Email)
	}
	if !f.DateModifiedMin.IsZero() {
		q.Set("date_modified:min", formatFilterTime(f.DateModifiedMin))
	}
	if !f.DateModifiedMax.IsZero() {
		q.Set("date_modified:max", formatFilterTime(f.DateModifiedMax))
	}
	f.PageOptions.apply(q)
	return q
}

// GetSubscribers returns one page of the subscribers matching f (GET
// /v3/customers/subscribers).
func (c *Client) GetSubscribers(ctx context.Context, f SubscriberFilter) (Page[Subscriber], error) {
	var items []Subscriber
	p, err := c.callV3(ctx, request{op: "get subscribers", method: http.MethodGet, path: "/customers/subscribers", query: f.query()}, &items)
	if items == nil {
		items = []Subscriber{}
	}
	return Page[Subscriber]{Items: items, Pagination: p}, err
}

// Subscribers iterates over every subscriber matching f.
func (c *Client) Subscribers(ctx context.Context, f SubscriberFilter) iter.Seq2[Subscriber, error] {
	limit := iterLimit(f.PageOptions)
	return iterate(ctx, f.Page, func(ctx context.Context, page int) ([]Subscriber, bool, error) {
		g := f
		g.PageOptions = PageOptions{Page: page, Limit: limit}
		p, err := c.GetSubscribers(ctx, g)
		return p.Items, v3More(p.Pagination, len(p.Items), limit), err
	})
}
