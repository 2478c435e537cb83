package workflows

import (
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/config"
)

// A step the provider refuses (an invalid address: Brevo's 400) is
// recorded failed with the provider's reason, the next steps still run, and
// the flow completes.
func TestCartRecoveryRefusedStepIsFailedAndTheFlowGoesOn(t *testing.T) {
	w := newCartWorld(t)
	const reason = "HTTP 400 invalid_parameter: email is not valid in to"
	w.outcomes = map[string]activities.SendOutcome{"reminder": {Status: activities.SendRefused, Reason: reason}}
	w.signal(0, SignalCartActivity, CartActivity{})
	res := w.run()
	if res.Outcome != "completed" || strings.Join(res.Sent, ",") != "discount,sms-nudge" {
		t.Fatalf("result %+v, want completed with the later steps sent", res)
	}
	if got := strings.Join(w.sentSteps(), ","); got != "discount,sms-nudge" {
		t.Fatalf("sent %s", got)
	}
	var failed *DecisionEntry
	ds := w.decisions()
	for i := range ds {
		if ds[i].Step == "reminder" {
			if ds[i].Decision == DecisionSent {
				t.Fatalf("refused step recorded sent: %+v", ds)
			}
			if ds[i].Decision == DecisionFailed {
				failed = &ds[i]
			}
		}
	}
	if failed == nil || failed.Reason != reason {
		t.Fatalf("decisions %+v, want reminder failed with %q", ds, reason)
	}
}

// An SMS whose answer was lost is recorded unknown and does not count as
// sent: a conversion after it is attributed to the last step really sent.
func TestCartRecoveryUnknownSMSIsNotAttributed(t *testing.T) {
	w := newCartWorld(t)
	// The SMS step moves second, 2 h after abandonment.
	steps := w.flows.CartRecovery.Steps
	reorder := []config.Step{steps[0]}
	var others []config.Step
	for _, s := range steps[1:] {
		if s.Channel == config.ChannelSMS {
			s.Delay = config.Duration(2 * time.Hour)
			reorder = append(reorder, s)
		} else {
			others = append(others, s)
		}
	}
	reorder = append(reorder, others...)
	if len(reorder) != len(steps) || reorder[1].Channel != config.ChannelSMS {
		t.Fatalf("default steps changed: %+v", steps)
	}
	cart := *w.flows.CartRecovery
	cart.Steps = reorder
	w.flows.CartRecovery = &cart
	sms := reorder[1].Name
	w.outcomes = map[string]activities.SendOutcome{sms: {Status: activities.SendUnknown}}
	w.signal(0, SignalCartActivity, CartActivity{})
	// Abandoned at 1h; the reminder at 2h, the SMS at 3h; the order at 5h.
	w.signal(5*time.Hour, SignalCartExit, CartExit{Reason: ExitConverted, OrderID: 77})
	res := w.run()
	if res.ExitReason != ExitConverted || strings.Join(res.Sent, ",") != reorder[0].Name {
		t.Fatalf("result %+v, want converted with only %s sent", res, reorder[0].Name)
	}
	ds := w.decisions()
	var unknown, recovered bool
	for _, d := range ds {
		switch {
		case d.Step == sms && d.Decision == DecisionUnknown:
			unknown = true
		case d.Step == sms && d.Decision == DecisionSent:
			t.Fatalf("unknown SMS recorded sent: %+v", ds)
		case d.Decision == DecisionRecovered:
			recovered = true
			if d.Step != reorder[0].Name {
				t.Fatalf("recovery attributed to %s, want %s (the last step sent)", d.Step, reorder[0].Name)
			}
		}
	}
	if !unknown || !recovered {
		t.Fatalf("decisions %+v, want the SMS unknown and the recovery attributed", ds)
	}
}

// A status campaign's event whose track failed is tracked by a later run
// of the order's hub: the claim is confirmed only once the provider took it.
func TestOrderLifecycleFailedStatusEventTrackedByALaterRun(t *testing.T) {
	campaigns := []config.StatusCampaign{{Status: config.StatusShipped, Event: "order_shipped"}}
	w := newHubWorld(t)
	w.flows.StatusCampaigns = campaigns
	w.trackErr = temporal.NewNonRetryableApplicationError("brevo down for good", activities.ErrTypeInvalid, nil)
	shipped := OrderStatus{PreviousStatusID: 11, NewStatusID: 2}
	w.at(time.Hour, func() {
		w.order.StatusID = 2
		w.env.SignalWorkflow(SignalOrderStatus, shipped)
	})
	w.run()
	if len(w.events) != 0 || !hasDecision(w.decisions(), DecisionSkipped, "event order_shipped failed") {
		t.Fatalf("first run events %s decisions %+v", w.eventNames(), w.decisions())
	}
	again := newHubWorldOn(t, w.st, t0.Add(200*24*time.Hour))
	again.flows.StatusCampaigns = campaigns
	again.order.StatusID = 2
	again.at(time.Hour, func() { again.env.SignalWorkflow(SignalOrderStatus, shipped) })
	again.run()
	if got := again.eventNames(); got != "order_shipped" {
		t.Fatalf("second run events %q decisions %+v: the failed event was never tracked", got, again.decisions())
	}
}
