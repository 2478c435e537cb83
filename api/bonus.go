package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/bcflow/bcflow/starter"
	"github.com/bcflow/bcflow/workflows"
)

// BonusAwarder starts the durable award of a reported loyalty bonus; the
// starter implements it over Temporal.
type BonusAwarder interface {
	AwardBonus(ctx context.Context, in workflows.LoyaltyBonusInput) (started bool, workflowID string, err error)
}

// bonus handles POST /api/v1/loyalty/{store}/{customer}/bonus with
// {"kind": "review_submitted"|"referral"|"newsletter_signup", "reference":
// "...", "email": "..."}: the bonuses bcflow cannot see itself, reported by
// the merchant's review app, referral tool or newsletter form. The award
// runs as a workflow whose id is the bonus, so a repeated report awards
// nothing twice; 202 once Temporal has accepted it.
func (h *loyaltyHandler) bonus(c *gin.Context) {
	s, id, ok := h.storeAndCustomer(c)
	if !ok {
		return
	}
	if h.opts.Bonuses == nil {
		AbortError(c, http.StatusServiceUnavailable, "unavailable", "bonus awards are not configured")
		return
	}
	body, ok := ReadBody(c)
	if !ok {
		return
	}
	var req struct {
		Kind      string `json:"kind"`
		Reference string `json:"reference"`
		Email     string `json:"email"`
		// ChannelID is the storefront the bonus was earned on (default
		// 0: the store's settings); its flows apply.
		ChannelID int `json:"channel_id"`
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		AbortError(c, http.StatusBadRequest, "bad_body", `body must be {"kind": K, "reference": R, "email": E, "channel_id": C}: `+err.Error())
		return
	}
	if req.ChannelID < 0 {
		AbortError(c, http.StatusBadRequest, "bad_channel", "channel_id must be a BigCommerce channel id (0 for the store's settings)")
		return
	}
	if _, known := workflows.BonusPoints(h.opts.Flows.For(s, req.ChannelID).Loyalty.Bonuses, req.Kind); !known {
		AbortError(c, http.StatusBadRequest, "bad_kind", "kind must be review_submitted, referral or newsletter_signup")
		return
	}
	if req.Kind != workflows.BonusNewsletterSignup && strings.TrimSpace(req.Reference) == "" {
		AbortError(c, http.StatusBadRequest, "bad_reference", "reference (the review id, the referred customer) is required for "+req.Kind)
		return
	}
	if req.Email != "" {
		if _, err := starter.ParseEmail("email", req.Email); err != nil {
			AbortError(c, http.StatusBadRequest, "bad_email", err.Error())
			return
		}
	}
	if strings.ContainsAny(req.Reference, "/ ") || len(req.Reference) > 100 {
		AbortError(c, http.StatusBadRequest, "bad_reference", "reference must be at most 100 characters without '/' or spaces")
		return
	}
	started, wfID, err := h.opts.Bonuses.AwardBonus(c.Request.Context(), workflows.LoyaltyBonusInput{
		StoreHash: s, CustomerID: id, Email: req.Email, Kind: req.Kind, Reference: req.Reference, ChannelID: req.ChannelID,
	})
	if err != nil {
		h.opts.Logger.ErrorContext(c.Request.Context(), "start bonus award", "error", err.Error())
		AbortError(c, http.StatusServiceUnavailable, "temporal_unavailable", "the bonus was not accepted; retry")
		return
	}
	status := "accepted"
	if !started {
		status = "duplicate"
	}
	c.JSON(http.StatusAccepted, gin.H{"status": status, "workflow_id": wfID})
}
