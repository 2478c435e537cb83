package brevo

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/bcflow/bcflow/messaging"
)

// IdempotencyHeader is the HTTP header carrying the caller's idempotency key
// on every send. Brevo ignores it; it is there for tracing through proxies
// and the emulator. Email's effective key is the idempotencyKey email header.
const IdempotencyHeader = "Idempotency-Key"

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// brevoNumber turns an E.164 number into the digits-with-country-code form
// Brevo's SMS and WhatsApp endpoints document ("33612345678").
func brevoNumber(n string) string { return strings.TrimPrefix(n, "+") }

func keyHeader(key string) http.Header {
	h := http.Header{}
	h.Set(IdempotencyHeader, key)
	return h
}

type address struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
}

func optAddress(a messaging.Address) *address {
	if a.Email == "" {
		return nil
	}
	return &address{Email: a.Email, Name: a.Name}
}

type emailRequest struct {
	Sender      *address          `json:"sender,omitempty"`
	To          []address         `json:"to"`
	ReplyTo     *address          `json:"replyTo,omitempty"`
	Subject     string            `json:"subject,omitempty"`
	HTMLContent string            `json:"htmlContent,omitempty"`
	TemplateID  int64             `json:"templateId,omitempty"`
	Params      map[string]any    `json:"params,omitempty"`
	Tags        []string          `json:"tags,omitempty"`
	Headers     map[string]string `json:"headers"`
}

// SendEmail sends e through POST /smtp/email with headers.idempotencyKey set
// to e.IdempotencyKey, so that Brevo answers a repeated key with the first
// message's id instead of sending again; the client therefore retries
// transient failures in-process.
func (c *Client) SendEmail(ctx context.Context, e messaging.Email) (messaging.SendResult, error) {
	const op = "SendEmail"
	switch {
	case strings.TrimSpace(e.IdempotencyKey) == "":
		return messaging.SendResult{}, c.errorf(op, messaging.KindValidation, "idempotency key is required")
	case e.To.Email == "":
		return messaging.SendResult{}, c.errorf(op, messaging.KindValidation, "recipient email is required")
	case e.TemplateID != 0 && e.HTMLContent != "":
		return messaging.SendResult{}, c.errorf(op, messaging.KindValidation, "set either a template id or HTML content, not both")
	case e.TemplateID == 0 && e.HTMLContent == "":
		return messaging.SendResult{}, c.errorf(op, messaging.KindValidation, "a template id or HTML content is required")
	case e.TemplateID == 0 && (e.Subject == "" || e.Sender.Email == ""):
		return messaging.SendResult{}, c.errorf(op, messaging.KindValidation, "subject and sender are required with HTML content")
	case e.TemplateID < 0:
		return messaging.SendResult{}, c.errorf(op, messaging.KindValidation, "template id %d is not valid", e.TemplateID)
	}
	req := emailRequest{
		Sender:      optAddress(e.Sender),
		To:          []address{{Email: e.To.Email, Name: e.To.Name}},
		ReplyTo:     optAddress(e.ReplyTo),
		Subject:     e.Subject,
		HTMLContent: e.HTMLContent,
		TemplateID:  e.TemplateID,
		Params:      e.Params,
		Tags:        e.Tags,
		Headers:     map[string]string{"idempotencyKey": e.IdempotencyKey},
	}
	var out struct {
		MessageID string `json:"messageId"`
	}
	if _, err := c.call(ctx, op, epEmail, req, keyHeader(e.IdempotencyKey), &out); err != nil {
		return messaging.SendResult{}, err
	}
	return messaging.SendResult{Provider: ProviderName, MessageID: out.MessageID}, nil
}

type smsRequest struct {
	Sender    string `json:"sender"`
	Recipient string `json:"recipient"`
	Content   string `json:"content"`
	Type      string `json:"type"`
	Tag       string `json:"tag,omitempty"`
}

// SendSMS sends s through POST /transactionalSMS/send. Brevo keeps no
// idempotency for SMS: the key travels only in the Idempotency-Key HTTP
// header, and a failure that may have reached Brevo is not retried (see
// package messaging). The message id is Brevo's numeric id in decimal.
func (c *Client) SendSMS(ctx context.Context, s messaging.SMS) (messaging.SendResult, error) {
	const op = "SendSMS"
	switch {
	case strings.TrimSpace(s.IdempotencyKey) == "":
		return messaging.SendResult{}, c.errorf(op, messaging.KindValidation, "idempotency key is required")
	case !e164.MatchString(s.Recipient):
		return messaging.SendResult{}, c.errorf(op, messaging.KindValidation, "recipient is not an E.164 number")
	case s.Sender == "":
		return messaging.SendResult{}, c.errorf(op, messaging.KindValidation, "sender is required")
	case s.Content == "":
		return messaging.SendResult{}, c.errorf(op, messaging.KindValidation, "content is required")
	}
	req := smsRequest{Sender: s.Sender, Recipient: brevoNumber(s.Recipient), Content: s.Content, Type: "transactional", Tag: s.Tag}
	if s.Marketing {
		req.Type = "marketing"
	}
	var out struct {
		MessageID json.Number `json:"messageId"`
	}
	if _, err := c.call(ctx, op, epSMS, req, keyHeader(s.IdempotencyKey), &out); err != nil {
		return messaging.SendResult{}, err
	}
	return messaging.SendResult{Provider: ProviderName, MessageID: out.MessageID.String()}, nil
}

type whatsAppRequest struct {
	SenderNumber   string         `json:"senderNumber"`
	ContactNumbers []string       `json:"contactNumbers"`
	TemplateID     int64          `json:"templateId,omitempty"`
	Text           string         `json:"text,omitempty"`
	Params         map[string]any `json:"params,omitempty"`
}

