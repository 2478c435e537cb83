package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/bcflow/bcflow/store"
	"github.com/bcflow/bcflow/workflows"
)

func TestTimelineBehindAdminToken(t *testing.T) {
	f := newWebhookFixture(t) // a migrated SQLite store
	ctx := context.Background()
	at := time.Date(2026, 11, 2, 16, 0, 0, 0, time.UTC)
	for i, d := range []string{"sent", "deferred", "exited"} {
		if err := f.store.AppendDecision(ctx, store.Decision{StoreHash: "abc123", CustomerKey: "c:7", Email: "Ann@Example.com", WorkflowID: "cart/abc123/x",
			Flow: "cart-recovery", Step: "reminder", Decision: d, Reason: "r" + d, At: at.Add(time.Duration(i) * time.Minute),
			Details: json.RawMessage(`{"channel":"email"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.store.AppendDecision(ctx, store.Decision{StoreHash: "abc123", CustomerKey: "e:guest@example.com", WorkflowID: "cart/abc123/y",
		Flow: "cart-recovery", Decision: "waiting", At: at}); err != nil {
		t.Fatal(err)
	}
	s := New(Options{Logger: slog.New(slog.DiscardHandler)})
	MountTimeline(s.Admin([]byte("admin-token")), f.store, []string{"abc123"})
	get := func(path, token string) (int, map[string]any) {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		var out map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		return rec.Code, out
	}
	if code, _ := get("/api/v1/stores/abc123/customers/7/timeline", ""); code != 401 {
		t.Fatalf("no token: %d", code)
	}
	if code, _ := get("/api/v1/stores/abc123/customers/7/timeline", "wrong"); code != 401 {
		t.Fatalf("wrong token: %d", code)
	}
	code, out := get("/api/v1/stores/abc123/customers/7/timeline", "admin-token")
	ds, _ := out["decisions"].([]any)
	if code != 200 || len(ds) != 3 {
		t.Fatalf("timeline: %d %v", code, out)
	}
	first := ds[0].(map[string]any)
	if first["decision"] != "exited" || first["details"].(map[string]any)["channel"] != "email" {
		t.Fatalf("newest first with details: %v", first)
	}
	code, out = get("/api/v1/stores/abc123/customers/7/timeline?limit=1&before="+at.Add(2*time.Minute).Format(time.RFC3339), "admin-token")
	ds, _ = out["decisions"].([]any)
	if code != 200 || len(ds) != 1 || ds[0].(map[string]any)["decision"] != "deferred" {
		t.Fatalf("paged: %d %v", code, out)
	}
	if code, out = get("/api/v1/stores/abc123/customers/Guest@Example.com/timeline", "admin-token"); code != 200 || len(out["decisions"].([]any)) != 1 {
		t.Fatalf("guest by email: %d %v", code, out)
	}
	// A registered customer is found by email too: their decisions carry it.
	if code, out = get("/api/v1/stores/abc123/customers/ann@example.com/timeline", "admin-token"); code != 200 || len(out["decisions"].([]any)) != 3 {
		t.Fatalf("registered customer by email: %d %v", code, out)
	}
	// No decisions is an empty list, as the workflows' decisions query
	// answers: [] not null.
	if code, out = get("/api/v1/stores/abc123/customers/99/timeline", "admin-token"); code != 200 {
		t.Fatalf("customer without decisions: %d %v", code, out)
	} else if ds, ok := out["decisions"].([]any); !ok || len(ds) != 0 {
		t.Fatalf("customer without decisions: decisions = %#v, want []", out["decisions"])
	}
	if code, _ := get("/api/v1/stores/abc123/customers/nobody/timeline", "admin-token"); code != 400 {
		t.Fatalf("bad customer: %d", code)
	}
	if code, _ := get("/api/v1/stores/abc123/customers/7/timeline?limit=0", "admin-token"); code != 400 {
		t.Fatalf("bad limit: %d", code)
	}
	// Malformed ids are 400 with a JSON error; a store bcflow does not serve
	// is 404, not an empty timeline.
	for path, want := range map[string]struct {
		status int
		code   string
	}{
		"/api/v1/stores/zzz999/customers/7/timeline":              {404, "unknown_store"},
		"/api/v1/stores/ABC123/customers/7/timeline":              {400, "bad_store"},
		"/api/v1/stores/abc123/customers/-5/timeline":             {400, "bad_customer"},
		"/api/v1/stores/abc123/customers/0/timeline":              {400, "bad_customer"},
		"/api/v1/stores/abc123/customers/a@b@c/timeline":          {400, "bad_customer"},
		"/api/v1/stores/abc123/customers/%3Cscript%3E@x/timeline": {400, "bad_customer"},
	} {
		if code, out := get(path, "admin-token"); code != want.status || errorCode(out) != want.code {
			t.Errorf("%s: %d %v, want %d %s", path, code, out, want.status, want.code)
		}
	}
	// An empty configured token never opens the admin API.
	s2 := New(Options{Logger: slog.New(slog.DiscardHandler)})
	MountTimeline(s2.Admin(nil), f.store, nil)
	req := httptest.NewRequest(http.MethodGet, "/api/v1/stores/abc123/customers/7/timeline", nil)
	req.Header.Set("Authorization", "Bearer ")
	rec := httptest.NewRecorder()
	s2.Handler().ServeHTTP(rec, req)
	if rec.Code != 401 {
		t.Fatalf("empty token configured: %d", rec.Code)
	}
}

// timelineKeys are the JSON fields of a timeline decision; the workflows'
// decisions query answers the same ones (workflows' TestDecisionsQueryShape
// holds the same list).
var timelineKeys = []string{"at", "decision", "details", "flow", "reason", "step", "workflow_id"}

// A timeline decision has the decisions query's shape: the same fields, as
// a workflows.DecisionEntry marshals them.
func TestTimelineDecisionShape(t *testing.T) {
	f := newWebhookFixture(t)
	at := time.Date(2026, 11, 2, 16, 0, 0, 0, time.UTC)
	if err := f.store.AppendDecision(context.Background(), store.Decision{StoreHash: "abc123", CustomerKey: "c:7", WorkflowID: "loyalty/abc123/1001",
		Flow: "loyalty", Step: "award", Decision: "awarded", Reason: "1500 points", At: at, Details: json.RawMessage(`{"points":1500}`)}); err != nil {
		t.Fatal(err)
	}
	s := New(Options{Logger: slog.New(slog.DiscardHandler)})
	MountTimeline(s.Admin([]byte("admin-token")), f.store, []string{"abc123"})
	req := httptest.NewRequest(http.MethodGet, "/api/v1/stores/abc123/customers/7/timeline", nil)
	req.Header.Set("Authorization", "Bearer admin-token")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	var out struct {
		Decisions []map[string]any `json:"decisions"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || len(out.Decisions) != 1 {
		t.Fatalf("timeline %d %s", rec.Code, rec.Body)
	}
	queryJSON, err := json.Marshal(workflows.DecisionEntry{At: at, Flow: "loyalty", WorkflowID: "loyalty/abc123/1001", Step: "award",
		Decision: "awarded", Reason: "1500 points", Details: map[string]any{"points": 1500}})
	if err != nil {
		t.Fatal(err)
	}
	var query map[string]any
	if err := json.Unmarshal(queryJSON, &query); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) []string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return ks
	}
	got := keys(out.Decisions[0])
	if !slices.Equal(got, timelineKeys) || !slices.Equal(keys(query), timelineKeys) {
		t.Fatalf("timeline fields %v, query fields %v, want %v", got, keys(query), timelineKeys)
	}
	if !reflect.DeepEqual(out.Decisions[0], query) {
		t.Fatalf("timeline %v != query %v", out.Decisions[0], query)
	}
}
