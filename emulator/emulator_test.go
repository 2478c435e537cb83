package emulator

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bcflow/bcflow/emulator/brevoemu"
	"github.com/bcflow/bcflow/emulator/contract"
)

func newTest(t *testing.T, opts Options) (*Emulator, *httptest.Server) {
	t.Helper()
	e, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e.Handler())
	t.Cleanup(func() { srv.Close(); e.Close() })
	return e, srv
}

func do(t *testing.T, method, url, body string, hdr ...string) (*http.Request, *http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(strings.NewReader(string(b)))
	return req, resp, b
}

func TestRoutingToBothSides(t *testing.T) {
	e, srv := newTest(t, Options{})
	stores := e.BigCommerce().Stores()
	if len(stores) == 0 {
		t.Fatal("no default store")
	}
	st := stores[0]

	// BigCommerce side: a v3 call with the store's token reaches bcemu and
	// answers in BigCommerce's shape.
	_, resp, body := do(t, "GET", srv.URL+"/stores/"+st.Hash+"/v3/catalog/products", "", "X-Auth-Token", st.AccessToken)
	if resp.StatusCode != 200 {
		t.Fatalf("bigcommerce products: %d %s", resp.StatusCode, body)
	}
	var products struct {
		Data []map[string]any `json:"data"`
	}
	if err := json.Unmarshal(body, &products); err != nil || len(products.Data) == 0 {
		t.Fatalf("bigcommerce products body: %v %.200s", err, body)
	}
	// (bcemu's own tests check its bodies against BigCommerce's specs.)
	if _, resp, _ := do(t, "GET", srv.URL+"/stores/"+st.Hash+"/v3/catalog/products", ""); resp.StatusCode != 401 {
		t.Fatalf("bigcommerce without token: %d", resp.StatusCode)
	}

	// Brevo side.
	req, resp, body := do(t, "POST", srv.URL+"/v3/contacts", `{"email":"ann@example.com"}`, "api-key", brevoemu.DefaultAPIKey)
	if resp.StatusCode != 201 {
		t.Fatalf("brevo contacts: %d %s", resp.StatusCode, body)
	}
	contract.Load(t, "brevo/swagger.yaml").ValidateResponse(t, req, resp)
	if len(e.Brevo().Contacts()) != 1 {
		t.Fatal("contact not recorded by the Brevo emulator")
	}

	// Control APIs of both sides.
	if _, resp, body := do(t, "GET", srv.URL+"/_sim/brevo/contacts", ""); resp.StatusCode != 200 || !strings.Contains(string(body), "ann@example.com") {
		t.Fatalf("/_sim/brevo/contacts: %d %s", resp.StatusCode, body)
	}
	if _, resp, body := do(t, "GET", srv.URL+"/_sim/bigcommerce/stores", ""); resp.StatusCode != 200 || !strings.Contains(string(body), st.Hash) {
		t.Fatalf("/_sim/bigcommerce/stores: %d %s", resp.StatusCode, body)
	}

	// Anything else is a JSON 404 pointing at the index.
	if _, resp, body := do(t, "GET", srv.URL+"/nowhere", ""); resp.StatusCode != 404 || !strings.Contains(string(body), "/_sim/") {
		t.Fatalf("unknown path: %d %s", resp.StatusCode, body)
	}
}

func TestIndex(t *testing.T) {
	e, srv := newTest(t, Options{Brevo: brevoemu.Options{APIKeys: []string{"k1"}}})
	_, resp, body := do(t, "GET", srv.URL+"/_sim/", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("index: %d %s", resp.StatusCode, body)
	}
	var ix Index
	if err := json.Unmarshal(body, &ix); err != nil {
		t.Fatal(err)
	}
	st := e.BigCommerce().Stores()[0]
	if ix.BaseURL != srv.URL || ix.BigCommerce.APIBaseURL != srv.URL || ix.Brevo.APIBaseURL != srv.URL+"/v3" {
		t.Fatalf("urls: %+v", ix)
	}
	if len(ix.BigCommerce.Stores) != len(e.BigCommerce().Stores()) {
		t.Fatalf("stores: %+v", ix.BigCommerce.Stores)
	}
	s0 := ix.BigCommerce.Stores[0]
	if s0.Hash != st.Hash || s0.AccessToken != st.AccessToken || s0.APIURL != srv.URL+"/stores/"+st.Hash+"/v3" {
		t.Fatalf("store entry: %+v", s0)
	}
	if len(ix.Brevo.APIKeys) != 1 || ix.Brevo.APIKeys[0] != "k1" || ix.Brevo.ControlURL != srv.URL+"/_sim/brevo/" {
		t.Fatalf("brevo entry: %+v", ix.Brevo)
	}
	// The index's credentials work against the URLs it lists.
	if _, resp, body := do(t, "GET", s0.APIURL+"/catalog/products", "", "X-Auth-Token", s0.AccessToken); resp.StatusCode != 200 {
		t.Fatalf("index store credentials: %d %s", resp.StatusCode, body)
	}
	if _, resp, _ := do(t, "GET", srv.URL+"/_sim", ""); resp.StatusCode != 200 {
		t.Fatalf("/_sim without slash: %d", resp.StatusCode)
	}
}

func TestStartShutdown(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Brevo: brevoemu.Options{SnapshotPath: filepath.Join(dir, "brevo.json")}}
	e, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	base, err := e.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") || e.BaseURL() != base {
		t.Fatalf("base URL %q", base)
	}
	if _, err := e.Start("127.0.0.1:0"); err == nil {
		t.Fatal("second Start succeeded")
	}
	_, resp, body := do(t, "POST", base+"/v3/events", `{"event_name":"x","identifiers":{"email_id":"a@example.com"}}`, "api-key", brevoemu.DefaultAPIKey)
	if resp.StatusCode != 204 {
		t.Fatalf("event through Start: %d %s", resp.StatusCode, body)
	}
	var ix Index
	_, _, body = do(t, "GET", base+"/_sim/", "")
	if err := json.Unmarshal(body, &ix); err != nil || ix.Brevo.APIBaseURL != base+"/v3" {
		t.Fatalf("index after Start: %s", body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(base + "/_sim/"); err == nil {
		t.Fatal("still serving after Shutdown")
	}
	// Shutdown saved the Brevo snapshot.
	e2, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	if n := len(e2.Brevo().Events(brevoemu.Filter{})); n != 1 {
		t.Fatalf("%d events after reload, want 1", n)
	}
}

func TestNewFailsOnBadSnapshot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "brevo.json")
	if err := os.WriteFile(path, []byte("{broken"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{Brevo: brevoemu.Options{SnapshotPath: path}}); err == nil || !strings.Contains(err.Error(), "brevo") {
		t.Fatalf("err = %v", err)
	}
}
