package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/bcflow/bcflow/api"
	"github.com/bcflow/bcflow/starter"
	"github.com/bcflow/bcflow/store"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func TestResourceRate(t *testing.T) {
	r := store.ResourceProgress{Resource: "orders", Total: 10000, Done: 3000, StartedAt: t0, UpdatedAt: t0.Add(60 * time.Second)}
	// From an earlier sample: 1,000 items in the last 10 s.
	rate, ok := resourceRate(r, progressSample{At: t0.Add(55 * time.Second), Done: 2000}, true, t0.Add(65*time.Second))
	if !ok || math.Abs(rate-100) > 1e-9 {
		t.Fatalf("sampled rate %v %v, want 100/s", rate, ok)
	}
	// No sample yet: the average of the whole run, on the server's clock.
	if rate, ok = resourceRate(r, progressSample{}, false, t0.Add(time.Hour)); !ok || math.Abs(rate-50) > 1e-9 {
		t.Fatalf("average rate %v %v, want 50/s", rate, ok)
	}
	// A finished resource shows its average, not the last window's 0/s.
	fin := r
	fin.Finished, fin.Done = true, 10000
	fin.UpdatedAt = t0.Add(100 * time.Second)
	if rate, ok = resourceRate(fin, progressSample{At: t0.Add(99 * time.Second), Done: 10000}, true, t0.Add(110*time.Second)); !ok || math.Abs(rate-100) > 1e-9 {
		t.Fatalf("finished rate %v %v, want 100/s", rate, ok)
	}
	// A stall is 0/s, never negative (a count that went back is a stall).
	if rate, ok = resourceRate(r, progressSample{At: t0, Done: 3500}, true, t0.Add(10*time.Second)); !ok || rate != 0 {
		t.Fatalf("stalled rate %v %v", rate, ok)
	}
	// Not started, or no time elapsed: no rate.
	if _, ok = resourceRate(store.ResourceProgress{Total: 5}, progressSample{}, false, t0); ok {
		t.Fatal("rate of a resource not started")
	}
	if _, ok = resourceRate(r, progressSample{At: t0.Add(time.Minute), Done: 1}, true, t0.Add(time.Minute)); !ok {
		// Falls back to the average when the sample is from now.
		t.Fatal("no fallback to the average")
	}
}

func TestResourceETAAndPercent(t *testing.T) {
	r := store.ResourceProgress{Total: 1000, Done: 400}
	if eta, ok := resourceETA(r, 20, true); !ok || eta != 30*time.Second {
		t.Fatalf("eta %v %v, want 30s", eta, ok)
	}
	if _, ok := resourceETA(r, 0, true); ok {
		t.Fatal("an ETA at 0/s")
	}
	if _, ok := resourceETA(r, 5, false); ok {
		t.Fatal("an ETA without a rate")
	}
	unknown := store.ResourceProgress{Total: -1, Done: 400}
	if _, ok := resourceETA(unknown, 20, true); ok {
		t.Fatal("an ETA of an unknown total")
	}
	if p, ok := resourcePercent(unknown); ok {
		t.Fatalf("percent %d of an unknown total", p)
	}
	for _, tc := range []struct {
		r    store.ResourceProgress
		want int
	}{
		{store.ResourceProgress{Total: 1000, Done: 400}, 40},
		{store.ResourceProgress{Total: 3, Done: 2}, 66},
		{store.ResourceProgress{Total: 0, Done: 0}, 100},
		{store.ResourceProgress{Total: 10, Done: 12}, 100},
		{store.ResourceProgress{Total: -1, Done: 12, Finished: true}, 100},
	} {
		if p, ok := resourcePercent(tc.r); !ok || p != tc.want {
			t.Errorf("%+v: %d%% %v, want %d", tc.r, p, ok, tc.want)
		}
	}
	if eta, ok := resourceETA(store.ResourceProgress{Total: 0}, 0, false); !ok || eta != 0 {
		t.Fatalf("nothing to copy: eta %v %v", eta, ok)
	}
}

