package bcemu

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	specs "github.com/bcflow/bcflow/emulator/contract"
)

const (
	testHash  = "bcflowdev"
	testToken = "dev-access-token"
)

// fakeClock is an injectable clock that only moves when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is an emulator behind a test server, with a client that checks every
// store API response against the official specs.
type env struct {
	t     *testing.T
	e     *Emulator
	srv   *httptest.Server
	clock *fakeClock
	spec  *contract
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	clock := newFakeClock()
	if opts.Clock == nil {
		opts.Clock = clock.Now
	}
	e, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e.Handler())
	t.Cleanup(func() {
		e.Close()
		srv.Close()
	})
	return &env{t: t, e: e, srv: srv, clock: clock, spec: loadContract(t)}
}

type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

func (r resp) obj(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	r.json(t, &m)
	return m
}

// call sends a request with the store token; store API responses are contract-checked.
func (en *env) call(method, path string, body any) resp {
	en.t.Helper()
	return en.callToken(method, path, body, testToken)
}

func (en *env) callToken(method, path string, body any, token string) resp {
	en.t.Helper()
	return en.do(method, path, body, token, true)
}

func (en *env) do(method, path string, body any, token string, check bool) resp {
	en.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			en.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, en.srv.URL+path, rd)
	if err != nil {
		en.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		en.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	out := resp{Status: res.StatusCode, Header: res.Header, Body: b}
	if check && strings.HasPrefix(path, "/stores/") {
		en.spec.checkResponse(en.t, method, path, out)
	}
	return out
}

// raw calls a store API path that the provided specs do not describe (no contract check).
func (en *env) raw(method, path string) resp {
	en.t.Helper()
	return en.do(method, "/stores/"+testHash+path, nil, testToken, false)
}

// api calls the default store's API: api("GET", "v3", "/carts/x", nil).
func (en *env) api(method, version, path string, body any) resp {
	en.t.Helper()
	return en.call(method, "/stores/"+testHash+"/"+version+path, body)
}

func (en *env) sim(method, path string, body any) resp {
	en.t.Helper()
	return en.call(method, "/_sim/bigcommerce"+path, body)
}

func wantStatus(t *testing.T, r resp, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
	}
}

// --- contract checking against the official specs (contract.SpecsDir: ../shared/specs beside the module root, or $BCFLOW_SPECS_DIR)

// specsDir is contract.SpecsDir, the one place that finds the specs.
func specsDir(t testing.TB) string {
	t.Helper()
	d, err := specs.SpecsDir()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

const specHost = "http://bcemu.test"

type specRouter struct {
	name   string
	doc    *openapi3.T
	router routers.Router
}

type contract struct {
	routers  []specRouter
	webhooks *openapi3.T
}

var (
	contractOnce sync.Once
	contractVal  *contract
	contractErr  error
)

// loadContract loads every BigCommerce spec once per test binary.
func loadContract(t testing.TB) *contract {
	t.Helper()
	dir := filepath.Join(specsDir(t), "bigcommerce")
	contractOnce.Do(func() {
		c := &contract{}
		files := map[string]string{
			"carts.v3.yml": "v3", "abandoned_carts.v3.yml": "v3", "customers.v3.yml": "v3", "products_catalog.v3.yml": "v3",
			"promotions.v3.yml": "v3", "segments.v3.yml": "v3", "webhooks.v3.yml": "v3", "channels.v3.yml": "v3",
			"orders.v2.oas2.yml": "v2", "customers.v2.yml": "v2", "marketing.v2.yml": "v2",
			"categories_catalog.v3.yml": "v3", "product-variants_catalog.v3.yml": "v3",
		}
		for file, version := range files {
			loader := openapi3.NewLoader()
			doc, err := loader.LoadFromFile(filepath.Join(dir, file))
			if err != nil {
				contractErr = err
				return
			}
			doc.Servers = openapi3.Servers{{URL: specHost + "/stores/{store_hash}/" + version,
				Variables: map[string]*openapi3.ServerVariable{"store_hash": {Default: testHash}}}}
			r, err := gorillamux.NewRouter(doc)
			if err != nil {
				contractErr = err
				return
			}
			c.routers = append(c.routers, specRouter{name: file, doc: doc, router: r})
			if file == "orders.v2.oas2.yml" {
				if err := specs.PatchBigCommerceOrders(doc); err != nil {
					contractErr = err
					return
				}
			}
			if file == "webhooks.v3.yml" {
				c.webhooks = doc
				// Known defect: webhooks_Resp declares data minItems 1, but a store
				// without hooks lists none (data: []).
				doc.Components.Responses["webhooks_Resp"].Value.Content["application/json"].Schema.Value.Properties["data"].Value.MinItems = 0
			}
		}
		contractVal = c
	})
	if contractErr != nil {
		t.Fatalf("loading specs: %v", contractErr)
	}
	return contractVal
}

// lenientRegex compiles patterns with Go's regexp; Perl-only syntax (lookahead in promotions.v3) matches anything.
func lenientRegex(expr string) (openapi3.RegexMatcher, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return regexp.MustCompile(""), nil
	}
	return re, nil
}

