// Package contract checks HTTP traffic against the official API descriptions of
// the services bcflow talks to (BigCommerce and Brevo).
//
// The specs live outside the repository, in ../shared/specs next to the module
// root (override with BCFLOW_SPECS_DIR). They are loaded with kin-openapi,
// patched in memory where the published files are known to be incomplete, and
// cached per process. Requests are routed on their path only, so traffic to a
// local httptest server matches operations whose servers point at the real
// hosts.
//
// The package is test support: its helpers take a testing.TB and report
// contract violations as test failures. It lives in a normal file so that the
// tests of any package can import it.
package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/oasdiff/yaml"
)

// EnvSpecsDir names the environment variable that overrides the specs directory.
const EnvSpecsDir = "BCFLOW_SPECS_DIR"

// SpecsDir returns the directory holding the official specs: $BCFLOW_SPECS_DIR
// when set, otherwise ../shared/specs relative to the directory of the nearest
// go.mod above the working directory. It fails when the directory is missing.
func SpecsDir() (string, error) {
	if d := os.Getenv(EnvSpecsDir); d != "" {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return "", fmt.Errorf("contract: %s=%q is not a directory", EnvSpecsDir, d)
		}
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("contract: working directory: %w", err)
	}
	root := ""
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			root = dir
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	if root == "" {
		return "", fmt.Errorf("contract: no go.mod found above %s; set %s to the specs directory", wd, EnvSpecsDir)
	}
	d := filepath.Join(filepath.Dir(root), "shared", "specs")
	if st, err := os.Stat(d); err != nil || !st.IsDir() {
		return "", fmt.Errorf("contract: specs directory %s not found (expected ../shared/specs beside the module root %s); set %s to override", d, root, EnvSpecsDir)
	}
	return d, nil
}

// Spec is a loaded API description plus validation settings. Specs returned by
// Load share the parsed document; the settings methods return copies.
type Spec struct {
	// Name is the path the spec was loaded from, relative to SpecsDir.
	Name string
	// Doc is the parsed (and for Brevo, converted and patched) document. Treat
	// it as read-only: it is shared by every user in the process.
	Doc *openapi3.T

	routes     []*route
	undoc      map[int]string // undocumented status → component schema for its body ("" = any body)
	skipStatus bool
}

type route struct {
	re       *regexp.Regexp
	names    []string
	literal  int // literal characters, to prefer /contacts/batch over /contacts/{identifier}
	server   *openapi3.Server
	path     string
	pathItem *openapi3.PathItem
}

type cacheEntry struct {
	once   sync.Once
	doc    *openapi3.T
	routes []*route
	err    error
}

var (
	cacheMu sync.Mutex
	cache   = map[string]*cacheEntry{}
)

// Load returns the spec at relPath under SpecsDir (for example
// "bigcommerce/carts.v3.yml" or "brevo/swagger.yaml"), failing the test when
// it cannot be found or parsed.
func Load(t testing.TB, relPath string) *Spec {
	t.Helper()
	s, err := Open(relPath)
	if err != nil {
		t.Fatalf("%v", err)
		return nil
	}
	return s
}

// Open is Load without a test: it returns the spec at relPath or an error.
func Open(relPath string) (*Spec, error) {
	dir, err := SpecsDir()
	if err != nil {
		return nil, err
	}
	full := filepath.Join(dir, filepath.FromSlash(relPath))
	cacheMu.Lock()
	e, ok := cache[full]
	if !ok {
		e = &cacheEntry{}
		cache[full] = e
	}
	cacheMu.Unlock()
	e.once.Do(func() {
		e.doc, e.err = loadDoc(full)
		if e.err == nil {
			e.routes, e.err = buildRoutes(e.doc)
		}
		if e.err != nil {
			e.err = fmt.Errorf("contract: load %s: %w", relPath, e.err)
		}
	})
	if e.err != nil {
		return nil, e.err
	}
	return &Spec{Name: relPath, Doc: e.doc, routes: e.routes}, nil
}

