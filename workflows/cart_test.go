package workflows

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/store"
)

// t0 is a Monday afternoon in UTC, outside any quiet hours used below.
var t0 = time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC)

// sendCall is one SendMessage the workflow asked for.
type sendCall struct {
	at     time.Time
	step   string
	key    string
	params map[string]any
}

// cartWorld is the outside world of one cart flow under test. BigCommerce
// and Brevo calls are answered from its fields; the decision log and the
// send window run the real activities on a real SQLite store.
type cartWorld struct {
	t        *testing.T
	env      *testsuite.TestWorkflowEnvironment
	cart     activities.CartSnapshot
	flows    config.FlowSet
	sends    []sendCall
	coupons  []string
	loads    int
	failSend int    // fail this many SendMessage attempts first
	failStep string // fail the first attempt of this step
	// failUntil: every SendMessage attempt before this time fails (5xx).
	failUntil time.Time
	attempts  int
	sendErr   error // every SendMessage fails with this
	sentKeys  map[string]bool
	// outcomes answers SendMessage for these steps instead of sending
	// (refused, unknown).
	outcomes map[string]activities.SendOutcome
	real     *activities.Activities
	// channelFlows, when set, are the flows of a channel other than w.flows.
	channelFlows map[int]config.FlowSet
	// resolvedChannels are the channels ResolveFlows was asked for.
	resolvedChannels []int
}

func newCartWorld(t *testing.T) *cartWorld {
	t.Helper()
	st := newTestStore(t)
	w := &cartWorld{
		t: t, env: newTestEnv(t), sentKeys: map[string]bool{},
		flows: config.DefaultFlows().For("abc", 1),
		cart: activities.CartSnapshot{
			CartRef: activities.CartRef{StoreHash: "abc", CartID: "cart-1"}, Exists: true, ChannelID: 1,
			Shopper: activities.Shopper{CustomerID: 7, Email: "Ann@Example.com", FirstName: "Ann", Phone: "+15550001",
				AcceptsAbandonedCartEmails: true, AcceptsMarketing: true, SMSConsent: true},
			Items:     []activities.LineItem{{Name: "Mug", Quantity: 2, Price: "12.50", SKU: "MUG-1"}},
			ItemCount: 2, Amount: "25.00", Currency: "USD", RecoveryURL: "https://shop.example/checkout/x",
		},
		real: &activities.Activities{Store: st},
	}
	w.env.SetStartTime(t0)
	w.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: CartRecoveryID("abc", "cart-1")})
	w.env.RegisterWorkflow(CartRecovery)
	w.env.RegisterActivity(w.real)
	a := w.real
	w.env.OnActivity(a.ResolveFlows, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.FlowsInput) (config.FlowSet, error) {
			w.resolvedChannels = append(w.resolvedChannels, in.ChannelID)
			if fs, ok := w.channelFlows[in.ChannelID]; ok {
				return fs, nil
			}
			return w.flows, nil
		})
	w.env.OnActivity(a.LoadCart, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.LoadCartInput) (activities.CartSnapshot, error) {
			w.loads++
			return w.cart, nil
		})
	w.env.OnActivity(a.EnsureCoupon, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CouponInput) (activities.Coupon, error) {
			w.coupons = append(w.coupons, in.Code)
			return activities.Coupon{Code: in.Code, Percent: in.Percent, ExpiresAt: in.ExpiresAt}, nil
		})
	w.env.OnActivity(a.SendMessage, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SendInput) (activities.SendOutcome, error) {
			w.attempts++
			if w.sendErr != nil {
				return activities.SendOutcome{}, w.sendErr
			}
			if w.env.Now().Before(w.failUntil) {
				return activities.SendOutcome{}, errors.New("brevo: 503 Service Unavailable")
			}
			if w.failSend > 0 {
				w.failSend--
				return activities.SendOutcome{}, errors.New("brevo: 503")
			}
			if w.failStep == in.Step {
				w.failStep = ""
				return activities.SendOutcome{}, errors.New("brevo: 503")
			}
			if out, ok := w.outcomes[in.Step]; ok {
				return out, nil
			}
			if w.sentKeys[in.IdempotencyKey] {
				return activities.SendOutcome{Status: activities.SendAlreadySent}, nil
			}
			w.sentKeys[in.IdempotencyKey] = true
			w.sends = append(w.sends, sendCall{at: w.env.Now(), step: in.Step, key: in.IdempotencyKey, params: in.Params})
			return activities.SendOutcome{Status: activities.SendSent, ProviderMessageID: "m-" + in.Step}, nil
		})
	w.env.OnActivity(a.RecordRecovery, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RecoveryInput) (activities.Recovery, error) {
			return activities.Recovery{OrderID: in.OrderID, Total: "25.00", Currency: "USD"}, nil
		})
	return w
}

