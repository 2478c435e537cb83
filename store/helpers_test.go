package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq"
)

// The PostgreSQL the tests use: BCFLOW_TEST_POSTGRES_URL, or the local
// trust-auth server of the dev machines and CI. Each test gets a throwaway
// schema (bcflow_test_<random>) dropped in t.Cleanup. If PostgreSQL cannot
// be reached the tests fail, unless BCFLOW_TEST_SKIP_POSTGRES=1.
const defaultTestPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func testPostgresURL() string {
	if u := os.Getenv("BCFLOW_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return defaultTestPostgresURL
}

var (
	pgAdminOnce sync.Once
	pgAdmin     *sql.DB
	pgAdminErr  error
)

// postgresAdmin returns a connection to the test server, or skips/fails t
// when it is not reachable.
func postgresAdmin(t testing.TB) *sql.DB {
	t.Helper()
	pgAdminOnce.Do(func() {
		db, err := sql.Open("postgres", testPostgresURL())
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err = db.PingContext(ctx)
		}
		pgAdmin, pgAdminErr = db, err
	})
	if pgAdminErr != nil {
		if os.Getenv("BCFLOW_TEST_SKIP_POSTGRES") == "1" {
			t.Skipf("PostgreSQL not reachable (%v); skipped because BCFLOW_TEST_SKIP_POSTGRES=1", pgAdminErr)
		}
		t.Fatalf("PostgreSQL not reachable at %s: %v\n"+
			"start PostgreSQL, point BCFLOW_TEST_POSTGRES_URL at one, or set BCFLOW_TEST_SKIP_POSTGRES=1 to skip",
			redactURL(testPostgresURL()), pgAdminErr)
	}
	return pgAdmin
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

func randomSuffix(t testing.TB) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func openSQLiteTest(t *testing.T, migrate bool) *Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bcflow.db")
	return openTest(t, "sqlite:"+path, migrate)
}

func openPostgresTest(t *testing.T, migrate bool) *Store {
	t.Helper()
	return openTest(t, postgresSchemaURL(t), migrate)
}

// postgresSchemaURL creates a throwaway schema, dropped in t.Cleanup, and
// returns a URL whose search_path is that schema.
func postgresSchemaURL(t testing.TB) string {
	t.Helper()
	admin := postgresAdmin(t)
	schema := "bcflow_test_" + randomSuffix(t)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(testPostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func openTest(t *testing.T, dsn string, migrate bool) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if migrate {
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}
	return s
}

// forEachDialect runs fn as a subtest against a freshly migrated store of
// each dialect: SQLite in a temp file, PostgreSQL in a throwaway schema.
func forEachDialect(t *testing.T, fn func(t *testing.T, s *Store)) {
	t.Helper()
	forEachDialectOpt(t, true, fn)
}

// forEachDialectOpt is forEachDialect, leaving migration to fn when
// migrate is false.
func forEachDialectOpt(t *testing.T, migrate bool, fn func(t *testing.T, s *Store)) {
	t.Helper()
	t.Run(DialectSQLite, func(t *testing.T) { fn(t, openSQLiteTest(t, migrate)) })
	t.Run(DialectPostgres, func(t *testing.T) { fn(t, openPostgresTest(t, migrate)) })
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
