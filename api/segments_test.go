package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/starter"
	"github.com/bcflow/bcflow/store"
	"github.com/bcflow/bcflow/workflows"
)

// fakeRecomputes stands for Temporal as the starter's policy makes it
// answer (one recompute per store at a time, a finished one may run again);
// the starter against a real Temporal is exercised in e2e.
type fakeRecomputes struct {
	mu           sync.Mutex
	exec         *starter.SegmentRecompute
	starts       []workflows.SegmentRecomputeInput
	temporalDown bool
}

func (f *fakeRecomputes) StartSegmentRecompute(_ context.Context, storeHash, segment string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.temporalDown {
		return "", errors.New("temporal: connection refused")
	}
	in := workflows.SegmentRecomputeInput{StoreHash: storeHash, Segment: segment}
	if err := starter.CheckSegmentRecomputeInput(in); err != nil {
		return "", err
	}
	if f.exec != nil && f.exec.Running() {
		return "", starter.ErrRecomputeRunning
	}
	f.starts = append(f.starts, in)
	runID := fmt.Sprintf("run-%d", len(f.starts))
	f.exec = &starter.SegmentRecompute{SyncExecution: starter.SyncExecution{WorkflowID: workflows.SegmentRecomputeID(storeHash), RunID: runID,
		Status: "Running", StartTime: time.Now()}}
	return runID, nil
}

func (f *fakeRecomputes) DescribeSegmentRecompute(_ context.Context, _ string) (starter.SegmentRecompute, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.temporalDown {
		return starter.SegmentRecompute{}, false, errors.New("temporal: connection refused")
	}
	if f.exec == nil {
		return starter.SegmentRecompute{}, false, nil
	}
	return *f.exec, true, nil
}

// fakeSegmentStore holds memberships (every stint) and push state as the
// store keeps them, answering the reads the routes make.
type fakeSegmentStore struct {
	stints    []store.SegmentMember
	pending   map[string]map[store.PushTarget]int
	targets   map[string]store.SegmentTarget
	customers map[int64]store.MirrorCustomer
	down      bool
	// asked are the limits SegmentMembers was called with.
	asked []int
}

func (s *fakeSegmentStore) err() error {
	if s.down {
		return errors.New("database is locked")
	}
	return nil
}

func (s *fakeSegmentStore) SegmentSizes(context.Context, string) (map[string]int, error) {
	out := map[string]int{}
	for _, m := range s.stints {
		if m.LeftAt.IsZero() {
			out[m.Segment]++
		}
	}
	return out, s.err()
}

func (s *fakeSegmentStore) crossings(segment string, from, to time.Time, at func(store.SegmentMember) time.Time) []store.SegmentMember {
	var out []store.SegmentMember
	for _, m := range s.stints {
		if t := at(m); m.Segment == segment && !t.IsZero() && !t.Before(from) && t.Before(to) {
			out = append(out, m)
		}
	}
	return out
}

func (s *fakeSegmentStore) SegmentMovements(_ context.Context, _ string, from, to time.Time) (map[string]store.SegmentMovement, error) {
	out := map[string]store.SegmentMovement{}
	for _, m := range s.stints {
		out[m.Segment] = store.SegmentMovement{
			Entered: len(s.crossings(m.Segment, from, to, func(x store.SegmentMember) time.Time { return x.EnteredAt })),
			Left:    len(s.crossings(m.Segment, from, to, func(x store.SegmentMember) time.Time { return x.LeftAt })),
		}
	}
	return out, s.err()
}

func (s *fakeSegmentStore) PendingSegmentPushCounts(context.Context, string) (map[string]map[store.PushTarget]int, error) {
	return s.pending, s.err()
}

func (s *fakeSegmentStore) SegmentTargets(context.Context, string) (map[string]store.SegmentTarget, error) {
	return s.targets, s.err()
}

