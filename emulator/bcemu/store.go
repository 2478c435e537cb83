package bcemu

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"
)

// state is the persistent part of a store (what Save writes).
type state struct {
	Hash         string `json:"hash"`
	AccessToken  string `json:"access_token"`
	ClientSecret string `json:"client_secret"`
	ClientID     string `json:"client_id"`
	StoreID      int    `json:"store_id"`
	Domain       string `json:"domain"`
	Channels     []int  `json:"channels"`
	// Sites are the storefront URLs of channels other than the first (see sites.go).
	Sites map[int]string `json:"sites,omitempty"`
	Quota int            `json:"quota"`
	// WindowMs is the rate-limit window in milliseconds (0: RateLimitWindow).
	WindowMs      int64                `json:"window_ms,omitempty"`
	Products      []*Product           `json:"products"`
	Categories    []*Category          `json:"categories,omitempty"`
	Groups        []*CustomerGroup     `json:"customer_groups"`
	Attributes    []*CustomerAttribute `json:"customer_attributes,omitempty"`
	Customers     []*Customer          `json:"customers"`
	Guests        map[string]*Customer `json:"guests"`
	Carts         map[string]*Cart     `json:"carts"`
	AbandonTokens map[string]string    `json:"abandon_tokens"`
	Orders        []*Order             `json:"orders"`
	// Bulk holds generated orders in compact form (orderstore.go).
	Bulk       bulkOrders        `json:"bulk_orders"`
	Promotions []*Promotion      `json:"promotions"`
	Segments   []*Segment        `json:"segments"`
	Profiles   []*ShopperProfile `json:"shopper_profiles"`
	// SegmentationOff makes the Customer Segmentation API unavailable
	// (SetSegmentationAvailable).
	SegmentationOff bool      `json:"segmentation_off,omitempty"`
	Hooks           []*Hook   `json:"hooks"`
	Seq             sequences `json:"seq"`
}

type sequences struct {
	Customer, Order, OrderProduct, Shipment, Refund, Promotion, Code, Hook, Product, Image, Variant, OptionValue, OrderCoupon int
	Attribute, AttributeValue                                                                                                 int
	Category, CustomField, Address                                                                                            int
}

// store is one emulated store. Every field is guarded by mu.
type store struct {
	mu sync.Mutex
	state
	rl         rateWindow
	stats      requestStats
	faults     Faults
	faultRand  *rand.Rand
	held       []*event
	deliveries []Delivery
	eventSeq   int
	// segWrites counts the Segmentation API writes in flight (at most
	// MaxSegmentWritesInFlight).
	segWrites int
}

func (s *store) info() StoreInfo {
	return StoreInfo{
		Hash: s.Hash, StoreID: s.StoreID, AccessToken: s.AccessToken, ClientID: s.ClientID,
		ClientSecret: s.ClientSecret, Channels: append([]int(nil), s.Channels...), Quota: s.Quota,
		WindowMs: s.window().Milliseconds(),
	}
}

func (s *store) hasChannel(id int) bool {
	for _, c := range s.Channels {
		if c == id {
			return true
		}
	}
	return false
}

// --- catalog

func (s *store) addProduct(p ProductSeed, now time.Time) error {
	if p.ID == 0 {
		p.ID = s.Seq.Product + 1
	}
	if s.product(p.ID) != nil {
		return fmt.Errorf("bcemu: duplicate product id %d", p.ID)
	}
	if p.ID > s.Seq.Product {
		s.Seq.Product = p.ID
	}
	typ := p.Type
	if typ == "" {
		typ = "physical"
	}
	prod := &Product{
		ID: p.ID, Name: p.Name, SKU: p.SKU, Type: typ, Description: p.Description,
		Price: MoneyFromFloat(p.Price), SalePrice: MoneyFromFloat(p.SalePrice), CostPrice: MoneyFromFloat(p.CostPrice),
		Weight: p.Weight, BrandID: p.BrandID, Brand: p.Brand, Categories: p.Categories, Inventory: p.Inventory,
		Slug: slugify(p.Name), OptionName: p.OptionName, Availability: p.Availability, Created: now, Modified: now,
	}
	if prod.Categories == nil {
		prod.Categories = []int{}
	}
	if prod.Availability == "" {
		prod.Availability = "available"
	}
	s.setCustomFields(prod, p.CustomFields)
	for i, f := range p.Images {
		s.Seq.Image++
		prod.Images = append(prod.Images, Image{ID: s.Seq.Image, File: f, Thumbnail: i == 0})
	}
	if len(p.Variants) == 0 {
		s.Seq.Variant++
		prod.Variants = []*Variant{{ID: s.Seq.Variant, SKU: p.SKU, SKUID: s.Seq.Variant}}
	} else {
		if prod.OptionName == "" {
			prod.OptionName = "Option"
		}
		s.Seq.OptionValue++
		prod.OptionID = 100 + p.ID
		for _, v := range p.Variants {
			id := v.ID
			if id == 0 {
				id = s.Seq.Variant + 1
			}
			if id > s.Seq.Variant {
				s.Seq.Variant = id
			}
			s.Seq.OptionValue++
			prod.Variants = append(prod.Variants, &Variant{
				ID: id, SKU: v.SKU, SKUID: id, Label: v.Label, ValueID: s.Seq.OptionValue, Price: MoneyFromFloat(v.Price),
			})
		}
	}
	for _, v := range prod.Variants {
		if v.SKU == "" {
			return fmt.Errorf("bcemu: product %d: a variant needs a SKU", p.ID)
		}
		if _, other := s.variantBySKU(v.SKU); other != nil {
			return fmt.Errorf("bcemu: duplicate SKU %q", v.SKU)
		}
	}
	s.Products = append(s.Products, prod)
	sort.Slice(s.Products, func(i, j int) bool { return s.Products[i].ID < s.Products[j].ID })
	return nil
}

