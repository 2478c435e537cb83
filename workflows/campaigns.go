package workflows

import (
	"slices"
	"strconv"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/config"
)

// OrderStatusCampaignWorkflowName runs the sequence of a status campaign.
const OrderStatusCampaignWorkflowName = "OrderStatusCampaign"

// FlowStatusCampaign is the BcFlow search attribute of status campaign
// sequences.
const FlowStatusCampaign = "status-campaign"

// OrderStatusCampaignID is the workflow id of the sequence an order's entry
// into statusID starts: campaign/{store}/{order_id}/{status_id}.
func OrderStatusCampaignID(storeHash string, orderID int64, statusID int) string {
	return "campaign/" + storeHash + "/" + strconv.FormatInt(orderID, 10) + "/" + strconv.Itoa(statusID)
}

// runStatusCampaigns runs the flows file's status campaign for the status
// the order just entered (the hub calls it through statusCampaign, for
// every real transition a signal reports). The campaign's provider event is
// tracked once per order and status (claimStatusEvent, then the event's
// claim in the store around the track), even if the order
// has moved on since (Shipped then Completed within a second still tracks
// order_shipped), with the order's id, total and status and, for Shipped
// and Partially Shipped, the tracking numbers, carriers and tracking links
// of its shipments (order_shipped by default). Its sequence, if any, runs
// in its own child flow, OrderStatusCampaign, started at most once per
// order and status, and only while the order is still in that status: a
// "your order shipped" after it completed would be stale.
func (h *orderHub) runStatusCampaigns(status int) error {
	inStatus := h.order.StatusID == status
	for _, c := range h.flows.StatusCampaigns {
		if int(c.Status) != status {
			continue
		}
		step := "status:" + config.OrderStatus(status).String()
		if c.Event != "" {
			key := h.statusEventKey(step, c.Event)
			claimed, err := h.claimStatusEvent(status, step, c.Event, key)
			if err != nil {
				return err
			}
			if claimed {
				if status == int(config.StatusShipped) || status == int(config.StatusPartiallyShipped) {
					if err := h.refreshShipments(); err != nil {
						return err
					}
				}
				h.trackEventKeyed(key, step, c.Event, activities.Shopper{CustomerID: h.order.CustomerID, Email: h.order.BillingEmail},
					h.campaignProps(status), nil)
			}
		}
		if len(c.Sequence) > 0 {
			if inStatus {
				h.startChild(OrderStatusCampaignWorkflowName, OrderStatusCampaignID(h.in.StoreHash, h.in.OrderID, status), FlowStatusCampaign)
			} else {
				h.record(step, DecisionSkipped, "sequence not started: the order moved on to "+config.OrderStatus(h.order.StatusID).String(), nil)
			}
		}
	}
	return nil
}

// statusEventGoal is the goals_reached key that made a status campaign's
// event once per order and status in runs before statusEventClaimChange.
func statusEventGoal(status int) string { return "status-event:" + strconv.Itoa(status) }

// statusEventKey is the event claim key of a status campaign's event: the
// hub's id (one per order), the status step and the event name, so every
// run of the order's hub claims the same event.
func (h *orderHub) statusEventKey(step, event string) string {
	return workflow.GetInfo(h.ctx).WorkflowExecution.ID + "/" + step + "/" + event
}

// statusEventClaimChange is the workflow.GetVersion change id of the
// status event's claim: from version 1 on, the event is claimed and
// confirmed around its track (activities.TrackEvent), so a failed track is
// tracked again by a later run, instead of being claimed as a goal before
// the track.
const statusEventClaimChange = "status-event-claim"

