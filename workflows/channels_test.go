package workflows

import (
	"strings"
	"testing"
	"time"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/config"
)

// channelFlowsYAML is a flows file whose store abc overrides every
// order-side section, the send rules and the cart's attribution window for
// its channel 2 (and the send rules again for channel 3). Each test below
// runs a flow for an order or a cart on the channel and checks that the
// channel's section, not the defaults, decided (#10.10).
const channelFlowsYAML = `
defaults:
  customer_groups: [Retail, VIP]
  cart_recovery:
    attribution_window: 120h
    steps:
      - {name: reminder, delay: 1h, channel: email, template: {brevo_template_id: 11}}
  order_goals:
    goals:
      - {name: welcome, kind: new_customer, tags: [customer]}
  loyalty:
    points_per_unit: 1
  review_request:
    delay: 14d
    channel: email
    template: {subject: "Review order {{.OrderID}}", body: "<p>review</p>"}
  survey:
    delay: 7d
    link: "https://survey.example.com/en?order={order_id}"
    channel: email
    template: {subject: "Survey", body: "<a href=\"{{.SurveyLink}}\">survey</a>"}
  status_campaigns:
    - status: Shipped
      sequence:
        - {name: shipped, delay: 1h, channel: email, template: {subject: "Shipped", body: "shipped"}}
stores:
  - store_hash: abc
    channels:
      - channel_id: 2
        cart_recovery:
          attribution_window: 2h
          steps:
            - {name: rappel, delay: 1h, channel: email, template: {brevo_template_id: 21}}
        order_goals:
          store_code: FR
          goals:
            - {name: bienvenue, kind: new_customer, tags: [client]}
        loyalty:
          points_per_unit: 2
        review_request:
          delay: 3d
          channel: email
          template: {subject: "Avis commande {{.OrderID}}", body: "<p>avis</p>"}
        survey:
          delay: 2d
          link: "https://survey.example.com/fr?order={order_id}"
          channel: email
          template: {subject: "Enquête", body: "<a href=\"{{.SurveyLink}}\">enquête</a>"}
        status_campaigns:
          - status: Shipped
            sequence:
              - {name: expedie, delay: 2h, channel: email, template: {subject: "Expédiée", body: "expédiée"}}
      - channel_id: 3
        status_campaigns:
          - status: Shipped
            sequence:
              - {name: first, delay: 1h, channel: email, template: {subject: "First", body: "1"}}
              - {name: second, delay: 2h, channel: email, template: {subject: "Second", body: "2"}}
        quiet_hours: {start: "14:00", end: "18:00", timezone: UTC}
        frequency_caps:
          - {channel: email, max: 1, per: 1d}
`

