package workflows

import (
	"context"
	"errors"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/store"
)

// continuedInput decodes the input of the run a workflow continued as new
// into out; it fails t when the workflow did not continue as new.
func continuedInput(t *testing.T, err error, out any) {
	t.Helper()
	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) {
		t.Fatalf("workflow ended with %v, want continue-as-new", err)
	}
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, out); err != nil {
		t.Fatal(err)
	}
}

func signalCount(counts []SignalCount, name string) int64 {
	for _, c := range counts {
		if c.Name == name {
			return c.Count
		}
	}
	return 0
}

// A conversion that arrives while the last step is being sent is not lost:
// the flow reads it before it decides to complete, records the exit and
// attributes the order to the last message (before the fix the run
// completed with the cart-exit signal unread).
func TestCartExitDuringTheLastSendIsReadAndAttributed(t *testing.T) {
	w := newCartWorld(t)
	w.signal(0, SignalCartActivity, CartActivity{})
	// The SMS falls due at abandonment (1 h) + 72 h; its first attempt
	// fails and Temporal retries it 5 s later; the conversion arrives in
	// between, while the send is in flight.
	w.failStep = "sms-nudge"
	w.signal(73*time.Hour+2*time.Second, SignalCartExit, CartExit{Reason: ExitConverted, OrderID: 900})
	res := w.run()
	if len(w.sends) != 3 {
		t.Fatalf("sent %v, want all three steps", w.sentSteps())
	}
	if res.Outcome != "exited" || res.ExitReason != ExitConverted {
		t.Fatalf("result = %+v, want exited converted", res)
	}
	ds := w.decisions()
	if !hasDecision(ds, DecisionRecovered, "25.00") {
		t.Fatalf("conversion not attributed to the last message: %+v", ds)
	}
}

// Recovered revenue counts for the attribution window after the last step
// (default 5 days), and not after it.
func TestCartAttributionWindowAfterTheLastStep(t *testing.T) {
	lastStep := 60*time.Minute + 72*time.Hour // abandonment at 1 h, SMS at +72 h
	cases := []struct {
		name      string
		after     time.Duration
		recovered bool
	}{
		{"within the window", 4 * 24 * time.Hour, true},
		{"after the window", 6 * 24 * time.Hour, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newCartWorld(t)
			w.signal(0, SignalCartActivity, CartActivity{})
			w.signal(lastStep+tc.after, SignalCartExit, CartExit{Reason: ExitConverted, OrderID: 900})
			w.env.RegisterDelayedCallback(func() {}, lastStep+tc.after) // keeps the test clock going to the signal
			res := w.run()
			if len(w.sends) != 3 {
				t.Fatalf("sent %v", w.sentSteps())
			}
			ds := w.decisions()
			if got := hasDecision(ds, DecisionRecovered, "25.00"); got != tc.recovered {
				t.Fatalf("recovered = %v, want %v (result %+v): %+v", got, tc.recovered, res, ds)
			}
			if !tc.recovered && res.Outcome != "completed" {
				t.Fatalf("result = %+v, want completed after the window", res)
			}
		})
	}
}

// A flow that exits at its first check still says who it was about: the
// decision is keyed to the customer and the workflow carries the shopper's
// id, email and channel.
func TestCartExitAtTheFirstCheckIdentifiesTheShopper(t *testing.T) {
	w := newCartWorld(t)
	attrs := searchAttributes(w.env)
	w.cart.Shopper.AcceptsAbandonedCartEmails = false
	w.cart.ChannelID = 2
	w.signal(0, SignalCartActivity, CartActivity{})
	res := w.run()
	if res.Outcome != "exited" || res.ExitReason != "no-consent" {
		t.Fatalf("result = %+v", res)
	}
	ds, err := w.real.Store.ListDecisions(context.Background(), store.DecisionFilter{StoreHash: "abc", CustomerKey: "c:7"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) == 0 || ds[len(ds)-1].Decision != DecisionExited || ds[len(ds)-1].Reason != "no-consent" {
		t.Fatalf("customer c:7's timeline = %+v, want the no-consent exit", ds)
	}
	wantAttributes(t, attrs, map[string]any{"BcStoreHash": "abc", "BcFlow": FlowCartRecovery, "BcCartId": "cart-1",
		"BcChannelId": int64(2), "BcCustomerId": "7", "BcCustomerEmail": "ann@example.com"})
}

// searchAttributes records the search attributes a flow upserts, merged
// as Temporal merges them.
func searchAttributes(env *testsuite.TestWorkflowEnvironment) map[string]any {
	got := map[string]any{}
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		for k, v := range args.Get(0).(temporal.SearchAttributes).GetUntypedValues() {
			got[k.GetName()] = v
		}
	}).Return(nil)
	return got
}

