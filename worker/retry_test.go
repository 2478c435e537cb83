package worker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/uber-go/tally/v4"
	"go.temporal.io/sdk/activity"
	sdktally "go.temporal.io/sdk/contrib/tally"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	sdkworker "go.temporal.io/sdk/worker"
)

func TestRedactMasksAddressesAndPhones(t *testing.T) {
	in := `send email: brevo 503 for to=Ann.Lee+promo@Example.co.uk (sms +1 (555) 010-2030); customer 42 order 1001`
	got := Redact(in)
	for _, leaked := range []string{"Ann.Lee", "Example.co.uk", "555", "2030"} {
		if strings.Contains(got, leaked) {
			t.Fatalf("Redact(%q) = %q still shows %q", in, got, leaked)
		}
	}
	if !strings.Contains(got, "customer 42 order 1001") || !strings.Contains(got, "[email]") || !strings.Contains(got, "[phone]") {
		t.Fatalf("Redact(%q) = %q: ids must stay, addresses masked", in, got)
	}
}

// retryLogger keeps the warnings an activity logged.
type retryLogger struct {
	mu    sync.Mutex
	warns []string
}

func (l *retryLogger) Debug(string, ...any) {}
func (l *retryLogger) Info(string, ...any)  {}
func (l *retryLogger) Error(string, ...any) {}
func (l *retryLogger) Warn(msg string, kv ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.warns = append(l.warns, fmt.Sprint(append([]any{msg}, kv...)...))
}

// retryEnv runs one activity through the RetryInterceptor and returns the
// counters it left (by name, tags included) and the warnings it logged.
func retryEnv(t *testing.T, fn func(context.Context) error) (map[string]int64, []string) {
	t.Helper()
	scope := tally.NewTestScope("", nil)
	logs := &retryLogger{}
	var suite testsuite.WorkflowTestSuite
	suite.SetMetricsHandler(sdktally.NewMetricsHandler(scope))
	suite.SetLogger(logs)
	env := suite.NewTestActivityEnvironment()
	env.SetWorkerOptions(sdkworker.Options{Interceptors: []interceptor.WorkerInterceptor{&RetryInterceptor{}}})
	env.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: "SendStep"})
	if _, err := env.ExecuteActivity("SendStep"); err == nil {
		t.Fatal("the activity did not fail")
	}
	counters := map[string]int64{}
	for _, c := range scope.Snapshot().Counters() {
		counters[c.Name()+" "+c.Tags()["activity_type"]] += c.Value()
	}
	return counters, logs.warns
}

// A failed attempt that Temporal retries is counted in
// bcflow_activity_retry (by activity type) and logged as a warning with the
// addresses in its error masked; a non-retryable one is counted apart.
func TestRetryInterceptorCountsAndLogsFailedAttempts(t *testing.T) {
	counters, warns := retryEnv(t, func(context.Context) error {
		return errors.New("brevo 503 sending to ann@example.com")
	})
	if counters[MetricActivityRetry+" SendStep"] != 1 || counters[MetricActivityGaveUp+" SendStep"] != 0 {
		t.Fatalf("counters %v, want one %s for SendStep", counters, MetricActivityRetry)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "Temporal retries it") || !strings.Contains(warns[0], "[email]") ||
		strings.Contains(warns[0], "ann@example.com") {
		t.Fatalf("warnings %q", warns)
	}

	counters, warns = retryEnv(t, func(context.Context) error {
		return temporal.NewNonRetryableApplicationError("template 12 not found", "Invalid", nil)
	})
	if counters[MetricActivityGaveUp+" SendStep"] != 1 || counters[MetricActivityRetry+" SendStep"] != 0 {
		t.Fatalf("counters %v, want one %s for SendStep", counters, MetricActivityGaveUp)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "failed for good") {
		t.Fatalf("warnings %q", warns)
	}
}
