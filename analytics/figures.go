package analytics

import (
	"math"
	"strconv"

	"github.com/bcflow/bcflow/store"
)

// Figure is a value over the period beside its value over the previous
// period.
type Figure[T any] struct {
	Current  T `json:"current"`
	Previous T `json:"previous"`
}

// Count is a counted figure.
type Count = Figure[int64]

// Amount is a money figure: decimal strings with two decimals.
type Amount = Figure[string]

// Rate is a ratio figure (0..1).
type Rate = Figure[float64]

// moneyUnit is store.Money's units per currency unit.
const moneyUnit = 10000

// FormatMoney writes m with exactly two decimals, rounded half away from
// zero: 12.345 → "12.35", -0.5 → "-0.50".
func FormatMoney(m store.Money) string {
	v := int64(m)
	neg := v < 0
	if neg {
		v = -v
	}
	cents := (v + 50) / 100 // Money has four decimals
	s := strconv.FormatInt(cents/100, 10) + "." + pad2(cents%100)
	if neg && cents != 0 {
		s = "-" + s
	}
	return s
}

// formatFloatMoney writes an amount in currency units with two decimals.
func formatFloatMoney(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "0.00"
	}
	return FormatMoney(store.Money(math.Round(v * moneyUnit)))
}

func pad2(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// ratio is a / b, 0 when b is 0.
func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// average is total / n rounded to the Money unit, 0 when n is 0.
func average(total store.Money, n int64) store.Money {
	if n == 0 {
		return 0
	}
	return store.Money(math.Round(float64(total) / float64(n)))
}

// tally is a count and an amount.
type tally struct {
	N      int64
	Amount store.Money
}

func (t *tally) add(r RollupRow) { t.N += r.N; t.Amount += r.Amount }

// pair is a tally over the period and the previous period.
type pair struct{ cur, prev tally }

func (p *pair) add(q Query, r RollupRow) {
	switch {
	case q.Period.Contains(r.Day):
		p.cur.add(r)
	case q.Previous.Contains(r.Day):
		p.prev.add(r)
	}
}

func (p pair) count() Count { return Count{Current: p.cur.N, Previous: p.prev.N} }
func (p pair) amount() Amount {
	return Amount{Current: FormatMoney(p.cur.Amount), Previous: FormatMoney(p.prev.Amount)}
}

// sumRows adds up the rows of q's two periods that keep selects.
func sumRows(q Query, rows []RollupRow, keep func(RollupRow) bool) pair {
	var p pair
	for _, r := range rows {
		if keep(r) {
			p.add(q, r)
		}
	}
	return p
}