func (s *store) product(id int) *Product {
	i := sort.Search(len(s.Products), func(i int) bool { return s.Products[i].ID >= id })
	if i < len(s.Products) && s.Products[i].ID == id {
		return s.Products[i]
	}
	return nil
}

func (s *store) variantBySKU(sku string) (*Product, *Variant) {
	for _, p := range s.Products {
		for _, v := range p.Variants {
			if strings.EqualFold(v.SKU, sku) {
				return p, v
			}
		}
	}
	return nil, nil
}

func (p *Product) variant(id int) *Variant {
	for _, v := range p.Variants {
		if v.ID == id {
			return v
		}
	}
	return nil
}

// unitPrice returns the list and sale price of a variant.
func (p *Product) unitPrice(v *Variant) (list, sale Money) {
	list = p.Price
	if v != nil && v.Price > 0 {
		list = v.Price
	}
	sale = list
	if p.SalePrice > 0 && p.SalePrice < list && (v == nil || v.Price == 0) {
		sale = p.SalePrice
	}
	return list, sale
}

func (s *store) productURL(p *Product) string { return s.Domain + "/" + p.Slug + "/" }

func (s *store) imageURL(p *Product, img Image, size string) string {
	return fmt.Sprintf("https://cdn11.bigcommerce.com/s-%s/images/stencil/%s/products/%d/%d/%s", s.Hash, size, p.ID, img.ID, img.File)
}

// thumbnail returns the URL of the product's thumbnail image, or "".
func (s *store) thumbnail(p *Product) string {
	for _, img := range p.Images {
		if img.Thumbnail {
			return s.imageURL(p, img, "500x659")
		}
	}
	if len(p.Images) > 0 {
		return s.imageURL(p, p.Images[0], "500x659")
	}
	return ""
}

// --- customers

func (s *store) customer(id int) *Customer {
	i := sort.Search(len(s.Customers), func(i int) bool { return s.Customers[i].ID >= id })
	if i < len(s.Customers) && s.Customers[i].ID == id {
		return s.Customers[i]
	}
	return nil
}

func (s *store) customerByEmail(email string) *Customer {
	for _, c := range s.Customers {
		if strings.EqualFold(c.Email, email) {
			return c
		}
	}
	return nil
}

func (s *store) group(id int) *CustomerGroup {
	for _, g := range s.Groups {
		if g.ID == id {
			return g
		}
	}
	return nil
}

