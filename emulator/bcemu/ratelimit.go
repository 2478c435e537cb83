package bcemu

import (
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// rateWindow is a fixed window that starts with the first request after the previous one ended.
type rateWindow struct {
	start time.Time
	used  int
}

func (rw *rateWindow) roll(now time.Time, window time.Duration) {
	if rw.start.IsZero() || !now.Before(rw.start.Add(window)) {
		rw.start, rw.used = now, 0
	}
}

func (rw *rateWindow) take(now time.Time, quota int, window time.Duration) bool {
	rw.roll(now, window)
	if rw.used >= quota {
		return false
	}
	rw.used++
	return true
}

func (rw *rateWindow) headers(h http.Header, now time.Time, quota int, window time.Duration) {
	rw.roll(now, window)
	left := quota - rw.used
	if left < 0 {
		left = 0
	}
	reset := rw.start.Add(window).Sub(now).Milliseconds()
	h.Set("X-Rate-Limit-Requests-Left", strconv.Itoa(left))
	h.Set("X-Rate-Limit-Requests-Quota", strconv.Itoa(quota))
	h.Set("X-Rate-Limit-Time-Reset-Ms", strconv.FormatInt(reset, 10))
	h.Set("X-Rate-Limit-Time-Window-Ms", strconv.FormatInt(window.Milliseconds(), 10))
}

// window returns the store's rate-limit window. s.mu must be held.
func (s *store) window() time.Duration {
	if s.WindowMs <= 0 {
		return RateLimitWindow
	}
	return time.Duration(s.WindowMs) * time.Millisecond
}

// RateLimit is a store's rate-limit setting.
type RateLimit struct {
	// Quota is the number of requests allowed per window.
	Quota int `json:"quota"`
	// WindowMs is the window length in milliseconds.
	WindowMs int64 `json:"window_ms"`
}

// SetRateLimit changes a store's quota and window at runtime; a zero field
// keeps its current value. The current window restarts, so the new setting
// applies from the next request.
func (e *Emulator) SetRateLimit(hash string, quota int, window time.Duration) (RateLimit, error) {
	var out RateLimit
	if quota < 0 || window < 0 || (window > 0 && window < time.Millisecond) {
		return out, errf(422, "quota must be positive and window at least 1 ms")
	}
	err := e.withStore(hash, func(s *store) error {
		if quota > 0 {
			s.Quota = quota
		}
		if window > 0 {
			s.WindowMs = window.Milliseconds()
		}
		s.rl = rateWindow{}
		out = RateLimit{Quota: s.Quota, WindowMs: s.window().Milliseconds()}
		return nil
	})
	return out, err
}

// GetRateLimit returns a store's quota and window.
func (e *Emulator) GetRateLimit(hash string) (RateLimit, error) {
	var out RateLimit
	err := e.withStore(hash, func(s *store) error {
		out = RateLimit{Quota: s.Quota, WindowMs: s.window().Milliseconds()}
		return nil
	})
	return out, err
}

// RequestStats counts the store API requests an emulated store answered
// since it started or since ResetRequestStats: every authenticated request,
// and among them those refused with 429.
type RequestStats struct {
	// Requests is the number of authenticated requests, Throttled those answered 429.
	Requests  int `json:"requests"`
	Throttled int `json:"throttled"`
	// Paths counts per route, keyed by method and route pattern without the
	// store prefix: "GET /v2/orders", "GET /v3/catalog/products/{id}".
	// Requests that match no route are keyed by method and "(unknown)".
	Paths map[string]PathStats `json:"paths"`
}

// PathStats counts the requests of one route.
type PathStats struct {
	Requests  int `json:"requests"`
	Throttled int `json:"throttled"`
}

type requestStats struct {
	total, throttled int
	paths            map[string]PathStats
}

func (rs *requestStats) count(route string, throttled bool) {
	if rs.paths == nil {
		rs.paths = map[string]PathStats{}
	}
	p := rs.paths[route]
	p.Requests++
	rs.total++
	if throttled {
		p.Throttled++
		rs.throttled++
	}
	rs.paths[route] = p
}

// routeName names a request by its route pattern ("GET /v2/orders/{id}").
func routeName(r *http.Request, pattern string) string {
	_, path, ok := strings.Cut(pattern, " /stores/{hash}")
	if !ok || path == "" {
		return r.Method + " (unknown)"
	}
	return r.Method + " " + path
}

// RequestStats returns the request counts of a store.
func (e *Emulator) RequestStats(hash string) (RequestStats, error) {
	var out RequestStats
	err := e.withStore(hash, func(s *store) error {
		out = RequestStats{Requests: s.stats.total, Throttled: s.stats.throttled, Paths: maps.Clone(s.stats.paths)}
		if out.Paths == nil {
			out.Paths = map[string]PathStats{}
		}
		return nil
	})
	return out, err
}

// ResetRequestStats sets a store's request counts back to zero.
func (e *Emulator) ResetRequestStats(hash string) error {
	return e.withStore(hash, func(s *store) error {
		s.stats = requestStats{}
		return nil
	})
}