func TestResourceLine(t *testing.T) {
	now := t0.Add(2 * time.Minute)
	running := store.ResourceProgress{Resource: "customers", Total: 1_000_000, Done: 250_000, Pushed: 12_000, StartedAt: t0, UpdatedAt: now}
	line := resourceLine(running, progressSample{At: now.Add(-10 * time.Second), Done: 237_660}, true, now, columns{10, 19}, true)
	for _, want := range []string{"customers ", "250,000/1,000,000", "[█████░░░░░░░░░░░░░░░]", "25%", "1,234/s", "ETA 10m08s", "pushed 12,000"} {
		if !strings.Contains(line, want) {
			t.Errorf("running line %q lacks %q", line, want)
		}
	}
	unknown := store.ResourceProgress{Resource: "orders", Total: -1, Done: 500, StartedAt: t0, UpdatedAt: t0.Add(100 * time.Second)}
	line = resourceLine(unknown, progressSample{}, false, now, columns{10, 19}, true)
	for _, want := range []string{"500/?", "[" + strings.Repeat("?", barWidth) + "]", "?%", "5.0/s", "ETA ?"} {
		if !strings.Contains(line, want) {
			t.Errorf("unknown total line %q lacks %q", line, want)
		}
	}
	done := store.ResourceProgress{Resource: "products", Total: 5000, Done: 5000, Pushed: 0, Finished: true, StartedAt: t0, UpdatedAt: t0.Add(50 * time.Second)}
	line = resourceLine(done, progressSample{At: now.Add(-time.Second), Done: 5000}, true, now, columns{10, 19}, true)
	for _, want := range []string{"5,000/5,000", strings.Repeat("█", barWidth), "100%", "100/s", "done", "pushed 0"} {
		if !strings.Contains(line, want) {
			t.Errorf("finished line %q lacks %q", line, want)
		}
	}
	empty := store.ResourceProgress{Resource: "categories", Total: 0, Done: 0, Finished: true, StartedAt: t0, UpdatedAt: t0}
	if line = resourceLine(empty, progressSample{}, false, now, columns{10, 19}, false); !strings.Contains(line, "0/0") || !strings.Contains(line, "100%") || !strings.Contains(line, "?/s") || !strings.Contains(line, "done") || strings.Contains(line, "[") {
		t.Errorf("empty resource without bar: %q", line)
	}
	waiting := store.ResourceProgress{Resource: "orders", Total: -1}
	if line = resourceLine(waiting, progressSample{}, false, now, columns{10, 19}, true); !strings.Contains(line, "0/?") || !strings.HasSuffix(line, "waiting") {
		t.Errorf("waiting resource: %q", line)
	}
}

func TestProgressFrameAndStatusLine(t *testing.T) {
	now := t0.Add(3*time.Minute + 12*time.Second)
	run := api.SyncRunView{SyncRun: store.SyncRun{StoreHash: "abc123", Kind: "historical", Status: "running", StartedAt: t0, Resources: []store.ResourceProgress{
		{Resource: "categories", Total: 10, Done: 10, Finished: true, StartedAt: t0, UpdatedAt: t0.Add(time.Second)},
		{Resource: "orders", Total: 100, Done: 60, StartedAt: t0, UpdatedAt: now},
	}}, Workflow: &starter.SyncExecution{Status: "Running"}}
	frame := progressFrame(run, map[string]progressSample{"orders": {At: now.Add(-10 * time.Second), Done: 40}}, now, true)
	if len(frame) != 3 {
		t.Fatalf("frame %q: want 2 resources and the status", frame)
	}
	// Names padded to the longest, so the columns line up.
	if !strings.HasPrefix(frame[1], "orders     ") || strings.Index(frame[0], "[") != strings.Index(frame[1], "[") {
		t.Errorf("columns do not line up:\n%s\n%s", frame[0], frame[1])
	}
	if !strings.Contains(frame[1], "2.0/s") || !strings.Contains(frame[1], "ETA 20s") {
		t.Errorf("orders line %q: want 2.0/s from the sample and ETA 20s", frame[1])
	}
	if frame[2] != "historical sync of abc123: running for 3m12s" {
		t.Errorf("status line %q", frame[2])
	}
	for _, tc := range []struct {
		run  api.SyncRunView
		want string
	}{
		{api.SyncRunView{SyncRun: store.SyncRun{StoreHash: "abc123", Kind: "manual", Status: "completed", StartedAt: t0, FinishedAt: t0.Add(2*time.Hour + 5*time.Minute)}},
			"manual sync of abc123: completed in 2h05m"},
		{api.SyncRunView{SyncRun: store.SyncRun{StoreHash: "abc123", Kind: "manual", Status: "failed", StartedAt: t0, FinishedAt: t0.Add(45 * time.Second), Error: "BigCommerce answered 401"}},
			"manual sync of abc123: failed after 45s: BigCommerce answered 401"},
		{api.SyncRunView{SyncRun: store.SyncRun{StoreHash: "abc123", Kind: "historical", Status: "cancelled", StartedAt: t0, FinishedAt: t0.Add(time.Minute)}},
			"historical sync of abc123: cancelled after 1m00s"},
		{api.SyncRunView{SyncRun: store.SyncRun{StoreHash: "abc123", Kind: "historical", Status: "running", StartedAt: t0}, Workflow: &starter.SyncExecution{Status: "Running"}},
			"historical sync of abc123: running for 3m12s, waiting for its first page"},
		{api.SyncRunView{SyncRun: store.SyncRun{StoreHash: "abc123", Kind: "historical", Status: "running", StartedAt: t0, Resources: run.Resources}},
			"historical sync of abc123: running for 3m12s (Temporal did not answer; progress from the store)"},
	} {
		if got := syncStatusLine(tc.run, now); got != tc.want {
			t.Errorf("status line %q, want %q", got, tc.want)
		}
	}
}

