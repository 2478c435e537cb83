package bcemu

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// ItemInput selects a catalog item for a cart line: by SKU (product or variant
// SKU), or by product id plus variant id (the variant may be omitted for a
// product without options).
type ItemInput struct {
	ProductID int      `json:"product_id,omitempty"`
	VariantID int      `json:"variant_id,omitempty"`
	SKU       string   `json:"sku,omitempty"`
	Quantity  int      `json:"quantity"`
	ListPrice *float64 `json:"list_price,omitempty"`
}

// CartInput creates a cart.
type CartInput struct {
	ChannelID  int         `json:"channel_id,omitempty"`  // default: the store's first channel
	CustomerID int         `json:"customer_id,omitempty"` // 0: guest
	Email      string      `json:"email,omitempty"`       // a guest's email, if already known
	Currency   string      `json:"currency,omitempty"`    // default USD
	Locale     string      `json:"locale,omitempty"`      // default en
	Items      []ItemInput `json:"line_items"`
}

// QuantityChange sets the quantity of a line (by line item id or SKU); 0 removes it.
type QuantityChange struct {
	ItemID   string `json:"item_id,omitempty"`
	SKU      string `json:"sku,omitempty"`
	Quantity int    `json:"quantity"`
}

// CartUpdate changes a cart's lines. Removing every line deletes the cart, as on the real platform.
type CartUpdate struct {
	Add        []ItemInput      `json:"add,omitempty"`
	Remove     []string         `json:"remove,omitempty"` // line item ids or SKUs
	Quantities []QuantityChange `json:"quantities,omitempty"`
}

// resolveItem turns an item selection into a cart line. s.mu must be held.
func (s *store) resolveItem(in ItemInput) (LineItem, error) {
	if in.Quantity <= 0 {
		return LineItem{}, &apiError{Status: 422, Title: "Quantity must be greater than zero.", Details: map[string]string{"quantity": "must be positive"}}
	}
	var p *Product
	var v *Variant
	switch {
	case in.SKU != "":
		p, v = s.variantBySKU(in.SKU)
		if p == nil {
			return LineItem{}, &apiError{Status: 422, Title: fmt.Sprintf("SKU %s does not exist.", in.SKU), Details: map[string]string{"sku": "unknown SKU"}}
		}
	case in.ProductID != 0:
		p = s.product(in.ProductID)
		if p == nil {
			return LineItem{}, &apiError{Status: 422, Title: fmt.Sprintf("Product %d does not exist.", in.ProductID), Details: map[string]string{"product_id": "unknown product"}}
		}
		if in.VariantID != 0 {
			v = p.variant(in.VariantID)
			if v == nil {
				return LineItem{}, &apiError{Status: 422, Title: fmt.Sprintf("Variant %d does not belong to product %d.", in.VariantID, in.ProductID), Details: map[string]string{"variant_id": "unknown variant"}}
			}
		} else if p.OptionID == 0 {
			v = p.Variants[0]
		} else {
			return LineItem{}, &apiError{Status: 422, Title: fmt.Sprintf("Product %d has variants: variant_id is required.", p.ID), Details: map[string]string{"variant_id": "required"}}
		}
	default:
		return LineItem{}, &apiError{Status: 422, Title: "A line item needs a product_id or a sku.", Details: map[string]string{"product_id": "required"}}
	}
	list, sale := p.unitPrice(v)
	if in.ListPrice != nil {
		list = MoneyFromFloat(*in.ListPrice)
		sale = list
	}
	name := p.Name
	img := s.thumbnail(p)
	if v.ImageURL != "" {
		img = v.ImageURL
	}
	return LineItem{
		ID: newUUID(), ProductID: p.ID, VariantID: v.ID, SKU: v.SKU, Name: name, Quantity: in.Quantity,
		ListPrice: list, SalePrice: sale, ImageURL: img, URL: s.productURL(p), Digital: p.Type == "digital",
	}, nil
}

