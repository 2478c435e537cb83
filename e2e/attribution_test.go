package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"go.temporal.io/api/enums/v1"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/emulator/bcemu"
	"github.com/bcflow/bcflow/store"
	"github.com/bcflow/bcflow/workflows"
)

// attributionFlows: a welcome email on a first order, and no cart recovery,
// so only the last-touch attribution of other flows can credit an order.
const attributionFlows = `
version: 1
defaults:
  order_goals:
    store_code: BC
    goals:
      - name: welcome
        kind: new_customer
        sequence:
          - {name: thanks, delay: 0s, channel: email, template: {subject: "Welcome {{.FirstName}}", body: "<p>Thanks for order {{.OrderID}}</p>"}}
`

// TestFlowAttributionEndToEnd: a shopper's first order gets the welcome
// email; her next order, within the attribution window, is credited to that
// email once ("converted" in the goals flow's step, with the second order's
// total on its channel), with cart recovery off; the first order, which no
// message preceded, is credited to nothing.
func TestFlowAttributionEndToEnd(t *testing.T) {
	s := newStack(t, stackOptions{flowsYAML: attributionFlows})
	ctx := context.Background()
	ann, err := s.bc.CreateCustomer(s.hash, bcemu.CustomerInput{Email: "ann@example.com", FirstName: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	first := s.placeOrder(t, bcemu.CartInput{CustomerID: ann.ID, Items: []bcemu.ItemInput{{SKU: "TEE-M", Quantity: 1}}}, bcemu.CheckoutInput{})
	goals := workflows.OrderGoalsID(s.hash, int64(first.ID))
	eventually(t, "the first order's goals flow completes", func() (bool, string) {
		st, _ := s.describe(goals)
		return st == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, st.String()
	})
	if n := len(s.emailsTo("ann@example.com")); n != 1 {
		t.Fatalf("%d emails after the first order, want the welcome", n)
	}
	second := s.placeOrder(t, bcemu.CartInput{CustomerID: ann.ID, Items: []bcemu.ItemInput{{SKU: "TEE-S", Quantity: 3}}}, bcemu.CheckoutInput{})
	eventually(t, "the second order's hub idle", func() (bool, string) { return s.hubIdle(second.ID, 1) })

	ds, err := s.store.ListDecisions(ctx, store.DecisionFilter{StoreHash: s.hash, CustomerKey: fmt.Sprintf("c:%d", ann.ID)})
	if err != nil {
		t.Fatal(err)
	}
	var conv []store.Decision
	for _, d := range ds {
		if d.Decision == "converted" {
			conv = append(conv, d)
		}
	}
	want, err := store.ParseMoney(second.Total().V2())
	if err != nil || want <= 0 {
		t.Fatalf("order total %q: %v", second.Total().V2(), err)
	}
	if len(conv) != 1 {
		t.Fatalf("converted decisions %+v, want one, for the second order", conv)
	}
	c := conv[0]
	if c.Flow != workflows.FlowOrderGoals || !strings.HasSuffix(c.Step, "thanks") || c.WorkflowID != goals || c.Amount != want || c.ChannelID != 1 ||
		c.DedupeKey != activities.AttributionKey(s.hash, int64(second.ID)) || c.Reason != activities.AttributionReason {
		t.Fatalf("converted %+v, want the welcome email's, %s on channel 1, for order %d", c, want, second.ID)
	}
	s.recordHistory(t, workflows.OrderLifecycleID(s.hash, int64(second.ID)), "order-lifecycle-attributed-to-flow")
}