func (s *store) addCustomer(in CustomerInput, now time.Time) (*Customer, error) {
	in.Email = strings.TrimSpace(in.Email)
	if !strings.Contains(in.Email, "@") {
		return nil, &apiError{Status: 422, Title: "The email address is not valid.", Details: map[string]string{"email": "must be a valid email address"}}
	}
	if s.customerByEmail(in.Email) != nil {
		return nil, &apiError{Status: 409, Title: fmt.Sprintf("The customer with email %s already exists.", in.Email), Details: map[string]string{"email": "already in use"}}
	}
	if in.GroupID != 0 && s.group(in.GroupID) == nil {
		return nil, &apiError{Status: 422, Title: fmt.Sprintf("Customer group %d does not exist.", in.GroupID), Details: map[string]string{"customer_group_id": "unknown customer group"}}
	}
	id := in.ID
	if id == 0 {
		id = s.Seq.Customer + 1
	} else if s.customer(id) != nil {
		return nil, errf(409, "Customer %d already exists.", id)
	}
	if id > s.Seq.Customer {
		s.Seq.Customer = id
	}
	first, last := defaultNames(in.Email, in.FirstName, in.LastName)
	channels := in.ChannelIDs
	if len(channels) == 0 {
		channels = []int{s.Channels[0]}
	}
	c := &Customer{
		ID: id, Email: in.Email, FirstName: first, LastName: last, Phone: in.Phone, Company: in.Company,
		GroupID: in.GroupID, AcceptsMarketing: in.AcceptsMarketing, ChannelIDs: channels,
		OriginChannelID: channels[0], Created: now, Modified: now,
	}
	if in.AcceptsAbandonedCartEmails != nil {
		c.AcceptsAbandonedCartEmails = *in.AcceptsAbandonedCartEmails
	} else {
		c.AcceptsAbandonedCartEmails = true
	}
	if err := s.setAttributes(c, in.Attributes, now); err != nil {
		return nil, err
	}
	c.setFormFields(in.FormFields)
	s.setAddressBook(c, in)
	s.Customers = append(s.Customers, c)
	sort.Slice(s.Customers, func(i, j int) bool { return s.Customers[i].ID < s.Customers[j].ID })
	return c, nil
}

func defaultNames(email, first, last string) (string, string) {
	if first == "" {
		local, _, _ := strings.Cut(email, "@")
		first = local
		if first == "" {
			first = "Shopper"
		}
	}
	if last == "" {
		last = "Shopper"
	}
	return first, last
}

// --- orders

func (s *store) promotion(id int) *Promotion {
	for _, p := range s.Promotions {
		if p.ID == id {
			return p
		}
	}
	return nil
}

func (s *store) hook(id int) *Hook {
	for _, h := range s.Hooks {
		if h.ID == id {
			return h
		}
	}
	return nil
}

func (s *store) segment(id string) *Segment {
	for _, g := range s.Segments {
		if g.ID == id {
			return g
		}
	}
	return nil
}

