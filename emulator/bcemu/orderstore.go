package bcemu

import (
	"fmt"
	"sort"
	"strconv"
	"time"
)

// bulkOrders holds generated orders (BulkGenerate) in compact form: a few
// numbers per order and its lines in one shared slice, so that a store of
// 500,000 orders fits in tens of megabytes. An order is materialised into a
// full Order (state.Orders) the first time something changes it; its compact
// entry is then marked Gone. Both slices are sorted by order id.
type bulkOrders struct {
	Orders []bulkOrder `json:"orders,omitempty"`
	Lines  []bulkLine  `json:"lines,omitempty"`
}

// bulkOrder is one generated order. The customer's names, email and phone
// are read from the customer record when the order is rendered.
type bulkOrder struct {
	ID        int32 `json:"i"`
	Customer  int32 `json:"c,omitempty"` // customer id; 0 for a guest
	Guest     int32 `json:"g,omitempty"` // guest number (guest<g>@example.net) when Customer is 0
	Status    uint8 `json:"s"`
	Lines     uint8 `json:"n"`
	Gone      bool  `json:"x,omitempty"` // materialised into state.Orders
	Shipping  int32 `json:"h,omitempty"` // cents
	LineStart int32 `json:"l"`
	Created   int64 `json:"t"` // unix seconds
	Modified  int64 `json:"m"`
	Subtotal  int64 `json:"st"`
	Refunded  int64 `json:"r,omitempty"`
}

// bulkLine is one line of a generated order.
type bulkLine struct {
	ID      int32 `json:"i"` // order product id
	Product int32 `json:"p"`
	Variant int32 `json:"v"`
	Qty     int16 `json:"q"`
	Price   int64 `json:"c"` // unit price in cents
}

func guestEmail(n int32) string { return "guest" + strconv.Itoa(int(n)) + "@example.net" }

// bulkCartID is the id of the (long gone) cart a generated order came from.
func bulkCartID(id int32) string { return fmt.Sprintf("b0000000-0000-4000-8000-%012x", id) }

// shippedBulk reports whether a generated order's status means its items left.
func shippedBulk(status uint8) bool { return status == 2 || status == 10 }

// bulkIndex returns the index of the live compact order id, or -1.
func (s *store) bulkIndex(id int) int {
	bo := s.Bulk.Orders
	i := sort.Search(len(bo), func(i int) bool { return int(bo[i].ID) >= id })
	if i < len(bo) && int(bo[i].ID) == id && !bo[i].Gone {
		return i
	}
	return -1
}

// bulkToOrder renders a compact order as a full Order (not stored). s.mu must be held.
func (s *store) bulkToOrder(b *bulkOrder) *Order {
	created := time.Unix(b.Created, 0).UTC()
	o := &Order{
		ID: int(b.ID), CustomerID: int(b.Customer), StatusID: int(b.Status), ChannelID: s.Channels[0],
		CartID: bulkCartID(b.ID), Currency: "USD", PaymentMethod: "Credit Card", OrderSource: "www", IPAddress: "203.0.113.10",
		Shipping: Money(b.Shipping), Subtotal: Money(b.Subtotal), Refunded: Money(b.Refunded),
		Created: created, Modified: time.Unix(b.Modified, 0).UTC(),
		Coupons: []OrderCoupon{}, Shipments: []Shipment{}, Refunds: []Refund{},
	}
	var first, last, phone, company string
	if cu := s.customer(int(b.Customer)); b.Customer != 0 && cu != nil {
		o.Email, first, last, phone, company, o.EmailOptIn = cu.Email, cu.FirstName, cu.LastName, cu.Phone, cu.Company, cu.AcceptsMarketing
	} else {
		o.Email = guestEmail(b.Guest)
		first, last = defaultNames(o.Email, "", "")
	}
	o.Billing = defaultAddress(first, last, o.Email, phone, company)
	shipped := shippedBulk(b.Status)
	if shipped {
		o.Shipped = created.Add(48 * time.Hour)
	}
	o.Products = make([]OrderProduct, 0, b.Lines)
	for _, l := range s.Bulk.Lines[b.LineStart : b.LineStart+int32(b.Lines)] {
		op := OrderProduct{ID: int(l.ID), ProductID: int(l.Product), VariantID: int(l.Variant), Quantity: int(l.Qty),
			Price: Money(l.Price), Name: "Product " + strconv.Itoa(int(l.Product))}
		if p := s.product(int(l.Product)); p != nil {
			op.Name, op.Brand, op.Digital, op.SKU = p.Name, p.Brand, p.Type == "digital", p.SKU
			if v := p.variant(int(l.Variant)); v != nil {
				op.SKU = v.SKU
				if v.Label != "" {
					op.Name = p.Name + " - " + v.Label
				}
			}
		}
		if shipped {
			op.QuantityShipped = op.Quantity
		}
		if b.Status == 4 {
			op.QuantityRefunded = op.Quantity
		}
		o.Products = append(o.Products, op)
	}
	return o
}

