package brevo_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/bcflow/bcflow/emulator/brevoemu"
	"github.com/bcflow/bcflow/messaging"
	"github.com/bcflow/bcflow/messaging/brevo"
)

const attributesList = `{"attributes":[{"name":"EMAIL","category":"normal","type":"text"},` +
	`{"name":"FIRSTNAME","category":"normal","type":"text"},{"name":"BC_STORE","category":"normal","type":"text"},` +
	`{"name":"company","category":"normal","type":"text"},{"name":"ORDER_ID","category":"transactional","type":"id"}]}`

func TestEnsureContactAttributesCreatesMissingOnce(t *testing.T) {
	var mu sync.Mutex
	created := map[string]string{}
	loyaltyTries := 0
	s := newStub(t, func(r recorded) answer {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Method == "GET" && r.Path == "/contacts/attributes":
			return answer{status: 200, body: attributesList}
		case r.Method == "POST" && strings.HasPrefix(r.Path, "/contacts/attributes/normal/"):
			name := strings.TrimPrefix(r.Path, "/contacts/attributes/normal/")
			switch name {
			case "BC_CUSTOMER_ID": // another worker created it meanwhile
				return answer{status: 400, body: `{"code":"duplicate_parameter","message":"Attribute name already exists"}`}
			case "LOYALTY_TIER":
				if loyaltyTries++; loyaltyTries == 1 {
					return answer{status: 503, body: `{"code":"internal_error","message":"try again"}`}
				}
			}
			created[name] = fmt.Sprint(r.Body["type"])
			return answer{status: 201}
		}
		t.Errorf("unexpected %s %s", r.Method, r.Path)
		return answer{status: 404, body: `{"code":"document_not_found","message":"no"}`}
	})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if err := s.client.EnsureContactAttributes(ctx(t), messaging.SyncedContactAttributes); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	want := map[string]string{}
	for _, a := range messaging.SyncedContactAttributes {
		if a.Name != "BC_STORE" && a.Name != "COMPANY" && a.Name != "BC_CUSTOMER_ID" {
			want[a.Name] = a.Type
		}
	}
	if fmt.Sprint(created) != fmt.Sprint(want) {
		t.Errorf("created %v, want %v", created, want)
	}
	if n := len(s.requests("/contacts/attributes")); n != 1 {
		t.Errorf("%d attribute listings, want 1", n)
	}
	if n := len(s.requests("/contacts/attributes/normal/BC_CUSTOMER_ID")); n != 1 {
		t.Errorf("duplicate retried: %d creates", n)
	}
	if n := len(s.requests("/contacts/attributes/normal/LOYALTY_TIER")); n != 2 {
		t.Errorf("LOYALTY_TIER: %d creates, want 2 (503 then 201)", n)
	}

	// Cached: nothing is sent again; a new attribute is created without
	// listing again.
	n := len(s.requests(""))
	if err := s.client.EnsureContactAttributes(ctx(t), messaging.SyncedContactAttributes); err != nil || len(s.requests("")) != n {
		t.Errorf("second call: %v, %d more requests", err, len(s.requests(""))-n)
	}
	if err := s.client.EnsureContactAttributes(ctx(t), []messaging.ContactAttribute{{Name: "Birthday", Type: messaging.AttributeDate}}); err != nil {
		t.Fatal(err)
	}
	if got := s.requests("")[n:]; len(got) != 1 || got[0].Path != "/contacts/attributes/normal/BIRTHDAY" || got[0].Body["type"] != "date" {
		t.Errorf("new attribute requests %+v", got)
	}
}

