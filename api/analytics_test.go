package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bcflow/bcflow/analytics"
	"github.com/bcflow/bcflow/store"
)

// The store implements what the dashboard routes read.
var (
	_ analytics.Source = (*store.Store)(nil)
	_ CustomerReader   = (*store.Store)(nil)
	_ MetricsSource    = (*store.Store)(nil)
	_ MessageEvents    = (*store.Store)(nil)
)

// dashNow is the fixtures' today; their period is 2026-11-01..03.
var dashNow = time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)

const dashPeriod = "from=2026-11-01&to=2026-11-03"

func day(d int, hour int) time.Time { return time.Date(2026, 11, d, hour, 0, 0, 0, time.UTC) }

// seedDashboard writes, through the store's own write paths (which keep
// the rollups), a small store abc123: two customers on channels 1 and 2,
// orders in the period and before it, a cart flow with a sent, delivered
// and recovered reminder, a skipped step, a holdout pair of carts, a
// loyalty award; and a store other1 known only by its figures.
func seedDashboard(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.UpsertCustomers(ctx, "abc123", []store.MirrorCustomer{
		{ID: 7, Email: "Ann@Example.com", FirstName: "Ann", ChannelIDs: []int{1}, DateCreated: day(2, 9), DateModified: day(2, 9)},
		{ID: 8, Email: "bob@example.com", ChannelIDs: []int{2}, DateCreated: time.Date(2026, 10, 30, 9, 0, 0, 0, time.UTC), DateModified: day(1, 9)},
	}))
	must(st.UpsertOrders(ctx, "abc123", []store.MirrorOrder{
		{ID: 100, CustomerID: 7, Email: "ann@example.com", ChannelID: 1, StatusID: 10, Status: "Completed", TotalIncTax: 1000000, Currency: "USD", DateCreated: day(1, 10), DateModified: day(1, 10)},
		{ID: 101, Email: "guest@example.com", ChannelID: 2, StatusID: 11, Status: "Awaiting Fulfillment", TotalIncTax: 505000, Currency: "USD", DateCreated: day(3, 10), DateModified: day(3, 10)},
		{ID: 102, Email: "guest@example.com", ChannelID: 2, StatusID: 5, Status: "Cancelled", TotalIncTax: 990000, Currency: "USD", DateCreated: day(2, 10), DateModified: day(2, 10)},
		{ID: 103, CustomerID: 7, Email: "ann@example.com", ChannelID: 1, StatusID: 10, Status: "Completed", TotalIncTax: 200000, Currency: "USD", DateCreated: time.Date(2026, 10, 30, 10, 0, 0, 0, time.UTC), DateModified: day(1, 10)},
	}))
	dec := func(wf, step, decision, reason string, at time.Time, amount store.Money) {
		t.Helper()
		must(st.AppendDecision(ctx, store.Decision{StoreHash: "abc123", CustomerKey: "c:7", Email: "ann@example.com", WorkflowID: wf,
			Flow: "cart-recovery", Step: step, Decision: decision, Reason: reason, At: at, ChannelID: 1, Amount: amount}))
	}
	dec("cart-recovery/abc123/c1", "holdout", "assigned", "messaged", day(1, 11), 0)
	dec("cart-recovery/abc123/c1", "reminder-1", "sent", "", day(1, 12), 0)
	dec("cart-recovery/abc123/c1", "reminder-2", "skipped", "quiet hours", day(2, 2), 0)
	dec("cart-recovery/abc123/c1", "reminder-1", "recovered", "", day(3, 9), 800000)
	dec("cart-recovery/abc123/c2", "holdout", "assigned", "holdout", day(1, 13), 0)
	dec("cart-recovery/abc123/c2", "holdout", "converted", "holdout", day(2, 13), 400000)
	if _, _, err := st.ReserveMessage(ctx, store.Message{IdempotencyKey: "cart-recovery/abc123/c1/reminder-1", StoreHash: "abc123", ChannelID: 1,
		CustomerKey: "7", Email: "ann@example.com", Channel: store.ChannelEmail, Template: "1", Flow: "cart-recovery", Step: "reminder-1", CreatedAt: day(1, 12)}); err != nil {
		t.Fatal(err)
	}
	must(st.MarkMessageSent(ctx, "cart-recovery/abc123/c1/reminder-1", "<m1@relay.example>", day(1, 12)))
	if _, err := st.RecordMessageEvent(ctx, "<m1@relay.example>", store.EventDelivered, day(1, 12)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AppendLedger(ctx, store.LedgerEntry{StoreHash: "abc123", CustomerID: 7, OrderID: 100, Kind: store.LedgerAward, Points: 150, CreatedAt: day(1, 10)}); err != nil {
		t.Fatal(err)
	}
	must(st.AppendDecision(ctx, store.Decision{StoreHash: "other1", CustomerKey: "c:1", WorkflowID: "cart-recovery/other1/x", Flow: "cart-recovery",
		Step: "reminder-1", Decision: "sent", At: day(2, 12)}))
}

