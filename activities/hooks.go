package activities

import (
	"context"

	"github.com/bcflow/bcflow/hooks"
)

// SyncHooksInput names the store whose webhook subscriptions to repair.
type SyncHooksInput struct {
	StoreHash string
}

// SyncHooks reconciles a store's webhook subscriptions with what bcflow
// needs (Activities.Hooks); the secret header never leaves the worker.
func (a *Activities) SyncHooks(ctx context.Context, in SyncHooksInput) (hooks.Report, error) {
	bc, err := a.bc(in.StoreHash)
	if err != nil {
		return hooks.Report{}, err
	}
	rep, err := hooks.Sync(ctx, bc, a.Hooks)
	return rep, classify("sync hooks of "+in.StoreHash, err)
}
