package bigcommerce

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Kind classifies an APIError by what the caller should do about it.
type Kind int

const (
	// KindTransient is a 5xx answer, a 408, a network failure or a
	// timed-out attempt: retrying later may succeed.
	KindTransient Kind = iota
	// KindNotFound is a 404: the resource does not exist (a converted or
	// expired cart, a deleted order).
	KindNotFound
	// KindUnauthorized is a 401 or 403: the token is wrong, revoked or lacks
	// a scope. Retrying will not help.
	KindUnauthorized
	// KindValidation is any other 4xx (400, 422, …): the request itself
	// is wrong. Retrying will not help.
	KindValidation
	// KindRateLimited is a 429, or pacing that could not finish before the
	// context deadline: retry after RetryAfter.
	KindRateLimited
	// KindConflict is a 409: the resource already exists (a retried create
	// may have succeeded the first time, see IsConflict) or another change
	// won a race. Retryable: a later attempt may find the conflict gone.
	// The client returns it at once, without retrying it itself, so a
	// caller that takes "already exists" for success decides without delay.
	KindConflict
)

// String returns the kind in words ("not found").
func (k Kind) String() string {
	switch k {
	case KindNotFound:
		return "not found"
	case KindUnauthorized:
		return "unauthorized"
	case KindValidation:
		return "invalid request"
	case KindRateLimited:
		return "rate limited"
	case KindConflict:
		return "conflict"
	default:
		return "transient failure"
	}
}

// Retryable reports whether an error of this kind may succeed when retried.
func (k Kind) Retryable() bool {
	return k == KindTransient || k == KindRateLimited || k == KindConflict
}

// APIError is every failure the client returns (except invalid arguments,
// which are plain errors). Its message names the operation:
// "bigcommerce: get cart 5c1…: not found: 404 Cart not found.".
// It never contains the access token.
type APIError struct {
	// Op is the operation, e.g. "get cart 5c1e…".
	Op string
	// Method and Path locate the request ("GET", "/v3/carts/5c1e…"), without
	// the query string.
	Method, Path string
	// Status is the HTTP status; 0 when no response was received.
	Status int
	// Title is the API's error title or message.
	Title string
	// Detail adds the API's detail, or the transport error.
	Detail string
	// Fields holds per-field validation messages when the API gives them.
	Fields map[string]string
	// Kind classifies the error; see IsRetryable.
	Kind Kind
	// RetryAfter is how long to wait before retrying a rate-limited request.
	RetryAfter time.Duration

	err error // underlying transport or context error
}

// Error formats the error without the access token.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("bigcommerce: ")
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Kind.String())
	if e.Status != 0 {
		fmt.Fprintf(&b, ": %d", e.Status)
		if e.Title != "" {
			b.WriteString(" " + e.Title)
		}
	} else if e.Title != "" {
		b.WriteString(": " + e.Title)
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	if len(e.Fields) > 0 {
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + e.Fields[k]
		}
		b.WriteString(" (" + strings.Join(parts, "; ") + ")")
	}
	return b.String()
}

// Unwrap returns the underlying transport or context error, if any, so that
// errors.Is(err, context.DeadlineExceeded) works.
func (e *APIError) Unwrap() error { return e.err }

// Retryable reports whether retrying may succeed.
func (e *APIError) Retryable() bool { return e.Kind.Retryable() }

// AsAPIError returns the *APIError in err's chain.
func AsAPIError(err error) (*APIError, bool) {
	var ae *APIError
	ok := errors.As(err, &ae)
	return ae, ok
}

// IsNotFound reports whether err is a 404 from the API.
func IsNotFound(err error) bool {
	ae, ok := AsAPIError(err)
	return ok && ae.Kind == KindNotFound
}

// IsConflict reports whether err is a 409 (already exists, version
// conflict): a retried create may have succeeded the first time.
func IsConflict(err error) bool {
	ae, ok := AsAPIError(err)
	return ok && ae.Status == http.StatusConflict
}

// IsRetryable reports whether err may succeed when retried later (rate
// limited, 5xx, 408, 409, network failure, timed-out attempt). Errors that are not
// from this client are not retryable.
func IsRetryable(err error) bool {
	ae, ok := AsAPIError(err)
	return ok && ae.Retryable()
}

// kindOf maps an HTTP status to a Kind.
func kindOf(status int) Kind {
	switch {
	case status == http.StatusNotFound:
		return KindNotFound
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return KindUnauthorized
	case status == http.StatusTooManyRequests:
		return KindRateLimited
	case status == http.StatusRequestTimeout:
		return KindTransient
	case status == http.StatusConflict:
		return KindConflict
	case status >= 400 && status < 500:
		return KindValidation
	default:
		return KindTransient
	}
}

// errorBody is the union of BigCommerce's error shapes:
//
//	v3:          {"status":422,"title":"…","type":"…","detail":"…","errors":{"field":"msg"}}
//	promotions:  {"errors":[{"status":422,"title":"…"}]}
//	segments:    {"data":[],"errors":[{"status":409,"title":"…","errors":{"0":"…"}}],"meta":{…}}
//	v2:          [{"status":404,"message":"…","details":{…}}]
type errorBody struct {
	Status  json.RawMessage `json:"status"`
	Title   string          `json:"title"`
	Message string          `json:"message"`
	Detail  string          `json:"detail"`
	Error   string          `json:"error"`
	Errors  json.RawMessage `json:"errors"`
	Details json.RawMessage `json:"details"`
}

// parseErrorBody extracts a title, a detail and field messages from an
// error response body of any generation. Unknown shapes give a short excerpt.
func parseErrorBody(body []byte) (title, detail string, fields map[string]string) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return "", "", nil
	}
	var items []errorBody
	if body[0] == '[' {
		if json.Unmarshal(body, &items) != nil {
			return "", excerpt(body), nil
		}
	} else if body[0] == '{' {
		var one errorBody
		if json.Unmarshal(body, &one) != nil {
			return "", excerpt(body), nil
		}
		items = []errorBody{one}
	} else {
		return "", excerpt(body), nil
	}
	var titles, details []string
	fields = map[string]string{}
	var walk func(e errorBody)
	walk = func(e errorBody) {
		t := e.Title
		if t == "" {
			t = e.Message
		}
		if t != "" {
			titles = append(titles, t)
		}
		for _, d := range []string{e.Detail, e.Error} {
			if d != "" && d != t {
				details = append(details, d)
			}
		}
		for _, raw := range []json.RawMessage{e.Errors, e.Details} {
			raw = bytes.TrimSpace(raw)
			if len(raw) == 0 {
				continue
			}
			switch raw[0] {
			case '{':
				var m map[string]any
				if json.Unmarshal(raw, &m) == nil {
					for k, v := range m {
						if s, ok := v.(string); ok {
							fields[k] = s
						} else if v != nil {
							b, _ := json.Marshal(v)
							fields[k] = string(b)
						}
					}
				}
			case '[':
				var nested []errorBody
				if json.Unmarshal(raw, &nested) == nil {
					for _, n := range nested {
						walk(n)
					}
				}
			}
		}
	}
	for _, it := range items {
		walk(it)
	}
	if len(fields) == 0 {
		fields = nil
	}
	return strings.Join(dedupe(titles), "; "), strings.Join(dedupe(details), "; "), fields
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	out := xs[:0]
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func excerpt(b []byte) string {
	const max = 200
	s := strings.ToValidUTF8(string(b), "?")
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}
