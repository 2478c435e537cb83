package bigcommerce

import (
	"encoding/json"
	"testing"
	"time"
)

func TestTimeForms(t *testing.T) {
	want := time.Date(2018, 1, 10, 21, 5, 30, 0, time.UTC)
	for _, s := range []string{
		`"Wed, 10 Jan 2018 21:05:30 +0000"`, // v2 RFC 2822
		`"Wed, 10 Jan 2018 16:05:30 -0500"`, // v2 with an offset
		`"2018-01-10T21:05:30Z"`,            // v3
		`"2018-01-10T21:05:30.000+00:00"`,   // v3 with fraction
		`"2018-01-10T21:05:30"`,             // filter form without zone
		`1515618330`,                        // hooks: unix seconds
	} {
		var tm Time
		if err := json.Unmarshal([]byte(s), &tm); err != nil {
			t.Errorf("%s: %v", s, err)
			continue
		}
		if !tm.Equal(want) {
			t.Errorf("%s decoded as %v, want %v", s, tm.Time, want)
		}
	}
	for _, s := range []string{`""`, `null`} {
		tm := Time{time.Now()}
		if err := json.Unmarshal([]byte(s), &tm); err != nil || !tm.IsZero() {
			t.Errorf("%s: %v %v", s, tm, err)
		}
	}
	var tm Time
	if err := json.Unmarshal([]byte(`"yesterday"`), &tm); err == nil {
		t.Error("decoded yesterday")
	}
	// Single-digit day of some RFC 2822 writers.
	if tm, err := ParseTime("Tue, 2 Jan 2018 10:00:00 +0000"); err != nil || tm.Day() != 2 {
		t.Errorf("single-digit day: %v %v", tm, err)
	}
}

func TestTimeRoundTrip(t *testing.T) {
	in := Time{time.Date(2024, 5, 14, 9, 34, 0, 123000000, time.FixedZone("x", -4*3600))}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Time
	if err := json.Unmarshal(b, &out); err != nil || !out.Equal(in.Time) {
		t.Errorf("round trip %s → %v (%v)", b, out, err)
	}
	b, _ = json.Marshal(Time{})
	if string(b) != `""` {
		t.Errorf("zero = %s", b)
	}
	if got := formatFilterTime(in.Time); got != "2024-05-14T13:34:00Z" {
		t.Errorf("formatFilterTime = %s", got)
	}
}