// claimStatusEvent reports whether the event of the campaign for status is
// this hub's to track: not yet tracked by this run (a duplicate or
// redelivered signal) nor confirmed by an earlier run of the order's hub.
// Runs recorded before hubVersionTransitionEvents track it every time;
// runs recorded before statusEventClaimChange claimed it as a goal.
func (h *orderHub) claimStatusEvent(status int, step, event, key string) (bool, error) {
	if h.hubVersion < hubVersionTransitionEvents {
		return true, nil
	}
	if slices.Contains(h.statusEvents, status) {
		h.record(step, DecisionSkipped, "event "+event+" already tracked for this status", nil)
		return false, nil
	}
	h.statusEvents = append(h.statusEvents, status)
	var a *activities.Activities
	ctx := workflow.WithActivityOptions(h.ctx, storeActivityOptions)
	if workflow.GetVersion(h.ctx, statusEventClaimChange, workflow.DefaultVersion, 1) >= 1 {
		var confirmed bool
		if err := workflow.ExecuteActivity(ctx, a.EventConfirmed, activities.EventInput{
			StoreHash: h.in.StoreHash, Name: event, Key: key,
		}).Get(ctx, &confirmed); err != nil {
			return false, err
		}
		if confirmed {
			h.record(step, DecisionSkipped, "event "+event+" already tracked for this order by an earlier run", nil)
			return false, nil
		}
		return true, nil
	}
	var rec activities.GoalRecord
	if err := workflow.ExecuteActivity(ctx, a.RecordGoal, activities.GoalInput{
		StoreHash: h.in.StoreHash, OrderID: h.in.OrderID, CustomerKey: h.customerKey, Goal: statusEventGoal(status),
		WorkflowID: workflow.GetInfo(h.ctx).WorkflowExecution.ID, At: workflow.Now(h.ctx),
	}).Get(ctx, &rec); err != nil {
		return false, err
	}
	if !rec.Fresh {
		h.record(step, DecisionSkipped, "event "+event+" already tracked for this order by an earlier run", nil)
		return false, nil
	}
	return true, nil
}

// OrderStatusCampaign sends the sequence of the status campaign for
// in.StatusID, campaign/{store}/{order_id}/{status_id}, each step its delay
// after the status change. Before every step it re-reads the order (with
// its shipments, so templates can show {{.TrackingNumber}} and
// {{.Carrier}}); a refunded, cancelled or deleted order, a refund or an
// unsubscribe ends it. Sends go through the shared machinery (quiet hours,
// caps, consent, exactly once).
func OrderStatusCampaign(ctx workflow.Context, in OrderChildInput) (OrderMessageResult, error) {
	run, err := newOrderChildRun(ctx, FlowStatusCampaign, in)
	if err != nil {
		return OrderMessageResult{}, err
	}
	defer run.settle()
	var exit string
	run.listenOrderExits(&exit, OrderStatusExit, true)
	flows, err := run.resolveFlows(in.ChannelID)
	if err != nil {
		return OrderMessageResult{}, err
	}
	var campaign *config.StatusCampaign
	for i := range flows.StatusCampaigns {
		if int(flows.StatusCampaigns[i].Status) == in.StatusID {
			campaign = &flows.StatusCampaigns[i]
		}
	}
	if campaign == nil || len(campaign.Sequence) == 0 {
		run.record("", DecisionSkipped, "no campaign sequence for status "+config.OrderStatus(in.StatusID).String(), nil)
		return OrderMessageResult{Outcome: "disabled"}, nil
	}
	start := workflow.Now(ctx)
	var out OrderMessageResult
	var prev *config.Step
	var prevRanAt time.Time
	for i, step := range campaign.Sequence {
		due := start.Add(step.Delay.Std())
		if run.durable() && prev != nil {
			// After quiet hours, steps go out spaced as the campaign spaces them.
			due = spacedDue(due, prevRanAt, step.Delay.Std()-prev.Delay.Std())
		}
		prev = &campaign.Sequence[i]
		if run.sleepUntil(due, "step "+step.Name) && exit != "" {
			res, err := exitOrderMessage(run, step.Name, exit)
			res.Sent = out.Sent
			return res, err
		}
		res, err := sendOrderMessage(run, orderMessage{
			orderID: in.OrderID, channelID: in.ChannelID, step: step, flows: flows, flow: FlowStatusCampaign,
			tags: []string{"bcflow", "status-campaign", step.Name}, exit: &exit, exitOn: OrderStatusExit,
			load: run.loadOrderView(in.OrderID, true),
		})
		if err != nil {
			return OrderMessageResult{}, err
		}
		out.Sent = append(out.Sent, res.Sent...)
		prevRanAt = workflow.Now(ctx)
		if res.Outcome == "exited" {
			res.Sent = out.Sent
			return res, nil
		}
	}
	out.Outcome = "completed"
	run.record("", DecisionCompleted, "campaign sequence ran", nil)
	return out, nil
}
