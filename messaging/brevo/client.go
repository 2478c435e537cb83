// Package brevo implements messaging.Provider over Brevo's v3 HTTP API
// (https://developers.brevo.com): transactional email (POST /smtp/email),
// SMS (POST /transactionalSMS/send), WhatsApp (POST /whatsapp/sendMessage),
// events (POST /events) and contacts (POST /contacts with updateEnabled),
// and messaging.StoreSync: bulk contact imports (POST /contacts/import),
// folders and lists, list membership, contact attributes, and the
// ecommerce orders, products and categories batches, split into Brevo's
// documented batch sizes.
//
// It is a thin net/http client with no generated code. Requests carry the
// API key in the api-key header; the key never appears in logs, errors or
// the client's printed form.
//
// # Rate limits and retries
//
// Brevo limits each endpoint separately and reports the budget in the
// x-sib-ratelimit-limit, -remaining and -reset (seconds) response headers.
// The client remembers them per endpoint: when an endpoint's remaining budget
// is spent it waits for the reset before sending, instead of collecting a
// 429. A 429 is answered the same way (wait for the reset, then retry).
// 5xx answers, timeouts and network failures are retried with exponential
// backoff and jitter. Every wait stays within the context's deadline and
// Options.MaxRateLimitWait: a wait that would not fit ends the call with the
// last error (or a KindRateLimited error carrying RetryAfter), so that the
// caller (a Temporal activity) can retry later instead of blocking. At most
// Options.MaxAttempts requests are made per call.
//
// SMS and WhatsApp sends are not deduplicated by Brevo, so after a failure
// that may have been acted on they are not retried in-process: the
// *messaging.Error has Uncertain set; see package messaging. The client
// tells the cases apart precisely: it traces whether the request was
// written, so a dial, DNS or TLS failure (or a context ended before the
// write) is "never left" and retried; an answer is "left but not taken"
// (408, 409, 429, 500, 503) and retried too; a timeout or reset after the request was
// written, an unreadable 2xx and a gateway's 502 or 504 (the gateway may
// have passed the request on) are uncertain.
//
// # Contact tags
//
// Brevo contacts have no tags. Contact.Tags are stored in one text attribute,
// Options.TagsAttribute (default "BCFLOW_TAGS"), as a sorted comma-separated
// list, e.g. "gold,repeat-buyer". An attribute rather than lists because it
// needs no list ids to be created and mapped per tag, an upsert can replace
// the whole set in one request, and Brevo segments can filter on "contains".
// The attribute must exist in the Brevo account (type text) before tags are
// sent, or Brevo drops the values silently: EnsureContactAttributes creates
// it, with the other attributes a sync writes
// (messaging.SyncedContactAttributes). Lists stay available through
// Contact.ListIDs.
package brevo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bcflow/bcflow/messaging"
)

// ProviderName is the provider name in SendResult and messaging.Error.
const ProviderName = "brevo"

// DefaultBaseURL is Brevo's production API.
const DefaultBaseURL = "https://api.brevo.com/v3"

// DefaultTagsAttribute is the contact attribute that holds Contact.Tags.
const DefaultTagsAttribute = "BCFLOW_TAGS"

// Defaults for the zero Options fields.
const (
	DefaultMaxAttempts      = 5
	DefaultBaseBackoff      = 500 * time.Millisecond
	DefaultMaxBackoff       = 20 * time.Second
	DefaultMaxRateLimitWait = time.Minute
	DefaultTimeout          = 30 * time.Second
)