func (s *fakeSegmentStore) SegmentMembers(_ context.Context, _, segment, after string, limit int) ([]store.SegmentMember, error) {
	s.asked = append(s.asked, limit)
	var out []store.SegmentMember
	for _, m := range s.stints {
		if m.Segment == segment && m.LeftAt.IsZero() && m.Email > after {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b store.SegmentMember) int { return strings.Compare(a.Email, b.Email) })
	return out[:min(limit, len(out))], s.err()
}

func (s *fakeSegmentStore) ShopperSegments(_ context.Context, _, email string) ([]store.SegmentMember, error) {
	var out []store.SegmentMember
	for _, m := range s.stints {
		if m.Email == email {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b store.SegmentMember) int { return b.EnteredAt.Compare(a.EnteredAt) })
	return out, s.err()
}

func (s *fakeSegmentStore) MirrorCustomerByID(_ context.Context, _ string, id int64) (store.MirrorCustomer, error) {
	if err := s.err(); err != nil {
		return store.MirrorCustomer{}, err
	}
	c, ok := s.customers[id]
	if !ok {
		return store.MirrorCustomer{}, fmt.Errorf("store: mirror customer %d: %w", id, store.ErrNotFound)
	}
	return c, nil
}

var segNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

type segmentFixture struct {
	control *fakeRecomputes
	store   *fakeSegmentStore
	srv     *Server
	bcOff   bool
}

// newSegmentFixture serves the built-in segments of the default flows file
// for store abc123, with: two repeat customers (one entered 3 days ago, one
// 30 days ago), a high-value guest who left 2 days ago and came back
// today, and a member of "old_vip", a segment the file no longer defines.
func newSegmentFixture(t *testing.T) *segmentFixture {
	t.Helper()
	day := 24 * time.Hour
	f := &segmentFixture{control: &fakeRecomputes{}, store: &fakeSegmentStore{
		stints: []store.SegmentMember{
			{Segment: "repeat_customers", Email: "ann@example.com", CustomerID: 7, EnteredAt: segNow.Add(-3 * day)},
			{Segment: "repeat_customers", Email: "bob@example.com", CustomerID: 8, EnteredAt: segNow.Add(-30 * day)},
			{Segment: "high_value", Email: "guest@example.com", EnteredAt: segNow.Add(-40 * day), LeftAt: segNow.Add(-2 * day)},
			{Segment: "high_value", Email: "guest@example.com", EnteredAt: segNow.Add(-time.Hour)},
			{Segment: "repeat_customers", Email: "guest@example.com", EnteredAt: segNow.Add(-20 * day), LeftAt: segNow.Add(-10 * day)},
			{Segment: "old_vip", Email: "ann@example.com", CustomerID: 7, EnteredAt: segNow.Add(-100 * day)},
		},
		pending: map[string]map[store.PushTarget]int{
			"repeat_customers": {store.PushBigCommerce: 1, store.PushBrevo: 2},
			"old_vip":          {store.PushBrevo: 1},
		},
		targets: map[string]store.SegmentTarget{
			"repeat_customers": {Segment: "repeat_customers", BigCommerceID: "4f1c9a4e-1111-2222-3333-444455556666", BrevoListID: 12},
		},
		customers: map[int64]store.MirrorCustomer{7: {ID: 7, Email: "Ann@Example.com"}, 9: {ID: 9}},
	}}
	f.srv = New(Options{Logger: slog.New(slog.DiscardHandler)})
	MountSegments(f.srv.Admin([]byte("admin-token")), SegmentsOptions{Control: f.control, Store: f.store, Stores: []string{"abc123"},
		Now:                    func() time.Time { return segNow },
		BigCommerceUnavailable: func(context.Context, string) (bool, error) { return f.bcOff, nil }})
	return f
}

func (f *segmentFixture) do(t *testing.T, method, path, body string, out any) int {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer admin-token")
	rec := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(rec, req)
	if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
		t.Fatalf("%s %s: answer %q does not decode: %v", method, path, rec.Body, err)
	}
	return rec.Code
}

// expectError checks an error answer's status and code.
func (f *segmentFixture) expectError(t *testing.T, method, path, body string, status int, code string) {
	t.Helper()
	var out map[string]any
	if got := f.do(t, method, path, body, &out); got != status || errorCode(out) != code {
		t.Errorf("%s %s %s: %d %v, want %d %s", method, path, body, got, out, status, code)
	}
}

