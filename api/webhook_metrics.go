package api

import (
	"fmt"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
)

// WebhookMetrics counts the webhooks bcflow receives:
// bcflow_webhooks_total{scope, outcome}. scope is the BigCommerce scope
// (store/cart/updated...) or brevo/<event>; outcome is what bcflow answered:
// the action taken (started, signalled, suppressed, recorded...),
// duplicate, ignored, or the error code (unauthorized, bad_payload,
// temporal_unavailable...). A nil *WebhookMetrics counts nothing.
type WebhookMetrics struct{ total *prometheus.CounterVec }

// NewWebhookMetrics registers bcflow_webhooks_total on reg.
func NewWebhookMetrics(reg prometheus.Registerer) (*WebhookMetrics, error) {
	total := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bcflow_webhooks_total",
		Help: "Webhooks received, by scope (BigCommerce scope or brevo/<event>) and outcome (action taken or error code).",
	}, []string{"scope", "outcome"})
	if err := reg.Register(total); err != nil {
		return nil, fmt.Errorf("api: register bcflow_webhooks_total: %w", err)
	}
	return &WebhookMetrics{total: total}, nil
}

// Context keys a webhook handler sets for its count.
const (
	webhookScopeKey   = "webhook_scope"
	webhookOutcomeKey = "webhook_outcome"
)

// counted runs next, then counts the webhook under the scope and outcome
// next set (unknown scope before the sender is known; the error code, or
// the status, when it set no outcome).
func (m *WebhookMetrics) counted(next gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		next(c)
		if m == nil {
			return
		}
		scope := c.GetString(webhookScopeKey)
		if scope == "" {
			scope = "unknown"
		}
		outcome := c.GetString(webhookOutcomeKey)
		if outcome == "" {
			outcome = c.GetString(errorCodeKey)
		}
		if outcome == "" {
			outcome = "status_" + strconv.Itoa(c.Writer.Status())
		}
		m.total.WithLabelValues(scope, outcome).Inc()
	}
}

// answerWebhook answers 200 with body, whose "status" is the outcome
// counted.
func answerWebhook(c *gin.Context, body gin.H) {
	if s, ok := body["status"].(string); ok {
		c.Set(webhookOutcomeKey, s)
	}
	c.JSON(200, body)
}
