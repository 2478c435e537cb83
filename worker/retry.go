package worker

import (
	"context"
	"errors"
	"regexp"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
)

// MetricActivityRetry counts activity attempts that failed and will be
// retried, by activity type: a rising rate means a dependency (BigCommerce,
// Brevo, the database) is down and flows are waiting for it.
const MetricActivityRetry = "bcflow_activity_retry"

// MetricActivityGaveUp counts activity attempts that failed for good
// (non-retryable): the flow decides what that means.
const MetricActivityGaveUp = "bcflow_activity_failed"

// RetryInterceptor tells an operator about failing activities: every failed
// attempt is logged (activity type, attempt, workflow id, the error with
// addresses masked) and counted, so an outage that flows are riding out is
// visible while Temporal retries (activities retry transient failures
// until the dependency is back).
type RetryInterceptor struct {
	interceptor.WorkerInterceptorBase
}

// InterceptActivity wraps every activity.
func (RetryInterceptor) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &retryActivity{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}}
}

type retryActivity struct {
	interceptor.ActivityInboundInterceptorBase
}

func (r *retryActivity) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	out, err := r.Next.ExecuteActivity(ctx, in)
	if err == nil || ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return out, err
	}
	info := activity.GetInfo(ctx)
	tags := map[string]string{"activity_type": info.ActivityType.Name}
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.NonRetryable() {
		activity.GetMetricsHandler(ctx).WithTags(tags).Counter(MetricActivityGaveUp).Inc(1)
		activity.GetLogger(ctx).Warn("activity failed for good", "attempt", info.Attempt, "workflow_id", info.WorkflowExecution.ID,
			"error", Redact(err.Error()))
		return out, err
	}
	activity.GetMetricsHandler(ctx).WithTags(tags).Counter(MetricActivityRetry).Inc(1)
	activity.GetLogger(ctx).Warn("activity failed; Temporal retries it until the dependency is back", "attempt", info.Attempt,
		"workflow_id", info.WorkflowExecution.ID, "error", Redact(err.Error()))
	return out, err
}

var (
	emailLike = regexp.MustCompile(`[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+\.[A-Za-z]{2,}`)
	phoneLike = regexp.MustCompile(`\+?\d[\d\s().-]{7,}\d`)
)

// Redact masks email addresses and phone numbers in a log line: errors from
// clients may quote a request that named a shopper.
func Redact(s string) string {
	s = emailLike.ReplaceAllString(s, "[email]")
	return phoneLike.ReplaceAllString(s, "[phone]")
}
