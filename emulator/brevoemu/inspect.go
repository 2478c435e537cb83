package brevoemu

import (
	"slices"
)

// Inspection of what a store sync wrote, for tests.

// Counts are the sizes of the emulated account.
type Counts struct {
	Contacts int `json:"contacts"`
	// Orders counts distinct orders; HistoricalOrders those whose latest
	// post was historical; LiveOrders those posted live at least once
	// (each such post could have fired an automation).
	Orders           int `json:"orders"`
	HistoricalOrders int `json:"historicalOrders"`
	LiveOrders       int `json:"liveOrders"`
	OrderPosts       int `json:"orderPosts"`
	Products         int `json:"products"`
	Categories       int `json:"categories"`
	Folders          int `json:"folders"`
	Lists            int `json:"lists"`
	Processes        int `json:"processes"`
	// Requests and Limited add up RequestCounts over every endpoint.
	Requests int64 `json:"requests"`
	Limited  int64 `json:"limited"`
}

// ListInfo is a list with its member counts.
type ListInfo struct {
	List
	// Members counts the contacts in the list, Blacklisted those of them
	// that are email-blacklisted.
	Members     int `json:"members"`
	Blacklisted int `json:"blacklisted"`
}

// Counts returns the sizes of the emulated account.
func (e *Emulator) Counts() Counts {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := Counts{
		Contacts: len(e.st.Contacts), Orders: len(e.st.Orders), Products: len(e.st.Products),
		Categories: len(e.st.Categories), Folders: len(e.st.Folders), Lists: len(e.st.Lists), Processes: len(e.st.Processes),
	}
	for i := range e.st.Orders {
		o := &e.st.Orders[i]
		if o.Historical {
			c.HistoricalOrders++
		}
		if o.LivePosts > 0 {
			c.LiveOrders++
		}
		c.OrderPosts += int(o.Posts)
	}
	for _, n := range e.counts {
		c.Requests += n.Requests
		c.Limited += n.Limited
	}
	return c
}

func (o Order) clone() Order {
	o.Products = slices.Clone(o.Products)
	o.Coupons = slices.Clone(o.Coupons)
	if o.Billing != nil {
		b := *o.Billing
		o.Billing = &b
	}
	return o
}

// Orders returns copies of the orders, in the order they were first posted.
func (e *Emulator) Orders() []Order {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Order, len(e.st.Orders))
	for i, o := range e.st.Orders {
		out[i] = o.clone()
	}
	return out
}

// Order returns the order with the given id, if any.
func (e *Emulator) Order(id string) (Order, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if i, ok := e.eco.orders[id]; ok {
		return e.st.Orders[i].clone(), true
	}
	return Order{}, false
}

func (p Product) clone() Product {
	p.Categories = slices.Clone(p.Categories)
	if p.Price != nil {
		v := *p.Price
		p.Price = &v
	}
	if p.MetaInfo != nil {
		m := make(map[string]string, len(p.MetaInfo))
		for k, v := range p.MetaInfo {
			m[k] = v
		}
		p.MetaInfo = m
	}
	return p
}

// Products returns copies of the products, in creation order.
func (e *Emulator) Products() []Product {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Product, len(e.st.Products))
	for i, p := range e.st.Products {
		out[i] = p.clone()
	}
	return out
}

// Product returns the product with the given id, if any.
func (e *Emulator) Product(id string) (Product, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if i, ok := e.eco.products[id]; ok {
		return e.st.Products[i].clone(), true
	}
	return Product{}, false
}

// Categories returns the categories, in creation order.
func (e *Emulator) Categories() []Category {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.st.Categories)
}

// Category returns the category with the given id, if any.
func (e *Emulator) Category(id string) (Category, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if i, ok := e.eco.categories[id]; ok {
		return e.st.Categories[i], true
	}
	return Category{}, false
}

// Folders returns the contact folders, in creation order.
func (e *Emulator) Folders() []Folder {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.st.Folders)
}

// Lists returns the contact lists with their member counts, in creation
// order.
func (e *Emulator) Lists() []ListInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]ListInfo, len(e.st.Lists))
	for i, l := range e.st.Lists {
		subs, bl := e.listStats(l.ID)
		out[i] = ListInfo{List: l, Members: subs + bl, Blacklisted: bl}
	}
	return out
}

// ListMembers returns copies of the contacts in list id, by contact id.
func (e *Emulator) ListMembers(id int64) []Contact {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := []Contact{}
	for _, c := range e.st.Contacts {
		if slices.Contains(c.ListIDs, id) {
			out = append(out, c.clone())
		}
	}
	return out
}

// Processes returns the background processes (imports, list purges).
func (e *Emulator) Processes() []Process {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.st.Processes)
}
