package workflows

import (
	"errors"
	"strconv"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/config"
)

// This file holds the playbooks of customer segments: SegmentSync, the
// store's one long-lived push of membership changes (woken by nudges,
// which coalesce) that also starts the segment flows of the crossings;
// SegmentFlow, the sequence one crossing starts; and SegmentRecompute,
// the full (or time-only) evaluation of a store's segments.

// SegmentSyncResult is what a segment sync run did (it only ends by
// continuing as new).
type SegmentSyncResult struct {
	Pushes  int
	Started int
}

// segmentCrossingBatch is how many crossings one dispatch reads.
const segmentCrossingBatch = 50

// segmentStartRetry is how long a segment sync waits before it tries the
// crossings whose flows could not be started again.
const segmentStartRetry = time.Minute

// segmentPushOptions are for a push of membership changes: many requests
// to BigCommerce and Brevo, paced by the store's quota.
func segmentPushOptions() workflow.ActivityOptions {
	o := apiActivityOptions
	o.StartToCloseTimeout = 10 * time.Minute
	return o
}

// segmentRecomputeOptions are for the recompute of one segment: one
// set-based evaluation that heartbeats its progress.
func segmentRecomputeOptions() workflow.ActivityOptions {
	o := apiActivityOptions
	o.StartToCloseTimeout = 30 * time.Minute
	o.HeartbeatTimeout = 30 * time.Second
	return o
}

// segmentSync is a store's segment sync while it runs.
type segmentSync struct {
	*flowRun
	in SegmentSyncInput
	// pending: a nudge arrived that no push has covered yet.
	pending bool
	// retryAt is when crossings whose flows failed to start are tried
	// again (zero: none).
	retryAt time.Time
	res     SegmentSyncResult
	// bcUnavailable: the store's missing Segmentation API is recorded.
	bcUnavailable bool
}

// SegmentSync keeps a store's segment memberships pushed and its segment
// flows started, segments/{store}. Every membership change nudges it
// (signal segments-changed, sent with signal-with-start); nudges that
// arrive while it works coalesce into one more pass. A pass pushes pending
// changes to BigCommerce and Brevo until none is left, then starts the
// segment flows of the pending crossings (one child per matching
// segment_flows entry; ParentClosePolicy ABANDON, so they outlive this
// run; a flow already started for the crossing counts as started) and
// marks them. It waits for the next nudge without a timer and continues as
// new when its history fills, carrying a nudge not covered yet; it never
// completes otherwise.
func SegmentSync(ctx workflow.Context, in SegmentSyncInput) (SegmentSyncResult, error) {
	run, err := newFlowRun(ctx, FlowSegmentSync, in.StoreHash)
	if err != nil {
		return SegmentSyncResult{}, err
	}
	defer run.settle()
	run.counts = in.Carry.Signals
	// A fresh run was started by a nudge (or by hand: a pass costs little
	// when nothing is pending); a continued one does a pass when a nudge
	// was left uncovered.
	fresh := len(in.Carry.Signals) == 0
	s := &segmentSync{flowRun: run, in: in, pending: fresh || in.Carry.Pending,
		res: SegmentSyncResult{Pushes: in.Carry.Pushes, Started: in.Carry.Started}, bcUnavailable: in.Carry.BigCommerceUnavailable}
	run.on(SignalSegmentsChanged, func(ch workflow.ReceiveChannel) bool {
		ch.ReceiveAsync(nil)
		s.pending = true
		return true
	})
	run.drain()
	_ = workflow.UpsertTypedSearchAttributes(ctx, SearchStoreHash.ValueSet(in.StoreHash), SearchFlow.ValueSet(FlowSegmentSync))
	next := func() any {
		return SegmentSyncInput{StoreHash: in.StoreHash, Carry: SegmentSyncCarry{
			FlowCarry: FlowCarry{Signals: run.counts}, Pending: s.pending, Pushes: s.res.Pushes, Started: s.res.Started,
			BigCommerceUnavailable: s.bcUnavailable,
		}}
	}
	for {
		for s.pending {
			s.pending = false
			full, err := s.pushAll()
			if err == nil && !full {
				full, err = s.dispatchAll()
			}
			if err != nil {
				return s.res, err
			}
			if full {
				s.pending = true // the next run does the pass again
				return s.res, run.continueAsNew(SegmentSyncWorkflowName, next)
			}
		}
		if run.historyFull() {
			return s.res, run.continueAsNew(SegmentSyncWorkflowName, next)
		}
		if !s.retryAt.IsZero() {
			at := s.retryAt
			s.retryAt = time.Time{}
			if !run.sleepUntil(at, "retrying segment flows that did not start") {
				s.pending = true
			}
			continue
		}
		if err := workflow.Await(ctx, run.signalWaiting); err != nil {
			return s.res, err
		}
		run.drain()
	}
}