// Options configures a Client. Only APIKey is required.
type Options struct {
	// BaseURL is the API root including /v3; default DefaultBaseURL.
	BaseURL string
	// APIKey is the Brevo API key (secret); required.
	APIKey string
	// HTTPClient sends the requests; default a client with a DefaultTimeout
	// timeout per attempt.
	HTTPClient *http.Client
	// Logger receives one debug line per request and a warning per retry,
	// never credentials; default discards.
	Logger *slog.Logger
	// Now returns the current time, for rate-limit bookkeeping; default
	// time.Now. Context deadlines are always compared with the real clock.
	Now func() time.Time
	// Sleep waits d or until ctx is done (then returning ctx.Err()); default a
	// timer. Tests replace it to avoid real waiting.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand returns a number in [0, 1) for backoff jitter; default math/rand/v2.
	Rand func() float64
	// MaxAttempts bounds the requests per call, retries included; default
	// DefaultMaxAttempts.
	MaxAttempts int
	// BaseBackoff is the first retry delay after a transient failure; it
	// doubles per attempt up to MaxBackoff, and each delay is jittered to
	// between half and all of it. Defaults DefaultBaseBackoff, DefaultMaxBackoff.
	BaseBackoff time.Duration
	// MaxBackoff caps the retry delay; default DefaultMaxBackoff.
	MaxBackoff time.Duration
	// MaxRateLimitWait is the longest the client waits for a rate-limit
	// reset within one call; longer resets end the call with a
	// KindRateLimited error. Default DefaultMaxRateLimitWait.
	MaxRateLimitWait time.Duration
	// TagsAttribute is the contact attribute holding Contact.Tags; default
	// DefaultTagsAttribute.
	TagsAttribute string
}

// String describes the options without the API key.
func (o Options) String() string {
	return fmt.Sprintf("brevo.Options{BaseURL:%q APIKey:%s}", o.BaseURL, redactedMark(o.APIKey))
}

// GoString is String, so %#v does not print the API key either.
func (o Options) GoString() string { return o.String() }

func redactedMark(key string) string {
	if key == "" {
		return `""`
	}
	return "[redacted]"
}

// Client is a Brevo messaging.Provider. It is safe for concurrent use.
type Client struct {
	base             string
	key              string
	hc               *http.Client
	log              *slog.Logger
	now              func() time.Time
	sleep            func(context.Context, time.Duration) error
	rand             func() float64
	maxAttempts      int
	baseBackoff      time.Duration
	maxBackoff       time.Duration
	maxRateLimitWait time.Duration
	tagsAttribute    string

	mu     sync.Mutex
	limits map[string]*limitState

	// listsMu guards the folder and list ids EnsureList found or made.
	listsMu   sync.Mutex
	folderIDs map[string]int64
	listIDs   map[string]int64

	// attrsMu guards attrs, the upper-case names of the contact attributes
	// known to exist (nil until listed).
	attrsMu sync.Mutex
	attrs   map[string]bool
}

var _ messaging.Provider = (*Client)(nil)

// limitState is what the last response of one endpoint said about its budget.
type limitState struct {
	known     bool
	limit     int
	remaining int
	resetAt   time.Time
}

// New returns a Client. It fails when the API key is missing or the base URL
// is not an absolute http(s) URL.
func New(opts Options) (*Client, error) {
	if strings.TrimSpace(opts.APIKey) == "" {
		return nil, errors.New("brevo: API key is required")
	}
	base := opts.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("brevo: base URL %q is not an absolute http(s) URL", base)
	}
	c := &Client{
		base:             strings.TrimRight(base, "/"),
		key:              opts.APIKey,
		hc:               opts.HTTPClient,
		log:              opts.Logger,
		now:              opts.Now,
		sleep:            opts.Sleep,
		rand:             opts.Rand,
		maxAttempts:      opts.MaxAttempts,
		baseBackoff:      opts.BaseBackoff,
		maxBackoff:       opts.MaxBackoff,
		maxRateLimitWait: opts.MaxRateLimitWait,
		tagsAttribute:    opts.TagsAttribute,
		limits:           map[string]*limitState{},
		folderIDs:        map[string]int64{},
		listIDs:          map[string]int64{},
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: DefaultTimeout}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	if c.rand == nil {
		c.rand = rand.Float64
	}
	if c.maxAttempts <= 0 {
		c.maxAttempts = DefaultMaxAttempts
	}
	if c.baseBackoff <= 0 {
		c.baseBackoff = DefaultBaseBackoff
	}
	if c.maxBackoff <= 0 {
		c.maxBackoff = DefaultMaxBackoff
	}
	if c.maxRateLimitWait <= 0 {
		c.maxRateLimitWait = DefaultMaxRateLimitWait
	}
	if c.tagsAttribute == "" {
		c.tagsAttribute = DefaultTagsAttribute
	}
	return c, nil
}

// String describes the client without the API key.
func (c *Client) String() string { return fmt.Sprintf("brevo.Client{BaseURL:%q}", c.base) }

// GoString is String, so %#v does not print the API key either.
func (c *Client) GoString() string { return c.String() }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// endpoint is one Brevo operation. idempotent tells whether repeating a
// request that may have been processed is harmless.
type endpoint struct {
	method     string
	path       string
	idempotent bool
}

