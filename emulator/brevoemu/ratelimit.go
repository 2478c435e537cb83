package brevoemu

import (
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Rate-limit families: the buckets Brevo counts requests in. Brevo publishes
// its limits per endpoint or group of endpoints, "General rate limits"
// (every plan) at https://developers.brevo.com/docs/api-limits (changelog
// 2026-02-10, https://developers.brevo.com/changelog/2026/2/10, added the
// dedicated orders/status and products limits). An endpoint the table does
// not name falls under FamilyOther.
const (
	// FamilySMTPEmail is POST /v3/smtp/email: 1,000 RPS and 3,600,000 RPH.
	FamilySMTPEmail = "smtp-email"
	// FamilySMS is POST /v3/transactionalSMS/sms and /send: 150 RPS and 540,000 RPH.
	FamilySMS = "sms"
	// FamilyEvents is POST /v3/events: 10 RPS and 36,000 RPH.
	FamilyEvents = "events"
	// FamilyOrderStatus is POST /v3/orders/status: 5 RPS and 18,000 RPH.
	FamilyOrderStatus = "orders-status"
	// FamilyProducts is POST /v3/products: 2 RPS and 7,200 RPH.
	FamilyProducts = "products"
	// FamilyContacts is every endpoint under /v3/contacts: 10 RPS and 36,000 RPH.
	FamilyContacts = "contacts"
	// FamilyOther is every other endpoint (batch orders, batch products,
	// categories, processes, WhatsApp, events/batch, ecommerce reads):
	// 100 RPH.
	FamilyOther = "other"
)

// RateRule allows Limit requests per fixed Window.
type RateRule struct {
	Limit  int           `json:"limit"`
	Window time.Duration `json:"-"`
}

// PublishedRateLimits returns Brevo's published general limits per family
// (see the Family constants for the figures and their source). Where Brevo
// gives both a per-second and a per-hour figure both rules apply.
func PublishedRateLimits() map[string][]RateRule {
	perSec := func(rps, rph int) []RateRule {
		return []RateRule{{Limit: rps, Window: time.Second}, {Limit: rph, Window: time.Hour}}
	}
	return map[string][]RateRule{
		FamilySMTPEmail:   perSec(1000, 3_600_000),
		FamilySMS:         perSec(150, 540_000),
		FamilyEvents:      perSec(10, 36_000),
		FamilyOrderStatus: perSec(5, 18_000),
		FamilyProducts:    perSec(2, 7_200),
		FamilyContacts:    perSec(10, 36_000),
		FamilyOther:       {{Limit: 100, Window: time.Hour}},
	}
}

// EndpointFamily returns the rate-limit family of an endpoint key such as
// EndpointOrderBatch.
func EndpointFamily(key string) string {
	method, path, _ := strings.Cut(key, " ")
	switch {
	case key == EndpointSendEmail:
		return FamilySMTPEmail
	case key == EndpointSendSMS || key == EndpointSendSMSLegacy:
		return FamilySMS
	case key == EndpointEvent:
		return FamilyEvents
	case key == EndpointOrderStatus:
		return FamilyOrderStatus
	case key == EndpointCreateProduct:
		return FamilyProducts
	case method != "" && (path == "/v3/contacts" || strings.HasPrefix(path, "/v3/contacts/")):
		return FamilyContacts
	}
	return FamilyOther
}

// RateLimitConfig is the family rate limiting in force.
type RateLimitConfig struct {
	// Families maps a family to its rules; a family without rules is not
	// limited.
	Families map[string][]RateRule
	// TimeScale divides every window (3600 makes an hour last a second), so
	// a benchmark can compress time and keep the ratios; 0 means 1.
	TimeScale float64
	// Disabled turns family limits off: no 429 and no headers (endpoints
	// listed in Options.RateLimits are still limited).
	Disabled bool
}

func (c RateLimitConfig) clone() RateLimitConfig {
	out := c
	out.Families = make(map[string][]RateRule, len(c.Families))
	for k, v := range c.Families {
		out.Families[k] = slices.Clone(v)
	}
	return out
}

// EndpointCount counts the calls to one endpoint and how many of them were
// refused with 429 (rate limit or injected fault).
type EndpointCount struct {
	Requests int64 `json:"requests"`
	Limited  int64 `json:"limited"`
}

func (e *Emulator) defaultRateConfig() RateLimitConfig {
	fam := PublishedRateLimits()
	for k, v := range e.opts.RateLimitFamilies {
		fam[k] = slices.Clone(v)
	}
	return RateLimitConfig{Families: fam, TimeScale: e.opts.RateTimeScale, Disabled: e.opts.NoFamilyRateLimits}
}

// resetRateState restores the configured family limits and clears the
// windows and counts; caller holds e.mu (or is constructing e).
func (e *Emulator) resetRateState() {
	e.rates = e.defaultRateConfig()
	e.famWindows = map[string]*window{}
	e.counts = map[string]*EndpointCount{}
}

// RateLimits returns the family rate limiting in force.
func (e *Emulator) RateLimits() RateLimitConfig {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.rates.clone()
}

// SetRateLimits replaces the family rate limiting; families missing from
// c.Families keep their current rules. The windows restart.
func (e *Emulator) SetRateLimits(c RateLimitConfig) error {
	if c.TimeScale < 0 || math.IsNaN(c.TimeScale) || math.IsInf(c.TimeScale, 0) {
		return fmt.Errorf("brevoemu: timeScale %v is not valid", c.TimeScale)
	}
	for fam, rules := range c.Families {
		for _, r := range rules {
			if r.Limit < 1 || r.Window <= 0 {
				return fmt.Errorf("brevoemu: family %s: a rule needs limit >= 1 and a positive window", fam)
			}
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	next := e.rates.clone()
	maps.Copy(next.Families, c.clone().Families)
	next.TimeScale = c.TimeScale
	next.Disabled = c.Disabled
	e.rates = next
	e.famWindows = map[string]*window{}
	return nil
}

// ResetRateLimits restores the limits the emulator was created with.
func (e *Emulator) ResetRateLimits() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.rates = e.defaultRateConfig()
	e.famWindows = map[string]*window{}
}

// RequestCounts returns, per endpoint key, the calls that passed
// authentication and how many were answered 429.
func (e *Emulator) RequestCounts() map[string]EndpointCount {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]EndpointCount, len(e.counts))
	for k, v := range e.counts {
		out[k] = *v
	}
	return out
}

