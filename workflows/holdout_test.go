package workflows

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/store"
)

// A cart's group depends on its store and id only: the same cart lands in
// the same group in every run, about percent of carts are held out, and
// the hash never changes under running carts (pinned buckets).
func TestHoldoutAssignmentIsDeterministic(t *testing.T) {
	pinned := map[string]int{"abc/cart-1": HoldoutBucket("abc", "cart-1")}
	for i := range 3 {
		if got := HoldoutBucket("abc", "cart-1"); got != pinned["abc/cart-1"] {
			t.Fatalf("call %d: bucket %d, want %d", i, got, pinned["abc/cart-1"])
		}
	}
	// FNV-1a of "store/cart" mod 100, computed once: a change of the hash
	// would move running carts between groups.
	for k, want := range map[[2]string]int{{"abc", "cart-1"}: fnvBucket("abc/cart-1"), {"store9", "7c1e"}: fnvBucket("store9/7c1e")} {
		if got := HoldoutBucket(k[0], k[1]); got != want {
			t.Errorf("HoldoutBucket(%s, %s) = %d, want %d", k[0], k[1], got, want)
		}
	}
	held, n := 0, 2000
	for i := range n {
		id := fmt.Sprintf("cart-%d", i)
		b := HoldoutBucket("abc", id)
		if b < 0 || b > 99 {
			t.Fatalf("bucket %d out of 0..99", b)
		}
		if HoldoutGroup("abc", id, 0) != HoldoutGroupMessaged {
			t.Fatalf("0%%: %s held out", id)
		}
		if g := HoldoutGroup("abc", id, 50); g == HoldoutGroupHeld {
			held++
			if b >= 50 {
				t.Fatalf("%s (bucket %d) held out at 50%%", id, b)
			}
		}
	}
	if held < n*45/100 || held > n*55/100 {
		t.Fatalf("%d of %d carts held out at 50%%", held, n)
	}
}

// fnvBucket is FNV-1a (32 bits) of s mod 100, written out.
func fnvBucket(s string) int {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return int(h % 100)
}

// cartInGroup is the first "cart-N" in group when percent of store abc's
// carts are held out.
func cartInGroup(t *testing.T, group string, percent int) string {
	t.Helper()
	for i := range 1000 {
		if id := fmt.Sprintf("cart-%d", i); HoldoutGroup("abc", id, percent) == group {
			return id
		}
	}
	t.Fatalf("no cart in group %s", group)
	return ""
}

// holdoutWorld is a cart world whose cart is cartID, with percent of carts
// held out; conversions lists the RecordConversion calls.
type holdoutWorld struct {
	*cartWorld
	cartID      string
	conversions []activities.ConversionInput
}

func newHoldoutWorld(t *testing.T, group string, percent int) *holdoutWorld {
	t.Helper()
	w := &holdoutWorld{cartWorld: newCartWorld(t)}
	w.cartID = "cart-1"
	if percent > 0 {
		w.cartID = cartInGroup(t, group, percent)
	}
	w.cart.CartID = w.cartID
	w.flows.CartRecovery.HoldoutPercent = percent
	w.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: CartRecoveryID("abc", w.cartID)})
	a := w.real
	w.env.OnActivity(a.RecordConversion, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ConversionInput) (activities.Recovery, error) {
			w.conversions = append(w.conversions, in)
			return activities.Recovery{OrderID: in.OrderID, Total: "25.00", Currency: "USD"}, nil
		})
	return w
}

// recoveries counts the flow's "recovered" decisions (newCartWorld answers
// RecordRecovery).
func (w *holdoutWorld) recoveries() int {
	n := 0
	for _, d := range w.decisions() {
		if d.Decision == DecisionRecovered {
			n++
		}
	}
	return n
}

func (w *holdoutWorld) run(in CartRecoveryInput) CartRecoveryResult {
	w.t.Helper()
	in.StoreHash, in.CartID = "abc", w.cartID
	w.env.ExecuteWorkflow(CartRecovery, in)
	if err := w.env.GetWorkflowError(); err != nil {
		w.t.Fatalf("workflow error: %v", err)
	}
	var res CartRecoveryResult
	if err := w.env.GetWorkflowResult(&res); err != nil {
		w.t.Fatal(err)
	}
	return res
}

