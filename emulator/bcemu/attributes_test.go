package bcemu

import (
	"net/url"
	"strconv"
	"testing"
)

func TestCustomerAttributesAndFormFields(t *testing.T) {
	en := newEnv(t, Options{})
	opt, err := en.e.CreateCustomer(testHash, CustomerInput{Email: "texts@example.com", Phone: "512 555 0199",
		Attributes: map[string]string{"SMS opt-in": "Yes", "Tier": "gold"}, FormFields: map[string]string{"WhatsApp opt-in": "yes"}})
	if err != nil {
		t.Fatal(err)
	}
	other, err := en.e.CreateCustomer(testHash, CustomerInput{Email: "quiet@example.com", Attributes: map[string]string{"sms opt-in": "No"}})
	if err != nil {
		t.Fatal(err)
	}
	values := func(query string) []map[string]any {
		t.Helper()
		r := en.api("GET", "v3", "/customers/attribute-values?"+query, nil)
		wantStatus(t, r, 200)
		var out []map[string]any
		for _, d := range r.obj(t)["data"].([]any) {
			out = append(out, d.(map[string]any))
		}
		return out
	}
	// By attribute name (case-insensitive, one attribute for both customers) and customer.
	got := values("name=" + url.QueryEscape("SMS opt-in") + "&customer_id:in=" + strconv.Itoa(opt.ID))
	if len(got) != 1 || got[0]["attribute_value"] != "Yes" || got[0]["customer_id"] != float64(opt.ID) {
		t.Fatalf("opt-in values %v", got)
	}
	attrID := got[0]["attribute_id"]
	// Jane (customer 1) opted in in the default store as well.
	if got := values("name=" + url.QueryEscape("SMS opt-in")); len(got) != 3 || got[2]["attribute_value"] != "No" || got[2]["attribute_id"] != attrID {
		t.Errorf("all opt-in values %v", got)
	}
	if got := values("name=Unknown"); len(got) != 0 {
		t.Errorf("unknown attribute values %v", got)
	}
	if got := values("customer_id:in=" + strconv.Itoa(opt.ID)); len(got) != 2 {
		t.Errorf("values of customer %v", got)
	}
	// An update changes the value; "" removes it.
	if _, err := en.e.UpdateCustomer(testHash, other.ID, CustomerInput{Attributes: map[string]string{"SMS opt-in": "yes"}}); err != nil {
		t.Fatal(err)
	}
	if got := values("customer_id:in=" + strconv.Itoa(other.ID)); len(got) != 1 || got[0]["attribute_value"] != "yes" {
		t.Errorf("updated value %v", got)
	}
	if _, err := en.e.UpdateCustomer(testHash, other.ID, CustomerInput{Attributes: map[string]string{"SMS opt-in": ""}}); err != nil {
		t.Fatal(err)
	}
	if got := values("customer_id:in=" + strconv.Itoa(other.ID)); len(got) != 0 {
		t.Errorf("removed value %v", got)
	}
	// The customer carries its values and form fields when asked.
	r := en.api("GET", "v3", "/customers?id:in="+strconv.Itoa(opt.ID)+"&include=attributes,formfields", nil)
	wantStatus(t, r, 200)
	c := r.obj(t)["data"].([]any)[0].(map[string]any)
	if len(c["attributes"].([]any)) != 2 || c["attribute_count"] != float64(2) {
		t.Errorf("customer attributes %v", c["attributes"])
	}
	if ff := c["form_fields"].([]any); len(ff) != 1 || ff[0].(map[string]any)["name"] != "WhatsApp opt-in" || ff[0].(map[string]any)["value"] != "yes" {
		t.Errorf("customer form fields %v", c["form_fields"])
	}
}

func TestDefaultStoreJaneOptedInToSMS(t *testing.T) {
	en := newEnv(t, Options{})
	r := en.api("GET", "v3", "/customers/attribute-values?name=SMS+opt-in", nil)
	wantStatus(t, r, 200)
	data := r.obj(t)["data"].([]any)
	if len(data) != 1 || data[0].(map[string]any)["customer_id"] != float64(1) || data[0].(map[string]any)["attribute_value"] != "Yes" {
		t.Errorf("SMS opt-ins of the default store %v", data)
	}
}
