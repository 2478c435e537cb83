package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/bcflow/bcflow/analytics"
	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/starter"
)

// AnalyticsOptions configure the dashboard's figure routes.
type AnalyticsOptions struct {
	// Source reads the rollups; required (*store.Store).
	Source analytics.Source
	// Flows gives step order, loyalty tiers and redemption, segment titles
	// and the holdout percent; nil means the built-in defaults.
	Flows *config.Flows
	// Stores are the configured stores. When not empty, a store outside
	// them is answered only if it has figures (else 404).
	Stores []string
	// Now is the clock of the default period (default time.Now).
	Now func() time.Time
	// Logger receives failures to read the store.
	Logger *slog.Logger
}

// MountAnalytics adds the dashboard's figures to g (the Admin group):
//
//	GET /stores                                  → 200 {"stores":[{"store_hash","channels"}]}
//	GET /stores/{store}/analytics/overview       → 200 analytics.Overview
//	GET /stores/{store}/analytics/flows          → 200 analytics.Flows
//	GET /stores/{store}/analytics/loyalty        → 200 analytics.Loyalty
//	GET /stores/{store}/analytics/segments       → 200 analytics.Segments
//	GET /stores/{store}/analytics/holdout        → 200 analytics.Holdout
//
// Query: from, to (YYYY-MM-DD, inclusive, UTC; default the 30 days ending
// today), channel (0 or absent: the whole store); 400 on bad values, 404
// for an unknown store, 503 when the store does not answer.
func MountAnalytics(g *gin.RouterGroup, opts AnalyticsOptions) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	h := &analyticsHandler{opts: opts, svc: &analytics.Service{Source: opts.Source, Config: opts.Flows}}
	g.GET("/stores", h.stores)
	g.GET("/stores/:store/analytics/overview", figures(h, h.svc.Overview))
	g.GET("/stores/:store/analytics/flows", figures(h, h.svc.Flows))
	g.GET("/stores/:store/analytics/loyalty", figures(h, h.svc.Loyalty))
	g.GET("/stores/:store/analytics/segments", figures(h, h.svc.Segments))
	g.GET("/stores/:store/analytics/holdout", figures(h, h.svc.Holdout))
}

type analyticsHandler struct {
	opts AnalyticsOptions
	svc  *analytics.Service
}

// StoresView is the answer of GET /api/v1/stores.
type StoresView struct {
	Stores []analytics.StoreView `json:"stores"`
}

func (h *analyticsHandler) stores(c *gin.Context) {
	out, err := h.svc.Stores(c.Request.Context(), h.opts.Stores)
	if err != nil {
		h.unavailable(c, "read the stores", "", err)
		return
	}
	c.JSON(http.StatusOK, StoresView{Stores: out})
}

// figures answers one figure route: the store, the query, then compose.
func figures[T any](h *analyticsHandler, compose func(ctx context.Context, storeHash string, q analytics.Query) (T, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		storeHash, ok := h.store(c)
		if !ok {
			return
		}
		q, err := analytics.ParseQuery(c.Query("from"), c.Query("to"), c.Query("channel"), h.opts.Now())
		if err != nil {
			var qe *analytics.QueryError
			if errors.As(err, &qe) {
				AbortError(c, http.StatusBadRequest, qe.Code, qe.Message)
				return
			}
			AbortError(c, http.StatusBadRequest, "bad_query", err.Error())
			return
		}
		out, err := compose(c.Request.Context(), storeHash, q)
		if err != nil {
			h.unavailable(c, "read the figures", storeHash, err)
			return
		}
		c.JSON(http.StatusOK, out)
	}
}

// store reads the {store} of a figure route: 400 unless a store hash, 404
// unless configured (when stores are configured) or with figures. On
// failure it has answered.
func (h *analyticsHandler) store(c *gin.Context) (string, bool) {
	s := c.Param("store")
	if err := starter.CheckStoreHash(s); err != nil {
		AbortError(c, http.StatusBadRequest, "bad_store", err.Error())
		return "", false
	}
	if len(h.opts.Stores) == 0 || slices.Contains(h.opts.Stores, s) {
		return s, true
	}
	known, err := h.opts.Source.AnalyticsStores(c.Request.Context())
	if err != nil {
		h.unavailable(c, "read the stores", s, err)
		return "", false
	}
	if !slices.Contains(known, s) {
		AbortError(c, http.StatusNotFound, "unknown_store", "no store "+strconv.Quote(s))
		return "", false
	}
	return s, true
}

// unavailable answers a failure to read the store (503) and logs it.
func (h *analyticsHandler) unavailable(c *gin.Context, what, storeHash string, err error) {
	h.opts.Logger.ErrorContext(c.Request.Context(), what, "store", storeHash, "error", err.Error())
	AbortError(c, http.StatusServiceUnavailable, "unavailable", "could not "+what)
}