// countRequest records one authenticated call; caller holds e.mu.
func (e *Emulator) countRequest(key string, status int) {
	c := e.counts[key]
	if c == nil {
		c = &EndpointCount{}
		e.counts[key] = c
	}
	c.Requests++
	if status == http.StatusTooManyRequests {
		c.Limited++
	}
}

// rateLimit applies the limits for key and sets Brevo's headers. An endpoint
// named in Options.RateLimits (or AllEndpoints there) keeps that fixed
// window of Options.RateWindow; every other endpoint counts in its family's
// rules. It reports whether the request may proceed.
func (e *Emulator) rateLimit(w http.ResponseWriter, key string) bool {
	if limit, ok := e.legacyLimit(key); ok {
		return e.legacyRateLimit(w, key, limit)
	}
	now := e.now()
	fam := EndpointFamily(key)
	e.mu.Lock()
	if e.rates.Disabled || len(e.rates.Families[fam]) == 0 {
		e.mu.Unlock()
		return true
	}
	scale := e.rates.TimeScale
	if scale <= 0 {
		scale = 1
	}
	rules := e.rates.Families[fam]
	type state struct {
		wd    *window
		limit int
		end   time.Time
		win   time.Duration
	}
	sts := make([]state, len(rules))
	allowed := true
	for i, r := range rules {
		win := time.Duration(float64(r.Window) / scale)
		if win <= 0 {
			win = time.Nanosecond
		}
		start := now.Truncate(win)
		k := fam + "#" + strconv.Itoa(i)
		wd := e.famWindows[k]
		if wd == nil || !wd.start.Equal(start) {
			wd = &window{start: start}
			e.famWindows[k] = wd
		}
		sts[i] = state{wd, r.Limit, start.Add(win), win}
		if wd.count >= r.Limit {
			allowed = false
		}
	}
	// The headers describe the tightest rule: when refused, the exhausted
	// rule that resets last; otherwise the one with the fewest requests left.
	pick := -1
	for i, s := range sts {
		if allowed {
			s.wd.count++
		}
		rem := s.limit - s.wd.count
		switch {
		case pick < 0:
			pick = i
		case !allowed && rem <= 0 && (sts[pick].limit-sts[pick].wd.count > 0 || s.end.After(sts[pick].end)):
			pick = i
		case allowed && rem < sts[pick].limit-sts[pick].wd.count:
			pick = i
		}
	}
	p := sts[pick]
	remaining := max(p.limit-p.wd.count, 0)
	e.mu.Unlock()
	h := w.Header()
	h.Set("x-sib-ratelimit-limit", strconv.Itoa(p.limit))
	h.Set("x-sib-ratelimit-remaining", strconv.Itoa(remaining))
	h.Set("x-sib-ratelimit-reset", formatReset(p.end.Sub(now), p.win))
	if !allowed {
		writeError(w, http.StatusTooManyRequests, "too_many_requests", "The expected rate limit is exceeded.")
	}
	return allowed
}

// formatReset renders the time to a window's end in seconds: whole seconds
// (at least 1) as Brevo sends them when the window is a whole number of
// seconds, otherwise with millisecond precision so a compressed window stays
// usable.
func formatReset(d, win time.Duration) string {
	if win%time.Second == 0 {
		return strconv.Itoa(max(int(math.Ceil(d.Seconds())), 1))
	}
	return strconv.FormatFloat(math.Max(d.Seconds(), 0.001), 'f', 3, 64)
}

func (e *Emulator) legacyLimit(key string) (int, bool) {
	limit, ok := e.opts.RateLimits[key]
	if !ok {
		limit, ok = e.opts.RateLimits[AllEndpoints]
	}
	return limit, ok
}

// legacyRateLimit is the fixed window of Options.RateLimits/RateWindow.
func (e *Emulator) legacyRateLimit(w http.ResponseWriter, key string, limit int) bool {
	now := e.now()
	win := e.opts.RateWindow
	start := now.Truncate(win)
	e.mu.Lock()
	wd := e.windows[key]
	if wd == nil || !wd.start.Equal(start) {
		wd = &window{start: start}
		e.windows[key] = wd
	}
	allowed := wd.count < limit
	if allowed {
		wd.count++
	}
	remaining := max(limit-wd.count, 0)
	e.mu.Unlock()
	h := w.Header()
	h.Set("x-sib-ratelimit-limit", strconv.Itoa(limit))
	h.Set("x-sib-ratelimit-remaining", strconv.Itoa(remaining))
	h.Set("x-sib-ratelimit-reset", formatReset(start.Add(win).Sub(now), win))
	if !allowed {
		writeError(w, http.StatusTooManyRequests, "too_many_requests", "The expected rate limit is exceeded.")
	}
	return allowed
}
