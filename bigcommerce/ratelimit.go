package bigcommerce

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Rate-limit headers BigCommerce sets on every response. The quota is
// store-wide: every app installed on the store draws from it.
const (
	headerRequestsLeft  = "X-Rate-Limit-Requests-Left"
	headerRequestsQuota = "X-Rate-Limit-Requests-Quota"
	headerTimeResetMs   = "X-Rate-Limit-Time-Reset-Ms"
	headerTimeWindowMs  = "X-Rate-Limit-Time-Window-Ms"
)

// RateLimit is the last rate-limit state the client observed.
type RateLimit struct {
	// Known is false until a response carried the headers, and again once
	// the observed window has ended.
	Known bool
	// Left is the estimated number of requests left in the window: the last
	// X-Rate-Limit-Requests-Left minus the requests sent since.
	Left int
	// Quota is X-Rate-Limit-Requests-Quota (0 if never sent).
	Quota int
	// ResetAt is when the window ends (now + X-Rate-Limit-Time-Reset-Ms).
	ResetAt time.Time
	// Window is X-Rate-Limit-Time-Window-Ms.
	Window time.Duration
	// BlockedUntil is set after a 429: no request leaves before it.
	BlockedUntil time.Time
}

// limiter paces requests from the rate-limit headers. When the requests left
// in the window fall to the threshold, the remaining ones are spread evenly
// over the time left until the reset, so that a steady stream of calls never
// drains the store-wide quota (other apps share it); after a 429 every request
// waits for the reset.
type limiter struct {
	mu        sync.Mutex
	now       func() time.Time
	threshold int // pace at or below this many requests left; 0 = auto
	st        RateLimit
	nextSlot  time.Time
}

// resetSlack is added to every wait for a window reset: X-Rate-Limit-Time-
// Reset-Ms is truncated to milliseconds, so the reset it announces can be up
// to a millisecond early.
const resetSlack = 10 * time.Millisecond

// defaultPaceFraction is the share of the quota below which pacing starts
// when Options.PaceThreshold is 0.
const defaultPaceFraction = 5 // one fifth

func (l *limiter) thresholdLocked() int {
	if l.threshold > 0 {
		return l.threshold
	}
	if l.st.Quota > 0 {
		t := l.st.Quota / defaultPaceFraction
		if t < 5 {
			t = 5
		}
		return t
	}
	return 10
}

// reserve claims the right to send one request and returns how long to wait
// before sending it, and why ("" when no wait).
func (l *limiter) reserve() (time.Duration, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Before(l.st.BlockedUntil) {
		return l.st.BlockedUntil.Sub(now), "rate limited"
	}
	if !l.st.Known {
		return 0, ""
	}
	if !now.Before(l.st.ResetAt) {
		// The observed window is over: a fresh quota, state unknown again.
		l.st.Known = false
		l.nextSlot = time.Time{}
		return 0, ""
	}
	if l.st.Left > l.thresholdLocked() {
		l.st.Left--
		return 0, ""
	}
	if l.st.Left <= 0 {
		// Nothing left in this window: wait for the reset.
		return l.st.ResetAt.Sub(now) + resetSlack, "quota exhausted"
	}
	// Spread what is left over the time left.
	interval := l.st.ResetAt.Sub(now) / time.Duration(l.st.Left)
	slot := now
	if l.nextSlot.After(slot) {
		slot = l.nextSlot
	}
	l.nextSlot = slot.Add(interval)
	l.st.Left--
	return slot.Sub(now), "pacing"
}

// observe records the rate-limit headers of a response. A 429 blocks every
// request until the reset.
func (l *limiter) observe(h http.Header, status int) {
	left, okLeft := headerInt(h, headerRequestsLeft)
	resetMs, okReset := headerInt(h, headerTimeResetMs)
	quota, okQuota := headerInt(h, headerRequestsQuota)
	windowMs, okWindow := headerInt(h, headerTimeWindowMs)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if okQuota {
		l.st.Quota = quota
	}
	if okWindow {
		l.st.Window = time.Duration(windowMs) * time.Millisecond
	}
	if okLeft && okReset {
		resetAt := now.Add(time.Duration(resetMs) * time.Millisecond)
		if l.st.Known && resetAt.Sub(l.st.ResetAt).Abs() < time.Second && left > l.st.Left {
			// A slower response from earlier in the same window: keep the
			// lower (newer) count.
			left = l.st.Left
		}
		l.st.Known, l.st.Left, l.st.ResetAt = true, left, resetAt
	}
	if status == http.StatusTooManyRequests {
		wait := time.Duration(resetMs)*time.Millisecond + resetSlack
		if !okReset {
			wait = retryAfter(h)
		}
		until := now.Add(wait)
		if until.After(l.st.BlockedUntil) {
			l.st.BlockedUntil = until
		}
		l.st.Known, l.st.Left = okReset, 0
		if okReset {
			l.st.ResetAt = until
		}
	}
}

// retryAfter reads Retry-After (seconds) or falls back to one second.
func retryAfter(h http.Header) time.Duration {
	if s, err := strconv.Atoi(h.Get("Retry-After")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return time.Second
}

func (l *limiter) snapshot() RateLimit {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st
}

func headerInt(h http.Header, name string) (int, bool) {
	v := h.Get(name)
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}
