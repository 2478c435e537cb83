package bigcommerce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Promotion redemption types.
const (
	RedemptionCoupon    = "COUPON"
	RedemptionAutomatic = "AUTOMATIC"
)

// Promotion is a v3 promotion (the fields flows use).
type Promotion struct {
	ID                           int             `json:"id"`
	Name                         string          `json:"name"`
	DisplayName                  string          `json:"display_name"`
	RedemptionType               string          `json:"redemption_type"`
	Status                       string          `json:"status"` // ENABLED, DISABLED, INVALID
	CurrentUses                  int             `json:"current_uses"`
	MaxUses                      int             `json:"max_uses"`
	CouponType                   string          `json:"coupon_type"` // SINGLE or BULK
	Channels                     []ChannelRef    `json:"channels"`
	Rules                        []PromotionRule `json:"rules"`
	StartDate                    Time            `json:"start_date"`
	EndDate                      Time            `json:"end_date"`
	CanBeUsedWithOtherPromotions bool            `json:"can_be_used_with_other_promotions"`
	// Customer holds who may use it.
	Customer PromotionCustomer `json:"customer"`
}

// PromotionCustomer is a promotion's customer requirements.
type PromotionCustomer struct {
	GroupIDs          []int `json:"group_ids,omitempty"`
	ExcludedGroupIDs  []int `json:"excluded_group_ids,omitempty"`
	MinimumOrderCount int   `json:"minimum_order_count,omitempty"`
	// Segments restricts it to shoppers of customer segments; nil for all.
	Segments *SegmentCondition `json:"segments,omitempty"`
}

// SegmentCondition is a promotion's customer-segment condition (the
// promotions.v3 CustomerSegmentLimitation): exactly one of IDs (the shopper
// is in at least one of these segments), Not, And or Or (two or more
// conditions each). The API nests at most three levels of not/and/or above
// the id lists. Guests are in no segment. Build it with InSegments and
// NotInSegments.
type SegmentCondition struct {
	IDs []string           `json:"id,omitempty"`
	Not *SegmentCondition  `json:"not,omitempty"`
	And []SegmentCondition `json:"and,omitempty"`
	Or  []SegmentCondition `json:"or,omitempty"`
}

// InSegments is the condition "in at least one of these segments".
func InSegments(segmentIDs ...string) *SegmentCondition {
	return &SegmentCondition{IDs: segmentIDs}
}

// NotInSegments is the condition "in none of these segments".
func NotInSegments(segmentIDs ...string) *SegmentCondition {
	return &SegmentCondition{Not: &SegmentCondition{IDs: segmentIDs}}
}

// validate checks the shape the API accepts; depth counts not/and/or levels.
func (sc *SegmentCondition) validate(depth int) error {
	set := 0
	for _, b := range []bool{len(sc.IDs) > 0, sc.Not != nil, len(sc.And) > 0, len(sc.Or) > 0} {
		if b {
			set++
		}
	}
	if set != 1 {
		return errors.New("a segment condition needs exactly one of id, not, and, or")
	}
	if len(sc.IDs) > 0 {
		for _, id := range sc.IDs {
			if id == "" || len(id) > 36 {
				return fmt.Errorf("segment id %q: 1 to 36 characters", id)
			}
		}
		return nil
	}
	if depth >= 3 {
		return errors.New("segment conditions nest at most three not/and/or levels")
	}
	if sc.Not != nil {
		return sc.Not.validate(depth + 1)
	}
	subs := sc.And
	if len(sc.Or) > 0 {
		subs = sc.Or
	}
	if len(subs) < 2 {
		return errors.New("a segment and/or needs at least two conditions")
	}
	for i := range subs {
		if err := subs[i].validate(depth + 1); err != nil {
			return err
		}
	}
	return nil
}

// ChannelRef names a channel.
type ChannelRef struct {
	ID int `json:"id"`
}

// PromotionRule is a promotion rule. Only the cart-value action is typed;
// other actions and conditions are kept as raw JSON.
type PromotionRule struct {
	Action    PromotionAction `json:"action"`
	ApplyOnce *bool           `json:"apply_once,omitempty"`
	Stop      bool            `json:"stop,omitempty"`
	Condition json.RawMessage `json:"condition,omitempty"`
}