// at schedules fn at t0+d (workflow time).
func (w *cartWorld) at(d time.Duration, fn func()) { w.env.RegisterDelayedCallback(fn, d) }

func (w *cartWorld) signal(d time.Duration, name string, arg any) {
	w.at(d, func() { w.env.SignalWorkflow(name, arg) })
}

func (w *cartWorld) run() CartRecoveryResult {
	w.t.Helper()
	w.env.ExecuteWorkflow(CartRecovery, CartRecoveryInput{StoreHash: "abc", CartID: "cart-1"})
	if !w.env.IsWorkflowCompleted() {
		w.t.Fatal("workflow did not complete")
	}
	if err := w.env.GetWorkflowError(); err != nil {
		w.t.Fatalf("workflow error: %v", err)
	}
	var res CartRecoveryResult
	if err := w.env.GetWorkflowResult(&res); err != nil {
		w.t.Fatal(err)
	}
	return res
}

func (w *cartWorld) sentSteps() []string {
	var out []string
	for _, s := range w.sends {
		out = append(out, s.step)
	}
	return out
}

func (w *cartWorld) decisions() []DecisionEntry { return queryDecisions(w.t, w.env) }

func hasDecision(ds []DecisionEntry, decision, reasonPart string) bool {
	for _, d := range ds {
		if d.Decision == decision && strings.Contains(d.Reason, reasonPart) {
			return true
		}
	}
	return false
}

func TestCartRecoveryFullSequenceWithExactTimings(t *testing.T) {
	w := newCartWorld(t)
	// SignalWithStart: the cart-created signal arrives with the start.
	w.signal(0, SignalCartActivity, CartActivity{Scope: "store/cart/created"})
	w.signal(10*time.Minute, SignalCartActivity, CartActivity{Scope: "store/cart/updated"})
	res := w.run()
	if res.Outcome != "completed" {
		t.Fatalf("result = %+v", res)
	}
	// Abandoned 1 h after the last change (t0+10m), steps from there.
	abandoned := t0.Add(70 * time.Minute)
	want := []struct {
		step string
		at   time.Time
	}{{"reminder", abandoned.Add(time.Hour)}, {"discount", abandoned.Add(24 * time.Hour)}, {"sms-nudge", abandoned.Add(72 * time.Hour)}}
	if len(w.sends) != len(want) {
		t.Fatalf("sent %v, want 3 steps", w.sentSteps())
	}
	for i, s := range w.sends {
		if s.step != want[i].step || !s.at.Equal(want[i].at) {
			t.Errorf("send %d = %s at %s, want %s at %s", i, s.step, s.at, want[i].step, want[i].at)
		}
	}
	if len(w.coupons) != 1 || w.sends[1].params["CouponCode"] != w.coupons[0] || !strings.HasPrefix(w.coupons[0], "BCF-") {
		t.Fatalf("coupon %v not in the discount email params %v", w.coupons, w.sends[1].params)
	}
	if w.sends[0].params["CartURL"] != "https://shop.example/checkout/x" || w.sends[0].params["FirstName"] != "Ann" {
		t.Fatalf("params = %v", w.sends[0].params)
	}
	if w.sends[0].key != "cart/abc/cart-1/reminder" {
		t.Fatalf("idempotency key = %q", w.sends[0].key)
	}
	// Each send was preceded by a fresh re-check.
	if w.loads < 4 {
		t.Fatalf("LoadCart ran %d times; want one at abandonment and one before each send", w.loads)
	}
	// The decision log is in the store, queryable per customer.
	ds, err := w.real.Store.ListDecisions(context.Background(), store.DecisionFilter{StoreHash: "abc", CustomerKey: "c:7"})
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	for _, d := range ds {
		if d.Decision == DecisionSent {
			sent++
		}
	}
	if sent != 3 {
		t.Fatalf("store holds %d sent decisions for c:7, want 3: %+v", sent, ds)
	}
}

func TestCartRecoveryAbandonedSignalStartsSequenceAtOnce(t *testing.T) {
	w := newCartWorld(t)
	w.signal(0, SignalCartActivity, CartActivity{})
	w.signal(5*time.Minute, SignalCartAbandoned, CartAbandoned{Token: "tok"})
	w.signal(5*time.Minute+time.Second, SignalCartAbandoned, CartAbandoned{Token: "tok"}) // redelivered
	w.run()
	if len(w.sends) != 3 || !w.sends[0].at.Equal(t0.Add(65*time.Minute)) {
		t.Fatalf("sends = %+v", w.sends)
	}
}