// pushAll pushes the store's pending membership changes until none is
// left; full reports that the history filled first.
func (s *segmentSync) pushAll() (full bool, err error) {
	var a *activities.Activities
	actx := workflow.WithActivityOptions(s.ctx, segmentPushOptions())
	for {
		var res activities.SegmentPushResult
		full, err := s.awaitActivity(actx, a.PushSegments, activities.SegmentStoreInput{StoreHash: s.in.StoreHash}, &res)
		if err != nil || full {
			return full, err
		}
		s.res.Pushes++
		s.noteBigCommerce(res.BigCommerceUnavailable)
		if !res.More {
			return false, nil
		}
		if s.historyFull() {
			return true, nil
		}
	}
}

// DecisionStepBigCommercePush is the decision-log step of SegmentSync's
// pushes to BigCommerce.
const DecisionStepBigCommercePush = "bigcommerce-push"

// ReasonNoSegmentationAPI is why a store's segments stay out of
// BigCommerce.
const ReasonNoSegmentationAPI = "the store has no Customer Segmentation API (Enterprise plans): segments are kept in bcflow and Brevo only"

// noteBigCommerce records, once while it lasts, that the store has no
// Segmentation API.
func (s *segmentSync) noteBigCommerce(unavailable bool) {
	if unavailable && !s.bcUnavailable {
		s.record(DecisionStepBigCommercePush, DecisionSkipped, ReasonNoSegmentationAPI, nil)
	}
	s.bcUnavailable = unavailable
}

// dispatchAll starts the segment flows of the pending crossings, batch by
// batch, and marks them; full reports that the history filled first.
func (s *segmentSync) dispatchAll() (full bool, err error) {
	var a *activities.Activities
	sctx := workflow.WithActivityOptions(s.ctx, storeActivityOptions)
	flows := map[int]config.FlowSet{}
	for {
		var cs []activities.SegmentCrossing
		if err := workflow.ExecuteActivity(sctx, a.SegmentCrossings, activities.SegmentStoreInput{
			StoreHash: s.in.StoreHash, Max: segmentCrossingBatch,
		}).Get(sctx, &cs); err != nil {
			return false, err
		}
		if len(cs) == 0 {
			return false, nil
		}
		done, err := s.dispatch(cs, flows)
		if err != nil {
			return false, err
		}
		if len(done) > 0 {
			if err := workflow.ExecuteActivity(sctx, a.MarkSegmentCrossings, activities.SegmentCrossingsInput{
				StoreHash: s.in.StoreHash, Crossings: done,
			}).Get(sctx, nil); err != nil {
				return false, err
			}
		}
		if len(done) < len(cs) {
			// Some flows did not start: they are tried again in a minute (the
			// crossings stay pending), the rest of the store goes on.
			s.retryAt = workflow.Now(s.ctx).Add(segmentStartRetry)
			return false, nil
		}
		if s.historyFull() {
			return true, nil
		}
	}
}

// segmentStart is one segment flow being started for a crossing.
type segmentStart struct {
	crossing int
	id       string
	fut      workflow.ChildWorkflowFuture
}

