package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/api"
	"github.com/bcflow/bcflow/segments"
	"github.com/bcflow/bcflow/starter"
	"github.com/bcflow/bcflow/store"
	"github.com/bcflow/bcflow/workflows"
)

// simRecompute plays segment recomputes behind the real admin routes: each
// read of the progress finishes one more segment, until the run ends as
// outcome (a Temporal status). The SegmentRecompute workflow on a real
// Temporal is exercised in e2e.
type simRecompute struct {
	mu      sync.Mutex
	outcome string
	exec    *starter.SegmentRecompute
	starts  []string
}

func (s *simRecompute) StartSegmentRecompute(_ context.Context, storeHash, segment string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.exec != nil && s.exec.Running() {
		return "", starter.ErrRecomputeRunning
	}
	s.starts = append(s.starts, segment)
	names := []string{"at_risk", "high_value", "repeat_customers"}
	if segment != "" {
		names = []string{segment}
	}
	p := &workflows.SegmentRecomputeProgress{StoreHash: storeHash, Segment: segment, Status: "running", StartedAt: time.Now(), Passes: 1}
	for _, n := range names {
		p.Segments = append(p.Segments, workflows.SegmentRecomputeStep{Segment: n})
	}
	runID := fmt.Sprintf("run-%d", len(s.starts))
	s.exec = &starter.SegmentRecompute{SyncExecution: starter.SyncExecution{WorkflowID: workflows.SegmentRecomputeID(storeHash), RunID: runID,
		Status: "Running", StartTime: time.Now()}, Progress: p}
	return runID, nil
}

func (s *simRecompute) DescribeSegmentRecompute(context.Context, string) (starter.SegmentRecompute, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.exec == nil {
		return starter.SegmentRecompute{}, false, nil
	}
	out := *s.exec
	if s.exec.Running() {
		p := *s.exec.Progress
		p.Segments = slices.Clone(p.Segments)
		out.Progress = &p
		i := slices.IndexFunc(s.exec.Progress.Segments, func(st workflows.SegmentRecomputeStep) bool { return !st.Done })
		if i < 0 {
			s.exec.Status, s.exec.CloseTime = s.outcome, time.Now()
			s.exec.Progress.Status = "completed"
			if s.outcome != "Completed" {
				s.exec.Progress = nil
				s.exec.Summary = "running 3/3 segments"
			}
		} else {
			s.exec.Progress.Segments[i].Done = true
			s.exec.Progress.Segments[i].Result = activities.SegmentRecomputeResult{Segments: 1, Evaluated: 1000 * (i + 1), Entered: 10 + i, Left: i}
		}
	}
	return out, true, nil
}

// cliSegments are a store's memberships as the store reads them.
type cliSegments struct{ stints []store.SegmentMember }

func (s *cliSegments) SegmentSizes(context.Context, string) (map[string]int, error) {
	out := map[string]int{}
	for _, m := range s.stints {
		if m.LeftAt.IsZero() {
			out[m.Segment]++
		}
	}
	return out, nil
}

func (s *cliSegments) SegmentMovements(_ context.Context, _ string, from, to time.Time) (map[string]store.SegmentMovement, error) {
	out := map[string]store.SegmentMovement{}
	in := func(t time.Time) bool { return !t.IsZero() && !t.Before(from) && t.Before(to) }
	for _, m := range s.stints {
		mv := out[m.Segment]
		if in(m.EnteredAt) {
			mv.Entered++
		}
		if in(m.LeftAt) {
			mv.Left++
		}
		out[m.Segment] = mv
	}
	return out, nil
}

func (s *cliSegments) PendingSegmentPushCounts(context.Context, string) (map[string]map[store.PushTarget]int, error) {
	return map[string]map[store.PushTarget]int{"repeat_customers": {store.PushBrevo: 3}}, nil
}

