package config

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

// redacted is what every printing path of a non-empty Secret produces.
const redacted = "[redacted]"

// Secret is a string that must never be printed, logged or serialised.
//
// Every way of turning a Secret into text (fmt verbs including %#v and %x,
// encoding/json, encoding.TextMarshaler users such as log/slog's text handler,
// yaml and slog.LogValuer) yields "[redacted]" for a non-empty value and ""
// for an empty one, so "is it set?" stays visible while the value does not.
// Call Reveal to obtain the value at the one place that needs it.
type Secret string

// Reveal returns the secret value. Use it only where the value is handed to
// the system that needs it (an HTTP header, a database driver...).
func (s Secret) Reveal() string { return string(s) }

// IsSet reports whether the secret is non-empty.
func (s Secret) IsSet() bool { return s != "" }

// String returns "[redacted]", or "" for an empty secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString implements fmt.GoStringer with the same redaction as String.
func (s Secret) GoString() string { return s.String() }

// Format implements fmt.Formatter so that every verb and flag combination,
// including %x, %q and %#v, formats the redacted text instead of the value.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, s.GoString())
		return
	}
	_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), s.String())
}

// MarshalJSON encodes the secret as the JSON string "[redacted]" (or "").
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText implements encoding.TextMarshaler with redaction.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalYAML implements yaml.Marshaler with redaction.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// LogValue implements slog.LogValuer with redaction.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }
