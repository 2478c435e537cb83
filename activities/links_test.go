package activities

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/emulator"
	"github.com/bcflow/bcflow/emulator/bcemu"
)

// linkWorld is a world whose store has channels 1 (site
// https://shop.example.com), 2 (site https://eu.example.com) and 3 (no site).
func linkWorld(t *testing.T) *world {
	t.Helper()
	seed := bcemu.DefaultStore()
	seed.Domain = "https://shop.example.com"
	seed.Channels = []int{1, 2, 3}
	seed.Sites = map[int]string{2: "https://eu.example.com/"}
	return newWorldWith(t, emulator.Options{BigCommerce: bcemu.Options{Stores: []bcemu.StoreSeed{seed}}})
}

// abandonedCart creates a storefront cart (no redirect URLs) on channel and
// abandons it; it returns the cart id and the abandoned-cart token.
func abandonedCart(t *testing.T, w *world, channel int) (string, string) {
	t.Helper()
	cart, err := w.emu.BigCommerce().CreateCart(w.hash, bcemu.CartInput{ChannelID: channel, CustomerID: 1,
		Items: []bcemu.ItemInput{{SKU: "TEE-M", Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	token, err := w.emu.BigCommerce().AbandonCart(w.hash, cart.ID)
	if err != nil {
		t.Fatal(err)
	}
	return cart.ID, token
}

func loadCartLinks(t *testing.T, w *world, cartID, token string) CartSnapshot {
	t.Helper()
	snap, err := w.acts.LoadCart(context.Background(), LoadCartInput{CartRef: CartRef{StoreHash: w.hash, CartID: cartID}, Token: token, WithRecoveryURL: true})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func wantCartLink(t *testing.T, snap CartSnapshot, base string) {
	t.Helper()
	want := base + "/cart.php?action=load&id=" + url.QueryEscape(snap.CartID) + "&token="
	if !strings.HasPrefix(snap.RecoveryURL, want) || len(snap.RecoveryURL) == len(want) || snap.LinkProblem != "" {
		t.Errorf("recovery URL %q (problem %q), want %s<token>", snap.RecoveryURL, snap.LinkProblem, want)
	}
}

func TestStorefrontCartLinkIsAbsolute(t *testing.T) {
	w := linkWorld(t)
	const sitePath = "GET /stores/bcflowdev/v3/channels/1/site"

	// A storefront cart gets no redirect URL: the token link is built on
	// the channel's site.
	id, token := abandonedCart(t, w, 1)
	snap := loadCartLinks(t, w, id, token)
	wantCartLink(t, snap, "https://shop.example.com")
	if !strings.HasSuffix(snap.RecoveryURL, "&token="+token) {
		t.Errorf("recovery URL %q lacks the token", snap.RecoveryURL)
	}
	for _, it := range snap.Items {
		if !strings.HasPrefix(it.ProductURL, "https://") || !strings.HasPrefix(it.ImageURL, "https://") {
			t.Errorf("item links %q %q", it.ProductURL, it.ImageURL)
		}
	}
	if n := w.requests("POST /stores/bcflowdev/v3/carts/" + id + "/redirect_urls"); n != 1 {
		t.Errorf("redirect URLs asked %d times, want 1 (refused for storefront carts)", n)
	}
	// The site is cached: a second load does not ask again.
	loadCartLinks(t, w, id, token)
	if n := w.requests(sitePath); n != 1 {
		t.Errorf("channel site asked %d times, want 1", n)
	}

	// Another channel uses its own site.
	id2, token2 := abandonedCart(t, w, 2)
	wantCartLink(t, loadCartLinks(t, w, id2, token2), "https://eu.example.com")

	// The flows file's storefront_url wins over the site.
	flows, err := config.ParseFlows("flows.yaml", []byte(`version: 1
defaults: {}
stores:
  - store_hash: bcflowdev
    channels:
      - channel_id: 2
        storefront_url: https://www.example.eu/
      - channel_id: 3
        storefront_url: https://b2b.example.com/shop
`))
	if err != nil {
		t.Fatal(err)
	}
	w.acts.Flows = flows
	wantCartLink(t, loadCartLinks(t, w, id2, token2), "https://www.example.eu")
	id3, token3 := abandonedCart(t, w, 3)
	wantCartLink(t, loadCartLinks(t, w, id3, token3), "https://b2b.example.com/shop")
}

func TestCartLinkWithoutStorefrontIsLeftOut(t *testing.T) {
	w := linkWorld(t)
	// Channel 3 has no site and the flows file names none: the recovery
	// link is not sent relative; the snapshot says why.
	id, token := abandonedCart(t, w, 3)
	snap := loadCartLinks(t, w, id, token)
	if snap.RecoveryURL != "" || !strings.Contains(snap.LinkProblem, "no storefront URL for channel 3") {
		t.Errorf("recovery URL %q, problem %q", snap.RecoveryURL, snap.LinkProblem)
	}
	// Nothing is asked for when no link is needed.
	snap, err := w.acts.LoadCart(context.Background(), LoadCartInput{CartRef: CartRef{StoreHash: w.hash, CartID: id}})
	if err != nil || snap.LinkProblem != "" || snap.RecoveryURL != "" {
		t.Errorf("load without link: %+v, %v", snap, err)
	}
}

func TestStorefrontLookupFailures(t *testing.T) {
	w := linkWorld(t)
	status := http.StatusForbidden
	w.mu.Lock()
	w.intercept = func(rw http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, "/site") {
			return false
		}
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(status)
		_, _ = rw.Write([]byte(`{"status":` + strconv.Itoa(status) + `,"title":"refused","type":"about:blank"}`))
		return true
	}
	w.mu.Unlock()
	id, token := abandonedCart(t, w, 1)
	// A token without the Channel Settings scope (403) cannot be fixed by
	// retrying: the link is left out with the reason.
	snap := loadCartLinks(t, w, id, token)
	if snap.RecoveryURL != "" || !strings.Contains(snap.LinkProblem, "Channel Settings read scope") {
		t.Errorf("after a 403: recovery URL %q, problem %q", snap.RecoveryURL, snap.LinkProblem)
	}
	// An outage fails the activity so Temporal retries it; it is not cached.
	status = http.StatusServiceUnavailable
	id2, token2 := abandonedCart(t, w, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := w.acts.LoadCart(ctx, LoadCartInput{CartRef: CartRef{StoreHash: w.hash, CartID: id2}, Token: token2, WithRecoveryURL: true})
	if err == nil {
		t.Fatal("a 503 from the site API gave no error")
	}
	w.mu.Lock()
	w.intercept = nil
	w.mu.Unlock()
	wantCartLink(t, loadCartLinks(t, w, id2, token2), "https://eu.example.com")
}

func TestOrderProductLinksAreAbsolute(t *testing.T) {
	w := linkWorld(t)
	ow := &orderActs{t: t, acts: w.acts, bc: w.emu.BigCommerce(), bv: w.emu.Brevo(), hash: w.hash}
	id := ow.order(4, "", 10, "", item("TEE-M", 1), item("MUG-WHITE", 1))
	snap, err := w.acts.LoadOrder(context.Background(), OrderInput{StoreHash: w.hash, OrderID: id, WithDetails: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Lines) != 2 || snap.LinkProblem != "" {
		t.Fatalf("lines %+v, problem %q", snap.Lines, snap.LinkProblem)
	}
	for _, l := range snap.Lines {
		// The catalog's custom_url is relative ("/tee/"): the review link
		// (ProductURL + "#write_review") is then absolute too.
		if !strings.HasPrefix(l.ProductURL, "https://shop.example.com/") || strings.Contains(l.ProductURL, "//"+"/") || l.ImageURL == "" ||
			!strings.HasPrefix(l.ImageURL, "http") {
			t.Errorf("line %s links %q %q", l.SKU, l.ProductURL, l.ImageURL)
		}
	}
}

func TestAbsoluteLink(t *testing.T) {
	for _, c := range []struct{ base, link, want string }{
		{"https://shop.example.com", "/cart.php?a=1", "https://shop.example.com/cart.php?a=1"},
		{"https://shop.example.com/", "cart.php", "https://shop.example.com/cart.php"},
		{"https://x.example.com/en", "/tee/", "https://x.example.com/en/tee/"},
		{"", "https://cdn.example.com/i.jpg", "https://cdn.example.com/i.jpg"},
		{"", "//cdn.example.com/i.jpg", "https://cdn.example.com/i.jpg"},
		{"", "", ""},
	} {
		if got, ok := absoluteLink(c.base, c.link); !ok || got != c.want {
			t.Errorf("absoluteLink(%q, %q) = %q, %v; want %q", c.base, c.link, got, ok, c.want)
		}
	}
	if got, ok := absoluteLink("", "/cart.php"); ok || got != "" {
		t.Errorf("relative link without base = %q, %v", got, ok)
	}
}

func TestStorefrontCacheAsksOnceAndExpires(t *testing.T) {
	w := linkWorld(t)
	const sitePath = "GET /stores/bcflowdev/v3/channels/2/site"
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	w.acts.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	w.acts.StorefrontTTL = time.Hour
	bc := w.acts.BigCommerce[w.hash]
	ctx := context.Background()

	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if u, err := w.acts.storefrontURL(ctx, bc, w.hash, 2); err != nil || u != "https://eu.example.com" {
				t.Errorf("storefront URL %q, %v", u, err)
			}
		}()
	}
	wg.Wait()
	if n := w.requests(sitePath); n != 1 {
		t.Fatalf("20 concurrent lookups asked BigCommerce %d times, want 1", n)
	}
	// A changed site is seen once the entry expires.
	if err := w.emu.BigCommerce().SetChannelSite(w.hash, 2, "https://new.example.com"); err != nil {
		t.Fatal(err)
	}
	if u, _ := w.acts.storefrontURL(ctx, bc, w.hash, 2); u != "https://eu.example.com" {
		t.Errorf("within the TTL: %q", u)
	}
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	if u, _ := w.acts.storefrontURL(ctx, bc, w.hash, 2); u != "https://new.example.com" || w.requests(sitePath) != 2 {
		t.Errorf("after the TTL: %q after %d requests", u, w.requests(sitePath))
	}
	// Channels without a site are cached as such.
	for range 2 {
		if u, err := w.acts.storefrontURL(ctx, bc, w.hash, 3); u != "" || err != nil {
			t.Errorf("channel 3: %q, %v", u, err)
		}
	}
	if n := w.requests("GET /stores/bcflowdev/v3/channels/3/site"); n != 1 {
		t.Errorf("channel without a site asked %d times", n)
	}
}
