package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Day is 24 hours, the unit of the "d" duration suffix (calendar days and
// daylight-saving changes are not taken into account).
const Day = 24 * time.Hour

// Duration is a time.Duration written in flows files as a Go duration
// ("90m", "1h30m") optionally led by a whole number of days ("14d", "1d12h").
// The bare number 0 means zero.
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// ParseDuration parses "14d", "1d12h", "90m", "-1h" or "0".
func ParseDuration(s string) (Duration, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty duration")
	}
	if s == "0" {
		return 0, nil
	}
	neg := false
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		s = s[1:]
	}
	var days int64
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		if i == 0 || strings.TrimLeft(s[:i], "0123456789") != "" {
			return 0, fmt.Errorf("invalid duration %q: days must be a whole number like 14d", orig)
		}
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil || n > int64(math.MaxInt64/int64(Day)) {
			return 0, fmt.Errorf("duration %q is too long", orig)
		}
		days = n
		s = s[i+1:]
	}
	var rest time.Duration
	if s != "" {
		if s[0] == '-' || s[0] == '+' {
			return 0, fmt.Errorf("invalid duration %q: a sign may only lead the duration", orig)
		}
		var err error
		rest, err = time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q: want e.g. 90m, 36h, 14d or 1d12h", orig)
		}
	}
	total := time.Duration(days)*Day + rest
	if total < 0 {
		return 0, fmt.Errorf("duration %q is too long", orig)
	}
	if neg {
		total = -total
	}
	return Duration(total), nil
}

// MustParseDuration is ParseDuration that panics on error, for literals.
func MustParseDuration(s string) Duration {
	d, err := ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return d
}

// String formats d the way flows files write it: "14d", "1d12h", "90m" ->
// "1h30m", 0 -> "0s".
func (d Duration) String() string {
	if d == 0 {
		return "0s"
	}
	v := time.Duration(d)
	sign := ""
	if v < 0 {
		sign = "-"
		if v == math.MinInt64 {
			return time.Duration(v).String()
		}
		v = -v
	}
	var b strings.Builder
	b.WriteString(sign)
	if days := v / Day; days > 0 {
		fmt.Fprintf(&b, "%dd", days)
		v -= days * Day
	}
	if v%time.Second != 0 {
		b.WriteString(v.String())
		return b.String()
	}
	if h := v / time.Hour; h > 0 {
		fmt.Fprintf(&b, "%dh", h)
		v -= h * time.Hour
	}
	if m := v / time.Minute; m > 0 {
		fmt.Fprintf(&b, "%dm", m)
		v -= m * time.Minute
	}
	if s := v / time.Second; s > 0 {
		fmt.Fprintf(&b, "%ds", s)
	}
	return b.String()
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("must be a duration like 90m, 36h, 14d or 1d12h, got %s", nodeKindName(n))
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("must be a duration like 90m, 36h, 14d or 1d12h, got %q", n.Value)
	}
	*d = v
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalText implements encoding.TextMarshaler (used by encoding/json).
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
