package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bcflow/bcflow/api"
	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/store"
)

// TestMountedAPIMatchesOpenAPI: the routes bcflow serves (as api and dev
// mount them) are exactly those api/openapi.yaml documents, under /api/v1
// and /app/session; the dashboard is served at /app/ and the business
// metrics are registered.
func TestMountedAPIMatchesOpenAPI(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "bcflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{TaskQueue: "bcflow"}
	applyDevDefaults(cfg, "http://127.0.0.1:1", devStore{Hash: "abc123", AccessToken: "t", ClientSecret: "s"}, "k")
	reg := prometheus.NewRegistry()
	srv := api.New(api.Options{Logger: slog.New(slog.DiscardHandler), Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})})
	if err := mountAPI(srv, cfg, config.DefaultFlows(), st, nil, slog.New(slog.DiscardHandler), reg); err != nil {
		t.Fatal(err)
	}
	if err := api.CheckOpenAPI(srv.Engine().Routes()); err != nil {
		t.Fatal(err)
	}
	get := func(path string, auth bool) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if auth {
			req.Header.Set("Authorization", "Bearer dev-admin-token")
		}
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		return rec
	}
	if rec := get("/app/", false); rec.Code != 200 || !strings.Contains(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("/app/: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	if rec := get("/api/v1/stores/abc123/analytics/overview", true); rec.Code != 200 {
		t.Fatalf("overview: %d %s", rec.Code, rec.Body)
	}
	if rec := get("/metrics", false); rec.Code != 200 || !strings.Contains(rec.Body.String(), `bcflow_recovered_revenue_total{store="abc123"} 0`) {
		t.Fatalf("metrics: %d %s", rec.Code, rec.Body)
	}
}