// PromotionAction is a rule's action.
type PromotionAction struct {
	// CartValue discounts the whole cart.
	CartValue *CartValueAction `json:"cart_value,omitempty"`
	// Other holds any other action, as sent by the API.
	Other json.RawMessage `json:"-"`
}

// CartValueAction discounts the cart by a percentage or a fixed amount.
type CartValueAction struct {
	Discount                     Discount `json:"discount"`
	MaximumAllowedDiscountAmount *Decimal `json:"maximum_allowed_discount_amount,omitempty"`
}

// Discount is a percentage or a fixed amount; exactly one is set.
type Discount struct {
	PercentageAmount *Decimal `json:"percentage_amount,omitempty"`
	FixedAmount      *Decimal `json:"fixed_amount,omitempty"`
}

// UnmarshalJSON reads the typed action and keeps the raw text of others.
func (a *PromotionAction) UnmarshalJSON(b []byte) error {
	var w struct {
		CartValue *CartValueAction `json:"cart_value"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	a.CartValue = w.CartValue
	if w.CartValue == nil {
		a.Other = append(json.RawMessage(nil), b...)
	}
	return nil
}

// MarshalJSON writes the typed action, or the raw text of another one.
func (a PromotionAction) MarshalJSON() ([]byte, error) {
	if a.CartValue == nil && len(a.Other) > 0 {
		return a.Other, nil
	}
	return json.Marshal(struct {
		CartValue *CartValueAction `json:"cart_value,omitempty"`
	}{a.CartValue})
}

// wire forms: the promotions API wants amounts as strings.
type wireDiscount struct {
	PercentageAmount *decimalString `json:"percentage_amount,omitempty"`
	FixedAmount      *decimalString `json:"fixed_amount,omitempty"`
}

type wireRule struct {
	Action    json.RawMessage `json:"action"`
	ApplyOnce *bool           `json:"apply_once,omitempty"`
	Stop      bool            `json:"stop"`
	Condition json.RawMessage `json:"condition,omitempty"`
}

func (r PromotionRule) wire() (wireRule, error) {
	w := wireRule{ApplyOnce: r.ApplyOnce, Stop: r.Stop, Condition: r.Condition}
	switch {
	case r.Action.CartValue != nil:
		d := r.Action.CartValue.Discount
		if (d.PercentageAmount == nil) == (d.FixedAmount == nil) {
			return w, errors.New("a discount needs exactly one of a percentage or a fixed amount")
		}
		type cartValue struct {
			Discount wireDiscount   `json:"discount"`
			Max      *decimalString `json:"maximum_allowed_discount_amount,omitempty"`
		}
		cv := cartValue{Discount: wireDiscount{
			PercentageAmount: (*decimalString)(d.PercentageAmount), FixedAmount: (*decimalString)(d.FixedAmount)}}
		cv.Max = (*decimalString)(r.Action.CartValue.MaximumAllowedDiscountAmount)
		b, err := json.Marshal(map[string]any{"cart_value": cv})
		if err != nil {
			return w, err
		}
		w.Action = b
	case len(r.Action.Other) > 0:
		w.Action = r.Action.Other
	default:
		return w, errors.New("a rule needs an action")
	}
	return w, nil
}

// PercentOffCart returns a rule taking percent off the whole cart, applied
// once ("10" for 10 %).
func PercentOffCart(percent Decimal) PromotionRule {
	once := true
	return PromotionRule{ApplyOnce: &once, Action: PromotionAction{CartValue: &CartValueAction{Discount: Discount{PercentageAmount: &percent}}}}
}

// AmountOffCart returns a rule taking a fixed amount off the whole cart.
func AmountOffCart(amount Decimal) PromotionRule {
	once := true
	return PromotionRule{ApplyOnce: &once, Action: PromotionAction{CartValue: &CartValueAction{Discount: Discount{FixedAmount: &amount}}}}
}

// PromotionInput creates a promotion. For bcflow's unique recovery coupons,
// create one COUPON promotion with PercentOffCart and add a code per cart
// with CreatePromotionCode.
type PromotionInput struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name,omitempty"`
	// RedemptionType is RedemptionCoupon (default) or RedemptionAutomatic.
	RedemptionType string          `json:"redemption_type,omitempty"`
	Rules          []PromotionRule `json:"rules"`
	// ChannelIDs restricts the promotion to channels; empty for all.
	ChannelIDs []int `json:"channel_ids,omitempty"`
	// CustomerGroupIDs restricts it to customer groups; empty for all.
	CustomerGroupIDs []int `json:"customer_group_ids,omitempty"`
	// CustomerSegments restricts it to shoppers of customer segments
	// (customer.segments; InSegments, NotInSegments); nil for all. Only
	// signed-in registered customers can be in a segment.
	CustomerSegments *SegmentCondition `json:"customer_segments,omitempty"`
	// MaxUses bounds the uses of all codes together; 0 for unlimited.
	MaxUses   int       `json:"max_uses,omitempty"`
	Status    string    `json:"status,omitempty"` // ENABLED (default) or DISABLED
	StartDate time.Time `json:"start_date,omitzero"`
	EndDate   time.Time `json:"end_date,omitzero"`
	// CurrencyCode is the currency it applies to, default "*" (all).
	CurrencyCode string `json:"currency_code,omitempty"`
	// CanBeUsedWithOtherPromotions defaults to true.
	CanBeUsedWithOtherPromotions *bool `json:"can_be_used_with_other_promotions,omitempty"`
	// CouponType is SINGLE (default) or BULK, for coupon promotions.
	CouponType string `json:"coupon_type,omitempty"`
}

// CreatePromotion creates a promotion.
func (c *Client) CreatePromotion(ctx context.Context, in PromotionInput) (Promotion, error) {
	op := "create promotion " + strconv.Quote(in.Name)
	if in.Name == "" || len(in.Rules) == 0 {
		return Promotion{}, fmt.Errorf("bigcommerce: %s: a name and at least one rule are required", op)
	}
	type wireCustomer struct {
		GroupIDs []int             `json:"group_ids,omitempty"`
		Segments *SegmentCondition `json:"segments,omitempty"`
	}
	body := struct {
		Name                         string        `json:"name"`
		DisplayName                  string        `json:"display_name,omitempty"`
		RedemptionType               string        `json:"redemption_type"`
		Rules                        []wireRule    `json:"rules"`
		Channels                     []ChannelRef  `json:"channels,omitempty"`
		Customer                     *wireCustomer `json:"customer,omitempty"`
		MaxUses                      int           `json:"max_uses,omitempty"`
		Status                       string        `json:"status,omitempty"`
		StartDate                    string        `json:"start_date,omitempty"`
		EndDate                      string        `json:"end_date,omitempty"`
		CurrencyCode                 string        `json:"currency_code,omitempty"`
		CanBeUsedWithOtherPromotions *bool         `json:"can_be_used_with_other_promotions,omitempty"`
		CouponType                   string        `json:"coupon_type,omitempty"`
	}{
		Name: in.Name, DisplayName: in.DisplayName, RedemptionType: in.RedemptionType, MaxUses: in.MaxUses,
		Status: in.Status, CurrencyCode: in.CurrencyCode, CanBeUsedWithOtherPromotions: in.CanBeUsedWithOtherPromotions,
		CouponType: in.CouponType,
	}
	if body.RedemptionType == "" {
		body.RedemptionType = RedemptionCoupon
	}
	for _, r := range in.Rules {
		w, err := r.wire()
		if err != nil {
			return Promotion{}, fmt.Errorf("bigcommerce: %s: %w", op, err)
		}
		body.Rules = append(body.Rules, w)
	}
	for _, id := range in.ChannelIDs {
		body.Channels = append(body.Channels, ChannelRef{ID: id})
	}
	if in.CustomerSegments != nil {
		if err := in.CustomerSegments.validate(0); err != nil {
			return Promotion{}, fmt.Errorf("bigcommerce: %s: %w", op, err)
		}
	}
	if len(in.CustomerGroupIDs) > 0 || in.CustomerSegments != nil {
		body.Customer = &wireCustomer{GroupIDs: in.CustomerGroupIDs, Segments: in.CustomerSegments}
	}
	if !in.StartDate.IsZero() {
		body.StartDate = in.StartDate.UTC().Format(time.RFC3339)
	}
	if !in.EndDate.IsZero() {
		body.EndDate = in.EndDate.UTC().Format(time.RFC3339)
	}
	var p Promotion
	_, err := c.callV3(ctx, request{op: op, method: http.MethodPost, path: "/promotions", body: body}, &p)
	return p, err
}

// GetPromotion returns a promotion.
func (c *Client) GetPromotion(ctx context.Context, promotionID int) (Promotion, error) {
	var p Promotion
	_, err := c.callV3(ctx, request{op: fmt.Sprintf("get promotion %d", promotionID), method: http.MethodGet,
		path: "/promotions/" + pathID(promotionID)}, &p)
	return p, err
}

// PromotionFilter selects promotions. Zero fields are unset.
type PromotionFilter struct {
	Name           string `json:"name,omitempty"`
	Code           string `json:"code,omitempty"`
	RedemptionType string `json:"redemption_type,omitempty"`
	Status         string `json:"status,omitempty"`
	PageOptions
}

// ListPromotions returns one page of the promotions matching f.
func (c *Client) ListPromotions(ctx context.Context, f PromotionFilter) (Page[Promotion], error) {
	q := url.Values{}
	// The query takes the redemption type in lower case ("coupon").
	for k, v := range map[string]string{"name": f.Name, "code": f.Code, "redemption_type": strings.ToLower(f.RedemptionType), "status": f.Status} {
		if v != "" {
			q.Set(k, v)
		}
	}
	f.PageOptions.apply(q)
	var items []Promotion
	p, err := c.callV3(ctx, request{op: "list promotions", method: http.MethodGet, path: "/promotions", query: q}, &items)
	if items == nil {
		items = []Promotion{}
	}
	return Page[Promotion]{Items: items, Pagination: p}, err
}

// Promotions iterates over every promotion matching f.
func (c *Client) Promotions(ctx context.Context, f PromotionFilter) iter.Seq2[Promotion, error] {
	limit := iterLimit(f.PageOptions)
	return iterate(ctx, f.Page, func(ctx context.Context, page int) ([]Promotion, bool, error) {
		g := f
		g.PageOptions = PageOptions{Page: page, Limit: limit}
		p, err := c.ListPromotions(ctx, g)
		return p.Items, v3More(p.Pagination, len(p.Items), limit), err
	})
}

// CouponCode is a code of a coupon promotion.
type CouponCode struct {
	ID                 int    `json:"id"`
	Code               string `json:"code"`
	CurrentUses        int    `json:"current_uses"`
	MaxUses            int    `json:"max_uses"`
	MaxUsesPerCustomer int    `json:"max_uses_per_customer"`
	Created            Time   `json:"created"`
}

// CouponCodeInput creates a coupon code. Codes are up to 50 letters,
// digits, spaces, underscores and hyphens, unique in the store.
type CouponCodeInput struct {
	Code string `json:"code"`
	// MaxUses bounds the uses of this code; 0 for unlimited.
	MaxUses int `json:"max_uses,omitempty"`
	// MaxUsesPerCustomer bounds the uses per customer; 0 for unlimited.
	MaxUsesPerCustomer int `json:"max_uses_per_customer,omitempty"`
}

var couponCodeRe = regexp.MustCompile(`^[a-zA-Z0-9_\- ]{1,50}$`)

// CreatePromotionCode adds a code to a coupon promotion. A code that already
// exists answers a 409 (see IsConflict): a retried call may have created it.
func (c *Client) CreatePromotionCode(ctx context.Context, promotionID int, in CouponCodeInput) (CouponCode, error) {
	op := fmt.Sprintf("create code %q of promotion %d", in.Code, promotionID)
	if !couponCodeRe.MatchString(in.Code) {
		return CouponCode{}, fmt.Errorf("bigcommerce: %s: a code is 1 to 50 letters, digits, spaces, underscores or hyphens", op)
	}
	var out CouponCode
	_, err := c.callV3(ctx, request{op: op, method: http.MethodPost,
		path: "/promotions/" + pathID(promotionID) + "/codes", body: in}, &out)
	return out, err
}

// DeletePromotionCode deletes a code of a promotion.
func (c *Client) DeletePromotionCode(ctx context.Context, promotionID, codeID int) error {
	_, err := c.callV3(ctx, request{op: fmt.Sprintf("delete code %d of promotion %d", codeID, promotionID),
		method: http.MethodDelete, path: "/promotions/" + pathID(promotionID) + "/codes/" + pathID(codeID)}, nil)
	return err
}

// DeletePromotion deletes a promotion and its codes.
func (c *Client) DeletePromotion(ctx context.Context, promotionID int) error {
	_, err := c.callV3(ctx, request{op: fmt.Sprintf("delete promotion %d", promotionID),
		method: http.MethodDelete, path: "/promotions/" + pathID(promotionID)}, nil)
	return err
}
