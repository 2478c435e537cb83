package bcemu

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// BulkOptions generates historical data: Categories new categories, Products
// new catalog products (1–3 variants, 1–2 images, one or two categories, a
// custom field), Customers new customers (each with an address; about one in
// four modified after creation) and Orders orders (1–3 line items) placed
// between From and To (default: the 90 days before now) by random customers
// or, about one in five, guests who may order more than once. Everything
// comes from a random source seeded with Seed, so the same options on the
// same store give the same data. Bulk data fires no webhooks unless Notify is
// set. Generated orders are stored compactly and materialised when changed;
// every endpoint sees them like any other order.
type BulkOptions struct {
	Customers  int       `json:"customers"`
	Orders     int       `json:"orders"`
	Products   int       `json:"products,omitempty"`
	Categories int       `json:"categories,omitempty"`
	From       time.Time `json:"from,omitempty"`
	To         time.Time `json:"to,omitempty"`
	Seed       uint64    `json:"seed,omitempty"`
	Notify     bool      `json:"notify,omitempty"`
}

// Bulk generation limits.
const (
	MaxBulkCustomers  = 1_000_000
	MaxBulkOrders     = 2_000_000
	MaxBulkProducts   = 100_000
	MaxBulkCategories = 10_000
)

// BulkResult lists what BulkGenerate created; ids of one kind are consecutive.
type BulkResult struct {
	CategoryIDs []int `json:"category_ids,omitempty"`
	ProductIDs  []int `json:"product_ids,omitempty"`
	CustomerIDs []int `json:"customer_ids"`
	OrderIDs    []int `json:"order_ids"`
}