// dispatch starts the flows of a batch of crossings (the segment_flows
// entries of the shopper's channel whose segment and edge match) and
// returns the crossings that are done: every flow started, or already
// started for the crossing, or none configured.
func (s *segmentSync) dispatch(cs []activities.SegmentCrossing, flows map[int]config.FlowSet) ([]activities.SegmentCrossing, error) {
	var starts []segmentStart
	for i, c := range cs {
		fs, ok := flows[c.ChannelID]
		if !ok {
			var err error
			if fs, err = s.resolveFlows(c.ChannelID); err != nil {
				return nil, err
			}
			flows[c.ChannelID] = fs
		}
		for _, f := range fs.SegmentFlows {
			if f.Segment != c.Segment || segmentFlowEntered(f) != c.Entered || len(f.Sequence) == 0 {
				continue
			}
			id := SegmentFlowID(s.in.StoreHash, f.Name, c.ShopperKey(s.in.StoreHash), c.At())
			cctx := workflow.WithChildOptions(s.ctx, workflow.ChildWorkflowOptions{
				WorkflowID:            id,
				WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
				ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
				TypedSearchAttributes: temporal.NewSearchAttributes(segmentFlowAttributes(s.in.StoreHash, c.ChannelID, c.CustomerID)...),
			})
			fut := workflow.ExecuteChildWorkflow(cctx, SegmentFlowWorkflowName, SegmentFlowInput{
				StoreHash: s.in.StoreHash, Flow: f.Name, Segment: c.Segment, Entered: c.Entered, At: c.At(),
				CustomerID: c.CustomerID, Email: c.Email, ChannelID: c.ChannelID,
			})
			starts = append(starts, segmentStart{crossing: i, id: id, fut: fut})
		}
	}
	failed := make([]bool, len(cs))
	for _, st := range starts {
		var exec workflow.Execution
		err := st.fut.GetChildWorkflowExecution().Get(s.ctx, &exec)
		var dup *temporal.ChildWorkflowExecutionAlreadyStartedError
		var started *serviceerror.WorkflowExecutionAlreadyStarted // as the SDK's test server says it
		switch {
		case errors.As(err, &dup), errors.As(err, &started):
		case err != nil:
			workflow.GetLogger(s.ctx).Warn("segment flow not started", "workflow_id", st.id, "error", err)
			failed[st.crossing] = true
		default:
			s.res.Started++
		}
	}
	var done []activities.SegmentCrossing
	for i, c := range cs {
		if !failed[i] {
			done = append(done, c)
		}
	}
	return done, nil
}

// segmentFlowEntered reports whether a segment flow starts on entries (the
// default) rather than exits.
func segmentFlowEntered(f config.SegmentFlow) bool { return f.On != config.SegmentLeave }

// segmentFlowAttributes are a segment flow's search attributes: no email.
func segmentFlowAttributes(storeHash string, channelID int, customerID int64) []temporal.SearchAttributeUpdate {
	return []temporal.SearchAttributeUpdate{
		SearchStoreHash.ValueSet(storeHash),
		SearchFlow.ValueSet(FlowSegment),
		SearchChannelID.ValueSet(int64(channelID)),
		SearchCustomerID.ValueSet(strconv.FormatInt(customerID, 10)),
	}
}

// SegmentFlowResult is how a segment flow ended.
type SegmentFlowResult struct {
	// Outcome is "completed", "exited" or "disabled" (the flow is no
	// longer in the flows file).
	Outcome    string
	ExitReason string `json:",omitempty"`
	// Sent are the steps that went out, in order.
	Sent []string `json:",omitempty"`
}

// segmentFlow is one segment flow while it runs.
type segmentFlow struct {
	*flowRun
	in      SegmentFlowInput
	def     config.SegmentFlow
	flows   config.FlowSet
	shopper activities.Shopper
	exit    string
	sent    []string
}

