package api

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/bcflow/bcflow/starter"
	"github.com/bcflow/bcflow/store"
	"github.com/bcflow/bcflow/workflows"
)

// Admin returns the /api/v1 route group, guarded by the admin bearer token
// (BCFLOW_ADMIN_TOKEN) or a dashboard session (AdminAuth), and mounts the
// dashboard and its sign-in at /app/ (session.go). Without a configured
// token every admin route answers 401: the admin API is never open by
// accident.
func (s *Server) Admin(token []byte) *gin.RouterGroup {
	s.mountApp(token)
	return s.engine.Group("/api/v1", AdminAuth(token))
}

// DecisionLog is the part of the store the timeline reads.
type DecisionLog interface {
	ListDecisions(ctx context.Context, f store.DecisionFilter) ([]store.Decision, error)
}

// knownStore checks a store hash of an admin path: 400 unless it is a
// store hash, 404 unless it is one of stores (when stores is not empty). On
// failure it has answered.
func knownStore(c *gin.Context, stores []string, s string) bool {
	if err := starter.CheckStoreHash(s); err != nil {
		AbortError(c, http.StatusBadRequest, "bad_store", err.Error())
		return false
	}
	if len(stores) > 0 && !slices.Contains(stores, s) {
		AbortError(c, http.StatusNotFound, "unknown_store", "no store "+strconv.Quote(s))
		return false
	}
	return true
}

// storeParam reads the {store} of an admin path and checks it as
// knownStore does; on failure it has answered.
func storeParam(c *gin.Context, stores []string) (string, bool) {
	s := c.Param("store")
	if !knownStore(c, stores, s) {
		return "", false
	}
	return s, true
}

// customerParam reads the {customer} of an admin path: a BigCommerce
// customer id, or else an email address (lower-cased). Anything else is
// answered 400 bad_customer and ok is false.
func customerParam(c *gin.Context) (id int64, email string, ok bool) {
	customer := c.Param("customer")
	if n, err := starter.ParseID("customer", customer); err == nil {
		return n, "", true
	}
	if e, err := starter.ParseEmail("customer", customer); err == nil {
		return 0, e, true
	}
	AbortError(c, http.StatusBadRequest, "bad_customer", "customer must be a customer id or an email address")
	return 0, "", false
}

// decodeBody decodes body, one JSON object with no field v does not have and
// nothing after it, into v. On failure it answers 400 bad_body, "body must
// be " + shape + ": " and the problem, and returns false.
func decodeBody(c *gin.Context, body []byte, v any, shape string) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil || dec.More() {
		msg := "trailing data after the JSON object"
		if err != nil {
			msg = err.Error()
		}
		AbortError(c, http.StatusBadRequest, "bad_body", "body must be "+shape+": "+msg)
		return false
	}
	return true
}

// temporalUnavailable answers Temporal not answering (503
// temporal_unavailable, msg) and logs what failed on the workflow id.
func temporalUnavailable(c *gin.Context, logger *slog.Logger, what, id string, err error, msg string) {
	logger.ErrorContext(c.Request.Context(), what, "workflow_id", id, "error", err.Error())
	AbortError(c, http.StatusServiceUnavailable, "temporal_unavailable", msg)
}

// MountTimeline adds GET /api/v1/stores/{store}/customers/{customer}/timeline:
// every decision bcflow took about a customer (sent, skipped, deferred,
// exited, goal reached...), newest first. {customer} is a BigCommerce
// customer id or an email address (a guest's, or a registered customer's:
// their decisions carry it). Query: limit (default 100,
// max 1000), before (RFC 3339) for paging. stores, when not empty, are the
// only store hashes it answers for (others: 404).
func MountTimeline(g *gin.RouterGroup, log DecisionLog, stores []string) {
	g.GET("/stores/:store/customers/:customer/timeline", func(c *gin.Context) {
		if !knownStore(c, stores, c.Param("store")) {
			return
		}
		id, byEmail, ok := customerParam(c)
		if !ok {
			return
		}
		// A guest's decisions are keyed by the email; a registered
		// customer's carry it once the flow knew it.
		key := "e:" + byEmail
		if byEmail == "" {
			key = "c:" + strconv.FormatInt(id, 10)
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
		f := store.DecisionFilter{StoreHash: c.Param("store"), CustomerKey: key, Email: byEmail, Limit: limit}
		if v := c.Query("before"); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				AbortError(c, http.StatusBadRequest, "bad_before", "before must be an RFC 3339 time")
				return
			}
			f.Before = t
		}
		ds, err := log.ListDecisions(c.Request.Context(), f)
		if err != nil {
			AbortError(c, http.StatusServiceUnavailable, "unavailable", "could not read the decision log")
			return
		}
		// The same shape as the workflows' decisions query.
		out := make([]workflows.DecisionEntry, 0, len(ds))
		for _, d := range ds {
			e := workflows.DecisionEntry{At: d.At, Flow: d.Flow, WorkflowID: d.WorkflowID, Step: d.Step, Decision: d.Decision, Reason: d.Reason}
			if len(d.Details) > 0 {
				_ = json.Unmarshal(d.Details, &e.Details) // the store keeps valid JSON; {} and null leave none
				if len(e.Details) == 0 {
					e.Details = nil
				}
			}
			out = append(out, e)
		}
		c.JSON(http.StatusOK, gin.H{"customer": key, "decisions": out})
	})
}
