package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/bcflow/bcflow/devserver"
	"github.com/bcflow/bcflow/emulator/bcemu"
	"github.com/bcflow/bcflow/emulator/brevoemu"
	"github.com/bcflow/bcflow/store"
	"github.com/bcflow/bcflow/workflows"
)

// The fault suite (issue 10, "Durable for real"): a shopper abandons a
// cart, a two-step reminder sequence runs, a fault strikes between or
// during the steps, the sequence carries on after it, and the shopper's
// order earns loyalty points. Every case asserts the same outcome: no lost
// event (every cart webhook reached the flow once), no duplicate message
// (one email per step at Brevo), no duplicate points (one award for the
// order, the balance equal to it), and the flow's final decision
// (completed). Time passes by configuration (steps seconds apart, the
// clients' own retries cut to one, webhook retries scaled down), never by
// long sleeps; the waits are on conditions.

// faultFlows: the reminder 1 s after abandonment, the second email 6 s
// after it (the gap a fault strikes in), and points on Completed orders.
const faultFlows = `
version: 1
defaults:
  customer_groups: [Retail, VIP, Wholesale]
  loyalty:
    points_per_unit: 1
    rounding: floor
    award_status: Completed
    group_multipliers: {Retail: 1.0, VIP: 1.5}
    tiers:
      - {name: Bronze, min_points: 0}
      - {name: Silver, min_points: 500}
    bonuses: {first_purchase: 0, account_creation: 0}
  cart_recovery:
    abandoned_after: 1h
    attribution_window: 1s
    steps:
      - name: reminder
        delay: 1s
        channel: email
        requires: [email_consent]
        template:
          subject: "You left something behind, {{.FirstName}}!"
          body: "<p>{{range .Items}}{{.Name}} x{{.Quantity}} {{end}}</p>"
      - name: second-reminder
        delay: 6s
        channel: email
        requires: [email_consent]
        template:
          subject: "Still thinking it over, {{.FirstName}}?"
          body: "<p>{{range .Items}}{{.Name}} {{end}}</p>"
`

// faultSteps are faultFlows' cart steps, in order.
var faultSteps = []string{"reminder", "second-reminder"}

// With stackOptions.faults the clients try each call twice (one retry),
// each attempt bounded by faultAttemptTimeout: a fault of more than two
// requests outlasts them and Temporal's activity retry takes over.
const (
	faultClientRetries  = 1
	faultAttemptTimeout = time.Second
)

// faultMode is how the faultProxy answers one request.
type faultMode int

const (
	// answer429 is BigCommerce's or Brevo's rate-limit answer, reset in 50 ms.
	answer429 faultMode = iota
	// answer503 is a server error.
	answer503
	// hang never answers: the client's attempt timeout ends the request.
	hang
)

// faultProxy stands between bcflow's clients and the emulator. Armed
// faults answer the next matching requests instead of the emulator; a hold
// parks the next matching request until the test releases it, then
// forwards it even if its client is gone (a send the provider accepted
// while the worker died).
type faultProxy struct {
	url   string
	rp    *httputil.ReverseProxy
	mu    sync.Mutex
	rules []*faultRule
}

type faultRule struct {
	match   func(r *http.Request, body string) bool
	modes   []faultMode // consumed one per matching request
	hold    chan struct{}
	arrived chan struct{}
	hits    int
}

func newFaultProxy(t testing.TB, target string) *faultProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{url: "http://" + l.Addr().String(), rp: httputil.NewSingleHostReverseProxy(u)}
	srv := &http.Server{Handler: p}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() {
		p.mu.Lock()
		for _, r := range p.rules {
			if r.hold != nil {
				select {
				case <-r.hold:
				default:
					close(r.hold)
				}
			}
		}
		p.mu.Unlock()
		_ = srv.Close()
	})
	return p
}

// fail answers the next len(modes) requests that match with modes, in order.
func (p *faultProxy) fail(match func(r *http.Request, body string) bool, modes ...faultMode) *faultRule {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := &faultRule{match: match, modes: modes}
	p.rules = append(p.rules, r)
	return r
}

