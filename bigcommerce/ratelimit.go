package bigcommerce

import (
	"math"
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

// DefaultReserveShare is the share of each window's quota the client leaves
// to the store's other apps when Options.ReserveShare is 0.
const DefaultReserveShare = 0.2

// ReserveNone, as Options.ReserveShare, lets the client use the whole quota.
const ReserveNone = -1.0

// RateLimit is the rate-limit state the client believes in.
type RateLimit struct {
	// Known is false until a response carried the headers, and again once
	// the observed window has ended (or a 429 was answered).
	Known bool
	// Left is the estimated number of requests left in the window: the
	// lowest X-Rate-Limit-Requests-Left of the window minus the requests
	// still in flight (which may not be counted in it yet).
	Left int
	// Quota is X-Rate-Limit-Requests-Quota (0 if never sent).
	Quota int
	// Reserve is the number of requests of each window the client leaves
	// to other apps: ceil(ReserveShare × Quota).
	Reserve int
	// InFlight is the number of requests sent and not answered yet.
	InFlight int
	// ResetAt is when the window ends (now + X-Rate-Limit-Time-Reset-Ms).
	ResetAt time.Time
	// Window is X-Rate-Limit-Time-Window-Ms.
	Window time.Duration
	// BlockedUntil is set after a 429: no request leaves before it.
	BlockedUntil time.Time
}

// limiter is the single gate every request of a Client passes (reserve
// before sending, complete after the answer), whatever the number of
// goroutines sending.
//
// Within a window it lets requests go at once as long as the store keeps
// more than the reserve (ceil(share × quota)) after them, counting every
// request still in flight as spent: a request may go when
//
//	minLeft − inFlight − 1 ≥ reserve
//
// where minLeft is the lowest X-Rate-Limit-Requests-Left answered in the
// window. Left only decreases in the order the server counts requests, so
// the lowest value seen counts every answered request the server took
// before it; only requests still in flight can come after it. Once the
// reserve is reached, requests wait for the window's reset. Before the first
// answer, after a window ended and after a 429 the state is unknown: then a
// single probe request goes and the others wait for its answer, so that a
// burst of concurrent requests cannot overshoot a quota nobody knows.
//
// Answers without the headers (a proxy's error page) leave the state
// unknown, so a server that never sends them gets one request at a time.
//
// It does not spread requests over the window: a sync uses everything the
// window allows above the reserve, then waits for the next one, so it runs
// at (1 − share) × quota per window.
type limiter struct {
	mu      sync.Mutex
	now     func() time.Time
	share   float64
	st      RateLimit
	minLeft int
	probing bool
	changed chan struct{} // closed (and replaced) whenever a request completes
}

// resetSlack is added to every wait for a window reset: X-Rate-Limit-Time-
// Reset-Ms is truncated to milliseconds, so the reset it announces can be up
// to a millisecond early.
const resetSlack = 3 * time.Millisecond

// whyProbe is the reason of a wait for a probe's answer.
const whyProbe = "waiting for the rate-limit headers"

// probeWait bounds a wait for a probe's answer before the limiter is asked
// again (the waiter is woken as soon as the answer arrives).
const probeWait = 250 * time.Millisecond

func newLimiter(now func() time.Time, share float64) *limiter {
	switch {
	case share == 0:
		share = DefaultReserveShare
	case share < 0:
		share = 0
	case share > 1:
		share = 1
	}
	return &limiter{now: now, share: share, changed: make(chan struct{})}
}

// ticket is a reservation: complete must be called with it exactly once.
type ticket struct{ probe bool }

// reserveLocked is the number of requests of a window left to other apps.
func (l *limiter) reserveLocked() int {
	q := l.st.Quota
	if q <= 0 {
		q = l.minLeft + l.st.InFlight
	}
	return int(math.Ceil(l.share*float64(q) - 1e-9))
}

// reserve claims the right to send one request now (ok), or returns how
// long to wait at most before asking again, why, and a channel closed as
// soon as the state changes (an answer arrived) so that a waiter can ask
// again earlier.
func (l *limiter) reserve() (tk ticket, ok bool, wait time.Duration, why string, changed <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Before(l.st.BlockedUntil) {
		return ticket{}, false, l.st.BlockedUntil.Sub(now), "rate limited", l.changed
	}
	if l.st.Known && !now.Before(l.st.ResetAt) {
		// The observed window is over: a fresh quota nobody knows yet.
		l.st.Known = false
	}
	if !l.st.Known {
		if l.probing {
			return ticket{}, false, probeWait, whyProbe, l.changed
		}
		l.probing = true
		l.st.InFlight++
		return ticket{probe: true}, true, 0, "", nil
	}
	if l.minLeft-l.st.InFlight-1 >= l.reserveLocked() {
		l.st.InFlight++
		return ticket{}, true, 0, "", nil
	}
	return ticket{}, false, l.st.ResetAt.Sub(now) + resetSlack, "quota left to other apps reached", l.changed
}

// complete records the answer to a reserved request: its rate-limit
// headers (h may be nil after a transport failure) and status. A 429 blocks
// every request until the reset.
func (l *limiter) complete(tk ticket, h http.Header, status int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.st.InFlight--
	if tk.probe {
		l.probing = false
	}
	defer func() {
		close(l.changed)
		l.changed = make(chan struct{})
	}()
	if h == nil {
		return
	}
	left, okLeft := headerInt(h, headerRequestsLeft)
	resetMs, okReset := headerInt(h, headerTimeResetMs)
	quota, okQuota := headerInt(h, headerRequestsQuota)
	windowMs, okWindow := headerInt(h, headerTimeWindowMs)
	now := l.now()
	if okQuota {
		l.st.Quota = quota
	}
	if okWindow && windowMs > 0 {
		l.st.Window = time.Duration(windowMs) * time.Millisecond
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
		// Probe again after the block; the answers of the ended window that
		// are still in flight must not count for the next one.
		l.st.Known, l.minLeft = false, 0
		l.st.ResetAt = until.Add(-resetSlack)
		return
	}
	if !okLeft || !okReset {
		return
	}
	resetAt := now.Add(time.Duration(resetMs) * time.Millisecond)
	half := l.st.Window / 2
	if half <= 0 {
		half = time.Second
	}
	switch {
	case !l.st.ResetAt.IsZero() && resetAt.Before(l.st.ResetAt.Add(-half)):
		// A late answer from a window that already ended: it says nothing
		// about the current one.
	case l.st.ResetAt.IsZero() || resetAt.After(l.st.ResetAt.Add(half)):
		// The first answer of a new window.
		l.st.Known, l.minLeft, l.st.ResetAt = true, left, resetAt
	default:
		// Another answer of the current window (or of the window that just
		// ended, when it arrives after the reset: then the next probe tells).
		if !l.st.Known {
			return
		}
		if left < l.minLeft {
			l.minLeft = left
		}
		if resetAt.Before(l.st.ResetAt) {
			l.st.ResetAt = resetAt
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
	st := l.st
	st.Left = l.minLeft - l.st.InFlight
	if st.Left < 0 {
		st.Left = 0
	}
	st.Reserve = l.reserveLocked()
	return st
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
