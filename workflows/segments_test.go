package workflows

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/config"
)

var segStart = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// segmentFlows are the segment_flows of the tests: a win-back on entering
// at-risk (two steps, 0 and 3 days), a goodbye on leaving high-value.
func segmentFlows(t *testing.T) config.FlowSet {
	t.Helper()
	f := config.DefaultFlows().For("abc", 0)
	email := func(name string, delay time.Duration) config.Step {
		return config.Step{Name: name, Delay: config.Duration(delay), Message: config.Message{Channel: config.ChannelEmail,
			Template: config.Template{Subject: "Hi", Body: "We miss you"}}}
	}
	f.SegmentFlows = []config.SegmentFlow{
		{Name: "winback", Segment: "at-risk", On: config.SegmentEnter, Sequence: []config.Step{email("first", 0), email("second", 72*time.Hour)}},
		{Name: "goodbye", Segment: "high-value", On: config.SegmentLeave, Sequence: []config.Step{email("bye", time.Hour)}},
	}
	f.QuietHours, f.FrequencyCaps = nil, nil
	return f
}

// segmentSyncWorld runs SegmentSync against fake activities and a fake
// SegmentFlow child that records its starts.
type segmentSyncWorld struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment
	mu  sync.Mutex
	// pushes is the number of PushSegments calls; more are the More
	// answers, in order (then false).
	pushes int
	more   []bool
	// crossings are the batches SegmentCrossings returns, in order.
	crossings [][]activities.SegmentCrossing
	marked    []activities.SegmentCrossing
	children  []string
	onPush    func(n int)
	// unavailable: pushes report a store without the Segmentation API.
	unavailable bool
	decisions   []activities.DecisionInput
}

func newSegmentSyncWorld(t *testing.T) *segmentSyncWorld {
	w := &segmentSyncWorld{t: t, env: newTestEnv(t)}
	a := &activities.Activities{}
	w.env.SetStartTime(segStart)
	w.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: SegmentSyncID("abc")})
	w.env.RegisterWorkflowWithOptions(SegmentSync, workflowOpts(SegmentSyncWorkflowName))
	w.env.RegisterWorkflowWithOptions(func(ctx workflow.Context, in SegmentFlowInput) (SegmentFlowResult, error) {
		w.mu.Lock()
		w.children = append(w.children, workflow.GetInfo(ctx).WorkflowExecution.ID)
		w.mu.Unlock()
		return SegmentFlowResult{Outcome: "completed"}, nil
	}, workflowOpts(SegmentFlowWorkflowName))
	w.env.RegisterActivity(a)
	flows := segmentFlows(t)
	w.env.OnActivity(a.ResolveFlows, mock.Anything, mock.Anything).Return(flows, nil)
	w.env.OnActivity(a.PushSegments, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.SegmentStoreInput) (activities.SegmentPushResult, error) {
			w.mu.Lock()
			w.pushes++
			n := w.pushes
			more := false
			if len(w.more) > 0 {
				more, w.more = w.more[0], w.more[1:]
			}
			w.mu.Unlock()
			if w.onPush != nil {
				w.onPush(n)
			}
			return activities.SegmentPushResult{BrevoAdded: 1, More: more, BigCommerceUnavailable: w.unavailable}, nil
		})
	w.env.OnActivity(a.RecordDecision, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.DecisionInput) error {
			w.mu.Lock()
			w.decisions = append(w.decisions, in)
			w.mu.Unlock()
			return nil
		})
	w.env.OnActivity(a.SegmentCrossings, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.SegmentStoreInput) ([]activities.SegmentCrossing, error) {
			w.mu.Lock()
			defer w.mu.Unlock()
			if len(w.crossings) == 0 {
				return nil, nil
			}
			b := w.crossings[0]
			w.crossings = w.crossings[1:]
			return b, nil
		})
	w.env.OnActivity(a.MarkSegmentCrossings, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SegmentCrossingsInput) error {
			w.mu.Lock()
			w.marked = append(w.marked, in.Crossings...)
			w.mu.Unlock()
			return nil
		})
	return w
}