func (s *store) profile(id string) *ShopperProfile {
	for _, p := range s.Profiles {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// --- default store

func defaultGroups() []CustomerGroupSeed {
	return []CustomerGroupSeed{{ID: 1, Name: "Retail", IsDefault: true}, {ID: 2, Name: "Wholesale"}, {ID: 3, Name: "VIP"}}
}

// DefaultStore returns the seed of the development store: hash "bcflowdev",
// token "dev-access-token", client secret "dev-client-secret", channel 1, a
// dozen products (some with variants) in five categories, customer groups Retail (1), Wholesale
// (2) and VIP (3), four customers (Jane, customer 1, has the "SMS opt-in"
// attribute set to Yes) and a coupon promotion with code WELCOME10 (10% off
// the cart).
func DefaultStore() StoreSeed {
	return StoreSeed{
		Hash: "bcflowdev", AccessToken: "dev-access-token", ClientSecret: "dev-client-secret",
		ClientID: "dev-client-id", StoreID: 1001001, Channels: []int{1},
		CustomerGroups: defaultGroups(),
		Catalog: []ProductSeed{
			{ID: 111, Name: "Orbit Terrarium - Large", SKU: "OTL", Price: 109, Weight: 2, Brand: "Common Good", BrandID: 1, Categories: []int{18}, Inventory: 40, Images: []string{"orbit-terrarium-large.jpg", "orbit-terrarium-large-2.jpg"}},
			{ID: 112, Name: "Orbit Terrarium - Small", SKU: "OTS", Price: 89, Weight: 1, Brand: "Common Good", BrandID: 1, Categories: []int{18}, Inventory: 55, Images: []string{"orbit-terrarium-small.jpg"}},
			{ID: 113, Name: "Chemex Coffeemaker 3 Cup", SKU: "CC3C", Price: 49.5, Weight: 1.5, Brand: "Chemex", BrandID: 2, Categories: []int{21}, Inventory: 120, Images: []string{"chemex-3-cup.jpg"}},
			{ID: 114, Name: "Able Brewing System", SKU: "ABS", Price: 225, SalePrice: 199, Weight: 3, Brand: "Able", BrandID: 3, Categories: []int{21}, Inventory: 15, Images: []string{"able-brewing-system.jpg"}},
			{ID: 115, Name: "Canvas Laundry Cart", SKU: "CLC", Price: 200, Weight: 6, Brand: "Common Good", BrandID: 1, Categories: []int{23}, Inventory: 8, Images: []string{"canvas-laundry-cart.jpg"}},
			{ID: 116, Name: "Dustpan & Brush", SKU: "DPB", Price: 34.95, Weight: 0.7, Brand: "OFS", BrandID: 4, Categories: []int{23}, Inventory: 70, Images: []string{"dustpan-brush.jpg"}},
			{ID: 117, Name: "Utility Caddy", SKU: "OFSUC", Price: 45.95, Weight: 1, Brand: "OFS", BrandID: 4, Categories: []int{23}, Inventory: 33, Images: []string{"utility-caddy.jpg"}},
			{ID: 118, Name: "Organic Cotton Tee", SKU: "TEE", Price: 28, Weight: 0.3, Brand: "Sagaform", BrandID: 5, Categories: []int{19}, Inventory: 200, Images: []string{"organic-tee.jpg"},
				OptionName: "Size", Variants: []VariantSeed{{ID: 140, SKU: "TEE-S", Label: "Small"}, {ID: 141, SKU: "TEE-M", Label: "Medium"}, {ID: 142, SKU: "TEE-L", Label: "Large"}, {ID: 143, SKU: "TEE-XL", Label: "X-Large", Price: 30}}},
			{ID: 119, Name: "Fog Linen Chambray Towel", SKU: "FLCT", Price: 49, Weight: 0.5, Brand: "Fog Linen", BrandID: 6, Categories: []int{23}, Inventory: 90, Images: []string{"chambray-towel.jpg"},
				OptionName: "Color", Variants: []VariantSeed{{ID: 150, SKU: "FLCT-BEIGE", Label: "Beige"}, {ID: 151, SKU: "FLCT-GREY", Label: "Grey"}, {ID: 152, SKU: "FLCT-NAVY", Label: "Navy"}}},
			{ID: 120, Name: "Smith Journal 13", SKU: "SM13", Price: 25, Weight: 0.4, Brand: "Smith", BrandID: 7, Categories: []int{24}, Inventory: 300, Images: []string{"smith-journal-13.jpg"}},
			{ID: 121, Name: "Kinfolk Field Guide (eBook)", SKU: "KFG-EBOOK", Type: "digital", Price: 12.5, Brand: "Kinfolk", BrandID: 8, Categories: []int{24}, Images: []string{"kinfolk-field-guide.jpg"}},
			{ID: 122, Name: "Ceramic Pour-Over Mug", SKU: "MUG", Price: 22, Weight: 0.6, Brand: "Sagaform", BrandID: 5, Categories: []int{21}, Inventory: 140, Images: []string{"pour-over-mug.jpg"},
				OptionName: "Color", Variants: []VariantSeed{{ID: 160, SKU: "MUG-WHITE", Label: "White"}, {ID: 161, SKU: "MUG-BLACK", Label: "Black"}}},
		},
		Categories: []CategorySeed{
			{ID: 18, Name: "Garden", SortOrder: 1}, {ID: 19, Name: "Apparel", SortOrder: 2}, {ID: 21, Name: "Kitchen", SortOrder: 3},
			{ID: 23, Name: "Utility", SortOrder: 4}, {ID: 24, Name: "Publications", SortOrder: 5},
		},
		Promotions: []PromotionInput{{Name: "Welcome 10% off", Code: "WELCOME10", PercentOff: 10}},
		Customers: []CustomerSeed{
			{ID: 1, Email: "jane.doe@example.com", FirstName: "Jane", LastName: "Doe", Phone: "+15125550101", GroupID: 1, AcceptsMarketing: true, AcceptsAbandonedCartEmails: true,
				Attributes: map[string]string{"SMS opt-in": "Yes"}},
			{ID: 2, Email: "john.smith@example.com", FirstName: "John", LastName: "Smith", Phone: "+15125550102", GroupID: 1, AcceptsMarketing: false, AcceptsAbandonedCartEmails: true},
			{ID: 3, Email: "buyer@wholesale.example.com", FirstName: "Wanda", LastName: "Holesale", Company: "Wholesale Co", GroupID: 2, AcceptsMarketing: true, AcceptsAbandonedCartEmails: false},
			{ID: 4, Email: "vip@example.com", FirstName: "Victor", LastName: "Important", Phone: "+447700900123", GroupID: 3, AcceptsMarketing: true, AcceptsAbandonedCartEmails: true},
		},
	}
}
