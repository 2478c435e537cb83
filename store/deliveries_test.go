package store

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestDeliveries(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		d := Delivery{StoreHash: "abc", Scope: "store/cart/updated", Hash: "h1", CreatedAt: 1700000000, PayloadDigest: "sha256:x"}

		fresh, err := s.RecordDelivery(ctx, d)
		must(t, err)
		if !fresh {
			t.Fatal("first delivery not fresh")
		}
		fresh, err = s.RecordDelivery(ctx, d)
		must(t, err)
		if fresh {
			t.Fatal("redelivery seen as fresh")
		}

		// BigCommerce reuses the hash for every update of one cart: a later
		// created_at is a new event.
		d2 := d
		d2.CreatedAt++
		fresh, err = s.RecordDelivery(ctx, d2)
		must(t, err)
		if !fresh {
			t.Fatal("same hash, different created_at not fresh")
		}
		// Other scope or store with the same hash: fresh too.
		d3 := d
		d3.Scope = "store/cart/created"
		if fresh, err = s.RecordDelivery(ctx, d3); err != nil || !fresh {
			t.Fatalf("other scope: fresh=%v err=%v", fresh, err)
		}

		got, err := s.GetDelivery(ctx, d.Key())
		must(t, err)
		if got.Outcome != DeliveryReceived || got.PayloadDigest != "sha256:x" || got.ReceivedAt.IsZero() {
			t.Fatalf("stored delivery %+v", got)
		}

		must(t, s.MarkDeliveryOutcome(ctx, d.Key(), "started"))
		got, err = s.GetDelivery(ctx, d.Key())
		must(t, err)
		if got.Outcome != "started" {
			t.Fatalf("outcome = %q", got.Outcome)
		}
		missing := DeliveryKey{StoreHash: "abc", Scope: "x", Hash: "nope", CreatedAt: 1}
		if err := s.MarkDeliveryOutcome(ctx, missing, "x"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("mark missing: %v, want ErrNotFound", err)
		}
		if _, err := s.GetDelivery(ctx, missing); !errors.Is(err, ErrNotFound) {
			t.Fatalf("get missing: %v, want ErrNotFound", err)
		}

		// Temporal rejected the event: delete, and the retry is fresh.
		must(t, s.DeleteDelivery(ctx, d.Key()))
		must(t, s.DeleteDelivery(ctx, d.Key())) // idempotent
		if fresh, err = s.RecordDelivery(ctx, d); err != nil || !fresh {
			t.Fatalf("after delete: fresh=%v err=%v", fresh, err)
		}

		if _, err := s.RecordDelivery(ctx, Delivery{Hash: "h"}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("missing store/scope: %v, want ErrInvalid", err)
		}
	})
}

func TestPruneDeliveries(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		base := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
		for i := range 5 {
			_, err := s.RecordDelivery(ctx, Delivery{StoreHash: "abc", Scope: "store/order/created", Hash: "h",
				CreatedAt: int64(i), ReceivedAt: base.Add(time.Duration(i) * 24 * time.Hour)})
			must(t, err)
		}
		n, err := s.PruneDeliveries(ctx, base.Add(2*24*time.Hour)) // strictly older: days 0 and 1
		must(t, err)
		if n != 2 {
			t.Fatalf("pruned %d, want 2", n)
		}
		for i, wantGone := range []bool{true, true, false, false, false} {
			_, err := s.GetDelivery(ctx, DeliveryKey{StoreHash: "abc", Scope: "store/order/created", Hash: "h", CreatedAt: int64(i)})
			if gone := errors.Is(err, ErrNotFound); gone != wantGone {
				t.Errorf("delivery %d: gone=%v want %v (err %v)", i, gone, wantGone, err)
			}
		}
	})
}

// TestClaimDeliveryIsAtomic: of many concurrent claims of one delivery
// exactly one wins; an accepted delivery is never claimed again; a claim
// left by a crashed dispatcher is taken over only once it is stale; a
// released claim is claimed again.
func TestClaimDeliveryIsAtomic(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		d := Delivery{StoreHash: "abc", Scope: "store/cart/updated", Hash: "h1/msg_1", CreatedAt: 1700000000}
		long := time.Now().Add(-time.Hour) // claims newer than this are in flight
		const n = 8
		var wins atomic.Int32
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				claimed, err := s.ClaimDelivery(ctx, d, long)
				if err != nil {
					errs <- err
					return
				}
				if claimed {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if wins.Load() != 1 {
			t.Fatalf("%d of %d concurrent claims won, want exactly 1", wins.Load(), n)
		}

		// The in-flight claim is stale once its dispatcher is given up on.
		if claimed, err := s.ClaimDelivery(ctx, d, time.Now().Add(time.Minute)); err != nil || !claimed {
			t.Fatalf("stale claim not taken over: %v %v", claimed, err)
		}
		// Accepted: never claimed again, however old.
		must(t, s.MarkDeliveryOutcome(ctx, d.Key(), DeliveryAccepted))
		if claimed, err := s.ClaimDelivery(ctx, d, time.Now().Add(time.Hour)); err != nil || claimed {
			t.Fatalf("accepted delivery claimed again: %v %v", claimed, err)
		}
		// Released after a failed dispatch: the retry claims it.
		d2 := d
		d2.Hash = "h1/msg_2"
		if claimed, err := s.ClaimDelivery(ctx, d2, long); err != nil || !claimed {
			t.Fatalf("first claim: %v %v", claimed, err)
		}
		must(t, s.DeleteDelivery(ctx, d2.Key()))
		if claimed, err := s.ClaimDelivery(ctx, d2, long); err != nil || !claimed {
			t.Fatalf("released claim not claimed again: %v %v", claimed, err)
		}
		if _, err := s.ClaimDelivery(ctx, Delivery{Hash: "h"}, long); !errors.Is(err, ErrInvalid) {
			t.Fatalf("missing store/scope: %v, want ErrInvalid", err)
		}
	})
}
