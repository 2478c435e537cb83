package api

import (
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/bcflow/bcflow/starter"
	"github.com/bcflow/bcflow/store"
)

// WebhookSecretHeader is the custom header bcflow asks BigCommerce to send
// on every hook it registers; its value is BCFLOW_WEBHOOK_SECRET.
const WebhookSecretHeader = "X-Bcflow-Webhook-Secret"

// Dispatcher turns an accepted event into a Temporal start or signal; the
// starter package implements it over a real Temporal client.
type Dispatcher interface {
	Supports(scope string) bool
	Dispatch(ctx context.Context, ev starter.Event) (starter.Result, error)
	Unsubscribe(ctx context.Context, email, reason string) (int, error)
}

// Deliveries is the dedupe table of webhook deliveries and the suppression
// list; *store.Store implements it.
type Deliveries interface {
	ClaimDelivery(ctx context.Context, d store.Delivery, staleBefore time.Time) (claimed bool, err error)
	MarkDeliveryOutcome(ctx context.Context, k store.DeliveryKey, outcome string) error
	DeleteDelivery(ctx context.Context, k store.DeliveryKey) error
	AddSuppression(ctx context.Context, s store.Suppression) error
}

// MessageEvents records the delivery and engagement of sent messages;
// *store.Store implements it. event is delivered, opened or clicked;
// counted is false for an unknown message id and for an event already
// recorded.
type MessageEvents interface {
	RecordMessageEvent(ctx context.Context, providerMessageID, event string, at time.Time) (counted bool, err error)
}

// StoreAuth is what bcflow knows to authenticate one store's webhooks.
type StoreAuth struct {
	// ClientSecret keys the Standard Webhooks signature.
	ClientSecret []byte
	// StoreID, when set, is the store's numeric id: a payload whose
	// store_id differs is rejected (400), as is one that is not consistent
	// with its producer.
	StoreID string
}

// WebhookOptions configure the webhook receivers.
type WebhookOptions struct {
	// Secret is the value WebhookSecretHeader must carry.
	Secret []byte
	// Stores lists the stores bcflow serves, by store hash.
	Stores map[string]StoreAuth
	// BrevoSecret is the bearer token Brevo's webhooks must present; empty
	// disables /webhooks/brevo.
	BrevoSecret []byte
	Deliveries  Deliveries
	Dispatcher  Dispatcher
	// Events records Brevo's delivered, opened and click events; nil
	// ignores them.
	Events MessageEvents
	// Metrics counts every webhook by scope and outcome; nil counts none.
	Metrics *WebhookMetrics
	Logger  *slog.Logger
}

// dispatchTimeout bounds one webhook's start or signal; claimLease, longer,
// is how long a claimed delivery counts as in flight before a later copy
// may take it over (its dispatcher died between claim and answer).
const (
	dispatchTimeout = 20 * time.Second
	claimLease      = time.Minute
)

// MountWebhooks adds POST /webhooks/bigcommerce and POST /webhooks/brevo.
func (s *Server) MountWebhooks(opts WebhookOptions) {
	h := &webhookHandler{opts: opts}
	s.engine.POST("/webhooks/bigcommerce", opts.Metrics.counted(h.bigcommerce))
	s.engine.POST("/webhooks/brevo", opts.Metrics.counted(h.brevo))
}

type webhookHandler struct{ opts WebhookOptions }

