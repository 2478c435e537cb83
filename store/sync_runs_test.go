package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestSyncRuns(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if err := s.UpdateSyncProgress(ctx, "s", "manual", ResourceProgress{Resource: "orders"}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("progress without run: %v", err)
		}
		run := SyncRun{StoreHash: "s", Kind: "historical", WorkflowID: "sync/s/historical", StartedAt: t0, HighWater: t0,
			Resources: []ResourceProgress{{Resource: "customers", Total: -1}, {Resource: "orders", Total: -1}}}
		must(t, s.StartSyncRun(ctx, run))

		// Concurrent updates of different resources keep each other.
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := range 20 {
			for _, res := range []string{"customers", "orders"} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- s.UpdateSyncProgress(ctx, "s", "historical", ResourceProgress{Resource: res, Total: 5000,
						Done: int64(i), PagesDone: i, UpdatedAt: t0.Add(time.Duration(i) * time.Second)})
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			must(t, err)
		}
		must(t, s.UpdateSyncProgress(ctx, "s", "historical", ResourceProgress{Resource: "products", Done: 3, Finished: true}))
		got, err := s.SyncRunOf(ctx, "s", "historical")
		must(t, err)
		if got.Status != SyncRunning || got.WorkflowID != "sync/s/historical" || !got.StartedAt.Equal(t0) {
			t.Fatalf("run %+v", got)
		}
		if len(got.Resources) != 3 || got.Resources[0].Resource != "customers" || got.Resources[1].Resource != "orders" ||
			got.Resources[2].Resource != "products" {
			t.Fatalf("resources %+v", got.Resources)
		}
		for _, r := range got.Resources[:2] {
			if r.Total != 5000 {
				t.Fatalf("an update was lost: %+v", got.Resources)
			}
		}
		if got.Resources[2].UpdatedAt.IsZero() {
			t.Fatal("UpdatedAt not defaulted")
		}

		must(t, s.FinishSyncRun(ctx, "s", "historical", SyncCompleted, "", t0.Add(time.Hour)))
		must(t, s.StartSyncRun(ctx, SyncRun{StoreHash: "s", Kind: "manual", StartedAt: t0.Add(2 * time.Hour),
			HighWater: t0.Add(2 * time.Hour)}))
		must(t, s.FinishSyncRun(ctx, "s", "manual", SyncFailed, "boom", t0.Add(3*time.Hour)))
		must(t, s.StartSyncRun(ctx, SyncRun{StoreHash: "s", Kind: "historical", StartedAt: t0.Add(4 * time.Hour),
			HighWater: t0.Add(4 * time.Hour)}))
		must(t, s.StartSyncRun(ctx, SyncRun{StoreHash: "s", Kind: "reconcile-customers", HighWater: t0.Add(5 * time.Hour)}))
		must(t, s.FinishSyncRun(ctx, "s", "reconcile-customers", SyncCompleted, "", time.Time{}))
		must(t, s.StartSyncRun(ctx, SyncRun{StoreHash: "s", Kind: "other", HighWater: t0.Add(9 * time.Hour)}))
		must(t, s.FinishSyncRun(ctx, "s", "other", SyncCompleted, "", time.Time{}))

		runs, err := s.SyncRuns(ctx, "s")
		must(t, err)
		var kinds []string
		for _, r := range runs {
			kinds = append(kinds, r.Kind)
		}
		if fmt.Sprint(kinds) != "[historical manual other reconcile-customers]" {
			t.Fatalf("kinds %v", kinds)
		}
		if runs[1].Status != SyncFailed || runs[1].Error != "boom" || !runs[1].FinishedAt.Equal(t0.Add(3*time.Hour)) {
			t.Fatalf("manual run %+v", runs[1])
		}
		if runs[0].Status != SyncRunning || len(runs[0].Resources) != 0 || !runs[0].FinishedAt.IsZero() {
			t.Fatalf("restarted historical %+v", runs[0])
		}
		if err := s.FinishSyncRun(ctx, "s", "nope", SyncCompleted, "", time.Time{}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("finish absent: %v", err)
		}
		if err := s.FinishSyncRun(ctx, "s", "manual", "weird", "", time.Time{}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("finish with bad status: %v", err)
		}
		if _, err := s.SyncRunOf(ctx, "s", "nope"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("absent run: %v", err)
		}
	})
}
