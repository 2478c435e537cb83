package bigcommerce

import (
	"encoding/json"
	"testing"
)

func TestParseDecimal(t *testing.T) {
	cases := []struct {
		in     string
		str    string
		fixed2 string
		cents  int64
	}{
		{"12.5000", "12.5", "12.50", 1250},
		{"0.0000", "0", "0.00", 0},
		{"336.3200", "336.32", "336.32", 33632},
		{"109", "109", "109.00", 10900},
		{"-3.25", "-3.25", "-3.25", -325},
		{"0.1", "0.1", "0.10", 10},
		{"1.25e2", "125", "125.00", 12500},
		{"2.7", "2.7", "2.70", 270},
		{"12.34565", "12.3457", "12.35", 1235}, // rounded half away from zero at 4 places
		{"-12.34565", "-12.3457", "-12.35", -1235},
		{"0.00004", "0", "0.00", 0},
		{"34.95", "34.95", "34.95", 3495},
		{".5", "0.5", "0.50", 50},
		{"922337203685477.5807", "922337203685477.5807", "922337203685477.58", 92233720368547758},
	}
	for _, tc := range cases {
		d, err := ParseDecimal(tc.in)
		if err != nil {
			t.Errorf("ParseDecimal(%q): %v", tc.in, err)
			continue
		}
		if got := d.String(); got != tc.str {
			t.Errorf("ParseDecimal(%q).String() = %q, want %q", tc.in, got, tc.str)
		}
		if got := d.StringFixed(2); got != tc.fixed2 {
			t.Errorf("ParseDecimal(%q).StringFixed(2) = %q, want %q", tc.in, got, tc.fixed2)
		}
		if got := d.MinorUnits(2); got != tc.cents {
			t.Errorf("ParseDecimal(%q).MinorUnits(2) = %d, want %d", tc.in, got, tc.cents)
		}
	}
	for _, bad := range []string{"", "abc", "1.2.3", "--1", "1e", "12,50", "922337203685477.5808", "1e30"} {
		if _, err := ParseDecimal(bad); err == nil {
			t.Errorf("ParseDecimal(%q) succeeded", bad)
		}
	}
}

func TestDecimalArithmeticIsExact(t *testing.T) {
	// 0.1 + 0.2 is the classic float surprise.
	sum := MustParseDecimal("0.1").Add(MustParseDecimal("0.2"))
	if sum.Cmp(MustParseDecimal("0.3")) != 0 || sum.String() != "0.3" {
		t.Errorf("0.1+0.2 = %s", sum)
	}
	// A thousand 19.99 lines add up to exactly 19990.
	var total Decimal
	for range 1000 {
		total = total.Add(MustParseDecimal("19.99"))
	}
	if total.String() != "19990" {
		t.Errorf("1000 × 19.99 = %s", total)
	}
	if got := MustParseDecimal("34.95").MulInt(3).StringFixed(4); got != "104.8500" {
		t.Errorf("34.95×3 = %s", got)
	}
	if got := MustParseDecimal("99.99").Floor(); got != 99 {
		t.Errorf("Floor(99.99) = %d", got)
	}
	if got := MustParseDecimal("-0.5").Floor(); got != -1 {
		t.Errorf("Floor(-0.5) = %d", got)
	}
	if got := DecimalFromMinor(1250, 2).StringFixed(4); got != "12.5000" {
		t.Errorf("DecimalFromMinor(1250,2) = %s", got)
	}
	if got := DecimalFromInt(7).Sub(MustParseDecimal("0.01")).String(); got != "6.99" {
		t.Errorf("7-0.01 = %s", got)
	}
	if MustParseDecimal("1").Cmp(MustParseDecimal("1.0000")) != 0 || MustParseDecimal("-1").Sign() != -1 || !(Decimal{}).IsZero() {
		t.Error("Cmp/Sign/IsZero")
	}
}

func TestDecimalJSON(t *testing.T) {
	var v struct {
		A, B, C, D, E Decimal
		P             *Decimal
	}
	in := `{"A":"12.5000","B":12.5,"C":"","D":null,"E":1e2,"P":"2.7000"}`
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	if v.A.String() != "12.5" || v.B.String() != "12.5" || !v.C.IsZero() || !v.D.IsZero() || v.E.String() != "100" || v.P.String() != "2.7" {
		t.Errorf("decoded %+v", v)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"A":12.5,"B":12.5,"C":0,"D":0,"E":100,"P":2.7}` {
		t.Errorf("encoded %s", out)
	}
	var bad Decimal
	if err := json.Unmarshal([]byte(`"12,5"`), &bad); err == nil {
		t.Error("decoded 12,5")
	}
	s, _ := json.Marshal(decimalString(MustParseDecimal("10.0000")))
	if string(s) != `"10"` {
		t.Errorf("decimalString = %s", s)
	}
}
