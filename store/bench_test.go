package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// forEachDialectB is forEachDialect for benchmarks.
func forEachDialectB(b *testing.B, fn func(b *testing.B, s *Store)) {
	b.Run(DialectSQLite, func(b *testing.B) {
		fn(b, openBench(b, "sqlite:"+b.TempDir()+"/bench.db"))
	})
	b.Run(DialectPostgres, func(b *testing.B) {
		fn(b, openBench(b, postgresSchemaURL(b)))
	})
}

func openBench(b *testing.B, dsn string) *Store {
	b.Helper()
	s, err := Open(context.Background(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkRecordDelivery measures the webhook dedupe insert, fresh and
// duplicate alternating, from parallel goroutines.
func BenchmarkRecordDelivery(b *testing.B) {
	forEachDialectB(b, func(b *testing.B, s *Store) {
		ctx := context.Background()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			id := fmt.Sprintf("%p", pb)
			for pb.Next() {
				i++
				if _, err := s.RecordDelivery(ctx, Delivery{StoreHash: "abc", Scope: "store/cart/updated", Hash: id, CreatedAt: int64(i / 2)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkReserveMessage measures reservation of fresh keys.
func BenchmarkReserveMessage(b *testing.B) {
	forEachDialectB(b, func(b *testing.B, s *Store) {
		ctx := context.Background()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			id := fmt.Sprintf("%p", pb)
			for pb.Next() {
				i++
				if _, _, err := s.ReserveMessage(ctx, Message{IdempotencyKey: fmt.Sprintf("%s/%d", id, i), StoreHash: "abc", CustomerKey: "1", Channel: ChannelEmail}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkAppendDecision measures the decision log's write with its
// rollups (the row of the decision's channel and of the whole store, and a
// workflow's first decision counted as an entry), from parallel goroutines
// each writing the decisions of its own workflows, a few per workflow as the
// flows do.
func BenchmarkAppendDecision(b *testing.B) {
	forEachDialectB(b, func(b *testing.B, s *Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
		decisions := []string{DecisionSkipped, DecisionSent, DecisionDeferred, DecisionSent}
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			id := fmt.Sprintf("%p", pb)
			for pb.Next() {
				i++
				if err := s.AppendDecision(ctx, Decision{StoreHash: "abc", WorkflowID: fmt.Sprintf("cart/abc/%s-%d", id, i/4),
					Flow: "cart-recovery", Step: fmt.Sprint("reminder-", i%4), Decision: decisions[i%4], Reason: "quiet hours",
					ChannelID: 1, At: at.Add(time.Duration(i) * time.Second)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