// bigcommerce receives every scope of every store. It answers 200 only after
// Temporal accepted the start or signal, or the delivery is a known
// duplicate; 503 when Temporal is unreachable, so BigCommerce retries.
func (h *webhookHandler) bigcommerce(c *gin.Context) {
	if !secretEqual(c.GetHeader(WebhookSecretHeader), h.opts.Secret) {
		AbortError(c, http.StatusUnauthorized, "unauthorized", "missing or wrong "+WebhookSecretHeader+" header")
		return
	}
	body, ok := ReadBody(c)
	if !ok {
		return
	}
	ev, err := starter.ParseEvent(body)
	if err != nil {
		AbortError(c, http.StatusBadRequest, "bad_payload", err.Error())
		return
	}
	auth, known := h.opts.Stores[ev.StoreHash]
	if !known {
		AbortError(c, http.StatusNotFound, "unknown_store", "bcflow does not serve store "+ev.StoreHash)
		return
	}
	if auth.StoreID != "" && ev.StoreID != auth.StoreID {
		AbortError(c, http.StatusBadRequest, "bad_payload", "store_id: "+ev.StoreID+" is not the id of store "+ev.StoreHash+" (producer)")
		return
	}
	if c.GetHeader("webhook-signature") != "" || c.GetHeader("webhook-id") != "" || c.GetHeader("webhook-timestamp") != "" {
		wh, err := standardwebhooks.NewWebhookRaw(auth.ClientSecret)
		if err == nil {
			err = wh.Verify(body, c.Request.Header)
		}
		if err != nil {
			AbortError(c, http.StatusUnauthorized, "bad_signature", "webhook signature does not verify with the store's client secret")
			return
		}
	}
	if h.opts.Dispatcher.Supports(ev.Scope) {
		c.Set(webhookScopeKey, ev.Scope)
	} else {
		c.Set(webhookScopeKey, "other")
	}
	log := h.opts.Logger.With("scope", ev.Scope, "store", ev.StoreHash, "data_id", ev.Data.ID, "request_id", c.GetString(requestIDKey))
	if !h.opts.Dispatcher.Supports(ev.Scope) {
		log.Info("webhook scope ignored")
		answerWebhook(c, gin.H{"status": "ignored"})
		return
	}
	if ev.CreatedAt.IsZero() {
		AbortError(c, http.StatusBadRequest, "bad_payload", "created_at: missing")
		return
	}

	digest := sha256.Sum256(body)
	// BigCommerce's hash covers only the payload data (identical for every
	// update of one cart), so created_at is part of the key. A signed
	// delivery's webhook-id is unique per event and repeated on retries:
	// when present it tells a retry from a new same-second event exactly.
	dedupe := ev.Hash
	if id := c.GetHeader("webhook-id"); id != "" {
		dedupe = ev.Hash + "/" + id
	}
	d := store.Delivery{StoreHash: ev.StoreHash, Scope: ev.Scope, Hash: dedupe, CreatedAt: ev.CreatedAt.Unix(), PayloadDigest: hex.EncodeToString(digest[:])}
	// One atomic claim: of concurrent copies of one delivery exactly one
	// dispatches; the others find it accepted or in flight and answer
	// duplicate. A claim older than claimLease whose dispatch never
	// finished (the process died) is taken over by the next copy.
	now := time.Now()
	claimed, err := h.opts.Deliveries.ClaimDelivery(c.Request.Context(), d, now.Add(-claimLease))
	if err != nil {
		log.Error("claim webhook delivery", "error", err.Error())
		AbortError(c, http.StatusServiceUnavailable, "unavailable", "could not record the delivery; retry later")
		return
	}
	if !claimed {
		log.Info("duplicate webhook delivery")
		answerWebhook(c, gin.H{"status": "duplicate"})
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), dispatchTimeout)
	defer cancel()
	res, err := h.opts.Dispatcher.Dispatch(ctx, ev)
	if err != nil {
		var pe *starter.ParseError
		if errors.As(err, &pe) {
			_ = h.opts.Deliveries.DeleteDelivery(context.WithoutCancel(ctx), d.Key())
			AbortError(c, http.StatusBadRequest, "bad_payload", pe.Error())
			return
		}
		// Release the claim so BigCommerce's retry is dispatched, not taken
		// for a duplicate.
		if derr := h.opts.Deliveries.DeleteDelivery(context.WithoutCancel(ctx), d.Key()); derr != nil {
			log.Error("forget undelivered webhook", "error", derr.Error())
		}
		log.Error("temporal did not accept webhook", "error", err.Error())
		AbortError(c, http.StatusServiceUnavailable, "temporal_unavailable", "the event was not accepted; BigCommerce will retry")
		return
	}
	if err := h.opts.Deliveries.MarkDeliveryOutcome(context.WithoutCancel(ctx), d.Key(), store.DeliveryAccepted); err != nil {
		log.Warn("mark webhook delivery accepted", "error", err.Error())
	}
	log.Info("webhook accepted", "action", string(res.Action), "workflow_id", res.WorkflowID)
	answerWebhook(c, gin.H{"status": string(res.Action), "workflow_id": res.WorkflowID})
}

// brevoEvent is the part of Brevo's transactional webhook bcflow reads.
type brevoEvent struct {
	Event string `json:"event"`
	Email string `json:"email"`
	// MessageID is the message's id as Brevo's send answered it
	// ("<...@smtp-relay.mailin.fr>"), in every event about a message.
	MessageID string `json:"message-id"`
	// TSEvent is when the event happened (Unix seconds); TS the same on
	// older payloads.
	TSEvent int64 `json:"ts_event"`
	TS      int64 `json:"ts"`
}

// brevoOptOuts are the Brevo events that end a shopper's marketing.
var brevoOptOuts = map[string]bool{"unsubscribed": true, "hard_bounce": true, "spam": true}

