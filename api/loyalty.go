package api

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/starter"
	"github.com/bcflow/bcflow/store"
)

// LoyaltyLedger is the part of the store the loyalty API uses;
// *store.Store implements it.
type LoyaltyLedger interface {
	GetAccount(ctx context.Context, storeHash string, customerID int64) (store.Account, error)
	LedgerHistory(ctx context.Context, storeHash string, customerID int64, limit int) ([]store.LedgerEntry, error)
	GetLoyaltyStats(ctx context.Context, storeHash string) (store.LoyaltyStats, error)
	Redeem(ctx context.Context, e store.LedgerEntry, issue func(ctx context.Context) (couponCode string, err error)) (store.LedgerEntry, error)
}

// CouponIssuer creates the fixed-amount coupons points are redeemed for,
// and removes one whose ledger debit failed after it was created.
// activities.LoyaltyCoupons implements it over the BigCommerce promotions
// API. IssueCoupon must be idempotent per code: a retry with the same code
// must not create a second coupon.
type CouponIssuer interface {
	IssueCoupon(ctx context.Context, storeHash string, channelID int, code, amount string, expiresAt time.Time) error
	RevokeCoupon(ctx context.Context, storeHash, code string) error
}

// LoyaltyOptions configure the loyalty admin API.
type LoyaltyOptions struct {
	// Ledger is the loyalty ledger; required.
	Ledger LoyaltyLedger
	// Coupons issues redemption coupons; required for redemptions.
	Coupons CouponIssuer
	// Bonuses starts reported bonus awards; required for POST .../bonus.
	Bonuses BonusAwarder
	// Flows gives each store's program (tiers, redemption rate); nil means
	// the built-in defaults.
	Flows *config.Flows
	// Stores, when set, are the only store hashes the API answers for
	// (others: 404).
	Stores []string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives coupon revocation failures; default discards.
	Logger *slog.Logger
}

// MountLoyalty adds the loyalty admin API to g (the Admin group):
//
//	GET  /loyalty/{store}/stats                 program figures
//	GET  /loyalty/{store}/{customer}            balance, lifetime points, tier
//	GET  /loyalty/{store}/{customer}/ledger     ledger entries, newest first (?limit=1..1000, default 100)
//	POST /loyalty/{store}/{customer}/redeem     points -> coupon code
//
// A redemption body is {"points": N, "channel_id": C}, both optional:
// points defaults to the program's points_per_coupon and must be a multiple
// of it; the coupon is worth coupon_value per points_per_coupon, in the
// store's currency, and valid on channel C (default every channel) for
// coupon_expires_after. Send an Idempotency-Key header to make a retry safe:
// the same key answers the first redemption (200) instead of spending again.
// The debit and the coupon are atomic: if the coupon cannot be created,
// nothing is debited (502 coupon_failed).
func MountLoyalty(g *gin.RouterGroup, opts LoyaltyOptions) {
	if opts.Flows == nil {
		opts.Flows = config.DefaultFlows()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	h := &loyaltyHandler{opts: opts}
	g.GET("/loyalty/:store/stats", h.stats)
	g.GET("/loyalty/:store/:customer", h.account)
	g.GET("/loyalty/:store/:customer/ledger", h.ledger)
	g.POST("/loyalty/:store/:customer/redeem", h.redeem)
	g.POST("/loyalty/:store/:customer/bonus", h.bonus)
}

type loyaltyHandler struct{ opts LoyaltyOptions }

// storeAndCustomer reads the store and customer id of the path; on failure
// it has answered.
func (h *loyaltyHandler) storeAndCustomer(c *gin.Context) (string, int64, bool) {
	s, ok := storeParam(c, h.opts.Stores)
	if !ok {
		return "", 0, false
	}
	id, err := starter.ParseID("customer", c.Param("customer"))
	if err != nil {
		AbortError(c, http.StatusBadRequest, "bad_customer", "customer must be a BigCommerce customer id")
		return "", 0, false
	}
	return s, id, true
}

// accountJSON is a customer's loyalty account.
type accountJSON struct {
	Store          string     `json:"store"`
	CustomerID     int64      `json:"customer_id"`
	Balance        int64      `json:"balance"`
	LifetimeEarned int64      `json:"lifetime_earned"`
	Tier           string     `json:"tier"`
	NextTier       string     `json:"next_tier,omitempty"`
	PointsToNext   int64      `json:"points_to_next_tier,omitempty"`
	UpdatedAt      *time.Time `json:"updated_at,omitempty"`
}

func (h *loyaltyHandler) account(c *gin.Context) {
	s, id, ok := h.storeAndCustomer(c)
	if !ok {
		return
	}
	acct, err := h.opts.Ledger.GetAccount(c.Request.Context(), s, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		AbortError(c, http.StatusServiceUnavailable, "unavailable", "could not read the loyalty account")
		return
	}
	out := accountJSON{Store: s, CustomerID: id, Balance: acct.Balance, LifetimeEarned: acct.LifetimeEarned, Tier: acct.Tier}
	if !acct.UpdatedAt.IsZero() {
		out.UpdatedAt = &acct.UpdatedAt
	}
	program := h.opts.Flows.For(s, 0).Loyalty
	if out.Tier == "" {
		if t, ok := program.TierFor(acct.LifetimeEarned); ok {
			out.Tier = t.Name
		}
	}
	for _, t := range program.Tiers {
		if t.MinPoints > acct.LifetimeEarned {
			out.NextTier, out.PointsToNext = t.Name, t.MinPoints-acct.LifetimeEarned
			break
		}
	}
	c.JSON(http.StatusOK, out)
}

// entryJSON is one ledger entry.
type entryJSON struct {
	ID         int64     `json:"id"`
	Kind       string    `json:"kind"`
	Points     int64     `json:"points"`
	OrderID    int64     `json:"order_id,omitempty"`
	ChannelID  int64     `json:"channel_id,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	CouponCode string    `json:"coupon_code,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

func (h *loyaltyHandler) ledger(c *gin.Context) {
	s, id, ok := h.storeAndCustomer(c)
	if !ok {
		return
	}
	limit := 100
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			AbortError(c, http.StatusBadRequest, "bad_limit", "limit must be 1 to 1000")
			return
		}
		limit = n
	}
	entries, err := h.opts.Ledger.LedgerHistory(c.Request.Context(), s, id, limit)
	if err != nil {
		AbortError(c, http.StatusServiceUnavailable, "unavailable", "could not read the loyalty ledger")
		return
	}
	out := make([]entryJSON, 0, len(entries))
	for _, e := range entries {
		out = append(out, entryJSON{ID: e.ID, Kind: e.Kind, Points: e.Points, OrderID: e.OrderID, ChannelID: e.ChannelID,
			Reason: e.Reason, CouponCode: e.CouponCode, CreatedAt: e.CreatedAt})
	}
	c.JSON(http.StatusOK, gin.H{"store": s, "customer_id": id, "entries": out})
}

