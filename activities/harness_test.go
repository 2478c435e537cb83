package activities

import (
	"net/http/httptest"
	"testing"

	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/emulator"
	"github.com/bcflow/bcflow/messaging/brevo"
)

// world is the activities wired to a real SQLite store and the BigCommerce
// + Brevo emulator over HTTP, through the real clients.
type world struct {
	acts *Activities
	emu  *emulator.Emulator
	hash string
	// brevoURL is the emulator's Brevo API root, for tests that build
	// their own Brevo client.
	brevoURL string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	st := newTestStore(t)
	emu, err := emulator.New(emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	srv := httptest.NewServer(emu.Handler())
	t.Cleanup(srv.Close)
	info := emu.BigCommerce().Stores()[0]
	bc, err := bigcommerce.New(bigcommerce.Options{BaseURL: srv.URL, StoreHash: info.Hash, AccessToken: info.AccessToken})
	if err != nil {
		t.Fatal(err)
	}
	provider, err := brevo.New(brevo.Options{BaseURL: srv.URL + "/v3", APIKey: emu.Brevo().APIKeys()[0]})
	if err != nil {
		t.Fatal(err)
	}
	return &world{
		acts: &Activities{Store: st, BigCommerce: map[string]*bigcommerce.Client{info.Hash: bc}, Messaging: provider,
			Sender: Sender{Email: "shop@example.com", Name: "Test Shop", SMSSender: "TestShop"}},
		emu: emu, hash: info.Hash, brevoURL: srv.URL + "/v3",
	}
}