func loadDoc(path string) (*openapi3.T, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var head struct {
		Swagger string `json:"swagger"`
	}
	if _, err := yaml.Unmarshal(data, &head, yaml.DecodeOpts{}); err != nil {
		return nil, err
	}
	var doc *openapi3.T
	if head.Swagger != "" {
		doc, err = loadSwagger2(data)
	} else {
		loader := openapi3.NewLoader()
		// BigCommerce files carry an empty info.version, which makes
		// doc.Validate fail although the document loads fine: skip it.
		doc, err = loader.LoadFromData(data)
	}
	if err != nil {
		return nil, err
	}
	if strings.Contains(filepath.ToSlash(path), "brevo/") {
		if err := patchBrevo(doc); err != nil {
			return nil, err
		}
	}
	if strings.HasSuffix(filepath.ToSlash(path), "bigcommerce/orders.v2.oas2.yml") {
		if err := PatchBigCommerceOrders(doc); err != nil {
			return nil, err
		}
	}
	return doc, nil
}

// PatchBigCommerceOrders fixes a defect of bigcommerce/orders.v2.oas2.yml:
// the alternatives of an order's consignments (a resource link or
// orderConsignment_Get) and of a consignment's line_items (links or
// orderProducts) overlap, because the link schemas require nothing and
// orderConsignment_Get allows any property; every value then matches both
// and oneOf fails. Links always carry url and resource, and a consignment
// object has only pickups, shipping, downloads and email; saying so makes
// the alternatives disjoint. Load applies it; other loaders of the file
// (emulator/bcemu's tests) call it themselves.
func PatchBigCommerceOrders(doc *openapi3.T) error {
	for _, name := range []string{"orderConsignments_Resource", "products_Resource", "orderConsignment_Get"} {
		if s := doc.Components.Schemas[name]; s == nil || s.Value == nil {
			return fmt.Errorf("bigcommerce orders: schema %s not found", name)
		}
	}
	for _, name := range []string{"orderConsignments_Resource", "products_Resource"} {
		doc.Components.Schemas[name].Value.Required = []string{"url", "resource"}
	}
	no := false
	doc.Components.Schemas["orderConsignment_Get"].Value.AdditionalProperties = openapi3.AdditionalProperties{Has: &no}
	return nil
}

// loadSwagger2 converts a Swagger 2.0 document. Responses that are a bare
// $ref to a definition (Brevo's createdBatchId) are invalid Swagger and break
// the conversion; they are rewritten to a response whose schema is that ref.
func loadSwagger2(data []byte) (*openapi3.T, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, err
	}
	var raw map[string]any
	if err := json.Unmarshal(js, &raw); err != nil {
		return nil, err
	}
	paths, _ := raw["paths"].(map[string]any)
	for _, item := range paths {
		ops, _ := item.(map[string]any)
		for _, op := range ops {
			opm, _ := op.(map[string]any)
			resps, _ := opm["responses"].(map[string]any)
			for code, r := range resps {
				rm, _ := r.(map[string]any)
				ref, _ := rm["$ref"].(string)
				if strings.HasPrefix(ref, "#/definitions/") {
					resps[code] = map[string]any{
						"description": strings.TrimPrefix(ref, "#/definitions/"),
						"schema":      map[string]any{"$ref": ref},
					}
				}
			}
		}
	}
	if js, err = json.Marshal(raw); err != nil {
		return nil, err
	}
	var doc2 openapi2.T
	if err := json.Unmarshal(js, &doc2); err != nil {
		return nil, err
	}
	doc, err := openapi2conv.ToV3(&doc2)
	if err != nil {
		return nil, err
	}
	if err := openapi3.NewLoader().ResolveRefsIn(doc, nil); err != nil {
		return nil, err
	}
	return doc, nil
}

