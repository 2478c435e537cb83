package bcemu

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RetrySchedule is BigCommerce's webhook retry schedule: the wait before each
// retry after a failed delivery. After the last retry fails the hook is
// deactivated (is_active false). Options.RetryScale multiplies every step.
var RetrySchedule = []time.Duration{
	60 * time.Second, 180 * time.Second, 300 * time.Second, 600 * time.Second, 900 * time.Second,
	1800 * time.Second, 3600 * time.Second, 7200 * time.Second, 21600 * time.Second,
	43200 * time.Second, 86400 * time.Second,
}

// Faults are per-store knobs that make webhook delivery misbehave the ways the
// real platform can.
type Faults struct {
	// DuplicateProbability delivers each (hook, event) twice with this probability (0–1).
	DuplicateProbability float64 `json:"duplicate_probability,omitempty"`
	// DuplicateNext delivers the next N (hook, event) deliveries twice.
	DuplicateNext int `json:"duplicate_next,omitempty"`
	// ReorderHold holds events until this many are held, then releases them in
	// reverse order (ReleaseHeld or POST .../faults/release flushes early).
	ReorderHold int `json:"reorder_hold,omitempty"`
	// DelayMs delays the first delivery attempt of every event.
	DelayMs int `json:"delay_ms,omitempty"`
	// DropScopes lists scopes (wildcards like "store/cart/*" allowed) whose events are never delivered.
	DropScopes []string `json:"drop_scopes,omitempty"`
	// Seed seeds the duplicate-probability random source (0: fixed default).
	Seed uint64 `json:"seed,omitempty"`
}

// Delivery is one line of the delivery log: an attempt, or a decision not to attempt.
type Delivery struct {
	EventID     string          `json:"event_id"`
	HookID      int             `json:"hook_id"`
	Scope       string          `json:"scope"`
	Destination string          `json:"destination"`
	Attempt     int             `json:"attempt"` // 0 first delivery, n the n-th retry
	Duplicate   bool            `json:"duplicate,omitempty"`
	Outcome     string          `json:"outcome"` // delivered, failed, deactivated, dropped, held, skipped
	StatusCode  int             `json:"status_code,omitempty"`
	Error       string          `json:"error,omitempty"`
	NextRetryMs float64         `json:"next_retry_ms,omitempty"` // wait before the next retry (scaled)
	At          time.Time       `json:"at"`
	Body        json.RawMessage `json:"body"`
}

const maxDeliveries = 10000

type event struct {
	ID    string
	Scope string
	Body  []byte
}

// payload is the callback body. Field order follows BigCommerce's examples loosely; consumers must not rely on it.
type payload struct {
	Scope     string          `json:"scope"`
	StoreID   string          `json:"store_id"`
	Data      json.RawMessage `json:"data"`
	Hash      string          `json:"hash"`
	CreatedAt int64           `json:"created_at"`
	Producer  string          `json:"producer"`
}

func scopeMatches(pattern, scope string) bool {
	if pattern == scope {
		return true
	}
	if strings.HasSuffix(pattern, "/*") {
		return strings.HasPrefix(scope, strings.TrimSuffix(pattern, "*"))
	}
	return false
}

// emit builds the callback of one event and routes it to the store's hooks. s.mu must be held.
func (e *Emulator) emit(s *store, scope string, data map[string]any) {
	dataJSON, err := json.Marshal(data)
	if err != nil {
		panic(err)
	}
	sum := sha1.Sum(dataJSON)
	body, err := json.Marshal(payload{
		Scope: scope, StoreID: strconv.Itoa(s.StoreID), Data: dataJSON, Hash: hex.EncodeToString(sum[:]),
		CreatedAt: e.now().Unix(), Producer: "stores/" + s.Hash,
	})
	if err != nil {
		panic(err)
	}
	s.eventSeq++
	ev := &event{ID: "msg_" + randHex(12), Scope: scope, Body: body}
	for _, pat := range s.faults.DropScopes {
		if scopeMatches(pat, scope) {
			for _, h := range s.Hooks {
				if h.IsActive && scopeMatches(h.Scope, scope) {
					s.logDelivery(e, Delivery{EventID: ev.ID, HookID: h.ID, Scope: scope, Destination: h.Destination, Outcome: "dropped", Body: body})
				}
			}
			return
		}
	}
	if s.faults.ReorderHold > 0 {
		s.held = append(s.held, ev)
		for _, h := range s.Hooks {
			if h.IsActive && scopeMatches(h.Scope, scope) {
				s.logDelivery(e, Delivery{EventID: ev.ID, HookID: h.ID, Scope: scope, Destination: h.Destination, Outcome: "held", Body: body})
			}
		}
		if len(s.held) >= s.faults.ReorderHold {
			e.releaseHeld(s)
		}
		return
	}
	e.route(s, ev, time.Duration(s.faults.DelayMs)*time.Millisecond)
}

