package workflows

import (
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/config"
)

// This file is the machinery every flow runs on: its signals (handlers that
// update the flow's state, read before every decision and drained before
// the run ends), its waits (timers that a signal can interrupt, signals
// first), the decision log (in the store and as a query), the bounded
// history (continue-as-new), the activity retry policies and what every
// flow reads (its flows, its order, its shopper). Each flow's own file holds
// only its playbook; sequence.go holds the send path.

// QueryDecisions is the query that returns a flow's decision log, newest
// last; the Temporal UI's Queries tab shows it.
const QueryDecisions = "decisions"

// QuerySignals is the query that returns how many signals of each name a
// flow has handled since its first run (continue-as-new carries the count).
const QuerySignals = "signals"

// DecisionEntry is one line of a flow's decision log. It has the JSON shape
// of the timeline API's decisions.
type DecisionEntry struct {
	At         time.Time      `json:"at"`
	Flow       string         `json:"flow"`
	WorkflowID string         `json:"workflow_id"`
	Step       string         `json:"step,omitempty"`
	Decision   string         `json:"decision"`
	Reason     string         `json:"reason,omitempty"`
	Details    map[string]any `json:"details,omitempty"`
}

// maxQueryDecisions bounds the in-memory log served by QueryDecisions; the
// store keeps all of them.
const maxQueryDecisions = 200

// historyBudget is the number of history events after which a long-lived
// or signal-driven flow continues as new, well under Temporal's 4 096-event
// warning (and sooner when Temporal suggests it).
const historyBudget = 1500

// durableChange is the workflow.GetVersion change id of the machinery's
// command changes; runs recorded before it keep their commands.
const durableChange = "durable"

const (
	// durableVersionSignalsFirst: a wait reads every delivered signal before
	// it looks at its timer (a signal and a timer ready together: the signal
	// wins), flows identify their shopper before their first decision, and
	// flows resolve their settings for their own channel.
	durableVersionSignalsFirst workflow.Version = 1
	durableVersionLatest                        = durableVersionSignalsFirst
)

// flowRun is one running flow's shared state.
type flowRun struct {
	ctx         workflow.Context
	flow        string
	storeHash   string
	customerKey string
	// email is the shopper's email once known; decisions carry it.
	email string
	// channelID is the BigCommerce channel (storefront) the flow is about,
	// once the flow knows it (0: unknown, the whole store); decisions carry
	// it.
	channelID int
	// identified is the shopper key identifyShopper last put on the
	// workflow's search attributes.
	identified string
	decisions  []DecisionEntry
	// handlers are the flow's signals, in the order registered.
	handlers []*signalHandler
	// counts are the signals handled per name, carried across runs.
	counts []SignalCount
	// version is the run's GetVersion of durableChange.
	version workflow.Version
}

// signalHandler is a signal channel and what receiving it means: handle
// reads one signal from the channel (ReceiveAsync), updates the flow's
// state and reports whether the current wait must end.
type signalHandler struct {
	name   string
	ch     workflow.ReceiveChannel
	handle func(c workflow.ReceiveChannel) (stop bool)
}

// SignalCount is how many signals of one name a flow handled.
type SignalCount struct {
	Name  string
	Count int64
}

func newFlowRun(ctx workflow.Context, flow, storeHash string) (*flowRun, error) {
	f := &flowRun{ctx: ctx, flow: flow, storeHash: storeHash}
	f.version = workflow.GetVersion(ctx, durableChange, workflow.DefaultVersion, durableVersionLatest)
	if err := workflow.SetQueryHandler(ctx, QueryDecisions, func() ([]DecisionEntry, error) {
		if f.decisions == nil {
			return []DecisionEntry{}, nil
		}
		return f.decisions, nil
	}); err != nil {
		return nil, err
	}
	if err := workflow.SetQueryHandler(ctx, QuerySignals, func() ([]SignalCount, error) { return f.counts, nil }); err != nil {
		return nil, err
	}
	return f, nil
}

