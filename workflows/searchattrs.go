package workflows

import (
	"strconv"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

// Custom search attributes bcflow sets on every workflow so merchants can
// find them in the Temporal UI ("BcCustomerEmail = 'ann@example.com'").
// SQL-backed Temporal allows only 10 custom Keyword attributes per
// namespace; bcflow spends six, leaving room for the merchant's own.
var (
	// SearchStoreHash is the BigCommerce store hash.
	SearchStoreHash = temporal.NewSearchAttributeKeyKeyword("BcStoreHash")
	// SearchChannelID is the storefront channel id (multi-storefront).
	SearchChannelID = temporal.NewSearchAttributeKeyInt64("BcChannelId")
	// SearchCustomerID is the BigCommerce customer id; unset for guests
	// (customerIDAttributes), who are found by BcCustomerEmail.
	SearchCustomerID = temporal.NewSearchAttributeKeyKeyword("BcCustomerId")
	// SearchCustomerEmail is the shopper's email, lower-cased.
	SearchCustomerEmail = temporal.NewSearchAttributeKeyKeyword("BcCustomerEmail")
	// SearchCartID is the BigCommerce cart id (a UUID).
	SearchCartID = temporal.NewSearchAttributeKeyKeyword("BcCartId")
	// SearchOrderID is the BigCommerce order id.
	SearchOrderID = temporal.NewSearchAttributeKeyKeyword("BcOrderId")
	// SearchFlow is the flow's name (cart-recovery, order-goals, ...).
	SearchFlow = temporal.NewSearchAttributeKeyKeyword("BcFlow")
)

// SearchAttributes lists every custom search attribute with its type, for
// registration on a namespace (bcflow dev and bcflow migrate do it).
func SearchAttributes() map[string]enumspb.IndexedValueType {
	keys := []temporal.SearchAttributeKey{
		SearchStoreHash, SearchChannelID, SearchCustomerID, SearchCustomerEmail,
		SearchCartID, SearchOrderID, SearchFlow,
	}
	out := make(map[string]enumspb.IndexedValueType, len(keys))
	for _, k := range keys {
		out[k.GetName()] = k.GetValueType()
	}
	return out
}

// customerIDAttributes sets BcCustomerId to a registered customer's id, and
// nothing for a guest (id 0): a guest is not customer "0", and a search
// for BcCustomerId = "0" would find every guest of every store.
func customerIDAttributes(id int64) []temporal.SearchAttributeUpdate {
	if id <= 0 {
		return nil
	}
	return []temporal.SearchAttributeUpdate{SearchCustomerID.ValueSet(strconv.FormatInt(id, 10))}
}
