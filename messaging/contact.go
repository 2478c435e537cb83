package messaging

import "context"

// ContactStatus is what the provider knows of a contact's opt-outs.
type ContactStatus struct {
	// Found is false when the provider has no such contact (then it has
	// recorded no opt-out either).
	Found bool
	// EmailBlacklisted: the contact unsubscribed from email.
	EmailBlacklisted bool
	// SMSBlacklisted: the contact opted out of SMS (replied STOP).
	SMSBlacklisted bool
}

// ContactReader is a Provider that can tell a contact's opt-outs. bcflow
// reads it before treating a shopper as consenting to SMS or WhatsApp; a
// provider without it leaves no shopper consenting to those channels.
type ContactReader interface {
	// ContactStatus looks a contact up by email, or by phone number in
	// E.164 when email is "".
	ContactStatus(ctx context.Context, email, phone string) (ContactStatus, error)
}
