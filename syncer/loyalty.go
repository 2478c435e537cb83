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
	var groups map[int]string
	for _, o := range orders {
		program := s.Flows.For(storeHash, int(o.ChannelID)).Loyalty
		if program == nil || !program.Enabled || o.StatusID != int(program.AwardStatus) {
			continue
		}
		if groups == nil {
			if groups, err = customerGroups(ctx, bc); err != nil {
				return r, err
			}
		}
		if _, err := s.importAward(ctx, storeHash, program, o, groups); err != nil {
			return r, fmt.Errorf("order %d: %w", o.ID, err)
		}
	}
	return r, nil
}

func (s *Syncer) importAward(ctx context.Context, storeHash string, program *config.Loyalty, o store.MirrorOrder, groups map[int]string) (bool, error) {
	cust, err := s.Store.MirrorCustomerByID(ctx, storeHash, o.CustomerID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	acct, err := s.Store.GetAccount(ctx, storeHash, o.CustomerID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	repeat, err := s.Store.OrderedBefore(ctx, storeHash, o.CustomerID, o.ID, config.PurchasedStatuses)
	if err != nil {
		return false, err
	}
	amount := o.SubtotalExTax
	if program.Base == config.BaseTotalIncTax {
		amount = o.TotalIncTax
	}
	e := program.Earn(float64(amount)/10000, int(cust.GroupID), groups[int(cust.GroupID)], acct.LifetimeEarned, repeat)
	if e.Points <= 0 {
		return false, nil
	}
	stored, inserted, err := s.Store.AppendLedgerEntry(ctx, store.LedgerEntry{
		StoreHash: storeHash, ChannelID: o.ChannelID, CustomerID: o.CustomerID, OrderID: o.ID, Kind: store.LedgerAward,
		Points: e.Points, Reason: "imported past order: " + e.Explain(amount.String(), o.Currency), CreatedAt: o.DateCreated,
	})
	if err != nil || !inserted {
		return false, err
	}
	_ = stored
	after, err := s.Store.GetAccount(ctx, storeHash, o.CustomerID)
	if err != nil {
		return true, err
	}
	if tier, ok := program.TierFor(after.LifetimeEarned); ok && tier.Name != after.Tier {
		if err := s.Store.SetTier(ctx, storeHash, o.CustomerID, tier.Name); err != nil {
			return true, err
		}
	}
	return true, nil
}

// customerGroups maps a store's customer group ids to their names.
func customerGroups(ctx context.Context, bc *bigcommerce.Client) (map[int]string, error) {
	out := map[int]string{}
	for g, err := range bc.CustomerGroups(ctx) {
		if err != nil {
			return nil, fmt.Errorf("customer groups: %w", err)
		}
		out[g.ID] = g.Name
	}
	return out, nil
}
