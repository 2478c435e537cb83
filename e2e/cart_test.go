package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"go.temporal.io/api/enums/v1"

	"github.com/bcflow/bcflow/emulator/bcemu"
	"github.com/bcflow/bcflow/emulator/brevoemu"
	"github.com/bcflow/bcflow/store"
	"github.com/bcflow/bcflow/workflows"
)

// shortCartFlows is the default playbook with seconds instead of hours.
const shortCartFlows = `
version: 1
defaults:
  cart_recovery:
    abandoned_after: 1h
    steps:
      - name: reminder
        delay: 1s
        channel: email
        requires: [email_consent]
        template:
          subject: "You left something behind, {{.FirstName}}!"
          body: "<p>{{range .Items}}{{.Name}} x{{.Quantity}} {{end}}<a href='{{.CartURL}}'>back to your cart</a></p>"
      - name: discount
        delay: 2s
        channel: email
        requires: [email_consent]
        coupon: {percent: 10, expires_after: 7d}
        template:
          subject: "Your cart is waiting - 10% off inside"
          body: "<p>Use {{.CouponCode}} at {{.StoreName}}</p>"
      - name: sms-nudge
        delay: 1h
        channel: sms
        requires: [sms_consent]
        template:
          body: "Your cart: {{.CartURL}}"
`

func (s *stack) emailsTo(addr string) []brevoemu.Message {
	return s.brevo.Messages(brevoemu.Filter{To: addr, Channel: "email"})
}

