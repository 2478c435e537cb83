package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

// Apply rounds x.
func (r Rounding) Apply(x float64) int64 {
	switch r {
	case RoundCeil:
		return int64(math.Ceil(x))
	case RoundHalf:
		return int64(math.Round(x))
	}
	return int64(math.Floor(x))
}

// DueAfter returns when to send the reminder, counted from the order, for
// quantity units (quantities below 1 count as 1).
func (r Replenishment) DueAfter(quantity int) time.Duration {
	if quantity < 1 || !r.QuantityAware {
		quantity = 1
	}
	total := time.Duration(r.PeriodPerUnit)
	if quantity > 1 && total > 0 {
		if total > time.Duration(math.MaxInt64)/time.Duration(quantity) {
			total = time.Duration(math.MaxInt64)
		} else {
			total *= time.Duration(quantity)
		}
	}
	if d := total - time.Duration(r.RemindBefore); d > 0 {
		return d
	}
	return 0
}

// TimeOfDay is a wall-clock time written "HH:MM" (24-hour).
type TimeOfDay struct {
	Hour   int // 0 to 23
	Minute int // 0 to 59
}

// String returns "HH:MM".
func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", t.Hour, t.Minute) }

func (t TimeOfDay) minutes() int { return t.Hour*60 + t.Minute }

// ParseTimeOfDay parses "HH:MM" (24-hour, e.g. 08:00 or 21:30).
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(h) < 1 || len(h) > 2 || len(m) != 2 ||
		hh < 0 || hh > 23 || mm < 0 || mm > 59 || strings.ContainsAny(h+m, "+-") {
		return TimeOfDay{}, fmt.Errorf("must be a time HH:MM between 00:00 and 23:59, got %q", s)
	}
	return TimeOfDay{hh, mm}, nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (t *TimeOfDay) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("must be a time HH:MM, got %s", nodeKindName(n))
	}
	v, err := ParseTimeOfDay(n.Value)
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (t TimeOfDay) MarshalYAML() (any, error) { return t.String(), nil }

var locations sync.Map // zone name -> *time.Location

func loadLocation(name string) (*time.Location, error) {
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locations.Store(name, l)
	return l, nil
}

// Location returns the quiet hours' time zone.
func (q *QuietHours) Location() (*time.Location, error) { return loadLocation(q.Timezone) }

// AppliesTo reports whether the quiet hours hold back messages on ch.
func (q *QuietHours) AppliesTo(ch Channel) bool {
	if len(q.Channels) == 0 {
		return true
	}
	for _, c := range q.Channels {
		if c == ch {
			return true
		}
	}
	return false
}

// Until returns how long a message due at t must wait for quiet hours to end:
// 0 when t is outside quiet hours (or q is nil).
func (q *QuietHours) Until(t time.Time) time.Duration {
	if q == nil || q.Start == q.End {
		return 0
	}
	loc, err := q.Location()
	if err != nil {
		loc = time.UTC // rejected by validation; be safe anyway
	}
	lt := t.In(loc)
	now := lt.Hour()*60 + lt.Minute()
	start, end := q.Start.minutes(), q.End.minutes()
	var inside bool
	if start < end {
		inside = now >= start && now < end
	} else {
		inside = now >= start || now < end
	}
	if !inside {
		return 0
	}
	endAt := time.Date(lt.Year(), lt.Month(), lt.Day(), q.End.Hour, q.End.Minute, 0, 0, loc)
	if !endAt.After(lt) {
		endAt = time.Date(lt.Year(), lt.Month(), lt.Day()+1, q.End.Hour, q.End.Minute, 0, 0, loc)
	}
	return endAt.Sub(t)
}

// DefaultAttributionWindow is the attribution window of a cart recovery
// flow whose flows file sets none: five days.
const DefaultAttributionWindow = 5 * 24 * time.Hour

// Attribution is the flow's attribution window.
func (c *CartRecovery) Attribution() time.Duration {
	if c.AttributionWindow > 0 {
		return c.AttributionWindow.Std()
	}
	return DefaultAttributionWindow
}

// Attribution is the attribution window of the messages of every flow but
// cart recovery on this set's channel: attribution_window when the set has
// one, else cart recovery's window (its default when the section is
// absent).
func (s *FlowSet) Attribution() time.Duration {
	if s.AttributionWindow != nil && *s.AttributionWindow > 0 {
		return s.AttributionWindow.Std()
	}
	if s.CartRecovery != nil {
		return s.CartRecovery.Attribution()
	}
	return DefaultAttributionWindow
}