func TestSegmentRoutesNeedTheTokenAndAKnownStore(t *testing.T) {
	f := newSegmentFixture(t)
	for _, p := range []string{"/api/v1/stores/abc123/segments", "/api/v1/stores/abc123/segments/recompute",
		"/api/v1/stores/abc123/segments/high_value/members", "/api/v1/stores/abc123/customers/segments?email=ann@example.com"} {
		req := httptest.NewRequest(http.MethodGet, p, nil)
		rec := httptest.NewRecorder()
		f.srv.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("%s without the token: %d", p, rec.Code)
		}
		f.expectError(t, http.MethodGet, strings.Replace(p, "abc123", "zzz999", 1), "", 404, "unknown_store")
		f.expectError(t, http.MethodGet, strings.Replace(p, "abc123", "ABC", 1), "", 400, "bad_store")
	}
	f.expectError(t, http.MethodPost, "/api/v1/stores/zzz999/segments/recompute", `{}`, 404, "unknown_store")
	if len(f.control.starts) != 0 {
		t.Fatalf("rejected requests started recomputes: %+v", f.control.starts)
	}
}

func TestSegmentList(t *testing.T) {
	f := newSegmentFixture(t)
	var out SegmentsView
	if code := f.do(t, http.MethodGet, "/api/v1/stores/abc123/segments", "", &out); code != 200 {
		t.Fatalf("list: %d %+v", code, out)
	}
	if out.Store != "abc123" || !out.Enabled || !out.PushToBigCommerce || !out.PushToBrevo || out.BigCommerceUnavailable == nil || *out.BigCommerceUnavailable {
		t.Errorf("settings: %+v", out)
	}
	var names []string
	byName := map[string]SegmentView{}
	for _, s := range out.Segments {
		names = append(names, s.Name)
		byName[s.Name] = s
	}
	// The file's segments (sorted by SegmentsFor), then the dropped one.
	want := []string{"at_risk", "first_time_buyers", "high_value", "repeat_customers", "wholesale", "old_vip"}
	if !slices.Equal(names, want) {
		t.Fatalf("segments %v, want %v", names, want)
	}
	rep := byName["repeat_customers"]
	if !rep.Defined || rep.Title != "Repeat customers" || rep.Size != 2 || rep.EnteredLast7Days != 1 || rep.LeftLast7Days != 0 ||
		rep.Pending["bigcommerce"] != 1 || rep.Pending["brevo"] != 2 || rep.Pending["flows"] != 0 ||
		rep.BigCommerceSegmentID != "4f1c9a4e-1111-2222-3333-444455556666" || rep.BrevoListID != 12 || rep.BrevoList != "Repeat customers" || rep.TimeBased {
		t.Errorf("repeat_customers: %+v", rep)
	}
	// Left 2 days ago and came back: one entry and one exit this week.
	if hv := byName["high_value"]; hv.Size != 1 || hv.EnteredLast7Days != 1 || hv.LeftLast7Days != 1 || hv.BigCommerceSegmentID != "" || hv.BrevoListID != 0 {
		t.Errorf("high_value: %+v", hv)
	}
	if ar := byName["at_risk"]; !ar.TimeBased || ar.Size != 0 || ar.Pending == nil {
		t.Errorf("at_risk: %+v", ar)
	}
	if old := byName["old_vip"]; old.Defined || old.Size != 1 || old.Pending["brevo"] != 1 {
		t.Errorf("old_vip: %+v", old)
	}

	f.bcOff = true
	if f.do(t, http.MethodGet, "/api/v1/stores/abc123/segments", "", &out); out.BigCommerceUnavailable == nil || !*out.BigCommerceUnavailable {
		t.Errorf("BigCommerce unavailable not said: %+v", out.BigCommerceUnavailable)
	}
	f.store.down = true
	f.expectError(t, http.MethodGet, "/api/v1/stores/abc123/segments", "", 503, "unavailable")
}

