package config

import "testing"

func TestParseFlowsStorefrontAndConsentErrors(t *testing.T) {
	runFlowsCases(t, []flowsCase{
		{"relative storefront url", `stores:
  - store_hash: abc
    channels:
      - channel_id: 1
        storefront_url: https://shop.example.com
      - channel_id: 2
        storefront_url: /eu
      - channel_id: 3
        storefront_url: ftp://files.example.com
`, `flows.yaml:7: stores[0].channels[1].storefront_url: must be an absolute http(s) URL such as https://shop.example.com, got "/eu"
flows.yaml:9: stores[0].channels[2].storefront_url: must be an absolute http(s) URL such as https://shop.example.com, got "ftp://files.example.com"`},
		{"bad consent", `defaults:
  consent:
    sms_field: " SMS opt-in"
    default_country_code: "+44"
`, `flows.yaml:3: defaults.consent.sms_field: must not start or end with spaces, got " SMS opt-in"
flows.yaml:4: defaults.consent.default_country_code: must be a calling code of 1 to 3 digits without + (1, 44, 33), got "+44"`},
		{"unknown consent key", "defaults:\n  consent:\n    sms_attribute: x\n",
			`flows.yaml:3: defaults.consent.sms_attribute: unknown field "sms_attribute"; known fields: sms_field, whatsapp_field, default_country_code`},
	})
}

func TestStorefrontURLAndConsent(t *testing.T) {
	f, err := ParseFlows("flows.yaml", []byte(`version: 1
defaults:
  consent: {whatsapp_field: WhatsApp}
stores:
  - store_hash: abc
    channels:
      - channel_id: 2
        storefront_url: https://eu.example.com/
        consent: {sms_field: Texts OK, default_country_code: "44"}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.StorefrontURL("ABC", 2); got != "https://eu.example.com" {
		t.Errorf("StorefrontURL(abc, 2) = %q", got)
	}
	if got := f.StorefrontURL("abc", 1); got != "" {
		t.Errorf("StorefrontURL(abc, 1) = %q, want none", got)
	}
	// Omitted keys take the built-in values.
	c := f.For("abc", 1).Consent
	if c.SMSField != "SMS opt-in" || c.WhatsAppFieldName() != "WhatsApp" || c.DefaultCountryCode != "1" {
		t.Errorf("defaults consent %+v", c)
	}
	c = f.For("abc", 2).Consent
	if c.SMSField != "Texts OK" || c.WhatsAppFieldName() != "Texts OK" || c.DefaultCountryCode != "44" {
		t.Errorf("channel 2 consent %+v", c)
	}
	// A file without consent reads no opt-in.
	f, err = ParseFlows("flows.yaml", []byte("version: 1\ndefaults: {}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c := f.For("abc", 1).Consent; c == nil || c.SMSField != "" || c.WhatsAppFieldName() != "" {
		t.Errorf("consent without a section: %+v", c)
	}
}

func TestIsOptIn(t *testing.T) {
	for _, v := range []string{"Yes", "y", "TRUE", "1", "on", "opt-in", "Opted In", "opted-in", "subscribed", " yes "} {
		if !IsOptIn(v) {
			t.Errorf("IsOptIn(%q) = false", v)
		}
	}
	for _, v := range []string{"", "no", "0", "false", "off", "opt-out", "unsubscribed", "maybe"} {
		if IsOptIn(v) {
			t.Errorf("IsOptIn(%q) = true", v)
		}
	}
}