// SendWhatsApp sends w through POST /whatsapp/sendMessage. Like SMS it has no
// server-side idempotency: see SendSMS.
func (c *Client) SendWhatsApp(ctx context.Context, w messaging.WhatsApp) (messaging.SendResult, error) {
	const op = "SendWhatsApp"
	switch {
	case strings.TrimSpace(w.IdempotencyKey) == "":
		return messaging.SendResult{}, c.errorf(op, messaging.KindValidation, "idempotency key is required")
	case !e164.MatchString(w.Recipient):
		return messaging.SendResult{}, c.errorf(op, messaging.KindValidation, "recipient is not an E.164 number")
	case !e164.MatchString(w.SenderNumber):
		return messaging.SendResult{}, c.errorf(op, messaging.KindValidation, "sender number %q is not an E.164 number", w.SenderNumber)
	case (w.TemplateID == 0) == (w.Text == ""):
		return messaging.SendResult{}, c.errorf(op, messaging.KindValidation, "set exactly one of a template id and text")
	}
	req := whatsAppRequest{
		SenderNumber:   brevoNumber(w.SenderNumber),
		ContactNumbers: []string{brevoNumber(w.Recipient)},
		TemplateID:     w.TemplateID,
		Text:           w.Text,
		Params:         w.Params,
	}
	var out struct {
		MessageID string `json:"messageId"`
	}
	if _, err := c.call(ctx, op, epWhatsApp, req, keyHeader(w.IdempotencyKey), &out); err != nil {
		return messaging.SendResult{}, err
	}
	return messaging.SendResult{Provider: ProviderName, MessageID: out.MessageID}, nil
}

type eventIdentifiers struct {
	EmailID string `json:"email_id,omitempty"`
	ExtID   string `json:"ext_id,omitempty"`
	PhoneID string `json:"phone_id,omitempty"`
}

type eventRequest struct {
	EventName         string           `json:"event_name"`
	EventDate         string           `json:"event_date,omitempty"`
	Identifiers       eventIdentifiers `json:"identifiers"`
	ContactProperties map[string]any   `json:"contact_properties,omitempty"`
	EventProperties   map[string]any   `json:"event_properties,omitempty"`
}

// TrackEvent records e through POST /events. Brevo has no idempotency for
// events: a retry after a lost answer may record the event twice. Callers
// that need an event once keep their own claim around the call (bcflow's
// event_claims table).
func (c *Client) TrackEvent(ctx context.Context, e messaging.Event) error {
	const op = "TrackEvent"
	switch {
	case e.Name == "":
		return c.errorf(op, messaging.KindValidation, "event name is required")
	case e.Email == "" && e.ExtID == "" && e.Phone == "":
		return c.errorf(op, messaging.KindValidation, "an email, external id or phone identifier is required")
	case e.Phone != "" && !e164.MatchString(e.Phone):
		return c.errorf(op, messaging.KindValidation, "phone is not an E.164 number")
	}
	req := eventRequest{
		EventName:         e.Name,
		Identifiers:       eventIdentifiers{EmailID: e.Email, ExtID: e.ExtID, PhoneID: e.Phone},
		ContactProperties: e.ContactProperties,
		EventProperties:   e.EventProperties,
	}
	if !e.Date.IsZero() {
		req.EventDate = e.Date.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	}
	_, err := c.call(ctx, op, epEvent, req, nil, nil)
	return err
}

type contactRequest struct {
	Email         string         `json:"email,omitempty"`
	ExtID         string         `json:"ext_id,omitempty"`
	Attributes    map[string]any `json:"attributes,omitempty"`
	ListIDs       []int64        `json:"listIds,omitempty"`
	UpdateEnabled bool           `json:"updateEnabled"`
}

// UpsertContact creates or updates ct through POST /contacts with
// updateEnabled (Brevo answers 201 for a new contact, 204 for an update).
// FirstName, LastName and Phone go to Brevo's FIRSTNAME, LASTNAME and SMS
// attributes; Tags to Options.TagsAttribute (see the package documentation).
// Attributes set explicitly win over those.
func (c *Client) UpsertContact(ctx context.Context, ct messaging.Contact) error {
	const op = "UpsertContact"
	switch {
	case ct.Email == "" && ct.ExtID == "":
		return c.errorf(op, messaging.KindValidation, "an email or external id is required")
	case ct.Phone != "" && !e164.MatchString(ct.Phone):
		return c.errorf(op, messaging.KindValidation, "phone is not an E.164 number")
	}
	attrs := map[string]any{}
	if ct.FirstName != "" {
		attrs["FIRSTNAME"] = ct.FirstName
	}
	if ct.LastName != "" {
		attrs["LASTNAME"] = ct.LastName
	}
	if ct.Phone != "" {
		attrs["SMS"] = ct.Phone
	}
	if ct.Tags != nil {
		attrs[c.tagsAttribute] = joinTags(ct.Tags)
	}
	maps.Copy(attrs, ct.Attributes)
	req := contactRequest{Email: ct.Email, ExtID: ct.ExtID, ListIDs: ct.ListIDs, UpdateEnabled: true}
	if len(attrs) > 0 {
		req.Attributes = attrs
	}
	status, err := c.call(ctx, op, epContact, req, nil, nil)
	if err != nil {
		return err
	}
	c.log.DebugContext(ctx, "brevo: contact upserted", "created", status == http.StatusCreated)
	return nil
}

// joinTags returns the tags trimmed, deduplicated, sorted and comma-joined;
// commas inside a tag become '-'.
func joinTags(tags []string) string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		t = strings.ReplaceAll(strings.TrimSpace(t), ",", "-")
		if t != "" {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return strings.Join(slices.Compact(out), ",")
}