func (s *cliSegments) SegmentTargets(context.Context, string) (map[string]store.SegmentTarget, error) {
	return map[string]store.SegmentTarget{"repeat_customers": {Segment: "repeat_customers", BigCommerceID: "seg-42", BrevoListID: 12}}, nil
}

func (s *cliSegments) SegmentMembers(_ context.Context, _, segment, after string, limit int) ([]store.SegmentMember, error) {
	var out []store.SegmentMember
	for _, m := range s.stints {
		if m.Segment == segment && m.LeftAt.IsZero() && m.Email > after {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b store.SegmentMember) int { return strings.Compare(a.Email, b.Email) })
	return out[:min(limit, len(out))], nil
}

func (s *cliSegments) ShopperSegments(_ context.Context, _, email string) ([]store.SegmentMember, error) {
	var out []store.SegmentMember
	for _, m := range s.stints {
		if m.Email == email {
			out = append(out, m)
		}
	}
	return out, nil
}

func (s *cliSegments) MirrorCustomerByID(_ context.Context, _ string, id int64) (store.MirrorCustomer, error) {
	if id == 7 {
		return store.MirrorCustomer{ID: 7, Email: "ann@example.com"}, nil
	}
	return store.MirrorCustomer{}, fmt.Errorf("store: mirror customer %d: %w", id, store.ErrNotFound)
}

type segmentsCLI struct {
	sim *simRecompute
	url string
}

func newSegmentsCLI(t *testing.T, outcome string) *segmentsCLI {
	t.Helper()
	t.Setenv("BCFLOW_ADMIN_TOKEN", "cli-admin-token")
	t.Setenv("BCFLOW_BC_STORE_HASH", "abc123")
	sim := &simRecompute{outcome: outcome}
	now := time.Now()
	members := &cliSegments{stints: []store.SegmentMember{
		{Segment: "repeat_customers", Email: "ann@example.com", CustomerID: 7, EnteredAt: now.Add(-time.Hour)},
		{Segment: "repeat_customers", Email: "bob@example.com", CustomerID: 8, EnteredAt: now.Add(-30 * 24 * time.Hour)},
		{Segment: "repeat_customers", Email: "guest@example.com", EnteredAt: now.Add(-2 * time.Hour)},
		{Segment: "high_value", Email: "ann@example.com", CustomerID: 7, EnteredAt: now.Add(-50 * 24 * time.Hour), LeftAt: now.Add(-24 * time.Hour)},
	}}
	srv := api.New(api.Options{Logger: slog.New(slog.DiscardHandler)})
	api.MountSegments(srv.Admin([]byte("cli-admin-token")), api.SegmentsOptions{Control: sim, Store: members, Stores: []string{"abc123"}})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &segmentsCLI{sim: sim, url: hs.URL}
}

func (c *segmentsCLI) run(terminal bool, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), &cliEnv{stdout: &out, stderr: &errb, terminal: terminal}, append(append([]string{"segments"}, args...), "-url", c.url))
	return code, out.String(), errb.String()
}

// squash collapses runs of spaces, so table columns compare as words.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestSegmentsCommandUsage(t *testing.T) {
	c := newSegmentsCLI(t, "Completed")
	for _, args := range [][]string{
		{},
		{"everything"},
		{"list", "-nope"},
		{"list", "-segment", "at_risk"},
		{"members"},
		{"members", "-segment", "At Risk"},
		{"members", "-segment", "at_risk", "-limit", "0"},
		{"members", "-segment", "at_risk", "-limit", "1001"},
		{"members", "-segment", "at_risk", "-email", "ann@example.com"},
		{"customer"},
		{"customer", "-email", "ann@example.com", "-customer-id", "7"},
		{"customer", "-email", "not-an-email"},
		{"customer", "-customer-id", "-3"},
		{"customer", "-customer-id", "x"},
		{"recompute", "-segment", "a/b"},
		{"recompute", "-watch"},
		{"recompute", "-interval", "1ms"},
		{"status", "-no-wait"},
		{"list", "-store", "ABC/1"},
		{"list", "extra"},
	} {
		code, out, errs := c.run(false, args...)
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "bcflow segments: ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one line", args, code, out, errs)
		}
	}
	if len(c.sim.starts) != 0 {
		t.Fatalf("bad command lines reached the API: %+v", c.sim.starts)
	}
	if code, _, errs := c.run(false, "-h"); code != 0 || !strings.Contains(errs, "Usage: bcflow segments list|members|customer|recompute|status") {
		t.Fatalf("-h: exit %d %q", code, errs)
	}
}

