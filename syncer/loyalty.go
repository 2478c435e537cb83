package syncer

import (
	"context"
	"errors"
	"fmt"

	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/store"
)

// Loyalty is the pseudo-resource of a historical sync that imports loyalty
// points for past orders (StoreSyncInput.ImportLoyalty): it reads the
// mirror, not BigCommerce, so it runs after the orders.
const Loyalty = "loyalty"

func (s *Syncer) countLoyalty(ctx context.Context, storeHash string) (int64, error) {
	return s.Store.CountRegisteredOrders(ctx, storeHash)
}

// loyaltyPage awards the points of one page of past orders of registered
// customers, as the live award computes them (config.Loyalty.Earn) and
// keyed as it keys them (one award per order, whichever writes it first):
// importing twice, or importing an order the live flow already awarded,
// awards nothing more. Only orders in their channel's award status earn;
// no message, event or provider attribute comes of it, and the tier is set
// silently. Items counts the orders examined (the progress of the import).
func (s *Syncer) loyaltyPage(ctx context.Context, bc *bigcommerce.Client, page int) (Result, error) {
	storeHash := bc.StoreHash()
	orders, err := s.Store.MirrorOrderPage(ctx, storeHash, page, bigcommerce.MaxPageSize)
	if err != nil {
		return Result{}, err
	}
	r := Result{Items: int64(len(orders)), Full: len(orders) >= bigcommerce.MaxPageSize}
	for _, o := range orders {
		program := s.Flows.For(storeHash, int(o.ChannelID)).Loyalty
		if program == nil || !program.Enabled || o.StatusID != int(program.AwardStatus) {
			continue
		}
		if err := s.importAward(ctx, bc, program, o); err != nil {
			return r, fmt.Errorf("order %d: %w", o.ID, err)
		}
	}
	return r, nil
}

func (s *Syncer) importAward(ctx context.Context, bc *bigcommerce.Client, program *config.Loyalty, o store.MirrorOrder) error {
	storeHash := bc.StoreHash()
	cust, err := s.Store.MirrorCustomerByID(ctx, storeHash, o.CustomerID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	groupName, err := s.groupName(ctx, bc, int(cust.GroupID))
	if err != nil {
		return err
	}
	acct, err := s.Store.GetAccount(ctx, storeHash, o.CustomerID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	repeat, err := s.Store.OrderedBefore(ctx, storeHash, o.CustomerID, o.ID, config.PurchasedStatuses)
	if err != nil {
		return err
	}
	amount := o.SubtotalExTax
	if program.Base == config.BaseTotalIncTax {
		amount = o.TotalIncTax
	}
	e := program.Earn(amount.Float64(), int(cust.GroupID), groupName, acct.LifetimeEarned, repeat)
	if e.Points <= 0 {
		return nil
	}
	_, inserted, err := s.Store.AppendLedgerEntry(ctx, store.LedgerEntry{
		StoreHash: storeHash, ChannelID: o.ChannelID, CustomerID: o.CustomerID, OrderID: o.ID, Kind: store.LedgerAward,
		Points: e.Points, Reason: "imported past order: " + e.Explain(amount.String(), o.Currency), CreatedAt: o.DateCreated,
	})
	if err != nil || !inserted {
		return err
	}
	after, err := s.Store.GetAccount(ctx, storeHash, o.CustomerID)
	if err != nil {
		return err
	}
	if tier, ok := program.TierFor(after.LifetimeEarned); ok && tier.Name != after.Tier {
		return s.Store.SetTier(ctx, storeHash, o.CustomerID, tier.Name)
	}
	return nil
}