// wantAttributes fails t unless got has exactly want's custom attributes
// (Temporal's own, TemporalChangeVersion, aside).
func wantAttributes(t *testing.T, got, want map[string]any) {
	t.Helper()
	delete(got, "TemporalChangeVersion")
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("search attributes %v, want %v", got, want)
	}
}

// A cart already converted at the flow's first check (BigCommerce dropped
// it, so the cart says nothing of its shopper) is identified from its
// order: the exit reaches the customer's timeline and the workflow carries
// the customer, channel and order.
func TestCartConvertedAtTheFirstCheckIdentifiedFromTheOrder(t *testing.T) {
	w := newCartWorld(t)
	attrs := searchAttributes(w.env)
	w.cart = activities.CartSnapshot{CartRef: w.cart.CartRef, OrderID: 5001}
	w.env.OnActivity(w.real.LoadOrder, mock.Anything, mock.Anything).Return(activities.OrderSnapshot{StoreHash: "abc", OrderID: 5001,
		Exists: true, StatusID: 11, CustomerID: 7, BillingEmail: "Ann@Example.com", ChannelID: 2}, nil)
	w.signal(0, SignalCartActivity, CartActivity{})
	res := w.run()
	if res.Outcome != "exited" || res.ExitReason != ExitOrderPlaced {
		t.Fatalf("result = %+v", res)
	}
	ds, err := w.real.Store.ListDecisions(context.Background(), store.DecisionFilter{StoreHash: "abc", CustomerKey: "c:7"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) == 0 || ds[len(ds)-1].Decision != DecisionExited || ds[len(ds)-1].Reason != ExitOrderPlaced {
		t.Fatalf("customer c:7's timeline = %+v, want the exit", ds)
	}
	wantAttributes(t, attrs, map[string]any{"BcStoreHash": "abc", "BcFlow": FlowCartRecovery, "BcCartId": "cart-1",
		"BcChannelId": int64(2), "BcCustomerId": "7", "BcCustomerEmail": "ann@example.com", "BcOrderId": "5001"})
}

// A guest is found by email; BcCustomerId stays unset rather than "0".
func TestCartGuestHasNoCustomerIDAttribute(t *testing.T) {
	w := newCartWorld(t)
	attrs := searchAttributes(w.env)
	w.cart.Shopper.CustomerID = 0
	w.cart.ItemCount = 0 // exits at the first check
	w.signal(0, SignalCartActivity, CartActivity{})
	if res := w.run(); res.ExitReason != ExitEmptied {
		t.Fatalf("result = %+v", res)
	}
	wantAttributes(t, attrs, map[string]any{"BcStoreHash": "abc", "BcFlow": FlowCartRecovery, "BcCartId": "cart-1",
		"BcChannelId": int64(1), "BcCustomerEmail": "ann@example.com"})
}

// The cart's own channel decides its inactivity: a channel override of
// abandoned_after applies from the first wait.
func TestCartInactivityComesFromTheCartsChannel(t *testing.T) {
	w := newCartWorld(t)
	w.cart.ChannelID = 2
	fs := w.flows
	cr := *fs.CartRecovery
	cr.AbandonedAfter = config.Duration(3 * time.Hour)
	fs.CartRecovery = &cr
	w.channelFlows = map[int]config.FlowSet{2: fs}
	w.signal(0, SignalCartActivity, CartActivity{})
	w.run()
	if len(w.sends) == 0 || !w.sends[0].at.Equal(t0.Add(3*time.Hour+time.Hour)) {
		t.Fatalf("first send at %v, want abandonment after channel 2's 3 h inactivity + 1 h", w.sends[0].at)
	}
	for _, ch := range w.resolvedChannels {
		if ch != 2 {
			t.Fatalf("flows resolved for channels %v, want only the cart's channel 2", w.resolvedChannels)
		}
	}
}

// Steps that fell due inside quiet hours go out in their order, spaced by
// the playbook's own delays, not all in the second the quiet hours end.
func TestQuietHoursReleaseStepsSpacedByTheirDelays(t *testing.T) {
	w := newCartWorld(t)
	// Quiet from 15:30 until 23:00 the day after tomorrow: reminder (due
	// 17:00 day 0) and discount (due 16:00 day 1) both fall inside.
	w.flows.QuietHours = &config.QuietHours{Start: mustTime(t, "15:30"), End: mustTime(t, "23:00"), Timezone: "UTC"}
	cr := *w.flows.CartRecovery
	cr.Steps = []config.Step{cr.Steps[0], cr.Steps[1]}
	cr.Steps[1].Delay = config.Duration(3 * time.Hour) // due 19:00, inside the same quiet hours
	cr.Steps[1].Coupon = nil
	w.flows.CartRecovery = &cr
	w.signal(0, SignalCartActivity, CartActivity{})
	w.run()
	if len(w.sends) != 2 {
		t.Fatalf("sent %v", w.sentSteps())
	}
	gap := w.sends[1].at.Sub(w.sends[0].at)
	if w.sends[0].at.Hour() != 23 || gap != 2*time.Hour {
		t.Fatalf("sends at %s and %s: want the first at 23:00 and the second 2 h (its delay after the first) later",
			w.sends[0].at, w.sends[1].at)
	}
}

// Many cart changes keep the flow's history bounded: past the budget it
// continues as new, carrying what it knows and the count of every signal.
func TestCartContinuesAsNewCarryingItsState(t *testing.T) {
	w := newCartWorld(t)
	for i := 0; i < 30; i++ {
		w.signal(time.Duration(i)*time.Minute, SignalCartActivity, CartActivity{})
	}
	w.signal(10*time.Minute, SignalCartAbandoned, CartAbandoned{Token: "tok-1"})
	w.at(31*time.Minute, func() { w.env.SetContinueAsNewSuggested(true) })
	w.signal(32*time.Minute, SignalCartActivity, CartActivity{})
	w.env.ExecuteWorkflow(CartRecovery, CartRecoveryInput{StoreHash: "abc", CartID: "cart-1"})
	var next CartRecoveryInput
	continuedInput(t, w.env.GetWorkflowError(), &next)
	if next.Carry == nil || next.Carry.CustomerKey != "c:7" || next.Carry.ChannelID != 1 {
		t.Fatalf("carried %+v", next.Carry)
	}
	if got := signalCount(next.Carry.Signals, SignalCartActivity); got != 31 {
		t.Fatalf("carried %d cart-activity signals, want all 31", got)
	}
}

// A burst of customer changes during one sync costs one more sync, not one
// per change.
func TestContactSyncCoalescesABurstIntoOneMoreSync(t *testing.T) {
	env := newTestEnv(t)
	a := &activities.Activities{}
	env.RegisterActivity(a)
	syncs := 0
	env.OnActivity(a.SyncContact, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.SyncContactInput) (activities.SyncContactResult, error) {
			syncs++
			if syncs == 1 {
				for i := 0; i < 200; i++ {
					env.SignalWorkflow(SignalCustomerChanged, CustomerChanged{Scope: "store/customer/updated"})
				}
			}
			return activities.SyncContactResult{Found: true, Email: "ann@example.com"}, nil
		})
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalCustomerChanged, CustomerChanged{}) }, 0)
	env.ExecuteWorkflow(ContactSync, ContactSyncInput{StoreHash: "abc", CustomerID: 7})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if syncs != 2 {
		t.Fatalf("%d syncs for a start and a burst of 200 changes, want 2", syncs)
	}
}