func (e endpoint) String() string { return e.method + " " + e.path }

// family is the rate-limit budget ep draws from. Brevo counts its limits
// per endpoint family, not per path (developers.brevo.com/docs/api-limits):
// transactional email, SMS, events, single order status, single product,
// everything under /contacts together, and one budget for every other
// endpoint (the batch imports among them).
func (e endpoint) family() string {
	switch {
	case e.path == "/smtp/email":
		return "smtp-email"
	case strings.HasPrefix(e.path, "/transactionalSMS/"):
		return "sms"
	case e.path == "/events":
		return "events"
	case e.method == http.MethodPost && e.path == "/orders/status":
		return "orders-status"
	case e.method == http.MethodPost && e.path == "/products":
		return "products"
	case e.path == "/contacts" || strings.HasPrefix(e.path, "/contacts/"):
		return "contacts"
	}
	return "other"
}

var (
	// Email is deduplicated by Brevo through headers.idempotencyKey.
	epEmail    = endpoint{http.MethodPost, "/smtp/email", true}
	epSMS      = endpoint{http.MethodPost, "/transactionalSMS/send", false}
	epWhatsApp = endpoint{http.MethodPost, "/whatsapp/sendMessage", false}
	// Retried in-process like email: bcflow's event claims make an event
	// once per key; only a lost answer can record it twice.
	epEvent = endpoint{http.MethodPost, "/events", true}
	// An upsert with the same body converges to the same contact.
	epContact = endpoint{http.MethodPost, "/contacts", true}
	// Reading a contact changes nothing; the request path is
	// /contacts/{identifier} (callPath).
	epGetContact = endpoint{http.MethodGet, "/contacts/{identifier}", true}
)

// apiError is Brevo's error body.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// redact removes the API key from s and bounds its length.
func (c *Client) redact(s string) string {
	if c.key != "" {
		s = strings.ReplaceAll(s, c.key, "[redacted]")
	}
	const maxLen = 500
	if len(s) > maxLen {
		s = s[:maxLen] + "…"
	}
	return s
}

func (c *Client) errorf(op string, kind messaging.Kind, format string, args ...any) *messaging.Error {
	return &messaging.Error{Provider: ProviderName, Op: op, Kind: kind, Message: c.redact(fmt.Sprintf(format, args...))}
}

// call sends body to ep, retrying and pacing as the package documentation
// says, and decodes a 2xx answer into out (when not nil). It returns the
// final HTTP status.
func (c *Client) call(ctx context.Context, op string, ep endpoint, body any, header http.Header, out any) (int, error) {
	return c.callPath(ctx, op, ep, ep.path, body, header, out)
}

// callPath is call with the request path given apart from ep (for paths
// holding an identifier such as /contacts/{email}); ep still names the
// operation in rate limits and logs, so the identifier appears in neither.
// A nil body sends no body.
func (c *Client) callPath(ctx context.Context, op string, ep endpoint, path string, body any, header http.Header, out any) (int, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return 0, &messaging.Error{Provider: ProviderName, Op: op, Kind: messaging.KindValidation,
				Message: c.redact("encode request: " + err.Error()), Err: err}
		}
	}
	var last *messaging.Error
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			if last != nil {
				return last.Status, last
			}
			return 0, &messaging.Error{Provider: ProviderName, Op: op, Kind: messaging.KindTransient, Message: err.Error(), Err: err}
		}
		if wait := c.reserve(ep); wait > 0 {
			if werr := c.waitFor(ctx, op, ep, attempt, wait, last, true); werr != nil {
				return statusOf(werr), werr
			}
			c.forget(ep)
		}
		status, e := c.attempt(ctx, op, ep, path, payload, header, out)
		if e == nil {
			return status, nil
		}
		last = e
		if !e.Retryable() || attempt >= c.maxAttempts || ctx.Err() != nil {
			return status, e
		}
		if e.Uncertain && !ep.idempotent {
			return status, e
		}
		if e.Kind == messaging.KindRateLimited {
			continue // reserve() now waits for the reset the 429 announced
		}
		if werr := c.waitFor(ctx, op, ep, attempt, c.backoff(attempt), e, false); werr != nil {
			return status, werr
		}
	}
}

