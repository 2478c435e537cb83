package activities

import (
	"context"
	"fmt"
)

// SyncContactInput names the customer to mirror.
type SyncContactInput struct {
	StoreHash  string
	CustomerID int64
}

// SyncContactResult says what was mirrored.
type SyncContactResult struct {
	// Found is false when the customer no longer exists at BigCommerce.
	Found bool
	Email string
	// ChannelID is the customer's origin channel (0 when unknown): the
	// flows of that channel apply to them.
	ChannelID int
}

// SyncContact mirrors a BigCommerce customer into the store mirror and the
// messaging provider's contact (names, phone in E.164, company, customer
// group, channel, store, BigCommerce id, and the lists the flows file's
// sync section gives them), or drops it from the mirror when BigCommerce
// deleted it. It is the store sync's own path for one customer: upserts
// are idempotent and an unchanged contact is not pushed again.
func (a *Activities) SyncContact(ctx context.Context, in SyncContactInput) (SyncContactResult, error) {
	bc, err := a.bc(in.StoreHash)
	if err != nil {
		return SyncContactResult{}, err
	}
	// The segments of the customer's email before and after the write are
	// evaluated after it (an email change moves the figures).
	before, err := a.customerEmail(ctx, in.StoreHash, in.CustomerID)
	if err != nil {
		return SyncContactResult{}, err
	}
	c, found, err := a.syncer().Customer(ctx, bc, in.CustomerID)
	if err != nil {
		return SyncContactResult{}, classify("sync contact", err)
	}
	if err := a.evaluateShoppers(ctx, in.StoreHash, before, c.Email); err != nil {
		return SyncContactResult{}, fmt.Errorf("sync contact: %w", err)
	}
	if !found {
		return SyncContactResult{}, nil
	}
	return SyncContactResult{Found: true, Email: c.Email, ChannelID: c.OriginChannelID}, nil
}