// Webhooks of different scopes arrive out of order: a cart/updated written
// before the abandonment but delivered after it is not the shopper coming
// back, while a change made after the abandonment still is.
func TestCartRecoveryOrdersChangesAgainstTheAbandonmentByEventTime(t *testing.T) {
	abandonedAt := t0.Add(5 * time.Minute)
	for _, tc := range []struct {
		name      string
		changedAt time.Time
		wantFirst time.Time // the reminder's send time
	}{
		{"same second as the abandonment: stale", abandonedAt, t0.Add(5*time.Minute + time.Hour)},
		{"before the abandonment: stale", abandonedAt.Add(-time.Minute), t0.Add(5*time.Minute + time.Hour)},
		// A real change 30 s later: abandoned again 1 h after it.
		{"after the abandonment: the shopper is back", abandonedAt.Add(30 * time.Second), t0.Add(5*time.Minute + 30*time.Second + 2*time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newCartWorld(t)
			w.signal(0, SignalCartActivity, CartActivity{EventTime: t0})
			w.signal(5*time.Minute, SignalCartAbandoned, CartAbandoned{Token: "tok", EventTime: abandonedAt})
			w.signal(5*time.Minute+30*time.Second, SignalCartActivity, CartActivity{Scope: "store/cart/updated", EventTime: tc.changedAt})
			w.run()
			if len(w.sends) == 0 || !w.sends[0].at.Equal(tc.wantFirst) {
				t.Fatalf("sends = %+v, want the reminder at %s", w.sends, tc.wantFirst)
			}
		})
	}
}

func TestCartRecoveryExitSignalsInEveryPhase(t *testing.T) {
	quiet := &config.QuietHours{Start: mustTime(t, "15:30"), End: mustTime(t, "23:00"), Timezone: "UTC"}
	exits := []struct {
		name   string
		signal string
		arg    any
		reason string
	}{
		{"converted", SignalCartExit, CartExit{Reason: ExitConverted, OrderID: 900}, ExitConverted},
		{"deleted", SignalCartExit, CartExit{Reason: ExitDeleted}, ExitDeleted},
		{"unsubscribed", SignalUnsubscribed, Unsubscribed{Email: "ann@example.com", Reason: "unsubscribed"}, ExitUnsubscribed},
	}
	phases := []struct {
		name    string
		at      time.Duration
		quiet   bool
		wantLen int
	}{
		{"before abandonment", 30 * time.Minute, false, 0},
		{"between steps", 3 * time.Hour, false, 1},
		// Quiet hours 15:30-23:00 UTC defer the 1 h reminder (due 17:00).
		{"during a deferral", 4 * time.Hour, true, 0},
	}
	for _, ex := range exits {
		for _, ph := range phases {
			t.Run(ex.name+"/"+ph.name, func(t *testing.T) {
				w := newCartWorld(t)
				if ph.quiet {
					w.flows.QuietHours = quiet
				}
				w.signal(0, SignalCartActivity, CartActivity{})
				w.signal(ph.at, ex.signal, ex.arg)
				res := w.run()
				if res.Outcome != "exited" || res.ExitReason != ex.reason {
					t.Fatalf("result = %+v, want exit %s", res, ex.reason)
				}
				if len(w.sends) != ph.wantLen {
					t.Fatalf("sent %v, want %d sends", w.sentSteps(), ph.wantLen)
				}
				ds := w.decisions()
				if !hasDecision(ds, DecisionExited, ex.reason) {
					t.Fatalf("no exit decision: %+v", ds)
				}
				if ph.quiet && !hasDecision(ds, DecisionDeferred, "quiet hours") {
					t.Fatalf("no deferral recorded: %+v", ds)
				}
				if ex.reason == ExitConverted && ph.wantLen > 0 && !hasDecision(ds, DecisionRecovered, "25.00") {
					t.Fatalf("recovered revenue not attributed: %+v", ds)
				}
			})
		}
	}
}

func TestCartRecoveryGuestEntersEmailLate(t *testing.T) {
	w := newCartWorld(t)
	w.cart.Shopper = activities.Shopper{AcceptsAbandonedCartEmails: true} // guest, no email yet
	w.signal(0, SignalCartActivity, CartActivity{})
	w.at(3*time.Hour, func() {
		w.cart.Shopper.Email = "guest@example.com"
		w.env.SignalWorkflow(SignalCartActivity, CartActivity{Scope: "store/cart/updated"})
	})
	res := w.run()
	// Nothing before the email; the new change restarts the clock, so the
	// cart is abandoned again at 4 h and the reminder goes at 5 h.
	if len(w.sends) == 0 || !w.sends[0].at.Equal(t0.Add(5*time.Hour)) {
		t.Fatalf("sends = %+v", w.sends)
	}
	// The guest has no phone: the SMS step is skipped, not sent.
	if got := w.sentSteps(); strings.Join(got, ",") != "reminder,discount" {
		t.Fatalf("sent %v", got)
	}
	if res.Outcome != "completed" || !hasDecision(w.decisions(), DecisionWaiting, "no email") || !hasDecision(w.decisions(), DecisionSkipped, "no phone") {
		t.Fatalf("result %+v decisions %+v", res, w.decisions())
	}
}

