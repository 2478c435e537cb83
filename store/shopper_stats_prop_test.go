package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// The incremental shopper figures equal a recomputation from scratch after
// every step of random sequences of order upserts (status changes, refunds,
// email and customer changes, stale and out-of-order modification dates),
// customer upserts (email changes) and customer deletions.
func TestShopperStatsProperty(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		seed := uint64(time.Now().UnixNano())
		t.Logf("seed %d", seed)
		rng := rand.New(rand.NewPCG(seed, 12))
		steps := 400
		if testing.Short() {
			steps = 100
		}
		m := newStatsModel()
		ctx := context.Background()
		for step := range steps {
			switch r := rng.IntN(10); {
			case r < 7:
				batch := make([]MirrorOrder, 1+rng.IntN(4))
				for i := range batch {
					batch[i] = m.randomOrder(rng)
				}
				must(t, s.UpsertOrders(ctx, "p", batch))
				for _, o := range batch {
					m.order(o)
				}
			case r < 9:
				c := MirrorCustomer{ID: 1 + rng.Int64N(3), Email: m.randomEmail(rng),
					DateModified: t0.Add(time.Duration(rng.IntN(40)) * time.Minute)}
				must(t, s.UpsertCustomers(ctx, "p", []MirrorCustomer{c}))
				m.customer(c)
			default:
				id := 1 + rng.Int64N(3)
				must(t, s.DeleteMirrorCustomer(ctx, "p", id))
				delete(m.customers, id)
			}
			m.check(t, s, step)
			if t.Failed() {
				t.Fatalf("diverged at step %d (seed %d)", step, seed)
			}
		}
	})
}

type statsModel struct {
	orders    map[int64]MirrorOrder
	customers map[int64]MirrorCustomer
}

func newStatsModel() *statsModel {
	return &statsModel{orders: map[int64]MirrorOrder{}, customers: map[int64]MirrorCustomer{}}
}

var propEmails = []string{"a@x.io", "A@X.io ", "b@x.io", "c@x.io", " C@x.IO", ""}

func (m *statsModel) randomEmail(rng *rand.Rand) string { return propEmails[rng.IntN(len(propEmails))] }

func (m *statsModel) randomOrder(rng *rand.Rand) MirrorOrder {
	statuses := []int{0, 1, 2, 4, 5, 6, 10, 11, 14}
	total := Money(rng.Int64N(100)) * 2500
	o := MirrorOrder{ID: 1 + rng.Int64N(10), Email: m.randomEmail(rng), StatusID: statuses[rng.IntN(len(statuses))],
		TotalIncTax: total, DateCreated: t0.Add(time.Duration(rng.IntN(5)) * 24 * time.Hour),
		DateModified: t0.Add(time.Duration(rng.IntN(60)) * time.Minute)}
	if rng.IntN(3) == 0 {
		o.RefundedAmount = Money(rng.Int64N(int64(total) + 1))
	}
	if rng.IntN(2) == 0 {
		o.CustomerID = 1 + rng.Int64N(4) // 4 is never a mirrored customer
	}
	return o
}

func (m *statsModel) order(o MirrorOrder) {
	if old, ok := m.orders[o.ID]; ok && o.DateModified.Before(old.DateModified) {
		return
	}
	m.orders[o.ID] = o
}

func (m *statsModel) customer(c MirrorCustomer) {
	if old, ok := m.customers[c.ID]; ok && c.DateModified.Before(old.DateModified) {
		return
	}
	m.customers[c.ID] = c
}

// expected recomputes every shopper's figures from the accepted orders.
func (m *statsModel) expected() map[string]ShopperStats {
	out := map[string]ShopperStats{}
	for _, o := range m.orders {
		key := ""
		if c, ok := m.customers[o.CustomerID]; ok && o.CustomerID != 0 {
			key = emailKey(c.Email)
		}
		if key == "" {
			key = emailKey(o.Email)
		}
		if key == "" || !CountsTowardsSpend(o.StatusID) {
			continue
		}
		st := out[key]
		st.Email = key
		st.OrdersCount++
		st.TotalSpent += max(0, o.TotalIncTax-o.RefundedAmount)
		if st.FirstOrderAt.IsZero() || o.DateCreated.Before(st.FirstOrderAt) {
			st.FirstOrderAt = o.DateCreated
		}
		if o.DateCreated.After(st.LastOrderAt) {
			st.LastOrderAt = o.DateCreated
		}
		out[key] = st
	}
	return out
}