type dashFixture struct {
	st *store.Store
	h  http.Handler
}

func newDashFixture(t *testing.T, url string) *dashFixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	seedDashboard(t, st)
	s := New(Options{Logger: slog.New(slog.DiscardHandler)})
	admin := s.Admin([]byte("admin-token"))
	MountTimeline(admin, st, []string{"abc123"})
	MountAnalytics(admin, AnalyticsOptions{Source: st, Stores: []string{"abc123"}, Now: func() time.Time { return dashNow }})
	MountCustomers(admin, CustomersOptions{Store: st, Stores: []string{"abc123"}})
	return &dashFixture{st: st, h: s.Handler()}
}

// get answers GET path with the admin token, checks a 200 against
// openapi.yaml and decodes the body into out (when not nil).
func (f *dashFixture) get(t *testing.T, path string, out any) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer admin-token")
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	checkAgainstOpenAPI(t, http.MethodGet, path, rec)
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatalf("GET %s: %d %s: %v", path, rec.Code, rec.Body, err)
		}
	}
	return rec.Code
}

func TestDashboardFigures(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			url := "sqlite:" + filepath.Join(t.TempDir(), "bcflow.db")
			if backend == "postgres" {
				url = postgresSchemaURL(t)
			}
			f := newDashFixture(t, url)
			testDashboardFigures(t, f)
		})
	}
}