// durable reports whether this run has the machinery of
// durableVersionSignalsFirst.
func (f *flowRun) durable() bool { return f.version >= durableVersionSignalsFirst }

// on registers what a signal means to the flow.
func (f *flowRun) on(name string, handle func(c workflow.ReceiveChannel) bool) {
	f.handlers = append(f.handlers, &signalHandler{name: name, ch: workflow.GetSignalChannel(f.ctx, name), handle: handle})
}

// count adds one handled signal of name to the carried counts.
func (f *flowRun) count(name string) {
	for i := range f.counts {
		if f.counts[i].Name == name {
			f.counts[i].Count++
			return
		}
	}
	f.counts = append(f.counts, SignalCount{Name: name, Count: 1})
}

// drain handles every signal already delivered, without waiting; it
// reports whether one of them asked the current wait to stop.
func (f *flowRun) drain() (stopped bool) {
	for _, h := range f.handlers {
		for h.ch.Len() > 0 {
			f.count(h.name)
			if h.handle(h.ch) {
				stopped = true
			}
		}
	}
	return stopped
}

// lateSignalChange is the workflow.GetVersion change id under which a flow
// acts on a signal that arrived while it wrote its last decision (a refund
// during a loyalty award's "refund horizon passed"); runs recorded before
// it only logged such a signal (settle).
const lateSignalChange = "late-signal"

// lateSignal reads the flow's signals delivered since its last look (while
// it wrote its last decision) and reports whether one of them asked the
// flow to act and the run acts on late signals (lateSignalChange). A flow
// calls it after its last decision, acts, and calls it again until it
// reports false.
func (f *flowRun) lateSignal() bool {
	if !f.drain() {
		return false
	}
	return workflow.GetVersion(f.ctx, lateSignalChange, workflow.DefaultVersion, 1) >= 1
}

// settle is deferred by every flow: it drains the flow's own signals and
// reads any other signal of bcflow's contract sent to it (an order's hub
// forwards every order signal to every child), so no run ever completes with
// a signal unread. Each flow drains and acts on its signals before its last
// decision, and a flow whose last decision a signal can still change acts
// on what arrived meanwhile (lateSignal); what settle still finds changes
// nothing for the flow, and is logged.
func (f *flowRun) settle() {
	if f.drain() {
		workflow.GetLogger(f.ctx).Info("signal arrived as the flow completed", "flow", f.flow)
	}
	f.dropUnused()
}

// dropUnused reads the signals of bcflow's contract the flow has no
// handler for: they mean nothing to it.
func (f *flowRun) dropUnused() {
	for _, name := range contractSignals {
		if f.handles(name) {
			continue
		}
		ch := workflow.GetSignalChannel(f.ctx, name)
		for ch.ReceiveAsync(nil) {
			f.count(name)
			workflow.GetLogger(f.ctx).Debug("signal not used by this flow", "flow", f.flow, "signal", name)
		}
	}
}

// signalWaiting reports whether one of the flow's signals is delivered and
// not handled yet.
func (f *flowRun) signalWaiting() bool {
	for _, h := range f.handlers {
		if h.ch.Len() > 0 {
			return true
		}
	}
	return false
}

// handles reports whether the flow registered a handler for name.
func (f *flowRun) handles(name string) bool {
	for _, h := range f.handlers {
		if h.name == name {
			return true
		}
	}
	return false
}

// sleepUntil waits until t (workflow time) unless a signal handler asks to
// stop; it reports whether a signal stopped the wait. Signals delivered
// before or together with the timer are handled first: a cart converted in
// the same second its next step fell due is not chased.
func (f *flowRun) sleepUntil(t time.Time, summary string) (stopped bool) {
	if !f.durable() {
		return f.sleepUntilTimerFirst(t, summary)
	}
	stopped, _ = f.sleep(t, summary, false)
	return stopped
}