func (w *segmentSyncWorld) nudge(after time.Duration, n int) {
	w.env.RegisterDelayedCallback(func() {
		for i := 0; i < n; i++ {
			w.env.SignalWorkflow(SignalSegmentsChanged, nil)
		}
	}, after)
}

// run runs the sync until the history is declared full at end (the run
// never completes otherwise) and returns what it carried into the next run.
func (w *segmentSyncWorld) run(end time.Duration, in SegmentSyncInput) SegmentSyncInput {
	w.env.RegisterDelayedCallback(func() {
		w.env.SetContinueAsNewSuggested(true)
		w.env.SignalWorkflow(SignalSegmentsChanged, nil)
	}, end)
	w.env.ExecuteWorkflow(SegmentSyncWorkflowName, in)
	var next SegmentSyncInput
	continuedInput(w.t, w.env.GetWorkflowError(), &next)
	return next
}

func TestSegmentSyncCoalescesNudgesAndStartsOneFlowPerCrossing(t *testing.T) {
	w := newSegmentSyncWorld(t)
	entered := segStart.Add(-time.Minute)
	w.crossings = [][]activities.SegmentCrossing{{
		{Segment: "at-risk", Email: "ann@example.com", CustomerID: 7, EnteredAt: entered, Entered: true},
		{Segment: "at-risk", Email: "guest@example.com", EnteredAt: entered, Entered: true},
		// high-value's flow is on leave: an entry starts nothing.
		{Segment: "high-value", Email: "bob@example.com", CustomerID: 8, EnteredAt: entered, Entered: true},
		{Segment: "high-value", Email: "cy@example.com", CustomerID: 9, EnteredAt: entered.Add(-time.Hour), LeftAt: entered, Entered: false},
	}}
	// The first push has more to do; 100 nudges arrive during it.
	w.more = []bool{true}
	w.onPush = func(n int) {
		if n == 1 {
			for i := 0; i < 100; i++ {
				w.env.SignalWorkflow(SignalSegmentsChanged, nil)
			}
		}
	}
	next := w.run(time.Hour, SegmentSyncInput{StoreHash: "abc"})

	// Start pass: 2 pushes (More, then done); one more pass for the 100
	// nudges; one for the nudge at the end.
	if w.pushes > 4 {
		t.Fatalf("%d pushes for 100 nudges, want them coalesced", w.pushes)
	}
	want := []string{
		SegmentFlowID("abc", "winback", "c7", entered),
		SegmentFlowID("abc", "winback", activities.SegmentShopperKey("abc", 0, "guest@example.com"), entered),
		SegmentFlowID("abc", "goodbye", "c9", entered),
	}
	slices.Sort(w.children)
	slices.Sort(want)
	if strings.Join(w.children, " ") != strings.Join(want, " ") {
		t.Fatalf("children %v, want %v", w.children, want)
	}
	for _, id := range w.children {
		if strings.Contains(id, "@") || strings.Contains(id, "example") {
			t.Fatalf("an email in workflow id %s", id)
		}
	}
	if len(w.marked) != 4 {
		t.Fatalf("marked %d crossings, want all 4 (one without a flow)", len(w.marked))
	}
	if got := signalCount(next.Carry.Signals, SignalSegmentsChanged); got != 101 {
		t.Fatalf("counted %d nudges, want 101", got)
	}
	if next.Carry.Started != 3 || next.Carry.Pushes != w.pushes {
		t.Fatalf("carried %+v", next.Carry)
	}
}

