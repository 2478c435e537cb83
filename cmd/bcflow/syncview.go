package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bcflow/bcflow/api"
	"github.com/bcflow/bcflow/store"
)

// The rendering of a sync's progress for `bcflow sync`: pure functions from
// a run, the samples of earlier polls and the time to lines, so the rates,
// ETAs and edge cases are unit-tested without a terminal.

// progressSample is how many items of a resource were done at a time.
type progressSample struct {
	At   time.Time
	Done int64
}

// rateWindow is how far back a rate is measured: long enough to smooth the
// page-by-page steps, short enough to follow a change of pace.
const rateWindow = 15 * time.Second

// sampleWindow keeps each resource's samples of the last span, so a rate
// is measured over the window rather than between two polls.
type sampleWindow struct {
	span    time.Duration
	samples map[string][]progressSample
}

func newSampleWindow(span time.Duration) *sampleWindow {
	return &sampleWindow{span: span, samples: map[string][]progressSample{}}
}

// base returns the sample of resource to measure from at now: the oldest
// of the window; ok is false when there is none.
func (w *sampleWindow) base(resource string, now time.Time) (progressSample, bool) {
	for _, s := range w.samples[resource] {
		if now.Sub(s.At) <= w.span && s.At.Before(now) {
			return s, true
		}
	}
	return progressSample{}, false
}

// add records run's counts at now and forgets samples older than the
// window.
func (w *sampleWindow) add(run store.SyncRun, now time.Time) {
	for _, r := range run.Resources {
		kept := w.samples[r.Resource][:0]
		for _, s := range w.samples[r.Resource] {
			if now.Sub(s.At) <= w.span {
				kept = append(kept, s)
			}
		}
		w.samples[r.Resource] = append(kept, progressSample{At: now, Done: r.Done})
	}
}

// bases returns the base sample of each resource of run at now.
func (w *sampleWindow) bases(run store.SyncRun, now time.Time) map[string]progressSample {
	out := map[string]progressSample{}
	for _, r := range run.Resources {
		if s, ok := w.base(r.Resource, now); ok {
			out[r.Resource] = s
		}
	}
	return out
}

// resourceRate is r's pace in items per second. A finished resource, or one
// without an earlier sample, is measured over its whole run (StartedAt to
// UpdatedAt); otherwise from prev to now. ok is false when neither can be
// measured (not started, no time elapsed).
func resourceRate(r store.ResourceProgress, prev progressSample, hasPrev bool, now time.Time) (rate float64, ok bool) {
	if hasPrev && !r.Finished {
		if dt := now.Sub(prev.At).Seconds(); dt > 0 {
			return max(float64(r.Done-prev.Done), 0) / dt, true
		}
	}
	if r.StartedAt.IsZero() || !r.UpdatedAt.After(r.StartedAt) {
		return 0, false
	}
	return max(float64(r.Done), 0) / r.UpdatedAt.Sub(r.StartedAt).Seconds(), true
}

// resourceETA is the time left for r at rate; ok is false when it cannot
// be told (total unknown, no pace yet).
func resourceETA(r store.ResourceProgress, rate float64, rateOK bool) (time.Duration, bool) {
	switch {
	case r.Finished:
		return 0, true
	case r.Total < 0:
		return 0, false
	case r.Done >= r.Total:
		return 0, true
	case !rateOK || rate <= 0:
		return 0, false
	}
	return time.Duration(float64(r.Total-r.Done) / rate * float64(time.Second)), true
}

// resourcePercent is r's share done, 0 to 100; ok is false when the total
// is unknown. A total of 0 (nothing to copy) is 100 %; more done than the
// store first counted (items created meanwhile) is 100 % too.
func resourcePercent(r store.ResourceProgress) (int, bool) {
	switch {
	case r.Finished:
		return 100, true
	case r.Total < 0:
		return 0, false
	case r.Total == 0 || r.Done >= r.Total:
		return 100, true
	}
	return int(r.Done * 100 / r.Total), true
}

// barWidth is the width of a progress bar, in cells.
const barWidth = 20

// progressBar draws percent as a bar of barWidth cells; an unknown percent
// is a bar of "?".
func progressBar(percent int, known bool) string {
	if !known {
		return "[" + strings.Repeat("?", barWidth) + "]"
	}
	full := percent * barWidth / 100
	return "[" + strings.Repeat("█", full) + strings.Repeat("░", barWidth-full) + "]"
}

// columns are the widths of a frame's name and done/total columns, so its
// lines line up.
type columns struct{ name, count int }

// frameColumns fits the columns to run's resources.
func frameColumns(run store.SyncRun) columns {
	var c columns
	for _, r := range run.Resources {
		c.name = max(c.name, utf8.RuneCountInString(r.Resource))
		c.count = max(c.count, len(countText(r)))
	}
	return c
}

// countText is "done/total", "?" for an unknown total.
func countText(r store.ResourceProgress) string {
	total := "?"
	if r.Total >= 0 {
		total = groupDigits(r.Total)
	}
	return groupDigits(r.Done) + "/" + total
}