func TestSampleWindow(t *testing.T) {
	w := newSampleWindow(10 * time.Second)
	run := func(done int64) store.SyncRun {
		return store.SyncRun{Resources: []store.ResourceProgress{{Resource: "orders", Done: done}}}
	}
	if _, ok := w.base("orders", t0); ok {
		t.Fatal("a base before any sample")
	}
	for i := range 20 {
		w.add(run(int64(i*100)), t0.Add(time.Duration(i)*time.Second))
	}
	// At t0+20s the oldest sample within 10 s is the one of t0+10s.
	now := t0.Add(20 * time.Second)
	b, ok := w.base("orders", now)
	if !ok || b.At != t0.Add(10*time.Second) || b.Done != 1000 {
		t.Fatalf("base %+v %v", b, ok)
	}
	if n := len(w.samples["orders"]); n > 11 {
		t.Fatalf("kept %d samples, want at most the window's", n)
	}
	if got := w.bases(run(2000), now); got["orders"] != b {
		t.Fatalf("bases %+v", got)
	}
	// The sample of this very poll is not its own base.
	w.add(run(2000), now)
	if b2, _ := w.base("orders", now); b2.At.Equal(now) {
		t.Fatal("base is the current sample")
	}
}

func TestPlainUpdate(t *testing.T) {
	mk := func(status string, ordersDone int64, ordersFinished bool) api.SyncRunView {
		return api.SyncRunView{SyncRun: store.SyncRun{StoreHash: "abc123", Kind: "manual", Status: status, StartedAt: t0, Resources: []store.ResourceProgress{
			{Resource: "products", Total: 5, Done: 5, Finished: true, StartedAt: t0, UpdatedAt: t0.Add(time.Second)},
			{Resource: "orders", Total: 100, Done: ordersDone, Finished: ordersFinished, StartedAt: t0, UpdatedAt: t0.Add(time.Second)},
		}}, Workflow: &starter.SyncExecution{Status: "Running"}}
	}
	var st plainState
	lines, st := plainUpdate(st, mk("running", 10, false), nil, t0.Add(time.Second))
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "products") || !strings.HasPrefix(lines[1], "orders") || !strings.Contains(lines[2], "running") {
		t.Fatalf("first update: %q", lines)
	}
	for _, l := range lines {
		if strings.Contains(l, "\x1b") || strings.Contains(l, "█") || strings.HasSuffix(l, " ") {
			t.Errorf("plain line %q has terminal codes, a bar or trailing blanks", l)
		}
	}
	// A change 2 s later waits for its turn; 5 s after the last line it
	// prints, only for what changed.
	if lines, st = plainUpdate(st, mk("running", 20, false), nil, t0.Add(3*time.Second)); len(lines) != 0 {
		t.Fatalf("too soon: %q", lines)
	}
	if lines, st = plainUpdate(st, mk("running", 30, false), nil, t0.Add(6*time.Second)); len(lines) != 1 || !strings.Contains(lines[0], "30/100") {
		t.Fatalf("after 5 s: %q", lines)
	}
	// Nothing changed: nothing printed, however long.
	if lines, st = plainUpdate(st, mk("running", 30, false), nil, t0.Add(time.Minute)); len(lines) != 0 {
		t.Fatalf("unchanged: %q", lines)
	}
	// Finishing prints at once, with the new status.
	lines, _ = plainUpdate(st, mk("completed", 100, true), nil, t0.Add(time.Minute+time.Second))
	if len(lines) != 2 || !strings.Contains(lines[0], "100/100") || !strings.Contains(lines[0], "done") || !strings.Contains(lines[1], "completed") {
		t.Fatalf("finish: %q", lines)
	}
}

func TestRedraw(t *testing.T) {
	var b bytes.Buffer
	n := redraw(&b, 0, []string{"one", "two"}, 0)
	if n != 2 || b.String() != "\r\x1b[2Kone\n\r\x1b[2Ktwo\n\x1b[J" {
		t.Fatalf("first frame %q", b.String())
	}
	b.Reset()
	// The next frame goes up over the previous one; lines are cut to the
	// terminal's width so none wraps.
	n = redraw(&b, 2, []string{"█████long line"}, 4)
	if n != 1 || b.String() != "\x1b[2A\r\x1b[2K████\n\x1b[J" {
		t.Fatalf("second frame %q", b.String())
	}
}

func TestFormatting(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1500: "-1,500"} {
		if got := groupDigits(n); got != want {
			t.Errorf("groupDigits(%d) = %q, want %q", n, got, want)
		}
	}
	for d, want := range map[time.Duration]string{0: "0s", 44*time.Second + 600*time.Millisecond: "45s", 10*time.Minute + 7*time.Second: "10m07s", 2*time.Hour + 5*time.Minute + 59*time.Second: "2h05m"} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
	for r, want := range map[float64]string{0: "0.0/s", 2.25: "2.2/s", 9.96: "10.0/s", 1234.4: "1,234/s"} {
		if got := formatRate(r); got != want {
			t.Errorf("formatRate(%v) = %q, want %q", r, got, want)
		}
	}
}