// A store without the Segmentation API: one decision says so, however
// many pushes skip BigCommerce, and a continued run does not repeat it.
func TestSegmentSyncRecordsAMissingSegmentationAPIOnce(t *testing.T) {
	w := newSegmentSyncWorld(t)
	w.unavailable = true
	w.nudge(time.Minute, 1)
	w.nudge(2*time.Minute, 1)
	next := w.run(time.Hour, SegmentSyncInput{StoreHash: "abc"})
	n := 0
	for _, d := range w.decisions {
		if d.Reason == ReasonNoSegmentationAPI && d.Step == DecisionStepBigCommercePush && d.Decision == DecisionSkipped {
			n++
		}
	}
	if w.pushes < 3 || n != 1 || !next.Carry.BigCommerceUnavailable {
		t.Fatalf("%d pushes, %d decisions, carried %+v: want one decision, carried", w.pushes, n, next.Carry)
	}
	again := newSegmentSyncWorld(t)
	again.unavailable = true
	again.run(time.Hour, next)
	for _, d := range again.decisions {
		if d.Reason == ReasonNoSegmentationAPI {
			t.Fatalf("the continued run recorded it again: %+v", d)
		}
	}
}

// A crossing whose flow was already started (a crossing read again after
// a crash before it was marked) starts nothing new and is marked.
func TestSegmentSyncTreatsAnAlreadyStartedFlowAsDone(t *testing.T) {
	w := newSegmentSyncWorld(t)
	entered := segStart.Add(-time.Minute)
	c := activities.SegmentCrossing{Segment: "at-risk", Email: "ann@example.com", CustomerID: 7, EnteredAt: entered, Entered: true}
	w.crossings = [][]activities.SegmentCrossing{{c}, {c}}
	w.run(time.Hour, SegmentSyncInput{StoreHash: "abc"})
	if len(w.children) != 1 || len(w.marked) != 2 {
		t.Fatalf("children %v, marked %d: want one flow, the crossing marked twice", w.children, len(w.marked))
	}
}

// A storm of nudges while a push is slow: the run does not wait for the
// push to fill its history; it continues as new with the pass still due
// and the nudges it read counted, and the next run does the pass.
func TestSegmentSyncContinuesAsNewUnderAStormWithNothingLost(t *testing.T) {
	w := newSegmentSyncWorld(t)
	release := make(chan struct{})
	defer close(release)
	w.onPush = func(n int) {
		for i := 0; i < 300; i++ {
			w.env.SignalWorkflow(SignalSegmentsChanged, nil)
		}
		select {
		case <-release: // never: the run must not wait for this push
		case <-time.After(5 * time.Second):
		}
	}
	// Temporal suggests continuing as new from the start: only the nudges
	// arriving during the push let the run see it.
	w.env.SetContinueAsNewSuggested(true)
	start := time.Now()
	w.env.ExecuteWorkflow(SegmentSyncWorkflowName, SegmentSyncInput{StoreHash: "abc", Carry: SegmentSyncCarry{Pending: true,
		FlowCarry: FlowCarry{Signals: []SignalCount{{Name: SignalSegmentsChanged, Count: 5}}}}})
	var next SegmentSyncInput
	continuedInput(t, w.env.GetWorkflowError(), &next)
	if time.Since(start) > 3*time.Second {
		t.Fatal("the run waited for the slow push")
	}
	if !next.Carry.Pending || next.Carry.Pushes != 0 {
		t.Fatalf("carried %+v: want the pass still due, no push counted", next.Carry)
	}
	if got := signalCount(next.Carry.Signals, SignalSegmentsChanged); got <= 5 {
		t.Fatalf("counted %d nudges, want the storm's on top of the 5 carried", got)
	}

	// The next run does the pass at once (before the nudge at the end of
	// this test); one continued with nothing due waits for a nudge.
	w2 := newSegmentSyncWorld(t)
	var at []time.Time
	w2.onPush = func(int) { at = append(at, w2.env.Now()) }
	w2.run(time.Hour, next)
	if len(at) == 0 || !at[0].Equal(segStart) {
		t.Fatalf("the next run pushed at %v, want at once", at)
	}
	next.Carry.Pending = false
	w3 := newSegmentSyncWorld(t)
	at = nil
	w3.onPush = func(int) { at = append(at, w3.env.Now()) }
	w3.run(time.Hour, next)
	if len(at) != 1 || !at[0].Equal(segStart.Add(time.Hour)) {
		t.Fatalf("a run with nothing due pushed at %v, want only at the nudge", at)
	}
}

