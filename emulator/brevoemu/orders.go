package brevoemu

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Ecommerce orders: POST /v3/orders/status, POST /v3/orders/status/batch,
// GET /v3/orders.

// Order is an ecommerce order as Brevo holds it. An order is identified by
// its ID: posting it again replaces it.
type Order struct {
	ID        string         `json:"id"`
	CreatedAt string         `json:"createdAt"`
	UpdatedAt string         `json:"updatedAt"`
	Status    string         `json:"status"`
	Amount    float64        `json:"amount"`
	StoreID   string         `json:"storeId,omitempty"`
	Email     string         `json:"email,omitempty"`
	Products  []OrderProduct `json:"products"`
	Billing   *OrderBilling  `json:"billing,omitempty"`
	Coupons   []string       `json:"coupons,omitempty"`
	// Historical is the historical flag of the latest post: true for a
	// batch with historical true (the spec's default) — such an order
	// triggers no automation.
	Historical bool `json:"historical"`
	// LivePosts counts the posts of this order that were live (the single
	// endpoint, or a batch with historical false): each could have fired
	// an automation.
	LivePosts int32 `json:"livePosts"`
	// Posts counts every post of this order.
	Posts int32 `json:"posts"`
}

// OrderProduct is one line of an order.
type OrderProduct struct {
	ProductID string  `json:"productId"`
	Quantity  float64 `json:"quantity"`
	VariantID string  `json:"variantId,omitempty"`
	Price     float64 `json:"price"`
}

// OrderBilling is an order's billing details.
type OrderBilling struct {
	Address       string `json:"address,omitempty"`
	City          string `json:"city,omitempty"`
	CountryCode   string `json:"countryCode,omitempty"`
	Country       string `json:"country,omitempty"`
	Phone         string `json:"phone,omitempty"`
	PostCode      string `json:"postCode,omitempty"`
	PaymentMethod string `json:"paymentMethod,omitempty"`
	Region        string `json:"region,omitempty"`
}

type orderProductIn struct {
	ProductID *string  `json:"productId"`
	Quantity  *float64 `json:"quantity"`
	VariantID string   `json:"variantId"`
	Price     *float64 `json:"price"`
}

type orderIn struct {
	ID        *string          `json:"id"`
	CreatedAt *string          `json:"createdAt"`
	UpdatedAt *string          `json:"updatedAt"`
	Status    *string          `json:"status"`
	Amount    *float64         `json:"amount"`
	StoreID   string           `json:"storeId"`
	Email     string           `json:"email"`
	Products  []orderProductIn `json:"products"`
	Billing   *OrderBilling    `json:"billing"`
	Coupons   []string         `json:"coupons"`
}

type orderBatchIn struct {
	Orders     []orderIn `json:"orders"`
	NotifyURL  string    `json:"notifyUrl"`
	Historical *bool     `json:"historical"`
}

var dateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05Z0700"}

