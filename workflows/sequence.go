package workflows

import (
	"crypto/sha1"
	"encoding/hex"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/config"
)

// This file is the machinery every flow shares: waiting on timers that
// signals can interrupt, the decision log (in the store and as a query),
// and the send loop (quiet hours and frequency caps defer, a re-check before
// every send, exactly-once delivery). Flows read like the playbook and call
// into it.

// Decisions recorded in the log.
const (
	DecisionSent      = "sent"
	DecisionSkipped   = "skipped"
	DecisionDeferred  = "deferred"
	DecisionExited    = "exited"
	DecisionWaiting   = "waiting"
	DecisionRecovered = "recovered"
	DecisionCompleted = "completed"
)

// sendPlan is one message a flow wants delivered.
type sendPlan struct {
	step    config.Step
	shopper activities.Shopper
	// channelID is the storefront the message is about (0 if unknown).
	channelID int
	// params builds the template parameters after the last re-check.
	params func() map[string]any
	tags   []string
	flows  config.FlowSet
	// recheck re-reads the truth right before each send attempt; a non-empty
	// exit reason cancels the send and ends the flow.
	recheck func() (exitReason string, shopper activities.Shopper, err error)
	// unusable, after the re-check, names why the message cannot go out as
	// the shopper would need it (a link that cannot be made absolute): the
	// step is skipped with that reason, the flow goes on.
	unusable func() string
}

// exitBySignal is sendResult.exitReason when a signal (whose handler set
// the flow's own state) interrupted a deferral.
const exitBySignal = "signal"

// Decisions deliver records besides DecisionSent and DecisionSkipped.
const (
	// DecisionFailed: the message could not go out as it stands (the
	// provider refused the recipient, or the template does not render);
	// the reason says why. The step is skipped and the flow goes on.
	DecisionFailed = "failed"
	// DecisionUnknown: an SMS or WhatsApp request left and its answer was
	// lost; it may or may not have reached the shopper. It is never sent
	// again and does not count as sent (attribution, steps sent).
	DecisionUnknown = "unknown"
)

// sendResult says how a sendPlan ended: at most one of its fields is set.
type sendResult struct {
	sent       bool   // the provider accepted the message (now or in an earlier attempt)
	exitReason string // set when the recheck or a signal ended the flow
	skipped    string // set when the step was skipped (no consent, suppressed)
	failed     string // set when the message was refused (DecisionFailed), with the reason
	unknown    bool   // set when an SMS or WhatsApp may or may not have gone out (DecisionUnknown)
}

// sendUncertainLegacy is the SendMessage status that meant "unknown"
// before SendUnknown. Histories recorded then counted it as sent; replaying
// them must too.
const sendUncertainLegacy = "uncertain"

