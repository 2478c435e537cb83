package bigcommerce

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// decimalPlaces is the number of fractional digits a Decimal holds exactly.
// BigCommerce's v2 API renders every amount with four ("12.5000").
const decimalPlaces = 4

const decimalScale = 10000 // 10^decimalPlaces

// Decimal is an exact decimal amount with four fractional digits, stored as
// an int64 count of ten-thousandths. It holds every money value the v2 API
// returns ("12.5000", "0.0000") and the JSON numbers of v3 (12.5) without
// float rounding: both are parsed from their text. Inputs with more than four
// fractional digits are rounded half away from zero. The zero value is 0.
//
// Decimal marshals to JSON as a number literal written from its digits (12.5),
// and unmarshals from a JSON number, a JSON string ("12.5000"), "" or null.
type Decimal struct {
	v int64 // ten-thousandths
}

// ErrDecimalRange reports an amount outside ±922,337,203,685,477.5807.
var ErrDecimalRange = errors.New("bigcommerce: decimal out of range")

// ParseDecimal parses a decimal string such as "12.5000", "-3", "0.5" or
// "1.25e2". Digits beyond the fourth fractional place are rounded half away
// from zero.
func ParseDecimal(s string) (Decimal, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return Decimal{}, fmt.Errorf("bigcommerce: invalid decimal %q", orig)
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > 40 || e < -40 {
			return Decimal{}, fmt.Errorf("bigcommerce: invalid decimal %q", orig)
		}
		exp, s = e, s[:i]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" && frac == "" {
		return Decimal{}, fmt.Errorf("bigcommerce: invalid decimal %q", orig)
	}
	digits := intPart + frac
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return Decimal{}, fmt.Errorf("bigcommerce: invalid decimal %q", orig)
		}
	}
	// value = digits × 10^(exp − len(frac)); we want it × 10^decimalPlaces.
	shift := exp - len(frac) + decimalPlaces
	digits = strings.TrimLeft(digits, "0")
	var v int64
	roundUp := false
	if shift >= 0 {
		digits += strings.Repeat("0", shift)
	} else {
		cut := len(digits) + shift
		if cut < 0 {
			digits = ""
		} else {
			roundUp = digits[cut] >= '5'
			digits = digits[:cut]
		}
	}
	if len(digits) > 19 {
		return Decimal{}, fmt.Errorf("%w: %q", ErrDecimalRange, orig)
	}
	if digits != "" {
		u, err := strconv.ParseUint(digits, 10, 64)
		if err != nil || u > math.MaxInt64 {
			return Decimal{}, fmt.Errorf("%w: %q", ErrDecimalRange, orig)
		}
		v = int64(u)
	}
	if roundUp {
		if v == math.MaxInt64 {
			return Decimal{}, fmt.Errorf("%w: %q", ErrDecimalRange, orig)
		}
		v++
	}
	if neg {
		v = -v
	}
	return Decimal{v: v}, nil
}

// MustParseDecimal is ParseDecimal for constants; it panics on bad input.
func MustParseDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DecimalFromMinor returns minor / 10^digits: DecimalFromMinor(1250, 2) is
// 12.50. digits must be between 0 and 4.
func DecimalFromMinor(minor int64, digits int) Decimal {
	if digits < 0 || digits > decimalPlaces {
		panic("bigcommerce: DecimalFromMinor digits must be 0..4")
	}
	return Decimal{v: minor * pow10(decimalPlaces-digits)}
}

// DecimalFromInt returns n as a Decimal.
func DecimalFromInt(n int64) Decimal { return Decimal{v: n * decimalScale} }

func pow10(n int) int64 {
	p := int64(1)
	for ; n > 0; n-- {
		p *= 10
	}
	return p
}

// MinorUnits returns d in units of 10^-digits, rounded half away from zero:
// MinorUnits(2) of 12.345 is 1235 (cents). digits must be between 0 and 4.
func (d Decimal) MinorUnits(digits int) int64 {
	if digits < 0 || digits > decimalPlaces {
		panic("bigcommerce: MinorUnits digits must be 0..4")
	}
	return roundDiv(d.v, pow10(decimalPlaces-digits))
}

func roundDiv(v, div int64) int64 {
	q, r := v/div, v%div
	if r < 0 {
		r = -r
	}
	if 2*r >= div {
		if v < 0 {
			q--
		} else {
			q++
		}
	}
	return q
}

// Floor returns the largest integer not above d (for 12.99, 12).
func (d Decimal) Floor() int64 {
	q := d.v / decimalScale
	if d.v%decimalScale < 0 {
		q--
	}
	return q
}

// Add returns d + e.
func (d Decimal) Add(e Decimal) Decimal { return Decimal{v: d.v + e.v} }

// Sub returns d − e.
func (d Decimal) Sub(e Decimal) Decimal { return Decimal{v: d.v - e.v} }

// Neg returns −d.
func (d Decimal) Neg() Decimal { return Decimal{v: -d.v} }

// MulInt returns d × n (a line total from a unit price and a quantity).
func (d Decimal) MulInt(n int64) Decimal { return Decimal{v: d.v * n} }

// Cmp returns -1, 0 or +1 as d is below, equal to or above e.
func (d Decimal) Cmp(e Decimal) int {
	switch {
	case d.v < e.v:
		return -1
	case d.v > e.v:
		return 1
	}
	return 0
}

// Sign returns -1, 0 or +1.
func (d Decimal) Sign() int { return d.Cmp(Decimal{}) }

// IsZero reports whether d is 0.
func (d Decimal) IsZero() bool { return d.v == 0 }

// Float64 returns the nearest float64, for display and ratios only.
func (d Decimal) Float64() float64 { return float64(d.v) / decimalScale }

// String returns the shortest exact form: "12.5", "109", "-0.25".
func (d Decimal) String() string {
	s := d.StringFixed(decimalPlaces)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// StringFixed returns d rounded half away from zero to places fractional
// digits (0 to 4): StringFixed(2) of 12.5 is "12.50"; StringFixed(4) is the v2
// form "12.5000".
func (d Decimal) StringFixed(places int) string {
	if places < 0 {
		places = 0
	}
	if places > decimalPlaces {
		places = decimalPlaces
	}
	v := roundDiv(d.v, pow10(decimalPlaces-places))
	neg := v < 0
	var u uint64
	if neg {
		u = uint64(-(v + 1)) + 1 // safe for MinInt64
	} else {
		u = uint64(v)
	}
	s := strconv.FormatUint(u, 10)
	if places > 0 {
		if len(s) <= places {
			s = strings.Repeat("0", places-len(s)+1) + s
		}
		s = s[:len(s)-places] + "." + s[len(s)-places:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// MarshalJSON writes d as a JSON number literal built from its digits.
func (d Decimal) MarshalJSON() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalJSON reads a JSON number, a string holding a decimal, "" or null
// (the last two as 0).
func (d *Decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*d = Decimal{}
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		s, err := strconv.Unquote(string(b))
		if err != nil {
			return fmt.Errorf("bigcommerce: invalid decimal %s", b)
		}
		if strings.TrimSpace(s) == "" {
			*d = Decimal{}
			return nil
		}
		b = []byte(s)
	}
	v, err := ParseDecimal(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// decimalString marshals a Decimal as a JSON string ("10"), as the
// promotions API wants its amounts.
type decimalString Decimal

func (d decimalString) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(Decimal(d).String())), nil
}
