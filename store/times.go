package store

import (
	"fmt"
	"strconv"
	"time"
)

// normTime is the canonical stored form of a time: UTC, microsecond
// precision (PostgreSQL's), no monotonic reading.
func normTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// tv returns the value bound for a time column: time.Time for PostgreSQL
// (TIMESTAMPTZ), unix microseconds for SQLite (INTEGER).
func (s *Store) tv(t time.Time) any {
	t = normTime(t)
	if s.dialect == DialectSQLite {
		return t.UnixMicro()
	}
	return t
}

// ntv is tv for a nullable column: a zero time binds NULL.
func (s *Store) ntv(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return s.tv(t)
}

// dbTime scans a time column of either dialect into a UTC time.Time; NULL
// scans as the zero time. Use as (*dbTime)(&x.At).
type dbTime time.Time

// Scan implements sql.Scanner.
func (d *dbTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = dbTime(time.Time{})
	case time.Time:
		*d = dbTime(v.UTC())
	case int64:
		*d = dbTime(time.UnixMicro(v).UTC())
	case []byte:
		return d.parse(string(v))
	case string:
		return d.parse(v)
	default:
		return fmt.Errorf("store: cannot scan %T into a time", src)
	}
	return nil
}

func (d *dbTime) parse(s string) error {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*d = dbTime(time.UnixMicro(n).UTC())
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("store: cannot scan %q into a time", s)
	}
	*d = dbTime(t.UTC())
	return nil
}