func TestSegmentMembersPages(t *testing.T) {
	f := newSegmentFixture(t)
	const path = "/api/v1/stores/abc123/segments/repeat_customers/members"
	var page SegmentMembersView
	if code := f.do(t, http.MethodGet, path+"?limit=1", "", &page); code != 200 || len(page.Members) != 1 || page.Next != "ann@example.com" {
		t.Fatalf("first page: %d %+v", code, page)
	}
	if m := page.Members[0]; m.Email != "ann@example.com" || m.CustomerID != 7 || !m.EnteredAt.Equal(segNow.Add(-72*time.Hour)) || !m.Current {
		t.Errorf("member %+v", m)
	}
	next := page.Next
	page = SegmentMembersView{}
	if code := f.do(t, http.MethodGet, path+"?limit=1&after="+next, "", &page); code != 200 || len(page.Members) != 1 || page.Members[0].Email != "bob@example.com" || page.Next != "" {
		t.Fatalf("last page: %d %+v", code, page)
	}
	// The default page is 100 (one more is read to know whether there is a next).
	page = SegmentMembersView{}
	if code := f.do(t, http.MethodGet, path, "", &page); code != 200 || len(page.Members) != 2 || page.Next != "" || f.store.asked[len(f.store.asked)-1] != 101 {
		t.Fatalf("default page: %d %+v (asked %v)", code, page, f.store.asked)
	}
	// A member who left is not listed; an empty segment is an empty list.
	if code := f.do(t, http.MethodGet, "/api/v1/stores/abc123/segments/at_risk/members", "", &page); code != 200 || page.Members == nil || len(page.Members) != 0 {
		t.Fatalf("empty segment: %d %+v", code, page)
	}
	// A segment the file dropped still lists its members until they leave.
	if code := f.do(t, http.MethodGet, "/api/v1/stores/abc123/segments/old_vip/members", "", &page); code != 200 || len(page.Members) != 1 {
		t.Fatalf("dropped segment: %d %+v", code, page)
	}
	for _, q := range []string{"?limit=0", "?limit=1001", "?limit=x", "?limit="} {
		f.expectError(t, http.MethodGet, path+q, "", 400, "bad_limit")
	}
	f.expectError(t, http.MethodGet, "/api/v1/stores/abc123/segments/nope/members", "", 404, "unknown_segment")
	f.expectError(t, http.MethodGet, "/api/v1/stores/abc123/segments/Repeat/members", "", 400, "bad_segment")
	// "recompute" is a route of its own; as a segment name it still reaches members.
	f.expectError(t, http.MethodGet, "/api/v1/stores/abc123/segments/recompute/members", "", 404, "unknown_segment")
}

