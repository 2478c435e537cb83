// Package store is bcflow's persistence layer: webhook delivery dedupe,
// exactly-once message sends, the decision log, the loyalty ledger, sync
// cursors, suppressions, reached goals, and the store mirror (customers,
// orders, catalog and carts copied from BigCommerce, per-shopper figures kept
// incrementally, the payload hashes the provider accepted, the store syncs'
// runs; see mirror.go and shopper_stats.go), and customer segment
// membership (segment rules compiled to SQL over the mirror, stints with
// entered/left times, the push outbox to BigCommerce, Brevo and the segment
// flows; see segments_rule.go and segments.go), and the dashboard's daily
// rollups, kept by those write paths in their own transactions (see
// rollups.go, analytics.go; SeedAnalytics in seed.go fills a demo store).
//
// One Store type serves two SQL dialects through sqlx with a single set of
// queries (written with '?' placeholders and rebound per dialect):
//
//   - PostgreSQL via github.com/lib/pq, for production
//     ("postgres://..." or "postgresql://..." URLs);
//   - SQLite via modernc.org/sqlite (pure Go), the embedded default for
//     `bcflow dev` ("sqlite:path/to/file.db" or "sqlite::memory:").
//
// The schema is embedded (migrations/postgres, migrations/sqlite) and applied
// by goose's Provider API in Migrate, which is idempotent.
//
// # Times
//
// Every time is written in UTC truncated to the microsecond and read back in
// UTC, so a value round-trips to an equal time.Time on both dialects.
// PostgreSQL stores TIMESTAMPTZ; SQLite stores INTEGER unix microseconds
// (sortable, compact, and free of text-format ambiguity). A zero time.Time
// given for an optional column is stored as NULL and read back as zero.
//
// # SQLite concurrency
//
// A file-backed SQLite store has two pools: a writer pool of exactly one
// connection (SetMaxOpenConns(1); every write and every transaction goes
// through it, and transactions begin IMMEDIATE so they take the write lock
// up front and wait busy_timeout for other processes instead of failing on
// a lock upgrade), and a read-only pool (query_only) for plain reads, which
// in WAL mode never wait for the writer. An in-memory store has only the
// single writer connection (each connection would be its own database).
// Consequence: while a transaction is open (Redeem runs its coupon issuer
// inside one) other writes of the same process wait for it.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Dialect names returned by Store.Dialect.
const (
	DialectPostgres = "postgres"
	DialectSQLite   = "sqlite"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrNotFound is returned when the row asked for does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrInsufficientPoints is returned when a debit would make a loyalty
	// balance negative.
	ErrInsufficientPoints = errors.New("store: insufficient points")
	// ErrInvalid is returned for arguments the store refuses (missing keys,
	// unknown channel or kind, malformed JSON); retrying will not help.
	ErrInvalid = errors.New("store: invalid argument")
)

// versionTable is goose's bookkeeping table.
const versionTable = "bcflow_goose_db_version"

// migrationLockID is the PostgreSQL advisory lock key that serialises
// concurrent Migrate calls (several replicas starting at once).
const migrationLockID int64 = 0x6263666c6f77 // "bcflow"

const sqliteBusyTimeoutMS = 5000

//go:embed migrations/postgres/*.sql migrations/sqlite/*.sql
var migrationsFS embed.FS

// Store is a handle on the bcflow database. It is safe for concurrent use.
type Store struct {
	db      *sqlx.DB // writes and transactions
	rdb     *sqlx.DB // plain reads; the same as db except for file-backed SQLite
	dialect string

	migrateMu sync.Mutex // serialises this process's Migrate calls
}

