package activities

import "github.com/bcflow/bcflow/store"

// The ledger entry kinds a workflow may ask AppendLoyaltyEntry for
// (LoyaltyEntryInput.Kind). They are the store's kinds, named here because
// workflows import activities, never store (docs/architecture.md).
const (
	LedgerAward      = store.LedgerAward
	LedgerBonus      = store.LedgerBonus
	LedgerAdjustment = store.LedgerAdjustment
)