func TestShopperSegments(t *testing.T) {
	f := newSegmentFixture(t)
	var out ShopperSegmentsView
	if code := f.do(t, http.MethodGet, "/api/v1/stores/abc123/customers/segments?email=Guest@Example.com", "", &out); code != 200 {
		t.Fatalf("by email: %d %+v", code, out)
	}
	if out.Email != "guest@example.com" || out.CustomerID != 0 || !slices.Equal(out.Current, []string{"high_value"}) || len(out.Segments) != 3 {
		t.Fatalf("guest: %+v", out)
	}
	// Newest first, every stint, with when it began and ended.
	if s := out.Segments[0]; s.Segment != "high_value" || !s.Current || !s.LeftAt.IsZero() || !s.EnteredAt.Equal(segNow.Add(-time.Hour)) {
		t.Errorf("latest stint %+v", s)
	}
	if s := out.Segments[2]; s.Segment != "high_value" || s.Current || !s.LeftAt.Equal(segNow.Add(-48*time.Hour)) {
		t.Errorf("oldest stint %+v", s)
	}
	// A customer id is resolved through the mirror to its email.
	if code := f.do(t, http.MethodGet, "/api/v1/stores/abc123/customers/segments?customer_id=7", "", &out); code != 200 ||
		out.Email != "ann@example.com" || out.CustomerID != 7 || !slices.Equal(out.Current, []string{"old_vip", "repeat_customers"}) {
		t.Fatalf("by customer id: %d %+v", code, out)
	}
	// Nobody in any segment: empty lists, not null.
	var raw map[string]any
	if code := f.do(t, http.MethodGet, "/api/v1/stores/abc123/customers/segments?email=new@example.com", "", &raw); code != 200 || fmt.Sprint(raw["current"]) != "[]" || fmt.Sprint(raw["segments"]) != "[]" {
		t.Fatalf("no segments: %d %v", code, raw)
	}
	const base = "/api/v1/stores/abc123/customers/segments"
	f.expectError(t, http.MethodGet, base, "", 400, "bad_query")
	f.expectError(t, http.MethodGet, base+"?email=ann@example.com&customer_id=7", "", 400, "bad_query")
	f.expectError(t, http.MethodGet, base+"?email=not-an-email", "", 400, "bad_email")
	f.expectError(t, http.MethodGet, base+"?customer_id=-1", "", 400, "bad_customer")
	f.expectError(t, http.MethodGet, base+"?customer_id=abc", "", 400, "bad_customer")
	f.expectError(t, http.MethodGet, base+"?customer_id=404", "", 404, "unknown_customer")
	f.expectError(t, http.MethodGet, base+"?customer_id=9", "", 404, "unknown_customer") // no email
	f.store.down = true
	f.expectError(t, http.MethodGet, base+"?email=ann@example.com", "", 503, "unavailable")
}

func TestSegmentRecompute(t *testing.T) {
	f := newSegmentFixture(t)
	const path = "/api/v1/stores/abc123/segments/recompute"
	f.expectError(t, http.MethodGet, path, "", 404, "no_recompute")
	for _, tc := range []struct{ body, code string }{
		{`not json`, "bad_body"},
		{`{"segment":"at_risk","extra":1}`, "bad_body"},
		{`{"segment":"at_risk"} {}`, "bad_body"},
		{`{"segment":1}`, "bad_body"},
		{`{"segment":"At Risk"}`, "bad_segment"},
		{`{"segment":"nope"}`, "unknown_segment"},
		{`{"segment":"old_vip"}`, "unknown_segment"}, // dropped: a full recompute drops it
	} {
		f.expectError(t, http.MethodPost, path, tc.body, 400, tc.code)
	}
	if len(f.control.starts) != 0 {
		t.Fatalf("rejected requests started recomputes: %+v", f.control.starts)
	}

	var started SyncStarted
	if code := f.do(t, http.MethodPost, path, `{"segment":"at_risk"}`, &started); code != 202 || started.WorkflowID != "segments-recompute/abc123" || started.RunID != "run-1" {
		t.Fatalf("start: %d %+v", code, started)
	}
	if got := f.control.starts[0]; got != (workflows.SegmentRecomputeInput{StoreHash: "abc123", Segment: "at_risk"}) {
		t.Fatalf("started %+v", got)
	}
	// While it runs: 409, with the running one.
	f.control.exec.Progress = &workflows.SegmentRecomputeProgress{StoreHash: "abc123", Segment: "at_risk", Status: "running", Passes: 1,
		Segments: []workflows.SegmentRecomputeStep{{Segment: "at_risk"}}}
	var conflict struct {
		Error   ErrorDetail          `json:"error"`
		Running SegmentRecomputeView `json:"running"`
	}
	if code := f.do(t, http.MethodPost, path, ``, &conflict); code != 409 || conflict.Error.Code != "recompute_running" ||
		conflict.Running.RunID != "run-1" || conflict.Running.Status != "Running" || conflict.Running.Progress == nil || conflict.Running.Progress.Segment != "at_risk" {
		t.Fatalf("second start: %d %+v", code, conflict)
	}
	var view SegmentRecomputeView
	if code := f.do(t, http.MethodGet, path, "", &view); code != 200 || view.WorkflowID != "segments-recompute/abc123" || view.Progress == nil ||
		view.Progress.Total != 1 || view.Progress.Done != 0 || len(view.Progress.Segments) != 1 || view.Progress.Status != "running" {
		t.Fatalf("progress: %d %+v", code, view)
	}
	f.control.exec.Progress.Segments[0].Done = true
	f.control.exec.Progress.Segments[0].Result.Evaluated, f.control.exec.Progress.Segments[0].Result.Entered = 1200, 31
	view = SegmentRecomputeView{}
	if code := f.do(t, http.MethodGet, path, "", &view); code != 200 || view.Progress.Done != 1 ||
		view.Progress.Segments[0] != (SegmentProgressView{Segment: "at_risk", Done: true, Evaluated: 1200, Entered: 31}) {
		t.Fatalf("progress after the segment: %d %+v", code, view.Progress)
	}
	// Without the workflow's answer, the memo's line.
	f.control.exec.Progress, f.control.exec.Summary = nil, "running 1/1 segments"
	view = SegmentRecomputeView{}
	if code := f.do(t, http.MethodGet, path, "", &view); code != 200 || view.Progress != nil || view.Summary != "running 1/1 segments" {
		t.Fatalf("memo only: %d %+v", code, view)
	}
	// A finished recompute runs again; an empty body is every segment.
	f.control.exec.Status = "Completed"
	if code := f.do(t, http.MethodPost, path, ``, &started); code != 202 || started.RunID != "run-2" {
		t.Fatalf("again after it completed: %d %+v", code, started)
	}
	if got := f.control.starts[1]; got.Segment != "" {
		t.Fatalf("empty body started %+v", got)
	}
	f.control.exec.Status = "Failed"
	if code := f.do(t, http.MethodPost, path, `{"segment":""}`, &started); code != 202 || started.RunID != "run-3" {
		t.Fatalf("again after it failed: %d %+v", code, started)
	}
	f.control.exec.Status = "Completed"
	f.control.temporalDown = true
	f.expectError(t, http.MethodPost, path, `{}`, 503, "temporal_unavailable")
	f.expectError(t, http.MethodGet, path, "", 503, "temporal_unavailable")
}