func (c *Cart) baseAmount() Money {
	var t Money
	for _, it := range c.Items {
		t += it.SalePrice * Money(it.Quantity)
	}
	return t
}

func (c *Cart) clone() Cart {
	out := *c
	out.Items = append([]LineItem(nil), c.Items...)
	return out
}

// addLines adds lines to a cart, merging with an existing line of the same variant and price. It returns the
// ids of new and changed lines.
func (c *Cart) addLines(items []LineItem) (created, updated []string) {
	for _, it := range items {
		merged := false
		for i := range c.Items {
			if c.Items[i].VariantID == it.VariantID && c.Items[i].ProductID == it.ProductID && c.Items[i].ListPrice == it.ListPrice {
				c.Items[i].Quantity += it.Quantity
				updated = append(updated, c.Items[i].ID)
				merged = true
				break
			}
		}
		if !merged {
			c.Items = append(c.Items, it)
			created = append(created, it.ID)
		}
	}
	return created, updated
}

func (c *Cart) findLine(idOrSKU string) int {
	for i, it := range c.Items {
		if it.ID == idOrSKU || strings.EqualFold(it.SKU, idOrSKU) {
			return i
		}
	}
	return -1
}

// newCart creates a cart and emits its events. s.mu must be held.
func (e *Emulator) newCart(s *store, in CartInput, viaAPI bool) (*Cart, error) {
	if in.ChannelID == 0 {
		in.ChannelID = s.Channels[0]
	} else if !s.hasChannel(in.ChannelID) {
		return nil, &apiError{Status: 422, Title: fmt.Sprintf("Channel %d does not exist.", in.ChannelID), Details: map[string]string{"channel_id": "unknown channel"}}
	}
	if len(in.Items) == 0 {
		return nil, &apiError{Status: 422, Title: "A cart needs at least one line item.", Details: map[string]string{"line_items": "required"}}
	}
	email := strings.TrimSpace(in.Email)
	if in.CustomerID != 0 {
		cu := s.customer(in.CustomerID)
		if cu == nil {
			return nil, &apiError{Status: 422, Title: fmt.Sprintf("Customer %d does not exist.", in.CustomerID), Details: map[string]string{"customer_id": "unknown customer"}}
		}
		email = cu.Email
	}
	var lines []LineItem
	for _, in := range in.Items {
		li, err := s.resolveItem(in)
		if err != nil {
			return nil, err
		}
		lines = append(lines, li)
	}
	now := e.now()
	c := &Cart{
		ID: newUUID(), CustomerID: in.CustomerID, Email: email, ChannelID: in.ChannelID,
		Currency: strings.ToUpper(defaultStr(in.Currency, "USD")), Locale: defaultStr(in.Locale, "en"),
		ViaAPI: viaAPI, Version: 1, Created: now, Updated: now,
	}
	created, _ := c.addLines(lines)
	s.Carts[c.ID] = c
	e.emit(s, "store/cart/created", map[string]any{"type": "cart", "id": c.ID})
	e.emit(s, "store/cart/updated", map[string]any{"type": "cart", "id": c.ID})
	for _, id := range created {
		e.emit(s, "store/cart/lineItem/created", map[string]any{"type": "cart_line_item", "id": id, "cartId": c.ID})
	}
	return c, nil
}

