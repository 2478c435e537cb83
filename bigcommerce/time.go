package bigcommerce

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Time is a timestamp as BigCommerce writes it, in any of its forms: v2's RFC
// 2822 strings ("Tue, 20 Nov 2012 00:00:00 +0000"), v3's ISO 8601 strings
// ("2018-09-17T14:27:39Z", with or without zone or fraction), Unix seconds
// (webhook subscriptions), and "" or null for "never" (the zero Time).
//
// It marshals to RFC 3339 (zero as ""), which it reads back unchanged.
type Time struct {
	time.Time
}

var timeLayouts = []string{
	time.RFC1123Z,                    // Tue, 20 Nov 2012 00:00:00 +0000
	"Mon, 2 Jan 2006 15:04:05 -0700", // single-digit day
	time.RFC1123,                     // Tue, 20 Nov 2012 00:00:00 GMT
	"Mon, 2 Jan 2006 15:04:05 MST",   // single-digit day, zone name
	"Mon, 02 Jan 2006 15:04:05 -0700 (MST)",
	time.RFC3339Nano, // 2018-09-17T14:27:39.123Z
	"2006-01-02T15:04:05.999999999-0700",
	"2006-01-02T15:04:05.999999999", // no zone: UTC
	"2006-01-02 15:04:05",
	"2006-01-02",
}

// ParseTime parses any timestamp form BigCommerce uses (see Time). Forms
// without a zone are taken as UTC.
func ParseTime(s string) (Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Time{}, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return Time{t}, nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return Time{time.Unix(n, 0).UTC()}, nil
	}
	return Time{}, fmt.Errorf("bigcommerce: invalid time %q", s)
}

// MarshalJSON writes t in RFC 3339 with nanoseconds, or "" when zero.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte(`""`), nil
	}
	return []byte(strconv.Quote(t.Format(time.RFC3339Nano))), nil
}

// UnmarshalJSON reads a string in any form ParseTime accepts, a number of
// Unix seconds, or null.
func (t *Time) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*t = Time{}
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		u, err := strconv.Unquote(s)
		if err != nil {
			return fmt.Errorf("bigcommerce: invalid time %s", b)
		}
		s = u
	} else if f, err := strconv.ParseFloat(s, 64); err == nil {
		*t = Time{time.Unix(int64(f), 0).UTC()}
		return nil
	}
	v, err := ParseTime(s)
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// formatFilterTime renders a filter bound the way both API generations
// accept it: ISO 8601 in UTC ("2017-04-20T15:32:00Z").
func formatFilterTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