// A contact synced for ever continues as new, carrying its counts and the
// bonus state; nothing a change asked for is lost.
func TestContactSyncContinuesAsNew(t *testing.T) {
	env := newTestEnv(t)
	a := &activities.Activities{}
	env.RegisterActivity(a)
	env.OnActivity(a.SyncContact, mock.Anything, mock.Anything).Return(activities.SyncContactResult{Found: true, Email: "ann@example.com"}, nil)
	for i := 0; i < 5; i++ {
		env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalCustomerChanged, CustomerChanged{}) }, time.Duration(i)*time.Minute)
	}
	env.RegisterDelayedCallback(func() { env.SetContinueAsNewSuggested(true) }, 3*time.Minute+time.Second)
	env.ExecuteWorkflow(ContactSync, ContactSyncInput{StoreHash: "abc", CustomerID: 7, Carry: ContactSyncCarry{Syncs: 10}})
	var next ContactSyncInput
	continuedInput(t, env.GetWorkflowError(), &next)
	if next.Carry.Syncs <= 10 || next.Carry.Email != "ann@example.com" || signalCount(next.Carry.Signals, SignalCustomerChanged) < 4 {
		t.Fatalf("carried %+v", next.Carry)
	}
}

// A storm of changes while a sync is slow (the store's quota spent): the
// flow does not wait for the sync to fill its history; it abandons it and
// continues as new, and the next run syncs.
func TestContactSyncAbandonsASlowSyncWhenItsHistoryFills(t *testing.T) {
	env := newTestEnv(t)
	a := &activities.Activities{}
	env.RegisterActivity(a)
	release := make(chan struct{})
	env.OnActivity(a.SyncContact, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, _ activities.SyncContactInput) (activities.SyncContactResult, error) {
			env.SignalWorkflow(SignalCustomerChanged, CustomerChanged{Scope: "store/customer/updated"})
			env.SignalWorkflow(SignalCustomerChanged, CustomerChanged{Scope: "store/customer/updated"})
			select {
			case <-release: // never: the flow must not wait for this sync
			case <-ctx.Done():
			case <-time.After(10 * time.Second):
			}
			return activities.SyncContactResult{Found: true, Email: "ann@example.com"}, nil
		})
	defer close(release)
	// Temporal suggests continuing as new from the start: only the signals
	// arriving during the sync let the flow see it.
	env.SetContinueAsNewSuggested(true)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalCustomerChanged, CustomerChanged{}) }, 0)
	start := time.Now()
	env.ExecuteWorkflow(ContactSync, ContactSyncInput{StoreHash: "abc", CustomerID: 7})
	var next ContactSyncInput
	continuedInput(t, env.GetWorkflowError(), &next)
	if time.Since(start) > 5*time.Second {
		t.Fatal("the flow waited for the slow sync to end")
	}
	if next.Carry.Syncs != 0 || signalCount(next.Carry.Signals, SignalCustomerChanged) < 2 {
		t.Fatalf("carried %+v: want no sync counted and every signal", next.Carry)
	}
}