func defaultStr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// changeCart applies an update and emits its events; it reports whether the cart was deleted. s.mu must be held.
func (e *Emulator) changeCart(s *store, c *Cart, u CartUpdate) (bool, error) {
	var add []LineItem
	for _, in := range u.Add {
		li, err := s.resolveItem(in)
		if err != nil {
			return false, err
		}
		add = append(add, li)
	}
	for _, r := range u.Remove {
		if c.findLine(r) < 0 {
			return false, errf(404, "Line item %s not found in cart %s.", r, c.ID)
		}
	}
	for _, q := range u.Quantities {
		key := defaultStr(q.ItemID, q.SKU)
		if c.findLine(key) < 0 {
			return false, errf(404, "Line item %s not found in cart %s.", key, c.ID)
		}
		if q.Quantity < 0 {
			return false, errf(422, "Quantity must not be negative.")
		}
	}
	created, updated := c.addLines(add)
	var deleted []string
	for _, q := range u.Quantities {
		i := c.findLine(defaultStr(q.ItemID, q.SKU))
		if i < 0 {
			continue
		}
		if q.Quantity == 0 {
			deleted = append(deleted, c.Items[i].ID)
			c.Items = append(c.Items[:i], c.Items[i+1:]...)
			continue
		}
		c.Items[i].Quantity = q.Quantity
		updated = append(updated, c.Items[i].ID)
	}
	for _, r := range u.Remove {
		if i := c.findLine(r); i >= 0 {
			deleted = append(deleted, c.Items[i].ID)
			c.Items = append(c.Items[:i], c.Items[i+1:]...)
		}
	}
	c.Version++
	c.Updated = e.now()
	for _, id := range created {
		e.emit(s, "store/cart/lineItem/created", map[string]any{"type": "cart_line_item", "id": id, "cartId": c.ID})
	}
	for _, id := range updated {
		e.emit(s, "store/cart/lineItem/updated", map[string]any{"type": "cart_line_item", "id": id, "cartId": c.ID})
	}
	for _, id := range deleted {
		e.emit(s, "store/cart/lineItem/deleted", map[string]any{"type": "cart_line_item", "id": id, "cartId": c.ID})
	}
	e.emit(s, "store/cart/updated", map[string]any{"type": "cart", "id": c.ID})
	if len(c.Items) == 0 {
		delete(s.Carts, c.ID)
		e.emit(s, "store/cart/deleted", map[string]any{"type": "cart", "id": c.ID})
		return true, nil
	}
	return false, nil
}

// renderCart renders a cart as the v3 Cart_Full object.
func (s *store) renderCart(c *Cart) map[string]any {
	physical, digital := []any{}, []any{}
	for _, it := range c.Items {
		item := map[string]any{
			"id": it.ID, "variant_id": it.VariantID, "product_id": it.ProductID, "sku": it.SKU, "name": it.Name,
			"url": it.URL, "quantity": it.Quantity, "taxable": true, "image_url": it.ImageURL,
			"discounts": []any{}, "coupons": []any{}, "discount_amount": 0, "coupon_amount": 0,
			"original_price": it.ListPrice.Float(), "list_price": it.ListPrice.Float(), "sale_price": it.SalePrice.Float(),
			"extended_list_price": (it.ListPrice * Money(it.Quantity)).Float(),
			"extended_sale_price": (it.SalePrice * Money(it.Quantity)).Float(),
			"is_require_shipping": !it.Digital, "is_mutable": true, "added_by_promotion": false,
		}
		if it.Digital {
			digital = append(digital, item)
		} else {
			physical = append(physical, item)
		}
	}
	base := c.baseAmount()
	return map[string]any{
		"id": c.ID, "customer_id": c.CustomerID, "channel_id": c.ChannelID, "email": c.Email,
		"currency": map[string]any{"code": c.Currency}, "tax_included": false,
		"base_amount": base.Float(), "discount_amount": 0, "manual_discount_amount": 0, "cart_amount": base.Float(),
		"coupons": []any{}, "discounts": []any{},
		"line_items": map[string]any{
			"physical_items": physical, "digital_items": digital, "gift_certificates": []any{}, "custom_items": []any{},
		},
		"created_time": iso8601(c.Created), "updated_time": iso8601(c.Updated), "locale": c.Locale, "version": c.Version,
	}
}

func (s *store) redirectURLs(c *Cart) map[string]any {
	token := randHex(32)
	q := url.Values{"id": {c.ID}, "token": {token}}
	return map[string]any{
		"cart_url":              s.Domain + "/cart.php?action=load&" + q.Encode(),
		"checkout_url":          s.Domain + "/cart.php?action=loadInCheckout&" + q.Encode(),
		"embedded_checkout_url": s.Domain + "/cart.php?embedded=1&action=loadInCheckout&" + q.Encode(),
	}
}

