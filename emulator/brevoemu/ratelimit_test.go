package brevoemu

import (
	"encoding/json"
	"testing"
	"time"
)

func TestFamilyRateLimits(t *testing.T) {
	v := newEnv(t, Options{RateLimitFamilies: PublishedRateLimits()})
	// Contacts: 10 RPS shared by every /v3/contacts endpoint.
	for i := range 10 {
		path := "/v3/contacts/lists?limit=10"
		if i%2 == 0 {
			path = "/v3/contacts/nobody@example.com"
		}
		r := v.call("GET", path, "", true)
		if r.status == 429 || r.header.Get("x-sib-ratelimit-limit") != "10" {
			t.Fatalf("request %d: %d %v", i, r.status, r.header)
		}
	}
	r := v.call("POST", "/v3/contacts", `{"email":"a@example.com"}`, true)
	if r.status != 429 || r.header.Get("x-sib-ratelimit-remaining") != "0" || r.header.Get("x-sib-ratelimit-reset") != "1" {
		t.Fatalf("11th contacts request: %d %v", r.status, r.header)
	}
	// Other families have their own buckets.
	if r := v.call("POST", "/v3/orders/status", orderJSONBody("1", "a@example.com", "completed", 30), true); r.status != 204 || r.header.Get("x-sib-ratelimit-limit") != "5" {
		t.Fatalf("orders/status: %d %v", r.status, r.header)
	}
	r = v.call("POST", "/v3/orders/status/batch", `{"orders":[`+orderJSONBody("2", "a@example.com", "completed", 30)+`]}`, true)
	if r.status != 202 || r.header.Get("x-sib-ratelimit-limit") != "100" || r.header.Get("x-sib-ratelimit-remaining") != "99" || r.header.Get("x-sib-ratelimit-reset") != "3600" {
		t.Fatalf("orders batch (other: 100 RPH): %d %v", r.status, r.header)
	}
	v.clock.Advance(time.Second)
	if r := v.call("POST", "/v3/contacts", `{"email":"a@example.com"}`, true); r.status != 201 || r.header.Get("x-sib-ratelimit-remaining") != "9" {
		t.Fatalf("next second: %d %v", r.status, r.header)
	}
	counts := v.e.RequestCounts()
	if c := counts[EndpointCreateContact]; c.Requests != 2 || c.Limited != 1 {
		t.Fatalf("counts %+v", counts)
	}
	if c := counts[EndpointOrderBatch]; c.Requests != 1 || c.Limited != 0 {
		t.Fatalf("batch counts %+v", counts)
	}
	var simCounts map[string]EndpointCount
	if err := json.Unmarshal(v.sim("GET", "/_sim/brevo/requests/counts", "").body, &simCounts); err != nil || simCounts[EndpointCreateContact].Limited != 1 {
		t.Fatalf("sim counts: %v %+v", err, simCounts)
	}
	if c := v.e.Counts(); c.Limited != 1 || c.Requests != 14 {
		t.Fatalf("total counts %+v", c)
	}
}

func TestRateLimitHourAndScale(t *testing.T) {
	v := newEnv(t, Options{RateLimitFamilies: map[string][]RateRule{FamilyOther: {{Limit: 2, Window: time.Hour}}}})
	cat := func(id string) reply {
		return v.call("POST", "/v3/categories", `{"id":"`+id+`","name":"n"}`, true)
	}
	cat("1")
	cat("2")
	r := cat("3")
	if r.status != 429 || r.header.Get("x-sib-ratelimit-reset") != "3600" {
		t.Fatalf("third in the hour: %d %v", r.status, r.header)
	}
	// Compress time: with timeScale 3600 an hour lasts a second, and the
	// reset is given in milliseconds once the window is not whole seconds.
	if r := v.sim("PUT", "/_sim/brevo/ratelimits", `{"timeScale":7200}`); r.status != 200 {
		t.Fatalf("set scale: %d %s", r.status, r.body)
	}
	r = cat("3")
	if r.status != 201 || r.header.Get("x-sib-ratelimit-reset") != "0.250" {
		t.Fatalf("scaled: %d %v", r.status, r.header)
	}
	cat("4")
	if r := cat("5"); r.status != 429 {
		t.Fatalf("scaled limit not enforced: %d", r.status)
	}
	v.clock.Advance(250 * time.Millisecond) // the clock stands at .250 s
	if r := cat("5"); r.status != 201 {
		t.Fatalf("after the scaled window: %d %v", r.status, r.header)
	}
	// The control API overrides a family and turns limits off.
	if r := v.sim("PUT", "/_sim/brevo/ratelimits", `{"families":{"other":[{"limit":1,"windowMs":60000}]}}`); r.status != 200 {
		t.Fatalf("set family: %d %s", r.status, r.body)
	}
	cat("6")
	if r := cat("7"); r.status != 429 || r.header.Get("x-sib-ratelimit-limit") != "1" {
		t.Fatalf("overridden family: %d %v", r.status, r.header)
	}
	var cfg rateJSON
	_ = json.Unmarshal(v.sim("GET", "/_sim/brevo/ratelimits", "").body, &cfg)
	if len(cfg.Families[FamilyOther]) != 1 || cfg.Families[FamilyOther][0].WindowMs != 60000 || cfg.Families[FamilyContacts][0].Limit != 10 {
		t.Fatalf("config %+v", cfg)
	}
	v.sim("PUT", "/_sim/brevo/ratelimits", `{"disabled":true}`)
	if r := cat("7"); r.status != 201 || r.header.Get("x-sib-ratelimit-limit") != "" {
		t.Fatalf("disabled: %d %v", r.status, r.header)
	}
	if r := v.sim("PUT", "/_sim/brevo/ratelimits", `{"families":{"other":[{"limit":0,"windowMs":1}]}}`); r.status != 400 {
		t.Fatalf("zero limit accepted: %d", r.status)
	}
	if r := v.sim("DELETE", "/_sim/brevo/ratelimits", ""); r.status != 204 {
		t.Fatal(r.status)
	}
	if c := v.e.RateLimits(); c.Disabled || c.TimeScale != 0 || c.Families[FamilyOther][0].Limit != 2 {
		t.Fatalf("after DELETE: %+v", c)
	}
}

func TestEndpointFamily(t *testing.T) {
	for key, want := range map[string]string{
		EndpointSendEmail: FamilySMTPEmail, EndpointSendSMS: FamilySMS, EndpointEvent: FamilyEvents,
		EndpointEventBatch: FamilyOther, EndpointOrderStatus: FamilyOrderStatus, EndpointOrderBatch: FamilyOther,
		EndpointCreateProduct: FamilyProducts, EndpointProductBatch: FamilyOther, EndpointCategoryBatch: FamilyOther,
		EndpointImportContacts: FamilyContacts, EndpointAddToList: FamilyContacts, EndpointGetContact: FamilyContacts,
		EndpointGetProcess: FamilyOther, EndpointWhatsApp: FamilyOther,
	} {
		if got := EndpointFamily(key); got != want {
			t.Errorf("EndpointFamily(%q) = %s, want %s", key, got, want)
		}
	}
	// Defaults are on: a plain emulator answers the published headers.
	e := New(Options{})
	if c := e.RateLimits(); c.Disabled || c.Families[FamilyOrderStatus][0].Limit != 5 || c.Families[FamilyProducts][1].Limit != 7200 {
		t.Fatalf("defaults %+v", c)
	}
}
