package bcemu

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// CustomerInput creates or updates a customer. For UpdateCustomer, zero
// values and nil pointers leave fields unchanged.
type CustomerInput struct {
	ID        int    `json:"id,omitempty"` // optional fixed id for seeds
	Email     string `json:"email"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Company   string `json:"company,omitempty"`
	// Guest records a shopper without an account: no customer record, no webhook;
	// the returned Customer has ID 0 and its details fill the billing address at checkout.
	Guest            bool  `json:"guest,omitempty"`
	GroupID          int   `json:"customer_group_id,omitempty"`
	AcceptsMarketing bool  `json:"accepts_marketing,omitempty"`
	ChannelIDs       []int `json:"channel_ids,omitempty"`
	// AcceptsAbandonedCartEmails defaults to true for new customers.
	AcceptsAbandonedCartEmails *bool `json:"accepts_product_review_abandoned_cart_emails,omitempty"`
	// Attributes sets customer attribute values by attribute name (a new
	// name creates a string attribute; "" removes the value).
	Attributes map[string]string `json:"attributes,omitempty"`
	// FormFields sets account sign-up form field values by field name
	// ("" removes the value).
	FormFields map[string]string `json:"form_fields,omitempty"`
	// Addresses sets the address book (an update replaces it when given).
	Addresses []Address `json:"addresses,omitempty"`
	// StoreCredit sets the store credit (in the store currency).
	StoreCredit *float64 `json:"store_credit,omitempty"`
}

// setAddressBook applies the addresses and store credit of in. s.mu must be held.
func (s *store) setAddressBook(c *Customer, in CustomerInput) {
	if in.Addresses != nil {
		c.Addresses = nil
		for _, a := range in.Addresses {
			s.Seq.Address++
			c.Addresses = append(c.Addresses, CustomerAddress{ID: s.Seq.Address, Address: a})
		}
	}
	if in.StoreCredit != nil {
		c.StoreCredit = MoneyFromFloat(*in.StoreCredit)
	}
}

// CreateCustomer registers a customer (store/customer/created) or, with Guest, records a guest shopper.
func (e *Emulator) CreateCustomer(hash string, in CustomerInput) (Customer, error) {
	var out Customer
	err := e.withStore(hash, func(s *store) error {
		if in.Guest {
			if !strings.Contains(in.Email, "@") {
				return &apiError{Status: 422, Title: "The email address is not valid.", Details: map[string]string{"email": "invalid"}}
			}
			first, last := defaultNames(in.Email, in.FirstName, in.LastName)
			g := &Customer{Email: strings.TrimSpace(in.Email), FirstName: first, LastName: last, Phone: in.Phone,
				Company: in.Company, AcceptsMarketing: in.AcceptsMarketing, ChannelIDs: []int{}, Created: e.now(), Modified: e.now()}
			s.Guests[strings.ToLower(g.Email)] = g
			out = *g
			return nil
		}
		c, err := s.addCustomer(in, e.now())
		if err != nil {
			return err
		}
		e.emit(s, "store/customer/created", map[string]any{"type": "customer", "id": c.ID})
		out = *c
		return nil
	})
	return out, err
}

// UpdateCustomer changes a registered customer (store/customer/updated).
func (e *Emulator) UpdateCustomer(hash string, id int, in CustomerInput) (Customer, error) {
	var out Customer
	err := e.withStore(hash, func(s *store) error {
		c, err := e.updateCustomer(s, id, in)
		if err == nil {
			out = *c
		}
		return err
	})
	return out, err
}

func (e *Emulator) updateCustomer(s *store, id int, in CustomerInput) (*Customer, error) {
	c := s.customer(id)
	if c == nil {
		return nil, errf(404, "Customer %d not found.", id)
	}
	if in.Email != "" && !strings.EqualFold(in.Email, c.Email) {
		if o := s.customerByEmail(in.Email); o != nil {
			return nil, &apiError{Status: 409, Title: fmt.Sprintf("The customer with email %s already exists.", in.Email), Details: map[string]string{"email": "already in use"}}
		}
		c.Email = in.Email
	}
	if in.GroupID != 0 {
		if s.group(in.GroupID) == nil {
			return nil, &apiError{Status: 422, Title: fmt.Sprintf("Customer group %d does not exist.", in.GroupID), Details: map[string]string{"customer_group_id": "unknown"}}
		}
		c.GroupID = in.GroupID
	}
	if in.FirstName != "" {
		c.FirstName = in.FirstName
	}
	if in.LastName != "" {
		c.LastName = in.LastName
	}
	if in.Phone != "" {
		c.Phone = in.Phone
	}
	if in.Company != "" {
		c.Company = in.Company
	}
	if in.AcceptsMarketing {
		c.AcceptsMarketing = true
	}
	if in.AcceptsAbandonedCartEmails != nil {
		c.AcceptsAbandonedCartEmails = *in.AcceptsAbandonedCartEmails
	}
	if len(in.ChannelIDs) > 0 {
		c.ChannelIDs = in.ChannelIDs
	}
	if err := s.setAttributes(c, in.Attributes, e.now()); err != nil {
		return nil, err
	}
	c.setFormFields(in.FormFields)
	s.setAddressBook(c, in)
	c.Modified = e.now()
	e.emit(s, "store/customer/updated", map[string]any{"type": "customer", "id": c.ID})
	return c, nil
}

// renderCustomer renders the v3 customer_Full object.
func (s *store) renderCustomer(c *Customer, include map[string]bool) map[string]any {
	m := map[string]any{
		"id": c.ID, "email": c.Email, "first_name": c.FirstName, "last_name": c.LastName, "company": c.Company,
		"phone": c.Phone, "registration_ip_address": "", "notes": c.Notes, "tax_exempt_category": "",
		"customer_group_id": c.GroupID, "date_created": iso8601(c.Created), "date_modified": iso8601(c.Modified),
		"address_count": len(c.Addresses), "attribute_count": len(c.AttributeValues), "authentication": map[string]any{"force_password_reset": false},
		"accepts_product_review_abandoned_cart_emails": c.AcceptsAbandonedCartEmails,
		"origin_channel_id":                            c.OriginChannelID, "channel_ids": c.ChannelIDs,
	}
	if include["storecredit"] {
		m["store_credit_amounts"] = []any{map[string]any{"amount": c.StoreCredit.Float()}}
	}
	if include["addresses"] {
		addrs := []any{}
		for _, a := range c.Addresses {
			addrs = append(addrs, renderCustomerAddress(c, a))
		}
		m["addresses"] = addrs
	}
	if include["attributes"] {
		attrs := []any{}
		for _, v := range c.AttributeValues {
			attrs = append(attrs, renderAttributeValue(c.ID, v))
		}
		m["attributes"] = attrs
	}
	if include["formfields"] {
		m["form_fields"] = renderFormFields(c)
	}
	if (include["shopper_profile_id"] || include["segment_ids"]) && !s.SegmentationOff {
		var prof *ShopperProfile
		for _, p := range s.Profiles {
			if p.CustomerID == c.ID {
				prof = p
			}
		}
		if include["shopper_profile_id"] && prof != nil {
			m["shopper_profile_id"] = prof.ID
		}
		if include["segment_ids"] {
			ids := []string{}
			if prof != nil {
				for _, g := range s.Segments {
					if g.Profiles[prof.ID] {
						ids = append(ids, g.ID)
					}
				}
			}
			m["segment_ids"] = ids
		}
	}
	return m
}

// renderCustomerAddress renders address_Full.
func renderCustomerAddress(c *Customer, a CustomerAddress) map[string]any {
	typ := "residential"
	if a.Company != "" {
		typ = "commercial"
	}
	return map[string]any{
		"id": a.ID, "customer_id": c.ID, "first_name": a.FirstName, "last_name": a.LastName, "company": a.Company,
		"address1": a.Street1, "address2": a.Street2, "city": a.City, "state_or_province": a.State,
		"postal_code": a.Zip, "country_code": a.CountryISO2, "country": a.Country, "phone": a.Phone, "address_type": typ,
	}
}

func (s *store) renderGroup(g *CustomerGroup) map[string]any {
	return map[string]any{
		"id": g.ID, "name": g.Name, "is_default": g.IsDefault, "category_access": map[string]any{"type": "all"},
		"date_created": rfc2822(g.Created), "date_modified": rfc2822(g.Modified), "is_group_for_guests": false,
	}
}

type dateBound struct {
	min, max time.Time
}

func (b dateBound) ok(t time.Time) bool {
	return (b.min.IsZero() || !t.Before(b.min)) && (b.max.IsZero() || !t.After(b.max))
}

func parseBound(q map[string][]string, name string) (dateBound, error) {
	var b dateBound
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	for _, k := range []string{name + ":min", name + ":max", name} {
		v := get(k)
		if v == "" {
			continue
		}
		t, err := parseAPIDate(v)
		if err != nil {
			return b, &apiError{Status: 422, Title: fmt.Sprintf("The filter(s): %s are not valid.", k), Details: map[string]string{k: "invalid date"}}
		}
		switch {
		case strings.HasSuffix(k, ":min"):
			b.min = t
		case strings.HasSuffix(k, ":max"):
			b.max = t
		default:
			b.min, b.max = t, t.Add(24*time.Hour-time.Nanosecond)
		}
	}
	return b, nil
}

type apiCustomer struct {
	ID                         int    `json:"id"`
	Email                      string `json:"email"`
	FirstName                  string `json:"first_name"`
	LastName                   string `json:"last_name"`
	Company                    string `json:"company"`
	Phone                      string `json:"phone"`
	Notes                      string `json:"notes"`
	CustomerGroupID            int    `json:"customer_group_id"`
	AcceptsAbandonedCartEmails *bool  `json:"accepts_product_review_abandoned_cart_emails"`
	ChannelIDs                 []int  `json:"channel_ids"`
	OriginChannelID            int    `json:"origin_channel_id"`
}

func (a apiCustomer) input() CustomerInput {
	return CustomerInput{
		Email: a.Email, FirstName: a.FirstName, LastName: a.LastName, Company: a.Company, Phone: a.Phone,
		GroupID: a.CustomerGroupID, AcceptsAbandonedCartEmails: a.AcceptsAbandonedCartEmails, ChannelIDs: a.ChannelIDs,
	}
}

func (e *Emulator) registerCustomers() {
	e.v3("GET /customers", func(s *store, w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		p, err := parsePage(q, 50, 250, false)
		if err != nil {
			return err
		}
		var ids, groups map[int]bool
		if v := q.Get("id:in"); v != "" {
			xs, err := csvInts(v)
			if err != nil {
				return &apiError{Status: 422, Title: "The filter(s): id:in are not valid.", Details: map[string]string{"id:in": err.Error()}}
			}
			ids = intSet(xs)
		}
		if v := q.Get("customer_group_id:in"); v != "" {
			xs, err := csvInts(v)
			if err != nil {
				return &apiError{Status: 422, Title: "The filter(s): customer_group_id:in are not valid.", Details: map[string]string{"customer_group_id:in": err.Error()}}
			}
			groups = intSet(xs)
		}
		var emails map[string]bool
		if vs := q["email:in"]; len(vs) > 0 {
			emails = map[string]bool{}
			for e := range csvStrings(vs) {
				emails[strings.ToLower(e)] = true
			}
		}
		created, err := parseBound(q, "date_created")
		if err != nil {
			return err
		}
		modified, err := parseBound(q, "date_modified")
		if err != nil {
			return err
		}
		include := csvStrings(q["include"])
		s.mu.Lock()
		defer s.mu.Unlock()
		var list []*Customer
		for _, c := range s.Customers {
			if (ids == nil || ids[c.ID]) && (groups == nil || groups[c.GroupID]) &&
				(emails == nil || emails[strings.ToLower(c.Email)]) && created.ok(c.Created) && modified.ok(c.Modified) {
				list = append(list, c)
			}
		}
		if sortSpec := q.Get("sort"); sortSpec != "" {
			field, dir, _ := strings.Cut(sortSpec, ":")
			var less func(a, b *Customer) bool
			switch field {
			case "date_created":
				less = func(a, b *Customer) bool { return a.Created.Before(b.Created) }
			case "date_modified":
				less = func(a, b *Customer) bool { return a.Modified.Before(b.Modified) }
			case "last_name":
				less = func(a, b *Customer) bool { return a.LastName < b.LastName }
			default:
				return &apiError{Status: 422, Title: "The filter(s): sort are not valid.", Details: map[string]string{"sort": "unknown field"}}
			}
			sort.SliceStable(list, func(i, j int) bool {
				if dir == "desc" {
					return less(list[j], list[i])
				}
				return less(list[i], list[j])
			})
		}
		from, to := p.slice(len(list))
		data := []any{}
		for _, c := range list[from:to] {
			data = append(data, s.renderCustomer(c, include))
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data, "meta": map[string]any{"pagination": v3Pagination(p, len(list), len(data), q)}})
		return nil
	})
	e.v3("POST /customers", func(s *store, w http.ResponseWriter, r *http.Request) error {
		var body []apiCustomer
		if err := decodeJSON(r, &body); err != nil {
			return err
		}
		if len(body) == 0 || len(body) > 10 {
			return &apiError{Status: 422, Title: "Between 1 and 10 customers can be created per request.", Details: map[string]string{"customers": "1 to 10 items"}}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		for i, a := range body {
			if !strings.Contains(a.Email, "@") || strings.TrimSpace(a.FirstName) == "" || strings.TrimSpace(a.LastName) == "" {
				return &apiError{Status: 422, Title: "Required fields are missing or invalid.", Details: map[string]string{fmt.Sprintf("%d", i): "email, first_name and last_name are required"}}
			}
		}
		data := []any{}
		for _, a := range body {
			c, err := s.addCustomer(a.input(), e.now())
			if err != nil {
				return err
			}
			c.Notes = a.Notes
			e.emit(s, "store/customer/created", map[string]any{"type": "customer", "id": c.ID})
			data = append(data, s.renderCustomer(c, nil))
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data, "meta": map[string]any{}})
		return nil
	})
	e.v3("PUT /customers", func(s *store, w http.ResponseWriter, r *http.Request) error {
		var body []apiCustomer
		if err := decodeJSON(r, &body); err != nil {
			return err
		}
		if len(body) == 0 || len(body) > 10 {
			return &apiError{Status: 422, Title: "Between 1 and 10 customers can be updated per request.", Details: map[string]string{"customers": "1 to 10 items"}}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		data := []any{}
		for _, a := range body {
			if a.ID == 0 {
				return &apiError{Status: 422, Title: "id is required.", Details: map[string]string{"id": "required"}}
			}
			c, err := e.updateCustomer(s, a.ID, a.input())
			if err != nil {
				return err
			}
			if a.Notes != "" {
				c.Notes = a.Notes
			}
			data = append(data, s.renderCustomer(c, nil))
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data, "meta": map[string]any{}})
		return nil
	})
	e.v2("GET /customer_groups", func(s *store, w http.ResponseWriter, r *http.Request) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		items := []any{}
		name := r.URL.Query().Get("name")
		for _, g := range s.Groups {
			if name == "" || strings.EqualFold(name, g.Name) {
				items = append(items, s.renderGroup(g))
			}
		}
		return v2List(w, r, items)
	})
	e.v2("GET /customer_groups/{id}", func(s *store, w http.ResponseWriter, r *http.Request) error {
		id, _ := strconv.Atoi(r.PathValue("id"))
		s.mu.Lock()
		defer s.mu.Unlock()
		g := s.group(id)
		if g == nil {
			return errf(404, "The requested resource was not found.")
		}
		writeJSON(w, http.StatusOK, s.renderGroup(g))
		return nil
	})
}
