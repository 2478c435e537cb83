package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

func newTestServer(t *testing.T, opts Options) (*Server, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	opts.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	return New(opts), &logs
}

func do(t *testing.T, h http.Handler, method, path string, body io.Reader, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, body)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func decodeError(t *testing.T, rec *httptest.ResponseRecorder) ErrorDetail {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("content type %q, want JSON", ct)
	}
	var body ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body %q is not ErrorBody JSON: %v", rec.Body.String(), err)
	}
	if body.Error.Code == "" || body.Error.Message == "" || body.Error.RequestID == "" {
		t.Fatalf("incomplete error body: %+v", body)
	}
	return body.Error
}

func TestHealthz(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	rec := do(t, s.Handler(), http.MethodGet, "/healthz", nil, nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"ok"`) {
		t.Fatalf("healthz = %d %s", rec.Code, rec.Body)
	}
}

func TestReadyzReportsEachCheck(t *testing.T) {
	var dbDown bool
	s, logs := newTestServer(t, Options{Checks: []Check{
		{Name: "temporal", Probe: func(context.Context) error { return nil }},
		{Name: "database", Probe: func(context.Context) error {
			if dbDown {
				return errors.New("connection refused")
			}
			return nil
		}},
	}})
	rec := do(t, s.Handler(), http.MethodGet, "/readyz", nil, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("ready: got %d %s", rec.Code, rec.Body)
	}
	dbDown = true
	rec = do(t, s.Handler(), http.MethodGet, "/readyz", nil, nil)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("database down: got %d, want 503", rec.Code)
	}
	var body struct {
		Checks map[string]string `json:"checks"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body.Checks["database"] != "unavailable" || body.Checks["temporal"] != "ok" {
		t.Fatalf("checks = %v", body.Checks)
	}
	if !strings.Contains(logs.String(), "connection refused") {
		t.Fatalf("failed check not logged: %s", logs)
	}
}

func TestUnknownRouteAndMethodAnswerJSON(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	rec := do(t, s.Handler(), http.MethodGet, "/nope", nil, nil)
	if rec.Code != http.StatusNotFound || decodeError(t, rec).Code != "not_found" {
		t.Fatalf("unknown route: %d %s", rec.Code, rec.Body)
	}
	rec = do(t, s.Handler(), http.MethodPost, "/healthz", nil, nil)
	if rec.Code != http.StatusMethodNotAllowed || decodeError(t, rec).Code != "method_not_allowed" {
		t.Fatalf("wrong method: %d %s", rec.Code, rec.Body)
	}
}

func TestBodyLimit(t *testing.T) {
	s, _ := newTestServer(t, Options{MaxBodyBytes: 16})
	s.Engine().POST("/echo", func(c *gin.Context) {
		body, ok := ReadBody(c)
		if !ok {
			return
		}
		c.Data(http.StatusOK, "text/plain", body)
	})
	rec := do(t, s.Handler(), http.MethodPost, "/echo", strings.NewReader("small"), nil)
	if rec.Code != http.StatusOK || rec.Body.String() != "small" {
		t.Fatalf("small body: %d %q", rec.Code, rec.Body)
	}
	// Declared length over the limit is refused before reading.
	rec = do(t, s.Handler(), http.MethodPost, "/echo", strings.NewReader(strings.Repeat("x", 17)), nil)
	if rec.Code != http.StatusRequestEntityTooLarge || decodeError(t, rec).Code != "body_too_large" {
		t.Fatalf("declared large body: %d %s", rec.Code, rec.Body)
	}
	// A chunked body with no declared length is cut off while reading.
	req := httptest.NewRequest(http.MethodPost, "/echo", io.MultiReader(strings.NewReader(strings.Repeat("y", 40))))
	req.ContentLength = -1
	rec = httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("streamed large body: %d %s", rec.Code, rec.Body)
	}
}

func TestRequestIDKeptOrGenerated(t *testing.T) {
	s, logs := newTestServer(t, Options{})
	rec := do(t, s.Handler(), http.MethodGet, "/healthz", nil, http.Header{RequestIDHeader: {"abc-123"}})
	if got := rec.Header().Get(RequestIDHeader); got != "abc-123" {
		t.Fatalf("kept id = %q", got)
	}
	if !strings.Contains(logs.String(), `"request_id":"abc-123"`) {
		t.Fatalf("request id not in access log: %s", logs)
	}
	rec = do(t, s.Handler(), http.MethodGet, "/healthz", nil, http.Header{RequestIDHeader: {"bad id with spaces\n"}})
	got := rec.Header().Get(RequestIDHeader)
	if got == "" || strings.Contains(got, " ") {
		t.Fatalf("generated id = %q", got)
	}
}

func TestPanicBecomesJSON500(t *testing.T) {
	s, logs := newTestServer(t, Options{})
	s.Engine().GET("/boom", func(*gin.Context) { panic("kaboom") })
	rec := do(t, s.Handler(), http.MethodGet, "/boom", nil, nil)
	if rec.Code != http.StatusInternalServerError || decodeError(t, rec).Code != "internal" {
		t.Fatalf("panic: %d %s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "kaboom") {
		t.Fatal("panic value leaked to the client")
	}
	if !strings.Contains(logs.String(), "kaboom") {
		t.Fatal("panic not logged")
	}
}

func TestAccessLogOmitsQueryString(t *testing.T) {
	s, logs := newTestServer(t, Options{})
	do(t, s.Handler(), http.MethodGet, "/healthz?token=s3cret", nil, nil)
	if strings.Contains(logs.String(), "s3cret") {
		t.Fatalf("query string logged: %s", logs)
	}
}

func TestMetricsRoute(t *testing.T) {
	s, _ := newTestServer(t, Options{Metrics: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "bcflow_up 1\n")
	})})
	rec := do(t, s.Handler(), http.MethodGet, "/metrics", nil, nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "bcflow_up 1") {
		t.Fatalf("metrics: %d %s", rec.Code, rec.Body)
	}
}