var (
	bulkFirst = []string{"Ava", "Ben", "Chloe", "Diego", "Emma", "Farah", "Gus", "Hana", "Ivan", "Jade", "Kofi", "Lena", "Milo", "Nia", "Omar", "Pia", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Vic", "Wes", "Xena", "Yuri", "Zoe"}
	bulkLast  = []string{"Adams", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Huang", "Ito", "Jones", "Khan", "Lopez", "Martin", "Nguyen", "Okafor", "Patel", "Quist", "Rossi", "Silva", "Tanaka", "Usman", "Vogel", "Weber", "Xu", "Young", "Zhang"}
	// statuses of generated orders, weighted towards finished ones.
	bulkStatuses  = []uint8{10, 10, 10, 10, 2, 2, 2, 11, 11, 9, 5, 4, 14, 7, 0}
	bulkAdjective = []string{"Classic", "Organic", "Vintage", "Modern", "Handmade", "Compact", "Deluxe", "Rustic", "Linen", "Ceramic", "Bamboo", "Copper"}
	bulkNoun      = []string{"Mug", "Tote", "Lamp", "Planter", "Blanket", "Notebook", "Candle", "Bowl", "Apron", "Scarf", "Tray", "Vase"}
	bulkSizes     = []string{"Small", "Medium", "Large"}
	bulkMaterials = []string{"Cotton", "Stoneware", "Oak", "Steel", "Wool", "Glass"}
)

// bulkGen is one BulkGenerate run.
type bulkGen struct {
	e    *Emulator
	s    *store
	opts BulkOptions
	rng  *rand.Rand
	from int64 // unix seconds
	span int64
}

func (g *bulkGen) at() time.Time {
	return time.Unix(g.from+g.rng.Int64N(g.span), 0).UTC()
}

// BulkGenerate creates categories, products, customers and orders for load
// and history tests (see BulkOptions).
func (e *Emulator) BulkGenerate(hash string, opts BulkOptions) (BulkResult, error) {
	var res BulkResult
	switch {
	case opts.Customers < 0 || opts.Customers > MaxBulkCustomers:
		return res, errf(422, "customers must be between 0 and %d", MaxBulkCustomers)
	case opts.Orders < 0 || opts.Orders > MaxBulkOrders:
		return res, errf(422, "orders must be between 0 and %d", MaxBulkOrders)
	case opts.Products < 0 || opts.Products > MaxBulkProducts:
		return res, errf(422, "products must be between 0 and %d", MaxBulkProducts)
	case opts.Categories < 0 || opts.Categories > MaxBulkCategories:
		return res, errf(422, "categories must be between 0 and %d", MaxBulkCategories)
	}
	if opts.To.IsZero() {
		opts.To = e.now()
	}
	if opts.From.IsZero() {
		opts.From = opts.To.Add(-90 * 24 * time.Hour)
	}
	if opts.To.Unix()-opts.From.Unix() < 1 {
		return res, errf(422, "from must be at least a second before to")
	}
	g := &bulkGen{e: e, opts: opts, rng: rand.New(rand.NewPCG(opts.Seed, 0x62756c6b)),
		from: opts.From.Unix(), span: opts.To.Unix() - opts.From.Unix()}
	err := e.withStore(hash, func(s *store) error {
		g.s = s
		if len(s.Products) == 0 && opts.Products == 0 && opts.Orders > 0 {
			return errf(422, "the store has no products to order")
		}
		if err := g.categories(&res); err != nil {
			return err
		}
		if err := g.products(&res); err != nil {
			return err
		}
		g.customers(&res)
		g.orders(&res)
		return nil
	})
	return res, err
}

func (g *bulkGen) categories(res *BulkResult) error {
	s := g.s
	for i := 0; i < g.opts.Categories; i++ {
		parent := 0
		if len(res.CategoryIDs) > 0 && g.rng.IntN(3) == 0 {
			parent = res.CategoryIDs[g.rng.IntN(len(res.CategoryIDs))]
		}
		id := s.Seq.Category + 1
		c, err := s.addCategory(CategorySeed{ID: id, ParentID: parent, Name: fmt.Sprintf("%s %s %d",
			bulkAdjective[g.rng.IntN(len(bulkAdjective))], bulkNoun[g.rng.IntN(len(bulkNoun))], id), SortOrder: i}, g.at())
		if err != nil {
			return err
		}
		res.CategoryIDs = append(res.CategoryIDs, c.ID)
		if g.opts.Notify {
			g.e.emit(s, "store/category/created", map[string]any{"type": "category", "id": c.ID})
		}
	}
	return nil
}

// products appends generated products; their SKUs (BULK-<id>[-S|M|L]) are unique by construction.
func (g *bulkGen) products(res *BulkResult) error {
	s := g.s
	if g.opts.Products == 0 {
		return nil
	}
	cats := make([]int, 0, len(s.Categories))
	for _, c := range s.Categories {
		cats = append(cats, c.ID)
	}
	for i := 0; i < g.opts.Products; i++ {
		s.Seq.Product++
		id := s.Seq.Product
		name := fmt.Sprintf("%s %s %d", bulkAdjective[g.rng.IntN(len(bulkAdjective))], bulkNoun[g.rng.IntN(len(bulkNoun))], id)
		created := g.at()
		p := &Product{
			ID: id, Name: name, SKU: "BULK-" + strconv.Itoa(id), Type: "physical", Price: Money(500 + g.rng.IntN(29500)),
			Weight: float64(1+g.rng.IntN(40)) / 10, BrandID: 1 + g.rng.IntN(8), Inventory: g.rng.IntN(500),
			Slug: slugify(name), Availability: "available", Created: created, Modified: created, Categories: []int{},
		}
		if g.rng.IntN(10) == 0 {
			p.Type = "digital"
		}
		if g.rng.IntN(5) == 0 {
			p.SalePrice = p.Price * 8 / 10
		}
		if g.rng.IntN(4) == 0 {
			p.Modified = time.Unix(created.Unix()+g.rng.Int64N(g.from+g.span-created.Unix()+1), 0).UTC()
		}
		if len(cats) > 0 {
			for n := 1 + g.rng.IntN(2); n > 0; n-- {
				if c := cats[g.rng.IntN(len(cats))]; !slices.Contains(p.Categories, c) {
					p.Categories = append(p.Categories, c)
				}
			}
		}
		for n := 1 + g.rng.IntN(2); n > 0; n-- {
			s.Seq.Image++
			p.Images = append(p.Images, Image{ID: s.Seq.Image, File: fmt.Sprintf("bulk-%d-%d.jpg", id, len(p.Images)+1), Thumbnail: len(p.Images) == 0})
		}
		s.Seq.CustomField++
		p.CustomFields = []CustomField{{ID: s.Seq.CustomField, Name: "Material", Value: bulkMaterials[g.rng.IntN(len(bulkMaterials))]}}
		if nv := 1 + g.rng.IntN(3); nv == 1 {
			s.Seq.Variant++
			p.Variants = []*Variant{{ID: s.Seq.Variant, SKU: p.SKU, SKUID: s.Seq.Variant}}
		} else {
			p.OptionName, p.OptionID = "Size", 100+id
			for _, label := range bulkSizes[:nv] {
				s.Seq.Variant++
				s.Seq.OptionValue++
				p.Variants = append(p.Variants, &Variant{ID: s.Seq.Variant, SKU: p.SKU + "-" + label[:1], SKUID: s.Seq.Variant,
					Label: label, ValueID: s.Seq.OptionValue})
			}
		}
		s.Products = append(s.Products, p) // ids grow: the slice stays sorted
		res.ProductIDs = append(res.ProductIDs, id)
		if g.opts.Notify {
			g.e.emit(s, "store/product/created", map[string]any{"type": "product", "id": id})
		}
	}
	return nil
}

// customers appends generated customers; emails carry the id, so they are unique.
func (g *bulkGen) customers(res *BulkResult) {
	s := g.s
	channels := []int{s.Channels[0]}
	for i := 0; i < g.opts.Customers; i++ {
		first, last := bulkFirst[g.rng.IntN(len(bulkFirst))], bulkLast[g.rng.IntN(len(bulkLast))]
		s.Seq.Customer++
		id := s.Seq.Customer
		email := strings.ToLower(first) + "." + strings.ToLower(last) + "." + strconv.Itoa(id) + "@example.com"
		created := g.at()
		c := &Customer{
			ID: id, Email: email, FirstName: first, LastName: last, Phone: fmt.Sprintf("+1512555%04d", g.rng.IntN(10000)),
			GroupID: s.Groups[g.rng.IntN(len(s.Groups))].ID, AcceptsMarketing: g.rng.IntN(2) == 0,
			AcceptsAbandonedCartEmails: g.rng.IntN(4) != 0, ChannelIDs: channels, OriginChannelID: channels[0],
			Created: created, Modified: created,
		}
		if g.rng.IntN(7) == 0 {
			c.Company = last + " & Co"
		}
		if g.rng.IntN(4) == 0 {
			c.Modified = time.Unix(created.Unix()+g.rng.Int64N(g.from+g.span-created.Unix()+1), 0).UTC()
		}
		if g.rng.IntN(10) == 0 {
			c.StoreCredit = Money(500 * (1 + g.rng.IntN(10)))
		}
		s.Seq.Address++
		c.Addresses = []CustomerAddress{{ID: s.Seq.Address, Address: defaultAddress(first, last, email, c.Phone, c.Company)}}
		s.Customers = append(s.Customers, c) // ids grow: the slice stays sorted
		res.CustomerIDs = append(res.CustomerIDs, id)
		if g.opts.Notify {
			g.e.emit(s, "store/customer/created", map[string]any{"type": "customer", "id": id})
		}
	}
}

// orders appends generated orders to the compact store, in date order.
func (g *bulkGen) orders(res *BulkResult) {
	s := g.s
	n := g.opts.Orders
	if n == 0 {
		return
	}
	times := make([]int64, n)
	for i := range times {
		times[i] = g.from + g.rng.Int64N(g.span)
	}
	slices.Sort(times)
	end := g.from + g.span
	guests := int32(max(100, n/10))
	s.Bulk.Orders = slices.Grow(s.Bulk.Orders, n)
	s.Bulk.Lines = slices.Grow(s.Bulk.Lines, 2*n)
	for _, t := range times {
		s.Seq.Order++
		b := bulkOrder{ID: int32(s.Seq.Order), Created: t, Modified: t, LineStart: int32(len(s.Bulk.Lines)),
			Status: bulkStatuses[g.rng.IntN(len(bulkStatuses))], Shipping: int32(g.rng.IntN(3) * 500)}
		if len(s.Customers) > 0 && g.rng.IntN(5) != 0 {
			b.Customer = int32(s.Customers[g.rng.IntN(len(s.Customers))].ID)
		} else {
			b.Guest = 1 + g.rng.Int32N(guests)
		}
		for k := 1 + g.rng.IntN(3); k > 0; k-- {
			p := s.Products[g.rng.IntN(len(s.Products))]
			v := p.Variants[g.rng.IntN(len(p.Variants))]
			_, price := p.unitPrice(v)
			s.Seq.OrderProduct++
			l := bulkLine{ID: int32(s.Seq.OrderProduct), Product: int32(p.ID), Variant: int32(v.ID), Qty: int16(1 + g.rng.IntN(3)), Price: int64(price)}
			s.Bulk.Lines = append(s.Bulk.Lines, l)
			b.Lines++
			b.Subtotal += l.Price * int64(l.Qty)
		}
		total := b.Subtotal + int64(b.Shipping)
		switch b.Status {
		case 2, 10:
			b.Modified = min(t+48*3600, end)
		case 4:
			b.Refunded = total
			b.Modified = min(t+24*3600, end)
		case 14:
			b.Refunded = total / 2
			b.Modified = min(t+24*3600, end)
		}
		s.Bulk.Orders = append(s.Bulk.Orders, b)
		res.OrderIDs = append(res.OrderIDs, int(b.ID))
		if g.opts.Notify {
			g.e.emit(s, "store/order/created", map[string]any{"type": "order", "id": int(b.ID)})
		}
	}
}