// parseBrevoDate parses the UTC date-times Brevo accepts
// (YYYY-MM-DDTHH:mm:ss[.SSS] with Z or an offset).
func parseBrevoDate(s string) (time.Time, bool) {
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// check validates one order; prefix names it in messages ("" or
// "orders[3].").
func (o *orderIn) check(prefix string) (code, msg string) {
	missing := func(f string) (string, string) { return "missing_parameter", prefix + f + " is missing" }
	switch {
	case o.ID == nil || *o.ID == "":
		return missing("id")
	case o.CreatedAt == nil || *o.CreatedAt == "":
		return missing("createdAt")
	case o.UpdatedAt == nil || *o.UpdatedAt == "":
		return missing("updatedAt")
	case o.Status == nil || *o.Status == "":
		return missing("status")
	case o.Amount == nil:
		return missing("amount")
	case o.Products == nil:
		return missing("products")
	}
	for _, f := range []struct{ name, v string }{{"createdAt", *o.CreatedAt}, {"updatedAt", *o.UpdatedAt}} {
		if _, ok := parseBrevoDate(f.v); !ok {
			return "invalid_parameter", prefix + f.name + " is not a valid date-time (YYYY-MM-DDTHH:mm:ssZ)"
		}
	}
	phone := ""
	if o.Billing != nil {
		phone = o.Billing.Phone
	}
	if o.Email == "" && phone == "" {
		return "missing_parameter", prefix + `email is missing: it is mandatory when billing.phone is not passed`
	}
	if o.Email != "" && !validEmail(o.Email) {
		return "invalid_parameter", prefix + "email is not valid"
	}
	for i, p := range o.Products {
		lp := fmt.Sprintf("%sproducts[%d].", prefix, i)
		switch {
		case p.ProductID == nil || *p.ProductID == "":
			return "missing_parameter", lp + "productId is missing"
		case p.Quantity == nil:
			return "missing_parameter", lp + "quantity is missing"
		case p.Price == nil:
			return "missing_parameter", lp + "price is missing"
		}
	}
	return "", ""
}

// intern returns a shared copy of a string that repeats across orders
// (status, store, product and variant ids); caller holds e.mu.
func (e *Emulator) intern(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := e.eco.intern[s]; ok {
		return v
	}
	if len(e.eco.intern) < maxInterned {
		s = strings.Clone(s)
		e.eco.intern[s] = s
	}
	return s
}

// maxInterned bounds the intern table (a catalog's ids, a few statuses).
const maxInterned = 200_000

// putOrder stores o, replacing the order with the same id; caller holds e.mu.
func (e *Emulator) putOrder(o *orderIn, historical bool) {
	lines := make([]OrderProduct, len(o.Products))
	for i, p := range o.Products {
		lines[i] = OrderProduct{ProductID: e.intern(*p.ProductID), Quantity: *p.Quantity, VariantID: e.intern(p.VariantID), Price: *p.Price}
	}
	var billing *OrderBilling
	if o.Billing != nil && *o.Billing != (OrderBilling{}) {
		b := *o.Billing
		b.CountryCode, b.Country, b.PaymentMethod, b.Region = e.intern(b.CountryCode), e.intern(b.Country), e.intern(b.PaymentMethod), e.intern(b.Region)
		billing = &b
	}
	var coupons []string
	if len(o.Coupons) > 0 {
		coupons = make([]string, len(o.Coupons))
		for i, c := range o.Coupons {
			coupons[i] = e.intern(strings.ToLower(c)) // "Stored case insensitive."
		}
	}
	next := Order{
		ID: *o.ID, CreatedAt: *o.CreatedAt, UpdatedAt: *o.UpdatedAt, Status: e.intern(*o.Status), Amount: *o.Amount,
		StoreID: e.intern(o.StoreID), Email: strings.ToLower(o.Email), Products: lines, Billing: billing, Coupons: coupons,
		Historical: historical,
	}
	i, ok := e.eco.orders[next.ID]
	if ok {
		prev := &e.st.Orders[i]
		next.Posts, next.LivePosts = prev.Posts, prev.LivePosts
	} else {
		i = int32(len(e.st.Orders))
		e.st.Orders = append(e.st.Orders, Order{})
		e.eco.orders[next.ID] = i
	}
	next.Posts++
	if !historical {
		next.LivePosts++
	}
	e.st.Orders[i] = next
}

func (e *Emulator) createOrder(w http.ResponseWriter, r *http.Request) {
	var o orderIn
	if _, ok := readJSON(w, r, &o); !ok {
		return
	}
	if code, msg := o.check(""); code != "" {
		writeError(w, http.StatusBadRequest, code, msg)
		return
	}
	e.mu.Lock()
	e.putOrder(&o, false)
	e.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (e *Emulator) createOrderBatch(w http.ResponseWriter, r *http.Request) {
	var b orderBatchIn
	if _, ok := readJSON(w, r, &b); !ok {
		return
	}
	limit := e.batchLimits().Orders
	switch {
	case b.Orders == nil:
		writeError(w, http.StatusBadRequest, "missing_parameter", "orders is missing")
		return
	case len(b.Orders) == 0:
		writeError(w, http.StatusBadRequest, "invalid_parameter", "orders must not be empty")
		return
	case limit > 0 && len(b.Orders) > limit:
		writeError(w, http.StatusBadRequest, "out_of_range", fmt.Sprintf("orders holds %d orders; at most %d are allowed per request", len(b.Orders), limit))
		return
	}
	for i := range b.Orders {
		if code, msg := b.Orders[i].check(fmt.Sprintf("orders[%d].", i)); code != "" {
			writeError(w, http.StatusBadRequest, code, msg)
			return
		}
	}
	historical := b.Historical == nil || *b.Historical // the spec's default is true
	e.mu.Lock()
	for i := range b.Orders {
		e.putOrder(&b.Orders[i], historical)
	}
	e.st.NextBatchID++
	id := e.st.NextBatchID
	e.mu.Unlock()
	writeJSON(w, http.StatusAccepted, map[string]any{"batchId": id})
}

func (e *Emulator) listOrders(w http.ResponseWriter, r *http.Request) {
	pg, modSince, crSince, ok := readPageSince(w, r, 50, 100)
	if !ok {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	writePage(w, pg, "orders", len(e.st.Orders), func(i int) bool {
		o := &e.st.Orders[i]
		return afterDate(o.UpdatedAt, modSince) && afterDate(o.CreatedAt, crSince)
	}, func(i int) map[string]any { return e.orderJSON(&e.st.Orders[i]) })
}

// orderJSON renders o as GET /v3/orders does; caller holds e.mu.
func (e *Emulator) orderJSON(o *Order) map[string]any {
	m := map[string]any{
		"id": o.ID, "createdAt": o.CreatedAt, "updatedAt": o.UpdatedAt, "status": o.Status,
		"amount": o.Amount, "products": o.Products,
	}
	if o.StoreID != "" {
		m["storeId"] = o.StoreID
	}
	if o.Email != "" {
		m["email"] = o.Email
		if c := e.findContact("email_id", o.Email); c != nil {
			m["contact_id"] = c.ID
		}
	}
	if o.Billing != nil {
		m["billing"] = o.Billing
	}
	if len(o.Coupons) > 0 {
		m["coupons"] = o.Coupons
	}
	return m
}

func afterDate(v string, since time.Time) bool {
	if since.IsZero() {
		return true
	}
	t, ok := parseBrevoDate(v)
	return ok && t.After(since)
}