func (h *loyaltyHandler) stats(c *gin.Context) {
	s, ok := storeParam(c, h.opts.Stores)
	if !ok {
		return
	}
	st, err := h.opts.Ledger.GetLoyaltyStats(c.Request.Context(), s)
	if err != nil {
		AbortError(c, http.StatusServiceUnavailable, "unavailable", "could not read the loyalty figures")
		return
	}
	c.JSON(http.StatusOK, gin.H{
		"store": s, "members": st.Members, "points_issued": st.PointsIssued, "points_redeemed": st.PointsRedeemed,
		"points_outstanding": st.PointsOutstanding, "redemptions": st.Redemptions, "redemption_rate": st.RedemptionRate(),
	})
}

// IdempotencyKeyHeader makes a POST safe to retry.
const IdempotencyKeyHeader = "Idempotency-Key"

var validIdempotencyKey = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,100}$`)

// redemptionJSON answers a redemption.
type redemptionJSON struct {
	CouponCode string     `json:"coupon_code"`
	Points     int64      `json:"points"`
	Value      string     `json:"value"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	Balance    int64      `json:"balance"`
	// Replayed is true when the Idempotency-Key matched an earlier
	// redemption, which this answer repeats.
	Replayed bool `json:"replayed"`
}

// errCoupon marks a failure of the coupon issuer inside Redeem.
type errCoupon struct{ err error }

func (e errCoupon) Error() string { return e.err.Error() }
func (e errCoupon) Unwrap() error { return e.err }

