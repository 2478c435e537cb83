package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/emulator/bcemu"
)

func TestNormalizePhone(t *testing.T) {
	for _, c := range []struct{ raw, cc, want string }{
		{"+1 (512) 555-0199", "", "+15125550199"},
		{"(512) 555-0199", "1", "+15125550199"},
		{"1-512-555-0199", "1", "+15125550199"},
		{"512.555.0199", "1", "+15125550199"},
		{"07700 900123", "44", "+447700900123"},
		{"0044 7700 900123", "1", "+447700900123"},
		{"+33 6 12 34 56 78", "1", "+33612345678"},
		{"(512) 555-0199", "", ""},             // national number, no country code
		{"call me after 5", "1", ""},           // not a number
		{"512-555-0199 ext. 12", "1", ""},      // extension
		{"555-01", "1", ""},                    // too short
		{"+1 512 555 0199 0199 0199", "1", ""}, // too long
		{"+0 512 555 0199", "1", ""},           // no country starts with 0
		{"512+5550199", "1", ""},               // + inside
		{"", "1", ""},
	} {
		if got := normalizePhone(c.raw, c.cc); got != c.want {
			t.Errorf("normalizePhone(%q, %q) = %q, want %q", c.raw, c.cc, got, c.want)
		}
	}
}

// consentWorld is a world running the built-in flows (consent read from the
// "SMS opt-in" attribute or form field, country code 1).
func consentWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t)
	w.acts.Flows = config.DefaultFlows()
	return w
}

// customer registers a customer and returns its id.
func (w *world) customer(t *testing.T, in bcemu.CustomerInput) int {
	t.Helper()
	c, err := w.emu.BigCommerce().CreateCustomer(w.hash, in)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// blacklistSMS creates the Brevo contact of email, blacklisted for SMS
// (what a STOP reply does).
func (w *world) blacklistSMS(t *testing.T, email string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"email": email, "smsBlacklisted": true})
	req, _ := http.NewRequest(http.MethodPost, w.url+"/v3/contacts", bytes.NewReader(body))
	req.Header.Set("api-key", w.emu.Brevo().APIKeys()[0])
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create blacklisted contact: %d", res.StatusCode)
	}
}

