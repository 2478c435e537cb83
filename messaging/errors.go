package messaging

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind classifies a provider failure by what the caller should do about it.
type Kind int

// The kinds of failure. The zero Kind is not used by providers.
const (
	// KindUnauthorized: the credentials were refused (HTTP 401 or 403).
	// Not retryable: fix the configuration.
	KindUnauthorized Kind = iota + 1
	// KindValidation: the request was refused as it stands (HTTP 400, 402,
	// 404, other 4xx, or a request the client would not send). Not retryable.
	KindValidation
	// KindRateLimited: the provider's rate limit was hit and waiting for it
	// would outlast the context or the client's patience. Retryable after
	// Error.RetryAfter.
	KindRateLimited
	// KindTransient: a 5xx, a timeout or a network failure. Retryable; see
	// Error.Uncertain before retrying a send the provider does not deduplicate.
	KindTransient
)

// String returns the kind's name, e.g. "validation".
func (k Kind) String() string {
	switch k {
	case KindUnauthorized:
		return "unauthorized"
	case KindValidation:
		return "validation"
	case KindRateLimited:
		return "rate_limited"
	case KindTransient:
		return "transient"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Retryable reports whether a failure of this kind may succeed when tried
// again later.
func (k Kind) Retryable() bool { return k == KindRateLimited || k == KindTransient }

// Error is a failure reported by a Provider. Its text never contains
// credentials.
type Error struct {
	// Provider names the provider, e.g. "brevo".
	Provider string
	// Op is the operation that failed, e.g. "SendEmail".
	Op string
	// Status is the HTTP status; 0 when no response was received.
	Status int
	// Code is the provider's error code, e.g. "invalid_parameter"; empty when
	// there was none.
	Code string
	// Message is the provider's (or the client's) explanation.
	Message string
	// Kind classifies the failure.
	Kind Kind
	// RetryAfter, when positive, is how long the provider asked to wait
	// before trying again (rate limits).
	RetryAfter time.Duration
	// Uncertain is true when the request may have reached the provider and
	// been acted on although the call failed: the request was written and
	// the answer was lost (a timeout or a reset while waiting for it, an
	// unreadable 2xx), or a gateway in front of the provider gave up on it
	// (502, 504). A send the provider does not deduplicate (SMS, WhatsApp)
	// may have gone out. It is false when the request provably never left
	// (a dial, DNS or TLS failure, a context ended before the request was
	// written) and when the provider answered that it did not take the
	// request (429, 500, 503, any 4xx): trying again cannot duplicate it.
	Uncertain bool
	// Err is the underlying error (a network or context error), if any.
	Err error
}

// Error returns e.g. "brevo SendEmail: HTTP 400 invalid_parameter: email is
// not valid in to (validation)".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Provider)
	if e.Op != "" {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(e.Op)
	}
	b.WriteString(": ")
	if e.Status != 0 {
		fmt.Fprintf(&b, "HTTP %d ", e.Status)
	}
	if e.Code != "" {
		b.WriteString(e.Code)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	fmt.Fprintf(&b, " (%s", e.Kind)
	if e.Uncertain {
		b.WriteString(", may have been delivered")
	}
	b.WriteByte(')')
	return b.String()
}

// Unwrap returns the underlying error, so errors.Is(err, context.DeadlineExceeded)
// works through an *Error.
func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether trying again later may succeed.
func (e *Error) Retryable() bool { return e.Kind.Retryable() }

// IsRetryable reports whether err is (or wraps) an *Error whose kind is
// RateLimited or Transient. Any other error, including nil, is not
// retryable.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable()
}

// Refusal reports whether err says the request was refused as it stands
// (KindValidation: an invalid recipient, a blocked number, a request the
// client would not send) and returns the provider's reason, e.g.
// "invalid_parameter: recipient is not valid". Sending the same request
// again cannot succeed; nothing was sent.
func Refusal(err error) (reason string, refused bool) {
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindValidation {
		return "", false
	}
	reason = e.Message
	if e.Code != "" {
		reason = e.Code + ": " + reason
	}
	if e.Status != 0 {
		reason = fmt.Sprintf("HTTP %d %s", e.Status, reason)
	}
	return reason, true
}

// KindOf returns the Kind of the *Error in err's chain, or 0 when there is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}
