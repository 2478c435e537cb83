// Package analytics composes the dashboard's figures (store, flows,
// loyalty, segments, holdout) from the store's daily rollups: a period and
// the one before it, each figure beside its previous value. It holds no
// SQL and no HTTP: it reads through Source and returns the JSON shapes the
// admin API answers.
package analytics

import (
	"fmt"
	"strconv"
	"time"
)

// DayLayout is the layout of a day (UTC) in queries, rollups and answers.
const DayLayout = "2006-01-02"

// DefaultDays is the length of the period when from is not given.
const DefaultDays = 30

// MaxDays bounds a period (the series has one row per day).
const MaxDays = 1100

// Range is a span of whole days, from and to inclusive (YYYY-MM-DD).
type Range struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Contains reports whether day (YYYY-MM-DD) is within r.
func (r Range) Contains(day string) bool { return day >= r.From && day <= r.To }

// Days lists every day of r, in order.
func (r Range) Days() []string {
	from, err1 := time.Parse(DayLayout, r.From)
	to, err2 := time.Parse(DayLayout, r.To)
	if err1 != nil || err2 != nil || to.Before(from) {
		return nil
	}
	out := make([]string, 0, int(to.Sub(from).Hours()/24)+1)
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(DayLayout))
	}
	return out
}

// Query is what a dashboard request asks for: a period, the one before it
// (as many days, just before) and a channel (0: the whole store).
type Query struct {
	Period   Range
	Previous Range
	Channel  int64
}

// Span is the range covering Previous and Period.
func (q Query) Span() Range { return Range{From: q.Previous.From, To: q.Period.To} }

// QueryError is a bad query parameter; Code is the API's error code.
type QueryError struct {
	Code    string
	Message string
}

func (e *QueryError) Error() string { return e.Message }

// ParseQuery reads the from, to and channel parameters ("" when absent).
// to defaults to today (UTC), from to DefaultDays days ending at to;
// channel to 0. from after to, a period over MaxDays days, a day that is
// not YYYY-MM-DD and a channel that is not a non-negative integer are
// *QueryError.
func ParseQuery(from, to, channel string, today time.Time) (Query, error) {
	var q Query
	end := today.UTC().Truncate(24 * time.Hour)
	if to != "" {
		t, err := time.Parse(DayLayout, to)
		if err != nil {
			return q, &QueryError{Code: "bad_to", Message: "to must be a day, YYYY-MM-DD"}
		}
		end = t
	}
	start := end.AddDate(0, 0, -(DefaultDays - 1))
	if from != "" {
		f, err := time.Parse(DayLayout, from)
		if err != nil {
			return q, &QueryError{Code: "bad_from", Message: "from must be a day, YYYY-MM-DD"}
		}
		start = f
	}
	if start.After(end) {
		return q, &QueryError{Code: "bad_period", Message: "from must not be after to"}
	}
	days := int(end.Sub(start).Hours()/24) + 1
	if days > MaxDays {
		return q, &QueryError{Code: "bad_period", Message: fmt.Sprintf("a period spans at most %d days, got %d", MaxDays, days)}
	}
	if channel != "" {
		n, err := strconv.ParseInt(channel, 10, 64)
		if err != nil || n < 0 {
			return q, &QueryError{Code: "bad_channel", Message: "channel must be a channel id (0: the whole store)"}
		}
		q.Channel = n
	}
	prevEnd := start.AddDate(0, 0, -1)
	q.Period = Range{From: start.Format(DayLayout), To: end.Format(DayLayout)}
	q.Previous = Range{From: prevEnd.AddDate(0, 0, -(days - 1)).Format(DayLayout), To: prevEnd.Format(DayLayout)}
	return q, nil
}
