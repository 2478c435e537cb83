package brevo_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/bcflow/bcflow/emulator/brevoemu"
)

func TestContactStatus(t *testing.T) {
	h := newHarness(t, brevoemu.Options{}, nil, nil)
	for _, body := range []string{
		`{"email":"stop@example.com","smsBlacklisted":true,"attributes":{"SMS":"+15125550111"}}`,
		`{"email":"ok@example.com","attributes":{"SMS":"+15125550112"}}`,
	} {
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/v3/contacts", bytes.NewReader([]byte(body)))
		req.Header.Set("api-key", brevoemu.DefaultAPIKey)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("create contact: %d", res.StatusCode)
		}
	}
	st, err := h.client.ContactStatus(ctx(t), "Stop@example.com", "")
	if err != nil || !st.Found || !st.SMSBlacklisted || st.EmailBlacklisted {
		t.Errorf("blacklisted contact: %+v, %v", st, err)
	}
	st, err = h.client.ContactStatus(ctx(t), "ok@example.com", "")
	if err != nil || !st.Found || st.SMSBlacklisted {
		t.Errorf("consenting contact: %+v, %v", st, err)
	}
	// By phone when there is no email.
	st, err = h.client.ContactStatus(ctx(t), "", "+15125550111")
	if err != nil || !st.Found || !st.SMSBlacklisted {
		t.Errorf("contact by phone: %+v, %v", st, err)
	}
	// Unknown contacts are not an error.
	st, err = h.client.ContactStatus(ctx(t), "nobody@example.com", "")
	if err != nil || st.Found || st.SMSBlacklisted {
		t.Errorf("unknown contact: %+v, %v", st, err)
	}
	if _, err := h.client.ContactStatus(ctx(t), "", "555-0101"); asError(t, err).Retryable() {
		t.Errorf("non-E.164 phone: %v", err)
	}
	// The identifier stays out of the logs.
	if logs := h.logs.String(); strings.Contains(logs, "example.com") || strings.Contains(logs, "5550111") {
		t.Errorf("logs carry the contact's identity:\n%s", logs)
	}
}
