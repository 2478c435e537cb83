package telemetry

import (
	"bytes"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestTemporalMetricsReachPrometheus(t *testing.T) {
	m, err := NewMetrics()
	if err != nil {
		t.Fatal(err)
	}
	m.TemporalHandler().WithTags(map[string]string{"task_queue": "bcflow"}).Counter("temporal_request").Inc(3)
	if err := m.Close(); err != nil { // Close flushes the tally scope.
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	m.HTTPHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	if !strings.Contains(string(body), `bcflow_temporal_request_total{task_queue="bcflow"} 3`) {
		t.Fatalf("SDK counter missing from /metrics:\n%s", grep(string(body), "temporal"))
	}
	if !strings.Contains(string(body), "go_goroutines") {
		t.Fatal("runtime metrics missing")
	}
}

func TestNewLogger(t *testing.T) {
	var buf bytes.Buffer
	l, err := NewLogger(&buf, "warn")
	if err != nil {
		t.Fatal(err)
	}
	l.Info("hidden")
	l.Warn("shown", "k", "v")
	if strings.Contains(buf.String(), "hidden") || !strings.Contains(buf.String(), `"msg":"shown"`) {
		t.Fatalf("log output %q", buf.String())
	}
	if _, err := NewLogger(&buf, "loud"); err == nil || !strings.Contains(err.Error(), "loud") {
		t.Fatalf("bad level error = %v", err)
	}
}

func grep(s, sub string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
