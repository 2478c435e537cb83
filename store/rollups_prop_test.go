package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/bcflow/bcflow/config"
)

// rollupSnapshot reads every non-zero rollup row of a store, as text lines
// (channel, kind, day, keys, n, amount), sorted.
func rollupSnapshot(t *testing.T, s *Store, storeHash string) []string {
	t.Helper()
	rows, err := s.DB().Query(s.rebind(`SELECT channel_id, kind, day, k1, k2, k3, k4, n, amount FROM rollups
		WHERE store_hash = ? AND (n <> 0 OR amount <> 0)`), storeHash)
	must(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var ch, n, amount int64
		var kind, day, k1, k2, k3, k4 string
		must(t, rows.Scan(&ch, &kind, &day, &k1, &k2, &k3, &k4, &n, &amount))
		out = append(out, fmt.Sprintf("ch=%d %s %s [%s|%s|%s|%s] n=%d amount=%d", ch, kind, day, k1, k2, k3, k4, n, amount))
	}
	must(t, rows.Err())
	slices.Sort(out)
	return out
}

// checkRollupsAgree compares the incrementally kept rollups of a store with
// RebuildRollups' recomputation from the base tables.
func checkRollupsAgree(t *testing.T, s *Store, storeHash string) {
	t.Helper()
	incremental := rollupSnapshot(t, s, storeHash)
	must(t, s.RebuildRollups(context.Background(), storeHash))
	rebuilt := rollupSnapshot(t, s, storeHash)
	if !slices.Equal(incremental, rebuilt) {
		var only []string
		for _, r := range incremental {
			if !slices.Contains(rebuilt, r) {
				only = append(only, "incremental only: "+r)
			}
		}
		for _, r := range rebuilt {
			if !slices.Contains(incremental, r) {
				only = append(only, "rebuilt only:     "+r)
			}
		}
		t.Fatalf("rollups differ from their recomputation (%d vs %d rows):\n%s", len(incremental), len(rebuilt),
			fmt.Sprint(only))
	}
}

// After a random sequence of every kind of write the rollups count, the
// incrementally kept rollups equal RebuildRollups' recomputation.
func TestRollupsMatchRecomputation(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for seed := range uint64(4) {
			store := fmt.Sprintf("prop%d", seed)
			r := rand.New(rand.NewPCG(seed, 14))
			randomRollupWrites(t, ctx, s, store, r, 250)
			checkRollupsAgree(t, s, store)
			if len(rollupSnapshot(t, s, store)) < 20 {
				t.Fatalf("seed %d: too few rollup rows to prove anything", seed)
			}
		}
	})
}