// hold parks the next matching request; arrived closes when it is parked,
// release forwards it.
func (p *faultProxy) hold(match func(r *http.Request, body string) bool) (arrived <-chan struct{}, release func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := &faultRule{match: match, hold: make(chan struct{}), arrived: make(chan struct{})}
	p.rules = append(p.rules, r)
	var once sync.Once
	return r.arrived, func() { once.Do(func() { close(r.hold) }) }
}

// pending reports how many armed failures are still to be answered.
func (p *faultProxy) pending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, r := range p.rules {
		n += len(r.modes)
	}
	return n
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	p.mu.Lock()
	var mode faultMode
	var failNow bool
	var held *faultRule
	for _, rule := range p.rules {
		if !rule.match(r, string(body)) {
			continue
		}
		if rule.hold != nil && rule.hits == 0 {
			rule.hits++
			held = rule
			close(rule.arrived)
			break
		}
		if len(rule.modes) > 0 {
			mode, failNow = rule.modes[0], true
			rule.modes = rule.modes[1:]
			rule.hits++
			break
		}
	}
	p.mu.Unlock()
	if held != nil {
		<-held.hold
		// Forward whatever happened to the client meanwhile: neither the
		// request's context nor the connection's close (ReverseProxy
		// watches http.CloseNotifier when the context cannot end) may cancel
		// it, as a request already inside Brevo would go on.
		r = r.WithContext(context.WithoutCancel(r.Context()))
		w = struct{ http.ResponseWriter }{w}
	}
	if !failNow {
		p.rp.ServeHTTP(w, r)
		return
	}
	switch mode {
	case answer429:
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("X-Rate-Limit-Requests-Left", "0")
		h.Set("X-Rate-Limit-Requests-Quota", "150")
		h.Set("X-Rate-Limit-Time-Reset-Ms", "50")
		h.Set("X-Rate-Limit-Time-Window-Ms", "30000")
		h.Set("x-sib-ratelimit-limit", "10")
		h.Set("x-sib-ratelimit-remaining", "0")
		h.Set("x-sib-ratelimit-reset", "0")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"status":429,"title":"Too many requests","type":"https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes","code":"too_many_requests","message":"rate limited"}`)
	case answer503:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"status":503,"title":"Service Unavailable","type":"https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes","code":"internal_error","message":"Service Unavailable"}`)
	case hang:
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	}
}

// cartRead matches BigCommerce reads of a cart (the flow's re-check before
// each send).
func cartRead(r *http.Request, _ string) bool {
	return r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/v3/carts/")
}

