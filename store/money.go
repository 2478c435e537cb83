package store

import (
	"fmt"
	"strconv"
	"strings"
)

// Money is an exact amount of money in ten-thousandths of the currency unit
// (BigCommerce gives amounts with four decimals, e.g. "12.3400"): 1 EUR is
// Money(10000). The mirror stores it as an integer column, so sums and
// comparisons in SQL are exact. The currency is held beside it.
type Money int64

// moneyScale is the number of Money units in one currency unit.
const moneyScale = 10000

// ParseMoney parses a decimal amount such as "12.34", "-0.5", "100" or
// "12.3400" exactly; more than four decimals, exponents and empty strings are
// errors (an empty amount is a caller's decision, not zero).
func ParseMoney(s string) (Money, error) {
	t := strings.TrimSpace(s)
	neg := false
	switch {
	case strings.HasPrefix(t, "-"):
		neg, t = true, t[1:]
	case strings.HasPrefix(t, "+"):
		t = t[1:]
	}
	whole, frac, _ := strings.Cut(t, ".")
	if whole == "" && frac == "" || len(frac) > 4 || !digits(whole) || !digits(frac) {
		return 0, fmt.Errorf("store: invalid money amount %q: %w", s, ErrInvalid)
	}
	var w int64
	if whole != "" {
		var err error
		if w, err = strconv.ParseInt(whole, 10, 64); err != nil || w > (1<<63-1)/moneyScale-1 {
			return 0, fmt.Errorf("store: money amount %q out of range: %w", s, ErrInvalid)
		}
	}
	f := int64(0)
	for i := range 4 {
		f *= 10
		if i < len(frac) {
			f += int64(frac[i] - '0')
		}
	}
	m := Money(w*moneyScale + f)
	if neg {
		m = -m
	}
	return m, nil
}

func digits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String formats m with at least two decimals and at most four, without
// trailing zeros beyond the second: "12.34", "0.5" → "0.50", "1.2345".
// Float64 is the amount in currency units, for arithmetic that rounds
// anyway (loyalty points).
func (m Money) Float64() float64 { return float64(m) / moneyScale }

func (m Money) String() string {
	sign := ""
	u := uint64(m)
	if m < 0 {
		sign, u = "-", uint64(-m)
	}
	frac := fmt.Sprintf("%04d", u%moneyScale)
	frac = strings.TrimRight(frac, "0")
	for len(frac) < 2 {
		frac += "0"
	}
	return sign + strconv.FormatUint(u/moneyScale, 10) + "." + frac
}

// MarshalText renders m as its decimal String (JSON gets "12.34").
func (m Money) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText parses a decimal amount with ParseMoney.
func (m *Money) UnmarshalText(b []byte) error {
	v, err := ParseMoney(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}
