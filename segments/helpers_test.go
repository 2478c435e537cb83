package segments

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq"

	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/emulator/bcemu"
	"github.com/bcflow/bcflow/emulator/brevoemu"
	"github.com/bcflow/bcflow/messaging"
	"github.com/bcflow/bcflow/messaging/brevo"
	"github.com/bcflow/bcflow/store"
)

// The PostgreSQL the tests use: BCFLOW_TEST_POSTGRES_URL, or the local
// trust-auth server of the dev machines and CI; each store gets a
// throwaway schema. Unreachable fails the test unless
// BCFLOW_TEST_SKIP_POSTGRES=1 (as in package store).
const defaultTestPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func testPostgresURL() string {
	if u := os.Getenv("BCFLOW_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return defaultTestPostgresURL
}

var (
	pgAdminOnce sync.Once
	pgAdmin     *sql.DB
	pgAdminErr  error
)

func postgresAdmin(t testing.TB) *sql.DB {
	t.Helper()
	pgAdminOnce.Do(func() {
		db, err := sql.Open("postgres", testPostgresURL())
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err = db.PingContext(ctx)
		}
		pgAdmin, pgAdminErr = db, err
	})
	if pgAdminErr != nil {
		if os.Getenv("BCFLOW_TEST_SKIP_POSTGRES") == "1" {
			t.Skipf("PostgreSQL not reachable (%v); skipped because BCFLOW_TEST_SKIP_POSTGRES=1", pgAdminErr)
		}
		t.Fatalf("PostgreSQL not reachable: %v (start it, point BCFLOW_TEST_POSTGRES_URL at one, or set BCFLOW_TEST_SKIP_POSTGRES=1)", pgAdminErr)
	}
	return pgAdmin
}

// postgresSchemaURL creates a throwaway schema, dropped in t.Cleanup, and
// returns a URL whose search_path is that schema.
func postgresSchemaURL(t testing.TB) string {
	t.Helper()
	admin := postgresAdmin(t)
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	schema := "bcflow_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(testPostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func openStore(t testing.TB, dsn string) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

// forEachStore runs fn against a SQLite and a PostgreSQL store.
func forEachStore(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	t.Run(store.DialectSQLite, func(t *testing.T) {
		fn(t, openStore(t, "sqlite:"+filepath.Join(t.TempDir(), "bcflow.db")))
	})
	t.Run(store.DialectPostgres, func(t *testing.T) { fn(t, openStore(t, postgresSchemaURL(t))) })
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// count returns the number of log lines containing sub.
func (s *syncBuffer) count(sub string) int {
	n := 0
	for _, l := range strings.Split(s.String(), "\n") {
		if strings.Contains(l, sub) {
			n++
		}
	}
	return n
}

// env is an engine over a store, the BigCommerce emulator (its default
// store, bcflowdev) and the Brevo emulator, with a clock the test moves.
type env struct {
	t      *testing.T
	ctx    context.Context
	st     *store.Store
	hash   string
	bcemu  *bcemu.Emulator
	bc     *bigcommerce.Client
	bcURL  string
	brevo  *brevoemu.Emulator
	lists  *brevo.Client
	eng    *Engine
	logs   *syncBuffer
	flows  *config.Flows
	mu     sync.Mutex
	now    time.Time
	nextID int64
}

// bcEmulator serves the BigCommerce emulator, quota requests per window,
// until the test ends, and returns it, its URL and a client on its default
// store: opts with the emulator's address and the store's credentials.
func bcEmulator(tb testing.TB, quota int, opts bigcommerce.Options) (*bcemu.Emulator, string, *bigcommerce.Client) {
	tb.Helper()
	emu, err := bcemu.New(bcemu.Options{RateLimitQuota: quota})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(emu.Close)
	srv := httptest.NewServer(emu.Handler())
	tb.Cleanup(srv.Close)
	seed := bcemu.DefaultStore()
	opts.BaseURL, opts.StoreHash, opts.AccessToken = srv.URL, seed.Hash, seed.AccessToken
	bc, err := bigcommerce.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	return emu, srv.URL, bc
}

// t0 is the tests' starting time.
var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func newEnv(t *testing.T, st *store.Store) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), st: st, now: t0, flows: config.DefaultFlows(), logs: &syncBuffer{}, nextID: 1000}
	e.hash = bcemu.DefaultStore().Hash
	e.bcemu, e.bcURL, e.bc = bcEmulator(t, 1<<20, bigcommerce.Options{MaxRetries: -1})
	e.brevo = brevoemu.New(brevoemu.Options{NoFamilyRateLimits: true})
	bsrv := httptest.NewServer(e.brevo.Handler())
	t.Cleanup(func() { bsrv.Close(); e.brevo.Close() })
	var err error
	if e.lists, err = brevo.New(brevo.Options{BaseURL: bsrv.URL + "/v3", APIKey: brevoemu.DefaultAPIKey}); err != nil {
		t.Fatal(err)
	}
	e.eng = &Engine{
		Store: st,
		Flows: func() *config.Flows {
			e.mu.Lock()
			defer e.mu.Unlock()
			return e.flows
		},
		BigCommerce: func(hash string) (*bigcommerce.Client, error) {
			if hash != e.hash {
				return nil, fmt.Errorf("no store %s", hash)
			}
			return e.bc, nil
		},
		Lists:  e.lists,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now: func() time.Time {
			e.mu.Lock()
			defer e.mu.Unlock()
			return e.now
		},
	}
	return e
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) setFlows(f *config.Flows) {
	e.mu.Lock()
	e.flows = f
	e.mu.Unlock()
}