func TestEnsureContactAttributesValidation(t *testing.T) {
	s := newStub(t, func(r recorded) answer { return answer{status: 200, body: `{"attributes":[]}`} })
	for _, a := range []messaging.ContactAttribute{
		{Name: "", Type: "text"}, {Name: "1ST", Type: "text"}, {Name: "A-B", Type: "text"},
		{Name: "OK", Type: "number"}, {Name: "OK", Type: ""}, {Name: "OK", Type: "id"},
	} {
		err := s.client.EnsureContactAttributes(ctx(t), []messaging.ContactAttribute{{Name: "FINE", Type: "text"}, a})
		if e := asError(t, err); e.Kind != messaging.KindValidation {
			t.Errorf("%+v: kind %v", a, e.Kind)
		}
	}
	if n := len(s.requests("")); n != 0 {
		t.Errorf("%d requests sent for invalid attributes", n)
	}
}

func TestEnsureContactAttributesFailuresNotCached(t *testing.T) {
	var mu sync.Mutex
	listFails, createFails := 5, 1
	s := newStub(t, func(r recorded) answer {
		mu.Lock()
		defer mu.Unlock()
		if r.Method == "GET" {
			if listFails > 0 {
				listFails--
				return answer{status: 500, body: `{"code":"internal_error","message":"down"}`}
			}
			return answer{status: 200, body: `{"attributes":[]}`}
		}
		if createFails > 0 {
			createFails--
			return answer{status: 400, body: `{"code":"invalid_parameter","message":"Attribute name is reserved"}`}
		}
		return answer{status: 201}
	})
	attrs := []messaging.ContactAttribute{{Name: "BC_STORE", Type: "text"}}
	if e := asError(t, s.client.EnsureContactAttributes(ctx(t), attrs)); e.Kind != messaging.KindTransient {
		t.Errorf("listing failure kind %v", e.Kind)
	}
	if e := asError(t, s.client.EnsureContactAttributes(ctx(t), attrs)); e.Kind != messaging.KindValidation || e.Status != 400 {
		t.Errorf("refused create: %+v", e)
	}
	if err := s.client.EnsureContactAttributes(ctx(t), attrs); err != nil {
		t.Errorf("third call: %v", err)
	}
	if got := len(s.requests("/contacts/attributes")); got != 6 {
		t.Errorf("%d listings, want 5 failed and 1 good", got)
	}
	if got := len(s.requests("/contacts/attributes/normal/BC_STORE")); got != 2 {
		t.Errorf("%d creates, want the refused one and the good one", got)
	}
}

func TestEnsureContactAttributesOnEmulator(t *testing.T) {
	// The fake clock stands still: the contacts family's 10 RPS would
	// add 429s (which the client waits out) to the statuses counted here.
	h := newHarness(t, brevoemu.Options{NoFamilyRateLimits: true}, nil, nil)
	if err := h.client.EnsureContactAttributes(ctx(t), messaging.SyncedContactAttributes); err != nil {
		t.Fatal(err)
	}
	have := h.emu.Attributes()
	for _, a := range messaging.SyncedContactAttributes {
		if !slices.Contains(have, brevoemu.Attribute{Name: a.Name, Category: "normal", Type: a.Type}) {
			t.Errorf("%+v not in the emulator's attributes %+v", a, have)
		}
	}

	// Another client (another worker) finds them all and creates nothing;
	// when it makes one the first client has not seen, the first client's
	// create answers duplicate_parameter, which counts as done.
	other, err := brevo.New(h.opts)
	if err != nil {
		t.Fatal(err)
	}
	before := len(h.statuses(brevoemu.EndpointCreateAttribute))
	late := []messaging.ContactAttribute{{Name: "LATE", Type: messaging.AttributeText}}
	if err := other.EnsureContactAttributes(ctx(t), append(slices.Clone(messaging.SyncedContactAttributes), late...)); err != nil {
		t.Fatal(err)
	}
	if err := h.client.EnsureContactAttributes(ctx(t), late); err != nil {
		t.Fatalf("race with another worker: %v", err)
	}
	if got := h.statuses(brevoemu.EndpointCreateAttribute)[before:]; fmt.Sprint(got) != "[201 400]" {
		t.Errorf("creates after the first client: %v, want [201 400]", got)
	}
	if got := h.statuses(brevoemu.EndpointListAttributes); len(got) != 2 {
		t.Errorf("listings %v, want one per client", got)
	}
}
