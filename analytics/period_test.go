package analytics

import (
	"errors"
	"testing"
	"time"
)

func TestParseQuery(t *testing.T) {
	today := time.Date(2026, 11, 27, 23, 59, 0, 0, time.UTC)
	cases := []struct {
		name, from, to, channel string
		want                    Query
		code                    string
	}{
		{name: "defaults: the 30 days ending today", want: Query{Period: Range{"2026-10-29", "2026-11-27"}, Previous: Range{"2026-09-29", "2026-10-28"}}},
		{name: "a week", from: "2026-11-01", to: "2026-11-07", channel: "3",
			want: Query{Period: Range{"2026-11-01", "2026-11-07"}, Previous: Range{"2026-10-25", "2026-10-31"}, Channel: 3}},
		{name: "one day", from: "2026-03-01", to: "2026-03-01", want: Query{Period: Range{"2026-03-01", "2026-03-01"}, Previous: Range{"2026-02-28", "2026-02-28"}}},
		{name: "leap day", from: "2024-03-01", to: "2024-03-02", want: Query{Period: Range{"2024-03-01", "2024-03-02"}, Previous: Range{"2024-02-28", "2024-02-29"}}},
		{name: "to alone: 30 days ending there", to: "2026-01-30", want: Query{Period: Range{"2026-01-01", "2026-01-30"}, Previous: Range{"2025-12-02", "2025-12-31"}}},
		{name: "from alone: until today", from: "2026-11-20", want: Query{Period: Range{"2026-11-20", "2026-11-27"}, Previous: Range{"2026-11-12", "2026-11-19"}}},
		{name: "365 days", from: "2025-11-28", to: "2026-11-27", want: Query{Period: Range{"2025-11-28", "2026-11-27"}, Previous: Range{"2024-11-28", "2025-11-27"}}},
		{name: "bad to", to: "2026-13-01", code: "bad_to"},
		{name: "bad from", from: "yesterday", code: "bad_from"},
		{name: "from after to", from: "2026-11-08", to: "2026-11-07", code: "bad_period"},
		{name: "too long", from: "2020-01-01", to: "2026-11-07", code: "bad_period"},
		{name: "negative channel", channel: "-1", code: "bad_channel"},
		{name: "channel not a number", channel: "web", code: "bad_channel"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseQuery(c.from, c.to, c.channel, today)
			if c.code != "" {
				var qe *QueryError
				if !errors.As(err, &qe) || qe.Code != c.code {
					t.Fatalf("err = %v, want code %s", err, c.code)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, c.want)
			}
			if a, b := len(got.Period.Days()), len(got.Previous.Days()); a != b {
				t.Fatalf("period has %d days, previous %d", a, b)
			}
		})
	}
}

func TestRangeDays(t *testing.T) {
	got := Range{"2026-02-27", "2026-03-02"}.Days()
	want := []string{"2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v", got)
		}
	}
}

func TestFormatMoney(t *testing.T) {
	for m, want := range map[int64]string{0: "0.00", 123450: "12.35", 123449: "12.34", -5000: "-0.50", 49: "0.00",
		50: "0.01", -49: "0.00", 10000000: "1000.00", -1234567: "-123.46"} {
		if got := FormatMoney(moneyOf(m)); got != want {
			t.Errorf("FormatMoney(%d) = %q, want %q", m, got, want)
		}
	}
}

func TestRangeChunks(t *testing.T) {
	got := Range{"2025-11-28", "2026-11-27"}.chunks()
	if len(got) != 4 || got[0] != (Range{"2025-11-28", "2026-02-27"}) || got[3].To != "2026-11-27" {
		t.Fatalf("chunks %v", got)
	}
	days := 0
	for i, c := range got {
		days += len(c.Days())
		if i > 0 {
			prev, _ := time.Parse(DayLayout, got[i-1].To)
			if prev.AddDate(0, 0, 1).Format(DayLayout) != c.From {
				t.Fatalf("gap between %v and %v", got[i-1], c)
			}
		}
	}
	if days != 365 {
		t.Fatalf("%d days", days)
	}
	if got := (Range{"2026-11-01", "2026-11-30"}).chunks(); len(got) != 1 || got[0] != (Range{"2026-11-01", "2026-11-30"}) {
		t.Fatalf("a month: %v", got)
	}
}