// segmentFlowWorld runs one SegmentFlow against fake activities.
type segmentFlowWorld struct {
	t      *testing.T
	env    *testsuite.TestWorkflowEnvironment
	holds  func(call int) activities.SegmentMembership
	checks int
	sends  []activities.SendInput
	flows  config.FlowSet
}

func newSegmentFlowWorld(t *testing.T, id string) *segmentFlowWorld {
	w := &segmentFlowWorld{t: t, env: newTestEnv(t), flows: segmentFlows(t)}
	a := &activities.Activities{}
	w.env.SetStartTime(segStart)
	w.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: id})
	w.env.RegisterActivity(a)
	w.env.OnActivity(a.ResolveFlows, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.FlowsInput) (config.FlowSet, error) { return w.flows, nil })
	w.env.OnActivity(a.RecordDecision, mock.Anything, mock.Anything).Return(nil)
	w.env.OnActivity(a.CheckSendWindow, mock.Anything, mock.Anything).Return(activities.SendWindow{}, nil)
	w.env.OnActivity(a.CheckSegmentMembership, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.SegmentMembershipInput) (activities.SegmentMembership, error) {
			w.checks++
			if w.holds != nil {
				return w.holds(w.checks), nil
			}
			return activities.SegmentMembership{Holds: true}, nil
		})
	w.env.OnActivity(a.LoadSegmentShopper, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SegmentShopperInput) (activities.Shopper, error) {
			return activities.Shopper{CustomerID: in.CustomerID, Email: in.Email, FirstName: "Ann", AcceptsMarketing: true}, nil
		})
	w.env.OnActivity(a.SendMessage, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SendInput) (activities.SendOutcome, error) {
			for _, s := range w.sends {
				if s.IdempotencyKey == in.IdempotencyKey {
					return activities.SendOutcome{Status: activities.SendAlreadySent}, nil
				}
			}
			w.sends = append(w.sends, in)
			return activities.SendOutcome{Status: activities.SendSent}, nil
		})
	return w
}

func (w *segmentFlowWorld) run(in SegmentFlowInput) SegmentFlowResult {
	w.env.ExecuteWorkflow(SegmentFlow, in)
	if err := w.env.GetWorkflowError(); err != nil {
		w.t.Fatal(err)
	}
	var res SegmentFlowResult
	if err := w.env.GetWorkflowResult(&res); err != nil {
		w.t.Fatal(err)
	}
	return res
}

func (w *segmentFlowWorld) sentSteps() string {
	var out []string
	for _, s := range w.sends {
		out = append(out, s.Step)
	}
	return strings.Join(out, ",")
}

func winbackInput() SegmentFlowInput {
	return SegmentFlowInput{StoreHash: "abc", Flow: "winback", Segment: "at-risk", Entered: true, At: segStart,
		CustomerID: 7, Email: "Ann@Example.com", ChannelID: 1}
}

func TestSegmentFlowSendsItsStepsOnce(t *testing.T) {
	in := winbackInput()
	w := newSegmentFlowWorld(t, SegmentFlowID("abc", "winback", "c7", in.At))
	res := w.run(in)
	if res.Outcome != "completed" || w.sentSteps() != "first,second" {
		t.Fatalf("result %+v, sent %s", res, w.sentSteps())
	}
	if got := w.env.Now().Sub(segStart); got != 72*time.Hour {
		t.Fatalf("ended %s after the crossing, want the second step's 3 days", got)
	}
	if w.sends[0].IdempotencyKey == w.sends[1].IdempotencyKey || !strings.HasPrefix(w.sends[0].IdempotencyKey, "segment-flow/abc/winback/c7/") {
		t.Fatalf("idempotency keys %q %q", w.sends[0].IdempotencyKey, w.sends[1].IdempotencyKey)
	}
	if w.checks != 2 {
		t.Fatalf("%d membership re-checks, want one per step", w.checks)
	}
	ds := queryDecisions(t, w.env)
	if ds[0].Decision != DecisionSent || ds[len(ds)-1].Decision != DecisionCompleted {
		t.Fatalf("decisions %+v", ds)
	}
}

