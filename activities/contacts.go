package activities

import (
	"context"
	"strconv"

	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/messaging"
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

// SyncContact mirrors a BigCommerce customer to the messaging provider's
// contact (name, phone in E.164, customer group, store, BigCommerce id). Upserts are
// idempotent, so a retry or a redelivered webhook changes nothing twice.
func (a *Activities) SyncContact(ctx context.Context, in SyncContactInput) (SyncContactResult, error) {
	bc, err := a.bc(in.StoreHash)
	if err != nil {
		return SyncContactResult{}, err
	}
	c, err := bc.GetCustomer(ctx, int(in.CustomerID))
	if bigcommerce.IsNotFound(err) {
		return SyncContactResult{}, nil
	}
	if err != nil {
		return SyncContactResult{}, classify("sync contact: load customer", err)
	}
	if c.Email == "" {
		return SyncContactResult{Found: true, ChannelID: c.OriginChannelID}, nil
	}
	// The provider takes E.164 only: a phone that cannot be normalised is
	// left out rather than failing the sync.
	phone := normalizePhone(c.Phone, a.consentOf(in.StoreHash, c.OriginChannelID).DefaultCountryCode)
	err = a.Messaging.UpsertContact(ctx, messaging.Contact{
		Email: c.Email, ExtID: in.StoreHash + ":" + strconv.FormatInt(in.CustomerID, 10), Phone: phone, FirstName: c.FirstName, LastName: c.LastName,
		Attributes: map[string]any{"BC_CUSTOMER_GROUP_ID": c.CustomerGroupID, "BC_STORE": in.StoreHash,
			"BC_ACCEPTS_MARKETING": c.AcceptsAbandonedCartEmails},
	})
	if err != nil {
		return SyncContactResult{}, classify("sync contact: upsert", err)
	}
	return SyncContactResult{Found: true, Email: c.Email, ChannelID: c.OriginChannelID}, nil
}