func testDashboardFigures(t *testing.T, f *dashFixture) {
	var ov analytics.Overview
	if code := f.get(t, "/api/v1/stores/abc123/analytics/overview?"+dashPeriod, &ov); code != 200 {
		t.Fatalf("overview: %d", code)
	}
	wantStore := analytics.StoreFigures{CustomersTotal: 2, CustomersNew: analytics.Count{Current: 1, Previous: 1},
		Orders: analytics.Count{Current: 2, Previous: 1}, Revenue: analytics.Amount{Current: "150.50", Previous: "20.00"},
		AverageOrderValue: analytics.Amount{Current: "75.25", Previous: "20.00"},
		ByChannel:         []analytics.ChannelFigures{{ChannelID: 1, CustomersTotal: 1, Orders: 1, Revenue: "100.00"}, {ChannelID: 2, CustomersTotal: 1, Orders: 1, Revenue: "50.50"}}}
	if !reflect.DeepEqual(ov.Store, wantStore) {
		t.Fatalf("store figures %+v\nwant %+v", ov.Store, wantStore)
	}
	if ov.Flows.Entered.Current != 2 || ov.Flows.Sent.Current != 1 || ov.Flows.Converted.Current != 1 || ov.Flows.RecoveredRevenue.Current != "80.00" ||
		ov.Loyalty.Members != 1 || ov.Loyalty.PointsIssued.Current != 150 || len(ov.Series) != 3 || ov.Period != (analytics.Range{From: "2026-11-01", To: "2026-11-03"}) {
		t.Fatalf("overview %+v", ov)
	}
	// Channel 2 alone.
	if f.get(t, "/api/v1/stores/abc123/analytics/overview?"+dashPeriod+"&channel=2", &ov); ov.Store.Revenue.Current != "50.50" || ov.Channel != 2 || ov.Flows.Sent.Current != 0 {
		t.Fatalf("channel 2: %+v", ov)
	}

	var fl analytics.Flows
	f.get(t, "/api/v1/stores/abc123/analytics/flows?"+dashPeriod, &fl)
	if len(fl.Flows) != 1 || fl.Flows[0].Flow != "cart-recovery" || len(fl.Flows[0].Steps) != 2 {
		t.Fatalf("flows %+v", fl)
	}
	r1, r2 := fl.Flows[0].Steps[0], fl.Flows[0].Steps[1]
	if r1.Step != "reminder-1" || r1.Sent.Current != 1 || r1.Delivered.Current != 1 || r1.Converted.Current != 1 || r1.Revenue.Current != "80.00" {
		t.Fatalf("reminder-1 %+v", r1)
	}
	if r2.Step != "reminder-2" || r2.Skipped.Current != 1 || !reflect.DeepEqual(r2.Reasons, []analytics.Reason{{Decision: "skipped", Reason: "quiet hours", Count: 1}}) {
		t.Fatalf("reminder-2 %+v", r2)
	}

	var lo analytics.Loyalty
	f.get(t, "/api/v1/stores/abc123/analytics/loyalty?"+dashPeriod, &lo)
	if lo.Members != 1 || lo.PointsIssued.Current != 150 || lo.OutstandingPoints != 150 || len(lo.MembersByTier) == 0 || len(lo.Series) != 3 {
		t.Fatalf("loyalty %+v", lo)
	}

	var ho analytics.Holdout
	f.get(t, "/api/v1/stores/abc123/analytics/holdout?"+dashPeriod, &ho)
	if ho.Messaged != (analytics.HoldoutGroup{Carts: 1, Revenue: "0.00"}) || ho.Holdout != (analytics.HoldoutGroup{Carts: 1, Converted: 1, Rate: 1, Revenue: "40.00"}) {
		t.Fatalf("holdout %+v", ho)
	}

	var sg analytics.Segments
	f.get(t, "/api/v1/stores/abc123/analytics/segments?"+dashPeriod, &sg)
	if len(sg.Segments) == 0 || sg.Segments[0].Title == "" || len(sg.Segments[0].Series) != 3 {
		t.Fatalf("segments %+v", sg)
	}

	var stores StoresView
	f.get(t, "/api/v1/stores", &stores)
	want := []analytics.StoreView{{StoreHash: "abc123", Channels: []int64{1, 2}}, {StoreHash: "other1", Channels: []int64{}}}
	if !reflect.DeepEqual(stores.Stores, want) {
		t.Fatalf("stores %+v", stores)
	}
	// A store with figures is answered even when not configured.
	if code := f.get(t, "/api/v1/stores/other1/analytics/flows?"+dashPeriod, &fl); code != 200 || fl.Flows[0].Sent.Current != 1 {
		t.Fatalf("other1: %d %+v", code, fl)
	}
}

func TestDashboardCustomerProfile(t *testing.T) {
	f := newDashFixture(t, "sqlite:"+filepath.Join(t.TempDir(), "bcflow.db"))
	var p CustomerProfile
	if code := f.get(t, "/api/v1/stores/abc123/customers/7", &p); code != 200 {
		t.Fatalf("customer 7: %d", code)
	}
	if p.Customer == nil || p.Customer.ID != 7 || p.Customer.FirstName != "Ann" || p.Stats == nil || p.Stats.OrdersCount != 2 ||
		p.Stats.TotalSpent != "120.00" || p.Stats.AverageOrderValue != "60.00" || len(p.Orders) != 2 || p.Orders[0].ID != 100 ||
		p.Orders[0].Total != "100.00" || p.Loyalty == nil || p.Loyalty.Balance != 150 || p.Segments == nil {
		t.Fatalf("customer 7: %+v", p)
	}
	// By email, any case: the same customer.
	var byEmail CustomerProfile
	f.get(t, "/api/v1/stores/abc123/customers/ANN@example.com", &byEmail)
	if byEmail.Customer == nil || byEmail.Customer.ID != 7 {
		t.Fatalf("by email: %+v", byEmail)
	}
	// A guest: figures and orders, no customer, no loyalty.
	var guest CustomerProfile
	f.get(t, "/api/v1/stores/abc123/customers/guest@example.com", &guest)
	if guest.Customer != nil || guest.Loyalty != nil || guest.Stats == nil || guest.Stats.OrdersCount != 1 || len(guest.Orders) != 2 {
		t.Fatalf("guest: %+v", guest)
	}
	// Nobody: nulls, not a 404.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/api/v1/stores/abc123/customers/nobody@example.com", nil)
	req.Header.Set("Authorization", "Bearer admin-token")
	f.h.ServeHTTP(rec, req)
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != `{"customer":null,"stats":null,"orders":[],"loyalty":null,"segments":[]}` {
		t.Fatalf("nobody: %d %s", rec.Code, rec.Body)
	}
	// The timeline route beside it still answers.
	if code := f.get(t, "/api/v1/stores/abc123/customers/7/timeline", nil); code != 200 {
		t.Fatalf("timeline: %d", code)
	}
}

