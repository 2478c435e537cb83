package store

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestParseMoney(t *testing.T) {
	cases := []struct {
		in   string
		want Money
		str  string
	}{
		{"12.34", 123400, "12.34"},
		{"12.3400", 123400, "12.34"},
		{"0.5", 5000, "0.50"},
		{"100", 1000000, "100.00"},
		{"1.2345", 12345, "1.2345"},
		{"-3.1", -31000, "-3.10"},
		{" +7.001 ", 70010, "7.001"},
		{".25", 2500, "0.25"},
		{"0.0001", 1, "0.0001"},
		{"-0.0001", -1, "-0.0001"},
	}
	for _, c := range cases {
		got, err := ParseMoney(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d", c.in, got, err, c.want)
			continue
		}
		if got.String() != c.str {
			t.Errorf("Money(%d).String() = %q, want %q", got, got.String(), c.str)
		}
	}
	for _, bad := range []string{"", "-", ".", "1.23456", "1e3", "12,34", "abc", "1.2.3", "99999999999999999999"} {
		if _, err := ParseMoney(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseMoney(%q) error %v, want ErrInvalid", bad, err)
		}
	}
	// JSON renders and reads the decimal form.
	b, err := json.Marshal(struct{ M Money }{M: 123456})
	must(t, err)
	if string(b) != `{"M":"12.3456"}` {
		t.Errorf("json = %s", b)
	}
	var back struct{ M Money }
	must(t, json.Unmarshal(b, &back))
	if back.M != 123456 {
		t.Errorf("json round trip = %d", back.M)
	}
}

func TestAverageOrderValue(t *testing.T) {
	cases := []struct {
		count int64
		spent Money
		want  Money
	}{
		{0, 0, 0},
		{0, 500, 0},
		{1, 123400, 123400},
		{3, 100000, 33333}, // 10.00 / 3 = 3.33333…
		{3, 200000, 66667}, // 20.00 / 3 = 6.66666… rounds up
		{2, 3, 2},          // half rounds away from zero
		{4, 10, 3},         // 2.5 → 3
	}
	for _, c := range cases {
		got := ShopperStats{OrdersCount: c.count, TotalSpent: c.spent}.AverageOrderValue()
		if got != c.want {
			t.Errorf("AOV(%d orders, %d spent) = %d, want %d", c.count, c.spent, got, c.want)
		}
	}
}

func TestCountsTowardsSpend(t *testing.T) {
	for id := 0; id <= 14; id++ {
		want := id != 0 && id != 4 && id != 5 && id != 6
		if CountsTowardsSpend(id) != want {
			t.Errorf("CountsTowardsSpend(%d) = %v", id, !want)
		}
	}
}