// findRoute returns the spec operation for a request path.
func (c *contract) findRoute(method, path string) (*specRouter, *routers.Route, map[string]string, *http.Request) {
	req := httptest.NewRequest(method, specHost+path, nil)
	for i := range c.routers {
		route, params, err := c.routers[i].router.FindRoute(req)
		if err == nil {
			return &c.routers[i], route, params, req
		}
	}
	return nil, nil, nil, req
}

// checkResponse validates a store API response against its operation in the specs.
// 2xx responses must be declared by the operation; error statuses are checked when declared.
func (c *contract) checkResponse(t *testing.T, method, path string, r resp) {
	t.Helper()
	sr, route, params, req := c.findRoute(method, path)
	if route == nil {
		if r.Status < 400 {
			t.Errorf("contract: no spec operation for %s %s (status %d)", method, path, r.Status)
		}
		return
	}
	// v2 collections answer 204 with no body when empty: a documented platform
	// convention that most v2 operations in the specs do not declare.
	v2Empty := r.Status == 204 && method == "GET" && strings.Contains(path, "/v2/")
	if r.Status < 300 && !v2Empty && route.Operation.Responses.Status(r.Status) == nil {
		t.Errorf("contract: %s %s answered %d, which %s does not declare", method, path, r.Status, sr.name)
	}
	opts := &openapi3filter.Options{MultiError: true, RegexCompiler: lenientRegex, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts},
		Status:                 r.Status,
		Header:                 r.Header,
		Body:                   io.NopCloser(bytes.NewReader(r.Body)),
		Options:                opts,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("contract: %s %s → %d violates %s: %v\nbody: %.2000s", method, path, r.Status, sr.name, err, r.Body)
	}
}

// checkCallback validates a webhook body against the callback schema of its scope in webhooks.v3.yml.
func (c *contract) checkCallback(t *testing.T, body []byte) {
	t.Helper()
	var p struct {
		Scope string `json:"scope"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("callback body: %v", err)
	}
	name := strings.ReplaceAll(p.Scope, "/", "_")
	ref := c.webhooks.Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		t.Errorf("contract: webhooks.v3.yml has no callback schema %s", name)
		return
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	if err := ref.Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
		t.Errorf("contract: callback %s violates %s: %v\nbody: %s", p.Scope, name, err, body)
	}
}

// receiver is a webhook destination that records deliveries.
type receiver struct {
	mu     sync.Mutex
	got    []delivery
	status func(n int) int // response status for the n-th request (0-based); default 200
	srv    *httptest.Server
	notify chan struct{}
}

type delivery struct {
	Header http.Header
	Body   []byte
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{notify: make(chan struct{}, 1000)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		n := len(rc.got)
		rc.got = append(rc.got, delivery{Header: r.Header.Clone(), Body: b})
		st := 200
		if rc.status != nil {
			st = rc.status(n)
		}
		rc.mu.Unlock()
		w.WriteHeader(st)
		rc.notify <- struct{}{}
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) setStatus(f func(n int) int) {
	rc.mu.Lock()
	rc.status = f
	rc.mu.Unlock()
}

// wait blocks until at least n deliveries arrived.
func (rc *receiver) wait(t *testing.T, n int) []delivery {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		rc.mu.Lock()
		if len(rc.got) >= n {
			out := append([]delivery(nil), rc.got...)
			rc.mu.Unlock()
			return out
		}
		have := len(rc.got)
		rc.mu.Unlock()
		select {
		case <-rc.notify:
		case <-deadline:
			t.Fatalf("timed out waiting for %d deliveries, got %d", n, have)
		}
	}
}

func (rc *receiver) all() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...)
}

// hook registers a webhook for scope pointing at rc.
func (en *env) hook(rc *receiver, scope string, headers map[string]string) int {
	en.t.Helper()
	body := map[string]any{"scope": scope, "destination": rc.srv.URL + "/hook", "is_active": true}
	if headers != nil {
		body["headers"] = headers
	}
	r := en.api("POST", "v3", "/hooks", body)
	wantStatus(en.t, r, 200)
	return int(r.obj(en.t)["data"].(map[string]any)["id"].(float64))
}

type callback struct {
	Scope     string         `json:"scope"`
	StoreID   string         `json:"store_id"`
	Data      map[string]any `json:"data"`
	Hash      string         `json:"hash"`
	CreatedAt int64          `json:"created_at"`
	Producer  string         `json:"producer"`
}

func parseCallback(t *testing.T, b []byte) callback {
	t.Helper()
	var c callback
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("callback: %v", err)
	}
	return c
}