// releaseHeld routes the held events in reverse order. s.mu must be held.
func (e *Emulator) releaseHeld(s *store) int {
	n := len(s.held)
	for i := n - 1; i >= 0; i-- {
		e.route(s, s.held[i], time.Duration(s.faults.DelayMs)*time.Millisecond)
	}
	s.held = nil
	return n
}

// route queues one event for every active hook of its scope. s.mu must be held.
func (e *Emulator) route(s *store, ev *event, delay time.Duration) {
	for _, h := range s.Hooks {
		if !h.IsActive || !scopeMatches(h.Scope, ev.Scope) {
			continue
		}
		copies := 1
		if s.faults.DuplicateNext > 0 {
			s.faults.DuplicateNext--
			copies = 2
		} else if s.faults.DuplicateProbability > 0 {
			if s.faultRand == nil {
				s.faultRand = rand.New(rand.NewPCG(s.faults.Seed, 0x6263666c6f77))
			}
			if s.faultRand.Float64() < s.faults.DuplicateProbability {
				copies = 2
			}
		}
		for i := 0; i < copies; i++ {
			e.disp.schedule(delay, job{s: s, hookID: h.ID, ev: ev, dup: i > 0})
		}
	}
}

func (s *store) logDelivery(e *Emulator, d Delivery) {
	if d.At.IsZero() {
		d.At = e.now()
	}
	s.deliveries = append(s.deliveries, d)
	if len(s.deliveries) > maxDeliveries {
		s.deliveries = append([]Delivery(nil), s.deliveries[len(s.deliveries)-maxDeliveries:]...)
	}
}

