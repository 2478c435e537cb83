package starter

import (
	"net/mail"
	"regexp"
	"strconv"
	"strings"
)

// The id shapes BigCommerce documents (webhooks.v3 callback payloads): cart
// and cart line item ids are UUIDs; order, shipment, customer and product ids
// are positive integers; a store hash is lower-case letters and digits
// ("stores/abc123"); store_id is a positive integer. Every route and every
// admin handler checks ids with these functions, so a malformed id is a 400
// before any dedupe row or workflow exists.
var (
	storeHashPattern = regexp.MustCompile(`^[a-z0-9]{1,64}$`)
	uuidPattern      = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	// scopePattern: "store/cart/lineItem/created", "store/channel/1/..." —
	// printable, slash-separated words.
	scopePattern = regexp.MustCompile(`^store(/[A-Za-z0-9_*-]+){1,8}$`)
	// eventHashPattern bounds BigCommerce's payload hash (SHA-1 hex in
	// practice), which becomes part of the dedupe key.
	eventHashPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	// abandonTokenPattern is the abandoned-cart token (hex in practice).
	abandonTokenPattern = regexp.MustCompile(`^[A-Za-z0-9]{1,128}$`)
)

// maxStatusID bounds an order status id (BigCommerce's are 0 to 14).
const maxStatusID = 255

// CheckStoreHash returns a *ParseError unless s is a store hash.
func CheckStoreHash(s string) error {
	if !storeHashPattern.MatchString(s) {
		return &ParseError{Field: "store_hash", Message: "must be 1 to 64 lower-case letters and digits"}
	}
	return nil
}

// CheckScope returns a *ParseError unless s looks like a webhook scope.
func CheckScope(s string) error {
	if !scopePattern.MatchString(s) {
		return &ParseError{Field: "scope", Message: `must look like "store/cart/updated"`}
	}
	return nil
}

// ParseID parses a positive integer id (order, customer, product, shipment,
// store_id); field names it in the error.
func ParseID(field, s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != s {
		return 0, &ParseError{Field: field, Message: "must be a positive integer"}
	}
	return n, nil
}

// ParseUUID checks a cart or line item id and returns it lower-cased, so
// one cart always maps to one workflow id.
func ParseUUID(field, s string) (string, error) {
	if !uuidPattern.MatchString(s) {
		return "", &ParseError{Field: field, Message: "must be a UUID"}
	}
	return strings.ToLower(s), nil
}

// ParseEmail checks an email address and returns it trimmed and
// lower-cased; a display name, quotes or anything else is an error.
func ParseEmail(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s || len(s) > 254 || strings.ContainsAny(s, "\"'\\ ") {
		return "", &ParseError{Field: field, Message: "must be an email address"}
	}
	return strings.ToLower(s), nil
}

// checkData checks the ids of data in the shape the scope's family has
// (webhooks.v3): it normalises cart ids in place. Scopes of other families
// (store/app, store/sku, inventory, channels...) carry other fields, which
// bcflow does not read.
func checkData(scope string, d *EventData) error {
	var err error
	family := func(prefix string) bool { return strings.HasPrefix(scope, prefix) }
	switch {
	case family("store/cart/lineItem/"):
		if d.ID, err = ParseUUID("data.id", d.ID); err != nil {
			return err
		}
		if d.CartID, err = ParseUUID("data.cartId", d.CartID); err != nil {
			return err
		}
	case family("store/cart/"):
		if d.ID, err = ParseUUID("data.id", d.ID); err != nil {
			return err
		}
		if d.CartID != "" {
			if d.CartID, err = ParseUUID("data.cartId", d.CartID); err != nil {
				return err
			}
		}
		if d.OrderID < 0 || (scope == "store/cart/converted" && d.OrderID == 0) {
			return &ParseError{Field: "data.orderId", Message: "must be a positive integer"}
		}
		if scope == "store/cart/abandoned" && !abandonTokenPattern.MatchString(d.Token) {
			return &ParseError{Field: "data.token", Message: "must be 1 to 128 letters and digits"}
		}
	case family("store/shipment/"):
		if _, err := ParseID("data.id", d.ID); err != nil {
			return err
		}
		if d.OrderID <= 0 {
			return &ParseError{Field: "data.orderId", Message: "must be a positive integer"}
		}
	case family("store/order/"), family("store/customer/"), family("store/product/"), family("store/category/"):
		if _, err := ParseID("data.id", d.ID); err != nil {
			return err
		}
	case family("store/sku/"):
		if _, err := ParseID("data.id", d.ID); err != nil {
			return err
		}
		if d.ProductID <= 0 {
			return &ParseError{Field: "data.sku.product_id", Message: "must be a positive integer"}
		}
	}
	return nil
}
