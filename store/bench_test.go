package store

import (
	"context"
	"fmt"
	"testing"
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