// An order hub flooded with edits re-reads the order once per burst and
// continues as new past its budget, counting every signal.
func TestOrderHubCoalescesEditsAndContinuesAsNew(t *testing.T) {
	w := newHubWorld(t)
	for i := 0; i < 50; i++ {
		w.env.RegisterDelayedCallback(func() { w.env.SignalWorkflow(SignalOrderUpdated, OrderEvent{Scope: "store/order/updated"}) }, time.Minute)
	}
	w.env.RegisterDelayedCallback(func() { w.env.SetContinueAsNewSuggested(true) }, time.Minute+time.Second)
	w.env.RegisterDelayedCallback(func() { w.env.SignalWorkflow(SignalOrderUpdated, OrderEvent{}) }, 2*time.Minute)
	w.env.ExecuteWorkflow(OrderLifecycle, OrderLifecycleInput{StoreHash: "abc", OrderID: 1001})
	var next OrderLifecycleInput
	continuedInput(t, w.env.GetWorkflowError(), &next)
	if got := signalCount(next.Carry.Signals, SignalOrderUpdated); got != 51 {
		t.Fatalf("carried %d order-updated signals, want 51", got)
	}
	if w.loads > 4 {
		t.Fatalf("the order was loaded %d times for two bursts of edits", w.loads)
	}
}

