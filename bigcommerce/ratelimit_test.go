package bigcommerce

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// limitHeaders builds the rate-limit headers of an answer.
func limitHeaders(left, quota int, reset, window time.Duration) http.Header {
	h := http.Header{}
	h.Set(headerRequestsLeft, strconv.Itoa(left))
	h.Set(headerRequestsQuota, strconv.Itoa(quota))
	h.Set(headerTimeResetMs, strconv.FormatInt(reset.Milliseconds(), 10))
	h.Set(headerTimeWindowMs, strconv.FormatInt(window.Milliseconds(), 10))
	return h
}

// grabAll calls reserve from n goroutines at once and returns the tickets
// granted.
func grabAll(l *limiter, n int) []ticket {
	var mu sync.Mutex
	var got []ticket
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if tk, ok, _, _, _ := l.reserve(); ok {
				mu.Lock()
				got = append(got, tk)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return got
}

func TestLimiterProbesOnceThenUsesAllButTheReserve(t *testing.T) {
	ft := newFakeTime()
	l := newLimiter(ft.Now, 0) // default share: 10 of 50
	// Unknown state: of 100 concurrent callers, one probe goes.
	probe := grabAll(l, 100)
	if len(probe) != 1 || !probe[0].probe {
		t.Fatalf("%d requests granted before any header, want 1 probe", len(probe))
	}
	_, ok, wait, why, changed := l.reserve()
	if ok || wait != probeWait || why == "" || changed == nil {
		t.Errorf("second caller during the probe: ok %v wait %v %q", ok, wait, why)
	}
	l.complete(probe[0], limitHeaders(49, 50, 200*time.Millisecond, 200*time.Millisecond), 200)
	select {
	case <-changed:
	default:
		t.Error("the probe's answer did not wake the waiters")
	}
	// 49 left, 10 reserved: 39 more may go at once, from any number of
	// goroutines, and not one more.
	burst := grabAll(l, 100)
	if len(burst) != 39 {
		t.Fatalf("%d granted after the probe, want 39", len(burst))
	}
	_, ok, wait, _, _ = l.reserve()
	if ok || wait != 200*time.Millisecond+resetSlack {
		t.Errorf("past the reserve: ok %v wait %v", ok, wait)
	}
	if rl := l.snapshot(); !rl.Known || rl.Left != 10 || rl.Reserve != 10 || rl.InFlight != 39 {
		t.Errorf("state %+v", rl)
	}
	// The answers arrive out of order (left 11…48 shuffled); the lowest
	// stands, and the request still in flight counts as spent.
	ft.Advance(5 * time.Millisecond)
	for i, tk := range burst[:38] {
		l.complete(tk, limitHeaders(11+(i*7)%38, 50, 195*time.Millisecond, 200*time.Millisecond), 200)
	}
	if rl := l.snapshot(); rl.Left != 10 || rl.InFlight != 1 {
		t.Errorf("after the answers %+v", rl)
	}
	if got := grabAll(l, 10); len(got) != 0 {
		t.Errorf("%d granted at the reserve", len(got))
	}
	// The window ends: one probe again, whatever the number of callers.
	ft.Advance(200 * time.Millisecond)
	probe = grabAll(l, 50)
	if len(probe) != 1 || !probe[0].probe {
		t.Fatalf("%d granted after the reset, want 1 probe", len(probe))
	}
	// The last answer of the ended window arrives first: it does not count.
	l.complete(burst[38], limitHeaders(10, 50, 0, 200*time.Millisecond), 200)
	if got := grabAll(l, 5); len(got) != 0 {
		t.Errorf("%d granted on an answer of the ended window", len(got))
	}
	l.complete(probe[0], limitHeaders(49, 50, 200*time.Millisecond, 200*time.Millisecond), 200)
	if got := grabAll(l, 100); len(got) != 39 {
		t.Errorf("%d granted in the second window, want 39", len(got))
	}
}

func TestLimiterOtherAppsAndNoReserve(t *testing.T) {
	ft := newFakeTime()
	l := newLimiter(ft.Now, ReserveNone)
	tk, _, _, _, _ := l.reserve()
	l.complete(tk, limitHeaders(49, 50, time.Second, time.Second), 200)
	if got := grabAll(l, 100); len(got) != 49 {
		t.Errorf("no reserve: %d granted, want 49", len(got))
	}

	// Other apps spent 30 of the window: the answer tells, and the client
	// stops at the reserve counting their requests too.
	l = newLimiter(ft.Now, 0.2)
	tk, _, _, _, _ = l.reserve()
	l.complete(tk, limitHeaders(19, 50, time.Second, time.Second), 200)
	if got := grabAll(l, 100); len(got) != 9 {
		t.Errorf("19 left, reserve 10: %d granted, want 9", len(got))
	}
}

func TestLimiter429BlocksThenProbes(t *testing.T) {
	ft := newFakeTime()
	l := newLimiter(ft.Now, 0)
	tk, _, _, _, _ := l.reserve()
	l.complete(tk, limitHeaders(0, 50, 700*time.Millisecond, time.Second), http.StatusTooManyRequests)
	_, ok, wait, why, _ := l.reserve()
	if ok || wait != 700*time.Millisecond+resetSlack || why != "rate limited" {
		t.Errorf("after a 429: ok %v wait %v %q", ok, wait, why)
	}
	ft.Advance(wait)
	if got := grabAll(l, 20); len(got) != 1 || !got[0].probe {
		t.Errorf("after the block %d granted, want 1 probe", len(got))
	}
}

func TestLimiterTransportFailureReleasesTheProbe(t *testing.T) {
	l := newLimiter(newFakeTime().Now, 0)
	tk, ok, _, _, _ := l.reserve()
	if !ok {
		t.Fatal("no probe")
	}
	l.complete(tk, nil, 0)
	if got := grabAll(l, 5); len(got) != 1 {
		t.Errorf("%d granted after a failed probe, want 1", len(got))
	}
}

// windowServer is BigCommerce's rate limit on a real clock: a fixed window
// that starts with the first request after the previous one ended, quota
// requests per window, 429 beyond. It answers after a random delay, so
// that answers arrive out of order.
type windowServer struct {
	quota    int
	window   time.Duration
	maxDelay time.Duration

	mu       sync.Mutex
	start    time.Time
	used     int
	minLeft  int
	served   int
	rejected int
}

func (ws *windowServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ws.mu.Lock()
	now := time.Now()
	if ws.start.IsZero() || !now.Before(ws.start.Add(ws.window)) {
		ws.start, ws.used = now, 0
	}
	over := ws.used >= ws.quota
	if over {
		ws.rejected++
	} else {
		ws.used++
		ws.served++
	}
	left := ws.quota - ws.used
	if left < ws.minLeft {
		ws.minLeft = left
	}
	reset := ws.start.Add(ws.window).Sub(now)
	ws.mu.Unlock()
	if ws.maxDelay > 0 {
		time.Sleep(time.Duration(rand.Int64N(int64(ws.maxDelay))))
	}
	w.Header().Set(headerRequestsLeft, strconv.Itoa(left))
	w.Header().Set(headerRequestsQuota, strconv.Itoa(ws.quota))
	w.Header().Set(headerTimeResetMs, strconv.FormatInt(reset.Milliseconds(), 10))
	w.Header().Set(headerTimeWindowMs, strconv.FormatInt(ws.window.Milliseconds(), 10))
	if over {
		writeJSON(w, 429, `{"status":429,"title":"Too many requests"}`)
		return
	}
	writeJSON(w, 200, cartBody)
}

// runPaced sends pages requests from workers goroutines through one client
// against ws and returns the wall time.
func runPaced(t testing.TB, ws *windowServer, share float64, pages, workers int) time.Duration {
	t.Helper()
	ws.minLeft = ws.quota
	srv := httptest.NewServer(ws)
	defer srv.Close()
	return runPacedAt(t, srv.URL, share, pages, workers)
}

// runPacedAt is runPaced against a running server.
func runPacedAt(t testing.TB, base string, share float64, pages, workers int) time.Duration {
	t.Helper()
	c, err := New(Options{BaseURL: base, StoreHash: testHash, AccessToken: testToken, ReserveShare: share})
	if err != nil {
		t.Fatal(err)
	}
	var next atomic.Int64
	var failed atomic.Int64
	var counted atomic.Int64
	ctx := WithRequestCounter(context.Background(), &counted)
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for next.Add(1) <= int64(pages) {
				if _, err := c.GetCart(ctx, cartID); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if failed.Load() != 0 {
		t.Errorf("%d calls failed", failed.Load())
	}
	if c.Requests() != int64(pages) || counted.Load() != int64(pages) {
		t.Errorf("requests %d, counted %d, want %d", c.Requests(), counted.Load(), pages)
	}
	return elapsed
}

// quotaBound is the least time pages requests can take at (1 − share) ×
// quota per window.
func quotaBound(pages, quota int, window time.Duration, share float64) time.Duration {
	usable := quota - int(math.Ceil(share*float64(quota)-1e-9))
	return time.Duration(float64(pages) / float64(usable) * float64(window))
}

// TestPacingConcurrentNever429 drives 8 workers through one client against
// a compressed window (50 per 200 ms) whose answers come back out of order:
// not one 429, and the store never has fewer than the reserve left.
func TestPacingConcurrentNever429(t *testing.T) {
	ws := &windowServer{quota: 50, window: 200 * time.Millisecond, maxDelay: 3 * time.Millisecond}
	runPaced(t, ws, 0, 200, 8)
	if ws.rejected != 0 {
		t.Errorf("%d answers were 429", ws.rejected)
	}
	if ws.minLeft < 10 {
		t.Errorf("the store was left %d requests, below the reserve of 10", ws.minLeft)
	}
	if ws.served != 200 {
		t.Errorf("served %d", ws.served)
	}
}

// TestPacingSharesTheQuotaWithAnotherApp runs the same sync while another
// app spends 6 requests per window, evenly, within the 10 the client
// leaves: the client sees them in the headers and neither gets a 429.
func TestPacingSharesTheQuotaWithAnotherApp(t *testing.T) {
	ws := &windowServer{quota: 50, window: 200 * time.Millisecond, maxDelay: 2 * time.Millisecond}
	srv := httptest.NewServer(ws)
	defer srv.Close()
	stop := make(chan struct{})
	var other sync.WaitGroup
	other.Go(func() {
		tick := time.NewTicker(ws.window / 6)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if resp, err := http.Get(srv.URL + "/other-app"); err == nil {
					resp.Body.Close()
				}
			}
		}
	})
	runPacedAt(t, srv.URL, 0, 200, 8)
	close(stop)
	other.Wait()
	if ws.rejected != 0 {
		t.Errorf("%d answers were 429", ws.rejected)
	}
}