// patchBrevo adds the operations that Brevo serves but the published Swagger
// file predates: POST /transactionalSMS/send and POST /events/batch.
func patchBrevo(doc *openapi3.T) error {
	errRef := func() *openapi3.ResponseRef {
		s := doc.Components.Schemas["errorModel"]
		return &openapi3.ResponseRef{Value: openapi3.NewResponse().WithDescription("bad request").WithJSONSchemaRef(s)}
	}
	if doc.Paths.Value("/transactionalSMS/send") == nil {
		sms := doc.Paths.Value("/transactionalSMS/sms")
		if sms == nil || sms.Post == nil {
			return errors.New("brevo: /transactionalSMS/sms not found")
		}
		op := *sms.Post
		op.OperationID = "sendAsyncTransactionalSms"
		op.Deprecated = false
		resp := openapi3.NewObjectSchema().
			WithProperty("messageId", openapi3.NewInt64Schema())
		resp.Required = []string{"messageId"}
		op.Responses = openapi3.NewResponses(
			openapi3.WithStatus(201, &openapi3.ResponseRef{Value: openapi3.NewResponse().
				WithDescription("SMS has been sent successfully to the recipient").WithJSONSchema(resp)}),
			openapi3.WithStatus(400, errRef()),
			openapi3.WithStatus(401, errRef()),
			openapi3.WithStatus(402, errRef()),
		)
		doc.AddOperation("/transactionalSMS/send", http.MethodPost, &op)
	}
	if doc.Paths.Value("/events/batch") == nil {
		ev := doc.Components.Schemas["event"]
		if ev == nil {
			return errors.New("brevo: definition event not found")
		}
		body := openapi3.NewObjectSchema().
			WithProperty("events", openapi3.NewArraySchema().WithItems(ev.Value).WithMinItems(1).WithMaxItems(200))
		body.Required = []string{"events"}
		accepted := openapi3.NewObjectSchema().
			WithProperty("message", openapi3.NewStringSchema()).
			WithProperty("count", openapi3.NewIntegerSchema())
		op := &openapi3.Operation{
			Tags:        []string{"Events"},
			Summary:     "Create events in batch",
			OperationID: "createBatchEvents",
			RequestBody: &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).WithJSONSchema(body)},
			Responses: openapi3.NewResponses(
				openapi3.WithStatus(202, &openapi3.ResponseRef{Value: openapi3.NewResponse().
					WithDescription("Batch accepted").WithJSONSchema(accepted)}),
				openapi3.WithStatus(400, errRef()),
				openapi3.WithStatus(401, errRef()),
			),
		}
		doc.AddOperation("/events/batch", http.MethodPost, op)
	}
	return nil
}

var paramRe = regexp.MustCompile(`\{([^{}]+)\}`)

func buildRoutes(doc *openapi3.T) ([]*route, error) {
	servers := doc.Servers
	if len(servers) == 0 {
		servers = openapi3.Servers{{URL: "/"}}
	}
	var out []*route
	for _, srv := range servers {
		base := serverPath(srv.URL)
		for p, item := range doc.Paths.Map() {
			tmpl := strings.TrimSuffix(base, "/") + p
			var b strings.Builder
			b.WriteString("^")
			var names []string
			last := 0
			literal := 0
			for _, m := range paramRe.FindAllStringSubmatchIndex(tmpl, -1) {
				b.WriteString(regexp.QuoteMeta(tmpl[last:m[0]]))
				literal += m[0] - last
				b.WriteString("([^/]+)")
				names = append(names, tmpl[m[2]:m[3]])
				last = m[1]
			}
			b.WriteString(regexp.QuoteMeta(tmpl[last:]))
			literal += len(tmpl) - last
			b.WriteString("/?$")
			re, err := regexp.Compile(b.String())
			if err != nil {
				return nil, fmt.Errorf("path %s: %w", p, err)
			}
			out = append(out, &route{re: re, names: names, literal: literal, server: srv, path: p, pathItem: item})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].literal != out[j].literal {
			return out[i].literal > out[j].literal
		}
		return out[i].path < out[j].path
	})
	return out, nil
}

// serverPath returns the path part of a server URL, variables kept:
// "https://api.bigcommerce.com/stores/{store_hash}/v3" → "/stores/{store_hash}/v3".
func serverPath(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
		if j := strings.Index(u, "/"); j >= 0 {
			u = u[j:]
		} else {
			u = "/"
		}
	}
	if !strings.HasPrefix(u, "/") {
		u = "/" + u
	}
	return u
}

