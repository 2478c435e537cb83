// Package messaging is bcflow's outbound marketing channel: transactional
// email, SMS and WhatsApp messages, custom events and contact upserts, behind
// one Provider interface. The Brevo implementation lives in messaging/brevo;
// another provider can be added beside it without touching the callers.
//
// # Exactly-once sends
//
// Every send carries an IdempotencyKey, derived by the caller from the
// workflow and step (for example "cart-recovery/abc123/42/step-1").
//
//   - Email: the key travels to the provider (Brevo's headers.idempotencyKey),
//     which answers a repeated key with the message it already created. A send
//     retried after a timeout or a 5xx therefore cannot duplicate the email, so
//     the provider retries email in-process.
//   - SMS and WhatsApp: Brevo keeps no idempotency for them. Exactly-once
//     relies on the caller reserving the key in bcflow's messages table
//     (store.ReserveMessage) before sending and recording the outcome after.
//     The provider still sends the key (as an Idempotency-Key HTTP header) for
//     tracing, but retries these sends in-process only when the request
//     provably was not acted on: it never left (dial, DNS or TLS failure) or
//     the provider answered that it did not take it (429, 500, 503). A
//     failure after the request may have been acted on (a timeout or reset
//     after it was written, a gateway's 502 or 504) is returned with
//     Error.Uncertain set: the message may or may not have gone out, and the
//     caller must not send it again blindly.
//
// A request refused as it stands (an invalid recipient, a 4xx other than
// 401, 403, 408, 409 and 429) is KindValidation; Refusal gives its reason.
//
// Errors are *Error values; see Kind and IsRetryable.
package messaging

import (
	"context"
	"time"
)

// Provider sends messages and keeps contacts and events in a marketing
// platform. Implementations are safe for concurrent use, pace themselves
// against the provider's rate limits, retry transient failures within the
// context's deadline, and return *Error for every failure.
type Provider interface {
	// SendEmail sends one transactional email. Email.IdempotencyKey is
	// required; sending the same key again returns the first send's result.
	SendEmail(ctx context.Context, e Email) (SendResult, error)
	// SendSMS sends one transactional or marketing SMS. See the package
	// documentation for its exactly-once contract.
	SendSMS(ctx context.Context, s SMS) (SendResult, error)
	// SendWhatsApp sends one WhatsApp message, from a template or free text.
	// See the package documentation for its exactly-once contract.
	SendWhatsApp(ctx context.Context, w WhatsApp) (SendResult, error)
	// TrackEvent records a custom event against a contact, for segmentation
	// and automations on the provider's side.
	TrackEvent(ctx context.Context, e Event) error
	// UpsertContact creates the contact or updates the existing one with the
	// same email (or external id).
	UpsertContact(ctx context.Context, c Contact) error
}

// Address is an email address with an optional display name.
type Address struct {
	// Email is the address itself, e.g. "jane@example.com".
	Email string
	// Name is the display name; optional.
	Name string
}

// Email is one transactional email: either HTML content with a subject, or a
// provider-side template filled with Params.
type Email struct {
	// IdempotencyKey identifies this send; required. Repeating a key returns
	// the first send's result instead of sending again.
	IdempotencyKey string
	// To is the single recipient.
	To Address
	// Sender is the From address. It may be empty when TemplateID is set and
	// the template defines its own sender.
	Sender Address
	// ReplyTo is the Reply-To address; optional.
	ReplyTo Address
	// Subject is required with HTMLContent; with a template it overrides the
	// template's subject when set.
	Subject string
	// HTMLContent is the body; set either HTMLContent or TemplateID.
	HTMLContent string
	// TemplateID is the provider's template; set either HTMLContent or TemplateID.
	TemplateID int64
	// Params fill the template's placeholders (e.g. {{ params.CART_URL }}).
	Params map[string]any
	// Tags label the message for reporting and webhooks.
	Tags []string
}

// SMS is one text message.
type SMS struct {
	// IdempotencyKey identifies this send; required. The provider does not
	// deduplicate SMS: see the package documentation.
	IdempotencyKey string
	// Recipient is the mobile number in E.164 form, e.g. "+33612345678".
	Recipient string
	// Sender is the sender name (at most 11 letters or digits) or number
	// (at most 15 digits).
	Sender string
	// Content is the text; beyond 160 characters it is sent as several SMS.
	Content string
	// Tag labels the message for reporting and webhooks; optional.
	Tag string
	// Marketing marks promotional content (Brevo's type "marketing"); the
	// default is transactional.
	Marketing bool
}

// WhatsApp is one WhatsApp message: a template (required for the first
// message to a contact) or free text.
type WhatsApp struct {
	// IdempotencyKey identifies this send; required. The provider does not
	// deduplicate WhatsApp messages: see the package documentation.
	IdempotencyKey string
	// Recipient is the contact's number in E.164 form.
	Recipient string
	// SenderNumber is the business's WhatsApp number in E.164 form.
	SenderNumber string
	// TemplateID is the provider's WhatsApp template; set TemplateID or Text.
	TemplateID int64
	// Text is a free-text body; set TemplateID or Text.
	Text string
	// Params fill the template's placeholders.
	Params map[string]any
}

// SendResult is what the provider answered to an accepted send.
type SendResult struct {
	// Provider names the provider that accepted the message, e.g. "brevo".
	Provider string
	// MessageID is the provider's id of the message, for matching its
	// delivery webhooks.
	MessageID string
}

// Event is a custom event about a contact, e.g. "cart_abandoned". At least one
// of Email, ExtID and Phone identifies the contact.
type Event struct {
	// Name is the event name: letters, digits, '-' and '_' only.
	Name string
	// Email identifies the contact by email.
	Email string
	// ExtID identifies the contact by the caller's own id.
	ExtID string
	// Phone identifies the contact by mobile number (E.164).
	Phone string
	// ContactProperties update the contact's attributes along with the event.
	ContactProperties map[string]any
	// EventProperties describe the event (cart id, amount, ...).
	EventProperties map[string]any
	// Date is when the event happened; zero means when the provider receives it.
	Date time.Time
}

// Contact is a contact to create or update. Email or ExtID identifies it.
type Contact struct {
	// Email is the contact's email address.
	Email string
	// ExtID is the caller's own id for the contact (e.g. the BigCommerce
	// customer id).
	ExtID string
	// Phone is the mobile number in E.164 form; optional.
	Phone string
	// FirstName is the given name; optional.
	FirstName string
	// LastName is the family name; optional.
	LastName string
	// Attributes are further provider-side attributes, by their provider
	// name (Brevo: upper case, and they must exist in the account).
	Attributes map[string]any
	// ListIDs are lists to add the contact to; lists it is already on stay.
	ListIDs []int64
	// Tags replace the contact's tag set. Nil leaves the tags unchanged; an
	// empty non-nil slice clears them. How tags are stored is the provider's
	// choice (Brevo: one text attribute, see brevo.Options.TagsAttribute).
	Tags []string
}