func (h *loyaltyHandler) redeem(c *gin.Context) {
	s, id, ok := h.storeAndCustomer(c)
	if !ok {
		return
	}
	if h.opts.Coupons == nil {
		AbortError(c, http.StatusServiceUnavailable, "unavailable", "coupon issuing is not configured")
		return
	}
	body, ok := ReadBody(c)
	if !ok {
		return
	}
	var req struct {
		Points    int64 `json:"points"`
		ChannelID int   `json:"channel_id"`
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			AbortError(c, http.StatusBadRequest, "bad_body", "body must be {\"points\": N, \"channel_id\": C}: "+err.Error())
			return
		}
	}
	key := c.GetHeader(IdempotencyKeyHeader)
	if key == "" {
		var b [12]byte
		_, _ = rand.Read(b[:])
		key = hex.EncodeToString(b[:])
	} else if !validIdempotencyKey.MatchString(key) {
		AbortError(c, http.StatusBadRequest, "bad_idempotency_key", "Idempotency-Key must be 1 to 100 letters, digits, '.', '_', ':' or '-'")
		return
	}
	program := h.opts.Flows.For(s, req.ChannelID).Loyalty
	r := program.Redemption
	if !program.Enabled || !r.Enabled || r.PointsPerCoupon <= 0 {
		AbortError(c, http.StatusUnprocessableEntity, "redemption_disabled", "the loyalty program of this store does not redeem points")
		return
	}
	if req.Points == 0 {
		req.Points = r.PointsPerCoupon
	}
	if req.Points < 0 || req.Points%r.PointsPerCoupon != 0 {
		AbortError(c, http.StatusBadRequest, "bad_points", fmt.Sprintf("points must be a positive multiple of %d", r.PointsPerCoupon))
		return
	}
	value := strconv.FormatFloat(float64(req.Points/r.PointsPerCoupon)*r.CouponValue, 'f', 2, 64)
	ledgerKey := fmt.Sprintf("redeem:%s:%d:%s", s, id, key)
	code := redemptionCode(ledgerKey)
	now := h.opts.Now()
	var expires time.Time
	if r.CouponExpiresAfter > 0 {
		expires = now.Add(r.CouponExpiresAfter.Std())
	}
	ctx := c.Request.Context()
	issued := false
	e, err := h.opts.Ledger.Redeem(ctx, store.LedgerEntry{
		IdempotencyKey: ledgerKey, StoreHash: s, ChannelID: int64(req.ChannelID), CustomerID: id, Kind: store.LedgerRedemption,
		Points: req.Points, Reason: fmt.Sprintf("coupon %s: %s off", code, value), CreatedAt: now,
	}, func(ctx context.Context) (string, error) {
		if err := h.opts.Coupons.IssueCoupon(ctx, s, req.ChannelID, code, value, expires); err != nil {
			return "", errCoupon{err}
		}
		issued = true
		return code, nil
	})
	if err != nil {
		if issued { // the coupon exists but the debit did not commit
			if rerr := h.opts.Coupons.RevokeCoupon(context.WithoutCancel(ctx), s, code); rerr != nil {
				h.opts.Logger.ErrorContext(ctx, "loyalty coupon issued but not debited, and not revoked", "store", s, "customer_id", id,
					"coupon", code, "error", rerr.Error())
			}
		}
		var ce errCoupon
		switch {
		case errors.Is(err, store.ErrInsufficientPoints):
			AbortError(c, http.StatusConflict, "insufficient_points", fmt.Sprintf("customer %d has fewer than %d points", id, req.Points))
		case errors.As(err, &ce):
			AbortError(c, http.StatusBadGateway, "coupon_failed", "the coupon could not be created; no points were spent")
		case errors.Is(err, store.ErrInvalid):
			AbortError(c, http.StatusConflict, "idempotency_conflict", "the Idempotency-Key was used for another request")
		default:
			AbortError(c, http.StatusServiceUnavailable, "unavailable", "could not record the redemption; no points were spent")
		}
		return
	}
	out := redemptionJSON{CouponCode: e.CouponCode, Points: -e.Points, Value: value, Replayed: !issued}
	if out.Replayed {
		if r.CouponExpiresAfter > 0 {
			expires = e.CreatedAt.Add(r.CouponExpiresAfter.Std())
		}
		out.Value = strconv.FormatFloat(float64(out.Points/r.PointsPerCoupon)*r.CouponValue, 'f', 2, 64)
	}
	if !expires.IsZero() {
		out.ExpiresAt = &expires
	}
	if acct, err := h.opts.Ledger.GetAccount(ctx, s, id); err == nil {
		out.Balance = acct.Balance
	}
	status := http.StatusCreated
	if out.Replayed {
		status = http.StatusOK
	}
	c.JSON(status, out)
}

// redemptionCode derives a redemption's coupon code from its ledger key, so
// a retried redemption asks for the same code.
func redemptionCode(ledgerKey string) string {
	sum := sha1.Sum([]byte(ledgerKey))
	return "BCL-" + strings.ToUpper(hex.EncodeToString(sum[:])[:12])
}