// Sign returns the Standard Webhooks signature header value for a delivery:
// "v1," + base64(HMAC-SHA256(secret, id + "." + timestamp + "." + body)).
// The key is the raw bytes of the store's client secret.
func Sign(secret, id string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(id + "." + strconv.FormatInt(timestamp, 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

type job struct {
	s       *store
	hookID  int
	ev      *event
	attempt int
	dup     bool
}

type dispatcher struct {
	e      *Emulator
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	closed bool
	queues map[queueKey]*queue
}

type queueKey struct {
	hash string
	hook int
}

type queue struct {
	jobs []job
	wake chan struct{}
}

func newDispatcher(e *Emulator) *dispatcher {
	ctx, cancel := context.WithCancel(context.Background())
	return &dispatcher{e: e, ctx: ctx, cancel: cancel, queues: map[queueKey]*queue{}}
}

func (d *dispatcher) close() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	d.mu.Unlock()
	d.cancel()
	d.wg.Wait()
}

// schedule queues j now or after delay. Deliveries to one hook are attempted
// one at a time, in queue order.
func (d *dispatcher) schedule(delay time.Duration, j job) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	if delay > 0 {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			t := time.NewTimer(delay)
			defer t.Stop()
			select {
			case <-t.C:
				d.schedule(0, j)
			case <-d.ctx.Done():
			}
		}()
		return
	}
	k := queueKey{j.s.Hash, j.hookID}
	q := d.queues[k]
	if q == nil {
		q = &queue{wake: make(chan struct{}, 1)}
		d.queues[k] = q
		d.wg.Add(1)
		go d.work(q)
	}
	q.jobs = append(q.jobs, j)
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (d *dispatcher) work(q *queue) {
	defer d.wg.Done()
	for {
		d.mu.Lock()
		if len(q.jobs) == 0 {
			d.mu.Unlock()
			select {
			case <-q.wake:
				continue
			case <-d.ctx.Done():
				return
			}
		}
		j := q.jobs[0]
		q.jobs = q.jobs[1:]
		d.mu.Unlock()
		if d.ctx.Err() != nil {
			return
		}
		d.attempt(j)
	}
}

func (d *dispatcher) attempt(j job) {
	e, s := d.e, j.s
	s.mu.Lock()
	h := s.hook(j.hookID)
	if h == nil || !h.IsActive {
		dest := ""
		if h != nil {
			dest = h.Destination
		}
		s.logDelivery(e, Delivery{EventID: j.ev.ID, HookID: j.hookID, Scope: j.ev.Scope, Destination: dest, Attempt: j.attempt, Duplicate: j.dup, Outcome: "skipped", Error: "hook deleted or inactive", Body: j.ev.Body})
		s.mu.Unlock()
		return
	}
	dest := h.Destination
	headers := make(map[string]string, len(h.Headers))
	for k, v := range h.Headers {
		headers[k] = v
	}
	secret := s.ClientSecret
	s.mu.Unlock()

	// webhook-timestamp is transport time: real wall time even when Options.Clock
	// is fake, so that Standard Webhooks verifiers with a tolerance window accept it.
	ts := time.Now().Unix()
	status, err := d.post(dest, headers, secret, j.ev, ts)
	if d.ctx.Err() != nil {
		return
	}
	rec := Delivery{EventID: j.ev.ID, HookID: j.hookID, Scope: j.ev.Scope, Destination: dest, Attempt: j.attempt, Duplicate: j.dup, StatusCode: status, Body: j.ev.Body}
	if err != nil {
		rec.Error = err.Error()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil && status >= 200 && status < 300 {
		rec.Outcome = "delivered"
		s.logDelivery(e, rec)
		return
	}
	if rec.Error == "" {
		rec.Error = "non-2xx response"
	}
	if j.attempt < len(RetrySchedule) {
		wait := time.Duration(float64(RetrySchedule[j.attempt]) * e.opts.RetryScale)
		rec.Outcome = "failed"
		rec.NextRetryMs = float64(wait) / float64(time.Millisecond)
		s.logDelivery(e, rec)
		next := j
		next.attempt++
		if wait <= 0 {
			wait = time.Nanosecond
		}
		d.schedule(wait, next)
		return
	}
	rec.Outcome = "deactivated"
	s.logDelivery(e, rec)
	if h := s.hook(j.hookID); h != nil && h.IsActive {
		h.IsActive = false
		h.Updated = e.now()
	}
}

func (d *dispatcher) post(dest string, headers map[string]string, secret string, ev *event, ts int64) (int, error) {
	req, err := http.NewRequestWithContext(d.ctx, http.MethodPost, dest, bytes.NewReader(ev.Body))
	if err != nil {
		return 0, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "bcflow-bcemu-webhooks/1")
	req.Header.Set("webhook-id", ev.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", Sign(secret, ev.ID, ts, ev.Body))
	resp, err := d.e.opts.HTTPClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// SetFaults replaces the webhook fault knobs of a store.
func (e *Emulator) SetFaults(hash string, f Faults) error {
	s, err := e.store(hash)
	if err != nil {
		return err
	}
	if f.DuplicateProbability < 0 || f.DuplicateProbability > 1 || f.DuplicateNext < 0 || f.ReorderHold < 0 || f.DelayMs < 0 {
		return errf(422, "Invalid fault settings")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
	s.faults.DropScopes = append([]string(nil), f.DropScopes...)
	s.faultRand = nil
	if f.ReorderHold == 0 && len(s.held) > 0 {
		e.releaseHeld(s)
	}
	return nil
}

// GetFaults returns the current webhook fault knobs of a store.
func (e *Emulator) GetFaults(hash string) (Faults, error) {
	s, err := e.store(hash)
	if err != nil {
		return Faults{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults
	f.DropScopes = append([]string(nil), f.DropScopes...)
	return f, nil
}

// ReleaseHeld releases the events held by the reorder knob, newest first, and returns how many there were.
func (e *Emulator) ReleaseHeld(hash string) (int, error) {
	s, err := e.store(hash)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return e.releaseHeld(s), nil
}

// Deliveries returns the webhook delivery log of a store, oldest first.
func (e *Emulator) Deliveries(hash string) ([]Delivery, error) {
	s, err := e.store(hash)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...), nil
}
