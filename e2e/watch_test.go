package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"go.temporal.io/sdk/log"
)

// brokenFlowLines are the SDK worker's log messages that mean a flow is
// broken even when the test's own assertions pass: a workflow completed
// with signals it never read (an event lost), a workflow panicked, or a
// workflow task failed (non-determinism included).
var brokenFlowLines = []string{
	"Workflow has unhandled signals",
	"Workflow panic",
	"Failed to process workflow task.",
}

// brokenFlowLine returns the broken-flow message s contains, or "".
func brokenFlowLine(s string) string {
	for _, m := range brokenFlowLines {
		if strings.Contains(s, m) {
			return m
		}
	}
	return ""
}

// workerWatch is the SDK logger of the e2e clients, and so of their
// workers: it copies info and above to the test log and fails the test
// that produced a broken-flow line. Its check runs in a cleanup registered
// before any worker starts, so it runs after every worker stopped; lines
// after it are dropped (t.Log after a test ends panics).
type workerWatch struct {
	logf   func(string)
	mu     sync.Mutex
	closed bool
	broken []string
}

var _ log.Logger = (*workerWatch)(nil)

// watchWorker returns a workerWatch that logs to t and fails it.
func watchWorker(t testing.TB) *workerWatch {
	w := &workerWatch{logf: func(s string) { t.Log(s) }}
	t.Cleanup(func() {
		for _, line := range w.close() {
			t.Errorf("worker logged a broken flow: %s", line)
		}
	})
	return w
}

// close stops the logging and returns the broken-flow lines seen.
func (w *workerWatch) close() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	return w.broken
}

func (w *workerWatch) line(level, msg string, keyvals []any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	line := fmt.Sprintf("%s %s %v", level, msg, keyvals)
	if brokenFlowLine(msg) != "" {
		w.broken = append(w.broken, line)
	}
	if level != "DEBUG" {
		w.logf(line)
	}
}

// Debug implements log.Logger.
func (w *workerWatch) Debug(msg string, keyvals ...any) { w.line("DEBUG", msg, keyvals) }

// Info implements log.Logger.
func (w *workerWatch) Info(msg string, keyvals ...any) { w.line("INFO", msg, keyvals) }

// Warn implements log.Logger.
func (w *workerWatch) Warn(msg string, keyvals ...any) { w.line("WARN", msg, keyvals) }

// Error implements log.Logger.
func (w *workerWatch) Error(msg string, keyvals ...any) { w.line("ERROR", msg, keyvals) }

// checkProcessLog fails t for each broken-flow line in the output of a
// bcflow process that ran a worker (its JSON log carries the SDK's
// messages verbatim).
func checkProcessLog(t testing.TB, name, output string) {
	t.Helper()
	for _, l := range strings.Split(output, "\n") {
		if brokenFlowLine(l) != "" {
			t.Errorf("%s logged a broken flow: %s", name, l)
		}
	}
}

// TestWorkerWatchFlagsBrokenFlowLines: the watch flags the SDK's
// broken-flow lines at any level, through the SDK's With wrapper too, and
// nothing else; after close it drops lines.
func TestWorkerWatchFlagsBrokenFlowLines(t *testing.T) {
	var logged []string
	w := &workerWatch{logf: func(s string) { logged = append(logged, s) }}
	w.Info("Started Worker", "TaskQueue", "q")
	log.With(w, "Namespace", "ns").Warn("Workflow has unhandled signals", "SignalNames", []string{"cart-exit"})
	w.Error("Workflow panic", "Error", "boom")
	w.Warn("Failed to process workflow task.", "Error", "[TMPRL1100] nondeterministic workflow")
	w.Warn("Task processing failed with error", "Error", "activity retry")
	w.Debug("Workflow has unhandled signals")
	broken := w.close()
	w.Error("Workflow panic")
	if len(broken) != 4 {
		t.Fatalf("flagged %d lines, want 4: %q", len(broken), broken)
	}
	if !strings.Contains(broken[0], "cart-exit") || !strings.Contains(broken[0], "ns") {
		t.Fatalf("flagged line lacks its fields: %q", broken[0])
	}
	if len(logged) != 5 {
		t.Fatalf("logged %d lines, want 5 (info and above, none after close): %q", len(logged), logged)
	}
	var out strings.Builder
	out.WriteString(`{"level":"INFO","msg":"Started Worker"}` + "\n")
	out.WriteString(`{"level":"WARN","msg":"Workflow has unhandled signals","SignalNames":["x"]}` + "\n")
	if got := brokenFlowLine(out.String()); got != "Workflow has unhandled signals" {
		t.Fatalf("process log check found %q", got)
	}
}