// deliver runs one step's send: it re-checks, defers for quiet hours and
// frequency caps (never dropping the step), checks consent, and sends exactly
// once. A signal that stops a deferral wait returns exitBySignal.
func (f *flowRun) deliver(p sendPlan) (sendResult, error) {
	var a *activities.Activities
	wfID := workflow.GetInfo(f.ctx).WorkflowExecution.ID
	step := p.step
	for {
		if p.recheck != nil {
			reason, shopper, err := p.recheck()
			if err != nil {
				return sendResult{}, err
			}
			if reason != "" {
				return sendResult{exitReason: reason}, nil
			}
			p.shopper = shopper
		}
		if reason := missingConsent(step, p.shopper); reason != "" {
			f.record(step.Name, DecisionSkipped, reason, nil)
			return sendResult{skipped: reason}, nil
		}
		if p.unusable != nil {
			if reason := p.unusable(); reason != "" {
				f.record(step.Name, DecisionSkipped, reason, nil)
				return sendResult{skipped: reason}, nil
			}
		}
		var window activities.SendWindow
		wctx := workflow.WithActivityOptions(f.ctx, storeActivityOptions)
		if err := workflow.ExecuteActivity(wctx, a.CheckSendWindow, activities.SendWindowInput{
			StoreHash: f.storeHash, CustomerKey: p.shopper.CustomerKey(), Channel: step.Channel,
			At: workflow.Now(f.ctx), QuietHours: p.flows.QuietHours, Caps: p.flows.FrequencyCaps,
		}).Get(wctx, &window); err != nil {
			return sendResult{}, err
		}
		if window.DeferUntil.IsZero() {
			break
		}
		f.record(step.Name, DecisionDeferred, window.Reason, map[string]any{"until": window.DeferUntil})
		if f.sleepUntil(window.DeferUntil, "deferred "+step.Name+": "+window.Reason) {
			return sendResult{exitReason: exitBySignal}, nil
		}
	}

	var params map[string]any
	if p.params != nil {
		params = p.params()
	}
	if step.Coupon != nil {
		var coupon activities.Coupon
		cctx := workflow.WithActivityOptions(f.ctx, apiActivityOptions)
		if err := workflow.ExecuteActivity(cctx, a.EnsureCoupon, activities.CouponInput{
			StoreHash: f.storeHash, Code: couponCode(wfID + "/" + step.Name), Percent: step.Coupon.Percent,
			ExpiresAt: workflow.Now(f.ctx).Add(step.Coupon.ExpiresAfter.Std()), Segment: step.Coupon.Segment,
		}).Get(cctx, &coupon); err != nil {
			return sendResult{}, err
		}
		if coupon.Unavailable != "" {
			// A segment coupon the store cannot make: the step cannot go out as
			// written; the flow goes on.
			f.record(step.Name, DecisionFailed, coupon.Unavailable, map[string]any{"segment": step.Coupon.Segment})
			return sendResult{failed: coupon.Unavailable}, nil
		}
		if params == nil {
			params = map[string]any{}
		}
		params["CouponCode"] = coupon.Code
		params["CouponPercent"] = coupon.Percent
	}
	var out activities.SendOutcome
	sctx := workflow.WithActivityOptions(f.ctx, apiActivityOptions)
	if err := workflow.ExecuteActivity(sctx, a.SendMessage, activities.SendInput{
		IdempotencyKey: wfID + "/" + step.Name,
		StoreHash:      f.storeHash, ChannelID: p.channelID, WorkflowID: wfID, Flow: f.flow, Step: step.Name, Shopper: p.shopper,
		Channel: step.Channel, Template: step.Template, Params: params, Tags: p.tags,
	}).Get(sctx, &out); err != nil {
		return sendResult{}, err
	}
	switch out.Status {
	case activities.SendSuppressed:
		f.record(step.Name, DecisionSkipped, "address suppressed", nil)
		return sendResult{skipped: "suppressed"}, nil
	case activities.SendRefused:
		f.record(step.Name, DecisionFailed, out.Reason, map[string]any{"channel": string(step.Channel)})
		return sendResult{failed: out.Reason}, nil
	case activities.SendSent, activities.SendAlreadySent, sendUncertainLegacy:
	default: // SendUnknown, or a status this code does not know: not counted as sent
		f.record(step.Name, DecisionUnknown, "the request left and its answer was lost; not sent again",
			map[string]any{"channel": string(step.Channel), "status": out.Status})
		return sendResult{unknown: true}, nil
	}
	f.record(step.Name, DecisionSent, "", map[string]any{"channel": string(step.Channel), "message_id": out.ProviderMessageID, "status": out.Status})
	return sendResult{sent: true}, nil
}

// missingConsent names the consent or address a step needs and the shopper
// lacks, or "".
func missingConsent(step config.Step, s activities.Shopper) string {
	switch step.Channel {
	case config.ChannelEmail:
		if s.Email == "" {
			return "no email address"
		}
	case config.ChannelSMS, config.ChannelWhatsApp:
		if s.Phone == "" {
			return "no phone number"
		}
	}
	if s.Suppressed {
		return "address suppressed: " + s.SuppressedReason
	}
	for _, r := range step.Requires {
		switch r {
		case config.RequireEmailConsent:
			if !s.AcceptsMarketing && !s.AcceptsAbandonedCartEmails {
				return "no email consent"
			}
		case config.RequireSMSConsent:
			if !s.SMSConsent {
				return "no SMS consent"
			}
		case config.RequireWhatsAppConsent:
			if !s.WhatsAppConsent {
				return "no WhatsApp consent"
			}
		}
	}
	return ""
}

// couponCode derives a unique, stable coupon code from a send's identity,
// so a retried activity asks for the same code.
func couponCode(seed string) string {
	sum := sha1.Sum([]byte(seed))
	return "BCF-" + strings.ToUpper(hex.EncodeToString(sum[:])[:10])
}
