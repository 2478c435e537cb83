package api

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/gin-gonic/gin"
)

var (
	openAPIOnce   sync.Once
	openAPIDoc    *openapi3.T
	openAPIRouter routers.Router
	openAPIErr    error
)

// openAPISpec loads and validates api/openapi.yaml once.
func openAPISpec(t *testing.T) (*openapi3.T, routers.Router) {
	t.Helper()
	openAPIOnce.Do(func() {
		doc, err := openapi3.NewLoader().LoadFromData(OpenAPI())
		if err == nil {
			err = doc.Validate(context.Background())
		}
		if err == nil {
			openAPIRouter, err = legacy.NewRouter(doc)
		}
		openAPIDoc, openAPIErr = doc, err
	})
	if openAPIErr != nil {
		t.Fatalf("openapi.yaml: %v", openAPIErr)
	}
	return openAPIDoc, openAPIRouter
}

func TestOpenAPIFileIsValid(t *testing.T) {
	openAPISpec(t)
}

// allMounted is a server with every admin route and the session mounted,
// as cmd/bcflow mounts them (the routes, not their dependencies).
func allMounted() *Server {
	s := New(Options{Logger: slog.New(slog.DiscardHandler)})
	s.MountWebhooks(WebhookOptions{})
	admin := s.Admin([]byte("admin-token"))
	MountTimeline(admin, nil, nil)
	MountRedrive(admin, nil, nil, nil)
	MountSync(admin, SyncOptions{})
	MountSegments(admin, SegmentsOptions{})
	MountLoyalty(admin, LoyaltyOptions{})
	MountAnalytics(admin, AnalyticsOptions{})
	MountCustomers(admin, CustomersOptions{})
	return s
}

// TestOpenAPIDocumentsEveryRoute: every route under /api/v1 and
// /app/session is in openapi.yaml, and every operation there is served.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	if err := CheckOpenAPI(allMounted().Engine().Routes()); err != nil {
		t.Fatal(err)
	}
}

// TestCheckOpenAPIFindsMismatches: a route the file lacks and an operation
// no route serves are both named.
func TestCheckOpenAPIFindsMismatches(t *testing.T) {
	s := allMounted()
	s.Engine().GET("/api/v1/stores/:store/undocumented", func(*gin.Context) {})
	err := CheckOpenAPI(s.Engine().Routes())
	if err == nil || !strings.Contains(err.Error(), "not in openapi.yaml: GET /api/v1/stores/{store}/undocumented") {
		t.Fatalf("undocumented route: %v", err)
	}
	var fewer gin.RoutesInfo
	for _, r := range allMounted().Engine().Routes() {
		if r.Path != "/api/v1/stores/:store/analytics/holdout" {
			fewer = append(fewer, r)
		}
	}
	err = CheckOpenAPI(fewer)
	if err == nil || !strings.Contains(err.Error(), "served by no route: GET /api/v1/stores/{store}/analytics/holdout") {
		t.Fatalf("unserved operation: %v", err)
	}
}

// checkAgainstOpenAPI validates a recorded answer to method path against
// the operation's response in openapi.yaml.
func checkAgainstOpenAPI(t *testing.T, method, path string, rec *httptest.ResponseRecorder) {
	t.Helper()
	_, router := openAPISpec(t)
	req := httptest.NewRequest(method, "http://127.0.0.1:8080"+path, nil)
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s: not in openapi.yaml: %v", method, path, err)
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts},
		Status:                 rec.Code,
		Header:                 rec.Header(),
		Body:                   io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
		Options:                opts,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Fatalf("%s %s answered %d, not as openapi.yaml says: %v", method, path, rec.Code, err)
	}
	_ = http.StatusOK
}
