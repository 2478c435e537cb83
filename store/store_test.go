package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMigrateIdempotent(t *testing.T) {
	forEachDialectOpt(t, false, func(t *testing.T, s *Store) {
		ctx := context.Background()
		applied, err := s.Migrate(ctx)
		must(t, err)
		var want []int64
		for v := range migrationCount(t) {
			want = append(want, int64(v+1))
		}
		if !slices.Equal(applied, want) {
			t.Fatalf("first Migrate applied %v, want %v", applied, want)
		}
		applied, err = s.Migrate(ctx)
		must(t, err)
		if len(applied) != 0 {
			t.Fatalf("second Migrate applied %v, want nothing", applied)
		}
		// The schema is usable after the no-op run.
		fresh, err := s.RecordDelivery(ctx, Delivery{StoreHash: "abc", Scope: "store/cart/updated", Hash: "h", CreatedAt: 1})
		must(t, err)
		if !fresh {
			t.Fatal("first delivery not fresh")
		}
	})
}

func TestMigrateConcurrent(t *testing.T) {
	forEachDialectOpt(t, false, func(t *testing.T, s *Store) {
		ctx := context.Background()
		errs := make(chan error, 3)
		total := make(chan int, 3)
		for range 3 {
			go func() {
				applied, err := s.Migrate(ctx)
				errs <- err
				total <- len(applied)
			}()
		}
		n := 0
		for range 3 {
			must(t, <-errs)
			n += <-total
		}
		if want := migrationCount(t); n != want {
			t.Fatalf("concurrent Migrate applied %d migrations in all, want %d", n, want)
		}
	})
}

// Several processes migrating one PostgreSQL database at once (replicas
// starting together) are serialised by the advisory lock.
func TestMigrateConcurrentStoresPostgres(t *testing.T) {
	dsn := postgresSchemaURL(t)
	ctx := context.Background()
	const n = 3
	stores := make([]*Store, n)
	for i := range stores {
		stores[i] = openTest(t, dsn, false)
	}
	errs := make(chan error, n)
	total := make(chan int, n)
	for _, s := range stores {
		go func() {
			applied, err := s.Migrate(ctx)
			errs <- err
			total <- len(applied)
		}()
	}
	sum := 0
	for range n {
		must(t, <-errs)
		sum += <-total
	}
	if want := migrationCount(t); sum != want {
		t.Fatalf("concurrent Migrate applied %d migrations in all, want %d", sum, want)
	}
}

func TestDialectPingDB(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		if s.Dialect() != t.Name()[strings.LastIndex(t.Name(), "/")+1:] {
			t.Fatalf("Dialect() = %q in subtest %s", s.Dialect(), t.Name())
		}
		must(t, s.Ping(context.Background()))
		var one int
		must(t, s.DB().Get(&one, "SELECT 1"))
		if one != 1 {
			t.Fatal("SELECT 1 via DB() failed")
		}
	})
}

func TestOpenErrorsDoNotLeakPassword(t *testing.T) {
	const secret = "s3cr3t-Pa55"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cases := []struct {
		url  string
		want string // substring of the error
	}{
		{"mysql://user:" + secret + "@localhost/db", `"mysql"`},
		{"redis://:" + secret + "@localhost:6379", `"redis"`},
		{"", "empty"},
		{secret, "no scheme"},
		{"host=localhost password=a:" + secret, "no scheme"},
		{"postgres://user:" + secret + "@localhost:notaport/db", "invalid postgres URL"},
		{"postgres://user:" + secret + "@127.0.0.1:1/db?sslmode=disable&connect_timeout=2", "connect to postgres"},
		{"postgresql://user:" + secret + "@127.0.0.1:1/db?sslmode=disable&connect_timeout=2", "connect to postgres"},
		{"postgres://127.0.0.1:1/db?sslmode=disable&connect_timeout=2&password=" + secret, "connect to postgres"},
		{"postgres://user:" + secret + "@127.0.0.1:5432/db?sslmode=bogus", "postgres"},
		{"sqlite:", "no path"},
	}
	for _, c := range cases {
		s, err := Open(ctx, c.url)
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", strings.ReplaceAll(c.url, secret, "***"))
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, secret) || strings.Contains(msg, "Pa55") {
			t.Errorf("error leaks the password: %s", msg)
		}
		if !strings.Contains(msg, c.want) {
			t.Errorf("Open(%q) error %q does not mention %q", strings.ReplaceAll(c.url, secret, "***"), msg, c.want)
		}
	}
}

func TestRedactKeepsErrorsIs(t *testing.T) {
	err := redact(errors.Join(errors.New("dial pw=hunter2"), context.DeadlineExceeded), []string{"hunter2"})
	if strings.Contains(err.Error(), "hunter2") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("redact: %q, Is(DeadlineExceeded)=%v", err, errors.Is(err, context.DeadlineExceeded))
	}
	if errors.Unwrap(err) != nil {
		t.Fatal("redacted error must not unwrap to the unredacted one")
	}
}

