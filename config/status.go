package config

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// OrderStatus is a BigCommerce order status id (status_id in the V2 Orders
// API). Flows files may write either the id (11) or the name, matched
// case-insensitively with spaces, '_' and '-' interchangeable
// ("Awaiting Fulfillment", awaiting_fulfillment).
type OrderStatus int

// BigCommerce's fixed order status ids. Merchants can relabel them in the
// control panel, but the ids and default names below do not change.
const (
	StatusIncomplete                 OrderStatus = 0
	StatusPending                    OrderStatus = 1
	StatusShipped                    OrderStatus = 2
	StatusPartiallyShipped           OrderStatus = 3
	StatusRefunded                   OrderStatus = 4
	StatusCancelled                  OrderStatus = 5
	StatusDeclined                   OrderStatus = 6
	StatusAwaitingPayment            OrderStatus = 7
	StatusAwaitingPickup             OrderStatus = 8
	StatusAwaitingShipment           OrderStatus = 9
	StatusCompleted                  OrderStatus = 10
	StatusAwaitingFulfillment        OrderStatus = 11
	StatusManualVerificationRequired OrderStatus = 12
	StatusDisputed                   OrderStatus = 13
	StatusPartiallyRefunded          OrderStatus = 14
)

var statusNames = [...]string{
	"Incomplete", "Pending", "Shipped", "Partially Shipped", "Refunded",
	"Cancelled", "Declined", "Awaiting Payment", "Awaiting Pickup",
	"Awaiting Shipment", "Completed", "Awaiting Fulfillment",
	"Manual Verification Required", "Disputed", "Partially Refunded",
}

// Valid reports whether s is a known BigCommerce status id.
func (s OrderStatus) Valid() bool { return s >= 0 && int(s) < len(statusNames) }

// String returns the status's default BigCommerce name, or the number.
func (s OrderStatus) String() string {
	if s.Valid() {
		return statusNames[s]
	}
	return strconv.Itoa(int(s))
}

func normStatus(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.NewReplacer("_", " ", "-", " ").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// ParseOrderStatus accepts a status id ("11") or name ("Awaiting Fulfillment",
// "awaiting_fulfillment"; "Canceled" is accepted for Cancelled).
func ParseOrderStatus(s string) (OrderStatus, error) {
	if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
		if !OrderStatus(n).Valid() {
			return 0, fmt.Errorf("unknown order status id %d (BigCommerce ids are 0 to %d)", n, len(statusNames)-1)
		}
		return OrderStatus(n), nil
	}
	want := normStatus(s)
	if want == "canceled" {
		want = "cancelled"
	}
	for i, name := range statusNames {
		if normStatus(name) == want {
			return OrderStatus(i), nil
		}
	}
	return 0, fmt.Errorf("unknown order status %q; known statuses: %s", s, strings.Join(statusNames[:], ", "))
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (s *OrderStatus) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("must be an order status name or id, got %s", nodeKindName(n))
	}
	v, err := ParseOrderStatus(n.Value)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// MarshalYAML writes the status by name.
func (s OrderStatus) MarshalYAML() (any, error) {
	if s.Valid() {
		return s.String(), nil
	}
	return int(s), nil
}