// A storm of edits while the run's first load is slow does not overflow
// the hub's history: the load is abandoned and the next run loads first,
// with every signal counted.
func TestOrderHubAbandonsASlowFirstLoadWhenItsHistoryFills(t *testing.T) {
	w := newHubWorld(t)
	release := make(chan struct{})
	defer close(release)
	w.onLoad = func(ctx context.Context) {
		w.env.SignalWorkflow(SignalOrderUpdated, OrderEvent{Scope: "store/order/updated"})
		w.env.SignalWorkflow(SignalOrderUpdated, OrderEvent{Scope: "store/order/updated"})
		select {
		case <-release: // never: the hub must not wait for this load
		case <-ctx.Done():
		case <-time.After(10 * time.Second):
		}
	}
	w.env.SetContinueAsNewSuggested(true)
	start := time.Now()
	w.env.ExecuteWorkflow(OrderLifecycle, OrderLifecycleInput{StoreHash: "abc", OrderID: 1001})
	var next OrderLifecycleInput
	continuedInput(t, w.env.GetWorkflowError(), &next)
	if time.Since(start) > 5*time.Second {
		t.Fatal("the hub waited for the slow load to end")
	}
	if !next.Carry.RefreshDue || signalCount(next.Carry.Signals, SignalOrderUpdated) < 1 {
		t.Fatalf("carried %+v: want the load still due and the signals counted", next.Carry)
	}
}

// A reminder whose cart link cannot be made absolute is not sent with a
// broken link: the step is skipped with the reason and the flow goes on.
func TestCartStepWithoutAUsableLinkIsSkipped(t *testing.T) {
	w := newCartWorld(t)
	w.cart.RecoveryURL = ""
	w.cart.LinkProblem = "no storefront URL for channel 1"
	w.signal(0, SignalCartActivity, CartActivity{})
	res := w.run()
	if res.Outcome != "completed" || len(w.sends) != 0 {
		t.Fatalf("result %+v, sent %v: want every step skipped and the flow completed", res, w.sentSteps())
	}
	if !hasDecision(w.decisions(), DecisionSkipped, "no usable cart link: no storefront URL") {
		t.Fatalf("no skip with the link problem: %+v", w.decisions())
	}
}