func channelFlowsFile(t *testing.T) *config.Flows {
	t.Helper()
	f, err := config.ParseFlows("flows.yaml", []byte(channelFlowsYAML))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// newChannelPPWorld is a post-purchase world whose order is on channel
// and whose flows are channelFlowsYAML's, per channel.
func newChannelPPWorld(t *testing.T, id string, channel int) *ppWorld {
	f := channelFlowsFile(t)
	w := newPPWorld(t, nil, id)
	w.flows = f.For("abc", 1)
	w.flowsByCh = map[int]config.FlowSet{2: f.For("abc", 2), 3: f.For("abc", 3)}
	w.order.ChannelID = channel
	return w
}

func TestChannelOverrideOrderGoals(t *testing.T) {
	w := newOrderWorld(t, nil)
	w.file = channelFlowsFile(t)
	w.order.ChannelID = 2
	res := w.runGoals()
	if strings.Join(res.Reached, ",") != "FRbienvenue" || len(w.tags) != 1 || strings.Join(w.tags[0].Tags, ",") != "client" {
		t.Fatalf("channel 2 reached %v tags %+v, want its own goal FRbienvenue tagged client", res.Reached, w.tags)
	}
}

func TestChannelOverrideLoyaltyAward(t *testing.T) {
	w := newChannelPPWorld(t, LoyaltyAwardID("abc", 1001), 2)
	in := orderChild
	in.ChannelID = 2
	var res LoyaltyAwardResult
	w.run(LoyaltyAwardWorkflowName, in, &res)
	// 1000.00 x channel 2's 2 points x VIP 1.5.
	if res.Awarded != 3000 {
		t.Fatalf("channel 2 awarded %d, want 3000 (2 points per unit)", res.Awarded)
	}
}

func TestChannelOverrideReviewRequest(t *testing.T) {
	w := newChannelPPWorld(t, ReviewRequestID("abc", 1001), 2)
	in := orderChild
	in.ChannelID = 2
	var res OrderMessageResult
	w.run(ReviewRequestWorkflowName, in, &res)
	if len(w.mail.emails) != 1 {
		t.Fatalf("result %+v emails %d", res, len(w.mail.emails))
	}
	if m := w.mail.emails[0]; !m.at.Equal(t0.Add(3*24*time.Hour)) || m.e.Subject != "Avis commande 1001" {
		t.Fatalf("channel 2 review request at %s %q, want channel 2's after 3 days", m.at, m.e.Subject)
	}
}

func TestChannelOverrideSurvey(t *testing.T) {
	w := newChannelPPWorld(t, ShipmentSurveyID("abc", 1001), 2)
	w.order.StatusID = 2
	w.fields = activities.MergeFieldSet{Exists: true, StatusID: 2, Shopper: w.order.Shopper, Fields: map[string]string{"order_id": "1001"}}
	var res OrderMessageResult
	w.run(ShipmentSurveyWorkflowName, OrderChildInput{StoreHash: "abc", OrderID: 1001, ChannelID: 2, StatusID: 2}, &res)
	if len(w.mail.emails) != 1 {
		t.Fatalf("result %+v emails %d", res, len(w.mail.emails))
	}
	if m := w.mail.emails[0]; !m.at.Equal(t0.Add(2*24*time.Hour)) || m.e.Subject != "Enquête" ||
		!strings.Contains(m.e.HTMLContent, "https://survey.example.com/fr?order=1001") {
		t.Fatalf("channel 2 survey at %s: %+v, want channel 2's after 2 days", m.at, m.e)
	}
}

func TestChannelOverrideStatusCampaign(t *testing.T) {
	w := newChannelPPWorld(t, OrderStatusCampaignID("abc", 1001, 2), 2)
	w.order.StatusID = 2
	var res OrderMessageResult
	w.run(OrderStatusCampaignWorkflowName, OrderChildInput{StoreHash: "abc", OrderID: 1001, ChannelID: 2, StatusID: 2}, &res)
	if strings.Join(res.Sent, ",") != "expedie" || len(w.mail.emails) != 1 || !w.mail.emails[0].at.Equal(t0.Add(2*time.Hour)) ||
		w.mail.emails[0].e.Subject != "Expédiée" {
		t.Fatalf("channel 2 campaign %+v emails %d, want channel 2's expedie after 2 h", res, len(w.mail.emails))
	}
}

// Channel 3's quiet hours (14:00-18:00 UTC) and its cap (one email a day)
// hold its campaign's two steps: the first until 18:00, the second until
// a day after the first.
func TestChannelOverrideQuietHoursAndCaps(t *testing.T) {
	w := newChannelPPWorld(t, OrderStatusCampaignID("abc", 1001, 2), 3)
	w.order.StatusID = 2
	var res OrderMessageResult
	w.run(OrderStatusCampaignWorkflowName, OrderChildInput{StoreHash: "abc", OrderID: 1001, ChannelID: 3, StatusID: 2}, &res)
	if strings.Join(res.Sent, ",") != "first,second" || len(w.mail.emails) != 2 {
		t.Fatalf("channel 3 campaign %+v emails %d", res, len(w.mail.emails))
	}
	first, second := w.mail.emails[0].at, w.mail.emails[1].at
	if !first.Equal(t0.Add(3*time.Hour)) || second.Before(first.Add(24*time.Hour)) {
		t.Fatalf("sent at %s and %s: want 18:00 (after the channel's quiet hours) and a day later (its cap)", first, second)
	}
	if !hasDecision(w.decisions(), DecisionDeferred, "quiet hours") || !hasDecision(w.decisions(), DecisionDeferred, "frequency cap") {
		t.Fatalf("decisions %+v", w.decisions())
	}
}

// Channel 2's attribution window is 2 h: a conversion 3 h after its last
// step is not counted as recovered (the default 5 days would).
func TestChannelOverrideAttributionWindow(t *testing.T) {
	for _, c := range []struct {
		name      string
		after     time.Duration
		recovered bool
	}{{"within", time.Hour, true}, {"after", 3 * time.Hour, false}} {
		t.Run(c.name, func(t *testing.T) {
			f := channelFlowsFile(t)
			w := newCartWorld(t)
			w.flows = f.For("abc", 1)
			w.channelFlows = map[int]config.FlowSet{2: f.For("abc", 2)}
			w.cart.ChannelID = 2
			lastStep := 2 * time.Hour // abandoned at 1 h, rappel 1 h later
			w.signal(0, SignalCartActivity, CartActivity{})
			w.signal(lastStep+c.after, SignalCartExit, CartExit{Reason: ExitConverted, OrderID: 900})
			w.env.RegisterDelayedCallback(func() {}, lastStep+c.after)
			w.run()
			if strings.Join(w.sentSteps(), ",") != "rappel" {
				t.Fatalf("sent %v, want channel 2's rappel", w.sentSteps())
			}
			if got := hasDecision(w.decisions(), DecisionRecovered, ""); got != c.recovered {
				t.Fatalf("recovered = %v, want %v: %+v", got, c.recovered, w.decisions())
			}
		})
	}
}

// The order hub starts its children by its channel's sections: channel 2
// awards loyalty and asks for a review when the order ships (the defaults:
// when it completes), and its Shipped campaign is channel 2's.
func TestChannelOverrideOrderHubStartsByTheChannelsStatuses(t *testing.T) {
	f, err := config.ParseFlows("flows.yaml", []byte(channelFlowsYAML+`
        # (channel 3 above; channel 4 starts on Shipped)
      - channel_id: 4
        loyalty: {award_status: Shipped}
        review_request:
          trigger_status: Shipped
          channel: email
          template: {brevo_template_id: 44}
`))
	if err != nil {
		t.Fatal(err)
	}
	w := newHubWorld(t)
	w.file = f
	w.order.ChannelID = 4
	w.at(0, func() { w.env.SignalWorkflow(SignalOrderCreated, OrderEvent{Scope: "store/order/created", ID: 1001}) })
	w.status(time.Hour, 2)
	w.at(2*time.Hour, func() {
		w.order.StatusID = 4
		w.env.SignalWorkflow(SignalOrderRefund, OrderEvent{Scope: "store/order/refund/created"})
		w.env.SignalWorkflow(SignalOrderStatus, OrderStatus{PreviousStatusID: 2, NewStatusID: 4})
	})
	w.run()
	started := strings.Join(w.started(), "\n")
	for _, want := range []string{"LoyaltyAward loyalty/abc/1001 Shipped@1h0m0s", "ReviewRequest review/abc/1001 Shipped@1h0m0s"} {
		if !strings.Contains(started, want) {
			t.Fatalf("children started:\n%s\nwant %s (channel 4's status)", started, want)
		}
	}
	if c := w.child(LoyaltyAwardWorkflowName); c.in.ChannelID != 4 {
		t.Fatalf("loyalty child input %+v, want channel 4", c.in)
	}
}