// TestSegmentRoutesServeChannelRedefinitions: the routes read the store's
// effective definitions (SegmentsFor), so a segment a store adds is known.
func TestSegmentRoutesServeChannelRedefinitions(t *testing.T) {
	flows, err := config.ParseFlows("flows.yaml", []byte(`
version: 1
stores:
  - store_hash: abc123
    segments:
      definitions:
        - name: vip
          title: VIP
          rule: {total_spent: {at_least: 5000}}
`))
	if err != nil {
		t.Fatal(err)
	}
	f := newSegmentFixture(t)
	srv := New(Options{Logger: slog.New(slog.DiscardHandler)})
	// A store that cannot report exits (the reader alone, no SegmentExits).
	MountSegments(srv.Admin([]byte("admin-token")), SegmentsOptions{Control: f.control, Store: struct{ SegmentReader }{f.store}, Flows: flows, Stores: []string{"abc123"}})
	f.srv = srv
	var out SegmentsView
	if code := f.do(t, http.MethodGet, "/api/v1/stores/abc123/segments", "", &out); code != 200 || len(out.Segments) == 0 || out.Segments[0].Name != "vip" || out.Segments[0].Title != "VIP" || out.BigCommerceUnavailable != nil {
		t.Fatalf("list: %d %+v", code, out)
	}
	var started SyncStarted
	if code := f.do(t, http.MethodPost, "/api/v1/stores/abc123/segments/recompute", `{"segment":"vip"}`, &started); code != 202 {
		t.Fatalf("recompute vip: %d", code)
	}
	f.expectError(t, http.MethodPost, "/api/v1/stores/abc123/segments/recompute", `{}`, 409, "recompute_running")
	// A store's own segments section replaces the defaults' definitions.
	f.control.exec.Status = "Completed"
	f.expectError(t, http.MethodPost, "/api/v1/stores/abc123/segments/recompute", `{"segment":"high_value"}`, 400, "unknown_segment")
}