// resourceLine is one resource's progress: name, done/total, bar (when
// bar), percent, rate, ETA and pushed count, in columns cols.
func resourceLine(r store.ResourceProgress, prev progressSample, hasPrev bool, now time.Time, cols columns, bar bool) string {
	pct, known := resourcePercent(r)
	pctText := "   ?%"
	if known {
		pctText = fmt.Sprintf("%4d%%", pct)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s  %*s", cols.name, r.Resource, cols.count, countText(r))
	if bar {
		b.WriteString(" " + progressBar(pct, known))
	}
	b.WriteString(" " + pctText)
	if r.StartedAt.IsZero() && r.Done == 0 && !r.Finished {
		b.WriteString("  waiting")
		return b.String()
	}
	rate, rateOK := resourceRate(r, prev, hasPrev, now)
	rateText := "?/s"
	if rateOK {
		rateText = formatRate(rate)
	}
	fmt.Fprintf(&b, " %9s", rateText)
	if r.Finished {
		b.WriteString("  done      ")
	} else if eta, ok := resourceETA(r, rate, rateOK); ok {
		fmt.Fprintf(&b, "  ETA %-6s", formatDuration(eta))
	} else {
		b.WriteString("  ETA ?     ")
	}
	b.WriteString("  pushed " + groupDigits(r.Pushed))
	return b.String()
}

// syncStatusLine says what the run is doing: its status, for how long, and
// why a failed run failed.
func syncStatusLine(run api.SyncRunView, now time.Time) string {
	s := run.Kind + " sync of " + run.StoreHash + ": " + run.Status
	var took time.Duration
	if !run.StartedAt.IsZero() {
		end := now
		if !run.FinishedAt.IsZero() && run.Status != "running" {
			end = run.FinishedAt
		}
		took = max(end.Sub(run.StartedAt), 0)
	}
	switch run.Status {
	case "running":
		if !run.StartedAt.IsZero() {
			s += " for " + formatDuration(took)
		}
		if len(run.Resources) == 0 {
			s += ", waiting for its first page"
		}
	case "completed":
		s += " in " + formatDuration(took)
	default:
		if !run.StartedAt.IsZero() {
			s += " after " + formatDuration(took)
		}
		if run.Error != "" {
			s += ": " + run.Error
		}
	}
	if run.Workflow == nil && run.Status == "running" {
		s += " (Temporal did not answer; progress from the store)"
	}
	return s
}

// progressFrame is the whole display of run at now: one line per resource
// (with bars when bars), then the status line. prev are the samples rates
// are measured from (see sampleWindow).
func progressFrame(run api.SyncRunView, prev map[string]progressSample, now time.Time, bars bool) []string {
	lines := make([]string, 0, len(run.Resources)+1)
	cols := frameColumns(run.SyncRun)
	for _, r := range run.Resources {
		p, ok := prev[r.Resource]
		lines = append(lines, resourceLine(r, p, ok, now, cols, bars))
	}
	return append(lines, syncStatusLine(run, now))
}

// plainState is what the plain (not a terminal) display printed last.
type plainState struct {
	status  string
	printed map[string]plainPrinted
}

// plainPrinted is a resource as last printed.
type plainPrinted struct {
	at           time.Time
	done, pushed int64
	finished     bool
}

// plainEvery is how often at most a resource's line repeats in the plain
// display, so CI logs stay readable.
const plainEvery = 5 * time.Second

// plainUpdate returns the lines the plain display prints for run at now: a
// resource's line when it changed and its last line is plainEvery old (at
// once when it first shows or finishes), and the status line when the
// status changed. It returns the state to pass next time.
func plainUpdate(st plainState, run api.SyncRunView, prev map[string]progressSample, now time.Time) ([]string, plainState) {
	next := plainState{status: st.status, printed: make(map[string]plainPrinted, len(run.Resources))}
	for k, v := range st.printed {
		next.printed[k] = v
	}
	var lines []string
	cols := frameColumns(run.SyncRun)
	for _, r := range run.Resources {
		last, seen := st.printed[r.Resource]
		changed := !seen || r.Done != last.done || r.Pushed != last.pushed || r.Finished != last.finished
		due := !seen || (r.Finished && !last.finished) || now.Sub(last.at) >= plainEvery
		if !changed || !due {
			continue
		}
		p, ok := prev[r.Resource]
		lines = append(lines, strings.TrimRight(resourceLine(r, p, ok, now, cols, false), " "))
		next.printed[r.Resource] = plainPrinted{at: now, done: r.Done, pushed: r.Pushed, finished: r.Finished}
	}
	if run.Status != st.status {
		lines = append(lines, syncStatusLine(run, now))
		next.status = run.Status
	}
	return lines, next
}

// redraw writes frame over the last prevLines lines of a terminal (the
// previous frame) and returns how many lines it wrote. Lines are cut to
// width cells (0: not cut), so none wraps and breaks the cursor arithmetic.
func redraw(w io.Writer, prevLines int, frame []string, width int) int {
	var b strings.Builder
	if prevLines > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", prevLines)
	}
	for _, l := range frame {
		b.WriteString("\r\x1b[2K" + truncateCells(l, width) + "\n")
	}
	b.WriteString("\x1b[J") // clears what is left of a longer previous frame
	_, _ = io.WriteString(w, b.String())
	return len(frame)
}

// truncateCells cuts s to width runes (the display uses one cell per rune);
// width 0 keeps it whole.
func truncateCells(s string, width int) string {
	if width <= 0 || utf8.RuneCountInString(s) <= width {
		return s
	}
	return string([]rune(s)[:width])
}

// groupDigits writes n with thousands separators: 1234567 → 1,234,567.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// formatRate writes items per second: one decimal below 10, whole numbers
// with separators above.
func formatRate(r float64) string {
	if r < 10 {
		return strconv.FormatFloat(r, 'f', 1, 64) + "/s"
	}
	return groupDigits(int64(r+0.5)) + "/s"
}

// formatDuration writes d to the second, in at most two units: 45s,
// 10m07s, 2h05m.
func formatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm", h, m)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}
