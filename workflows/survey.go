package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/config"
)

// surveyStep names the survey invitation in the decision log and its send's
// idempotency key (survey/{store}/{order}/survey).
const surveyStep = "survey"

// ShipmentSurvey invites the shopper to the survey of an order,
// survey/{store}/{order_id}. The hub starts it when the order enters the
// survey's trigger_status (Shipped by default: the post-shipment survey),
// even if the order has moved on by the time the hub hears of it. It waits
// the configured delay (7 days by default), then gathers the survey merge fields (see
// activities.LoadMergeFields: customer, order and billing fields under the
// Alchemer initiator's names) and sends the configured message with
// {{.SurveyLink}} (the survey link with the order id) and every merge field
// as template parameters ({{.customer_email}}, {{.order_total_inc_tax}}...)
// through the shared send machinery. It sends at most once per order: the
// workflow id is unique per order and the send's idempotency key survives
// a second run. A cancellation, a full refund or an unsubscribe during the
// wait cancels it; a partial refund does not.
func ShipmentSurvey(ctx workflow.Context, in OrderChildInput) (OrderMessageResult, error) {
	run, err := newOrderChildRun(ctx, FlowShipmentSurvey, in)
	if err != nil {
		return OrderMessageResult{}, err
	}
	defer run.settle()
	var exit string
	run.listenOrderExits(&exit, fullyUndone, false)
	flows, err := run.resolveFlows(in.ChannelID)
	if err != nil {
		return OrderMessageResult{}, err
	}
	sv := flows.Survey
	if sv == nil || !sv.Enabled {
		run.record(surveyStep, DecisionSkipped, "survey disabled for this store/channel", nil)
		return OrderMessageResult{Outcome: "disabled"}, nil
	}
	due := workflow.Now(ctx).Add(sv.Delay.Std())
	run.record(surveyStep, DecisionWaiting, "survey due "+due.Format(time.RFC3339), map[string]any{"due": due})
	if run.sleepUntil(due, "survey in "+sv.Delay.Std().String()) && exit != "" {
		return exitOrderMessage(run, surveyStep, exit)
	}
	link := sv.LinkFor(in.OrderID)
	return sendOrderMessage(run, orderMessage{
		orderID: in.OrderID, channelID: in.ChannelID, step: config.Step{Name: surveyStep, Message: sv.Message}, flows: flows,
		flow: FlowShipmentSurvey, tags: []string{"bcflow", "survey"}, exit: &exit, exitOn: fullyUndone,
		load: run.loadMergeFieldsView(activities.MergeFieldsInput{StoreHash: in.StoreHash, OrderID: in.OrderID}, link),
	})
}

// loadMergeFieldsView is orderMessage.load for survey invitations: the
// merge fields of the order (or cart), the survey link and the shopper's
// first name and order id as template parameters.
func (f *flowRun) loadMergeFieldsView(in activities.MergeFieldsInput, link string) func() (orderView, error) {
	return func() (orderView, error) {
		fields, err := f.loadMergeFields(in)
		if err != nil {
			return orderView{}, err
		}
		return orderView{Exists: fields.Exists, StatusID: fields.StatusID, Shopper: fields.Shopper, Params: surveyParams(fields, link)}, nil
	}
}

// loadMergeFields gathers the survey merge fields of an order or a cart;
// the cart flows use it to attach a survey to a converted or abandoned cart.
func (f *flowRun) loadMergeFields(in activities.MergeFieldsInput) (activities.MergeFieldSet, error) {
	var a *activities.Activities
	var out activities.MergeFieldSet
	ctx := workflow.WithActivityOptions(f.ctx, apiActivityOptions)
	err := workflow.ExecuteActivity(ctx, a.LoadMergeFields, in).Get(ctx, &out)
	return out, err
}

// surveyParams are a survey invitation's template parameters: every merge
// field under its own name, SurveyLink, FirstName and OrderID.
func surveyParams(fields activities.MergeFieldSet, link string) map[string]any {
	p := make(map[string]any, len(fields.Fields)+3)
	for _, group := range [][]string{activities.MergeFieldsCustomer, activities.MergeFieldsOrder, activities.MergeFieldsCart} {
		for _, k := range group {
			if v, ok := fields.Fields[k]; ok {
				p[k] = v
			}
		}
	}
	p["SurveyLink"] = link
	p["FirstName"] = fields.Shopper.FirstName
	p["OrderID"] = fields.Fields["order_id"]
	return p
}