// SegmentFlow sends the sequence of a segment_flows entry after one
// crossing of one shopper (segment-flow/{store}/{flow}/{shopper}/{at}),
// each step its delay after the crossing, through the shared send path
// (quiet hours, caps, consent, coupons, exactly-once). Before every step it
// re-checks the crossing: a flow started by an entry exits when that stint
// ended (left segment), one started by an exit when the shopper entered
// again (re-entered segment); then it reloads the shopper for consent. An
// unsubscribe ends it too.
func SegmentFlow(ctx workflow.Context, in SegmentFlowInput) (SegmentFlowResult, error) {
	run, err := newFlowRun(ctx, FlowSegment, in.StoreHash)
	if err != nil {
		return SegmentFlowResult{}, err
	}
	defer run.settle()
	f := &segmentFlow{flowRun: run, in: in, shopper: activities.Shopper{CustomerID: in.CustomerID, Email: in.Email}}
	f.identify()
	f.on(SignalUnsubscribed, func(ch workflow.ReceiveChannel) bool {
		ch.ReceiveAsync(nil)
		f.exit = ExitUnsubscribed
		return true
	})
	f.drain()
	if f.flows, err = f.resolveFlows(in.ChannelID); err != nil {
		return SegmentFlowResult{}, err
	}
	found := false
	for _, d := range f.flows.SegmentFlows {
		if d.Name == in.Flow && d.Segment == in.Segment && segmentFlowEntered(d) == in.Entered {
			f.def, found = d, true
		}
	}
	if !found || len(f.def.Sequence) == 0 {
		f.record("", DecisionSkipped, "segment flow "+in.Flow+" is no longer in the flows file", f.details())
		return SegmentFlowResult{Outcome: "disabled"}, nil
	}
	start := in.At
	if start.IsZero() {
		start = workflow.Now(ctx)
	}
	var prev *config.Step
	var prevRanAt time.Time
	for i, step := range f.def.Sequence {
		due := start.Add(step.Delay.Std())
		if prev != nil {
			// After quiet hours, steps go out spaced as the flow spaces them.
			due = spacedDue(due, prevRanAt, step.Delay.Std()-prev.Delay.Std())
		}
		prev = &f.def.Sequence[i]
		if f.exit != "" || f.sleepUntil(due, "step "+step.Name) && f.exit != "" {
			return f.exited(f.exit)
		}
		res, err := f.runStep(step)
		if err != nil {
			return SegmentFlowResult{}, err
		}
		prevRanAt = workflow.Now(ctx)
		switch {
		case res.exitReason == exitBySignal:
			return f.exited(f.exit)
		case res.exitReason != "":
			return f.exited(res.exitReason)
		case res.sent:
			f.sent = append(f.sent, step.Name)
		}
	}
	f.record("", DecisionCompleted, "segment flow ran", f.details())
	return SegmentFlowResult{Outcome: "completed", Sent: f.sent}, nil
}

// identify keys the flow's decisions to the shopper from the first one and
// puts who it is on the workflow, without the email.
func (f *segmentFlow) identify() {
	f.customerKey = f.shopper.CustomerKey()
	f.email = lowerASCII(f.in.Email)
	f.identified = f.customerKey
	_ = workflow.UpsertTypedSearchAttributes(f.ctx, segmentFlowAttributes(f.in.StoreHash, f.in.ChannelID, f.in.CustomerID)...)
}

// details are what every decision of the flow carries.
func (f *segmentFlow) details() map[string]any {
	edge := config.SegmentEnter
	if !f.in.Entered {
		edge = config.SegmentLeave
	}
	return map[string]any{"segment": f.in.Segment, "segment_flow": f.in.Flow, "on": string(edge)}
}

// runStep re-checks the crossing and sends one step (or tracks its event).
func (f *segmentFlow) runStep(step config.Step) (sendResult, error) {
	if step.Channel == "" && step.Template.IsZero() {
		reason, sh, err := f.recheck()
		if err != nil || reason != "" {
			return sendResult{exitReason: reason}, err
		}
		if step.Event == "" {
			return sendResult{}, nil
		}
		return f.trackStepEvent(step, sh)
	}
	res, err := f.deliver(sendPlan{
		step: step, shopper: f.shopper, channelID: f.in.ChannelID, flows: f.flows,
		tags:    []string{"bcflow", "segment-flow", f.in.Flow, step.Name},
		recheck: f.recheck,
		params:  f.params,
	})
	if err != nil || !res.sent || step.Event == "" {
		return res, err
	}
	if _, err := f.trackStepEvent(step, f.shopper); err != nil {
		f.record(step.Name, DecisionSkipped, "event "+step.Event+" failed: "+err.Error(), nil)
	}
	return res, nil
}

// recheck says whether the crossing still holds (else why the flow exits)
// and reloads the shopper.
func (f *segmentFlow) recheck() (string, activities.Shopper, error) {
	var a *activities.Activities
	var m activities.SegmentMembership
	sctx := workflow.WithActivityOptions(f.ctx, storeActivityOptions)
	if err := workflow.ExecuteActivity(sctx, a.CheckSegmentMembership, activities.SegmentMembershipInput{
		StoreHash: f.in.StoreHash, Segment: f.in.Segment, Email: f.in.Email, Entered: f.in.Entered, At: f.in.At,
	}).Get(sctx, &m); err != nil {
		return "", f.shopper, err
	}
	if !m.Holds {
		return m.Reason, f.shopper, nil
	}
	var s activities.Shopper
	actx := workflow.WithActivityOptions(f.ctx, apiActivityOptions)
	if err := workflow.ExecuteActivity(actx, a.LoadSegmentShopper, activities.SegmentShopperInput{
		StoreHash: f.in.StoreHash, ChannelID: f.in.ChannelID, CustomerID: f.in.CustomerID, Email: f.in.Email,
	}).Get(actx, &s); err != nil {
		return "", f.shopper, err
	}
	f.shopper = s
	return "", s, nil
}