func (e *env) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

// customer registers a customer in BigCommerce and the mirror, and as a
// Brevo contact; it returns the customer id.
func (e *env) customer(email string, group int) int64 {
	e.t.Helper()
	c, err := e.bcemu.CreateCustomer(e.hash, bcemu.CustomerInput{Email: email, FirstName: "Test", LastName: "Shopper", GroupID: group})
	e.must(err)
	e.must(e.st.UpsertCustomers(e.ctx, e.hash, []store.MirrorCustomer{{ID: int64(c.ID), Email: email, GroupID: int64(group),
		ChannelIDs: []int{1}, DateCreated: e.clock(), DateModified: e.clock()}}))
	e.contact(email)
	return int64(c.ID)
}

// contact makes email a Brevo contact.
func (e *env) contact(email string) {
	e.t.Helper()
	e.must(e.lists.UpsertContact(e.ctx, messaging.Contact{Email: email}))
}

// order mirrors an order of total (store currency) placed at placed; it
// returns the order for later changes.
func (e *env) order(customerID int64, email string, total float64, placed time.Time) store.MirrorOrder {
	e.t.Helper()
	e.nextID++
	o := store.MirrorOrder{ID: e.nextID, CustomerID: customerID, Email: email, ChannelID: 1, StatusID: 10, Status: "Completed",
		TotalIncTax: store.Money(total * 10000), TotalExTax: store.Money(total * 10000), Currency: "USD",
		DateCreated: placed, DateModified: placed}
	e.must(e.st.UpsertOrders(e.ctx, e.hash, []store.MirrorOrder{o}))
	return o
}

// refund mirrors o refunded in full.
func (e *env) refund(o store.MirrorOrder) {
	e.t.Helper()
	o.StatusID, o.Status, o.RefundedAmount = 4, "Refunded", o.TotalIncTax
	o.DateModified = o.DateModified.Add(time.Hour)
	e.must(e.st.UpsertOrders(e.ctx, e.hash, []store.MirrorOrder{o}))
}

// evaluate runs the incremental evaluation for emails.
func (e *env) evaluate(emails ...string) []store.SegmentChange {
	e.t.Helper()
	ch, err := e.eng.EvaluateShoppers(e.ctx, e.hash, emails...)
	e.must(err)
	return ch
}

func (e *env) push() PushResult {
	e.t.Helper()
	r, err := e.eng.Push(e.ctx, e.hash, 0)
	e.must(err)
	return r
}

// member reports whether email is a current member of segment in the store.
func (e *env) member(segment, email string) bool {
	e.t.Helper()
	_, ok, err := e.st.CurrentSegmentMember(e.ctx, e.hash, segment, email)
	e.must(err)
	return ok
}

// bcMembers returns the customer ids in the BigCommerce segment titled
// title (nil when there is no such segment).
func (e *env) bcMembers(title string) []int {
	e.t.Helper()
	var out []int
	for g, err := range e.bc.Segments(e.ctx) {
		e.must(err)
		if g.Name != title {
			continue
		}
		out = []int{}
		for p, err := range e.bc.SegmentProfiles(e.ctx, g.ID) {
			e.must(err)
			out = append(out, p.CustomerID)
		}
	}
	slices.Sort(out)
	return out
}

// brevoMembers returns the emails in the Brevo list named name in folder
// bcflow (nil when there is none).
func (e *env) brevoMembers(name string) []string {
	e.t.Helper()
	var out []string
	for _, l := range e.brevo.Lists() {
		if l.Name != name {
			continue
		}
		out = []string{}
		for _, c := range e.brevo.ListMembers(l.ID) {
			out = append(out, strings.ToLower(c.Email))
		}
	}
	slices.Sort(out)
	return out
}

// pending returns the pending pushes of the store to BigCommerce and
// Brevo, per segment and target.
func (e *env) pending() map[string]map[store.PushTarget]int {
	e.t.Helper()
	p, err := e.st.PendingSegmentPushCounts(e.ctx, e.hash)
	e.must(err)
	for seg, m := range p {
		for tg, n := range m {
			if n == 0 || tg == store.PushFlows {
				delete(m, tg)
			}
		}
		if len(m) == 0 {
			delete(p, seg)
		}
	}
	return p
}

// bcRequests returns the number of requests the emulated store answered.
func (e *env) bcRequests() int {
	e.t.Helper()
	rs, err := e.bcemu.RequestStats(e.hash)
	e.must(err)
	return rs.Requests
}

// cancelAfter is a transport that cancels a context once a request
// matching match has been answered (the server did it; the caller does not
// learn it): a crash between a push and its record.
type cancelAfter struct {
	next   http.RoundTripper
	match  func(*http.Request) bool
	cancel context.CancelFunc
}

func (c *cancelAfter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(r)
	if err == nil && c.match(r) {
		c.cancel()
	}
	return resp, err
}
