package activities

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/bcflow/bcflow/bigcommerce"
)

// LoyaltyCoupons creates the fixed-amount coupons customers redeem their
// loyalty points for. Each redemption gets its own BigCommerce coupon
// promotion ("bcflow loyalty <code>": the amount off the cart, one use,
// ending when the coupon expires) holding its one code. A retry with the
// same code finds the promotion and code it created instead of making
// another. The admin API uses it (api.CouponIssuer) inside the ledger's
// redemption transaction.
type LoyaltyCoupons struct {
	// BigCommerce holds one API client per store hash.
	BigCommerce map[string]*bigcommerce.Client
}

// NewLoyaltyCoupons returns the coupon issuer over the stores' clients.
func NewLoyaltyCoupons(clients map[string]*bigcommerce.Client) *LoyaltyCoupons {
	return &LoyaltyCoupons{BigCommerce: clients}
}

// ErrUnknownStore is returned for a store bcflow has no credentials for.
var ErrUnknownStore = errors.New("no BigCommerce credentials for the store")

func loyaltyPromotionName(code string) string { return "bcflow loyalty " + code }

// IssueCoupon creates code in storeHash, worth amount (a decimal string in
// the store's currency, e.g. "5.00") off the cart, for one use, valid on
// channelID (0: every channel) until expiresAt (zero: no end).
func (l *LoyaltyCoupons) IssueCoupon(ctx context.Context, storeHash string, channelID int, code, amount string, expiresAt time.Time) error {
	bc, ok := l.BigCommerce[storeHash]
	if !ok {
		return fmt.Errorf("issue coupon %s in %s: %w", code, storeHash, ErrUnknownStore)
	}
	value, err := bigcommerce.ParseDecimal(amount)
	if err != nil {
		return fmt.Errorf("issue coupon %s: amount %q: %w", code, amount, err)
	}
	promo, err := l.findPromotion(ctx, bc, code)
	if err != nil {
		return err
	}
	if promo.ID == 0 {
		in := bigcommerce.PromotionInput{
			Name: loyaltyPromotionName(code), DisplayName: "Loyalty reward " + amount + " off",
			RedemptionType: bigcommerce.RedemptionCoupon, CouponType: "SINGLE", MaxUses: 1, EndDate: expiresAt,
			Rules: []bigcommerce.PromotionRule{bigcommerce.AmountOffCart(value)},
		}
		if channelID > 0 {
			in.ChannelIDs = []int{channelID}
		}
		promo, err = bc.CreatePromotion(ctx, in)
		if bigcommerce.IsConflict(err) { // a concurrent or retried call created it
			promo, err = l.findPromotion(ctx, bc, code)
			if err == nil && promo.ID == 0 {
				err = fmt.Errorf("issue coupon %s: promotion reported as existing but not found", code)
			}
		}
		if err != nil {
			return fmt.Errorf("issue coupon %s: create promotion: %w", code, err)
		}
	}
	_, err = bc.CreatePromotionCode(ctx, promo.ID, bigcommerce.CouponCodeInput{Code: code, MaxUses: 1, MaxUsesPerCustomer: 1})
	if err != nil && !bigcommerce.IsConflict(err) {
		return fmt.Errorf("issue coupon %s: create code: %w", code, err)
	}
	return nil
}

// RevokeCoupon deletes code's promotion, for a redemption whose ledger debit
// failed after the coupon was created. A coupon already gone is not an
// error.
func (l *LoyaltyCoupons) RevokeCoupon(ctx context.Context, storeHash, code string) error {
	bc, ok := l.BigCommerce[storeHash]
	if !ok {
		return fmt.Errorf("revoke coupon %s in %s: %w", code, storeHash, ErrUnknownStore)
	}
	promo, err := l.findPromotion(ctx, bc, code)
	if err != nil || promo.ID == 0 {
		return err
	}
	if err := bc.DeletePromotion(ctx, promo.ID); err != nil && !bigcommerce.IsNotFound(err) {
		return fmt.Errorf("revoke coupon %s: delete promotion %d: %w", code, promo.ID, err)
	}
	return nil
}

func (l *LoyaltyCoupons) findPromotion(ctx context.Context, bc *bigcommerce.Client, code string) (bigcommerce.Promotion, error) {
	name := loyaltyPromotionName(code)
	page, err := bc.ListPromotions(ctx, bigcommerce.PromotionFilter{Name: name, RedemptionType: bigcommerce.RedemptionCoupon})
	if err != nil {
		return bigcommerce.Promotion{}, fmt.Errorf("find promotion of coupon %s: %w", code, err)
	}
	for _, p := range page.Items {
		if p.Name == name {
			return p, nil
		}
	}
	return bigcommerce.Promotion{}, nil
}

// FormatAmount writes a currency amount with two decimals, as IssueCoupon
// takes it.
func FormatAmount(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