func TestSegmentsCommandReads(t *testing.T) {
	c := newSegmentsCLI(t, "Completed")
	code, out, errs := c.run(false, "list")
	if code != 0 {
		t.Fatalf("list: exit %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{
		"segments of abc123: on; push to BigCommerce on, to Brevo on",
		"NAME TITLE SIZE ENTERED 7D LEFT 7D PENDING BC/BREVO/FLOWS BIGCOMMERCE SEGMENT BREVO LIST",
		"repeat_customers Repeat customers 3 2 0 0/3/0 seg-42 Repeat customers (#12)",
		"at_risk (daily) At-risk customers 0 0 0 0/0/0 - At-risk customers",
		"high_value High-value customers 0 0 1 0/0/0 - High-value customers",
	} {
		if !strings.Contains(squash(out), want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}

	code, out, errs = c.run(false, "members", "-segment", "repeat_customers", "-limit", "2")
	if code != 0 || !strings.Contains(squash(out), "ann@example.com 7") || !strings.Contains(squash(out), "bob@example.com 8") || strings.Contains(out, "guest@") ||
		!strings.Contains(out, "-after bob@example.com") {
		t.Fatalf("members page: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = c.run(false, "members", "-segment", "repeat_customers", "-limit", "2", "-all")
	if code != 0 || !strings.Contains(squash(out), "guest@example.com guest") || !strings.Contains(out, "3 member(s) of repeat_customers") {
		t.Fatalf("members -all: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs = c.run(false, "members", "-segment", "nope"); code != 1 || !strings.Contains(errs, "404 unknown_segment") {
		t.Fatalf("unknown segment: exit %d %q", code, errs)
	}

	code, out, errs = c.run(false, "customer", "-customer-id", "7")
	if code != 0 || !strings.Contains(out, "customer 7 (ann@example.com) is in 1 segment(s) now: repeat_customers") ||
		!strings.Contains(squash(out), "repeat_customers") || !strings.Contains(squash(out), "(member)") || !strings.Contains(out, "high_value") {
		t.Fatalf("customer: exit %d\n%s%s", code, out, errs)
	}
	if code, out, _ = c.run(false, "customer", "-email", "new@example.com"); code != 0 || !strings.Contains(out, "new@example.com has never been in a segment") {
		t.Fatalf("customer without segments: exit %d\n%s", code, out)
	}
	if code, _, errs = c.run(false, "customer", "-customer-id", "9"); code != 1 || !strings.Contains(errs, "404 unknown_customer") {
		t.Fatalf("unknown customer: exit %d %q", code, errs)
	}
	if code, out, _ = c.run(false, "status"); code != 0 || !strings.Contains(out, "no segment recompute has run for store abc123") {
		t.Fatalf("status before any: exit %d\n%s", code, out)
	}
}

func TestSegmentsCommandRecomputeWatchesToCompletion(t *testing.T) {
	c := newSegmentsCLI(t, "Completed")
	code, out, errs := c.run(false, "recompute", "-interval", "10ms")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	if !slices.Equal(c.sim.starts, []string{""}) {
		t.Fatalf("started %q", c.sim.starts)
	}
	for _, want := range []string{
		"started segments-recompute/abc123 (run run-1)",
		"at_risk done: 1,000 evaluated, 10 entered, 0 left",
		"repeat_customers done: 3,000 evaluated, 12 entered, 2 left",
		"segment recompute of abc123: running for",
		"segment recompute of abc123: completed in",
		", 3/3 segments 100%",
	} {
		if !strings.Contains(squash(out), squash(want)) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") || strings.Contains(out, "█") || strings.Count(out, "at_risk") != 1 {
		t.Errorf("plain output: terminal codes, or a segment printed twice:\n%s", out)
	}
	if code, out, _ = c.run(false, "status"); code != 0 || !strings.Contains(out, "segment recompute of abc123: completed in") || !strings.Contains(out, "3/3 segments 100%") {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
	// One segment, on a terminal: redrawn in place with bars.
	code, out, errs = c.run(true, "recompute", "-segment", "high_value", "-interval", "10ms")
	if code != 0 || c.sim.starts[1] != "high_value" {
		t.Fatalf("one segment: exit %d %q\n%s%s", code, c.sim.starts, out, errs)
	}
	frames, ups := strings.Count(out, "\x1b[J"), strings.Count(out, "\x1b[2A")
	if frames < 2 || ups != frames-1 || !strings.Contains(out, "█") || !strings.Contains(out, "segment recompute of abc123 (high_value)") {
		t.Fatalf("%d frames, %d cursor-ups:\n%q", frames, ups, out)
	}
}

func TestSegmentsCommandRecomputeConflictAndFailure(t *testing.T) {
	c := newSegmentsCLI(t, "Failed")
	code, out, errs := c.run(false, "recompute", "-no-wait")
	if code != 0 || !strings.Contains(out, "started segments-recompute/abc123") || strings.Contains(out, "at_risk") {
		t.Fatalf("-no-wait: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs = c.run(false, "recompute", "-segment", "at_risk"); code != 1 || !strings.Contains(errs, "already running") || !strings.Contains(errs, "bcflow segments status -watch") {
		t.Fatalf("second start: exit %d %q", code, errs)
	}
	// status -watch follows it; it fails: exit 1, the memo's line shown.
	code, out, errs = c.run(false, "status", "-watch", "-interval", "10ms")
	if code != 1 || !strings.Contains(errs, "segments-recompute/abc123 failed") || !strings.Contains(out, "failed after") || !strings.Contains(out, "(running 3/3 segments)") {
		t.Fatalf("status -watch of a failing recompute: exit %d\n%s%s", code, out, errs)
	}
	// Not running any more: status -watch prints it once.
	if code, out, _ = c.run(false, "status", "-watch"); code != 0 || !strings.Contains(out, "no segment recompute of abc123 is running") {
		t.Fatalf("status -watch with none running: exit %d\n%s", code, out)
	}
}

// TestBigCommerceSegmentationOffReadsTheEngineDecision: the list's
// bigcommerce_unavailable is the segment engine's record in sync_state.
func TestBigCommerceSegmentationOffReadsTheEngineDecision(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "bcflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if off, err := bigCommerceSegmentationOff(ctx, st, "abc123"); err != nil || off {
		t.Fatalf("never decided: %v %v", off, err)
	}
	put := func(cursor string) {
		if err := st.PutSyncState(ctx, store.SyncState{StoreHash: "abc123", Resource: segments.StateBigCommerceUnavailable, Cursor: cursor}); err != nil {
			t.Fatal(err)
		}
	}
	put(time.Now().UTC().Format(time.RFC3339))
	if off, err := bigCommerceSegmentationOff(ctx, st, "abc123"); err != nil || !off {
		t.Fatalf("decided unavailable: %v %v", off, err)
	}
	if off, _ := bigCommerceSegmentationOff(ctx, st, "other1"); off {
		t.Fatal("another store's decision applied")
	}
	put("") // available again
	if off, err := bigCommerceSegmentationOff(ctx, st, "abc123"); err != nil || off {
		t.Fatalf("available again: %v %v", off, err)
	}
}