func statusOf(err error) int {
	var e *messaging.Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// waitFor sleeps d before the next attempt unless that would outlast the
// context's deadline (or, for rate limits, MaxRateLimitWait); then it returns
// last, or a KindRateLimited error when there is no last error.
func (c *Client) waitFor(ctx context.Context, op string, ep endpoint, attempt int, d time.Duration, last *messaging.Error, rateLimit bool) error {
	giveUp := func(reason string) error {
		if last != nil {
			if last.Kind == messaging.KindRateLimited && last.RetryAfter < d {
				last.RetryAfter = d
			}
			return last
		}
		e := c.errorf(op, messaging.KindRateLimited, "rate limit of %s exhausted; resets in %s (%s)", ep, d.Round(time.Millisecond), reason)
		e.RetryAfter = d
		return e
	}
	if rateLimit && d > c.maxRateLimitWait {
		return giveUp("longer than the client waits")
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return giveUp("beyond the context deadline")
	}
	args := []any{"op", op, "endpoint", ep.String(), "attempt", attempt, "wait", d}
	if last != nil {
		args = append(args, "status", last.Status, "code", last.Code, "kind", last.Kind.String())
	}
	if rateLimit {
		c.log.InfoContext(ctx, "brevo: waiting for rate-limit reset", args...)
	} else {
		c.log.WarnContext(ctx, "brevo: retrying", args...)
	}
	if err := c.sleep(ctx, d); err != nil {
		if last != nil {
			return last
		}
		return &messaging.Error{Provider: ProviderName, Op: op, Kind: messaging.KindTransient, Message: c.redact(err.Error()), Err: err}
	}
	return nil
}

// backoff is the jittered delay after the attempt-th failure: between half and
// all of BaseBackoff·2^(attempt-1), capped at MaxBackoff.
func (c *Client) backoff(attempt int) time.Duration {
	d := float64(c.baseBackoff) * math.Pow(2, float64(attempt-1))
	if d > float64(c.maxBackoff) {
		d = float64(c.maxBackoff)
	}
	return time.Duration(d/2 + d/2*c.rand())
}

// reserve takes one request from ep's known budget, or returns how long to
// wait for the budget to reset.
func (c *Client) reserve(ep endpoint) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.limits[ep.family()]
	if st == nil || !st.known {
		return 0
	}
	now := c.now()
	if !now.Before(st.resetAt) {
		st.known = false
		return 0
	}
	if st.remaining > 0 {
		st.remaining--
		return 0
	}
	return st.resetAt.Sub(now)
}

// forget drops ep's budget after waiting for its reset; the next response
// tells the new one.
func (c *Client) forget(ep endpoint) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.limits[ep.family()]; st != nil {
		st.known = false
	}
}

