package store

import (
	"context"
	"testing"
	"time"
)

// A decision's channel and amount and a message's flow and step round-trip.
func TestAnalyticsFieldsRoundTrip(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
		must(t, s.AppendDecision(ctx, Decision{StoreHash: "s", WorkflowID: "w", Flow: "cart-recovery", Step: "r1",
			Decision: "recovered", At: at, ChannelID: 7, Amount: 1234500}))
		ds, err := s.ListDecisions(ctx, DecisionFilter{StoreHash: "s"})
		must(t, err)
		if len(ds) != 1 || ds[0].ChannelID != 7 || ds[0].Amount != 1234500 {
			t.Fatalf("decisions: %+v", ds)
		}
		m, ok, err := s.ReserveMessage(ctx, Message{IdempotencyKey: "k", StoreHash: "s", Channel: ChannelEmail,
			Flow: "cart-recovery", Step: "r1"})
		must(t, err)
		if !ok || m.Flow != "cart-recovery" || m.Step != "r1" {
			t.Fatalf("reserved: %v %+v", ok, m)
		}
		got, err := s.GetMessage(ctx, "k")
		must(t, err)
		if got.Flow != "cart-recovery" || got.Step != "r1" {
			t.Fatalf("GetMessage: %+v", got)
		}
	})
}
