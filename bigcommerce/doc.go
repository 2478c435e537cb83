// Package bigcommerce is a thin, typed client of the BigCommerce REST API
// (v2 and v3) for one store: carts, abandoned-cart tokens, orders (with
// their line items in the list, for a sync), customers and customer groups,
// catalog products and categories, promotions and coupon codes,
// customer segments and shopper profiles, and webhook subscriptions.
//
// It smooths over the two API generations: v2 money strings ("12.5000") and
// v3 money numbers both decode into the exact Decimal; v2 RFC 2822 dates, v3
// ISO 8601 dates and Unix seconds all decode into Time; v2's 204 No Content
// is an empty list; v2 array error bodies and v3 {status,title,errors} bodies
// both become an *APIError; v3 {data, meta} envelopes are unwrapped and
// meta.pagination drives the iter.Seq2 iterators.
//
// Every call paces itself from the X-Rate-Limit-* headers (the quota is
// shared store-wide with other apps): requests, from any number of
// goroutines, go at once while the window keeps more than the share left to
// other apps (Options.ReserveShare, a fifth by default) and then wait for
// the reset; while the window is unknown (before the first answer, after a
// reset) a single probe goes first. A 429 waits for the reset and retries,
// and 5xx answers, network errors and timed-out attempts
// are retried with jittered exponential backoff, all within the context's
// deadline. Errors are *APIError values classified by Kind; IsNotFound and
// IsRetryable tell Temporal activities what to do. The access token never
// appears in an error or a log line.
package bigcommerce