// observe records the rate-limit headers of a response to ep. A 429 without
// them is taken as a one-second pause.
func (c *Client) observe(ep endpoint, h http.Header, status int) (reset time.Duration) {
	limit, errL := strconv.Atoi(h.Get("x-sib-ratelimit-limit"))
	remaining, errR := strconv.Atoi(h.Get("x-sib-ratelimit-remaining"))
	resetSec, errS := strconv.ParseFloat(h.Get("x-sib-ratelimit-reset"), 64)
	haveReset := errS == nil && resetSec >= 0 && !math.IsInf(resetSec, 0) && !math.IsNaN(resetSec)
	if haveReset {
		reset = time.Duration(resetSec * float64(time.Second))
	}
	if status == http.StatusTooManyRequests {
		remaining, errR = 0, nil
		if !haveReset || reset <= 0 {
			reset = time.Second
		}
	} else if errR != nil || !haveReset {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.limits[ep.family()]
	if st == nil {
		st = &limitState{}
		c.limits[ep.family()] = st
	}
	st.known = true
	if errL == nil {
		st.limit = limit
	}
	st.remaining = remaining
	st.resetAt = c.now().Add(reset)
	return reset
}

// attempt makes one request. It returns the HTTP status and nil, or the
// classified failure.
func (c *Client) attempt(ctx context.Context, op string, ep endpoint, path string, payload []byte, header http.Header, out any) (int, *messaging.Error) {
	var reqBody io.Reader
	if payload != nil {
		reqBody = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, ep.method, c.base+path, reqBody)
	if err != nil {
		return 0, &messaging.Error{Provider: ProviderName, Op: op, Kind: messaging.KindValidation, Message: c.redact(err.Error()), Err: err}
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("api-key", c.key)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "bcflow-messaging/1")

	var w writeTrace
	req = req.WithContext(httptrace.WithClientTrace(ctx, w.trace()))
	start := c.now()
	resp, err := c.hc.Do(req)
	if err != nil {
		e := c.transportError(ctx, op, err, &w)
		c.log.DebugContext(ctx, "brevo: request failed", "op", op, "endpoint", ep.String(), "error", e.Message,
			"uncertain", e.Uncertain, "duration", c.now().Sub(start))
		return 0, e
	}
	defer resp.Body.Close()
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	reset := c.observe(ep, resp.Header, resp.StatusCode)
	c.log.DebugContext(ctx, "brevo: request", "op", op, "endpoint", ep.String(), "status", resp.StatusCode,
		"duration", c.now().Sub(start), "ratelimit_remaining", resp.Header.Get("x-sib-ratelimit-remaining"))

	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if readErr != nil {
			return resp.StatusCode, &messaging.Error{Provider: ProviderName, Op: op, Status: resp.StatusCode, Kind: messaging.KindTransient,
				Uncertain: true, Message: c.redact("read response: " + readErr.Error()), Err: readErr}
		}
		if out != nil && resp.StatusCode != http.StatusNoContent {
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.UseNumber()
			if err := dec.Decode(out); err != nil {
				return resp.StatusCode, &messaging.Error{Provider: ProviderName, Op: op, Status: resp.StatusCode, Kind: messaging.KindTransient,
					Uncertain: true, Message: c.redact(fmt.Sprintf("undecodable %d response: %v", resp.StatusCode, err)), Err: err}
			}
		}
		return resp.StatusCode, nil
	}

	e := &messaging.Error{Provider: ProviderName, Op: op, Status: resp.StatusCode}
	var ae apiError
	if json.Unmarshal(body, &ae) == nil && (ae.Code != "" || ae.Message != "") {
		e.Code, e.Message = ae.Code, c.redact(ae.Message)
	} else {
		e.Message = http.StatusText(resp.StatusCode)
		if s := strings.TrimSpace(string(body)); s != "" {
			e.Message = c.redact(e.Message + ": " + s)
		}
	}
	switch s := resp.StatusCode; {
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		e.Kind = messaging.KindUnauthorized
	case s == http.StatusTooManyRequests:
		e.Kind = messaging.KindRateLimited
		e.RetryAfter = reset
	case s == http.StatusRequestTimeout || s == http.StatusConflict:
		// Brevo did not take the request (it timed out waiting for it, or
		// a concurrent change conflicted): a later attempt may succeed.
		e.Kind = messaging.KindTransient
	case s >= 500:
		e.Kind = messaging.KindTransient
		// Brevo answered that it failed; a gateway's 502 or 504 may hide a
		// request the API behind it is still acting on.
		e.Uncertain = s == http.StatusBadGateway || s == http.StatusGatewayTimeout
	default:
		e.Kind = messaging.KindValidation
	}
	return resp.StatusCode, e
}

// writeTrace records, through net/http's client trace, whether a request
// was handed to a connection (traced) and whether it was written in full.
// The transport may report from its own goroutines, hence the atomics.
type writeTrace struct {
	traced atomic.Bool
	wrote  atomic.Bool
}

func (w *writeTrace) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		GetConn: func(string) { w.traced.Store(true) },
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			if i.Err == nil {
				w.wrote.Store(true)
			}
		},
	}
}

// transportError classifies a failure to get a response. The request never
// left when the trace saw no complete write (or, with a transport that does
// not report traces, when dialling failed); otherwise the provider may have
// acted on it.
func (c *Client) transportError(ctx context.Context, op string, err error, w *writeTrace) *messaging.Error {
	e := &messaging.Error{Provider: ProviderName, Op: op, Kind: messaging.KindTransient, Uncertain: true,
		Message: c.redact(err.Error()), Err: err}
	if ctx.Err() != nil {
		e.Err = ctx.Err()
	}
	var opErr *net.OpError
	dial := errors.As(err, &opErr) && opErr.Op == "dial"
	if !w.wrote.Load() && (w.traced.Load() || dial) {
		e.Uncertain = false // the request never left
	}
	return e
}
