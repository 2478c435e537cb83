package bigcommerce

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultBaseURL is BigCommerce's API host.
const DefaultBaseURL = "https://api.bigcommerce.com"

// Defaults of Options.
const (
	DefaultMaxRetries     = 4
	DefaultAttemptTimeout = 30 * time.Second
	DefaultBackoffBase    = 250 * time.Millisecond
	DefaultBackoffMax     = 10 * time.Second
)

// maxBody bounds the response bodies the client reads.
const maxBody = 32 << 20

// Options configures a Client. StoreHash and AccessToken are required.
type Options struct {
	// BaseURL is the API host, default DefaultBaseURL; the client appends
	// /stores/{StoreHash}/v2|v3/… to it.
	BaseURL string
	// StoreHash is the store's permanent id ("abc123").
	StoreHash string
	// AccessToken is the API account token sent as X-Auth-Token. It is never
	// logged nor put in an error.
	AccessToken string
	// HTTPClient sends the requests; default a client without a timeout
	// (each attempt is bounded by AttemptTimeout and the context).
	HTTPClient *http.Client
	// Logger receives debug lines per request and warnings per retry;
	// default discards.
	Logger *slog.Logger

	// MaxRetries bounds the retries of one call (429, 5xx, network errors,
	// timed-out attempts); default DefaultMaxRetries, negative for none.
	MaxRetries int
	// AttemptTimeout bounds each attempt; default DefaultAttemptTimeout.
	AttemptTimeout time.Duration
	// BackoffBase and BackoffMax shape the jittered exponential backoff
	// between retries of 5xx and network errors: attempt n waits a random
	// duration in [d/2, d] with d = min(BackoffMax, BackoffBase·2^n).
	BackoffBase, BackoffMax time.Duration
	// ReserveShare is the share of each rate-limit window's quota the client
	// leaves to the store's other apps (the quota is store-wide): it never
	// lets its own requests bring X-Rate-Limit-Requests-Left below
	// ceil(ReserveShare × quota). 0 means DefaultReserveShare (0.2);
	// ReserveNone (any negative value) uses the whole quota.
	ReserveShare float64

	// Clock returns the current time (rate-limit windows); default time.Now.
	Clock func() time.Time
	// Sleep waits d or until ctx is done; default a timer. Tests substitute a
	// fake that records the delays.
	Sleep func(ctx context.Context, d time.Duration) error
}

// String describes the options with the access token redacted, so that
// printing or logging Options cannot leak it.
func (o Options) String() string {
	tok := ""
	if o.AccessToken != "" {
		tok = "[redacted]"
	}
	return fmt.Sprintf("bigcommerce.Options{BaseURL:%q StoreHash:%q AccessToken:%s}", o.BaseURL, o.StoreHash, tok)
}

// GoString is String, for %#v.
func (o Options) GoString() string { return o.String() }

// LogValue logs the options with the access token redacted.
func (o Options) LogValue() slog.Value {
	return slog.GroupValue(slog.String("base_url", o.BaseURL), slog.String("store_hash", o.StoreHash),
		slog.String("access_token", "[redacted]"))
}

// Client is a typed client of one store's REST API (v2 and v3). It is safe
// for concurrent use; all its calls share one rate-limit pacer.
type Client struct {
	base       string // https://api.bigcommerce.com/stores/{hash}
	storeHash  string
	auth       func(http.Header) // sets X-Auth-Token; a closure, so %+v cannot print the token
	redact     func(string) string
	hc         *http.Client
	log        *slog.Logger
	maxRetries int
	attemptTO  time.Duration
	boBase     time.Duration
	boMax      time.Duration
	now        func() time.Time
	sleep      func(context.Context, time.Duration) error
	lim        *limiter
	requests   *atomic.Int64
}