// sleepOrContinue is sleepUntil for a wait the flow can continue as new
// from: it also ends, with full true, when the run's history is full
// (signals that do not stop the wait still add to it).
func (f *flowRun) sleepOrContinue(t time.Time, summary string) (stopped, full bool) {
	if !f.durable() {
		return f.sleepUntilTimerFirst(t, summary), false
	}
	return f.sleep(t, summary, true)
}

// sleep is the wait of sleepUntil and sleepOrContinue: one timer for the
// whole wait, every wake-up reads all delivered signals first.
func (f *flowRun) sleep(t time.Time, summary string, watchHistory bool) (stopped, full bool) {
	if f.drain() {
		return true, false
	}
	d := t.Sub(workflow.Now(f.ctx))
	if d <= 0 {
		return false, false
	}
	timerCtx, cancel := workflow.WithCancel(f.ctx)
	timer := workflow.NewTimerWithOptions(timerCtx, d, workflow.TimerOptions{Summary: summary})
	for {
		fired := false
		sel := workflow.NewSelector(f.ctx)
		sel.AddFuture(timer, func(workflow.Future) { fired = true })
		for _, h := range f.handlers {
			// The wake-up only: the drain below reads the signal.
			sel.AddReceive(h.ch, func(workflow.ReceiveChannel, bool) {})
		}
		sel.Select(f.ctx)
		if f.drain() {
			if !fired {
				cancel()
			}
			return true, false
		}
		if fired {
			return false, false
		}
		if watchHistory && f.historyFull() {
			cancel()
			return false, true
		}
	}
}

// sleepUntilTimerFirst is sleepUntil as runs recorded before
// durableVersionSignalsFirst waited: one signal per wake-up, the timer
// first when both were ready.
func (f *flowRun) sleepUntilTimerFirst(t time.Time, summary string) (stopped bool) {
	for {
		d := t.Sub(workflow.Now(f.ctx))
		if d <= 0 {
			return false
		}
		timerCtx, cancel := workflow.WithCancel(f.ctx)
		timer := workflow.NewTimerWithOptions(timerCtx, d, workflow.TimerOptions{Summary: summary})
		fired, stop := false, false
		sel := workflow.NewSelector(f.ctx)
		sel.AddFuture(timer, func(workflow.Future) { fired = true })
		for _, h := range f.handlers {
			sel.AddReceive(h.ch, func(c workflow.ReceiveChannel, _ bool) {
				f.count(h.name)
				stop = h.handle(c)
			})
		}
		sel.Select(f.ctx)
		if !fired {
			cancel()
		}
		if stop {
			return true
		}
		if fired {
			return false
		}
	}
}

// waitForSignal waits up to max for a signal handler to stop the wait.
func (f *flowRun) waitForSignal(max time.Duration, summary string) (stopped bool) {
	return f.sleepUntil(workflow.Now(f.ctx).Add(max), summary)
}

// awaitActivity runs an activity and waits for its result while handling
// the flow's signals as they arrive. When the run's history fills
// meanwhile (a storm of signals while the activity is slow), it cancels
// the activity and reports full: the caller continues as new and does the
// work again there, so the activity must be idempotent.
func (f *flowRun) awaitActivity(ctx workflow.Context, activity any, input any, out any) (full bool, err error) {
	actx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	fut := workflow.ExecuteActivity(actx, activity, input)
	for !fut.IsReady() {
		sel := workflow.NewSelector(f.ctx)
		sel.AddFuture(fut, func(workflow.Future) {})
		for _, h := range f.handlers {
			sel.AddReceive(h.ch, func(workflow.ReceiveChannel, bool) {}) // the wake-up only: drain reads it
		}
		sel.Select(f.ctx)
		f.drain()
		if !fut.IsReady() && f.historyFull() {
			return true, nil
		}
	}
	return false, fut.Get(actx, out)
}

// historyFull reports whether the run should continue as new: Temporal
// suggests it, or the history passed historyBudget events.
func (f *flowRun) historyFull() bool {
	info := workflow.GetInfo(f.ctx)
	return info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() >= historyBudget
}