// FindRoute matches a request to an operation by method and path.
func (s *Spec) FindRoute(req *http.Request) (*routers.Route, map[string]string, error) {
	p := req.URL.Path
	if p == "" {
		p = "/"
	}
	pathMatched := false
	for _, r := range s.routes {
		m := r.re.FindStringSubmatch(p)
		if m == nil {
			continue
		}
		pathMatched = true
		op := r.pathItem.GetOperation(req.Method)
		if op == nil {
			continue
		}
		params := make(map[string]string, len(r.names))
		for i, n := range r.names {
			v, err := url.PathUnescape(m[i+1])
			if err != nil {
				v = m[i+1]
			}
			params[n] = v
		}
		return &routers.Route{Spec: s.Doc, Server: r.server, Path: r.path, PathItem: r.pathItem, Method: req.Method, Operation: op}, params, nil
	}
	if pathMatched {
		return nil, nil, fmt.Errorf("%s %s: %w", req.Method, p, routers.ErrMethodNotAllowed)
	}
	return nil, nil, fmt.Errorf("%s %s: %w", req.Method, p, routers.ErrPathNotFound)
}

// AllowUndocumented returns a copy of s that accepts the given response
// statuses on operations that do not document them (real APIs answer 401, 429
// or 5xx almost everywhere). When schemaRef is not empty, such a response's
// body must match that component schema, e.g. "errorModel".
func (s *Spec) AllowUndocumented(schemaRef string, codes ...int) *Spec {
	c := *s
	c.undoc = make(map[int]string, len(s.undoc)+len(codes))
	for k, v := range s.undoc {
		c.undoc[k] = v
	}
	for _, code := range codes {
		c.undoc[code] = schemaRef
	}
	return &c
}

// AllowAnyStatus returns a copy of s that, like kin-openapi's default, lets
// undocumented statuses pass without checking their bodies.
func (s *Spec) AllowAnyStatus() *Spec {
	c := *s
	c.skipStatus = true
	return &c
}

// lenientRegex compiles patterns with Go's regexp and lets patterns Go cannot
// compile (promotions.v3 uses Perl look-aheads) match anything.
func lenientRegex(expr string) (openapi3.RegexMatcher, error) {
	if v, ok := regexCache.Load(expr); ok {
		return v.(openapi3.RegexMatcher), nil
	}
	var m openapi3.RegexMatcher
	re, err := regexp.Compile(expr)
	if err != nil {
		m = matchAll{}
	} else {
		m = re
	}
	regexCache.Store(expr, m)
	return m, nil
}

var regexCache sync.Map

type matchAll struct{}

func (matchAll) MatchString(string) bool { return true }

func (s *Spec) options() *openapi3filter.Options {
	o := &openapi3filter.Options{
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: !s.skipStatus,
		MultiError:            true,
		RegexCompiler:         lenientRegex,
		SkipSettingDefaults:   true,
	}
	o.SchemaValidationOptions = []openapi3.SchemaValidationOption{openapi3.SetSchemaRegexCompiler(lenientRegex)}
	return o
}

func readBody(rc io.ReadCloser) ([]byte, error) {
	if rc == nil || rc == http.NoBody {
		return nil, nil
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// CheckRequest validates req against its operation and returns the
// violation, if any. req.Body is read and restored.
func (s *Spec) CheckRequest(req *http.Request) error {
	route, params, err := s.FindRoute(req)
	if err != nil {
		return err
	}
	body, err := readBody(req.Body)
	if err != nil {
		return fmt.Errorf("read request body: %w", err)
	}
	restore := func() {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	restore()
	defer restore()
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: s.options()}
	return openapi3filter.ValidateRequest(context.Background(), in)
}

// CheckResponse validates resp (the answer to req) against the operation req
// routes to and returns the violation, if any. resp.Body is read and
// restored; req.Body is not read.
func (s *Spec) CheckResponse(req *http.Request, resp *http.Response) error {
	route, params, err := s.FindRoute(req)
	if err != nil {
		return err
	}
	body, err := readBody(resp.Body)
	if err != nil {
		return fmt.Errorf("read response body: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))

	code := strconv.Itoa(resp.StatusCode)
	documented := route.Operation.Responses.Status(resp.StatusCode) != nil ||
		route.Operation.Responses.Default() != nil
	if !documented {
		if ref, ok := s.undoc[resp.StatusCode]; ok {
			if ref == "" {
				return nil
			}
			return s.checkSchema(ref, body)
		}
		if !s.skipStatus {
			var doc []string
			for k := range route.Operation.Responses.Map() {
				doc = append(doc, k)
			}
			sort.Strings(doc)
			return fmt.Errorf("status %s is not documented (documented: %s)", code, strings.Join(doc, ", "))
		}
	}
	opts := s.options()
	if resp.StatusCode == http.StatusNoContent {
		// 204 carries no content, whatever examples the spec attaches to it.
		if len(body) > 0 {
			return fmt.Errorf("status 204 with a %d-byte body", len(body))
		}
		opts.ExcludeResponseBody = true
	} else if rr := route.Operation.Responses.Status(resp.StatusCode); rr != nil && rr.Value != nil && len(body) == 0 && !hasSchema(rr.Value.Content) {
		// Documented without a schema (examples only): an empty body is fine.
		opts.ExcludeResponseBody = true
	}
	r2 := req.Clone(context.Background())
	r2.Body = http.NoBody
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r2, PathParams: params, Route: route, Options: opts},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options:                opts,
	}
	in.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), in)
}