// Every flow resolves its settings for its own channel: a channel whose
// loyalty program awards other bonus points decides a bonus earned there
// and the account-creation bonus of a customer who signed up there.
func TestFlowsResolveTheirOwnChannel(t *testing.T) {
	channelFlows := func(channel int) config.FlowSet {
		fs := config.DefaultFlows().For("abc", 0)
		if channel == 2 {
			l := *fs.Loyalty
			l.Bonuses.ReviewSubmitted, l.Bonuses.AccountCreation = 77, 33
			fs.Loyalty = &l
		}
		return fs
	}
	// world runs one flow on a fresh env; points are the ledger entries it
	// wrote, asked the channels it resolved flows for.
	type world struct {
		env    *testsuite.TestWorkflowEnvironment
		points []int64
		asked  []int
	}
	newWorld := func(t *testing.T) *world {
		w := &world{env: newTestEnv(t)}
		a := &activities.Activities{}
		w.env.RegisterActivity(a)
		w.env.OnActivity(a.ResolveFlows, mock.Anything, mock.Anything).Return(
			func(_ context.Context, in activities.FlowsInput) (config.FlowSet, error) {
				w.asked = append(w.asked, in.ChannelID)
				return channelFlows(in.ChannelID), nil
			})
		w.env.OnActivity(a.RecordDecision, mock.Anything, mock.Anything).Return(nil)
		w.env.OnActivity(a.AppendLoyaltyEntry, mock.Anything, mock.Anything).Return(
			func(_ context.Context, e activities.LoyaltyEntryInput) (activities.LoyaltyEntry, error) {
				w.points = append(w.points, e.Points)
				return activities.LoyaltyEntry{Inserted: true, Points: e.Points, Account: activities.LoyaltyAccount{Tier: "Bronze"}}, nil
			})
		w.env.OnActivity(a.SetLoyaltyTier, mock.Anything, mock.Anything).Return(nil)
		w.env.OnActivity(a.TrackEvent, mock.Anything, mock.Anything).Return(nil)
		w.env.OnActivity(a.SyncContact, mock.Anything, mock.Anything).Return(
			activities.SyncContactResult{Found: true, Email: "new@example.com", ChannelID: 2}, nil)
		return w
	}
	t.Run("loyalty bonus", func(t *testing.T) {
		w := newWorld(t)
		w.env.ExecuteWorkflow(LoyaltyBonus, LoyaltyBonusInput{StoreHash: "abc", CustomerID: 5, Kind: BonusReviewSubmitted, Reference: "r1", ChannelID: 2})
		if err := w.env.GetWorkflowError(); err != nil {
			t.Fatal(err)
		}
		if len(w.points) != 1 || w.points[0] != 77 || w.asked[0] != 2 {
			t.Fatalf("points %v from channels %v, want channel 2's 77", w.points, w.asked)
		}
	})
	t.Run("account creation bonus", func(t *testing.T) {
		w := newWorld(t)
		w.env.RegisterDelayedCallback(func() { w.env.SignalWorkflow(SignalCustomerChanged, CustomerChanged{Scope: "store/customer/created"}) }, 0)
		w.env.ExecuteWorkflow(ContactSync, ContactSyncInput{StoreHash: "abc", CustomerID: 9})
		if err := w.env.GetWorkflowError(); err != nil {
			t.Fatal(err)
		}
		if len(w.points) != 1 || w.points[0] != 33 || w.asked[0] != 2 {
			t.Fatalf("points %v from channels %v, want the sign-up channel 2's 33", w.points, w.asked)
		}
	})
}

// spacedDue is the one rule every sequence (cart, goals, status campaigns)
// uses to space steps released together after quiet hours.
func TestSpacedDue(t *testing.T) {
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	cases := []struct {
		name      string
		due, prev time.Time
		gap       time.Duration
		want      time.Time
	}{
		{"on time: its own time", at(10), at(2), 3 * time.Hour, at(10)},
		{"released late: the gap after the previous", at(4), at(8), 3 * time.Hour, at(11)},
		{"no previous send", at(4), time.Time{}, 3 * time.Hour, at(4)},
		{"no gap", at(4), at(8), 0, at(4)},
	}
	for _, tc := range cases {
		if got := spacedDue(tc.due, tc.prev, tc.gap); !got.Equal(tc.want) {
			t.Errorf("%s: spacedDue = %s, want %s", tc.name, got, tc.want)
		}
	}
}

// Brevo down for hours (every send attempt a 5xx) does not end the flow:
// the send is retried until Brevo is back, then goes out once, and the
// steps after it keep their spacing. Before, API activities gave up after a
// day and store activities after 20 attempts, failing the flow for good.
func TestBrevoOutageOfHoursSendsOnceAfterwards(t *testing.T) {
	// The test environment caps retries at 10 attempts (production has no
	// cap: TestActivityRetriesNeverGiveUp); 10-minute intervals make those
	// 10 attempts span an outage of an hour and a half.
	saved := apiActivityOptions
	t.Cleanup(func() { apiActivityOptions = saved })
	p := *apiActivityOptions.RetryPolicy
	p.InitialInterval, p.BackoffCoefficient = 10*time.Minute, 1
	apiActivityOptions.RetryPolicy = &p

	w := newCartWorld(t)
	w.failUntil = t0.Add(2*time.Hour + 80*time.Minute) // the reminder falls due at 2 h
	w.signal(0, SignalCartActivity, CartActivity{})
	res := w.run()
	if len(w.sends) != 3 || w.sends[0].step != "reminder" || w.sends[0].at.Before(w.failUntil) {
		t.Fatalf("sent %v after an outage until %s (%d attempts)", w.sentSteps(), w.failUntil, w.attempts)
	}
	if res.Outcome != "completed" {
		t.Fatalf("result %+v", res)
	}
}