func (m *statsModel) check(t *testing.T, s *Store, step int) {
	t.Helper()
	want := m.expected()
	rows, err := s.DB().Query(`SELECT email_lc, customer_id, orders_count, total_spent, first_order_at, last_order_at
		FROM shopper_stats WHERE store_hash = 'p'`)
	must(t, err)
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var st ShopperStats
		must(t, rows.Scan(&st.Email, &st.CustomerID, &st.OrdersCount, &st.TotalSpent, (*dbTime)(&st.FirstOrderAt),
			(*dbTime)(&st.LastOrderAt)))
		seen[st.Email] = true
		w := want[st.Email]
		if st.OrdersCount != w.OrdersCount || st.TotalSpent != w.TotalSpent || !st.FirstOrderAt.Equal(w.FirstOrderAt) ||
			!st.LastOrderAt.Equal(w.LastOrderAt) {
			t.Errorf("step %d shopper %q: got %d orders %v spent %v..%v, want %d orders %v spent %v..%v", step, st.Email,
				st.OrdersCount, st.TotalSpent, st.FirstOrderAt, st.LastOrderAt, w.OrdersCount, w.TotalSpent,
				w.FirstOrderAt, w.LastOrderAt)
		}
		// The customer id of a registered customer's email is that
		// customer's (when exactly one customer has the email).
		var owners []int64
		for id, c := range m.customers {
			if emailKey(c.Email) == st.Email {
				owners = append(owners, id)
			}
		}
		if len(owners) == 1 && st.CustomerID != owners[0] {
			t.Errorf("step %d shopper %q: customer id %d, want %d", step, st.Email, st.CustomerID, owners[0])
		}
	}
	must(t, rows.Err())
	for k, w := range want {
		if !seen[k] {
			t.Errorf("step %d: no row for shopper %q (want %+v)", step, k, w)
		}
	}
}

// Pages larger than one statement's parameter budget (several chunks on
// both dialects) keep the figures exact, on insert and on update.
func TestShopperStatsLargePages(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		m := newStatsModel()
		custs := make([]MirrorCustomer, 0, 700)
		for i := range int64(700) {
			custs = append(custs, MirrorCustomer{ID: i + 1, Email: fmt.Sprintf("shopper%d@example.com", i%150),
				DateModified: t0})
		}
		must(t, s.UpsertCustomers(ctx, "p", custs))
		for _, c := range custs {
			m.customer(c)
		}
		for round := range 3 {
			page := benchOrderPage(1, t0.Add(time.Duration(round)*time.Hour))
			page = append(page, benchOrderPage(251, t0.Add(time.Duration(round)*time.Hour))...)
			page = append(page, benchOrderPage(501, t0.Add(time.Duration(round)*time.Hour))...)
			for i := range page {
				page[i].StatusID = []int{4, 11, 0}[(i+round)%3]
				page[i].CustomerID = int64((i + round) % 800) // some not mirrored
				page[i].DateCreated = t0.Add(time.Duration((i*7+round)%40) * time.Hour)
			}
			must(t, s.UpsertOrders(ctx, "p", page))
			for _, o := range page {
				m.order(o)
			}
			m.check(t, s, round)
		}
		counts, err := s.MirrorCounts(ctx, "p")
		must(t, err)
		if counts.Orders != 750 || counts.OrderLines != 1500 || counts.Customers != 700 {
			t.Fatalf("counts %+v", counts)
		}
	})
}

// Concurrent order and customer upserts of one store (webhooks racing a
// sync's pages) leave the figures equal to a recomputation from the newest
// version of every row.
func TestShopperStatsConcurrent(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		const workers, rounds = 4, 15
		batches := make([][][]MirrorOrder, workers)
		custs := make([][]MirrorCustomer, workers)
		m := newStatsModel()
		seq := 0
		for w := range workers {
			rng := rand.New(rand.NewPCG(uint64(w), 99))
			for range rounds {
				batch := make([]MirrorOrder, 1+rng.IntN(6))
				for i := range batch {
					batch[i] = m.randomOrder(rng)
					seq++ // unique modification dates: the newest is unambiguous
					batch[i].DateModified = t0.Add(time.Duration(rng.IntN(1000))*time.Minute + time.Duration(seq)*time.Microsecond)
				}
				batches[w] = append(batches[w], batch)
				seq++
				custs[w] = append(custs[w], MirrorCustomer{ID: 1 + rng.Int64N(3), Email: m.randomEmail(rng),
					DateModified: t0.Add(time.Duration(rng.IntN(1000))*time.Minute + time.Duration(seq)*time.Microsecond)})
			}
		}
		errs := make(chan error, workers)
		for w := range workers {
			go func() {
				for r := range rounds {
					if err := s.UpsertOrders(ctx, "p", batches[w][r]); err != nil {
						errs <- err
						return
					}
					if err := s.UpsertCustomers(ctx, "p", custs[w][r:r+1]); err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}()
		}
		for range workers {
			must(t, <-errs)
		}
		for w := range workers {
			for r := range rounds {
				for _, o := range batches[w][r] {
					m.order(o)
				}
				m.customer(custs[w][r])
			}
		}
		m.check(t, s, -1)
	})
}