func hasInclude(r *http.Request, name string) bool {
	return csvStrings(r.URL.Query()["include"])[name]
}

type apiLineItem struct {
	Quantity  int      `json:"quantity"`
	ProductID int      `json:"product_id"`
	VariantID int      `json:"variant_id"`
	ListPrice *float64 `json:"list_price"`
}

func (li apiLineItem) input() ItemInput {
	return ItemInput{ProductID: li.ProductID, VariantID: li.VariantID, Quantity: li.Quantity, ListPrice: li.ListPrice}
}

func checkVersion(c *Cart, v *int) error {
	if v != nil && *v != c.Version {
		return errf(409, "The request cannot be processed due to a possible conflict. Please review the changes and try again.")
	}
	return nil
}

func (e *Emulator) registerCarts() {
	cartResp := func(s *store, w http.ResponseWriter, r *http.Request, status int, c *Cart) {
		data := s.renderCart(c)
		if hasInclude(r, "redirect_urls") && c.ViaAPI {
			data["redirect_urls"] = s.redirectURLs(c)
		}
		writeJSON(w, status, map[string]any{"data": data, "meta": map[string]any{}})
	}
	// changeItems applies a line item change and answers as BigCommerce
	// does: 204 when the change emptied (and so deleted) the cart, the cart
	// otherwise. s.mu must be held.
	changeItems := func(s *store, w http.ResponseWriter, r *http.Request, c *Cart, u CartUpdate) error {
		deleted, err := e.changeCart(s, c, u)
		if err != nil {
			return err
		}
		if deleted {
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		cartResp(s, w, r, http.StatusOK, c)
		return nil
	}
	getCart := func(s *store, r *http.Request) (*Cart, error) {
		c := s.Carts[r.PathValue("id")]
		if c == nil {
			return nil, errf(404, "Cart not found.")
		}
		return c, nil
	}
	e.v3("POST /carts", func(s *store, w http.ResponseWriter, r *http.Request) error {
		var body struct {
			CustomerID  int             `json:"customer_id"`
			LineItems   []apiLineItem   `json:"line_items"`
			CustomItems json.RawMessage `json:"custom_items"`
			ChannelID   int             `json:"channel_id"`
			Currency    struct {
				Code string `json:"code"`
			} `json:"currency"`
			Locale string `json:"locale"`
		}
		if err := decodeJSON(r, &body); err != nil {
			return err
		}
		in := CartInput{CustomerID: body.CustomerID, ChannelID: body.ChannelID, Currency: body.Currency.Code, Locale: body.Locale}
		for _, li := range body.LineItems {
			in.Items = append(in.Items, li.input())
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		c, err := e.newCart(s, in, true)
		if err != nil {
			return err
		}
		cartResp(s, w, r, http.StatusCreated, c)
		return nil
	})
	e.v3("GET /carts/{id}", func(s *store, w http.ResponseWriter, r *http.Request) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		c, err := getCart(s, r)
		if err != nil {
			return err
		}
		cartResp(s, w, r, http.StatusOK, c)
		return nil
	})
	e.v3("PUT /carts/{id}", func(s *store, w http.ResponseWriter, r *http.Request) error {
		var body struct {
			CustomerID *int `json:"customer_id"`
			Version    *int `json:"version"`
		}
		if err := decodeJSON(r, &body); err != nil {
			return err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		c, err := getCart(s, r)
		if err != nil {
			return err
		}
		if err := checkVersion(c, body.Version); err != nil {
			return err
		}
		if body.CustomerID != nil {
			if *body.CustomerID != 0 {
				cu := s.customer(*body.CustomerID)
				if cu == nil {
					return &apiError{Status: 422, Title: fmt.Sprintf("Customer %d does not exist.", *body.CustomerID), Details: map[string]string{"customer_id": "unknown customer"}}
				}
				c.Email = cu.Email
			}
			c.CustomerID = *body.CustomerID
			c.Version++
			c.Updated = e.now()
			e.emit(s, "store/cart/updated", map[string]any{"type": "cart", "id": c.ID})
		}
		cartResp(s, w, r, http.StatusCreated, c)
		return nil
	})
	e.v3("DELETE /carts/{id}", func(s *store, w http.ResponseWriter, r *http.Request) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		c, err := getCart(s, r)
		if err != nil {
			return err
		}
		delete(s.Carts, c.ID)
		e.emit(s, "store/cart/deleted", map[string]any{"type": "cart", "id": c.ID})
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	e.v3("POST /carts/{id}/items", func(s *store, w http.ResponseWriter, r *http.Request) error {
		var body struct {
			LineItems []apiLineItem `json:"line_items"`
			Version   *int          `json:"version"`
		}
		if err := decodeJSON(r, &body); err != nil {
			return err
		}
		if len(body.LineItems) == 0 {
			return &apiError{Status: 422, Title: "line_items is required.", Details: map[string]string{"line_items": "required"}}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		c, err := getCart(s, r)
		if err != nil {
			return err
		}
		if err := checkVersion(c, body.Version); err != nil {
			return err
		}
		var u CartUpdate
		for _, li := range body.LineItems {
			u.Add = append(u.Add, li.input())
		}
		if _, err := e.changeCart(s, c, u); err != nil {
			return err
		}
		cartResp(s, w, r, http.StatusCreated, c)
		return nil
	})
	e.v3("PUT /carts/{id}/items/{item}", func(s *store, w http.ResponseWriter, r *http.Request) error {
		var body struct {
			LineItem apiLineItem `json:"line_item"`
			Version  *int        `json:"version"`
		}
		if err := decodeJSON(r, &body); err != nil {
			return err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		c, err := getCart(s, r)
		if err != nil {
			return err
		}
		if err := checkVersion(c, body.Version); err != nil {
			return err
		}
		i := c.findLine(r.PathValue("item"))
		if i < 0 {
			return errf(404, "Line item not found.")
		}
		if body.LineItem.ListPrice != nil {
			c.Items[i].ListPrice = MoneyFromFloat(*body.LineItem.ListPrice)
			c.Items[i].SalePrice = c.Items[i].ListPrice
		}
		return changeItems(s, w, r, c, CartUpdate{Quantities: []QuantityChange{{ItemID: c.Items[i].ID, Quantity: body.LineItem.Quantity}}})
	})
	e.v3("DELETE /carts/{id}/items/{item}", func(s *store, w http.ResponseWriter, r *http.Request) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		c, err := getCart(s, r)
		if err != nil {
			return err
		}
		if c.findLine(r.PathValue("item")) < 0 {
			return errf(404, "Line item not found.")
		}
		return changeItems(s, w, r, c, CartUpdate{Remove: []string{r.PathValue("item")}})
	})
	e.v3("POST /carts/{id}/redirect_urls", func(s *store, w http.ResponseWriter, r *http.Request) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		c, err := getCart(s, r)
		if err != nil {
			return err
		}
		if !c.ViaAPI {
			return errf(422, "Redirect URLs can only be generated from carts that were created using the REST Management API. Recreate the cart with POST /v3/carts.")
		}
		writeJSON(w, http.StatusCreated, map[string]any{"data": s.redirectURLs(c), "meta": map[string]any{}})
		return nil
	})
	e.v3("GET /abandoned-carts/{token}", func(s *store, w http.ResponseWriter, r *http.Request) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		id, ok := s.AbandonTokens[r.PathValue("token")]
		if !ok {
			return errf(404, "Abandoned cart with token %s not found", r.PathValue("token"))
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"cart_id": id}, "meta": map[string]any{}})
		return nil
	})
}