// storedHoldout returns the store's decisions of step holdout, oldest first.
func (w *holdoutWorld) storedHoldout() []store.Decision {
	w.t.Helper()
	ds, err := w.real.Store.ListDecisions(context.Background(), store.DecisionFilter{StoreHash: "abc"})
	if err != nil {
		w.t.Fatal(err)
	}
	var out []store.Decision
	for i := len(ds) - 1; i >= 0; i-- {
		if ds[i].Step == StepHoldout && ds[i].Decision != DecisionWaiting {
			out = append(out, ds[i])
		}
	}
	return out
}

// A held-out cart gets no message and no coupon, a cart change does not
// end its wait, and its order is recorded as converted for the holdout
// with the order's total.
func TestHeldOutCartGetsNoMessageAndItsOrderCounts(t *testing.T) {
	w := newHoldoutWorld(t, HoldoutGroupHeld, 50)
	w.signal(3*time.Hour, SignalCartActivity, CartActivity{Scope: "store/cart/updated"})
	w.signal(4*time.Hour, SignalCartAbandoned, CartAbandoned{})
	w.signal(30*time.Hour, SignalCartExit, CartExit{Reason: ExitConverted, OrderID: 99})
	res := w.run(CartRecoveryInput{})
	if res.Outcome != "exited" || res.ExitReason != ExitConverted || res.Group != HoldoutGroupHeld {
		t.Fatalf("result = %+v", res)
	}
	if w.attempts != 0 || len(w.coupons) != 0 || w.recoveries() != 0 {
		t.Fatalf("held-out cart: %d send attempts, coupons %v, %d recoveries; want none", w.attempts, w.coupons, w.recoveries())
	}
	if len(w.conversions) != 1 || w.conversions[0].Group != HoldoutGroupHeld || w.conversions[0].OrderID != 99 ||
		w.conversions[0].Step != StepHoldout || w.conversions[0].Flow != FlowCartRecovery {
		t.Fatalf("conversions = %+v", w.conversions)
	}
	stored := w.storedHoldout()
	if len(stored) != 1 || stored[0].Decision != DecisionAssigned || stored[0].Reason != HoldoutGroupHeld ||
		stored[0].DedupeKey != activities.HoldoutAssignmentKey("abc", w.cartID) || stored[0].ChannelID != 1 {
		t.Fatalf("stored holdout decisions = %+v, want one assignment to the holdout (the conversion is RecordConversion's)", stored)
	}
	var converted *DecisionEntry
	for _, d := range w.decisions() {
		if d.Step == StepHoldout && d.Decision == DecisionConverted {
			converted = &d
		}
	}
	if converted == nil || converted.Reason != HoldoutGroupHeld || converted.Details["total"] != "25.00" {
		t.Fatalf("converted decision = %+v", converted)
	}
}

// A held-out cart without an order waits as long as a messaged cart would
// (abandonment + the last step's delay + the attribution window) and ends
// without sending anything.
func TestHeldOutCartWaitsAsLongAsTheSequence(t *testing.T) {
	w := newHoldoutWorld(t, HoldoutGroupHeld, 50)
	res := w.run(CartRecoveryInput{})
	if res.Outcome != "completed" || res.Group != HoldoutGroupHeld || w.attempts != 0 || len(w.conversions) != 0 {
		t.Fatalf("result %+v, %d sends, conversions %v", res, w.attempts, w.conversions)
	}
	abandoned := t0.Add(time.Hour) // idle for the default hour
	if want := abandoned.Add(72*time.Hour + 120*time.Hour); !w.env.Now().Equal(want) {
		t.Fatalf("held-out flow ended at %s, want %s", w.env.Now(), want)
	}
	if !hasDecision(w.decisions(), DecisionCompleted, "held out") {
		t.Fatalf("decisions = %+v", w.decisions())
	}
}