func TestDashboardBadRequests(t *testing.T) {
	f := newDashFixture(t, "sqlite:"+filepath.Join(t.TempDir(), "bcflow.db"))
	for _, c := range []struct {
		path   string
		status int
		code   string
	}{
		{"/api/v1/stores/abc123/analytics/overview?from=2026-11-31", 400, "bad_from"},
		{"/api/v1/stores/abc123/analytics/flows?to=tomorrow", 400, "bad_to"},
		{"/api/v1/stores/abc123/analytics/loyalty?from=2026-11-03&to=2026-11-01", 400, "bad_period"},
		{"/api/v1/stores/abc123/analytics/holdout?from=2019-01-01&to=2026-11-01", 400, "bad_period"},
		{"/api/v1/stores/abc123/analytics/segments?channel=-2", 400, "bad_channel"},
		{"/api/v1/stores/zzz999/analytics/overview", 404, "unknown_store"},
		{"/api/v1/stores/Not%20A%20Store/analytics/overview", 400, "bad_store"},
		{"/api/v1/stores/zzz999/customers/7", 404, "unknown_store"},
		{"/api/v1/stores/abc123/customers/not%20an%20email", 400, "bad_customer"},
	} {
		var out ErrorBody
		if code := f.get(t, c.path, &out); code != c.status || out.Error.Code != c.code {
			t.Errorf("GET %s: %d %+v, want %d %s", c.path, code, out, c.status, c.code)
		}
	}
	req := httptest.NewRequest(http.MethodGet, "/api/v1/stores", nil)
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	if rec.Code != 401 {
		t.Fatalf("without a token: %d", rec.Code)
	}
}

// downSource is a store that does not answer.
type downSource struct{}

var errDown = errors.New("connection refused")

func (downSource) Rollups(context.Context, string, int64, string, string, ...string) ([]analytics.RollupRow, error) {
	return nil, errDown
}
func (downSource) RollupTotals(context.Context, string, int64, string, string, ...string) ([]analytics.RollupRow, error) {
	return nil, errDown
}
func (downSource) RollupChannels(context.Context, string) ([]int64, error)      { return nil, errDown }
func (downSource) AnalyticsStores(context.Context) ([]string, error)            { return nil, errDown }
func (downSource) CustomersTotal(context.Context, string, int64) (int64, error) { return 0, errDown }
func (downSource) LoyaltyTiers(context.Context, string) ([]store.TierCount, error) {
	return nil, errDown
}
func (downSource) SegmentSizes(context.Context, string) (map[string]int, error) { return nil, errDown }

// TestDashboardStoreDown: every figure route answers 503 unavailable when
// the store does not answer, and says so in the documented error shape.
func TestDashboardStoreDown(t *testing.T) {
	s := New(Options{Logger: slog.New(slog.DiscardHandler)})
	admin := s.Admin([]byte("admin-token"))
	MountAnalytics(admin, AnalyticsOptions{Source: downSource{}, Stores: []string{"abc123"}})
	f := &dashFixture{h: s.Handler()}
	for _, p := range []string{"/api/v1/stores", "/api/v1/stores/abc123/analytics/overview", "/api/v1/stores/abc123/analytics/flows",
		"/api/v1/stores/abc123/analytics/loyalty", "/api/v1/stores/abc123/analytics/segments", "/api/v1/stores/abc123/analytics/holdout",
		"/api/v1/stores/zzz999/analytics/holdout"} {
		var out ErrorBody
		if code := f.get(t, p, &out); code != 503 || out.Error.Code != "unavailable" {
			t.Errorf("GET %s: %d %+v", p, code, out)
		}
	}
}