// --- simulator helpers

func (e *Emulator) withStore(hash string, fn func(s *store) error) error {
	s, err := e.store(hash)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn(s)
}

// CreateCart creates a storefront cart, as a shopper adding a first product
// does (store/cart/created, store/cart/updated, store/cart/lineItem/created).
// Such carts cannot get redirect URLs, as on the real platform.
func (e *Emulator) CreateCart(hash string, in CartInput) (Cart, error) {
	var out Cart
	err := e.withStore(hash, func(s *store) error {
		c, err := e.newCart(s, in, false)
		if err == nil {
			out = c.clone()
		}
		return err
	})
	return out, err
}

// UpdateCart adds, removes or changes lines of a cart (store/cart/updated and
// store/cart/lineItem/*). Removing every line deletes the cart (store/cart/deleted).
func (e *Emulator) UpdateCart(hash, cartID string, u CartUpdate) (Cart, error) {
	var out Cart
	err := e.withStore(hash, func(s *store) error {
		c := s.Carts[cartID]
		if c == nil {
			return errf(404, "Cart not found.")
		}
		_, err := e.changeCart(s, c, u)
		out = c.clone()
		return err
	})
	return out, err
}

// SetCartEmail records the email a guest entered at checkout (store/cart/updated).
func (e *Emulator) SetCartEmail(hash, cartID, email string) (Cart, error) {
	var out Cart
	err := e.withStore(hash, func(s *store) error {
		c := s.Carts[cartID]
		if c == nil {
			return errf(404, "Cart not found.")
		}
		if !strings.Contains(email, "@") {
			return &apiError{Status: 422, Title: "The email address is not valid.", Details: map[string]string{"email": "invalid"}}
		}
		c.Email = strings.TrimSpace(email)
		c.Version++
		c.Updated = e.now()
		e.emit(s, "store/cart/updated", map[string]any{"type": "cart", "id": c.ID})
		out = c.clone()
		return nil
	})
	return out, err
}