// New returns a client for one store.
func New(o Options) (*Client, error) {
	if strings.TrimSpace(o.StoreHash) == "" {
		return nil, errors.New("bigcommerce: StoreHash is required")
	}
	if o.AccessToken == "" {
		return nil, errors.New("bigcommerce: AccessToken is required")
	}
	if o.BaseURL == "" {
		o.BaseURL = DefaultBaseURL
	}
	u, err := url.Parse(o.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("bigcommerce: BaseURL %q is not an absolute http(s) URL", o.BaseURL)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = DefaultMaxRetries
	} else if o.MaxRetries < 0 {
		o.MaxRetries = 0
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = DefaultAttemptTimeout
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = DefaultBackoffBase
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = DefaultBackoffMax
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	token := o.AccessToken
	c := &Client{
		base:      strings.TrimRight(o.BaseURL, "/") + "/stores/" + url.PathEscape(o.StoreHash),
		storeHash: o.StoreHash,
		auth:      func(h http.Header) { h.Set("X-Auth-Token", token) },
		redact: func(s string) string {
			return strings.ReplaceAll(s, token, "[redacted]")
		},
		hc:         o.HTTPClient,
		log:        o.Logger,
		maxRetries: o.MaxRetries,
		attemptTO:  o.AttemptTimeout,
		boBase:     o.BackoffBase,
		boMax:      o.BackoffMax,
		now:        o.Clock,
		sleep:      o.Sleep,
		lim:        newLimiter(o.Clock, o.ReserveShare),
		requests:   new(atomic.Int64),
	}
	return c, nil
}

// StoreHash returns the store hash the client talks to.
func (c *Client) StoreHash() string { return c.storeHash }

// RateLimit returns the rate-limit state the client believes in.
func (c *Client) RateLimit() RateLimit { return c.lim.snapshot() }

// Requests returns the number of HTTP requests the client has sent (every
// attempt, retries included).
func (c *Client) Requests() int64 { return c.requests.Load() }

type counterKey struct{}

// WithRequestCounter returns a context under which every HTTP request the
// client sends (every attempt, retries included) also adds one to n, so
// that a caller can count the requests of one resource or one job while
// other goroutines share the client.
func WithRequestCounter(ctx context.Context, n *atomic.Int64) context.Context {
	return context.WithValue(ctx, counterKey{}, n)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// request is one API call.
type request struct {
	op      string
	method  string
	version string // "v2" or "v3"
	path    string // escaped, starting with "/"
	query   url.Values
	body    any
}

// response is a successful answer.
type response struct {
	status int
	body   []byte
}

// encodeQuery encodes q sorted by key, leaving ':' and ',' readable as
// BigCommerce's documentation writes them (id:in=1,2).
func encodeQuery(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	esc := func(s string) string {
		s = url.QueryEscape(s)
		return strings.NewReplacer("%3A", ":", "%2C", ",").Replace(s)
	}
	var b strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(esc(k))
			b.WriteByte('=')
			b.WriteString(esc(v))
		}
	}
	return b.String()
}

