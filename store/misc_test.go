package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSyncState(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if _, err := s.GetSyncState(ctx, "abc", "orders"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing: %v, want ErrNotFound", err)
		}
		t1 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
		must(t, s.PutSyncState(ctx, SyncState{StoreHash: "abc", Resource: "orders", Cursor: "page=1", UpdatedAt: t1}))
		must(t, s.PutSyncState(ctx, SyncState{StoreHash: "abc", Resource: "customers", Cursor: "c"}))
		must(t, s.PutSyncState(ctx, SyncState{StoreHash: "abc", Resource: "orders", Cursor: "page=2", UpdatedAt: t1.Add(time.Hour)}))
		st, err := s.GetSyncState(ctx, "abc", "orders")
		must(t, err)
		if st.Cursor != "page=2" || !st.UpdatedAt.Equal(t1.Add(time.Hour)) || st.StoreHash != "abc" || st.Resource != "orders" {
			t.Fatalf("after upsert: %+v", st)
		}
		st, err = s.GetSyncState(ctx, "abc", "customers")
		must(t, err)
		if st.Cursor != "c" || st.UpdatedAt.IsZero() {
			t.Fatalf("customers: %+v", st)
		}
		if err := s.PutSyncState(ctx, SyncState{StoreHash: "abc"}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("no resource: %v", err)
		}
	})
}

func TestSuppressions(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		check := func(store, email string, want bool, wantReason string) {
			t.Helper()
			got, reason, err := s.IsSuppressed(ctx, store, email)
			must(t, err)
			if got != want || reason != wantReason {
				t.Errorf("IsSuppressed(%s, %s) = %v %q, want %v %q", store, email, got, reason, want, wantReason)
			}
		}
		check("abc", "ann@example.com", false, "")
		must(t, s.AddSuppression(ctx, Suppression{StoreHash: "abc", Email: " Ann@Example.COM ", Reason: "unsubscribed"}))
		check("abc", "ann@example.com", true, "unsubscribed")
		check("abc", "ANN@EXAMPLE.COM", true, "unsubscribed")
		check("xyz", "ann@example.com", false, "") // another store

		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		must(t, s.AddSuppression(ctx, Suppression{StoreHash: AllStores, Email: "BOB@example.com", Reason: "hard_bounce", At: t0}))
		check("abc", "bob@example.com", true, "hard_bounce")
		check("xyz", "Bob@Example.com", true, "hard_bounce")

		// Upsert: newer reason wins; the newest of store and global is reported.
		must(t, s.AddSuppression(ctx, Suppression{StoreHash: "abc", Email: "bob@example.com", Reason: "unsubscribed", At: t0.Add(time.Hour)}))
		check("abc", "bob@example.com", true, "unsubscribed")
		must(t, s.AddSuppression(ctx, Suppression{StoreHash: AllStores, Email: "bob@example.com", Reason: "spam_complaint", At: t0.Add(2 * time.Hour)}))
		check("abc", "bob@example.com", true, "spam_complaint")

		must(t, s.RemoveSuppression(ctx, "abc", "ANN@example.com"))
		check("abc", "ann@example.com", false, "")

		if err := s.AddSuppression(ctx, Suppression{StoreHash: "abc", Email: "  "}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("empty email: %v", err)
		}
	})
}

func TestGoals(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		g := GoalReached{StoreHash: "abc", OrderID: 1001, CustomerKey: "42", Goal: "cart_recovered", WorkflowID: "wf-1"}
		for i, want := range []bool{true, false, false} {
			fresh, err := s.RecordGoal(ctx, g)
			must(t, err)
			if fresh != want {
				t.Fatalf("call %d: fresh=%v, want %v", i, fresh, want)
			}
		}
		other := g
		other.Goal = "first_order"
		if fresh, err := s.RecordGoal(ctx, other); err != nil || !fresh {
			t.Fatalf("other goal, same order: fresh=%v err=%v", fresh, err)
		}
		if _, err := s.RecordGoal(ctx, GoalReached{StoreHash: "abc", Goal: "x"}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("no order: %v", err)
		}
	})
}
