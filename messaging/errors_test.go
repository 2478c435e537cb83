package messaging_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/bcflow/bcflow/messaging"
)

func TestIsRetryableByKind(t *testing.T) {
	cases := []struct {
		kind messaging.Kind
		want bool
	}{
		{messaging.KindUnauthorized, false},
		{messaging.KindValidation, false},
		{messaging.KindRateLimited, true},
		{messaging.KindTransient, true},
		{0, false},
	}
	for _, c := range cases {
		err := &messaging.Error{Provider: "brevo", Kind: c.kind}
		if got := messaging.IsRetryable(err); got != c.want {
			t.Errorf("IsRetryable(%s) = %v, want %v", c.kind, got, c.want)
		}
		wrapped := fmt.Errorf("activity: %w", err)
		if got := messaging.IsRetryable(wrapped); got != c.want {
			t.Errorf("IsRetryable(wrapped %s) = %v, want %v", c.kind, got, c.want)
		}
		if got := messaging.KindOf(wrapped); got != c.kind {
			t.Errorf("KindOf(wrapped %s) = %v", c.kind, got)
		}
	}
	for _, err := range []error{nil, errors.New("plain"), context.DeadlineExceeded} {
		if messaging.IsRetryable(err) {
			t.Errorf("IsRetryable(%v) = true", err)
		}
		if messaging.KindOf(err) != 0 {
			t.Errorf("KindOf(%v) != 0", err)
		}
	}
}

func TestErrorText(t *testing.T) {
	e := &messaging.Error{Provider: "brevo", Op: "SendEmail", Status: 400, Code: "invalid_parameter",
		Message: "email is not valid in to", Kind: messaging.KindValidation}
	if got, want := e.Error(), "brevo SendEmail: HTTP 400 invalid_parameter: email is not valid in to (validation)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	u := &messaging.Error{Provider: "brevo", Op: "SendSMS", Message: "timeout", Kind: messaging.KindTransient,
		Uncertain: true, Err: context.DeadlineExceeded}
	if got, want := u.Error(), "brevo SendSMS: timeout (transient, may have been delivered)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(u, context.DeadlineExceeded) {
		t.Error("Unwrap does not expose the underlying error")
	}
}
