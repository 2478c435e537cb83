package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"go.temporal.io/api/enums/v1"

	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/emulator/bcemu"
	"github.com/bcflow/bcflow/emulator/brevoemu"
	"github.com/bcflow/bcflow/store"
	"github.com/bcflow/bcflow/workflows"
)

// defaultFlowsInSeconds is the built-in flows file with the cart recovery
// delays (1h, 24h, 72h) turned into 1 s, 2 s and 3 s.
func defaultFlowsInSeconds(t *testing.T) string {
	t.Helper()
	yaml := string(config.DefaultFlowsYAML())
	for _, r := range [][2]string{
		{"        delay: 1h\n        channel: email", "        delay: 1s\n        channel: email"},
		{"        delay: 24h\n", "        delay: 2s\n"},
		{"        delay: 72h\n        channel: sms", "        delay: 3s\n        channel: sms"},
		{"    attribution_window: 120h\n", "    attribution_window: 1s\n"},
	} {
		if strings.Count(yaml, r[0]) != 1 {
			t.Fatalf("flows.default.yaml changed: %q is not there once", r[0])
		}
		yaml = strings.Replace(yaml, r[0], r[1], 1)
	}
	return yaml
}

// TestDefaultPlaybookSMSNeedsConsent: the default playbook's SMS step goes
// out to a shopper whose "SMS opt-in" customer attribute says yes, with an
// absolute cart link, and never to one without the opt-in or one who
// replied STOP (blacklisted in Brevo).
func TestDefaultPlaybookSMSNeedsConsent(t *testing.T) {
	s := newStack(t, stackOptions{flowsYAML: defaultFlowsInSeconds(t)})
	shoppers := []struct {
		email, phone string
		attrs        map[string]string
		blacklist    bool
		wantSMS      bool
	}{
		{"yes@example.com", "(512) 555-0121", map[string]string{"SMS opt-in": "Yes"}, false, true},
		{"no@example.com", "(512) 555-0122", nil, false, false},
		{"stop@example.com", "(512) 555-0123", map[string]string{"SMS opt-in": "Yes"}, true, false},
	}
	ids := make([]string, len(shoppers))
	keys := make([]string, len(shoppers))
	for i, sh := range shoppers {
		cust, err := s.bc.CreateCustomer(s.hash, bcemu.CustomerInput{Email: sh.email, FirstName: "Shopper", Phone: sh.phone, Attributes: sh.attrs})
		if err != nil {
			t.Fatal(err)
		}
		if sh.blacklist {
			s.blacklistSMS(t, sh.email)
		}
		cart, err := s.bc.CreateCart(s.hash, bcemu.CartInput{CustomerID: cust.ID, Items: []bcemu.ItemInput{{SKU: "TEE-M", Quantity: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.bc.AbandonCart(s.hash, cart.ID); err != nil {
			t.Fatal(err)
		}
		ids[i], keys[i] = workflows.CartRecoveryID(s.hash, cart.ID), fmt.Sprintf("c:%d", cust.ID)
	}
	for i := range shoppers {
		eventually(t, "the flow of "+shoppers[i].email+" ends", func() (bool, string) {
			status, _ := s.describe(ids[i])
			return status == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, status.String()
		})
	}
	for i, sh := range shoppers {
		e164 := "+1512555012" + sh.phone[len(sh.phone)-1:]
		sms := s.brevo.Messages(brevoemu.Filter{To: e164, Channel: brevoemu.ChannelSMS})
		if !sh.wantSMS {
			if len(sms) != 0 {
				t.Errorf("%s: %d SMS sent without consent", sh.email, len(sms))
			}
			ds, err := s.store.ListDecisions(context.Background(), store.DecisionFilter{StoreHash: s.hash, CustomerKey: keys[i]})
			if err != nil {
				t.Fatal(err)
			}
			skipped := false
			for _, d := range ds {
				skipped = skipped || (d.WorkflowID == ids[i] && d.Step == "sms-nudge" && strings.Contains(d.Reason, "no SMS consent"))
			}
			if !skipped {
				t.Errorf("%s: no decision skipping sms-nudge for want of consent: %+v", sh.email, ds)
			}
			continue
		}
		if len(sms) != 1 {
			t.Fatalf("%s: %d SMS, want 1", sh.email, len(sms))
		}
		if body := sms[0].TextContent; !strings.Contains(body, "https://") || strings.Contains(body, " /cart.php") {
			t.Errorf("%s: SMS %q lacks an absolute cart link", sh.email, body)
		}
	}
}

// blacklistSMS creates the Brevo contact of email blacklisted for SMS, as a
// STOP reply does.
func (s *stack) blacklistSMS(t *testing.T, email string) {
	t.Helper()
	s.createBrevoContact(t, email, "smsBlacklisted")
}

// createBrevoContact creates email's Brevo contact with the flag (e.g.
// emailBlacklisted: the shopper unsubscribed in Brevo) set.
func (s *stack) createBrevoContact(t *testing.T, email, flag string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.emu.BaseURL()+"/v3/contacts", strings.NewReader(fmt.Sprintf(`{"email":%q,%q:true}`, email, flag)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("api-key", s.brevo.APIKeys()[0])
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create contact with %s: %d", flag, res.StatusCode)
	}
}