func randomRollupWrites(t *testing.T, ctx context.Context, s *Store, store string, r *rand.Rand, steps int) {
	t.Helper()
	base := time.Date(2026, 5, 1, 22, 0, 0, 0, time.UTC)
	day := func() time.Time { return base.Add(time.Duration(r.IntN(5*24*60)) * time.Minute) }
	channels := []int64{0, 1, 2}
	flows := []string{"cart-recovery", "post-purchase", "winback"}
	steps1 := []string{"reminder-1", "reminder-2", HoldoutStep}
	decisions := []string{DecisionSent, DecisionSkipped, DecisionDeferred, "recovered", "converted", "assigned", "failed"}
	reasons := []string{"", "quiet hours", "holdout", "messaged"}
	var dedupeKeys, providerIDs []string
	segQ, err := s.CompileSegment(config.Rule{OrdersCount: &config.NumberRange{AtLeast: ptr(2.0)}}, SegmentEnv{Now: base})
	must(t, err)
	msgN := 0
	for i := range steps {
		switch op := r.IntN(10); op {
		case 0: // customers, new or changed
			var cs []MirrorCustomer
			for range 1 + r.IntN(3) {
				id := int64(1 + r.IntN(8))
				var chans []int
				for _, c := range []int{1, 2, 1} {
					if r.IntN(2) == 0 {
						chans = append(chans, c)
					}
				}
				created := day()
				if r.IntN(8) == 0 {
					created = time.Time{}
				}
				cs = append(cs, MirrorCustomer{ID: id, Email: fmt.Sprintf("C%d@x.test", id%5), ChannelIDs: chans,
					DateCreated: created, DateModified: base.Add(time.Duration(i) * time.Second)})
			}
			must(t, s.UpsertCustomers(ctx, store, cs))
		case 1:
			if r.IntN(3) == 0 {
				must(t, s.DeleteMirrorCustomer(ctx, store, int64(1+r.IntN(8))))
			} else if r.IntN(2) == 0 {
				must(t, s.DeleteMirrorOrder(ctx, store, int64(1+r.IntN(30))))
			}
		case 2, 3: // orders: new, updated, refunded, cancelled
			var os []MirrorOrder
			for range 1 + r.IntN(4) {
				id := int64(1 + r.IntN(30))
				total := Money(r.IntN(100000) * 100)
				o := MirrorOrder{ID: id, CustomerID: int64(r.IntN(9)), Email: fmt.Sprintf("g%d@x.test", id%7),
					ChannelID: channels[r.IntN(3)], StatusID: []int{2, 10, 11, 4, 5, 0}[r.IntN(6)], TotalIncTax: total,
					DateCreated: day(), DateModified: base.Add(time.Duration(i) * time.Second)}
				if r.IntN(3) == 0 {
					o.RefundedAmount = total / 2
				}
				os = append(os, o)
			}
			must(t, s.UpsertOrders(ctx, store, os))
		case 4, 5: // decisions, with duplicates
			d := Decision{StoreHash: store, WorkflowID: fmt.Sprintf("w%d", r.IntN(12)), Flow: flows[r.IntN(3)],
				Step: steps1[r.IntN(3)], Decision: decisions[r.IntN(len(decisions))], Reason: reasons[r.IntN(4)],
				At: day(), ChannelID: channels[r.IntN(3)], Amount: Money(r.IntN(5000) * 100)}
			if r.IntN(6) == 0 {
				d.WorkflowID = ""
			}
			if len(dedupeKeys) > 0 && r.IntN(4) == 0 {
				d.DedupeKey = dedupeKeys[r.IntN(len(dedupeKeys))] // a retry: counts nothing
			} else {
				d.DedupeKey = fmt.Sprintf("k%d", i)
				dedupeKeys = append(dedupeKeys, d.DedupeKey)
			}
			must(t, s.AppendDecision(ctx, d))
		case 6: // ledger
			e := LedgerEntry{StoreHash: store, CustomerID: int64(1 + r.IntN(4)), ChannelID: channels[r.IntN(3)],
				Kind:   []string{LedgerAward, LedgerBonus, LedgerRedemption, LedgerAdjustment, LedgerReversal}[r.IntN(5)],
				Points: int64(1 + r.IntN(300)), CreatedAt: day(), IdempotencyKey: fmt.Sprintf("l%d", i)}
			if r.IntN(2) == 0 {
				e.OrderID = int64(1 + r.IntN(10))
				if r.IntN(3) == 0 {
					e.IdempotencyKey = "" // derived: a second award of the order is a duplicate
				}
			}
			if e.Kind == LedgerAdjustment && r.IntN(2) == 0 {
				e.Points = -e.Points
			}
			if _, err := s.AppendLedger(ctx, e); err != nil && !errors.Is(err, ErrInsufficientPoints) {
				t.Fatal(err)
			}
		case 7: // messages sent
			msgN++
			key := fmt.Sprintf("%s/m%d", store, msgN)
			_, _, err := s.ReserveMessage(ctx, Message{IdempotencyKey: key, StoreHash: store, ChannelID: channels[r.IntN(3)],
				Channel: ChannelEmail, Flow: flows[r.IntN(3)], Step: steps1[r.IntN(2)], CreatedAt: day()})
			must(t, err)
			if r.IntN(4) > 0 {
				pid := fmt.Sprintf("<%s@brevo>", key)
				must(t, s.MarkMessageSent(ctx, key, pid, day()))
				providerIDs = append(providerIDs, pid)
			} else {
				providerIDs = append(providerIDs, "never-sent")
			}
		case 8: // engagement events, repeated ones and unknown ids
			if len(providerIDs) == 0 {
				continue
			}
			ev := []string{EventDelivered, EventOpened, EventClicked}[r.IntN(3)]
			if _, err := s.RecordMessageEvent(ctx, providerIDs[r.IntN(len(providerIDs))], ev, day()); err != nil {
				t.Fatal(err)
			}
		case 9: // segment crossings
			at := base.Add(time.Duration(i) * time.Hour)
			if r.IntN(2) == 0 {
				_, err = s.EvaluateSegment(ctx, store, "repeat", segQ, SegmentScope{}, at)
			} else {
				_, err = s.EvaluateSegments(ctx, store, map[string]*SegmentQuery{"repeat": segQ},
					[]string{"g1@x.test", "g2@x.test", "c1@x.test"}, at)
			}
			must(t, err)
			if r.IntN(10) == 0 {
				_, err = s.DropSegment(ctx, store, "repeat", at.Add(time.Minute))
				must(t, err)
			}
		}
	}
}
