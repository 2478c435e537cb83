package brevoemu

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
)

func attributeNames(as []Attribute) []string {
	out := make([]string, 0, len(as))
	for _, a := range as {
		out = append(out, a.Name)
	}
	return out
}

func TestAttributes(t *testing.T) {
	v := newEnv(t, Options{})
	r := v.call("GET", "/v3/contacts/attributes", "", true)
	var got struct {
		Attributes []Attribute `json:"attributes"`
	}
	if err := json.Unmarshal(r.body, &got); r.status != 200 || err != nil {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	for _, n := range []string{"EMAIL", "FIRSTNAME", "LASTNAME", "SMS"} {
		if !slices.Contains(attributeNames(got.Attributes), n) {
			t.Fatalf("default attribute %s missing: %s", n, r.body)
		}
	}
	if slices.Contains(attributeNames(got.Attributes), "BC_CUSTOMER_ID") {
		t.Fatal("custom attribute exists before it is created")
	}

	if r := v.call("POST", "/v3/contacts/attributes/normal/BC_CUSTOMER_ID", `{"type":"float"}`, true); r.status != 201 || len(r.body) != 0 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if r := v.call("POST", "/v3/contacts/attributes/normal/bc_accepts_marketing", `{"type":"boolean"}`, true); r.status != 201 {
		t.Fatalf("create lower case: %d %s", r.status, r.body)
	}
	want := Attribute{Name: "BC_CUSTOMER_ID", Category: "normal", Type: "float"}
	as := v.e.Attributes()
	if !slices.Contains(as, want) || !slices.Contains(as, Attribute{Name: "BC_ACCEPTS_MARKETING", Category: "normal", Type: "boolean"}) {
		t.Fatalf("Attributes after create: %+v", as)
	}
	r = v.call("GET", "/v3/contacts/attributes", "", true)
	_ = json.Unmarshal(r.body, &got)
	if !slices.Contains(got.Attributes, want) {
		t.Fatalf("list after create: %s", r.body)
	}
	var sim []Attribute
	if err := json.Unmarshal(v.sim("GET", "/_sim/brevo/attributes", "").body, &sim); err != nil || !slices.Equal(sim, v.e.Attributes()) {
		t.Fatalf("/_sim/brevo/attributes: %+v %v", sim, err)
	}

	// Errors: existing (any case, defaults included), bad category, name
	// or type.
	wantError(t, v.call("POST", "/v3/contacts/attributes/normal/BC_CUSTOMER_ID", `{"type":"text"}`, true), 400, "duplicate_parameter")
	wantError(t, v.call("POST", "/v3/contacts/attributes/normal/firstname", `{"type":"text"}`, true), 400, "duplicate_parameter")
	wantError(t, v.call("POST", "/v3/contacts/attributes/weird/X", `{"type":"text"}`, false), 400, "invalid_parameter")
	wantError(t, v.call("POST", "/v3/contacts/attributes/normal/1ST", `{"type":"text"}`, true), 400, "invalid_parameter")
	wantError(t, v.call("POST", "/v3/contacts/attributes/normal/A-B", `{"type":"text"}`, true), 400, "invalid_parameter")
	wantError(t, v.call("POST", "/v3/contacts/attributes/normal/X", `{"type":"number"}`, false), 400, "invalid_parameter")
	wantError(t, v.call("POST", "/v3/contacts/attributes/normal/X", `{"type":"id"}`, true), 400, "invalid_parameter")
	wantError(t, v.call("POST", "/v3/contacts/attributes/normal/X", `{}`, true), 400, "missing_parameter")
	wantError(t, v.call("POST", "/v3/contacts/attributes/normal/X", `[1]`, false), 400, "bad_request")
	wantError(t, v.call("POST", "/v3/contacts/attributes/global/X", `{"value":"1"}`, true), 400, "bad_request")
	if n := len(v.e.Attributes()); n != len(as) {
		t.Fatalf("a refused create changed the attributes: %d, want %d", n, len(as))
	}

	// Contacts keep values of unknown attributes (unlike real Brevo).
	if r := v.call("POST", "/v3/contacts", `{"email":"ann@example.com","attributes":{"NOT_CREATED":"x"}}`, true); r.status != 201 {
		t.Fatalf("contact: %d %s", r.status, r.body)
	}
	if c, _ := v.e.Contact("ann@example.com"); c.Attributes["NOT_CREATED"] != "x" {
		t.Fatalf("contact attributes: %+v", c.Attributes)
	}

	// Reset restores the defaults.
	v.e.Reset()
	if slices.Contains(attributeNames(v.e.Attributes()), "BC_CUSTOMER_ID") || len(v.e.Attributes()) != len(defaultAttributes()) {
		t.Fatalf("after Reset: %+v", v.e.Attributes())
	}
}

func TestAttributesRateLimitedAsContacts(t *testing.T) {
	for _, ep := range []string{EndpointListAttributes, EndpointCreateAttribute} {
		if f := EndpointFamily(ep); f != FamilyContacts {
			t.Fatalf("%s: family %q, want %q", ep, f, FamilyContacts)
		}
	}
	v := newEnv(t, Options{RateLimitFamilies: map[string][]RateRule{FamilyContacts: {{Limit: 1, Window: 1e9}}}})
	if r := v.call("GET", "/v3/contacts/attributes", "", true); r.status != 200 {
		t.Fatalf("first: %d %s", r.status, r.body)
	}
	if r := v.call("POST", "/v3/contacts/attributes/normal/X", `{"type":"text"}`, true); r.status != 429 {
		t.Fatalf("second in the contacts family: %d %s", r.status, r.body)
	}
}

func TestAttributesSnapshot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "brevo.json")
	v := newEnv(t, Options{SnapshotPath: path})
	v.call("POST", "/v3/contacts/attributes/normal/LOYALTY_TIER", `{"type":"text"}`, true)
	if err := v.e.Save(); err != nil {
		t.Fatal(err)
	}
	v2 := newEnv(t, Options{SnapshotPath: path})
	if !slices.Contains(v2.e.Attributes(), Attribute{Name: "LOYALTY_TIER", Category: "normal", Type: "text"}) {
		t.Fatalf("attributes after load: %+v", v2.e.Attributes())
	}
}