// ApplyCartCoupon applies a coupon code to a cart as the storefront does
// (the code is checked as at checkout) and fires store/cart/couponApplied
// with the coupon's id. The code is not kept on the cart: pass it to
// Checkout to redeem it.
func (e *Emulator) ApplyCartCoupon(hash, cartID, code string) (int, error) {
	var couponID int
	err := e.withStore(hash, func(s *store) error {
		c := s.Carts[cartID]
		if c == nil {
			return errf(404, "Cart not found.")
		}
		p, _, _, err := s.couponDiscount(code, c.CustomerID, 0)
		if err != nil {
			return err
		}
		couponID = p.ID
		c.Updated = e.now()
		e.emit(s, "store/cart/couponApplied", map[string]any{"type": "cart", "id": c.ID, "couponId": p.ID})
		return nil
	})
	return couponID, err
}

// AbandonCart fires store/cart/abandoned now (the platform waits for an hour
// of inactivity) and returns the abandoned-cart token that
// GET /v3/abandoned-carts/{token} resolves.
func (e *Emulator) AbandonCart(hash, cartID string) (string, error) {
	var token string
	err := e.withStore(hash, func(s *store) error {
		c := s.Carts[cartID]
		if c == nil {
			return errf(404, "Cart not found.")
		}
		if c.AbandonToken == "" {
			c.AbandonToken = randHex(16)
			s.AbandonTokens[c.AbandonToken] = c.ID
		}
		token = c.AbandonToken
		e.emit(s, "store/cart/abandoned", map[string]any{"type": "cart", "id": c.ID, "token": token})
		return nil
	})
	return token, err
}

// DeleteCart deletes a cart (store/cart/deleted).
func (e *Emulator) DeleteCart(hash, cartID string) error {
	return e.withStore(hash, func(s *store) error {
		if s.Carts[cartID] == nil {
			return errf(404, "Cart not found.")
		}
		delete(s.Carts, cartID)
		e.emit(s, "store/cart/deleted", map[string]any{"type": "cart", "id": cartID})
		return nil
	})
}
