package brevoemu

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"slices"
	"time"
)

// This file is what happens to an email after Brevo accepted it: it is
// delivered (a "delivered" webhook shortly after the send, as Brevo reports
// delivery seconds later), then the recipient may open it and click its
// links (control routes fire "opened" and "click" for a message).

// DefaultDeliveredDelay is how long after an accepted email its
// "delivered" webhook goes, unless Options.DeliveredDelay says otherwise.
const DefaultDeliveredDelay = time.Second

// deliveredDelay is the wait before a "delivered" webhook.
func (e *Emulator) deliveredDelay() time.Duration {
	switch d := e.opts.DeliveredDelay; {
	case d < 0:
		return 0
	case d == 0:
		return DefaultDeliveredDelay
	default:
		return d
	}
}

// subscribed reports whether the configured webhook receives event (a
// webhook without events receives them all). Call with e.mu held.
func (e *Emulator) subscribed(event string) bool {
	cfg := e.st.Webhook
	return cfg != nil && (len(cfg.Events) == 0 || slices.Contains(cfg.Events, event))
}

// deliverLater fires the "delivered" webhook of each email just accepted,
// in the background, when the webhook subscribes to it: never before the
// send's answer (the caller holds e.mu until it has written it) and never
// holding it up. Blocked and scheduled emails are not delivered now. Call
// with e.mu held.
func (e *Emulator) deliverLater(msgs []Message) {
	if !e.subscribed(WebhookDelivered) {
		return
	}
	for _, m := range msgs {
		if m.Blocked || m.ScheduledAt != "" || len(m.To) == 0 {
			continue
		}
		ev := WebhookEvent{Event: WebhookDelivered, Email: m.To[0], MessageID: m.ID}
		e.async.Add(1)
		go func() {
			defer e.async.Done()
			if d := e.deliveredDelay(); d > 0 {
				e.sleep(context.Background(), d)
			}
			e.mu.Lock()
			closed := e.closed
			e.mu.Unlock()
			if !closed {
				_, _ = e.FireWebhook(context.Background(), ev) // recorded in the deliveries, failed or not
			}
		}()
	}
}

// WaitWebhooks waits until every webhook fired in the background (the
// "delivered" of each send) has been delivered or has failed, and is
// recorded in WebhookDeliveries.
func (e *Emulator) WaitWebhooks() { e.async.Wait() }

// ErrUnknownMessage is returned for a message id no email has.
var ErrUnknownMessage = errors.New("brevoemu: no email with this message id")

// Engage fires the recipient's action on an email: WebhookOpened, or
// WebhookClick on link (default: the email's first link). It returns the
// delivery as FireWebhook does; ErrUnknownMessage when no email has
// messageID.
func (e *Emulator) Engage(ctx context.Context, messageID, event, link string) (WebhookDelivery, error) {
	e.mu.Lock()
	var to, html string
	found := false
	for _, m := range e.st.Messages {
		if m.Channel == ChannelEmail && m.ID == messageID && len(m.To) > 0 {
			to, html, found = m.To[0], m.HTMLContent, true
			break
		}
	}
	e.mu.Unlock()
	if !found {
		return WebhookDelivery{}, ErrUnknownMessage
	}
	ev := WebhookEvent{Event: event, Email: to, MessageID: messageID}
	if event == WebhookClick {
		ev.Link = link
		if ev.Link == "" {
			if m := firstLink.FindStringSubmatch(html); m != nil {
				ev.Link = m[1]
			}
		}
	}
	return e.FireWebhook(ctx, ev)
}

// firstLink finds an HTML body's first href.
var firstLink = regexp.MustCompile(`href=["']([^"']+)["']`)

// engagementRoutes registers
//
//	POST /_sim/brevo/messages/{messageId}/open    fires "opened" for the email's recipient
//	POST /_sim/brevo/messages/{messageId}/click   {"link"} (optional) fires "click"
//
// answering the delivery (its error says why it was not delivered), or 404
// for an unknown message id (URL-escaped: <…@smtp-relay.mailin.fr>).
func (e *Emulator) engagementRoutes(mux *http.ServeMux) {
	engage := func(event string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var body struct {
				Link string `json:"link"`
			}
			dec := json.NewDecoder(r.Body)
			dec.DisallowUnknownFields()
			if err := dec.Decode(&body); err != nil && !errors.Is(err, io.EOF) {
				simError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
				return
			}
			d, err := e.Engage(r.Context(), r.PathValue("messageId"), event, body.Link)
			switch {
			case errors.Is(err, ErrUnknownMessage):
				simError(w, http.StatusNotFound, "no email with message id "+r.PathValue("messageId"))
			case err != nil && d.Payload == nil:
				simError(w, http.StatusBadRequest, err.Error())
			default:
				writeJSON(w, http.StatusOK, d)
			}
		}
	}
	mux.HandleFunc("POST /_sim/brevo/messages/{messageId}/open", engage(WebhookOpened))
	mux.HandleFunc("POST /_sim/brevo/messages/{messageId}/click", engage(WebhookClick))
}
