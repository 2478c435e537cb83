package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestReserveMessage(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		m := Message{IdempotencyKey: "wf-1/step-2", StoreHash: "abc", ChannelID: 1, CustomerKey: "42",
			Email: " ann@example.com ", Channel: ChannelEmail, Template: "cart-1"}

		got, reserved, err := s.ReserveMessage(ctx, m)
		must(t, err)
		if !reserved || got.Status != MessageReserved || got.ID == 0 || got.Email != "ann@example.com" || got.CreatedAt.IsZero() {
			t.Fatalf("first reserve: reserved=%v %+v", reserved, got)
		}
		again, reserved, err := s.ReserveMessage(ctx, m)
		must(t, err)
		if reserved || again.ID != got.ID || again.Status != MessageReserved {
			t.Fatalf("second reserve: reserved=%v %+v", reserved, again)
		}

		sentAt := time.Now()
		must(t, s.MarkMessageSent(ctx, m.IdempotencyKey, "brevo-123", sentAt))
		must(t, s.MarkMessageSent(ctx, m.IdempotencyKey, "brevo-123", sentAt)) // retry: no-op
		// A late refusal or unknown report does not undo a send.
		must(t, s.MarkMessageRefused(ctx, m.IdempotencyKey, "invalid", time.Now()))
		must(t, s.MarkMessageUnknown(ctx, m.IdempotencyKey, "timeout", time.Now()))
		sent, err := s.GetMessage(ctx, m.IdempotencyKey)
		must(t, err)
		if sent.Status != MessageSent || sent.ProviderMessageID != "brevo-123" || !sent.SentAt.Equal(normTime(sentAt)) {
			t.Fatalf("after sent: %+v", sent)
		}
		// Reserving a sent key returns it, so the caller does not resend.
		again, reserved, err = s.ReserveMessage(ctx, m)
		must(t, err)
		if reserved || again.Status != MessageSent {
			t.Fatalf("reserve after send: reserved=%v %+v", reserved, again)
		}

		m2 := m
		m2.IdempotencyKey = "wf-1/step-3"
		_, _, err = s.ReserveMessage(ctx, m2)
		must(t, err)
		must(t, s.MarkMessageRefused(ctx, m2.IdempotencyKey, "HTTP 400 invalid_parameter: recipient is not valid", time.Now()))
		refused, err := s.GetMessage(ctx, m2.IdempotencyKey)
		must(t, err)
		if refused.Status != MessageRefused || refused.Error != "HTTP 400 invalid_parameter: recipient is not valid" {
			t.Fatalf("after refused: %+v", refused)
		}

		for _, err := range []error{
			s.MarkMessageSent(ctx, "nope", "x", time.Now()),
			s.MarkMessageRefused(ctx, "nope", "x", time.Now()),
			s.MarkMessageUnknown(ctx, "nope", "x", time.Now()),
			func() error { _, err := s.StartMessageAttempt(ctx, "nope", time.Now()); return err }(),
			func() error { _, err := s.ReleaseMessage(ctx, "nope", "x", time.Now()); return err }(),
			func() error { _, err := s.GetMessage(ctx, "nope"); return err }(),
		} {
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("unknown key: %v, want ErrNotFound", err)
			}
		}
		bad := m
		bad.IdempotencyKey, bad.Channel = "k", "pigeon"
		if _, _, err := s.ReserveMessage(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("unknown channel: %v, want ErrInvalid", err)
		}
		bad.Channel, bad.IdempotencyKey = ChannelSMS, ""
		if _, _, err := s.ReserveMessage(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("no key: %v, want ErrInvalid", err)
		}
	})
}

func TestReserveMessageConcurrent(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		const n = 16
		for round := range 3 {
			key := fmt.Sprintf("wf-race/%d", round)
			var wg sync.WaitGroup
			start := make(chan struct{})
			reservedCount := make(chan bool, n)
			ids := make(chan int64, n)
			errs := make(chan error, n)
			for range n {
				wg.Go(func() {
					<-start
					m, reserved, err := s.ReserveMessage(ctx, Message{IdempotencyKey: key, StoreHash: "abc", CustomerKey: "1", Channel: ChannelEmail})
					if err != nil {
						errs <- err
						return
					}
					reservedCount <- reserved
					ids <- m.ID
				})
			}
			close(start)
			wg.Wait()
			close(errs)
			close(reservedCount)
			close(ids)
			for err := range errs {
				t.Fatal(err)
			}
			winners := 0
			for r := range reservedCount {
				if r {
					winners++
				}
			}
			if winners != 1 {
				t.Fatalf("round %d: %d goroutines reserved the key, want exactly 1", round, winners)
			}
			first := int64(-1)
			for id := range ids {
				if first == -1 {
					first = id
				}
				if id != first {
					t.Fatalf("round %d: callers saw different rows %d and %d", round, first, id)
				}
			}
		}
	})
}

