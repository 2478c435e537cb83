package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestGetGoal(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 2, 15, 0, 0, 123000, time.UTC)
		if _, err := s.GetGoal(ctx, "abc", 7, "BCwelcome"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing goal: %v", err)
		}
		g := GoalReached{StoreHash: "abc", OrderID: 7, CustomerKey: "c:1", Goal: "BCwelcome", WorkflowID: "goals/abc/7", At: at}
		if fresh, err := s.RecordGoal(ctx, g); err != nil || !fresh {
			t.Fatalf("record: fresh=%v err=%v", fresh, err)
		}
		got, err := s.GetGoal(ctx, "abc", 7, "BCwelcome")
		must(t, err)
		if got != g {
			t.Fatalf("got %+v, want %+v", got, g)
		}
	})
}