// continueAsNew ends the run and starts the next with input, after reading
// every signal delivered so far into the flow's state (which input
// carries).
func (f *flowRun) continueAsNew(workflowName string, input func() any) error {
	f.drain()
	f.dropUnused()
	workflow.GetLogger(f.ctx).Info("continuing as new", "flow", f.flow, "history_length", workflow.GetInfo(f.ctx).GetCurrentHistoryLength())
	return workflow.NewContinueAsNewError(f.ctx, workflowName, input())
}

// record appends a decision to the log: in memory for the query and in the
// store (idempotently) for the customer timeline API.
func (f *flowRun) record(step, decision, reason string, details map[string]any) {
	f.recordDecision(decisionLine{step: step, decision: decision, reason: reason, details: details})
}

// decisionLine is one decision to record, with what only some decisions
// have: an amount and a dedupe key of their own.
type decisionLine struct {
	step, decision, reason string
	details                map[string]any
	// amount is a decimal string ("123.45"), the money the decision is
	// about (an order's total), or "".
	amount string
	// dedupeKey makes the decision once per key whatever its time and run
	// (activities.DecisionInput.DedupeKey), or "".
	dedupeKey string
}

// recordDecision is record with an amount and a dedupe key.
func (f *flowRun) recordDecision(d decisionLine) {
	at := workflow.Now(f.ctx)
	wfID := workflow.GetInfo(f.ctx).WorkflowExecution.ID
	f.decisions = append(f.decisions, DecisionEntry{At: at, Flow: f.flow, WorkflowID: wfID,
		Step: d.step, Decision: d.decision, Reason: d.reason, Details: d.details})
	if len(f.decisions) > maxQueryDecisions {
		f.decisions = f.decisions[len(f.decisions)-maxQueryDecisions:]
	}
	var a *activities.Activities
	ctx := workflow.WithActivityOptions(f.ctx, storeActivityOptions)
	err := workflow.ExecuteActivity(ctx, a.RecordDecision, activities.DecisionInput{
		StoreHash: f.storeHash, CustomerKey: f.customerKey, Email: f.email, WorkflowID: wfID, ChannelID: int64(f.channelID),
		Flow: f.flow, Step: d.step, Decision: d.decision, Reason: d.reason, Details: d.details, At: at,
		Amount: d.amount, DedupeKey: d.dedupeKey,
	}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(f.ctx).Warn("decision log write failed", "step", d.step, "decision", d.decision, "error", err)
	}
}

// Activity retry policies. Transient failures (network, 5xx, 429, the
// database unavailable) retry until the dependency is back, with capped
// backoff: no attempt limit, no schedule-to-close deadline. Only what can
// never succeed is non-retryable (activities.ErrTypeInvalid: validation, a
// 4xx other than 408/409/429). The worker logs and counts every failed
// attempt (worker.RetryInterceptor), so an outage shows.
var (
	// storeActivityOptions are for quick database activities.
	storeActivityOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        time.Minute,
			NonRetryableErrorTypes: []string{activities.ErrTypeInvalid},
		},
	}
	// apiActivityOptions are for calls to BigCommerce and the messaging
	// provider, which also retry rate limits and 5xx themselves.
	apiActivityOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        5 * time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        10 * time.Minute,
			NonRetryableErrorTypes: []string{activities.ErrTypeInvalid},
		},
	}
)

// SetRetryCap caps the interval between activity retries (default: one
// minute for the store, ten for APIs). The worker sets it once at start
// from BCFLOW_RETRY_MAX_INTERVAL, before any workflow runs; tests of
// outages use a short cap so hours of outage pass in seconds. Retry
// policies are not part of a replay's determinism check.
func SetRetryCap(max time.Duration) {
	if max <= 0 {
		return
	}
	for _, o := range []*workflow.ActivityOptions{&storeActivityOptions, &apiActivityOptions} {
		p := *o.RetryPolicy
		p.MaximumInterval = max
		if p.InitialInterval > max {
			p.InitialInterval = max
		}
		o.RetryPolicy = &p
	}
}

