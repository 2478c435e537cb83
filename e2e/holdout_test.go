package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"go.temporal.io/api/enums/v1"

	"github.com/bcflow/bcflow/emulator/bcemu"
	"github.com/bcflow/bcflow/emulator/brevoemu"
	"github.com/bcflow/bcflow/store"
	"github.com/bcflow/bcflow/workflows"
)

// holdoutCart is one abandoned cart of the holdout test and its shopper.
type holdoutCart struct {
	id, email, group string
	customerID       int
}

// TestHoldoutEndToEnd: with half the carts held out, the held-out carts get
// no message while the messaged ones get their reminders; every cart's
// assignment is recorded, and an order from a cart of each group is
// recorded as converted for its group with the order's total (the messaged
// one also as recovered).
func TestHoldoutEndToEnd(t *testing.T) {
	flows := strings.Replace(shortCartFlows, "abandoned_after: 1h\n", "abandoned_after: 1h\n    holdout_percent: 50\n", 1)
	s := newStack(t, stackOptions{flowsYAML: flows})
	ctx := context.Background()

	// Carts until each group has two (a cart's group follows from its id).
	var carts []holdoutCart
	count := map[string]int{}
	for i := 0; count[workflows.HoldoutGroupHeld] < 2 || count[workflows.HoldoutGroupMessaged] < 2; i++ {
		if i == 40 {
			t.Fatalf("40 carts and still not two of each group: %v", count)
		}
		email := fmt.Sprintf("holdout%d@example.com", i)
		cust, err := s.bc.CreateCustomer(s.hash, bcemu.CustomerInput{Email: email, FirstName: "H"})
		if err != nil {
			t.Fatal(err)
		}
		cart, err := s.bc.CreateCart(s.hash, bcemu.CartInput{CustomerID: cust.ID, Items: []bcemu.ItemInput{{SKU: "TEE-M", Quantity: 1 + i%3}}})
		if err != nil {
			t.Fatal(err)
		}
		group := workflows.HoldoutGroup(s.hash, cart.ID, 50)
		if count[group] == 2 {
			continue // enough of this group; the cart is never abandoned
		}
		count[group]++
		carts = append(carts, holdoutCart{id: cart.ID, email: email, group: group, customerID: cust.ID})
		if _, err := s.bc.AbandonCart(s.hash, cart.ID); err != nil {
			t.Fatal(err)
		}
	}

	decisions := func(c holdoutCart) []store.Decision {
		ds, err := s.store.ListDecisions(ctx, store.DecisionFilter{StoreHash: s.hash, WorkflowID: workflows.CartRecoveryID(s.hash, c.id)})
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}
	find := func(ds []store.Decision, step, decision string) []store.Decision {
		var out []store.Decision
		for _, d := range ds {
			if d.Step == step && d.Decision == decision {
				out = append(out, d)
			}
		}
		return out
	}
	// Every cart is assigned to its group, on its channel.
	for _, c := range carts {
		eventually(t, "the assignment of cart "+c.id, func() (bool, string) {
			as := find(decisions(c), workflows.StepHoldout, workflows.DecisionAssigned)
			return len(as) == 1, fmt.Sprintf("%d assignments", len(as))
		})
		a := find(decisions(c), workflows.StepHoldout, workflows.DecisionAssigned)[0]
		if a.Reason != c.group || a.ChannelID != 1 || a.CustomerKey != fmt.Sprintf("c:%d", c.customerID) {
			t.Fatalf("cart %s (%s): assignment %+v", c.id, c.group, a)
		}
	}
	// The messaged shoppers get both reminders; by then the held-out ones
	// would have had theirs.
	for _, c := range carts {
		if c.group != workflows.HoldoutGroupMessaged {
			continue
		}
		eventually(t, "two reminders to "+c.email, func() (bool, string) {
			n := len(s.emailsTo(c.email))
			return n == 2, fmt.Sprintf("%d emails", n)
		})
	}
	for _, c := range carts {
		if c.group != workflows.HoldoutGroupHeld {
			continue
		}
		if msgs := s.brevo.Messages(brevoemu.Filter{To: c.email}); len(msgs) != 0 {
			t.Fatalf("held-out shopper %s got %d messages: %+v", c.email, len(msgs), msgs)
		}
		for _, m := range s.brevo.Messages(brevoemu.Filter{}) {
			if strings.HasPrefix(m.IdempotencyKey, workflows.CartRecoveryID(s.hash, c.id)+"/") {
				t.Fatalf("a message of held-out cart %s: %+v", c.id, m)
			}
		}
		if sent := find(decisions(c), "", workflows.DecisionSent); len(sent) != 0 {
			t.Fatalf("held-out cart %s recorded sends: %+v", c.id, sent)
		}
	}

	// One cart of each group becomes an order.
	totals := map[string]store.Money{}
	for _, group := range []string{workflows.HoldoutGroupHeld, workflows.HoldoutGroupMessaged} {
		var c holdoutCart
		for _, cc := range carts {
			if cc.group == group {
				c = cc
				break
			}
		}
		order, err := s.bc.Checkout(s.hash, c.id, bcemu.CheckoutInput{})
		if err != nil {
			t.Fatalf("checkout of %s cart %s: %v", group, c.id, err)
		}
		id := workflows.CartRecoveryID(s.hash, c.id)
		eventually(t, "the order ends the "+group+" cart's flow", func() (bool, string) {
			status, _ := s.describe(id)
			return status == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, status.String()
		})
		want, err := store.ParseMoney(order.Total().V2())
		if err != nil || want <= 0 {
			t.Fatalf("order total %q: %v", order.Total().V2(), err)
		}
		totals[group] = want
		ds := decisions(c)
		conv := find(ds, workflows.StepHoldout, workflows.DecisionConverted)
		if len(conv) != 1 || conv[0].Reason != group || conv[0].Amount != want || conv[0].ChannelID != 1 ||
			!strings.Contains(string(conv[0].Details), fmt.Sprint(order.ID)) {
			t.Fatalf("%s cart %s: converted decisions %+v, want one of %s for order %d", group, c.id, conv, want, order.ID)
		}
		recovered := 0
		for _, d := range ds {
			if d.Decision == workflows.DecisionRecovered {
				recovered++
				if d.Amount != want {
					t.Errorf("recovered amount %s, want %s", d.Amount, want)
				}
			}
		}
		if wantRec := map[string]int{workflows.HoldoutGroupHeld: 0, workflows.HoldoutGroupMessaged: 1}[group]; recovered != wantRec {
			t.Fatalf("%s cart: %d recovered decisions, want %d", group, recovered, wantRec)
		}
		s.recordHistory(t, id, "cart-recovery-holdout-"+group+"-converted")
	}
	// The dashboard's figures compare the two groups: two carts each, one
	// order each, at its own total.
	apiGet := dashboardAPI(t, s.dashboardServer(t, []string{s.hash}))
	h := apiGet("/stores/"+s.hash+"/analytics/holdout", period{})
	if got := jstr(dig(h, "percent")); got != "50" {
		t.Errorf("holdout percent %s, want 50", got)
	}
	for api, group := range map[string]string{"holdout": workflows.HoldoutGroupHeld, "messaged": workflows.HoldoutGroupMessaged} {
		carts, converted, revenue := jstr(dig(h, api, "carts")), jstr(dig(h, api, "converted")), jstr(dig(h, api, "revenue"))
		if want := totals[group].String(); carts != "2" || converted != "1" || revenue != want {
			t.Errorf("%s group: carts %s converted %s revenue %s, want 2, 1, %s (%v)", api, carts, converted, revenue, want, h)
		}
	}
	// Brevo reports every reminder delivered (the emulator's webhook, a second
	// after the send): the funnel counts each once, as many as were sent;
	// an open the shopper makes counts on its step.
	funnel := func() (sent, delivered, opened string) {
		for _, f := range jlist(dig(apiGet("/stores/"+s.hash+"/analytics/flows", period{}), "flows")) {
			if jstr(dig(f, "flow")) == workflows.FlowCartRecovery {
				return jstr(dig(f, "sent", "current")), jstr(dig(f, "delivered", "current")), jstr(dig(f, "opened", "current"))
			}
		}
		return "", "", ""
	}
	eventually(t, "every reminder counted delivered", func() (bool, string) {
		sent, delivered, _ := funnel()
		return sent == "4" && delivered == "4", "sent " + sent + ", delivered " + delivered
	})
	var first holdoutCart
	for _, c := range carts {
		if c.group == workflows.HoldoutGroupMessaged {
			first = c
			break
		}
	}
	msg := s.brevo.Messages(brevoemu.Filter{To: first.email})[0]
	for range 2 { // opened twice: one open
		resp, err := http.Post(s.emuURL+"/_sim/brevo/messages/"+url.PathEscape(msg.ID)+"/open", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("open %s: %s", msg.ID, resp.Status)
		}
	}
	eventually(t, "the open counted once", func() (bool, string) {
		_, _, opened := funnel()
		return opened == "1", "opened " + opened
	})
	// The held-out cart that converted still got nothing.
	for _, c := range carts {
		if c.group == workflows.HoldoutGroupHeld && len(s.brevo.Messages(brevoemu.Filter{To: c.email})) != 0 {
			t.Fatalf("held-out shopper %s got a message", c.email)
		}
	}
}
