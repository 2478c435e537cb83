package brevo_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/bcflow/bcflow/emulator/brevoemu"
)

// TestListMembershipAgainstEmulator adds and removes contacts the account
// has and emails it does not know, twice each: adding a member again is
// done, an email without a contact is failed, removing a non-member is
// reported but not an error.
func TestListMembershipAgainstEmulator(t *testing.T) {
	// The contacts are created directly, faster than Brevo's limits allow.
	h := newHarness(t, brevoemu.Options{NoFamilyRateLimits: true}, nil, nil)
	var emails []string
	for i := range 160 {
		email := fmt.Sprintf("member%03d@example.com", i)
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/v3/contacts", bytes.NewReader([]byte(`{"email":"`+email+`"}`)))
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
		emails = append(emails, email)
	}
	emails[7] = strings.ToUpper(emails[7]) // the caller's form comes back
	unknown := []string{"ghost1@example.com", "Ghost2@example.com", "zz-ghost3@example.com"}
	list, err := h.client.EnsureList(ctx(t), "bcflow", "At-risk customers")
	if err != nil {
		t.Fatal(err)
	}
	all := slices.Concat(emails, unknown)
	for round := range 2 {
		failed, err := h.client.AddToList(ctx(t), list, all)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		slices.Sort(failed)
		want := slices.Sorted(slices.Values(unknown))
		if !slices.Equal(failed, want) {
			t.Errorf("round %d: failed %v, want %v", round, failed, want)
		}
		if n := len(h.emu.ListMembers(list)); n != 160 {
			t.Errorf("round %d: %d members", round, n)
		}
	}
	// The second round: both batches refused with 400 (nothing to add).
	if st := h.statuses(brevoemu.EndpointAddToList); fmt.Sprint(st) != "[201 201 400 400]" {
		t.Errorf("add statuses %v", st)
	}
	leave := slices.Concat(emails[:10], unknown[:1])
	for round, want := range [][]string{{unknown[0]}, leave} {
		notMembers, err := h.client.RemoveFromList(ctx(t), list, leave)
		if err != nil {
			t.Fatalf("remove round %d: %v", round, err)
		}
		slices.Sort(notMembers)
		want = slices.Sorted(slices.Values(want))
		if !slices.Equal(notMembers, want) {
			t.Errorf("remove round %d: not members %v, want %v", round, notMembers, want)
		}
	}
	if n := len(h.emu.ListMembers(list)); n != 150 {
		t.Errorf("%d members after removal", n)
	}
	if logs := h.logs.String(); strings.Contains(logs, "example.com") {
		t.Errorf("logs carry emails:\n%s", logs)
	}
}
