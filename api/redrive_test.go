package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/bcflow/bcflow/starter"
)

// recordingRedriver records the requests that reach it; the real re-drive
// against Temporal is exercised in e2e.
type recordingRedriver struct {
	mu   sync.Mutex
	reqs []starter.RedriveRequest
}

func (r *recordingRedriver) Redrive(_ context.Context, req starter.RedriveRequest) (starter.RedriveReport, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req)
	return starter.RedriveReport{DryRun: req.DryRun, Redriven: []starter.Redriven{}}, nil
}

func TestRedriveRequestValidation(t *testing.T) {
	rd := &recordingRedriver{}
	s := New(Options{Logger: slog.New(slog.DiscardHandler)})
	MountRedrive(s.Admin([]byte("admin-token")), rd, []string{"abc123"}, nil)
	post := func(token, body string) (int, map[string]any) {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/flows/redrive", strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		var out map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		return rec.Code, out
	}
	if code, _ := post("", `{}`); code != 401 {
		t.Fatalf("no token: %d", code)
	}
	if code, _ := post("wrong", `{}`); code != 401 {
		t.Fatalf("wrong token: %d", code)
	}
	bad := []struct {
		body   string
		status int
		code   string
	}{
		{`not json`, 400, "bad_body"},
		{`{"store":"abc123","extra":1}`, 400, "bad_body"},
		{`{} {}`, 400, "bad_body"},
		{`{"limit":"ten"}`, 400, "bad_body"},
		{`{"store":"ABC/123"}`, 400, "bad_request"},
		{`{"store":"zzz999"}`, 404, "unknown_store"},
		{`{"flow":"cart recovery\" OR 1=1"}`, 400, "bad_request"},
		{`{"workflow_id":"cart/abc123/x\" OR WorkflowId != \""}`, 400, "bad_request"},
		{`{"limit":-1}`, 400, "bad_request"},
		{`{"limit":1001}`, 400, "bad_request"},
	}
	for _, tc := range bad {
		if code, out := post("admin-token", tc.body); code != tc.status || errorCode(out) != tc.code {
			t.Errorf("%s: %d %v, want %d %s", tc.body, code, out, tc.status, tc.code)
		}
	}
	if len(rd.reqs) != 0 {
		t.Fatalf("rejected requests reached the re-driver: %+v", rd.reqs)
	}
	for _, body := range []string{``, `{}`, `{"store":"abc123","flow":"cart-recovery","dry_run":true,"limit":5}`, `{"workflow_id":"cart/abc123/09346904-4175-44fd-be53-f7e598531b6c"}`} {
		if code, out := post("admin-token", body); code != 200 {
			t.Errorf("%q: %d %v", body, code, out)
		}
	}
	want := []starter.RedriveRequest{
		{Limit: starter.RedriveDefaultLimit},
		{Limit: starter.RedriveDefaultLimit},
		{StoreHash: "abc123", Flow: "cart-recovery", DryRun: true, Limit: 5},
		{WorkflowID: "cart/abc123/09346904-4175-44fd-be53-f7e598531b6c", Limit: starter.RedriveDefaultLimit},
	}
	if len(rd.reqs) != len(want) {
		t.Fatalf("re-driver got %+v", rd.reqs)
	}
	for i := range want {
		if rd.reqs[i] != want[i] {
			t.Errorf("request %d = %+v, want %+v", i, rd.reqs[i], want[i])
		}
	}
}