// brevoEngagement maps Brevo's delivery and engagement events to the
// message events bcflow counts.
var brevoEngagement = map[string]string{
	"delivered": "delivered", "opened": "opened", "unique_opened": "opened", "click": "clicked",
}

// brevo receives Brevo's transactional webhooks: an opt-out becomes a
// suppression (consulted by every later send) and an unsubscribed signal
// to each running flow of that shopper; a delivered, opened or click
// event is recorded against the message it names (message-id), once. Any
// other event, and an engagement event naming no message, is answered
// 200 ignored: Brevo sends events bcflow has no use for.
func (h *webhookHandler) brevo(c *gin.Context) {
	if len(h.opts.BrevoSecret) == 0 {
		AbortError(c, http.StatusNotFound, "not_configured", "Brevo webhooks are not configured (set BCFLOW_BREVO_WEBHOOK_SECRET)")
		return
	}
	token, _ := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !secretEqual(token, h.opts.BrevoSecret) {
		AbortError(c, http.StatusUnauthorized, "unauthorized", "missing or wrong bearer token")
		return
	}
	body, ok := ReadBody(c)
	if !ok {
		return
	}
	var ev brevoEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		AbortError(c, http.StatusBadRequest, "bad_payload", "body: not a JSON object")
		return
	}
	if ev.Event == "" {
		AbortError(c, http.StatusBadRequest, "bad_payload", "event is required")
		return
	}
	scope := "brevo/other"
	if brevoOptOuts[ev.Event] || brevoEngagement[ev.Event] != "" {
		scope = "brevo/" + ev.Event
	}
	c.Set(webhookScopeKey, scope)
	if event := brevoEngagement[ev.Event]; event != "" {
		h.brevoEngagement(c, ev, event)
		return
	}
	if !brevoOptOuts[ev.Event] {
		answerWebhook(c, gin.H{"status": "ignored"})
		return
	}
	if ev.Email == "" {
		AbortError(c, http.StatusBadRequest, "bad_payload", "event and email are required")
		return
	}
	email, err := starter.ParseEmail("email", ev.Email)
	if err != nil {
		AbortError(c, http.StatusBadRequest, "bad_payload", err.Error())
		return
	}
	ctx := c.Request.Context()
	if err := h.opts.Deliveries.AddSuppression(ctx, store.Suppression{StoreHash: store.AllStores, Email: email, Reason: ev.Event}); err != nil {
		h.opts.Logger.Error("record suppression", "error", err.Error())
		AbortError(c, http.StatusServiceUnavailable, "unavailable", "could not record the opt-out; retry later")
		return
	}
	n, err := h.opts.Dispatcher.Unsubscribe(ctx, email, ev.Event)
	if err != nil {
		var pe *starter.ParseError
		if errors.As(err, &pe) {
			AbortError(c, http.StatusBadRequest, "bad_payload", pe.Error())
			return
		}
		h.opts.Logger.Error("signal unsubscribe", "error", err.Error())
		AbortError(c, http.StatusServiceUnavailable, "temporal_unavailable", "opt-out recorded but running flows were not signalled; retry")
		return
	}
	answerWebhook(c, gin.H{"status": "suppressed", "flows_signalled": n})
}

// maxMessageIDLen bounds a message-id (Brevo's are about 60 bytes).
const maxMessageIDLen = 256

// brevoEngagement records a delivered, opened or clicked event of the
// message ev names: 200 recorded (counted: the first such event of a
// message bcflow sent), 200 ignored without a message-id, 503 when the
// store does not answer (Brevo retries).
func (h *webhookHandler) brevoEngagement(c *gin.Context, ev brevoEvent, event string) {
	id := strings.TrimSpace(ev.MessageID)
	if id == "" || h.opts.Events == nil {
		answerWebhook(c, gin.H{"status": "ignored"})
		return
	}
	if len(id) > maxMessageIDLen {
		AbortError(c, http.StatusBadRequest, "bad_payload", "message-id: longer than 256 bytes")
		return
	}
	at := time.Now()
	if ts := cmp.Or(ev.TSEvent, ev.TS); ts > 0 {
		at = time.Unix(ts, 0)
	}
	counted, err := h.opts.Events.RecordMessageEvent(c.Request.Context(), id, event, at.UTC())
	if err != nil {
		h.opts.Logger.Error("record message event", "event", event, "error", err.Error())
		AbortError(c, http.StatusServiceUnavailable, "unavailable", "could not record the event; retry later")
		return
	}
	answerWebhook(c, gin.H{"status": "recorded", "event": event, "counted": counted})
}

// secretEqual compares in constant time; an empty expected secret never
// matches.
func secretEqual(got string, want []byte) bool {
	if len(want) == 0 {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), want) == 1
}
