package activities

import (
	"context"
	"regexp"
	"strings"

	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/messaging"
)

// SMS and WhatsApp consent (documented on config.Consent): a registered
// customer whose attribute or sign-up form field named in the flows file
// is truthy, who has a phone number in E.164, and whom the messaging
// provider does not list as SMS-blacklisted. Guests never consent: they
// have no customer record to hold an opt-in.

var e164RE = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// normalizePhone returns raw in E.164 ("+15125550101"), or "" when it cannot
// be: letters or an extension, too few or too many digits, or a national
// number without defaultCountryCode. Spaces, dots, dashes and parentheses
// are dropped; a 00 prefix means +; a national number loses its trunk 0
// and gains defaultCountryCode (a NANP number already starting with 1
// keeps it).
func normalizePhone(raw, defaultCountryCode string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(raw) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '/':
		default:
			return ""
		}
	}
	n := b.String()
	switch {
	case n == "":
		return ""
	case strings.HasPrefix(n, "+"):
	case strings.HasPrefix(n, "00"):
		n = "+" + n[2:]
	case defaultCountryCode == "":
		return ""
	case defaultCountryCode == "1" && len(n) == 11 && n[0] == '1':
		n = "+" + n
	default:
		n = "+" + defaultCountryCode + strings.TrimPrefix(n, "0")
	}
	if !e164RE.MatchString(n) {
		return ""
	}
	return n
}

// consentOf returns the consent rules of a store channel (none when no
// flows are configured).
func (a *Activities) consentOf(storeHash string, channelID int) config.Consent {
	if a.Flows == nil {
		return config.Consent{}
	}
	if c := a.Flows.For(storeHash, channelID).Consent; c != nil {
		return *c
	}
	return config.Consent{}
}

// applyConsent normalises s.Phone to E.164 ("" when it cannot be) and sets
// s.SMSConsent and s.WhatsAppConsent from the consent source.
func (a *Activities) applyConsent(ctx context.Context, bc *bigcommerce.Client, storeHash string, channelID int, s *Shopper) error {
	rules := a.consentOf(storeHash, channelID)
	s.Phone = normalizePhone(s.Phone, rules.DefaultCountryCode)
	s.SMSConsent, s.WhatsAppConsent = false, false
	if s.CustomerID <= 0 || s.Phone == "" {
		return nil
	}
	fields := optInFields{a: a, bc: bc, customerID: int(s.CustomerID)}
	sms, err := fields.optedIn(ctx, rules.SMSField)
	if err != nil {
		return err
	}
	whatsApp := sms
	if name := rules.WhatsAppFieldName(); name != rules.SMSField {
		if whatsApp, err = fields.optedIn(ctx, name); err != nil {
			return err
		}
	}
	if !sms && !whatsApp {
		return nil
	}
	reader, ok := a.Messaging.(messaging.ContactReader)
	if !ok {
		return nil // no way to honour an opt-out: no consent
	}
	st, err := reader.ContactStatus(ctx, s.Email, s.Phone)
	if err != nil {
		return classify("check the SMS blacklist", err)
	}
	if st.SMSBlacklisted {
		return nil // the number opted out (STOP): no SMS, no WhatsApp
	}
	s.SMSConsent, s.WhatsAppConsent = sms, whatsApp
	return nil
}

// optInFields reads a customer's opt-in fields: a customer attribute by
// name, else an account sign-up form field by name (read once).
type optInFields struct {
	a          *Activities
	bc         *bigcommerce.Client
	customerID int
	forms      []bigcommerce.FormFieldValue
	formsRead  bool
}

func (f *optInFields) optedIn(ctx context.Context, name string) (bool, error) {
	if name == "" {
		return false, nil
	}
	values, err := f.bc.CustomerAttributeValuesByName(ctx, f.customerID, name)
	if err != nil {
		return false, classify("load consent attribute", err)
	}
	if len(values) > 0 {
		return config.IsOptIn(values[0].Value), nil
	}
	if !f.formsRead {
		if f.forms, err = f.bc.CustomerFormFields(ctx, f.customerID); err != nil {
			return false, classify("load consent form field", err)
		}
		f.formsRead = true
	}
	for _, ff := range f.forms {
		if strings.EqualFold(strings.TrimSpace(ff.Name), name) {
			return config.IsOptIn(ff.Text()), nil
		}
	}
	return false, nil
}