// A held-out cart's long wait continues as new carrying its group; the next
// run goes on waiting (no second assignment, no message) and records the
// conversion.
func TestHeldOutCartContinuesAsNewInItsGroup(t *testing.T) {
	w := newHoldoutWorld(t, HoldoutGroupHeld, 50)
	w.at(5*time.Hour, func() { w.env.SetContinueAsNewSuggested(true) })
	w.signal(6*time.Hour, SignalCartActivity, CartActivity{})
	w.env.ExecuteWorkflow(CartRecovery, CartRecoveryInput{StoreHash: "abc", CartID: w.cartID})
	var next CartRecoveryInput
	continuedInput(t, w.env.GetWorkflowError(), &next)
	until := t0.Add(time.Hour + 72*time.Hour + 120*time.Hour)
	if next.Carry == nil || next.Carry.HoldoutGroup != HoldoutGroupHeld || !next.Carry.ObserveUntil.Equal(until) {
		t.Fatalf("carried %+v", next.Carry)
	}

	w2 := newHoldoutWorld(t, HoldoutGroupHeld, 50)
	w2.env.SetStartTime(t0.Add(6 * time.Hour))
	w2.signal(10*time.Hour, SignalCartExit, CartExit{Reason: ExitConverted, OrderID: 42})
	res := w2.run(next)
	if res.ExitReason != ExitConverted || w2.attempts != 0 || len(w2.conversions) != 1 || w2.conversions[0].OrderID != 42 {
		t.Fatalf("continued run: %+v, %d sends, conversions %+v", res, w2.attempts, w2.conversions)
	}
	if got := w2.storedHoldout(); len(got) != 0 {
		t.Fatalf("continued run assigned again: %+v", got)
	}
}

// A messaged cart runs its steps as before and, converting, records its
// conversion for the messaged group besides the recovery.
func TestMessagedCartConversionIsRecordedForItsGroup(t *testing.T) {
	w := newHoldoutWorld(t, HoldoutGroupMessaged, 50)
	w.signal(3*time.Hour, SignalCartExit, CartExit{Reason: ExitConverted, OrderID: 77})
	res := w.run(CartRecoveryInput{})
	if res.ExitReason != ExitConverted || res.Group != HoldoutGroupMessaged {
		t.Fatalf("result = %+v", res)
	}
	if got := w.sentSteps(); len(got) != 1 || got[0] != "reminder" {
		t.Fatalf("sent %v, want the reminder", got)
	}
	if w.recoveries() != 1 || len(w.conversions) != 1 || w.conversions[0].Group != HoldoutGroupMessaged || w.conversions[0].OrderID != 77 {
		t.Fatalf("%d recoveries, conversions %+v", w.recoveries(), w.conversions)
	}
	stored := w.storedHoldout()
	if len(stored) != 1 || stored[0].Decision != DecisionAssigned || stored[0].Reason != HoldoutGroupMessaged {
		t.Fatalf("stored holdout decisions = %+v", stored)
	}
}

// A messaged cart whose steps all went without a send still watches for its
// order as long as a held-out cart would, so both groups are measured alike.
func TestMessagedCartWithoutSendsWatchesAsLongAsTheHoldout(t *testing.T) {
	w := newHoldoutWorld(t, HoldoutGroupMessaged, 50)
	w.cart.Shopper.AcceptsMarketing, w.cart.Shopper.AcceptsAbandonedCartEmails, w.cart.Shopper.SMSConsent = false, false, false
	w.cart.Shopper.CustomerID = 0 // a guest without consent: every step is skipped
	w.signal(100*time.Hour, SignalCartExit, CartExit{Reason: ExitConverted, OrderID: 5})
	res := w.run(CartRecoveryInput{})
	if w.attempts != 0 || res.ExitReason != ExitConverted {
		t.Fatalf("result %+v after %d sends", res, w.attempts)
	}
	if w.recoveries() != 0 || len(w.conversions) != 1 || w.conversions[0].Group != HoldoutGroupMessaged {
		t.Fatalf("%d recoveries, conversions %+v; want the conversion only", w.recoveries(), w.conversions)
	}
}

// With holdout_percent 0 (the default) the flow is what it was: no
// assignment, no conversion decision, every step sent.
func TestNoHoldoutIsTheOldBehaviour(t *testing.T) {
	w := newHoldoutWorld(t, "", 0)
	w.signal(80*time.Hour, SignalCartExit, CartExit{Reason: ExitConverted, OrderID: 8})
	res := w.run(CartRecoveryInput{})
	if res.Group != "" || len(w.conversions) != 0 || w.recoveries() != 1 {
		t.Fatalf("result %+v, conversions %+v, %d recoveries", res, w.conversions, w.recoveries())
	}
	if got := w.sentSteps(); len(got) != 3 {
		t.Fatalf("sent %v, want every step", got)
	}
	for _, d := range w.decisions() {
		if d.Step == StepHoldout {
			t.Fatalf("holdout decision without a holdout: %+v", d)
		}
	}
}
