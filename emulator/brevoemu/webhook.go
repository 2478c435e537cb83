package brevoemu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Transactional webhook event names the emulator can fire. Firing one of the
// first three also blocks the address, as Brevo does.
const (
	WebhookUnsubscribed = "unsubscribed"
	WebhookHardBounce   = "hard_bounce"
	WebhookSpam         = "spam"
	WebhookDelivered    = "delivered"
	WebhookSoftBounce   = "soft_bounce"
	WebhookBlocked      = "blocked"
	WebhookOpened       = "opened"
	WebhookClick        = "click"
)

var webhookEvents = []string{WebhookUnsubscribed, WebhookHardBounce, WebhookSpam, WebhookDelivered,
	WebhookSoftBounce, WebhookBlocked, WebhookOpened, WebhookClick, "request", "deferred", "invalid_email", "error", "unique_opened"}

// WebhookConfig is the account's transactional webhook.
type WebhookConfig struct {
	// ID is the webhook id, sent as "id" in payloads; assigned when 0.
	ID int64 `json:"id"`
	// URL receives POSTed JSON payloads.
	URL string `json:"url"`
	// Events to deliver; empty means all.
	Events []string `json:"events,omitempty"`
	// Headers are added to each delivery (Brevo's custom headers).
	Headers map[string]string `json:"headers,omitempty"`
	// BearerToken, when set, is sent as "Authorization: Bearer <token>"
	// (Brevo's token authentication for webhooks).
	BearerToken string `json:"bearerToken,omitempty"`
}

// WebhookEvent asks the emulator to fire a transactional webhook event.
type WebhookEvent struct {
	// Event is the Brevo event name, e.g. WebhookUnsubscribed.
	Event string `json:"event"`
	// Email is the recipient.
	Email string `json:"email"`
	// MessageID selects the message; default the latest email to Email.
	MessageID string `json:"messageId,omitempty"`
	// Reason is sent for bounces; a default is used for hard_bounce.
	Reason string `json:"reason,omitempty"`
	// Link is sent for click events.
	Link string `json:"link,omitempty"`
}

// WebhookDelivery records one webhook POST.
type WebhookDelivery struct {
	URL     string         `json:"url"`
	Payload map[string]any `json:"payload"`
	Status  int            `json:"status"`
	Error   string         `json:"error,omitempty"`
	At      time.Time      `json:"at"`
}

// SetWebhook configures (or, with nil, removes) the transactional webhook.
func (e *Emulator) SetWebhook(c *WebhookConfig) error {
	if c != nil {
		u, err := url.Parse(c.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("webhook url %q must be an absolute http(s) URL", c.URL)
		}
		for _, ev := range c.Events {
			if !slices.Contains(webhookEvents, ev) {
				return fmt.Errorf("unknown webhook event %q", ev)
			}
		}
		cc := *c
		if cc.ID == 0 {
			cc.ID = 100000 + rand.Int64N(900000)
		}
		c = &cc
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st.Webhook = c
	return nil
}

// Webhook returns the current webhook configuration, or nil.
func (e *Emulator) Webhook() *WebhookConfig {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st.Webhook == nil {
		return nil
	}
	c := *e.st.Webhook
	return &c
}

// WebhookDeliveries returns every webhook delivery attempted, oldest first.
func (e *Emulator) WebhookDeliveries() []WebhookDelivery {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.st.Deliveries)
}

// brevoLocation is the time zone of the "date" field (Brevo sends CET/CEST).
var brevoLocation = func() *time.Location {
	if l, err := time.LoadLocation("Europe/Paris"); err == nil {
		return l
	}
	return time.FixedZone("CET", 3600)
}()