func TestCartRecoveryRecheckFindsOrderAndExits(t *testing.T) {
	w := newCartWorld(t)
	w.signal(0, SignalCartActivity, CartActivity{})
	// The conversion webhook was missed: only the re-check can see the order.
	w.at(20*time.Hour, func() { w.cart.OrderID = 4242 })
	res := w.run()
	if res.ExitReason != ExitOrderPlaced || strings.Join(w.sentSteps(), ",") != "reminder" {
		t.Fatalf("result %+v, sent %v", res, w.sentSteps())
	}
	if !hasDecision(w.decisions(), DecisionRecovered, "25.00") {
		t.Fatalf("recovery not attributed: %+v", w.decisions())
	}
}

func TestCartRecoveryQuietHoursDeferNeverDrop(t *testing.T) {
	w := newCartWorld(t)
	w.flows.QuietHours = &config.QuietHours{Start: mustTime(t, "15:30"), End: mustTime(t, "23:00"), Timezone: "UTC"}
	w.signal(0, SignalCartActivity, CartActivity{})
	w.run()
	if len(w.sends) != 3 {
		t.Fatalf("sent %v", w.sentSteps())
	}
	// Reminder due 17:00 lands at 23:00 the same day.
	if want := time.Date(2026, 11, 2, 23, 0, 0, 0, time.UTC); !w.sends[0].at.Equal(want) {
		t.Fatalf("reminder at %s, want %s", w.sends[0].at, want)
	}
	if !hasDecision(w.decisions(), DecisionDeferred, "quiet hours") {
		t.Fatal("deferral not recorded")
	}
}

func TestCartRecoveryRetriedSendDoesNotDuplicate(t *testing.T) {
	w := newCartWorld(t)
	w.failSend = 2
	w.signal(0, SignalCartActivity, CartActivity{})
	w.run()
	if got := strings.Join(w.sentSteps(), ","); got != "reminder,discount,sms-nudge" {
		t.Fatalf("sent %v", got)
	}
	seen := map[string]bool{}
	for _, s := range w.sends {
		if seen[s.key] {
			t.Fatalf("key %s sent twice", s.key)
		}
		seen[s.key] = true
	}
}

func TestCartRecoveryChangeAfterStepsStartsNewRound(t *testing.T) {
	w := newCartWorld(t)
	w.signal(0, SignalCartActivity, CartActivity{})
	w.signal(3*time.Hour, SignalCartActivity, CartActivity{Scope: "store/cart/updated"}) // shopper back after the reminder
	w.signal(5*time.Hour, SignalCartExit, CartExit{Reason: ExitConverted, OrderID: 1})
	res := w.run()
	if res.ExitReason != ExitConverted || len(w.sends) != 1 {
		t.Fatalf("result %+v sends %v", res, w.sentSteps())
	}
	if !hasDecision(w.decisions(), DecisionWaiting, "new abandonment") {
		t.Fatalf("no new round: %+v", w.decisions())
	}
}

func TestCartRecoveryRegisteredCustomerWithoutConsentExits(t *testing.T) {
	w := newCartWorld(t)
	w.cart.Shopper.AcceptsAbandonedCartEmails = false
	w.signal(0, SignalCartActivity, CartActivity{})
	res := w.run()
	if res.ExitReason != "no-consent" || len(w.sends) != 0 {
		t.Fatalf("result %+v sends %v", res, w.sentSteps())
	}
}

func TestCartRecoveryNonRetryableSendFailureFailsTheStep(t *testing.T) {
	w := newCartWorld(t)
	w.sendErr = temporal.NewNonRetryableApplicationError("template: bad", activities.ErrTypeInvalid, nil)
	w.signal(0, SignalCartActivity, CartActivity{})
	w.env.ExecuteWorkflow(CartRecovery, CartRecoveryInput{StoreHash: "abc", CartID: "cart-1"})
	if err := w.env.GetWorkflowError(); err == nil || !strings.Contains(err.Error(), "template: bad") {
		t.Fatalf("workflow error = %v", err)
	}
}

func mustTime(t *testing.T, s string) config.TimeOfDay {
	t.Helper()
	parsed, err := time.Parse("15:04", s)
	if err != nil {
		t.Fatal(err)
	}
	return config.TimeOfDay{Hour: parsed.Hour(), Minute: parsed.Minute()}
}