func TestSegmentFlowExitsWhenTheShopperLeftBeforeAStep(t *testing.T) {
	in := winbackInput()
	w := newSegmentFlowWorld(t, SegmentFlowID("abc", "winback", "c7", in.At))
	w.holds = func(call int) activities.SegmentMembership {
		if call == 1 {
			return activities.SegmentMembership{Holds: true}
		}
		return activities.SegmentMembership{Reason: activities.SegmentReasonLeft}
	}
	res := w.run(in)
	if res.Outcome != "exited" || res.ExitReason != activities.SegmentReasonLeft || w.sentSteps() != "first" {
		t.Fatalf("result %+v, sent %s", res, w.sentSteps())
	}
	ds := queryDecisions(t, w.env)
	last := ds[len(ds)-1]
	if last.Decision != DecisionExited || last.Reason != activities.SegmentReasonLeft || last.Details["segment"] != "at-risk" {
		t.Fatalf("last decision %+v", last)
	}
}

func TestSegmentFlowOnLeavingExitsWhenTheShopperReentered(t *testing.T) {
	in := SegmentFlowInput{StoreHash: "abc", Flow: "goodbye", Segment: "high-value", Entered: false, At: segStart,
		CustomerID: 9, Email: "cy@example.com"}
	w := newSegmentFlowWorld(t, SegmentFlowID("abc", "goodbye", "c9", in.At))
	res := w.run(in)
	if res.Outcome != "completed" || w.sentSteps() != "bye" {
		t.Fatalf("result %+v, sent %s", res, w.sentSteps())
	}
	if got := w.sends[0]; got.Shopper.Email != "cy@example.com" {
		t.Fatalf("sent to %+v", got.Shopper)
	}

	w = newSegmentFlowWorld(t, SegmentFlowID("abc", "goodbye", "c9", in.At))
	w.holds = func(int) activities.SegmentMembership {
		return activities.SegmentMembership{Reason: activities.SegmentReasonReentered}
	}
	res = w.run(in)
	if res.Outcome != "exited" || res.ExitReason != activities.SegmentReasonReentered || len(w.sends) != 0 {
		t.Fatalf("result %+v, sent %s", res, w.sentSteps())
	}
}

// A flow removed from the flows file since the crossing sends nothing.
func TestSegmentFlowNoLongerConfiguredSendsNothing(t *testing.T) {
	in := winbackInput()
	in.Flow = "gone"
	w := newSegmentFlowWorld(t, SegmentFlowID("abc", "gone", "c7", in.At))
	res := w.run(in)
	if res.Outcome != "disabled" || len(w.sends) != 0 {
		t.Fatalf("result %+v, sent %s", res, w.sentSteps())
	}
}

