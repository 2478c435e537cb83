package syncer

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/messaging"
	"github.com/bcflow/bcflow/store"
)

// provider records what the syncer sends, as Brevo would receive it.
type provider struct {
	mu       sync.Mutex
	imports  []importCall
	orders   [][]messaging.Order
	products [][]messaging.Product
	lists    map[string]int64
	ensured  int
	removed  map[int64][]string
}

type importCall struct {
	emails []string
	lists  []int64
}

func (p *provider) ImportContacts(_ context.Context, cs []messaging.Contact, listIDs []int64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var emails []string
	for _, c := range cs {
		emails = append(emails, c.Email)
	}
	p.imports = append(p.imports, importCall{emails, listIDs})
	return nil
}

func (p *provider) EnsureList(_ context.Context, folder, name string) (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lists == nil {
		p.lists = map[string]int64{}
	}
	if _, ok := p.lists[folder+"/"+name]; !ok {
		p.lists[folder+"/"+name] = int64(len(p.lists) + 1)
	}
	return p.lists[folder+"/"+name], nil
}

func (p *provider) EnsureContactAttributes(_ context.Context, attrs []messaging.ContactAttribute) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ensured++
	return nil
}
func (p *provider) AddToList(context.Context, int64, []string) ([]string, error) { return nil, nil }
func (p *provider) RemoveFromList(_ context.Context, id int64, emails []string) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.removed == nil {
		p.removed = map[int64][]string{}
	}
	p.removed[id] = append(p.removed[id], emails...)
	return nil, nil
}
func (p *provider) UpsertOrders(_ context.Context, os []messaging.Order, _ bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.orders = append(p.orders, os)
	return nil
}
func (p *provider) UpsertProducts(_ context.Context, ps []messaging.Product) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.products = append(p.products, ps)
	return nil
}
func (p *provider) UpsertCategories(context.Context, []messaging.Category) error { return nil }
func (p *provider) SyncBatchLimits() messaging.BatchLimits                       { return messaging.BatchLimits{} }

func newSyncer(t *testing.T, flowsYAML string) (*Syncer, *provider) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "bcflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	flows := config.DefaultFlows()
	if flowsYAML != "" {
		if flows, err = config.ParseFlows("flows.yaml", []byte(flowsYAML)); err != nil {
			t.Fatal(err)
		}
	}
	p := &provider{}
	return &Syncer{Store: st, Provider: p, Flows: flows, Phone: func(_ string, _ int, raw string) string { return raw }}, p
}

// groupsClient is a BigCommerce client of store abc whose customer groups
// are Retail (1), VIP (2) and Trade (3).
func groupsClient(t *testing.T) *bigcommerce.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/stores/abc/v2/customer_groups" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `[{"id":1,"name":"Retail"},{"id":2,"name":"VIP"},{"id":3,"name":"Trade"}]`)
	}))
	t.Cleanup(srv.Close)
	bc, err := bigcommerce.New(bigcommerce.Options{BaseURL: srv.URL, StoreHash: "abc", AccessToken: "x"})
	if err != nil {
		t.Fatal(err)
	}
	return bc
}