// do sends r with pacing and retries and returns a 2xx answer or an *APIError.
func (c *Client) do(ctx context.Context, r request) (response, error) {
	var payload []byte
	if r.body != nil {
		var err error
		if payload, err = json.Marshal(r.body); err != nil {
			return response{}, fmt.Errorf("bigcommerce: %s: encode request: %w", r.op, err)
		}
	}
	path := "/" + r.version + r.path
	target := c.base + path
	if qs := encodeQuery(r.query); qs != "" {
		target += "?" + qs
	}
	newErr := func(kind Kind, status int, title, detail string, cause error) *APIError {
		return &APIError{Op: r.op, Method: r.method, Path: path, Status: status, Kind: kind,
			Title: c.redact(title), Detail: c.redact(detail), err: cause}
	}
	var last *APIError
	for attempt := 0; ; attempt++ {
		// Pace (or wait out a 429) before every attempt.
		tk, wait, why, err := c.acquire(ctx, r.op)
		if err != nil {
			if last != nil && ctx.Err() == nil {
				last.RetryAfter = wait
				return response{}, last
			}
			e := newErr(KindRateLimited, 0, why, err.Error(), err)
			e.RetryAfter = wait
			return response{}, e
		}
		c.requests.Add(1)
		if n, ok := ctx.Value(counterKey{}).(*atomic.Int64); ok {
			n.Add(1)
		}
		resp, status, hdr, err := c.attempt(ctx, r.method, target, payload)
		c.lim.complete(tk, hdr, status)
		if err == nil {
			c.log.LogAttrs(ctx, slog.LevelDebug, "bigcommerce request", slog.String("method", r.method),
				slog.String("path", path), slog.Int("status", status), slog.Int("attempt", attempt))
			return response{status: status, body: resp}, nil
		}
		var ae *APIError
		switch {
		case status != 0:
			title, detail, fields := parseErrorBody(resp)
			if title == "" {
				title = http.StatusText(status)
			}
			ae = newErr(kindOf(status), status, title, detail, nil)
			if fields != nil {
				for k, v := range fields {
					fields[k] = c.redact(v)
				}
				ae.Fields = fields
			}
		case ctx.Err() != nil:
			// The caller's context ended: report it, keeping the last cause.
			e := newErr(KindTransient, 0, "context done", c.redact(err.Error()), ctx.Err())
			if last != nil {
				e.Status, e.Title, e.Kind = last.Status, last.Title, last.Kind
				e.Detail = e.Detail + " (after " + last.Title + ")"
			}
			return response{}, e
		default:
			ae = newErr(KindTransient, 0, "request failed", c.redact(err.Error()), err)
		}
		if ae.Kind == KindRateLimited {
			ae.RetryAfter = c.lim.snapshot().BlockedUntil.Sub(c.now())
		}
		if !ae.Retryable() || ae.Kind == KindConflict || attempt >= c.maxRetries {
			c.log.LogAttrs(ctx, slog.LevelDebug, "bigcommerce request failed", slog.String("method", r.method),
				slog.String("path", path), slog.Int("status", status), slog.Int("attempt", attempt),
				slog.String("error", ae.Error()))
			return response{}, ae
		}
		last = ae
		if ae.Kind == KindRateLimited {
			// The limiter now blocks until the reset; the next reserve waits.
			c.log.LogAttrs(ctx, slog.LevelWarn, "bigcommerce rate limited, retrying after reset",
				slog.String("op", r.op), slog.Duration("wait", ae.RetryAfter), slog.Int("attempt", attempt))
			continue
		}
		backoff := c.backoff(attempt)
		c.log.LogAttrs(ctx, slog.LevelWarn, "bigcommerce retrying", slog.String("op", r.op),
			slog.Int("status", status), slog.String("error", ae.Error()), slog.Duration("wait", backoff),
			slog.Int("attempt", attempt))
		if err := c.wait(ctx, backoff); err != nil {
			ae.RetryAfter = backoff
			return response{}, ae
		}
	}
}

// backoff returns the jittered wait before retry attempt+1.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.boBase
	for i := 0; i < attempt && d < c.boMax; i++ {
		d *= 2
	}
	if d > c.boMax {
		d = c.boMax
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

// errDeadline reports that a wait would outlast the context's deadline.
var errDeadline = errors.New("wait would exceed the context deadline")

// wait sleeps d unless that would outlast ctx's deadline.
func (c *Client) wait(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return fmt.Errorf("%w (%s)", errDeadline, d.Round(time.Millisecond))
	}
	return c.sleep(ctx, d)
}

// acquire waits until the limiter lets one request go and returns its
// ticket; when the wait would outlast the context it returns the wait, its
// reason and the error.
func (c *Client) acquire(ctx context.Context, op string) (ticket, time.Duration, string, error) {
	for {
		tk, ok, wait, why, changed := c.lim.reserve()
		if ok {
			return tk, 0, "", nil
		}
		if err := c.waitChange(ctx, wait, changed, why != whyProbe); err != nil {
			return ticket{}, wait, why, err
		}
		c.log.LogAttrs(ctx, slog.LevelDebug, "bigcommerce waited for rate limit", slog.String("op", op),
			slog.String("reason", why), slog.Duration("wait", wait))
	}
}