func TestSegmentRecomputeReportsProgressAndCoalescesRequests(t *testing.T) {
	env := newTestEnv(t)
	a := &activities.Activities{}
	env.SetStartTime(segStart)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: SegmentRecomputeID("abc")})
	env.RegisterActivity(a)
	var recomputed []activities.SegmentRecomputeInput
	var mid SegmentRecomputeProgress
	env.OnActivity(a.RecomputeSegment, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SegmentRecomputeInput) (activities.SegmentRecomputeResult, error) {
			recomputed = append(recomputed, in)
			if len(recomputed) == 1 {
				// Requests arrive during the pass: they make one more, a
				// full one (not every request was time-only) of the one
				// segment they name.
				env.SignalWorkflow(SignalSegmentsRecompute, SegmentRecomputeRequest{Segment: "repeat", TimeOnly: true})
				env.SignalWorkflow(SignalSegmentsRecompute, SegmentRecomputeRequest{Segment: "repeat"})
			}
			return activities.SegmentRecomputeResult{Segments: 5, Evaluated: 3, Entered: 2}, nil
		})
	nudges := 0
	env.OnActivity(a.NudgeSegmentSync, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.SegmentStoreInput) error {
			nudges++
			if nudges == 1 {
				v, err := env.QueryWorkflow(QuerySegmentsProgress)
				if err == nil {
					_ = v.Get(&mid)
				}
			}
			return nil
		})
	env.ExecuteWorkflow(SegmentRecompute, SegmentRecomputeInput{StoreHash: "abc", TimeOnly: true})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	want := []activities.SegmentRecomputeInput{{StoreHash: "abc", TimeOnly: true}, {StoreHash: "abc", Segment: "repeat"}}
	if !slices.Equal(recomputed, want) || nudges != 2 {
		t.Fatalf("recomputed %+v, %d nudges", recomputed, nudges)
	}
	if mid.Status != SyncStatusCompleted || !mid.TimeOnly || mid.Passes != 1 || len(mid.Segments) != 1 || !mid.Segments[0].Done ||
		mid.Segments[0].Result.Evaluated != 3 {
		t.Fatalf("progress after the first pass %+v", mid)
	}
	v, err := env.QueryWorkflow(QuerySegmentsProgress)
	if err != nil {
		t.Fatal(err)
	}
	var p SegmentRecomputeProgress
	if err := v.Get(&p); err != nil {
		t.Fatal(err)
	}
	if p.Passes != 2 || p.Segment != "repeat" || p.TimeOnly || p.Status != SyncStatusCompleted {
		t.Fatalf("final progress %+v", p)
	}
}

// A recompute started by a request (signal-with-start) runs it once.
func TestSegmentRecomputeStartedByARequestRunsItOnce(t *testing.T) {
	env := newTestEnv(t)
	a := &activities.Activities{}
	env.RegisterActivity(a)
	runs := 0
	env.OnActivity(a.RecomputeSegment, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.SegmentRecomputeInput) (activities.SegmentRecomputeResult, error) {
			runs++
			return activities.SegmentRecomputeResult{}, nil
		})
	env.OnActivity(a.NudgeSegmentSync, mock.Anything, mock.Anything).Return(nil)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalSegmentsRecompute, SegmentRecomputeRequest{}) }, 0)
	env.ExecuteWorkflow(SegmentRecompute, SegmentRecomputeInput{StoreHash: "abc"})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if runs != 1 {
		t.Fatalf("%d passes, want 1", runs)
	}
}

// A step's coupon restricted to a segment the store cannot have (no
// Customer Segmentation API): the step is a failed decision with the
// reason, and the flow goes on.
func TestSegmentFlowStepWithAnUnavailableSegmentCouponFailsAndGoesOn(t *testing.T) {
	in := winbackInput()
	w := newSegmentFlowWorld(t, SegmentFlowID("abc", "winback", "c7", in.At))
	w.flows.SegmentFlows[0].Sequence[0].Coupon = &config.Coupon{Percent: 15, ExpiresAfter: config.Duration(7 * 24 * time.Hour), Segment: "at-risk"}
	a := &activities.Activities{}
	var asked activities.CouponInput
	w.env.OnActivity(a.EnsureCoupon, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CouponInput) (activities.Coupon, error) {
			asked = in
			return activities.Coupon{Percent: in.Percent, Unavailable: "no Customer Segmentation API"}, nil
		})
	res := w.run(in)
	if res.Outcome != "completed" || w.sentSteps() != "second" || asked.Segment != "at-risk" {
		t.Fatalf("result %+v, sent %s, coupon asked %+v", res, w.sentSteps(), asked)
	}
	ds := queryDecisions(t, w.env)
	if ds[0].Step != "first" || ds[0].Decision != DecisionFailed || ds[0].Reason != "no Customer Segmentation API" {
		t.Fatalf("first decision %+v", ds[0])
	}
}