// emailOfStep matches Brevo email sends of one step.
func emailOfStep(step string) func(r *http.Request, body string) bool {
	return func(r *http.Request, body string) bool {
		return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/v3/smtp/email") && strings.Contains(body, "/"+step+`"`)
	}
}

// faultShopper is one shopper's abandoned cart in a fault case.
type faultShopper struct {
	email string
	cust  bcemu.Customer
	cart  bcemu.Cart
	flow  string // the cart flow's workflow id
}

// abandonCart creates a shopper and a cart and abandons it.
func (s *stack) abandonCart(t testing.TB, email string) faultShopper {
	t.Helper()
	cust, err := s.bc.CreateCustomer(s.hash, bcemu.CustomerInput{Email: email, FirstName: "Fay"})
	if err != nil {
		t.Fatal(err)
	}
	cart, err := s.bc.CreateCart(s.hash, bcemu.CartInput{CustomerID: cust.ID, Items: []bcemu.ItemInput{{SKU: "TEE-M", Quantity: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.bc.AbandonCart(s.hash, cart.ID); err != nil {
		t.Fatal(err)
	}
	return faultShopper{email: email, cust: cust, cart: cart, flow: workflows.CartRecoveryID(s.hash, cart.ID)}
}

// stepMessages counts the shopper's messages at Brevo per step.
func (s *stack) stepMessages(sh faultShopper) map[string]int {
	n := map[string]int{}
	for _, m := range s.brevo.Messages(brevoemu.Filter{To: sh.email}) {
		n[strings.TrimPrefix(m.IdempotencyKey, sh.flow+"/")]++
	}
	return n
}

// waitSent waits until the step's email reached Brevo.
func (s *stack) waitSent(t *testing.T, sh faultShopper, step string) {
	t.Helper()
	eventually(t, "email "+step, func() (bool, string) {
		n := s.stepMessages(sh)
		return n[step] > 0, fmt.Sprintf("messages per step %v; %s", n, s.flowState(sh.flow))
	})
}

// flowState describes a flow and the webhook deliveries for a failure message.
func (s *stack) flowState(id string) string {
	status, _ := s.describe(id)
	_, pending := s.activityRetrying(id)
	outcomes := map[string]int{}
	if ds, err := s.bc.Deliveries(s.hash); err == nil {
		for _, d := range ds {
			outcomes[fmt.Sprintf("%s %s %d", d.Scope, d.Outcome, d.StatusCode)]++
		}
	}
	return fmt.Sprintf("flow %s, %s; deliveries %v", status, pending, outcomes)
}

// requireNotSent fails the case when the step already went out: the fault
// would have struck after the sequence, proving nothing.
func (s *stack) requireNotSent(t *testing.T, sh faultShopper, step string) {
	t.Helper()
	if n := s.stepMessages(sh); n[step] > 0 {
		t.Fatalf("%s went out before the fault was injected (messages %v): the machine is too slow for the 5 s between the steps", step, n)
	}
}

// countOrdersOf matches the loyalty award's read of a customer's earlier
// orders (CountPlacedOrders), the award's first BigCommerce call after it
// loaded the order: a request it holds is an award in flight.
func countOrdersOf(customerID int) func(r *http.Request, body string) bool {
	return func(r *http.Request, _ string) bool {
		return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/v2/orders/count") &&
			r.URL.Query().Get("customer_id") == fmt.Sprint(customerID)
	}
}

// placeOrderDuringFault has the shopper check out a second cart as a Completed order
// (their abandoned cart stays in its sequence), so the order's loyalty
// award runs while the case's fault strikes.
func (s *stack) placeOrderDuringFault(t *testing.T, sh faultShopper) bcemu.Order {
	t.Helper()
	cart, err := s.bc.CreateCart(s.hash, bcemu.CartInput{CustomerID: sh.cust.ID, Items: []bcemu.ItemInput{{SKU: "TEE-M", Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	completed := 10
	order, err := s.bc.Checkout(s.hash, cart.ID, bcemu.CheckoutInput{StatusID: &completed})
	if err != nil {
		t.Fatal(err)
	}
	return order
}

// activityFailingIn reports whether one of the workflow's activities of
// the given types has failed at least once and waits for its retry.
func (s *stack) activityFailingIn(id string, types ...string) (bool, string) {
	resp, err := s.c.DescribeWorkflowExecution(context.Background(), id, "")
	if err != nil {
		return false, err.Error()
	}
	var seen []string
	for _, a := range resp.GetPendingActivities() {
		name := a.GetActivityType().GetName()
		seen = append(seen, fmt.Sprintf("%s attempt %d", name, a.GetAttempt()))
		if a.GetAttempt() >= 2 && a.GetLastFailure() != nil && slices.Contains(types, name) {
			return true, ""
		}
	}
	return false, fmt.Sprintf("pending activities %v, want one of %v failing", seen, types)
}

// checkFaultOutcome waits for the cart flow to end and asserts the suite's
// outcome: every step's email exactly once and nothing else, every cart
// webhook delivered and signalled to the flow once, the final decision
// completed; then the shopper checks out a Completed order and exactly one
// award for it, and for each order placed during the fault (duringFault),
// reaches the ledger, the balance equal to them.
func (s *stack) checkFaultOutcome(t *testing.T, sh faultShopper, duringFault ...bcemu.Order) {
	t.Helper()
	ctx := context.Background()
	// A worker killed mid-activity leaves it to its start-to-close timeout
	// (2 min for sends) before Temporal retries it elsewhere.
	eventuallyWithin(t, 4*time.Minute, "the cart flow completes", func() (bool, string) {
		status, _ := s.describe(sh.flow)
		return status == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, status.String()
	})
	// 0 duplicate messages, none lost.
	got := s.stepMessages(sh)
	for _, step := range faultSteps {
		if got[step] != 1 {
			t.Errorf("step %s: %d emails at Brevo, want exactly 1 (all: %v)", step, got[step], got)
		}
	}
	if len(got) != len(faultSteps) {
		t.Errorf("messages per step %v, want one for each of %v", got, faultSteps)
	}
	// 0 lost events: every cart event was delivered and reached the flow once.
	ds, err := s.bc.Deliveries(s.hash)
	if err != nil {
		t.Fatal(err)
	}
	events, delivered := map[string]bool{}, map[string]bool{}
	for _, d := range ds {
		if !strings.HasPrefix(d.Scope, "store/cart/") || d.Scope == "store/cart/converted" || d.Scope == "store/cart/deleted" ||
			!strings.Contains(string(d.Body), sh.cart.ID) { // another cart's (an order placed during the fault)
			continue
		}
		events[d.EventID] = true
		if d.Outcome == "delivered" {
			delivered[d.EventID] = true
		}
	}
	signals := s.signalCount(sh.flow, workflows.SignalCartActivity) + s.signalCount(sh.flow, workflows.SignalCartAbandoned)
	if len(delivered) != len(events) || signals != len(events) {
		t.Errorf("%d cart events, %d delivered, %d signals in the flow: want all delivered and signalled once", len(events), len(delivered), signals)
	}
	// The flow's final decision.
	decisions, err := s.store.ListDecisions(ctx, store.DecisionFilter{StoreHash: s.hash, CustomerKey: fmt.Sprintf("c:%d", sh.cust.ID)})
	if err != nil {
		t.Fatal(err)
	}
	final, sent := "", map[string]int{}
	for _, d := range decisions {
		if d.WorkflowID != sh.flow {
			continue
		}
		if d.Decision == workflows.DecisionSent {
			sent[d.Step]++
		}
		if d.Decision == workflows.DecisionCompleted || d.Decision == workflows.DecisionExited {
			final = d.Decision
		}
	}
	if final != workflows.DecisionCompleted {
		t.Errorf("final decision %q, want %q (timeline %+v)", final, workflows.DecisionCompleted, decisions)
	}
	for _, step := range faultSteps {
		if sent[step] != 1 {
			t.Errorf("step %s: %d sent decisions in the timeline, want 1", step, sent[step])
		}
	}
	var res workflows.CartRecoveryResult
	if err := s.c.GetWorkflow(ctx, sh.flow, "").Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	if res.Outcome != "completed" || strings.Join(res.Sent, ",") != strings.Join(faultSteps, ",") {
		t.Errorf("flow result %+v, want completed with %v sent", res, faultSteps)
	}

	// 0 duplicate points: the order's award once, the balance equal to the
	// customer's ledger.
	completed := 10
	order, err := s.bc.Checkout(s.hash, sh.cart.ID, bcemu.CheckoutInput{StatusID: &completed})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the order's points", func() (bool, string) {
		entries := s.ledger(t, int64(sh.cust.ID))
		return len(entries) > 0, fmt.Sprintf("ledger %v", entries)
	})
	eventually(t, "the order lifecycle done", func() (bool, string) {
		return s.hubIdle(order.ID, 1)
	})
	orders := append([]bcemu.Order{order}, duringFault...)
	// An award whose activity died with a worker waits out its
	// start-to-close timeout (2 min) before Temporal retries it.
	eventuallyWithin(t, 4*time.Minute, "every order's points", func() (bool, string) {
		awarded := map[int64]bool{}
		for _, e := range s.ledger(t, int64(sh.cust.ID)) {
			if e.kind == store.LedgerAward {
				awarded[e.orderID] = true
			}
		}
		for _, o := range orders {
			if !awarded[int64(o.ID)] {
				return false, fmt.Sprintf("order %d not awarded yet; awarded %v", o.ID, awarded)
			}
		}
		return true, ""
	})
	entries := s.ledger(t, int64(sh.cust.ID))
	acct, err := s.store.GetAccount(ctx, s.hash, int64(sh.cust.ID))
	if err != nil {
		t.Fatal(err)
	}
	awards, sum := map[int64]int{}, int64(0)
	for _, e := range entries {
		sum += e.points
		if e.kind == store.LedgerAward {
			awards[e.orderID]++
		}
	}
	for _, o := range orders {
		if awards[int64(o.ID)] != 1 {
			t.Errorf("order %d: %d awards in the ledger %v: want one", o.ID, awards[int64(o.ID)], entries)
		}
	}
	if acct.Balance != sum || acct.LifetimeEarned != sum {
		t.Errorf("account %+v: want the balance equal to the ledger %v", acct, entries)
	}
}

// ledgerEntry is one loyalty ledger row, as the fault suite counts them.
type ledgerEntry struct {
	kind    string
	orderID int64
	points  int64
}

// ledger returns the customer's loyalty ledger.
func (s *stack) ledger(t *testing.T, customerID int64) []ledgerEntry {
	t.Helper()
	q := s.store.DB().Rebind(`SELECT kind, COALESCE(order_id, 0), points FROM loyalty_ledger WHERE store_hash = ? AND customer_id = ?`)
	rows, err := s.store.DB().QueryContext(context.Background(), q, s.hash, customerID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var entries []ledgerEntry
	for rows.Next() {
		var e ledgerEntry
		if err := rows.Scan(&e.kind, &e.orderID, &e.points); err != nil {
			t.Fatal(err)
		}
		entries = append(entries, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return entries
}

// TestFaultSuite runs every fault case; the cases run in parallel, each on
// its own Temporal server, store and emulator.
func TestFaultSuite(t *testing.T) {
	t.Run("duplicate and reordered webhooks", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, stackOptions{flowsYAML: faultFlows, faults: true})
		if err := s.bc.SetFaults(s.hash, bcemu.Faults{DuplicateProbability: 1, ReorderHold: 3}); err != nil {
			t.Fatal(err)
		}
		sh := s.abandonCart(t, "dup@example.com")
		if _, err := s.bc.ReleaseHeld(s.hash); err != nil {
			t.Fatal(err)
		}
		s.waitSent(t, sh, "second-reminder")
		if err := s.bc.SetFaults(s.hash, bcemu.Faults{}); err != nil {
			t.Fatal(err)
		}
		s.checkFaultOutcome(t, sh)
	})

	t.Run("BigCommerce 429, 5xx and timeouts beyond the client's retries", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, stackOptions{flowsYAML: faultFlows, faults: true})
		sh := s.abandonCart(t, "bc-outage@example.com")
		s.waitSent(t, sh, "reminder")
		// Three activity attempts' worth of failures on the re-check before
		// the second email: rate limits, server errors, then no answer.
		s.proxy.fail(cartRead, answer429, answer429, answer503, answer503, hang, hang)
		s.requireNotSent(t, sh, "second-reminder")
		s.checkFaultOutcome(t, sh)
		if n := s.proxy.pending(); n != 0 {
			t.Errorf("%d armed BigCommerce failures never reached: the outage did not happen", n)
		}
	})

	t.Run("Brevo 5xx beyond the client's retries", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, stackOptions{flowsYAML: faultFlows, faults: true})
		// Every send of the second email fails for ten activity attempts
		// (two requests each), then Brevo recovers: the flow waits it out
		// (an hour and more of outage: workflows/TestBrevoOutageOfHoursSendsOnceAfterwards).
		var outage []faultMode
		for range 20 {
			outage = append(outage, answer503)
		}
		s.proxy.fail(emailOfStep("second-reminder"), outage...)
		sh := s.abandonCart(t, "brevo-outage@example.com")
		s.checkFaultOutcome(t, sh)
		if n := s.proxy.pending(); n != 0 {
			t.Errorf("%d armed Brevo failures never reached: the outage did not happen", n)
		}
	})

	t.Run("Temporal restarted on its SQLite file", func(t *testing.T) {
		t.Parallel()
		tem := startDevTemporal(t)
		s := newStack(t, stackOptions{flowsYAML: faultFlows, faults: true, temporal: tem.client})
		sh := s.abandonCart(t, "temporal-restart@example.com")
		s.waitSent(t, sh, "reminder")
		s.requireNotSent(t, sh, "second-reminder")
		tem.restart(t)
		s.checkFaultOutcome(t, sh)
	})

	t.Run("PostgreSQL restarted", func(t *testing.T) {
		t.Parallel()
		pg := startPrivatePostgres(t)
		s := newStack(t, stackOptions{flowsYAML: faultFlows, faults: true, databaseURL: pg.url()})
		sh := s.abandonCart(t, "pg-restart@example.com")
		s.waitSent(t, sh, "reminder")
		s.requireNotSent(t, sh, "second-reminder")
		// An order whose award is in flight when the database goes: its
		// first read of the customer's orders gets no answer (both client
		// attempts), so its ledger writes come after the stop.
		s.proxy.fail(countOrdersOf(sh.cust.ID), hang, hang)
		order := s.placeOrderDuringFault(t, sh)
		eventually(t, "the order's award in flight", func() (bool, string) {
			return s.proxy.pending() < 2, "the award has not read the customer's orders yet"
		})
		pg.stop(t)
		// Down until the second step's activities and the award's ledger
		// work have failed on it.
		eventually(t, "an activity failing on the stopped database", func() (bool, string) {
			return s.activityRetrying(sh.flow)
		})
		eventually(t, "the award failing on the stopped database", func() (bool, string) {
			return s.activityFailingIn(workflows.LoyaltyAwardID(s.hash, int64(order.ID)),
				"GetLoyaltyAccount", "AppendLoyaltyEntry", "RecordDecision", "ResolveFlows")
		})
		pg.start(t)
		s.checkFaultOutcome(t, sh, order)
	})

	t.Run("worker killed between two steps", func(t *testing.T) {
		t.Parallel()
		s, w := newProcessWorkerStack(t)
		sh := s.abandonCart(t, "kill-between@example.com")
		s.waitSent(t, sh, "reminder")
		// An order whose award is in flight (reading the customer's
		// orders) when the worker dies.
		arrived, release := s.proxy.hold(countOrdersOf(sh.cust.ID))
		order := s.placeOrderDuringFault(t, sh)
		select {
		case <-arrived:
		case <-time.After(60 * time.Second):
			t.Fatal("the order's award never read the customer's orders")
		}
		s.requireNotSent(t, sh, "second-reminder")
		w.kill(t)
		release()
		w.start(t)
		s.checkFaultOutcome(t, sh, order)
	})

	t.Run("worker killed during a send", func(t *testing.T) {
		t.Parallel()
		s, w := newProcessWorkerStack(t)
		arrived, release := s.proxy.hold(emailOfStep("second-reminder"))
		sh := s.abandonCart(t, "kill-during@example.com")
		select {
		case <-arrived:
		case <-time.After(60 * time.Second):
			t.Fatal("the second email's send never reached Brevo")
		}
		// The worker dies while its send is in flight; Brevo then accepts
		// the send: the worker never learned it went out.
		w.kill(t)
		release()
		s.waitSent(t, sh, "second-reminder")
		w.start(t)
		s.checkFaultOutcome(t, sh)
	})
}

// activityRetrying reports whether one of the workflow's activities has
// failed at least once and is waiting for its retry.
func (s *stack) activityRetrying(id string) (bool, string) {
	resp, err := s.c.DescribeWorkflowExecution(context.Background(), id, "")
	if err != nil {
		return false, err.Error()
	}
	var seen []string
	for _, a := range resp.GetPendingActivities() {
		seen = append(seen, fmt.Sprintf("%s attempt %d", a.GetActivityType().GetName(), a.GetAttempt()))
		if a.GetAttempt() >= 2 && a.GetLastFailure() != nil {
			return true, ""
		}
	}
	return false, fmt.Sprintf("pending activities %v", seen)
}

// devTemporal is the embedded Temporal dev server on a SQLite file, which
// a test stops and starts again on the same file and port.
type devTemporal struct {
	opts   devserver.Options
	srv    *devserver.Server
	client client.Client
}

func startDevTemporal(t *testing.T) *devTemporal {
	t.Helper()
	d := &devTemporal{opts: devserver.Options{
		DatabaseFile: filepath.Join(t.TempDir(), "temporal.db"), FrontendPort: freePort(t),
		SearchAttributes: workflows.SearchAttributes(), LogLevel: "error",
	}}
	watch := watchWorker(t)
	d.start(t)
	t.Cleanup(func() {
		if d.srv != nil {
			_ = d.srv.Stop()
		}
	})
	c, err := client.Dial(client.Options{HostPort: d.srv.HostPort(), Namespace: d.srv.Namespace(), Logger: watch})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	d.client = c
	return d
}

func (d *devTemporal) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := devserver.Start(ctx, d.opts)
	if err != nil {
		t.Fatalf("start Temporal on %s: %v", d.opts.DatabaseFile, err)
	}
	d.srv = srv
}

// restart stops the server and starts it again on the same file and port;
// the clients reconnect by themselves.
func (d *devTemporal) restart(t *testing.T) {
	t.Helper()
	if err := d.srv.Stop(); err != nil {
		t.Fatal(err)
	}
	d.srv = nil
	d.start(t)
}

// privatePostgres is a PostgreSQL instance of the test's own (initdb on a
// temporary directory, a free port), so restarting it touches no other
// test's database. As root it runs as the postgres user, since PostgreSQL
// refuses to run as root.
type privatePostgres struct {
	bin, dir string
	port     int
}

func startPrivatePostgres(t *testing.T) *privatePostgres {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		t.Fatal("PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin (CI installs postgresql)")
	}
	dir, err := os.MkdirTemp("", "bcflow-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	p := &privatePostgres{bin: filepath.Dir(bins[len(bins)-1]), dir: dir, port: freePort(t)}
	if os.Geteuid() == 0 {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("chown", "postgres", dir).CombinedOutput(); err != nil {
			t.Fatalf("chown %s to postgres: %v %s", dir, err, out)
		}
	}
	p.run(t, "initdb", "-D", p.data(), "-A", "trust", "-U", "postgres", "--no-sync")
	p.start(t)
	t.Cleanup(func() { _ = p.command("pg_ctl", "-D", p.data(), "-m", "immediate", "-w", "stop").Run() })
	return p
}

func (p *privatePostgres) data() string { return filepath.Join(p.dir, "data") }

func (p *privatePostgres) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
}

func (p *privatePostgres) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(p.bin, name)
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func (p *privatePostgres) run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := p.command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

func (p *privatePostgres) start(t *testing.T) {
	t.Helper()
	p.run(t, "pg_ctl", "-D", p.data(), "-l", filepath.Join(p.dir, "log"), "-w", "-t", "120", "start",
		"-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", p.port, p.dir))
}

func (p *privatePostgres) stop(t *testing.T) {
	t.Helper()
	p.run(t, "pg_ctl", "-D", p.data(), "-m", "fast", "-w", "stop")
}

// workerProcess is a `bcflow worker` the test kills and starts again.
type workerProcess struct {
	env  []string
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
	runs int
}

// newProcessWorkerStack is the fault stack on the machine's PostgreSQL
// (a schema of its own) with its worker as a separate `bcflow worker`
// process on the same Temporal server and database.
func newProcessWorkerStack(t *testing.T) (*stack, *workerProcess) {
	t.Helper()
	return newWorkerProcessStack(t, stackOptions{flowsYAML: faultFlows, faults: true})
}

// newWorkerProcessStack is a stack on the machine's PostgreSQL (a schema of
// its own) whose worker is a separate `bcflow worker` process, configured
// from o (flows file, fault proxy) and extra environment variables.
func newWorkerProcessStack(t testing.TB, o stackOptions, extraEnv ...string) (*stack, *workerProcess) {
	t.Helper()
	ts, c := newTemporal(t)
	dbURL := postgresSchema(t)
	o.temporal, o.databaseURL, o.noWorker = c, dbURL, true
	s := newStack(t, o)
	flowsYAML := o.flowsYAML
	if flowsYAML == "" {
		flowsYAML = "version: 1\n"
	}
	flowsFile := filepath.Join(t.TempDir(), "flows.yaml")
	if err := os.WriteFile(flowsFile, []byte(flowsYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	apiBase := s.emuURL
	if s.proxy != nil {
		apiBase = s.proxy.url
	}
	info := s.bc.Stores()[0]
	w := &workerProcess{env: append([]string{
		"TEMPORAL_ADDRESS=" + ts.GetFrontendHostPort(), "TEMPORAL_NAMESPACE=" + ts.GetDefaultNamespace(), "BCFLOW_TASK_QUEUE=" + taskQueue,
		"DATABASE_URL=" + dbURL, "BCFLOW_LOG_LEVEL=warn", "BCFLOW_FLOWS_FILE=" + flowsFile,
		"BCFLOW_BC_STORE_HASH=" + info.Hash, "BCFLOW_BC_ACCESS_TOKEN=" + info.AccessToken, "BCFLOW_BC_CLIENT_SECRET=" + info.ClientSecret,
		"BCFLOW_RETRY_MAX_INTERVAL=2s", "BCFLOW_BC_API_BASE_URL=" + apiBase, "BCFLOW_BREVO_BASE_URL=" + apiBase + "/v3", "BCFLOW_BREVO_API_KEY=" + s.brevo.APIKeys()[0],
		"BCFLOW_WEBHOOK_SECRET=" + webhookSecret, "BCFLOW_ADMIN_TOKEN=fault-admin", "BCFLOW_PUBLIC_URL=" + s.apiURL,
		"BCFLOW_SENDER_EMAIL=shop@example.com", "BCFLOW_SENDER_NAME=E2E Store",
	}, extraEnv...)}
	w.start(t)
	t.Cleanup(func() {
		if w.cmd != nil {
			_ = w.cmd.Process.Signal(syscall.SIGINT)
			<-w.done
		}
		checkProcessLog(t, "bcflow worker", w.out.String())
		if t.Failed() {
			t.Logf("bcflow worker output:\n%s", w.out.String())
		}
	})
	return s, w
}

func (w *workerProcess) start(t testing.TB) {
	t.Helper()
	w.runs++
	if w.out == nil {
		w.out = &lockedBuffer{}
	}
	w.out.WriteString(fmt.Sprintf("--- worker run %d\n", w.runs))
	cmd := exec.Command(bcflowBin, "worker")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		fmt.Sprintf("BCFLOW_HTTP_ADDR=127.0.0.1:%d", freePort(t))}, w.env...)
	cmd.Stdout, cmd.Stderr = w.out, w.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	w.cmd, w.done = cmd, done
}

// kill SIGKILLs the worker: no graceful shutdown, in-flight tasks lost.
func (w *workerProcess) kill(t *testing.T) {
	t.Helper()
	if err := w.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-w.done
	w.cmd = nil
}