// params are the template parameters of a segment flow's message.
func (f *segmentFlow) params() map[string]any {
	return map[string]any{
		"FirstName": f.shopper.FirstName, "LastName": f.shopper.LastName,
		"Segment": f.in.Segment, "SegmentFlow": f.in.Flow,
	}
}

// trackStepEvent tracks a step's own event, once per flow and step.
func (f *segmentFlow) trackStepEvent(step config.Step, sh activities.Shopper) (sendResult, error) {
	if sh.Email == "" && sh.Phone == "" {
		f.record(step.Name, DecisionSkipped, "event "+step.Event+": no email or phone", nil)
		return sendResult{skipped: "no email or phone"}, nil
	}
	var a *activities.Activities
	ctx := workflow.WithActivityOptions(f.ctx, apiActivityOptions)
	props := map[string]any{"store_hash": f.in.StoreHash, "segment": f.in.Segment, "segment_flow": f.in.Flow,
		"customer_id": f.in.CustomerID, "step": step.Name}
	err := workflow.ExecuteActivity(ctx, a.TrackEvent, activities.EventInput{
		StoreHash: f.in.StoreHash, Name: step.Event, Email: sh.Email, Phone: sh.Phone, Properties: props, At: workflow.Now(f.ctx),
		Key: workflow.GetInfo(f.ctx).WorkflowExecution.ID + "/" + step.Name + "/" + step.Event,
	}).Get(ctx, nil)
	if err != nil {
		return sendResult{}, err
	}
	f.record(step.Name, DecisionSent, "event "+step.Event, nil)
	return sendResult{sent: true}, nil
}

// exited records why the flow ended early.
func (f *segmentFlow) exited(reason string) (SegmentFlowResult, error) {
	f.record("", DecisionExited, reason, f.details())
	return SegmentFlowResult{Outcome: "exited", ExitReason: reason, Sent: f.sent}, nil
}