func TestOpenSQLite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	t.Run("creates parent dirs, WAL, foreign keys", func(t *testing.T) {
		path := filepath.Join(dir, "a", "b", "c", "bcflow.db")
		s := openTest(t, "sqlite:"+path, true)
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("database file: %v", err)
		}
		var mode string
		must(t, s.DB().GetContext(ctx, &mode, "PRAGMA journal_mode"))
		if mode != "wal" {
			t.Fatalf("journal_mode = %q, want wal", mode)
		}
		var fk, busy int
		must(t, s.DB().GetContext(ctx, &fk, "PRAGMA foreign_keys"))
		must(t, s.DB().GetContext(ctx, &busy, "PRAGMA busy_timeout"))
		if fk != 1 || busy != 5000 {
			t.Fatalf("foreign_keys=%d busy_timeout=%d, want 1 and 5000", fk, busy)
		}
		// The read pool is read-only.
		if _, err := s.rdb.ExecContext(ctx, "DELETE FROM sync_state"); err == nil {
			t.Fatal("write through the reader pool succeeded")
		}
	})

	t.Run("reopen keeps data", func(t *testing.T) {
		path := filepath.Join(dir, "reopen.db")
		s, err := Open(ctx, "sqlite://"+path) // sqlite:///abs/path form
		must(t, err)
		_, err = s.Migrate(ctx)
		must(t, err)
		must(t, s.PutSyncState(ctx, SyncState{StoreHash: "s", Resource: "orders", Cursor: "42"}))
		must(t, s.Close())
		s2 := openTest(t, "sqlite:"+path, false)
		applied, err := s2.Migrate(ctx)
		must(t, err)
		if len(applied) != 0 {
			t.Fatalf("Migrate on reopened db applied %v", applied)
		}
		st, err := s2.GetSyncState(ctx, "s", "orders")
		must(t, err)
		if st.Cursor != "42" {
			t.Fatalf("cursor = %q", st.Cursor)
		}
	})

	t.Run("memory", func(t *testing.T) {
		s := openTest(t, "sqlite::memory:", true)
		if s.rdb != s.db {
			t.Fatal("in-memory store must use one pool")
		}
		fresh, err := s.RecordGoal(ctx, GoalReached{StoreHash: "s", OrderID: 1, Goal: "g"})
		must(t, err)
		if !fresh {
			t.Fatal("goal not fresh")
		}
		fresh, err = s.RecordGoal(ctx, GoalReached{StoreHash: "s", OrderID: 1, Goal: "g"})
		must(t, err)
		if fresh {
			t.Fatal("repeated goal fresh on in-memory store")
		}
	})
}

func TestTimeRoundTrip(t *testing.T) {
	loc := time.FixedZone("UTC+5:30", 5*3600+1800)
	in := time.Date(2026, 3, 14, 15, 9, 26, 535897932, loc) // sub-microsecond digits are dropped
	want := in.UTC().Truncate(time.Microsecond)
	check := func(t *testing.T, what string, got time.Time) {
		t.Helper()
		if !got.Equal(want) || got != want || got.Location() != time.UTC {
			t.Errorf("%s: got %v (%v), want %v", what, got, got.Location(), want)
		}
	}
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		must(t, s.PutSyncState(ctx, SyncState{StoreHash: "s", Resource: "r", Cursor: "c", UpdatedAt: in}))
		st, err := s.GetSyncState(ctx, "s", "r")
		must(t, err)
		check(t, "sync_state.updated_at", st.UpdatedAt)

		_, _, err = s.ReserveMessage(ctx, Message{IdempotencyKey: "k", StoreHash: "s", CustomerKey: "c", Channel: ChannelEmail, CreatedAt: in})
		must(t, err)
		must(t, s.MarkMessageSent(ctx, "k", "p1", in))
		m, err := s.GetMessage(ctx, "k")
		must(t, err)
		check(t, "messages.created_at", m.CreatedAt)
		check(t, "messages.sent_at", m.SentAt)

		must(t, s.AppendDecision(ctx, Decision{StoreHash: "s", Decision: DecisionSent, At: in}))
		ds, err := s.ListDecisions(ctx, DecisionFilter{StoreHash: "s"})
		must(t, err)
		check(t, "decisions.at", ds[0].At)

		// A NULL time reads back as the zero time.
		_, _, err = s.ReserveMessage(ctx, Message{IdempotencyKey: "k2", StoreHash: "s", Channel: ChannelSMS, CreatedAt: in})
		must(t, err)
		m, err = s.GetMessage(ctx, "k2")
		must(t, err)
		if !m.SentAt.IsZero() {
			t.Errorf("unsent message has SentAt %v", m.SentAt)
		}

		// Ordering and range comparisons work across far-apart times.
		old := time.Date(1970, 1, 1, 0, 0, 0, 1000, time.UTC)
		must(t, s.AppendDecision(ctx, Decision{StoreHash: "s", Decision: DecisionSkipped, At: old}))
		ds, err = s.ListDecisions(ctx, DecisionFilter{StoreHash: "s", Before: want})
		must(t, err)
		if len(ds) != 1 || !ds[0].At.Equal(old) {
			t.Errorf("Before filter: %+v", ds)
		}
	})
}

// migrationCount is the number of migrations a fresh database applies (the
// SQLite and PostgreSQL directories hold twins).
func migrationCount(t *testing.T) int {
	t.Helper()
	pg, err := filepath.Glob(filepath.Join("migrations", "postgres", "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	lite, err := filepath.Glob(filepath.Join("migrations", "sqlite", "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pg) != len(lite) {
		t.Fatalf("%d PostgreSQL migrations, %d SQLite: they are twins", len(pg), len(lite))
	}
	return len(pg)
}
