package store

import (
	"context"
	"testing"
	"time"
)

// The newest message sent to the shopper by a flow other than the excluded
// one, within [from, to], counts; cart recovery's, other shoppers', unsent
// and flowless (pre-migration) messages do not.
func TestLastFlowMessage(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
		msgs := []struct {
			key, customer, flow, step string
			sentAt                    time.Time // zero: reserved only
		}{
			{"pp/1/thanks", "c:7", "post-purchase", "thanks", t0.Add(-72 * time.Hour)},
			{"review/1/ask", "c:7", "review-request", "ask", t0.Add(-24 * time.Hour)},
			{"cart/1/reminder", "c:7", "cart-recovery", "reminder", t0.Add(-2 * time.Hour)},
			{"old/1/step", "c:7", "", "", t0.Add(-time.Hour)},
			{"win/1/back", "c:8", "win-back", "back", t0.Add(-time.Hour)},
			{"seg/1/hello", "c:7", "segment-flow", "hello", time.Time{}},
			{"later/1/x", "c:7", "loyalty", "x", t0.Add(time.Hour)},
		}
		for _, m := range msgs {
			if _, _, err := s.ReserveMessage(ctx, Message{IdempotencyKey: m.key, StoreHash: "abc", CustomerKey: m.customer,
				Email: "ann@example.com", Channel: ChannelEmail, Flow: m.flow, Step: m.step}); err != nil {
				t.Fatal(err)
			}
			if !m.sentAt.IsZero() {
				must(t, s.MarkMessageSent(ctx, m.key, "p-"+m.key, m.sentAt))
			}
		}
		m, found, err := s.LastFlowMessage(ctx, "abc", "c:7", "cart-recovery", t0.Add(-120*time.Hour), t0)
		if err != nil || !found || m.IdempotencyKey != "review/1/ask" || m.Flow != "review-request" || m.Step != "ask" || !m.SentAt.Equal(t0.Add(-24*time.Hour)) {
			t.Fatalf("last flow message = %+v, %v, %v; want review/1/ask", m, found, err)
		}
		m, found, err = s.LastFlowMessage(ctx, "abc", "c:7", "cart-recovery", t0.Add(-48*time.Hour), t0.Add(-25*time.Hour))
		if err != nil || found {
			t.Fatalf("window without a flow message = %+v, %v, %v; want none", m, found, err)
		}
		m, found, err = s.LastFlowMessage(ctx, "abc", "c:7", "review-request", t0.Add(-120*time.Hour), t0)
		if err != nil || !found || m.IdempotencyKey != "cart/1/reminder" {
			t.Fatalf("excluding review-request = %+v, %v, %v; want cart/1/reminder", m, found, err)
		}
		if _, found, err = s.LastFlowMessage(ctx, "other", "c:7", "", t0.Add(-120*time.Hour), t0); err != nil || found {
			t.Fatalf("another store found %v, %v", found, err)
		}
	})
}

func TestHasDecision(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if ok, err := s.HasDecision(ctx, "recovered/abc/1"); err != nil || ok {
			t.Fatalf("before = %v, %v", ok, err)
		}
		must(t, s.AppendDecision(ctx, Decision{DedupeKey: "recovered/abc/1", StoreHash: "abc", Decision: "recovered", At: time.Now()}))
		if ok, err := s.HasDecision(ctx, "recovered/abc/1"); err != nil || !ok {
			t.Fatalf("after = %v, %v", ok, err)
		}
		if ok, err := s.HasDecision(ctx, "recovered/abc/2"); err != nil || ok {
			t.Fatalf("another key = %v, %v", ok, err)
		}
	})
}