// Activities retry transient failures until the dependency is back: no
// attempt limit, no schedule-to-close deadline; only what can never
// succeed is non-retryable.
func TestActivityRetriesNeverGiveUp(t *testing.T) {
	for name, o := range map[string]workflow.ActivityOptions{"store": storeActivityOptions, "api": apiActivityOptions} {
		p := o.RetryPolicy
		if p == nil || p.MaximumAttempts != 0 || o.ScheduleToCloseTimeout != 0 {
			t.Errorf("%s activities: retry policy %+v, schedule-to-close %s: they give up", name, p, o.ScheduleToCloseTimeout)
			continue
		}
		if p.MaximumInterval <= 0 || p.MaximumInterval > 10*time.Minute {
			t.Errorf("%s activities: backoff capped at %s", name, p.MaximumInterval)
		}
		if len(p.NonRetryableErrorTypes) != 1 || p.NonRetryableErrorTypes[0] != activities.ErrTypeInvalid {
			t.Errorf("%s activities: non-retryable %v, want only %s", name, p.NonRetryableErrorTypes, activities.ErrTypeInvalid)
		}
	}
}

// A storm of catalog changes while a product's sync is slow: the flow
// abandons the sync when its history fills and continues as new, carrying
// every signal it read; the next run syncs the same product (before the fix it
// waited on the sync, its history growing with every change).
func TestCatalogSyncAbandonsASlowSyncWhenItsHistoryFills(t *testing.T) {
	env := newTestEnv(t)
	a := &activities.Activities{}
	env.RegisterActivity(a)
	release := make(chan struct{})
	var waited atomic.Bool
	env.OnActivity(a.SyncCatalogEntity, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, _ activities.CatalogEntityInput) error {
			for i := 0; i < 50; i++ {
				env.SignalWorkflow(SignalCatalogChanged, CatalogChanged{Scope: "store/product/updated"})
			}
			select {
			case <-release: // the flow ended without waiting for this sync
			case <-time.After(10 * time.Second): // the flow waited
				waited.Store(true)
			}
			return nil
		})
	// Temporal suggests continuing as new from the start: only the signals
	// arriving during the sync let the flow see it.
	env.SetContinueAsNewSuggested(true)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalCatalogChanged, CatalogChanged{}) }, 0)
	env.SetTestTimeout(time.Minute) // a flow that waits fails below, not on the 3 s default
	env.ExecuteWorkflow(CatalogSync, CatalogSyncInput{StoreHash: "abc", Kind: CatalogProduct, ID: 111})
	close(release)
	var next CatalogSyncInput
	continuedInput(t, env.GetWorkflowError(), &next)
	if waited.Load() {
		t.Fatal("the flow waited for the slow sync to end")
	}
	if next.StoreHash != "abc" || next.Kind != CatalogProduct || next.ID != 111 || signalCount(next.Carry.Signals, SignalCatalogChanged) < 2 {
		// The test environment drops the signals sent after the run ended
		// (a server hands them to the next run): the start's and the
		// storm's first must be carried.
		t.Fatalf("next run %+v: want the same product and every signal read", next)
	}
}

// An order flow of a guest carries the order, channel and email, and no
// BcCustomerId (it was "0").
func TestOrderFlowGuestHasNoCustomerIDAttribute(t *testing.T) {
	w := newOrderWorld(t, nil)
	attrs := searchAttributes(w.env)
	w.order.CustomerID, w.order.BillingEmail = 0, "guest@example.com"
	w.order.Shopper = activities.Shopper{Email: "Guest@Example.com", FirstName: "Gus"}
	w.runGoals()
	wantAttributes(t, attrs, map[string]any{"BcStoreHash": "abc", "BcFlow": FlowOrderGoals, "BcOrderId": "1001",
		"BcChannelId": int64(1), "BcCustomerEmail": "guest@example.com"})
}