// order returns the order id for a change, materialising a generated order
// into state.Orders. s.mu must be held.
func (s *store) order(id int) *Order {
	if o := s.fullOrder(id); o != nil {
		return o
	}
	i := s.bulkIndex(id)
	if i < 0 {
		return nil
	}
	o := s.bulkToOrder(&s.Bulk.Orders[i])
	s.Bulk.Orders[i].Gone = true
	s.insertOrder(o)
	return o
}

// orderView returns the order id for reading; a generated order is rendered
// without being materialised. s.mu must be held.
func (s *store) orderView(id int) *Order {
	if o := s.fullOrder(id); o != nil {
		return o
	}
	if i := s.bulkIndex(id); i >= 0 {
		return s.bulkToOrder(&s.Bulk.Orders[i])
	}
	return nil
}

func (s *store) fullOrder(id int) *Order {
	i := sort.Search(len(s.Orders), func(i int) bool { return s.Orders[i].ID >= id })
	if i < len(s.Orders) && s.Orders[i].ID == id {
		return s.Orders[i]
	}
	return nil
}

func (s *store) insertOrder(o *Order) {
	s.Orders = append(s.Orders, o)
	if n := len(s.Orders); n > 1 && s.Orders[n-2].ID > o.ID {
		sort.Slice(s.Orders, func(i, j int) bool { return s.Orders[i].ID < s.Orders[j].ID })
	}
}

// orderRow is an order as the list filters see it: a full order or a
// compact one, read without building the full order.
type orderRow struct {
	full *Order
	bulk *bulkOrder
}

func (r orderRow) id() int {
	if r.full != nil {
		return r.full.ID
	}
	return int(r.bulk.ID)
}

func (r orderRow) customerID() int {
	if r.full != nil {
		return r.full.CustomerID
	}
	return int(r.bulk.Customer)
}

func (r orderRow) statusID() int {
	if r.full != nil {
		return r.full.StatusID
	}
	return int(r.bulk.Status)
}

func (r orderRow) channelID(s *store) int {
	if r.full != nil {
		return r.full.ChannelID
	}
	return s.Channels[0]
}

func (r orderRow) total() Money {
	if r.full != nil {
		return r.full.Total()
	}
	return Money(r.bulk.Subtotal) + Money(r.bulk.Shipping)
}

func (r orderRow) created() int64 {
	if r.full != nil {
		return r.full.Created.Unix()
	}
	return r.bulk.Created
}

func (r orderRow) modified() int64 {
	if r.full != nil {
		return r.full.Modified.Unix()
	}
	return r.bulk.Modified
}

func (r orderRow) email(s *store) string {
	if r.full != nil {
		return r.full.Email
	}
	if r.bulk.Customer != 0 {
		if cu := s.customer(int(r.bulk.Customer)); cu != nil {
			return cu.Email
		}
	}
	return guestEmail(r.bulk.Guest)
}

func (r orderRow) cartID() string {
	if r.full != nil {
		return r.full.CartID
	}
	return bulkCartID(r.bulk.ID)
}

func (r orderRow) paymentMethod() string {
	if r.full != nil {
		return r.full.PaymentMethod
	}
	return "Credit Card"
}

// order returns the full order of the row (rendered, for a compact one).
func (r orderRow) order(s *store) *Order {
	if r.full != nil {
		return r.full
	}
	return s.bulkToOrder(r.bulk)
}

// eachOrder calls fn for every order in id order (descending with desc)
// until fn returns false. s.mu must be held.
func (s *store) eachOrder(desc bool, fn func(r orderRow) bool) {
	full, bulk := s.Orders, s.Bulk.Orders
	if !desc {
		i, j := 0, 0
		for i < len(full) || j < len(bulk) {
			if j < len(bulk) && bulk[j].Gone {
				j++
				continue
			}
			var r orderRow
			if j >= len(bulk) || (i < len(full) && full[i].ID < int(bulk[j].ID)) {
				r.full = full[i]
				i++
			} else {
				r.bulk = &bulk[j]
				j++
			}
			if !fn(r) {
				return
			}
		}
		return
	}
	i, j := len(full)-1, len(bulk)-1
	for i >= 0 || j >= 0 {
		if j >= 0 && bulk[j].Gone {
			j--
			continue
		}
		var r orderRow
		if j < 0 || (i >= 0 && full[i].ID > int(bulk[j].ID)) {
			r.full = full[i]
			i--
		} else {
			r.bulk = &bulk[j]
			j--
		}
		if !fn(r) {
			return
		}
	}
}

// orderCount returns the number of orders of the store. s.mu must be held.
func (s *store) orderCount() int {
	n := len(s.Orders)
	for i := range s.Bulk.Orders {
		if !s.Bulk.Orders[i].Gone {
			n++
		}
	}
	return n
}
