package config

import (
	"regexp"
	"strings"
)

// Consent says where bcflow reads a shopper's opt-in to SMS and WhatsApp
// messages, which steps that require sms_consent or whatsapp_consent check.
//
// A shopper consents to SMS when all of these hold:
//   - they are a registered BigCommerce customer (guests have no customer
//     record to hold the opt-in, so they never consent);
//   - their customer attribute (Customers › Attributes) or account sign-up
//     form field named SMSField has a truthy value: yes, y, true, 1, on,
//     opt-in, opted-in, opted in, subscribed (case-insensitive);
//   - the messaging provider does not list them as blacklisted for SMS
//     (Brevo's smsBlacklisted, set when they reply STOP);
//   - they have a phone number (customer record, else billing address) that
//     normalises to E.164, using DefaultCountryCode for national numbers.
//
// WhatsApp consent is the same test with WhatsAppField (default SMSField).
type Consent struct {
	// SMSField names the customer attribute or sign-up form field holding
	// the SMS opt-in; empty means no shopper consents to SMS.
	SMSField string `yaml:"sms_field"`
	// WhatsAppField names the field holding the WhatsApp opt-in; default
	// SMSField.
	WhatsAppField string `yaml:"whatsapp_field,omitempty"`
	// DefaultCountryCode is the calling code, digits only (1, 44, 33), of
	// phone numbers written without an international prefix.
	DefaultCountryCode string `yaml:"default_country_code"`
}

func (c *Consent) setDefaults() {
	*c = builtinSection(func(s *FlowSet) *Consent { return s.Consent })
}

// WhatsAppFieldName returns the field holding the WhatsApp opt-in.
func (c *Consent) WhatsAppFieldName() string {
	if c.WhatsAppField != "" {
		return c.WhatsAppField
	}
	return c.SMSField
}

// IsOptIn reports whether a consent field's value means yes.
func IsOptIn(value string) bool {
	switch strings.Join(strings.Fields(strings.ToLower(strings.ReplaceAll(value, "-", " "))), " ") {
	case "yes", "y", "true", "1", "on", "opt in", "opted in", "subscribed":
		return true
	}
	return false
}

var countryCodeRE = regexp.MustCompile(`^[1-9][0-9]{0,2}$`)

func (c *checker) consent(p string, cs *Consent) {
	if strings.TrimSpace(cs.SMSField) != cs.SMSField {
		c.add(p+".sms_field", "must not start or end with spaces, got %q", cs.SMSField)
	}
	if strings.TrimSpace(cs.WhatsAppField) != cs.WhatsAppField {
		c.add(p+".whatsapp_field", "must not start or end with spaces, got %q", cs.WhatsAppField)
	}
	if cs.DefaultCountryCode != "" && !countryCodeRE.MatchString(cs.DefaultCountryCode) {
		c.add(p+".default_country_code", "must be a calling code of 1 to 3 digits without + (1, 44, 33), got %q", cs.DefaultCountryCode)
	}
}

// StorefrontURL returns the storefront base URL the flows file sets for a
// store's channel (stores[].channels[].storefront_url), "" when it sets
// none: links then use the channel's site from BigCommerce.
func (f *Flows) StorefrontURL(storeHash string, channelID int) string {
	for _, s := range f.StoreOverrides {
		if !strings.EqualFold(s.StoreHash, storeHash) {
			continue
		}
		for _, ch := range s.Channels {
			if ch.ChannelID == channelID {
				return strings.TrimSuffix(ch.StorefrontURL, "/")
			}
		}
	}
	return ""
}

func (c *checker) storefrontURL(p, u string) {
	if u != "" && !isHTTPURL(u) {
		c.add(p, "must be an absolute http(s) URL such as https://shop.example.com, got %q", u)
	}
}
