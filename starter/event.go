// Package starter is the one place that maps a BigCommerce webhook scope to
// what happens in Temporal: which workflow, under which id, started or
// signalled with which policy, carrying which search attributes.
package starter

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Event is one BigCommerce webhook callback, decoded.
type Event struct {
	// Scope is e.g. "store/cart/updated".
	Scope string
	// StoreHash comes from producer ("stores/{store_hash}").
	StoreHash string
	// StoreID is BigCommerce's numeric store id (store_id, a string).
	StoreID string
	// Hash is BigCommerce's SHA-1 of the payload data.
	Hash string
	// CreatedAt is the event time (unix seconds on the wire).
	CreatedAt time.Time
	// Data is the scope's payload.
	Data EventData
}

// EventData is the union of the fields BigCommerce puts in data.
type EventData struct {
	// Type is "cart", "order", "customer", "shipment", ...
	Type string
	// ID is the object id: a number for orders and customers, a UUID for
	// carts, kept as its decimal or string form.
	ID string
	// Token is the abandoned-cart token (store/cart/abandoned).
	Token string
	// OrderID is data.orderId (cart converted, shipments).
	OrderID int64
	// CartID is data.cartId (cart line item scopes).
	CartID string
	// CouponID is data.couponId (store/cart/couponApplied).
	CouponID int64
	// PreviousStatusID and NewStatusID come from data.status
	// (store/order/statusUpdated).
	PreviousStatusID, NewStatusID int
	// ProductID is data.sku.product_id (store/sku/*): the product a
	// variant belongs to.
	ProductID int64
}

// IntID returns ID as an integer, for scopes whose ids are numeric.
func (d EventData) IntID() (int64, error) {
	return ParseID("data.id", d.ID)
}

// ParseError says which field of a webhook body is wrong.
type ParseError struct {
	Field   string
	Message string
}

func (e *ParseError) Error() string { return e.Field + ": " + e.Message }

type wireEvent struct {
	Scope     *string         `json:"scope"`
	StoreID   json.RawMessage `json:"store_id"`
	Producer  string          `json:"producer"`
	Hash      string          `json:"hash"`
	CreatedAt json.RawMessage `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

type wireData struct {
	Type    string          `json:"type"`
	ID      json.RawMessage `json:"id"`
	Token   string          `json:"token"`
	OrderID json.RawMessage `json:"orderId"`
	CartID  string          `json:"cartId"`
	Coupon  json.RawMessage `json:"couponId"`
	Status  *struct {
		Previous json.RawMessage `json:"previous_status_id"`
		New      json.RawMessage `json:"new_status_id"`
	} `json:"status"`
	SKU *struct {
		ProductID json.RawMessage `json:"product_id"`
	} `json:"sku"`
}

// ParseEvent decodes a webhook body and checks every id in the shape
// BigCommerce documents (see validate.go): anything else is a *ParseError
// naming the field, which the caller answers with 400 before any row or
// workflow exists.
func ParseEvent(body []byte) (Event, error) {
	if !utf8.Valid(body) {
		return Event{}, &ParseError{Field: "body", Message: "not valid UTF-8"}
	}
	var w wireEvent
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&w); err != nil {
		return Event{}, &ParseError{Field: "body", Message: "not a JSON object: " + err.Error()}
	}
	if dec.More() {
		return Event{}, &ParseError{Field: "body", Message: "trailing data after the JSON object"}
	}
	if w.Scope == nil || strings.TrimSpace(*w.Scope) == "" {
		return Event{}, &ParseError{Field: "scope", Message: "missing"}
	}
	ev := Event{Scope: strings.TrimSpace(*w.Scope), Hash: w.Hash}
	if err := CheckScope(ev.Scope); err != nil {
		return Event{}, err
	}
	storeID, err := scalarString(w.StoreID)
	if err != nil || storeID == "" {
		return Event{}, &ParseError{Field: "store_id", Message: "missing or not a string/number"}
	}
	if _, err := ParseID("store_id", storeID); err != nil {
		return Event{}, err
	}
	ev.StoreID = storeID
	hash, ok := strings.CutPrefix(w.Producer, "stores/")
	if !ok || CheckStoreHash(hash) != nil {
		return Event{}, &ParseError{Field: "producer", Message: `want "stores/{store_hash}" with a store hash of lower-case letters and digits`}
	}
	ev.StoreHash = hash
	if ev.Hash != "" && !eventHashPattern.MatchString(ev.Hash) {
		return Event{}, &ParseError{Field: "hash", Message: "must be 1 to 128 letters, digits, '-' or '_'"}
	}
	if len(w.CreatedAt) > 0 && string(w.CreatedAt) != "null" {
		secs, err := scalarInt(w.CreatedAt)
		if err != nil || secs <= 0 {
			return Event{}, &ParseError{Field: "created_at", Message: "not a unix timestamp"}
		}
		ev.CreatedAt = time.Unix(secs, 0).UTC()
	}
	if len(w.Data) == 0 || string(w.Data) == "null" {
		return Event{}, &ParseError{Field: "data", Message: "missing"}
	}
	var d wireData
	if err := json.Unmarshal(w.Data, &d); err != nil {
		return Event{}, &ParseError{Field: "data", Message: "not an object: " + err.Error()}
	}
	ev.Data.Type, ev.Data.Token, ev.Data.CartID = d.Type, d.Token, d.CartID
	if ev.Data.ID, err = scalarString(d.ID); err != nil {
		return Event{}, &ParseError{Field: "data.id", Message: "not a string or number"}
	}
	if len(d.OrderID) > 0 && string(d.OrderID) != "null" {
		if ev.Data.OrderID, err = scalarInt(d.OrderID); err != nil {
			return Event{}, &ParseError{Field: "data.orderId", Message: "not an integer"}
		}
	}
	if len(d.Coupon) > 0 && string(d.Coupon) != "null" {
		if ev.Data.CouponID, err = scalarInt(d.Coupon); err != nil || ev.Data.CouponID <= 0 {
			return Event{}, &ParseError{Field: "data.couponId", Message: "must be a positive integer"}
		}
	}
	if d.Status != nil {
		prev, err1 := scalarInt(d.Status.Previous)
		next, err2 := scalarInt(d.Status.New)
		if err1 != nil || err2 != nil || prev < 0 || next < 0 || prev > maxStatusID || next > maxStatusID {
			return Event{}, &ParseError{Field: "data.status", Message: "previous_status_id and new_status_id must be order status ids (0 to 255)"}
		}
		ev.Data.PreviousStatusID, ev.Data.NewStatusID = int(prev), int(next)
	}
	if d.SKU != nil && len(d.SKU.ProductID) > 0 && string(d.SKU.ProductID) != "null" {
		if ev.Data.ProductID, err = scalarInt(d.SKU.ProductID); err != nil {
			return Event{}, &ParseError{Field: "data.sku.product_id", Message: "not an integer"}
		}
	}
	if err := checkData(ev.Scope, &ev.Data); err != nil {
		return Event{}, err
	}
	return ev, nil
}

// scalarString accepts a JSON string or number and returns its text; an
// absent value is "".
func scalarString(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", err
	}
	if _, err := n.Int64(); err != nil {
		return "", errors.New("not an integer")
	}
	return n.String(), nil
}

// scalarInt accepts an integer as a JSON number or a numeric string.
func scalarInt(raw json.RawMessage) (int64, error) {
	s, err := scalarString(raw)
	if err != nil {
		return 0, err
	}
	if s == "" {
		return 0, errors.New("missing")
	}
	return strconv.ParseInt(s, 10, 64)
}
