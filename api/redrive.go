package api

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/bcflow/bcflow/starter"
)

// Redriver starts failed flows again; the starter implements it over
// Temporal.
type Redriver interface {
	Redrive(ctx context.Context, req starter.RedriveRequest) (starter.RedriveReport, error)
}

// MountRedrive adds POST /api/v1/flows/redrive to g (the Admin group): the
// runs that failed, were terminated or timed out, selected by the optional
// body {"store": H, "flow": F, "workflow_id": ID, "limit": N, "dry_run":
// bool}, are started again under the same id with the same input (see
// starter.Redrive); a workflow whose latest run is open or completed is
// skipped. It answers 200 with the report, 400 on a malformed body, 404 for
// a store bcflow does not serve (stores, when not empty), 503 when Temporal
// does not answer.
func MountRedrive(g *gin.RouterGroup, r Redriver, stores []string, logger *slog.Logger) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	g.POST("/flows/redrive", func(c *gin.Context) {
		body, ok := ReadBody(c)
		if !ok {
			return
		}
		var req starter.RedriveRequest
		if len(bytes.TrimSpace(body)) > 0 && !decodeBody(c, body, &req, `{"store", "flow", "workflow_id", "limit", "dry_run"}, all optional`) {
			return
		}
		if err := req.Check(); err != nil {
			AbortError(c, http.StatusBadRequest, "bad_request", err.Error())
			return
		}
		if req.StoreHash != "" && !knownStore(c, stores, req.StoreHash) {
			return
		}
		rep, err := r.Redrive(c.Request.Context(), req)
		if err != nil {
			var pe *starter.ParseError
			if errors.As(err, &pe) {
				AbortError(c, http.StatusBadRequest, "bad_request", pe.Error())
				return
			}
			logger.ErrorContext(c.Request.Context(), "re-drive failed flows", "error", err.Error(), "redriven", len(rep.Redriven))
			AbortError(c, http.StatusServiceUnavailable, "temporal_unavailable", "Temporal did not answer; nothing or part was re-driven, retry")
			return
		}
		c.JSON(http.StatusOK, rep)
	})
}