// TestSegmentRoutesOnTheStore: the routes over the real store (SQLite),
// with a membership the store's own evaluation made: a registered customer
// with two orders enters repeat_customers, a guest with one does not.
func TestSegmentRoutesOnTheStore(t *testing.T) {
	ctx := context.Background()
	st := newWebhookFixture(t).store
	at := segNow.Add(-time.Hour)
	if err := st.UpsertCustomers(ctx, "abc123", []store.MirrorCustomer{{ID: 7, Email: "Ann@Example.com", DateCreated: at.Add(-72 * time.Hour), DateModified: at}}); err != nil {
		t.Fatal(err)
	}
	total, _ := store.ParseMoney("25.00")
	order := func(id, customer int64, email string) store.MirrorOrder {
		return store.MirrorOrder{ID: id, CustomerID: customer, Email: email, ChannelID: 1, StatusID: 10, Status: "Completed",
			TotalIncTax: total, SubtotalIncTax: total, Currency: "USD", DateCreated: at.Add(-48 * time.Hour), DateModified: at}
	}
	if err := st.UpsertOrders(ctx, "abc123", []store.MirrorOrder{order(1, 7, "ann@example.com"), order(2, 7, "ann@example.com"), order(3, 0, "guest@example.com")}); err != nil {
		t.Fatal(err)
	}
	_, defs := config.DefaultFlows().SegmentsFor("abc123")
	i := slices.IndexFunc(defs, func(d config.SegmentDefinition) bool { return d.Name == "repeat_customers" })
	q, err := st.CompileSegment(defs[i].Rule, store.SegmentEnv{Now: at})
	if err != nil {
		t.Fatal(err)
	}
	if changes, err := st.EvaluateSegment(ctx, "abc123", "repeat_customers", q, store.SegmentScope{}, at); err != nil || len(changes) != 1 {
		t.Fatalf("evaluate: %v %+v", err, changes)
	}

	f := &segmentFixture{control: &fakeRecomputes{}, srv: New(Options{Logger: slog.New(slog.DiscardHandler)})}
	MountSegments(f.srv.Admin([]byte("admin-token")), SegmentsOptions{Control: f.control, Store: st, Stores: []string{"abc123"}, Now: func() time.Time { return segNow }})
	var list SegmentsView
	if code := f.do(t, http.MethodGet, "/api/v1/stores/abc123/segments", "", &list); code != 200 || len(list.Segments) != len(defs) {
		t.Fatalf("list: %d %+v", code, list)
	}
	for _, s := range list.Segments {
		want := 0
		if s.Name == "repeat_customers" {
			want = 1
		}
		if s.Size != want || s.EnteredLast7Days != want || s.Pending["brevo"] != want || s.Pending["flows"] != want {
			t.Errorf("%s: %+v", s.Name, s)
		}
	}
	var page SegmentMembersView
	if code := f.do(t, http.MethodGet, "/api/v1/stores/abc123/segments/repeat_customers/members", "", &page); code != 200 ||
		len(page.Members) != 1 || page.Members[0].Email != "ann@example.com" || page.Members[0].CustomerID != 7 || !page.Members[0].EnteredAt.Equal(at) {
		t.Fatalf("members: %d %+v", code, page)
	}
	var shopper ShopperSegmentsView
	if code := f.do(t, http.MethodGet, "/api/v1/stores/abc123/customers/segments?customer_id=7", "", &shopper); code != 200 ||
		shopper.Email != "ann@example.com" || !slices.Equal(shopper.Current, []string{"repeat_customers"}) || len(shopper.Segments) != 1 {
		t.Fatalf("customer 7: %d %+v", code, shopper)
	}
	shopper = ShopperSegmentsView{}
	if code := f.do(t, http.MethodGet, "/api/v1/stores/abc123/customers/segments?email=guest@example.com", "", &shopper); code != 200 || len(shopper.Current) != 0 || len(shopper.Segments) != 0 {
		t.Fatalf("guest: %d %+v", code, shopper)
	}
	f.expectError(t, http.MethodGet, "/api/v1/stores/abc123/customers/segments?customer_id=8", "", 404, "unknown_customer")
}