// Open connects to databaseURL and checks the connection with a ping. It does
// not migrate: call Migrate.
//
// Accepted URLs:
//   - postgres://user:pass@host:5432/db?sslmode=disable (or postgresql://),
//     opened with lib/pq; any lib/pq parameter may be given, e.g. search_path;
//   - sqlite:path/to/file.db (relative or absolute; sqlite:///abs/path also
//     works), opened with WAL, busy_timeout=5000ms and foreign keys on; the
//     file's parent directories are created. Extra driver parameters may
//     follow a '?', e.g. sqlite:x.db?_pragma=cache_size(-20000);
//   - sqlite::memory: for a private in-memory database.
//
// Errors never contain the URL's password.
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	if strings.TrimSpace(databaseURL) == "" {
		return nil, errors.New("store: empty database URL (want postgres://..., postgresql://... or sqlite:...)")
	}
	scheme, rest, ok := strings.Cut(databaseURL, ":")
	if !ok || !schemeRE.MatchString(scheme) {
		return nil, errors.New("store: database URL has no scheme (want postgres://..., postgresql://... or sqlite:...)")
	}
	switch strings.ToLower(scheme) {
	case "postgres", "postgresql":
		return openPostgres(ctx, databaseURL)
	case "sqlite":
		return openSQLite(ctx, rest)
	default:
		return nil, fmt.Errorf("store: unsupported database URL scheme %q (want postgres, postgresql or sqlite)", scheme)
	}
}

var schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*$`)

func openPostgres(ctx context.Context, databaseURL string) (*Store, error) {
	secrets := urlSecrets(databaseURL)
	if _, err := url.Parse(databaseURL); err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // url.Error repeats the whole URL
		}
		return nil, redact(fmt.Errorf("store: invalid postgres URL: %w", err), secrets)
	}
	connector, err := pq.NewConnector(databaseURL)
	if err != nil {
		return nil, redact(fmt.Errorf("store: invalid postgres URL: %w", err), secrets)
	}
	db := sqlx.NewDb(sql.OpenDB(connector), "postgres")
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(10)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, redact(fmt.Errorf("store: connect to postgres: %w", err), secrets)
	}
	return &Store{db: db, rdb: db, dialect: DialectPostgres}, nil
}

func openSQLite(ctx context.Context, rest string) (*Store, error) {
	path, extra, _ := strings.Cut(rest, "?")
	path = strings.TrimPrefix(path, "//") // sqlite:///abs/path, sqlite://rel/path
	if path == "" {
		return nil, errors.New("store: sqlite URL has no path (want sqlite:path/to/file.db or sqlite::memory:)")
	}
	memory := path == ":memory:"
	if !memory {
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("store: create directory for sqlite database: %w", err)
			}
		}
	}
	params := func(p ...string) string {
		q := strings.Join(p, "&")
		if extra != "" {
			q += "&" + extra
		}
		return path + "?" + q
	}
	busy := fmt.Sprintf("_pragma=busy_timeout(%d)", sqliteBusyTimeoutMS)
	writer, err := sqlx.Open("sqlite", params(busy, "_pragma=journal_mode(WAL)", "_pragma=foreign_keys(1)",
		"_pragma=synchronous(NORMAL)", "_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	writer.SetMaxOpenConns(1) // the single writer; see the package doc
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	if err := writer.PingContext(ctx); err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	s := &Store{db: writer, rdb: writer, dialect: DialectSQLite}
	if memory {
		return s, nil
	}
	reader, err := sqlx.Open("sqlite", params(busy, "_pragma=foreign_keys(1)", "_pragma=query_only(1)"))
	if err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("store: open sqlite reader: %w", err)
	}
	n := max(4, runtime.NumCPU())
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)
	if err := reader.PingContext(ctx); err != nil {
		_ = reader.Close()
		_ = writer.Close()
		return nil, fmt.Errorf("store: open sqlite reader %s: %w", path, err)
	}
	s.rdb = reader
	return s, nil
}

// urlSecrets lists the forms in which databaseURL's password could show up
// in an error message.
func urlSecrets(databaseURL string) []string {
	var pw []string
	if u, err := url.Parse(databaseURL); err == nil {
		if p, ok := u.User.Password(); ok {
			pw = append(pw, p)
		}
		pw = append(pw, u.Query()["password"]...)
	} else if _, after, ok := strings.Cut(databaseURL, "://"); ok {
		// Unparseable: take userinfo by hand.
		if at := strings.LastIndex(after, "@"); at >= 0 {
			if _, p, ok := strings.Cut(after[:at], ":"); ok {
				pw = append(pw, p)
			}
		}
	}
	var out []string
	for _, p := range pw {
		if p == "" {
			continue
		}
		out = append(out, p)
		if d, err := url.QueryUnescape(p); err == nil && d != p {
			out = append(out, d)
		}
		if e := url.QueryEscape(p); e != p {
			out = append(out, e)
		}
		if e := url.PathEscape(p); e != p {
			out = append(out, e)
		}
	}
	return out
}

// redact returns err unchanged when its message contains none of secrets;
// otherwise an error with the secrets masked, which still answers errors.Is
// for the original chain but does not expose it through Unwrap.
func redact(err error, secrets []string) error {
	msg := err.Error()
	clean := msg
	for _, s := range secrets {
		clean = strings.ReplaceAll(clean, s, "xxxxx")
	}
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, orig: err}
}

type redactedError struct {
	msg  string
	orig error
}

func (e *redactedError) Error() string        { return e.msg }
func (e *redactedError) Is(target error) bool { return errors.Is(e.orig, target) }

// Dialect reports the SQL dialect: DialectPostgres or DialectSQLite.
func (s *Store) Dialect() string { return s.dialect }

// DB returns the underlying (writer) connection pool, for callers that need a
// query the Store does not offer. On SQLite it has a single connection: do
// not hold it for long.
func (s *Store) DB() *sqlx.DB { return s.db }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	if s.rdb != s.db {
		if err := s.rdb.PingContext(ctx); err != nil {
			return fmt.Errorf("store: ping reader: %w", err)
		}
	}
	return nil
}

// Close closes the connection pools.
func (s *Store) Close() error {
	var errs []error
	if s.rdb != s.db {
		errs = append(errs, s.rdb.Close())
	}
	errs = append(errs, s.db.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Migrate applies the embedded migrations not yet applied and returns their
// versions in order; a second call applies nothing and returns an empty
// slice. The first Migrate that finds no rollups marker rebuilds every
// store's analytics rollups from its data (see RebuildRollups). Concurrent calls are serialised: within the process by a mutex,
// across processes on PostgreSQL by a session advisory lock.
func (s *Store) Migrate(ctx context.Context) (applied []int64, err error) {
	s.migrateMu.Lock()
	defer s.migrateMu.Unlock()
	fsys, err := fs.Sub(migrationsFS, "migrations/"+s.dialect)
	if err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	opts := []goose.ProviderOption{
		goose.WithDisableGlobalRegistry(true),
		goose.WithTableName(versionTable),
	}
	dialect := goose.DialectSQLite3
	if s.dialect == DialectPostgres {
		dialect = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID))
		if err != nil {
			return nil, fmt.Errorf("store: migrate: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	// Not closed: Provider.Close would close s.db.
	p, err := goose.NewProvider(dialect, s.db.DB, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	results, err := p.Up(ctx)
	applied = make([]int64, 0, len(results))
	for _, r := range results {
		if r != nil && r.Source != nil && r.Error == nil {
			applied = append(applied, r.Source.Version)
		}
	}
	if err != nil {
		return applied, fmt.Errorf("store: migrate: %w", err)
	}
	if err := s.rebuildRollupsOnce(ctx); err != nil {
		return applied, fmt.Errorf("store: migrate: %w", err)
	}
	return applied, nil
}

// rebind turns a '?'-placeholder query into the dialect's form.
func (s *Store) rebind(query string) string {
	if s.dialect == DialectPostgres {
		return sqlx.Rebind(sqlx.DOLLAR, query)
	}
	return query
}

// forUpdate is the row-lock suffix for a SELECT inside a transaction; SQLite
// needs none since its transactions hold the database write lock.
func (s *Store) forUpdate() string {
	if s.dialect == DialectPostgres {
		return " FOR UPDATE"
	}
	return ""
}

// queryer is what both *sqlx.DB and *sqlx.Tx offer.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// inTx runs fn in a write transaction, committing when it returns nil and
// rolling back otherwise (also on panic).
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) (err error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	done := false
	defer func() {
		if !done {
			_ = tx.Rollback()
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	done = true
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// now is the default for a zero time.
func now() time.Time { return time.Now() }

// orNow returns t, or the current time when t is zero.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return now()
	}
	return t
}
