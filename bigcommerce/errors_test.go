package bigcommerce

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
)

// Only what can never succeed is permanent: a 408 and a 409 are retryable
// like a 429 or a 5xx (#10.3), a 400 or a 422 is not.
func TestKindOfRetriesOnlyWhatMaySucceed(t *testing.T) {
	for _, c := range []struct {
		status    int
		kind      Kind
		retryable bool
	}{
		{400, KindValidation, false},
		{401, KindUnauthorized, false},
		{403, KindUnauthorized, false},
		{404, KindNotFound, false},
		{408, KindTransient, true},
		{409, KindConflict, true},
		{422, KindValidation, false},
		{429, KindRateLimited, true},
		{500, KindTransient, true},
		{503, KindTransient, true},
	} {
		k := kindOf(c.status)
		if k != c.kind || k.Retryable() != c.retryable {
			t.Errorf("%d: %v retryable %v, want %v retryable %v", c.status, k, k.Retryable(), c.kind, c.retryable)
		}
	}
}

// A 409 is retryable later but the client returns it at once, as a
// conflict the caller can take for "already exists"; a 408 the client
// retries itself.
func TestConflictReturnedAtOnceRequestTimeoutRetried(t *testing.T) {
	for _, c := range []struct {
		status int
		calls  int32
	}{{http.StatusConflict, 1}, {http.StatusRequestTimeout, 3}} {
		var calls atomic.Int32
		env := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			writeJSON(w, c.status, `{"errors":[{"status":409,"title":"The coupon code \"X1\" already exists."}]}`)
		}), false, func(o *Options) { o.MaxRetries = 2 })
		_, err := env.c.CreatePromotionCode(context.Background(), 3, CouponCodeInput{Code: "X1", MaxUses: 1})
		if !IsRetryable(err) || IsConflict(err) != (c.status == http.StatusConflict) || calls.Load() != c.calls {
			t.Errorf("%d: %v (retryable %v, conflict %v) after %d calls, want %d", c.status, err, IsRetryable(err), IsConflict(err), calls.Load(), c.calls)
		}
	}
}
