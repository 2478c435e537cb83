package store

import (
	"context"
	"errors"
	"io/fs"
	"sync"
	"testing"
	"time"

	"github.com/pressly/goose/v3"
)

// migrationProvider is a goose provider of s's embedded migrations, for
// tests that move between versions (no session lock, unlike Migrate).
func migrationProvider(t *testing.T, s *Store) *goose.Provider {
	t.Helper()
	fsys, err := fs.Sub(migrationsFS, "migrations/"+s.dialect)
	must(t, err)
	dialect := goose.DialectSQLite3
	if s.dialect == DialectPostgres {
		dialect = goose.DialectPostgres
	}
	p, err := goose.NewProvider(dialect, s.db.DB, fsys, goose.WithDisableGlobalRegistry(true), goose.WithTableName(versionTable))
	must(t, err)
	return p
}

// migrateTo applies the embedded migrations up to version.
func migrateTo(t *testing.T, s *Store, version int64) {
	t.Helper()
	_, err := migrationProvider(t, s).UpTo(context.Background(), version)
	must(t, err)
}

func TestEventClaims(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		c, err := s.ClaimEvent(ctx, "abc", "order/abc/1/bcorder_new_customer", "bcorder_new_customer", at)
		must(t, err)
		if c.Status != EventClaimed || !c.ClaimedAt.Equal(at) || !c.ConfirmedAt.IsZero() || c.Name != "bcorder_new_customer" {
			t.Fatalf("first claim: %+v", c)
		}
		// A retry after a failed track finds the claim unconfirmed: track again.
		again, err := s.ClaimEvent(ctx, "abc", "order/abc/1/bcorder_new_customer", "bcorder_new_customer", at.Add(time.Minute))
		must(t, err)
		if again.Status != EventClaimed || !again.ClaimedAt.Equal(at) {
			t.Fatalf("second claim: %+v", again)
		}
		must(t, s.ConfirmEvent(ctx, "abc", "order/abc/1/bcorder_new_customer", at.Add(time.Minute)))
		must(t, s.ConfirmEvent(ctx, "abc", "order/abc/1/bcorder_new_customer", at.Add(time.Hour))) // retry: no-op
		done, err := s.ClaimEvent(ctx, "abc", "order/abc/1/bcorder_new_customer", "bcorder_new_customer", at.Add(2*time.Hour))
		must(t, err)
		if done.Status != EventConfirmed || !done.ConfirmedAt.Equal(at.Add(time.Minute)) {
			t.Fatalf("claim after confirm: %+v", done)
		}
		// Keys are per store.
		other, err := s.ClaimEvent(ctx, "xyz", "order/abc/1/bcorder_new_customer", "bcorder_new_customer", at)
		must(t, err)
		if other.Status != EventClaimed {
			t.Fatalf("other store: %+v", other)
		}
		if err := s.ConfirmEvent(ctx, "abc", "nope", at); !errors.Is(err, ErrNotFound) {
			t.Errorf("confirm unknown: %v, want ErrNotFound", err)
		}
		if _, err := s.ClaimEvent(ctx, "abc", "", "x", at); !errors.Is(err, ErrInvalid) {
			t.Errorf("claim without key: %v, want ErrInvalid", err)
		}
		// Concurrent claims store one.
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.ClaimEvent(ctx, "abc", "race", "e", at); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		var n int
		must(t, s.db.GetContext(ctx, &n, s.rebind(`SELECT COUNT(*) FROM event_claims WHERE event_key = ?`), "race"))
		if n != 1 {
			t.Fatalf("%d claims stored, want 1", n)
		}
	})
}