func (s *Spec) lookupSchema(ref string) (*openapi3.SchemaRef, error) {
	name := ref
	for _, p := range []string{"#/components/schemas/", "#/definitions/"} {
		name = strings.TrimPrefix(name, p)
	}
	if s.Doc.Components == nil || s.Doc.Components.Schemas[name] == nil {
		return nil, fmt.Errorf("schema %q not found in %s", ref, s.Name)
	}
	return s.Doc.Components.Schemas[name], nil
}

func (s *Spec) checkSchema(ref string, body []byte) error {
	sch, err := s.lookupSchema(ref)
	if err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("body is not JSON: %w", err)
	}
	return sch.Value.VisitJSON(v, openapi3.MultiErrors(), openapi3.SetSchemaRegexCompiler(lenientRegex))
}

// CheckSchema validates a JSON document against a component schema named by
// its name or $ref ("store_cart_created", "#/components/schemas/errorModel").
func (s *Spec) CheckSchema(schemaRef string, body []byte) error {
	return s.checkSchema(schemaRef, body)
}

const maxShown = 2000

func shorten(b []byte) string {
	if len(b) > maxShown {
		return string(b[:maxShown]) + "…"
	}
	return string(b)
}

// ValidateRequest fails the test when req does not match the spec. req.Body is
// read and restored, so it can still be sent afterwards.
func (s *Spec) ValidateRequest(t testing.TB, req *http.Request) {
	t.Helper()
	if err := s.CheckRequest(req); err != nil {
		var body []byte
		if req.GetBody != nil {
			if rc, e := req.GetBody(); e == nil {
				body, _ = readBody(rc)
			}
		}
		t.Errorf("contract %s: request %s %s violates the spec:\n%v\nbody: %s", s.Name, req.Method, req.URL.Path, err, shorten(body))
	}
}

// ValidateResponse fails the test when resp, the answer to req, does not match
// the spec: the route must exist, the status must be documented (see
// AllowUndocumented) and headers and body must match its schema. resp.Body is
// read and restored.
func (s *Spec) ValidateResponse(t testing.TB, req *http.Request, resp *http.Response) {
	t.Helper()
	if err := s.CheckResponse(req, resp); err != nil {
		body, _ := readBody(resp.Body)
		resp.Body = io.NopCloser(bytes.NewReader(body))
		t.Errorf("contract %s: response %d to %s %s violates the spec:\n%v\nbody: %s", s.Name, resp.StatusCode, req.Method, req.URL.Path, err, shorten(body))
	}
}

// ValidateSchema fails the test when body does not match the named component
// schema, e.g. a webhook callback payload ("store_cart_created") or Brevo's
// "errorModel".
func (s *Spec) ValidateSchema(t testing.TB, schemaRef string, body []byte) {
	t.Helper()
	if err := s.checkSchema(schemaRef, body); err != nil {
		t.Errorf("contract %s: body does not match schema %s:\n%v\nbody: %s", s.Name, schemaRef, err, shorten(body))
	}
}

func hasSchema(c openapi3.Content) bool {
	for _, mt := range c {
		if mt != nil && mt.Schema != nil {
			return true
		}
	}
	return false
}
