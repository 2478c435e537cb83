package bcemu

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
)

// BulkOptions generates historical data: Customers new customers and Orders
// orders placed between From and To (default: the 90 days before now) by
// random customers (about one in five a guest), from a seeded random source
// so that the same options give the same data. Bulk data fires no webhooks
// unless Notify is set.
type BulkOptions struct {
	Customers int       `json:"customers"`
	Orders    int       `json:"orders"`
	From      time.Time `json:"from,omitempty"`
	To        time.Time `json:"to,omitempty"`
	Seed      uint64    `json:"seed,omitempty"`
	Notify    bool      `json:"notify,omitempty"`
}

// BulkResult lists what BulkGenerate created.
type BulkResult struct {
	CustomerIDs []int `json:"customer_ids"`
	OrderIDs    []int `json:"order_ids"`
}

var (
	bulkFirst = []string{"Ava", "Ben", "Chloe", "Diego", "Emma", "Farah", "Gus", "Hana", "Ivan", "Jade", "Kofi", "Lena", "Milo", "Nia", "Omar", "Pia", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Vic", "Wes", "Xena", "Yuri", "Zoe"}
	bulkLast  = []string{"Adams", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Huang", "Ito", "Jones", "Khan", "Lopez", "Martin", "Nguyen", "Okafor", "Patel", "Quist", "Rossi", "Silva", "Tanaka", "Usman", "Vogel", "Weber", "Xu", "Young", "Zhang"}
	// statuses of generated orders, weighted towards finished ones.
	bulkStatuses = []int{10, 10, 10, 10, 2, 2, 2, 11, 11, 9, 5, 4, 14, 7}
)

// BulkGenerate creates customers and orders for load and history tests.
func (e *Emulator) BulkGenerate(hash string, opts BulkOptions) (BulkResult, error) {
	var res BulkResult
	if opts.Customers < 0 || opts.Orders < 0 || opts.Customers > 100000 || opts.Orders > 100000 {
		return res, errf(422, "customers and orders must be between 0 and 100000")
	}
	if opts.To.IsZero() {
		opts.To = e.now()
	}
	if opts.From.IsZero() {
		opts.From = opts.To.Add(-90 * 24 * time.Hour)
	}
	if !opts.From.Before(opts.To) {
		return res, errf(422, "from must be before to")
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x62756c6b))
	span := opts.To.Sub(opts.From)
	at := func() time.Time {
		return opts.From.Add(time.Duration(rng.Int64N(int64(span)))).UTC().Truncate(time.Second)
	}
	err := e.withStore(hash, func(s *store) error {
		if len(s.Products) == 0 && opts.Orders > 0 {
			return errf(422, "the store has no products to order")
		}
		for i := 0; i < opts.Customers; i++ {
			first, last := bulkFirst[rng.IntN(len(bulkFirst))], bulkLast[rng.IntN(len(bulkLast))]
			email := fmt.Sprintf("%s.%s.%d@example.com", strings.ToLower(first), strings.ToLower(last), s.Seq.Customer+1)
			group := s.Groups[rng.IntN(len(s.Groups))].ID
			accepts := rng.IntN(4) != 0
			c, err := s.addCustomer(CustomerInput{Email: email, FirstName: first, LastName: last, GroupID: group,
				AcceptsMarketing: rng.IntN(2) == 0, AcceptsAbandonedCartEmails: &accepts}, at())
			if err != nil {
				return err
			}
			c.Modified = c.Created
			if opts.Notify {
				e.emit(s, "store/customer/created", map[string]any{"type": "customer", "id": c.ID})
			}
			res.CustomerIDs = append(res.CustomerIDs, c.ID)
		}
		times := make([]time.Time, opts.Orders)
		for i := range times {
			times[i] = at()
		}
		sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
		for _, t := range times {
			c := &Cart{ID: newUUID(), ChannelID: s.Channels[0], Currency: "USD", Locale: "en", Created: t, Updated: t}
			if len(s.Customers) > 0 && rng.IntN(5) != 0 {
				cu := s.Customers[rng.IntN(len(s.Customers))]
				c.CustomerID, c.Email = cu.ID, cu.Email
			} else {
				c.Email = fmt.Sprintf("guest%d@example.net", rng.IntN(1000000))
			}
			for n := 1 + rng.IntN(3); n > 0; n-- {
				p := s.Products[rng.IntN(len(s.Products))]
				v := p.Variants[rng.IntN(len(p.Variants))]
				li, err := s.resolveItem(ItemInput{ProductID: p.ID, VariantID: v.ID, Quantity: 1 + rng.IntN(3)})
				if err != nil {
					return err
				}
				c.addLines([]LineItem{li})
			}
			status := bulkStatuses[rng.IntN(len(bulkStatuses))]
			o, err := e.checkout(s, c, CheckoutInput{StatusID: &status, ShippingCost: float64(rng.IntN(3) * 5)}, opts.Notify, t)
			if err != nil {
				return err
			}
			switch status {
			case 2, 10:
				for i := range o.Products {
					o.Products[i].QuantityShipped = o.Products[i].Quantity
				}
				o.Shipped = t.Add(48 * time.Hour)
				o.Modified = o.Shipped
			case 4:
				o.Refunded = o.Total()
			case 14:
				o.Refunded = o.Total() / 2
			}
			res.OrderIDs = append(res.OrderIDs, o.ID)
		}
		return nil
	})
	return res, err
}