// BenchmarkPacingRatio measures how close a concurrent sync comes to the
// quota bound: wall time ÷ (pages ÷ ((1 − share) × quota / window)), with
// BigCommerce's 30 s window compressed to 200 ms, a quota of 50 and the
// default reserve (40 requests per window for the client), 8 workers.
//
//	go test ./bigcommerce -run '^$' -bench PacingRatio -benchtime 3x
func BenchmarkPacingRatio(b *testing.B) {
	for _, pages := range []int{400, 430} {
		b.Run(fmt.Sprintf("pages=%d", pages), func(b *testing.B) {
			const quota, workers = 50, 8
			window := 200 * time.Millisecond
			bound := quotaBound(pages, quota, window, DefaultReserveShare)
			var worst float64
			for b.Loop() {
				ws := &windowServer{quota: quota, window: window, maxDelay: 2 * time.Millisecond}
				elapsed := runPaced(b, ws, 0, pages, workers)
				if ws.rejected != 0 || ws.minLeft < 10 {
					b.Errorf("%d 429s, min left %d", ws.rejected, ws.minLeft)
				}
				if r := float64(elapsed) / float64(bound); r > worst {
					worst = r
				}
			}
			b.ReportMetric(worst, "wall/bound")
			b.ReportMetric(float64(bound.Milliseconds()), "bound-ms")
		})
	}
}

// TestWaitForProbeWithinShortDeadline: a call whose deadline is shorter
// than probeWait still waits for the probe in flight (it answers long before)
// instead of failing at once.
func TestWaitForProbeWithinShortDeadline(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	env := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			<-release
		}
		rateHeaders(w, 140, 150, 30*time.Second)
		writeJSON(w, 200, cartBody)
	}), false, func(o *Options) { o.Clock, o.Sleep = nil, nil })
	probeDone := make(chan error, 1)
	go func() {
		_, err := env.c.GetCart(context.Background(), cartID)
		probeDone <- err
	}()
	for env.c.RateLimit().InFlight == 0 {
		time.Sleep(time.Millisecond)
	}
	time.AfterFunc(20*time.Millisecond, func() { close(release) })
	ctx, cancel := context.WithTimeout(context.Background(), probeWait/2)
	defer cancel()
	if _, err := env.c.GetCart(ctx, cartID); err != nil {
		t.Errorf("call behind the probe: %v", err)
	}
	if err := <-probeDone; err != nil {
		t.Errorf("probe: %v", err)
	}
	if calls.Load() != 2 {
		t.Errorf("%d calls", calls.Load())
	}
}