// FireWebhook simulates the recipient action ev: it applies its side effects
// (unsubscribed, hard_bounce and spam block the address and blacklist the
// contact, whether or not a webhook is configured), builds Brevo's
// transactional webhook payload and POSTs it to the configured URL. The
// delivery is recorded and returned; err is set when ev is invalid (then the
// delivery has no payload), when no webhook is configured or subscribed to
// the event, or when the receiver did not answer 2xx.
func (e *Emulator) FireWebhook(ctx context.Context, ev WebhookEvent) (WebhookDelivery, error) {
	if !slices.Contains(webhookEvents, ev.Event) {
		return WebhookDelivery{}, fmt.Errorf("unknown webhook event %q", ev.Event)
	}
	if !validEmail(ev.Email) {
		return WebhookDelivery{}, fmt.Errorf("email %q is not valid", ev.Email)
	}
	now := e.now()
	e.mu.Lock()
	cfg := e.st.Webhook
	var msg *Message
	for i := len(e.st.Messages) - 1; i >= 0; i-- {
		m := &e.st.Messages[i]
		if m.Channel != ChannelEmail {
			continue
		}
		if ev.MessageID != "" {
			if m.ID == ev.MessageID {
				msg = m
				break
			}
			continue
		}
		if containsFold(m.To, ev.Email) || containsFold(m.Cc, ev.Email) || containsFold(m.Bcc, ev.Email) {
			msg = m
			break
		}
	}
	if ev.MessageID != "" && msg == nil {
		e.mu.Unlock()
		return WebhookDelivery{}, fmt.Errorf("message %q not found", ev.MessageID)
	}
	email := strings.ToLower(ev.Email)
	contact := e.findContact("email_id", email)
	switch ev.Event {
	case WebhookUnsubscribed, WebhookHardBounce, WebhookSpam:
		e.st.Blocked[email] = ev.Event
		if contact != nil {
			contact.EmailBlacklisted = true
			contact.ModifiedAt = now
		}
	}
	payload := map[string]any{
		"event":    ev.Event,
		"email":    ev.Email,
		"date":     now.In(brevoLocation).Format("2006-01-02 15:04:05"),
		"ts":       now.Unix(),
		"ts_event": now.Unix(),
		"ts_epoch": now.UnixMilli(),
	}
	if cfg != nil {
		payload["id"] = cfg.ID
	}
	if contact != nil {
		payload["contact_id"] = contact.ID
	} else {
		payload["contact_id"] = 0
	}
	if msg != nil {
		payload["message-id"] = msg.ID
		payload["subject"] = msg.Subject
		payload["sending_ip"] = "127.0.0.1"
		tags := msg.Tags
		if tags == nil {
			tags = []string{}
		}
		payload["tags"] = tags
		if len(tags) > 0 {
			payload["tag"] = tags[0]
		} else {
			payload["tag"] = ""
		}
		if msg.TemplateID != 0 {
			payload["template_id"] = msg.TemplateID
		}
		for k, v := range msg.Headers {
			if strings.HasPrefix(strings.ToLower(k), "x-mailin-custom") {
				payload["X-Mailin-custom"] = v
			}
		}
	}
	switch ev.Event {
	case WebhookHardBounce, WebhookSoftBounce, WebhookBlocked, "deferred", "error":
		reason := ev.Reason
		if reason == "" && ev.Event == WebhookHardBounce {
			reason = "550 5.1.1 The email account that you tried to reach does not exist"
		}
		payload["reason"] = reason
	case WebhookClick:
		payload["link"] = ev.Link
	}
	e.mu.Unlock()

	d := WebhookDelivery{Payload: payload, At: now}
	if cfg == nil {
		d.Error = "no webhook configured"
		e.record(d)
		return d, errors.New(d.Error)
	}
	d.URL = cfg.URL
	if len(cfg.Events) > 0 && !slices.Contains(cfg.Events, ev.Event) {
		d.Error = "event not subscribed by the webhook"
		e.record(d)
		return d, errors.New(d.Error)
	}
	body, _ := json.Marshal(payload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.URL, bytes.NewReader(body))
	if err != nil {
		d.Error = err.Error()
		e.record(d)
		return d, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Brevo-Webhook (bcflow emulator)")
	for k, v := range cfg.Headers {
		req.Header.Set(k, v)
	}
	if cfg.BearerToken != "" {
		req.Header.Set("Authorization", "Bearer "+cfg.BearerToken)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		d.Error = err.Error()
		e.record(d)
		return d, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	d.Status = resp.StatusCode
	if resp.StatusCode/100 != 2 {
		d.Error = fmt.Sprintf("receiver answered %d", resp.StatusCode)
		err = errors.New(d.Error)
	}
	e.record(d)
	return d, err
}

func (e *Emulator) record(d WebhookDelivery) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st.Deliveries = append(e.st.Deliveries, d)
}