// newOrderChildRun is newFlowRun for a child flow of an order's hub: the
// shopper the hub knew keys the decisions from the first one (waiting,
// skipped, exited), so they are in the customer's timeline.
func newOrderChildRun(ctx workflow.Context, flow string, in OrderChildInput) (*flowRun, error) {
	run, err := newFlowRun(ctx, flow, in.StoreHash)
	if err != nil {
		return nil, err
	}
	run.customerKey, run.channelID = in.CustomerKey, in.ChannelID
	return run, nil
}

// resolveFlows reads the flows of a store's channel.
func (f *flowRun) resolveFlows(channelID int) (config.FlowSet, error) {
	var a *activities.Activities
	var flows config.FlowSet
	ctx := workflow.WithActivityOptions(f.ctx, storeActivityOptions)
	err := workflow.ExecuteActivity(ctx, a.ResolveFlows, activities.FlowsInput{StoreHash: f.storeHash, ChannelID: channelID}).Get(ctx, &flows)
	return flows, err
}

// loadOrderSnapshot reads an order with its lines and shopper, and its
// shipments when asked.
func (f *flowRun) loadOrderSnapshot(orderID int64, withShipments bool) (activities.OrderSnapshot, error) {
	var a *activities.Activities
	var o activities.OrderSnapshot
	ctx := workflow.WithActivityOptions(f.ctx, apiActivityOptions)
	err := workflow.ExecuteActivity(ctx, a.LoadOrder, activities.OrderInput{StoreHash: f.storeHash, OrderID: orderID,
		WithDetails: true, WithShipments: withShipments}).Get(ctx, &o)
	return o, err
}

// identifyShopper puts the order's shopper on the workflow (Temporal UI, the
// unsubscribe fan-out) and on the decision log, when it is a shopper this
// run did not identify yet.
func (f *flowRun) identifyShopper(flow string, orderID int64, channelID int, s activities.Shopper) {
	if channelID > 0 {
		f.channelID = channelID
	}
	key := s.CustomerKey()
	if key == "" || key == f.identified {
		return
	}
	f.identifyOrder(flow, orderID, channelID, s)
}

// identifyOrder puts the order (store, flow, order id, channel) and its
// shopper, when known, on the workflow and the shopper on the decision log,
// whoever the run identified before.
func (f *flowRun) identifyOrder(flow string, orderID int64, channelID int, s activities.Shopper) {
	if channelID > 0 {
		f.channelID = channelID
	}
	if key := s.CustomerKey(); key != "" {
		f.customerKey, f.identified, f.email = key, key, lowerASCII(s.Email)
	}
	attrs := append([]temporal.SearchAttributeUpdate{
		SearchStoreHash.ValueSet(f.storeHash),
		SearchFlow.ValueSet(flow),
		SearchOrderID.ValueSet(strconv.FormatInt(orderID, 10)),
		SearchChannelID.ValueSet(int64(channelID)),
		SearchCustomerEmail.ValueSet(lowerASCII(s.Email)),
	}, customerIDAttributes(s.CustomerID)...)
	_ = workflow.UpsertTypedSearchAttributes(f.ctx, attrs...)
}

// spacedDue is when a step of a sequence is due: at its own time, but no
// sooner than its delay after the previous step's (gap) past the moment the
// previous step really went out. Steps that fell due during quiet hours
// then go out in order, spaced as the playbook spaces them, not all in the
// second the quiet hours end.
func spacedDue(due, prevSentAt time.Time, gap time.Duration) time.Time {
	if prevSentAt.IsZero() || gap <= 0 {
		return due
	}
	if spaced := prevSentAt.Add(gap); spaced.After(due) {
		return spaced
	}
	return due
}
