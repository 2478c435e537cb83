package hooks

import (
	"context"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/emulator/bcemu"
)

func newStore(t *testing.T) *bigcommerce.Client {
	t.Helper()
	emu, err := bcemu.New(bcemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	srv := httptest.NewServer(emu.Handler())
	t.Cleanup(srv.Close)
	info := emu.Stores()[0]
	bc, err := bigcommerce.New(bigcommerce.Options{BaseURL: srv.URL, StoreHash: info.Hash, AccessToken: info.AccessToken})
	if err != nil {
		t.Fatal(err)
	}
	return bc
}

func TestSyncConvergesAndIsIdempotent(t *testing.T) {
	ctx := context.Background()
	bc := newStore(t)
	spec := Spec{
		Destination: "https://bcflow.example.com/webhooks/bigcommerce",
		Scopes:      []string{"store/cart/abandoned", "store/cart/updated", "store/order/statusUpdated"},
		Headers:     map[string]string{"X-Bcflow-Webhook-Secret": "s3cret"},
	}
	// Another app's hook and a stale hook of ours.
	if _, err := bc.CreateHook(ctx, bigcommerce.HookInput{Scope: "store/cart/updated", Destination: "https://other.example.com/hook"}); err != nil {
		t.Fatal(err)
	}
	if _, err := bc.CreateHook(ctx, bigcommerce.HookInput{Scope: "store/product/updated", Destination: spec.Destination}); err != nil {
		t.Fatal(err)
	}

	rep, err := Sync(ctx, bc, spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Created) != 3 || !slices.Equal(rep.Deleted, []string{"store/product/updated"}) {
		t.Fatalf("first sync = %+v", rep)
	}
	rep, err = Sync(ctx, bc, spec)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Changed() || len(rep.Unchanged) != 3 {
		t.Fatalf("second sync changed things: %+v", rep)
	}

	// BigCommerce deactivated one after failed deliveries; the secret rotated.
	ours, err := List(ctx, bc, spec.Destination)
	if err != nil {
		t.Fatal(err)
	}
	inactive := false
	if _, err := bc.UpdateHook(ctx, ours[0].ID, bigcommerce.HookUpdate{IsActive: &inactive}); err != nil {
		t.Fatal(err)
	}
	spec.Headers = map[string]string{"X-Bcflow-Webhook-Secret": "rotated"}
	rep, err = Sync(ctx, bc, spec)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Reactivated, []string{ours[0].Scope}) || len(rep.Updated) != 2 {
		t.Fatalf("repair sync = %+v", rep)
	}
	ours, _ = List(ctx, bc, spec.Destination)
	for _, h := range ours {
		if !h.IsActive || h.Headers["X-Bcflow-Webhook-Secret"] != "rotated" {
			t.Fatalf("hook not repaired: %+v", h)
		}
	}
	// The other app's hook is untouched.
	other, err := List(ctx, bc, "https://other.example.com/hook")
	if err != nil || len(other) != 1 {
		t.Fatalf("other app's hooks = %v, %v", other, err)
	}
}
