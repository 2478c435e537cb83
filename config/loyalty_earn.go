package config

import (
	"fmt"
	"math"
	"strings"
)

// Earning is how an order's loyalty award was computed.
type Earning struct {
	Base             float64 // the order amount points are earned on
	Rate             float64 // points per currency unit
	GroupMultiplier  float64
	TierMultiplier   float64
	VolumeMultiplier float64
	B2B              bool // the customer's group is a B2B group
	Repeat           bool // the customer purchased before
	Points           int64
}

// Earn computes an order's award: base × rate × group × tier × volume,
// rounded as configured. lifetime is the customer's lifetime points before
// the order (their tier), repeat whether they purchased before. B2B
// customers earn the reorder rate on repeat orders and the volume
// multiplier above the volume threshold. The live award and the import of
// past orders both use it.
func (l *Loyalty) Earn(base float64, groupID int, groupName string, lifetime int64, repeat bool) Earning {
	e := Earning{Base: base, Rate: l.PointsPerUnit, GroupMultiplier: l.GroupMultiplier(groupID, groupName), TierMultiplier: 1,
		VolumeMultiplier: 1, Repeat: repeat}
	if t, ok := l.TierFor(lifetime); ok && t.Multiplier > 0 {
		e.TierMultiplier = t.Multiplier
	}
	if b := l.B2B; b.Enabled && b.Includes(groupID, groupName) {
		e.B2B = true
		if repeat && b.ReorderPointsPerUnit > 0 {
			e.Rate = b.ReorderPointsPerUnit
		}
		if b.VolumeThreshold > 0 && base > b.VolumeThreshold && b.VolumeMultiplier > 0 {
			e.VolumeMultiplier = b.VolumeMultiplier
		}
	}
	if base > 0 {
		e.Points = max(0, l.Rounding.Apply(RoundMicro(base*e.Rate*e.GroupMultiplier*e.TierMultiplier*e.VolumeMultiplier)))
	}
	return e
}

// Explain writes an earning as a ledger reason.
func (e Earning) Explain(amount, currency string) string {
	parts := []string{fmt.Sprintf("%s %s x %g pt", amount, currency, e.Rate)}
	for _, m := range []struct {
		name string
		v    float64
	}{{"group", e.GroupMultiplier}, {"tier", e.TierMultiplier}, {"volume", e.VolumeMultiplier}} {
		if m.v != 1 {
			parts = append(parts, fmt.Sprintf("%s x%g", m.name, m.v))
		}
	}
	return strings.Join(parts, ", ")
}

// RoundMicro drops floating-point noise (1.15 × 100 = 114.99999999999999)
// before a rounding mode applies.
func RoundMicro(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// PurchasedStatuses are the statuses of an earlier order that make an
// order a repeat purchase (no first-purchase bonus, the B2B reorder rate).
var PurchasedStatuses = []int{
	int(StatusShipped), int(StatusPartiallyShipped), int(StatusAwaitingPickup),
	int(StatusAwaitingShipment), int(StatusCompleted), int(StatusAwaitingFulfillment),
	int(StatusPartiallyRefunded),
}
