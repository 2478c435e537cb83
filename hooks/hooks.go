// Package hooks keeps a BigCommerce store's webhook subscriptions in the
// shape bcflow needs: one active hook per scope bcflow acts on, pointing at
// bcflow's receiver and carrying its secret header; stale hooks of bcflow's
// own removed. BigCommerce deactivates hooks after failed retries or 90 days
// without events, so bcflow runs this reconciliation hourly.
package hooks

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/bcflow/bcflow/bigcommerce"
)

// Spec is what the store's subscriptions must look like.
type Spec struct {
	// Destination is bcflow's receiver URL, e.g.
	// https://bcflow.example.com/webhooks/bigcommerce.
	Destination string
	// Scopes bcflow acts on.
	Scopes []string
	// Headers are sent with every delivery (the secret header).
	Headers map[string]string
}

// Report says what Sync changed, scope by scope.
type Report struct {
	Created     []string `json:"created"`
	Reactivated []string `json:"reactivated"`
	Updated     []string `json:"updated"`
	Deleted     []string `json:"deleted"`
	Unchanged   []string `json:"unchanged"`
}

// Changed reports whether Sync changed anything.
func (r Report) Changed() bool {
	return len(r.Created)+len(r.Reactivated)+len(r.Updated)+len(r.Deleted) > 0
}

// Sync makes the store's hooks to spec.Destination match spec: it creates
// missing ones, re-activates inactive ones, fixes wrong headers and deletes
// hooks to the destination for scopes bcflow no longer needs. Hooks to
// other destinations (other apps) are left alone. Running it twice changes
// nothing the second time.
func Sync(ctx context.Context, bc *bigcommerce.Client, spec Spec) (Report, error) {
	var rep Report
	existing, err := List(ctx, bc, spec.Destination)
	if err != nil {
		return rep, err
	}
	byScope := map[string]bigcommerce.Hook{}
	for _, h := range existing {
		if _, dup := byScope[h.Scope]; dup {
			// One hook per store+scope+destination is the platform's rule;
			// an extra one would double every delivery.
			if err := bc.DeleteHook(ctx, h.ID); err != nil {
				return rep, fmt.Errorf("hooks: delete duplicate %s hook %d: %w", h.Scope, h.ID, err)
			}
			rep.Deleted = append(rep.Deleted, h.Scope)
			continue
		}
		byScope[h.Scope] = h
	}
	active := true
	for _, scope := range spec.Scopes {
		h, ok := byScope[scope]
		switch {
		case !ok:
			if _, err := bc.CreateHook(ctx, bigcommerce.HookInput{Scope: scope, Destination: spec.Destination, IsActive: &active, Headers: spec.Headers}); err != nil {
				return rep, fmt.Errorf("hooks: create %s: %w", scope, err)
			}
			rep.Created = append(rep.Created, scope)
		case !h.IsActive || !sameHeaders(h.Headers, spec.Headers):
			if _, err := bc.UpdateHook(ctx, h.ID, bigcommerce.HookUpdate{IsActive: &active, Headers: spec.Headers}); err != nil {
				return rep, fmt.Errorf("hooks: update %s hook %d: %w", scope, h.ID, err)
			}
			if !h.IsActive {
				rep.Reactivated = append(rep.Reactivated, scope)
			} else {
				rep.Updated = append(rep.Updated, scope)
			}
		default:
			rep.Unchanged = append(rep.Unchanged, scope)
		}
	}
	for _, h := range existing {
		if !slices.Contains(spec.Scopes, h.Scope) && !slices.Contains(rep.Deleted, h.Scope) {
			if err := bc.DeleteHook(ctx, h.ID); err != nil {
				return rep, fmt.Errorf("hooks: delete stale %s hook %d: %w", h.Scope, h.ID, err)
			}
			rep.Deleted = append(rep.Deleted, h.Scope)
		}
	}
	return rep, nil
}

// List returns the store's hooks to destination, sorted by scope.
func List(ctx context.Context, bc *bigcommerce.Client, destination string) ([]bigcommerce.Hook, error) {
	var out []bigcommerce.Hook
	for h, err := range bc.Hooks(ctx, bigcommerce.HookFilter{}) {
		if err != nil {
			return nil, fmt.Errorf("hooks: list: %w", err)
		}
		if h.Destination == destination {
			out = append(out, h)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Scope < out[j].Scope || (out[i].Scope == out[j].Scope && out[i].ID < out[j].ID)
	})
	return out, nil
}

func sameHeaders(have, want map[string]string) bool {
	if len(have) != len(want) {
		return false
	}
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}