func TestCountMessagesSince(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		base := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
		add := func(key, customer, channel string, at time.Time) {
			t.Helper()
			_, _, err := s.ReserveMessage(ctx, Message{IdempotencyKey: key, StoreHash: "abc", CustomerKey: customer, Channel: channel, CreatedAt: at})
			must(t, err)
		}
		add("1", "c1", ChannelEmail, base.Add(-48*time.Hour)) // too old
		add("2", "c1", ChannelEmail, base)                    // exactly at since: counts
		add("3", "c1", ChannelEmail, base.Add(time.Hour))
		add("4", "c1", ChannelSMS, base.Add(time.Hour))
		add("5", "c2", ChannelEmail, base.Add(time.Hour)) // other customer
		add("6", "c1", ChannelEmail, base.Add(2*time.Hour))
		must(t, s.MarkMessageRefused(ctx, "6", "invalid", base.Add(2*time.Hour))) // refused: not counted
		must(t, s.MarkMessageSent(ctx, "3", "p", base.Add(time.Hour)))

		for _, c := range []struct {
			channel string
			want    int
		}{{ChannelEmail, 2}, {ChannelSMS, 1}, {"", 3}, {ChannelWhatsApp, 0}} {
			n, err := s.CountMessagesSince(ctx, "abc", "c1", c.channel, base)
			must(t, err)
			if n != c.want {
				t.Errorf("channel %q: count %d, want %d", c.channel, n, c.want)
			}
		}
	})
}

func TestMessageStateMachine(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		status := func(key string) string {
			t.Helper()
			m, err := s.GetMessage(ctx, key)
			must(t, err)
			return m.Status
		}
		_, _, err := s.ReserveMessage(ctx, Message{IdempotencyKey: "k", StoreHash: "abc", Channel: ChannelSMS})
		must(t, err)
		started, err := s.StartMessageAttempt(ctx, "k", time.Now())
		must(t, err)
		if !started || status("k") != MessageAttempting {
			t.Fatalf("start: %v, %s", started, status("k"))
		}
		// A second attempt cannot take a message already in flight.
		if again, err := s.StartMessageAttempt(ctx, "k", time.Now()); err != nil || again {
			t.Fatalf("second start: %v, %v", again, err)
		}
		// The request never left: back to reserved, the next attempt takes it.
		released, err := s.ReleaseMessage(ctx, "k", "connection refused", time.Now())
		must(t, err)
		if !released || status("k") != MessageReserved {
			t.Fatalf("release: %v, %s", released, status("k"))
		}
		if again, _ := s.ReleaseMessage(ctx, "k", "x", time.Now()); again {
			t.Fatal("released a message that was not attempting")
		}
		started, err = s.StartMessageAttempt(ctx, "k", time.Now())
		must(t, err)
		if !started {
			t.Fatal("a released message could not be attempted again")
		}
		must(t, s.MarkMessageUnknown(ctx, "k", "timeout after the request left", time.Now()))
		if status("k") != MessageUnknown {
			t.Fatalf("unknown: %s", status("k"))
		}
		// Unknown is never attempted again...
		if again, _ := s.StartMessageAttempt(ctx, "k", time.Now()); again {
			t.Fatal("an unknown message was attempted again")
		}
		// ...but a late answer from the provider is the truth.
		must(t, s.MarkMessageSent(ctx, "k", "p1", time.Now()))
		if status("k") != MessageSent {
			t.Fatalf("sent: %s", status("k"))
		}
		if again, _ := s.StartMessageAttempt(ctx, "k", time.Now()); again {
			t.Fatal("a sent message was attempted again")
		}
	})
}

// Rows written as 'failed' before the state machine become 'unknown' when
// they were uncertain and 'refused' otherwise.
func TestMigrateFailedMessages(t *testing.T) {
	forEachDialectOpt(t, false, func(t *testing.T, s *Store) {
		ctx := context.Background()
		migrateTo(t, s, 2)
		for key, reason := range map[string]string{"u": "uncertain: brevo SendSMS: timeout", "r": "brevo SendSMS: HTTP 400 invalid"} {
			_, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO messages (idempotency_key, store_hash, channel, status, error, created_at, updated_at)
				VALUES (?, 'abc', 'sms', 'failed', ?, ?, ?)`), key, reason, s.tv(time.Now()), s.tv(time.Now()))
			must(t, err)
		}
		_, err := s.Migrate(ctx)
		must(t, err)
		for key, want := range map[string]string{"u": MessageUnknown, "r": MessageRefused} {
			m, err := s.GetMessage(ctx, key)
			must(t, err)
			if m.Status != want {
				t.Errorf("%s: status %s, want %s", key, m.Status, want)
			}
		}
	})
}