// SegmentRecompute recomputes a store's segments, segments-recompute/{store}:
// the one named, or all of them (those the flows file defines, and those
// left from removed definitions, whose members leave), or with TimeOnly
// only the time-based ones for the shoppers whose dates can have crossed a
// bound since the last run of all (the daily schedule). Each pass is one
// activity (a pass over all segments is one engine run, which keeps the
// time of the last run of all); the activity heartbeats its progress
// (activities.SegmentProgress: the segment under way, done and total
// segments), which a Describe of the workflow shows among its pending
// activities. The passes are the query segments-progress and the memo
// segments_progress. At the end of each pass it nudges the store's
// SegmentSync. A request that arrives meanwhile (signal segments-recompute)
// runs as one more pass; requests coalesce.
func SegmentRecompute(ctx workflow.Context, in SegmentRecomputeInput) (SegmentRecomputeProgress, error) {
	run, err := newFlowRun(ctx, FlowSegmentRecompute, in.StoreHash)
	if err != nil {
		return SegmentRecomputeProgress{}, err
	}
	defer run.settle()
	var progress SegmentRecomputeProgress
	var requested *SegmentRecomputeRequest
	if err := workflow.SetQueryHandler(ctx, QuerySegmentsProgress, func() (SegmentRecomputeProgress, error) { return progress, nil }); err != nil {
		return progress, err
	}
	run.on(SignalSegmentsRecompute, func(ch workflow.ReceiveChannel) bool {
		var req SegmentRecomputeRequest
		ch.ReceiveAsync(&req)
		requested = mergeRecompute(requested, req)
		return false
	})
	if k := in.Carry; k != nil {
		run.counts, progress, requested = k.Signals, k.Progress, k.Requested
		run.drain()
	} else {
		run.drain() // the request that started this run, if signalled
		if requested != nil && recomputeCovers(SegmentRecomputeRequest{Segment: in.Segment, TimeOnly: in.TimeOnly}, *requested) {
			requested = nil
		}
		progress = newRecomputePass(ctx, in.StoreHash, SegmentRecomputeRequest{Segment: in.Segment, TimeOnly: in.TimeOnly}, 1)
	}
	_ = workflow.UpsertTypedSearchAttributes(ctx, SearchStoreHash.ValueSet(in.StoreHash), SearchFlow.ValueSet(FlowSegmentRecompute))
	next := func() any {
		return SegmentRecomputeInput{StoreHash: in.StoreHash, Segment: in.Segment, TimeOnly: in.TimeOnly,
			Carry: &SegmentRecomputeCarry{FlowCarry: FlowCarry{Signals: run.counts}, Progress: progress, Requested: requested}}
	}
	var a *activities.Activities
	sctx := workflow.WithActivityOptions(ctx, storeActivityOptions)
	rctx := workflow.WithActivityOptions(ctx, segmentRecomputeOptions())
	for {
		publishRecompute(ctx, progress)
		for i := range progress.Segments {
			st := &progress.Segments[i]
			if st.Done {
				continue
			}
			var res activities.SegmentRecomputeResult
			full, err := run.awaitActivity(rctx, a.RecomputeSegment, activities.SegmentRecomputeInput{
				StoreHash: in.StoreHash, Segment: st.Segment, TimeOnly: progress.TimeOnly,
			}, &res)
			if err != nil {
				return progress, err
			}
			if full {
				return progress, run.continueAsNew(SegmentRecomputeWorkflowName, next)
			}
			st.Done, st.Result = true, res
			publishRecompute(ctx, progress)
		}
		progress.Status = SyncStatusCompleted
		publishRecompute(ctx, progress)
		if err := workflow.ExecuteActivity(sctx, a.NudgeSegmentSync, activities.SegmentStoreInput{StoreHash: in.StoreHash}).
			Get(sctx, nil); err != nil {
			return progress, err
		}
		run.drain()
		if requested == nil {
			return progress, nil
		}
		if run.historyFull() {
			return progress, run.continueAsNew(SegmentRecomputeWorkflowName, next)
		}
		req := *requested
		requested = nil
		progress = newRecomputePass(ctx, in.StoreHash, req, progress.Passes+1)
	}
}

// newRecomputePass is the progress of a pass about to run: one step, for
// the segment asked for ("" = all of them, in one engine run).
func newRecomputePass(ctx workflow.Context, storeHash string, req SegmentRecomputeRequest, pass int) SegmentRecomputeProgress {
	return SegmentRecomputeProgress{StoreHash: storeHash, Segment: req.Segment, TimeOnly: req.TimeOnly,
		Status: SyncStatusRunning, StartedAt: workflow.Now(ctx), Passes: pass,
		Segments: []SegmentRecomputeStep{{Segment: req.Segment}}}
}

// mergeRecompute coalesces a recompute request into the one pending: two
// different segments make a recompute of all, and the pass is time-only
// only when every request is.
func mergeRecompute(pending *SegmentRecomputeRequest, req SegmentRecomputeRequest) *SegmentRecomputeRequest {
	if pending == nil {
		return &req
	}
	out := *pending
	if out.Segment != req.Segment {
		out.Segment = ""
	}
	out.TimeOnly = out.TimeOnly && req.TimeOnly
	return &out
}

// recomputeCovers reports whether a pass of have does all that want asks.
func recomputeCovers(have, want SegmentRecomputeRequest) bool {
	return (have.Segment == "" || have.Segment == want.Segment) && (!have.TimeOnly || want.TimeOnly)
}

// publishRecompute puts a recompute's progress on the workflow's memo.
func publishRecompute(ctx workflow.Context, p SegmentRecomputeProgress) {
	what := "all segments"
	if p.Segment != "" {
		what = "segment " + p.Segment
	}
	if p.TimeOnly {
		what += " (time-based)"
	}
	memo := "pass " + strconv.Itoa(p.Passes) + ", " + what + ": " + p.Status
	if err := workflow.UpsertMemo(ctx, map[string]any{"segments_progress": memo}); err != nil {
		workflow.GetLogger(ctx).Warn("segments progress memo not updated", "error", err)
	}
}