func dec(t *testing.T, s string) bigcommerce.Decimal {
	t.Helper()
	d, err := bigcommerce.ParseDecimal(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func order(t *testing.T, id int, email, total string, modified time.Time) bigcommerce.Order {
	code := "SAVE10"
	return bigcommerce.Order{
		ID: id, StatusID: 10, Status: "Completed", TotalIncTax: dec(t, total), CurrencyCode: "USD",
		DateCreated: bigcommerce.Time{Time: modified}, DateModified: bigcommerce.Time{Time: modified},
		BillingAddress: bigcommerce.Address{Email: email},
		LineItems: []bigcommerce.OrderProduct{{ID: id * 10, ProductID: 5, VariantID: 7, SKU: "MUG", Quantity: 2, PriceIncTax: dec(t, "12.50"),
			AppliedDiscounts: []bigcommerce.AppliedDiscount{{Code: &code}}}},
	}
}

func TestOrdersPushOnlyWhatChanged(t *testing.T) {
	s, p := newSyncer(t, "")
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	batch := []bigcommerce.Order{order(t, 1, "Ann@Example.com", "25.00", at), order(t, 2, "bo@example.com", "40.00", at)}
	r, err := s.Orders(ctx, "abc", batch, true)
	if err != nil || r.Items != 2 || r.Pushed != 2 {
		t.Fatalf("first copy: %+v, %v", r, err)
	}
	got := p.orders[0][0]
	if got.ID != "1" || got.Email != "ann@example.com" || got.Amount != "25" && got.Amount != "25.00" || len(got.Products) != 1 ||
		got.Products[0].Price != "12.5" && got.Products[0].Price != "12.50" || !slices.Equal(got.Coupons, []string{"SAVE10"}) {
		t.Errorf("provider order %+v", got)
	}
	// The same page again: mirrored, nothing pushed.
	if r, err = s.Orders(ctx, "abc", batch, true); err != nil || r.Pushed != 0 || len(p.orders) != 1 {
		t.Fatalf("second copy: %+v, %v, %d pushes", r, err, len(p.orders))
	}
	// A refund changes one order: only it goes.
	batch[1].RefundedAmount = dec(t, "40.00")
	batch[1].StatusID, batch[1].Status = 4, "Refunded"
	batch[1].DateModified = bigcommerce.Time{Time: at.Add(time.Hour)}
	if r, err = s.Orders(ctx, "abc", batch, false); err != nil || r.Pushed != 1 || len(p.orders[1]) != 1 || p.orders[1][0].ID != "2" {
		t.Fatalf("after a refund: %+v, %v, %+v", r, err, p.orders)
	}
	st, err := s.Store.ShopperStats(ctx, "abc", "bo@example.com")
	if err != nil || st.OrdersCount != 0 {
		t.Errorf("a refunded order still counts: %+v, %v", st, err)
	}
}

func TestCustomersJoinTheirChannelsLists(t *testing.T) {
	s, p := newSyncer(t, `version: 1
defaults:
  sync: {group_lists: {"3": Trade, VIP: VIPs}}
stores:
  - store_hash: abc
    channels:
      - channel_id: 2
        sync: {customer_list: "EU customers", marketing_list: ""}
`)
	ctx := context.Background()
	cs := []bigcommerce.Customer{
		{ID: 1, Email: "ann@example.com", FirstName: "Ann", CustomerGroupID: 3, AcceptsAbandonedCartEmails: true, OriginChannelID: 1},
		{ID: 2, Email: "bo@example.com", CustomerGroupID: 1, OriginChannelID: 1},
		{ID: 3, Email: "cy@example.com", OriginChannelID: 2},
		{ID: 4, FirstName: "No Email"},
	}
	bc := groupsClient(t)
	r, err := s.Customers(ctx, bc, cs)
	if err != nil || r.Items != 4 || r.Pushed != 3 {
		t.Fatalf("customers: %+v, %v", r, err)
	}
	byLists := map[string][]string{}
	for _, im := range p.imports {
		var names []string
		for _, id := range im.lists {
			for name, lid := range p.lists {
				if lid == id {
					names = append(names, strings.TrimPrefix(name, ListFolder+"/"))
				}
			}
		}
		slices.Sort(names)
		byLists[strings.Join(names, ",")] = append(byLists[strings.Join(names, ",")], im.emails...)
	}
	if !slices.Equal(byLists["BigCommerce accepts marketing,Trade,bigcommerce-customer"], []string{"ann@example.com"}) ||
		!slices.Equal(byLists["bigcommerce-customer"], []string{"bo@example.com"}) ||
		!slices.Equal(byLists["EU customers"], []string{"cy@example.com"}) || len(byLists) != 3 {
		t.Errorf("imports by lists %v", byLists)
	}
	if p.ensured != 1 {
		t.Errorf("contact attributes ensured %d times, want once before the first push", p.ensured)
	}
	if len(p.removed) != 0 {
		t.Errorf("new contacts taken off lists they were never on: %v", p.removed)
	}
	// Ann stops accepting marketing and moves to VIP (a group named in the
	// file): she leaves the marketing and Trade lists and joins VIPs.
	cs[0].AcceptsAbandonedCartEmails, cs[0].CustomerGroupID = false, 2
	if r, err := s.Customers(ctx, bc, cs[:1]); err != nil || r.Pushed != 1 {
		t.Fatalf("after the change: %+v, %v", r, err)
	}
	last := p.imports[len(p.imports)-1]
	if len(last.lists) != 2 || !slices.Contains(last.lists, p.lists[ListFolder+"/VIPs"]) {
		t.Errorf("Ann imported into %v, want the marker and VIPs (%v)", last.lists, p.lists)
	}
	for _, name := range []string{"BigCommerce accepts marketing", "Trade"} {
		if got := p.removed[p.lists[ListFolder+"/"+name]]; !slices.Equal(got, []string{"ann@example.com"}) {
			t.Errorf("taken off %s: %v", name, got)
		}
	}
	mc, err := s.Store.MirrorCounts(ctx, "abc")
	if err != nil || mc.Customers != 4 {
		t.Errorf("mirror %+v, %v", mc, err)
	}
}

func TestSinceFollowsEachResourcesLastCompletedCopy(t *testing.T) {
	s, _ := newSyncer(t, "")
	ctx := context.Background()
	start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	if _, never, err := s.Since(ctx, "abc", "manual", Orders); err != nil || !never {
		t.Fatalf("a resource never copied: never=%v, %v", never, err)
	}
	run := store.SyncRun{StoreHash: "abc", Kind: "historical", WorkflowID: "sync/abc/historical", StartedAt: start,
		Resources: []store.ResourceProgress{{Resource: Customers, Total: -1}, {Resource: Orders, Total: -1}}}
	if _, err := s.Begin(ctx, run); err != nil {
		t.Fatal(err)
	}
	// Customers finished, orders did not (the sync failed on them).
	err := s.Finish(ctx, Finish{StoreHash: "abc", Kind: "historical", Status: store.SyncFailed, Error: "boom", StartedAt: start, At: start.Add(time.Hour),
		Resources: []store.ResourceProgress{{Resource: Customers, Finished: true, Total: 3, Done: 3}, {Resource: Orders, Total: 9, Done: 4}}})
	if err != nil {
		t.Fatal(err)
	}
	since, never, err := s.Since(ctx, "abc", "manual", Customers)
	if err != nil || never || !since.Equal(start.Add(-DefaultOverlap)) {
		t.Errorf("customers since %s (never %v, %v), want the copy's start less the overlap", since, never, err)
	}
	if _, never, _ := s.Since(ctx, "abc", "manual", Orders); !never {
		t.Error("an unfinished copy of orders moved their high-water mark")
	}
	if since, _, _ := s.Since(ctx, "abc", "historical", Customers); !since.IsZero() {
		t.Errorf("a historical sync copies from %s, want everything", since)
	}
	// An older run finishing late does not move the mark back.
	old := start.Add(-24 * time.Hour)
	if err := s.Finish(ctx, Finish{StoreHash: "abc", Kind: "historical", Status: store.SyncCompleted, StartedAt: start, At: start.Add(2 * time.Hour),
		Resources: []store.ResourceProgress{{Resource: Customers, Finished: true}}}); err != nil {
		t.Fatal(err)
	}
	_ = old
	run2 := run
	run2.Kind, run2.StartedAt = "manual", old
	if _, err := s.Begin(ctx, run2); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(ctx, Finish{StoreHash: "abc", Kind: "manual", Status: store.SyncCompleted, StartedAt: old, At: start.Add(3 * time.Hour),
		Resources: []store.ResourceProgress{{Resource: Customers, Finished: true}}}); err != nil {
		t.Fatal(err)
	}
	if since, _, _ := s.Since(ctx, "abc", "manual", Customers); !since.Equal(start.Add(-DefaultOverlap)) {
		t.Errorf("an older run moved the mark back to %s", since)
	}
	// A finish for a run that never began (cancelled at once) leaves the
	// kind's earlier run alone.
	if err := s.Finish(ctx, Finish{StoreHash: "abc", Kind: "manual", Status: store.SyncCancelled, StartedAt: start.Add(5 * time.Hour), At: start.Add(5 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Store.SyncRunOf(ctx, "abc", "manual"); err != nil || r.Status != store.SyncCompleted {
		t.Errorf("the earlier manual run became %+v, %v", r, err)
	}
}

func TestOrderCurrentOnlyWhenMirrorAndProviderHoldThisVersion(t *testing.T) {
	s, _ := newSyncer(t, "")
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	o := order(t, 9, "ann@example.com", "25.00", at)
	if cur, err := s.OrderCurrent(ctx, "abc", o); err != nil || cur {
		t.Fatalf("an order never mirrored is current: %v %v", cur, err)
	}
	if _, err := s.Orders(ctx, "abc", []bigcommerce.Order{o}, false); err != nil {
		t.Fatal(err)
	}
	if cur, err := s.OrderCurrent(ctx, "abc", o); err != nil || !cur {
		t.Fatalf("the order just synced is not current: %v %v", cur, err)
	}
	changed := o
	changed.StatusID, changed.DateModified = 2, bigcommerce.Time{Time: at.Add(time.Minute)}
	if cur, _ := s.OrderCurrent(ctx, "abc", changed); cur {
		t.Error("a shipped order is current")
	}
	// The provider refused the last push: the mirror alone is not enough.
	if err := s.Store.SetPushedHashes(ctx, "abc", pushOrder, map[string]string{"9": "stale"}); err != nil {
		t.Fatal(err)
	}
	if cur, _ := s.OrderCurrent(ctx, "abc", o); cur {
		t.Error("an order the provider lacks is current")
	}
}

func TestLoyaltyImportAwardsPastOrdersOnceAsTheLiveAwardWould(t *testing.T) {
	s, _ := newSyncer(t, `version: 1
defaults:
  customer_groups: [Retail, VIP]
  loyalty:
    points_per_unit: 2
    rounding: floor
    award_status: Completed
    group_multipliers: {VIP: 1.5}
    tiers:
      - {name: Bronze, min_points: 0}
      - {name: Silver, min_points: 300}
`)
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/stores/abc/v2/customer_groups" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `[{"id":1,"name":"Retail"},{"id":2,"name":"VIP"}]`)
	}))
	t.Cleanup(srv.Close)
	bc, err := bigcommerce.New(bigcommerce.Options{BaseURL: srv.URL, StoreHash: "abc", AccessToken: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Customers(ctx, groupsClient(t), []bigcommerce.Customer{{ID: 7, Email: "vip@example.com", CustomerGroupID: 2}}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	completed := order(t, 1, "vip@example.com", "110.00", at)
	completed.CustomerID, completed.SubtotalExTax = 7, dec(t, "100.00")
	pending := order(t, 2, "vip@example.com", "50.00", at)
	pending.CustomerID, pending.StatusID = 7, 1
	guest := order(t, 3, "guest@example.com", "80.00", at)
	if _, err := s.Orders(ctx, "abc", []bigcommerce.Order{completed, pending, guest}, true); err != nil {
		t.Fatal(err)
	}
	total, pages, err := s.Count(ctx, bc, Loyalty, time.Time{})
	if err != nil || total != 2 || pages != 1 {
		t.Fatalf("loyalty count %d in %d pages, %v (want the two registered orders)", total, pages, err)
	}
	r, err := s.CopyPage(ctx, bc, Loyalty, time.Time{}, 1, true)
	if err != nil || r.Items != 2 {
		t.Fatalf("import: %+v, %v (want both registered orders examined)", r, err)
	}
	acct, err := s.Store.GetAccount(ctx, "abc", 7)
	// 100 (subtotal ex tax) × 2 points × 1.5 (VIP) = 300: Silver.
	if err != nil || acct.Balance != 300 || acct.Tier != "Silver" {
		t.Fatalf("account %+v, %v", acct, err)
	}
	if _, err := s.CopyPage(ctx, bc, Loyalty, time.Time{}, 1, true); err != nil {
		t.Fatalf("a second import: %v", err)
	}
	if acct, _ := s.Store.GetAccount(ctx, "abc", 7); acct.Balance != 300 {
		t.Fatalf("a second import changed the balance to %d", acct.Balance)
	}
}