// waitChange sleeps d, or less when changed is closed first. When d would
// outlast ctx's deadline it fails at once if failFast, else it waits until
// the deadline at most (a probe's answer is expected well before d).
func (c *Client) waitChange(ctx context.Context, d time.Duration, changed <-chan struct{}, failFast bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		if failFast {
			return fmt.Errorf("%w (%s)", errDeadline, d.Round(time.Millisecond))
		}
		d = time.Until(dl)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-changed:
			cancel()
		case <-wctx.Done():
		}
	}()
	_ = c.sleep(wctx, d)
	return ctx.Err()
}

// attempt sends one request. It returns the body, status and headers of
// any HTTP answer (err set for non-2xx), or status 0, nil headers and the
// transport error.
func (c *Client) attempt(ctx context.Context, method, target string, payload []byte) ([]byte, int, http.Header, error) {
	actx, cancel := context.WithTimeout(ctx, c.attemptTO)
	defer cancel()
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(actx, method, target, body)
	if err != nil {
		return nil, 0, nil, err
	}
	c.auth(req.Header)
	req.Header.Set("Accept", "application/json")
	// Some GET operations (v2 order products) declare Content-Type as a
	// required header: send it on every request.
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, 0, resp.Header, fmt.Errorf("read response: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return b, resp.StatusCode, resp.Header, fmt.Errorf("status %d", resp.StatusCode)
	}
	return b, resp.StatusCode, resp.Header, nil
}

// decode unmarshals a response body into out, reporting a malformed body as
// a transient APIError (a proxy or an outage page, most often).
func (c *Client) decode(r request, resp response, out any) error {
	if err := json.Unmarshal(resp.body, out); err != nil {
		return &APIError{Op: r.op, Method: r.method, Path: "/" + r.version + r.path, Status: resp.status,
			Kind: KindTransient, Title: "malformed response body", Detail: c.redact(err.Error()), err: err}
	}
	return nil
}

// envelope is the v3 {data, meta} wrapper.
type envelope[T any] struct {
	Data T `json:"data"`
	Meta struct {
		Pagination *Pagination `json:"pagination"`
	} `json:"meta"`
}

// getV3 calls a v3 operation and decodes its data into out (when not nil)
// and returns the pagination meta, if any.
func (c *Client) callV3(ctx context.Context, r request, out any) (Pagination, error) {
	r.version = "v3"
	resp, err := c.do(ctx, r)
	if err != nil {
		return Pagination{}, err
	}
	if out == nil || resp.status == http.StatusNoContent || len(bytes.TrimSpace(resp.body)) == 0 {
		return Pagination{}, nil
	}
	env := envelope[json.RawMessage]{}
	if err := c.decode(r, resp, &env); err != nil {
		return Pagination{}, err
	}
	if len(env.Data) > 0 {
		if err := c.decode(r, response{status: resp.status, body: env.Data}, out); err != nil {
			return Pagination{}, err
		}
	}
	var p Pagination
	if env.Meta.Pagination != nil {
		p = *env.Meta.Pagination
	}
	return p, nil
}

// callV2 calls a v2 operation and decodes its body into out. A 204 (v2's
// empty collection) leaves out unchanged and reports empty.
func (c *Client) callV2(ctx context.Context, r request, out any) (empty bool, err error) {
	r.version = "v2"
	resp, err := c.do(ctx, r)
	if err != nil {
		return false, err
	}
	if resp.status == http.StatusNoContent || len(bytes.TrimSpace(resp.body)) == 0 {
		return true, nil
	}
	return false, c.decode(r, resp, out)
}

// notFound builds the NotFound error of a lookup answered with an empty list.
func (c *Client) notFound(r request, what string) error {
	return &APIError{Op: r.op, Method: r.method, Path: "/" + r.version + r.path, Status: http.StatusNotFound,
		Kind: KindNotFound, Title: what + " not found"}
}

func pathID(id int) string { return fmt.Sprint(id) }

func shortID(s string) string {
	if len(s) > 12 {
		return s[:8] + "…"
	}
	return s
}
