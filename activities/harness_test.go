package activities

import (
	"net/http"
	"net/http/httptest"
	"sync"
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
	// url is the emulators' base URL.
	url string

	mu   sync.Mutex
	hits map[string]int // requests by "METHOD path"
	// intercept, when set, may answer a request instead of the emulators
	// (it returns true when it did).
	intercept func(rw http.ResponseWriter, r *http.Request) bool
}

// requests returns how many requests the emulators received for
// "METHOD path" (path without the query).
func (w *world) requests(methodPath string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.hits[methodPath]
}

func newWorld(t *testing.T) *world {
	t.Helper()
	return newWorldWith(t, emulator.Options{})
}

// newWorldWith is newWorld with emulators configured by opts.
func newWorldWith(t *testing.T, opts emulator.Options) *world {
	t.Helper()
	st := newTestStore(t)
	emu, err := emulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	w := &world{emu: emu, hits: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		w.hits[r.Method+" "+r.URL.Path]++
		intercept := w.intercept
		w.mu.Unlock()
		if intercept != nil && intercept(rw, r) {
			return
		}
		emu.Handler().ServeHTTP(rw, r)
	}))
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
	w.acts = &Activities{Store: st, BigCommerce: map[string]*bigcommerce.Client{info.Hash: bc}, Messaging: provider,
		Sender: Sender{Email: "shop@example.com", Name: "Test Shop", SMSSender: "TestShop"}}
	w.hash, w.url, w.brevoURL = info.Hash, srv.URL, srv.URL+"/v3"
	return w
}