// TestCartRecoveryEndToEnd: a shopper abandons a cart, two reminders reach
// the Brevo emulator with the right params and a unique coupon that exists
// in the store; the checkout stops the rest and the revenue is attributed.
func TestCartRecoveryEndToEnd(t *testing.T) {
	s := newStack(t, stackOptions{flowsYAML: shortCartFlows})
	cust, err := s.bc.CreateCustomer(s.hash, bcemu.CustomerInput{Email: "bo@example.com", FirstName: "Bo", Phone: "+15550100"})
	if err != nil {
		t.Fatal(err)
	}
	cart, err := s.bc.CreateCart(s.hash, bcemu.CartInput{CustomerID: cust.ID, Items: []bcemu.ItemInput{{SKU: "TEE-M", Quantity: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.bc.AbandonCart(s.hash, cart.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "two reminder emails", func() (bool, string) {
		n := len(s.emailsTo("bo@example.com"))
		return n == 2, fmt.Sprintf("%d emails", n)
	})
	msgs := s.emailsTo("bo@example.com")
	if msgs[0].Subject != "You left something behind, Bo!" || !strings.Contains(msgs[0].HTMLContent, "Organic Cotton Tee x2") {
		t.Fatalf("first email: %q %q", msgs[0].Subject, msgs[0].HTMLContent)
	}
	code, _ := msgs[1].Params["CouponCode"].(string)
	if !strings.HasPrefix(code, "BCF-") || !strings.Contains(msgs[1].HTMLContent, code) || !strings.Contains(msgs[1].HTMLContent, "E2E Store") {
		t.Fatalf("discount email: params %v body %q", msgs[1].Params, msgs[1].HTMLContent)
	}
	if msgs[0].IdempotencyKey != workflows.CartRecoveryID(s.hash, cart.ID)+"/reminder" {
		t.Fatalf("idempotency key %q", msgs[0].IdempotencyKey)
	}
	// The coupon is real: checking out with it applies the discount.
	order, err := s.bc.Checkout(s.hash, cart.ID, bcemu.CheckoutInput{CouponCode: code})
	if err != nil {
		t.Fatalf("checkout with the emailed coupon: %v", err)
	}
	id := workflows.CartRecoveryID(s.hash, cart.ID)
	eventually(t, "the checkout ends the flow", func() (bool, string) {
		status, _ := s.describe(id)
		return status == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, status.String()
	})
	var res workflows.CartRecoveryResult
	if err := s.c.GetWorkflow(context.Background(), id, "").Get(context.Background(), &res); err != nil {
		t.Fatal(err)
	}
	if res.ExitReason != workflows.ExitConverted || len(res.Sent) != 2 {
		t.Fatalf("result %+v", res)
	}
	if n := len(s.brevo.Messages(brevoemu.Filter{To: "bo@example.com"})); n != 2 {
		t.Fatalf("%d messages after checkout, want 2 (no SMS)", n)
	}
	ds, err := s.store.ListDecisions(context.Background(), store.DecisionFilter{StoreHash: s.hash, CustomerKey: fmt.Sprintf("c:%d", cust.ID)})
	if err != nil {
		t.Fatal(err)
	}
	recovered := 0
	for _, d := range ds {
		if d.Decision == workflows.DecisionRecovered && d.WorkflowID == id && strings.Contains(string(d.Details), fmt.Sprint(order.ID)) {
			recovered++
		}
	}
	if recovered != 1 {
		t.Fatalf("%d recovery decisions for order %d in the customer's timeline, want 1: %+v", recovered, order.ID, ds)
	}
	s.recordHistory(t, id, "cart-recovery-converted")
}

// TestCartRecoveryWithDuplicateAndReorderedWebhooks: every webhook is
// delivered twice and the first ones are held and released out of order;
// the shopper still receives exactly the two reminders.
func TestCartRecoveryWithDuplicateAndReorderedWebhooks(t *testing.T) {
	s := newStack(t, stackOptions{flowsYAML: shortCartFlows})
	if err := s.bc.SetFaults(s.hash, bcemu.Faults{DuplicateProbability: 1, ReorderHold: 3}); err != nil {
		t.Fatal(err)
	}
	cust, err := s.bc.CreateCustomer(s.hash, bcemu.CustomerInput{Email: "cy@example.com", FirstName: "Cy"})
	if err != nil {
		t.Fatal(err)
	}
	cart, err := s.bc.CreateCart(s.hash, bcemu.CartInput{CustomerID: cust.ID, Items: []bcemu.ItemInput{{SKU: "TEE-M", Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.bc.AbandonCart(s.hash, cart.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.bc.ReleaseHeld(s.hash); err != nil {
		t.Fatal(err)
	}
	eventually(t, "two reminder emails", func() (bool, string) {
		n := len(s.emailsTo("cy@example.com"))
		return n == 2, fmt.Sprintf("%d emails", n)
	})
	if _, err := s.bc.Checkout(s.hash, cart.ID, bcemu.CheckoutInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.bc.ReleaseHeld(s.hash); err != nil {
		t.Fatal(err)
	}
	id := workflows.CartRecoveryID(s.hash, cart.ID)
	eventually(t, "the flow ends", func() (bool, string) {
		status, _ := s.describe(id)
		return status == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, status.String()
	})
	if n := len(s.emailsTo("cy@example.com")); n != 2 {
		t.Fatalf("%d emails, want exactly 2", n)
	}
	s.recordHistory(t, id, "cart-recovery-duplicates-reordered")
}

// TestBrevoUnsubscribeEndsTheFlow: the shopper unsubscribes at Brevo; its
// webhook reaches bcflow, which records the suppression and signals the
// running cart flow, which exits without sending the second reminder.
func TestBrevoUnsubscribeEndsTheFlow(t *testing.T) {
	flows := strings.Replace(shortCartFlows, "delay: 2s", "delay: 30m", 1)
	s := newStack(t, stackOptions{flowsYAML: flows})
	cust, err := s.bc.CreateCustomer(s.hash, bcemu.CustomerInput{Email: "di@example.com", FirstName: "Di"})
	if err != nil {
		t.Fatal(err)
	}
	cart, err := s.bc.CreateCart(s.hash, bcemu.CartInput{CustomerID: cust.ID, Items: []bcemu.ItemInput{{SKU: "TEE-M", Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.bc.AbandonCart(s.hash, cart.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the first reminder", func() (bool, string) {
		n := len(s.emailsTo("di@example.com"))
		return n == 1, fmt.Sprintf("%d emails", n)
	})
	id := workflows.CartRecoveryID(s.hash, cart.ID)
	// Unsubscribe fans out through the email search attribute: wait until
	// visibility has it.
	eventually(t, "the flow findable by email", func() (bool, string) {
		resp, err := s.c.ListWorkflow(context.Background(), listRequest(`BcCustomerEmail = "di@example.com" AND BcFlow = "cart-recovery" AND ExecutionStatus = "Running"`))
		return err == nil && len(resp.Executions) == 1, fmt.Sprint(err)
	})
	if _, err := s.brevo.FireWebhook(context.Background(), brevoemu.WebhookEvent{Event: brevoemu.WebhookUnsubscribed, Email: "di@example.com"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the flow exits", func() (bool, string) {
		status, _ := s.describe(id)
		return status == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, status.String()
	})
	var res workflows.CartRecoveryResult
	if err := s.c.GetWorkflow(context.Background(), id, "").Get(context.Background(), &res); err != nil {
		t.Fatal(err)
	}
	if res.ExitReason != workflows.ExitUnsubscribed {
		t.Fatalf("result %+v", res)
	}
	if ok, _, _ := s.store.IsSuppressed(context.Background(), s.hash, "di@example.com"); !ok {
		t.Fatal("no suppression recorded")
	}
	s.recordHistory(t, id, "cart-recovery-unsubscribed")
}