// cartShopper loads the shopper of a new cart of customerID (0: guest email).
func (w *world) cartShopper(t *testing.T, customerID int, email string) Shopper {
	t.Helper()
	cart, err := w.emu.BigCommerce().CreateCart(w.hash, bcemu.CartInput{CustomerID: customerID, Email: email,
		Items: []bcemu.ItemInput{{SKU: "TEE-M", Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := w.acts.LoadCart(context.Background(), LoadCartInput{CartRef: CartRef{StoreHash: w.hash, CartID: cart.ID}})
	if err != nil {
		t.Fatal(err)
	}
	return snap.Shopper
}

func TestSMSConsentFromTheConsentSource(t *testing.T) {
	w := consentWorld(t)
	optIn := map[string]string{"SMS opt-in": "Yes"}
	cases := []struct {
		name      string
		in        bcemu.CustomerInput
		blacklist bool
		guest     bool
		phone     string
		consent   bool
	}{
		{name: "attribute opt-in", in: bcemu.CustomerInput{Phone: "(512) 555-0101", Attributes: optIn},
			phone: "+15125550101", consent: true},
		{name: "form field opt-in", in: bcemu.CustomerInput{Phone: "+44 7700 900123", FormFields: map[string]string{"SMS opt-in": "opted in"}},
			phone: "+447700900123", consent: true},
		{name: "attribute says no", in: bcemu.CustomerInput{Phone: "512 555 0102", Attributes: map[string]string{"SMS opt-in": "No"}},
			phone: "+15125550102"},
		{name: "attribute wins over form field", in: bcemu.CustomerInput{Phone: "512 555 0103", Attributes: map[string]string{"SMS opt-in": "no"},
			FormFields: map[string]string{"SMS opt-in": "yes"}}, phone: "+15125550103"},
		{name: "no opt-in recorded", in: bcemu.CustomerInput{Phone: "512 555 0104"}, phone: "+15125550104"},
		{name: "opted in but blacklisted in Brevo", in: bcemu.CustomerInput{Phone: "512 555 0105", Attributes: optIn}, blacklist: true,
			phone: "+15125550105"},
		{name: "opted in without a phone", in: bcemu.CustomerInput{Attributes: optIn}},
		{name: "opted in with a phone that is no number", in: bcemu.CustomerInput{Phone: "ask at the desk", Attributes: optIn}},
		{name: "guest (a cart holds no phone)", in: bcemu.CustomerInput{Phone: "512 555 0106", Guest: true}, guest: true},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.in.Email = "shopper" + string(rune('a'+i)) + "@example.com"
			id := w.customer(t, c.in)
			if c.blacklist {
				w.blacklistSMS(t, c.in.Email)
			}
			s := w.cartShopper(t, id, c.in.Email)
			if c.guest != (s.CustomerID == 0) || s.Phone != c.phone || s.SMSConsent != c.consent || s.WhatsAppConsent != c.consent {
				t.Errorf("shopper %+v: want phone %q, SMS and WhatsApp consent %v", s, c.phone, c.consent)
			}
		})
	}
}

func TestWhatsAppConsentHasItsOwnField(t *testing.T) {
	w := consentWorld(t)
	flows, err := config.ParseFlows("flows.yaml", []byte("version: 1\ndefaults:\n  consent: {sms_field: SMS opt-in, whatsapp_field: WhatsApp opt-in}\n"))
	if err != nil {
		t.Fatal(err)
	}
	w.acts.Flows = flows
	smsOnly := w.customer(t, bcemu.CustomerInput{Email: "sms@example.com", Phone: "512 555 0111", Attributes: map[string]string{"SMS opt-in": "yes"}})
	both := w.customer(t, bcemu.CustomerInput{Email: "both@example.com", Phone: "512 555 0112",
		Attributes: map[string]string{"SMS opt-in": "yes"}, FormFields: map[string]string{"WhatsApp opt-in": "true"}})
	if s := w.cartShopper(t, smsOnly, ""); !s.SMSConsent || s.WhatsAppConsent {
		t.Errorf("SMS-only shopper %+v", s)
	}
	if s := w.cartShopper(t, both, ""); !s.SMSConsent || !s.WhatsAppConsent {
		t.Errorf("shopper opted in to both %+v", s)
	}
	// Without flows there is no consent source: nobody consents.
	w.acts.Flows = nil
	if s := w.cartShopper(t, both, ""); s.SMSConsent || s.WhatsAppConsent {
		t.Errorf("consent without a consent source %+v", s)
	}
}

func TestOrderShopperPhoneFallsBackToBilling(t *testing.T) {
	w := consentWorld(t)
	id := w.customer(t, bcemu.CustomerInput{Email: "nophone@example.com", Attributes: map[string]string{"SMS opt-in": "1"}})
	cart, err := w.emu.BigCommerce().CreateCart(w.hash, bcemu.CartInput{CustomerID: id, Items: []bcemu.ItemInput{{SKU: "TEE-M", Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	o, err := w.emu.BigCommerce().Checkout(w.hash, cart.ID, bcemu.CheckoutInput{Billing: &bcemu.Address{FirstName: "No", LastName: "Phone",
		Street1: "1 Main St", City: "Austin", State: "Texas", Zip: "78701", Country: "United States", CountryISO2: "US", Phone: "512-555-0113"}})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := w.acts.LoadOrder(context.Background(), OrderInput{StoreHash: w.hash, OrderID: int64(o.ID), WithDetails: true})
	if err != nil {
		t.Fatal(err)
	}
	if s := snap.Shopper; s.Phone != "+15125550113" || !s.SMSConsent {
		t.Errorf("order shopper %+v", s)
	}
	// A guest's order has their billing phone, but a guest never consents.
	guest, err := w.emu.BigCommerce().CreateCart(w.hash, bcemu.CartInput{Email: "guest@example.com", Items: []bcemu.ItemInput{{SKU: "TEE-M", Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	o, err = w.emu.BigCommerce().Checkout(w.hash, guest.ID, bcemu.CheckoutInput{Billing: &bcemu.Address{FirstName: "Guest", LastName: "Shopper",
		Street1: "1 Main St", City: "Austin", State: "Texas", Zip: "78701", Country: "United States", CountryISO2: "US", Phone: "512-555-0114"}})
	if err != nil {
		t.Fatal(err)
	}
	snap, err = w.acts.LoadOrder(context.Background(), OrderInput{StoreHash: w.hash, OrderID: int64(o.ID), WithDetails: true})
	if err != nil {
		t.Fatal(err)
	}
	if s := snap.Shopper; s.CustomerID != 0 || s.Phone != "+15125550114" || s.SMSConsent || s.WhatsAppConsent {
		t.Errorf("guest order shopper %+v", s)
	}
}

func TestSyncContactSendsThePhoneInE164(t *testing.T) {
	w := consentWorld(t)
	ctx := context.Background()
	national := w.customer(t, bcemu.CustomerInput{Email: "national@example.com", Phone: "(512) 555-0131"})
	garbled := w.customer(t, bcemu.CustomerInput{Email: "garbled@example.com", Phone: "ask at the desk"})
	for _, id := range []int{national, garbled} {
		if res, err := w.acts.SyncContact(ctx, SyncContactInput{StoreHash: w.hash, CustomerID: int64(id)}); err != nil || !res.Found {
			t.Fatalf("sync customer %d: %+v, %v", id, res, err)
		}
	}
	if c, ok := w.emu.Brevo().Contact("national@example.com"); !ok || c.Attributes["SMS"] != "+15125550131" {
		t.Errorf("contact with a national number: %+v", c)
	}
	if c, ok := w.emu.Brevo().Contact("garbled@example.com"); !ok || c.Attributes["SMS"] != nil {
		t.Errorf("contact with a phone that is no number: %+v", c)
	}
}
