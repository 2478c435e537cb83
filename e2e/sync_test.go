package e2e

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bcflow/bcflow/activities"
	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/emulator/bcemu"
	"github.com/bcflow/bcflow/emulator/brevoemu"
	"github.com/bcflow/bcflow/starter"
	"github.com/bcflow/bcflow/store"
	"github.com/bcflow/bcflow/workflows"
)

// The store sync (issue 12): a historical sync copies a whole store into
// the mirror and Brevo without starting a single automation; a second
// historical sync and a manual sync send nothing new; live webhooks keep
// the mirror and Brevo current.

// syncStore is the size of the store the sync tests generate.
var syncStore = bcemu.BulkOptions{Customers: 320, Orders: 1300, Products: 60, Categories: 8, Seed: 12}

// runSync starts a sync of kind and waits for its result.
func (s *stack) runSync(t *testing.T, kind string) workflows.StoreSyncResult {
	t.Helper()
	ctx := context.Background()
	runID, err := starter.StartSync(ctx, s.c, workflows.StoreSyncInput{StoreHash: s.hash, Kind: kind}, taskQueue)
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	var res workflows.StoreSyncResult
	if err := s.c.GetWorkflow(wctx, workflows.StoreSyncID(s.hash, kind), runID).Get(wctx, &res); err != nil {
		t.Fatalf("%s sync: %v", kind, err)
	}
	if res.Status != workflows.SyncStatusCompleted {
		t.Fatalf("%s sync ended %q", kind, res.Status)
	}
	return res
}

// storeCounts are what BigCommerce holds, read through bcflow's client.
func (s *stack) storeCounts(t testing.TB) (customers, orders, products, categories int) {
	t.Helper()
	ctx := context.Background()
	bc := s.acts.BigCommerce[s.hash]
	cs, err := bc.GetCustomers(ctx, bigcommerce.CustomerFilter{PageOptions: bigcommerce.PageOptions{Limit: 1}})
	if err != nil {
		t.Fatal(err)
	}
	os, err := bc.CountOrders(ctx, bigcommerce.OrderFilter{})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := bc.GetProducts(ctx, bigcommerce.ProductFilter{PageOptions: bigcommerce.PageOptions{Limit: 1}})
	if err != nil {
		t.Fatal(err)
	}
	cats, err := bc.GetCategories(ctx, bigcommerce.CategoryFilter{PageOptions: bigcommerce.PageOptions{Limit: 1}})
	if err != nil {
		t.Fatal(err)
	}
	return cs.Pagination.Total, os.Total, ps.Pagination.Total, cats.Pagination.Total
}

func TestHistoricalSyncCopiesTheStoreAndStartsNoAutomation(t *testing.T) {
	s := newStack(t, stackOptions{})
	ctx := context.Background()
	// BigCommerce still holds abandoned carts; none reaches bcflow as a
	// webhook here (the hooks are gone), and the sync must not chase them.
	bc := s.acts.BigCommerce[s.hash]
	hooks, err := bigcommerce.Collect(bc.Hooks(ctx, bigcommerce.HookFilter{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hooks {
		if err := bc.DeleteHook(ctx, h.ID); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		s.abandonCart(t, fmt.Sprintf("left-%d@example.com", i))
	}
	if _, err := s.bc.BulkGenerate(s.hash, syncStore); err != nil {
		t.Fatal(err)
	}
	customers, orders, products, categories := s.storeCounts(t)
	// One shopper unsubscribed in Brevo before the sync: it must not
	// re-subscribe them.
	first, err := bc.GetCustomers(ctx, bigcommerce.CustomerFilter{Sort: "date_created:desc", PageOptions: bigcommerce.PageOptions{Limit: 1}})
	if err != nil || len(first.Items) == 0 {
		t.Fatalf("a customer: %v", err)
	}
	unsubscribed := strings.ToLower(first.Items[0].Email)
	s.createBrevoContact(t, unsubscribed, "emailBlacklisted")
	if err := s.bc.ResetRequestStats(s.hash); err != nil {
		t.Fatal(err)
	}

	res := s.runSync(t, workflows.SyncHistorical)

	// The mirror holds the store.
	mc, err := s.store.MirrorCounts(ctx, s.hash)
	if err != nil {
		t.Fatal(err)
	}
	if int(mc.Customers) != customers || int(mc.Orders) != orders || int(mc.Products) != products || int(mc.Categories) != categories {
		t.Fatalf("mirror %+v, store has %d customers, %d orders, %d products, %d categories", mc, customers, orders, products, categories)
	}
	for _, p := range res.Resources {
		if !p.Finished || p.Done != p.Total {
			t.Errorf("resource figures %+v", p)
		}
	}
	// The Temporal UI shows the progress: the query and the memo.
	q, err := s.c.QueryWorkflow(ctx, workflows.StoreSyncID(s.hash, workflows.SyncHistorical), "", workflows.QuerySyncProgress)
	if err != nil {
		t.Fatal(err)
	}
	var progress activities.SyncProgress
	if err := q.Get(&progress); err != nil || len(progress.Resources) != 4 || progress.Resources[3].Done != int64(orders) {
		t.Errorf("sync-progress query: %+v, %v", progress, err)
	}
	d, err := s.c.DescribeWorkflowExecution(ctx, workflows.StoreSyncID(s.hash, workflows.SyncHistorical), "")
	if err != nil {
		t.Fatal(err)
	}
	if memo := string(d.WorkflowExecutionInfo.GetMemo().GetFields()["sync_progress"].GetData()); !strings.Contains(memo, fmt.Sprintf("orders %d/%d", orders, orders)) {
		t.Errorf("memo sync_progress = %s", memo)
	}
	// One list request per page: orders with their line items, never a
	// call per order.
	stats, err := s.bc.RequestStats(s.hash)
	if err != nil {
		t.Fatal(err)
	}
	pages := func(n int) int { return max((n+249)/250, 1) }
	if got, want := stats.Paths["GET /v2/orders"].Requests, pages(orders); got > want+1 {
		t.Errorf("%d order list requests for %d orders (%d pages)", got, orders, want)
	}
	if n := stats.Paths["GET /v2/orders/{id}/products"].Requests; n != 0 {
		t.Errorf("%d per-order product requests", n)
	}
	if stats.Throttled != 0 {
		t.Errorf("%d requests throttled by BigCommerce", stats.Throttled)
	}

	// Brevo holds every order as history, every product and category, and
	// a contact for every customer, on the marker list.
	bv := s.brevo.Counts()
	if bv.Orders != orders || bv.HistoricalOrders != orders || bv.LiveOrders != 0 {
		t.Errorf("Brevo orders %d (historical %d, live %d), want %d historical", bv.Orders, bv.HistoricalOrders, bv.LiveOrders, orders)
	}
	if bv.Products != products || bv.Categories != categories || bv.Contacts < customers {
		t.Errorf("Brevo %d products, %d categories, %d contacts; store %d, %d, %d", bv.Products, bv.Categories, bv.Contacts, products, categories, customers)
	}
	if bv.Limited != 0 {
		t.Errorf("%d requests refused by Brevo's rate limits", bv.Limited)
	}
	// Orders go 1 000 to a batch (Brevo's batch endpoints allow 100 requests an hour).
	if n, want := s.brevo.RequestCounts()["POST /v3/orders/status/batch"].Requests, int64((orders+999)/1000); n != want {
		t.Errorf("%d order batches for %d orders, want %d", n, orders, want)
	}
	marker, marketing := -1, -1
	for _, l := range s.brevo.Lists() {
		switch l.Name {
		case "bigcommerce-customer":
			marker = len(s.brevo.ListMembers(l.ID))
		case "BigCommerce accepts marketing":
			marketing = len(s.brevo.ListMembers(l.ID))
		}
	}
	if marker != customers || marketing <= 0 || marketing >= customers {
		t.Errorf("list members: marker %d (want %d customers), marketing %d", marker, customers, marketing)
	}
	s.sampleOrders(t, orders)
	attrs := map[string]bool{}
	for _, a := range s.brevo.Attributes() {
		attrs[a.Name] = true
	}
	if !attrs["BC_CUSTOMER_ID"] || !attrs["BC_ACCEPTS_MARKETING"] || !attrs["LOYALTY_TIER"] {
		t.Errorf("Brevo contact attributes after a sync: %v", attrs)
	}
	if c, ok := s.brevo.Contact(unsubscribed); !ok || !c.EmailBlacklisted || c.Attributes["FIRSTNAME"] == nil {
		t.Errorf("the unsubscribed shopper after the sync: %+v (want synced and still blacklisted)", c)
	}

	// Nothing started: no message, no event, no flow but the sync itself.
	if m := s.brevo.Messages(brevoemu.Filter{}); len(m) != 0 {
		t.Errorf("%d messages sent by a historical sync", len(m))
	}
	if ev := s.brevo.Events(brevoemu.Filter{}); len(ev) != 0 {
		t.Errorf("%d provider events tracked by a historical sync", len(ev))
	}
	// The segments' own machinery runs (a recompute of the imported
	// shoppers, their push to BigCommerce and Brevo lists); no flow does.
	s.segmentsSettled(t)
	resp, err := s.c.ListWorkflow(ctx, listRequest(fmt.Sprintf(`WorkflowType != "StoreSync" AND WorkflowType != %q AND WorkflowType != %q`,
		workflows.SegmentSyncWorkflowName, workflows.SegmentRecomputeWorkflowName)))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Executions) != 0 {
		t.Errorf("%d workflows besides the sync, the first %s", len(resp.Executions), resp.Executions[0].Execution.WorkflowId)
	}

	// Again, and since the last sync: nothing new reaches Brevo.
	posts, requests := bv.OrderPosts, s.brevo.Counts().Requests
	again := s.runSync(t, workflows.SyncHistorical)
	manual := s.runSync(t, workflows.SyncManual)
	for _, p := range append(again.Resources, manual.Resources...) {
		if p.Pushed != 0 {
			t.Errorf("a re-sync pushed %d %s", p.Pushed, p.Resource)
		}
	}
	after := s.brevo.Counts()
	if after.OrderPosts != posts || after.Requests != requests {
		t.Errorf("a re-sync sent to Brevo: order posts %d → %d, requests %d → %d", posts, after.OrderPosts, requests, after.Requests)
	}
	// The manual sync read only what changed since the last sync's start
	// (less its overlap), not the store again.
	for i, p := range manual.Resources {
		if p.Resource != workflows.ResourceCategories && (p.Since.IsZero() || p.Total >= res.Resources[i].Total) {
			t.Errorf("manual sync of %s since %s read %d of %d", p.Resource, p.Since, p.Total, res.Resources[i].Total)
		}
	}
}

// sampleOrders checks one order in fifty field by field: BigCommerce, the
// mirror and Brevo agree.
func (s *stack) sampleOrders(t testing.TB, orders int) {
	t.Helper()
	ctx := context.Background()
	bc := s.acts.BigCommerce[s.hash]
	list, err := bc.ListOrders(ctx, bigcommerce.OrderFilter{IncludeLineItems: true, PageOptions: bigcommerce.PageOptions{Limit: 250}})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for i := 0; i < len(list); i += 50 {
		o := list[i]
		m, err := s.store.MirrorOrderByID(ctx, s.hash, int64(o.ID))
		if err != nil {
			t.Fatalf("order %d not mirrored: %v", o.ID, err)
		}
		total, _ := store.ParseMoney(o.TotalIncTax.String())
		if m.StatusID != o.StatusID || m.TotalIncTax != total || len(m.Lines) != len(o.LineItems) {
			t.Errorf("order %d mirrored as %+v", o.ID, m)
		}
		b, ok := s.brevo.Order(strconv.Itoa(o.ID))
		if !ok {
			t.Fatalf("order %d not in Brevo", o.ID)
		}
		if !strings.EqualFold(b.Email, m.Email) || len(b.Products) != len(o.LineItems) || b.Amount != total.Float64() {
			t.Errorf("order %d in Brevo %+v, mirror %+v", o.ID, b, m)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no order sampled")
	}
}

func TestLiveSyncKeepsMirrorAndBrevoCurrent(t *testing.T) {
	s := newStack(t, stackOptions{})
	ctx := context.Background()
	// A customer signs up: mirrored and in Brevo with the marker list.
	cust, err := s.bc.CreateCustomer(s.hash, bcemu.CustomerInput{Email: "Live.Shopper@Example.com", FirstName: "Liv", Phone: "(512) 555-0199"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the customer mirrored and in Brevo", func() (bool, string) {
		m, err := s.store.MirrorCustomerByID(ctx, s.hash, int64(cust.ID))
		c, ok := s.brevo.Contact("live.shopper@example.com")
		return err == nil && ok && m.FirstName == "Liv" && c.Attributes["SMS"] == "+15125550199", fmt.Sprintf("mirror %+v %v; brevo %+v", m, err, c)
	})
	// They order: the order, its lines and their figures are mirrored, and
	// Brevo has it as a live order.
	o := s.placeOrder(t, bcemu.CartInput{CustomerID: cust.ID, Items: []bcemu.ItemInput{{SKU: "TEE-M", Quantity: 2}}}, bcemu.CheckoutInput{StatusID: orderStatus(11)})
	eventually(t, "the order mirrored with the shopper's figures", func() (bool, string) {
		st, err := s.store.ShopperStats(ctx, s.hash, "live.shopper@example.com")
		b, ok := s.brevo.Order(strconv.Itoa(o.ID))
		return err == nil && st.OrdersCount == 1 && st.TotalSpent > 0 && ok && !b.Historical, fmt.Sprintf("stats %+v %v; brevo %+v %v", st, err, b, ok)
	})
	// The cart it came from was mirrored when its recovery flow loaded it.
	eventually(t, "the cart mirrored", func() (bool, string) {
		c, err := s.store.MirrorCartByID(ctx, s.hash, o.CartID)
		return err == nil && c.CustomerID == int64(cust.ID) && c.ItemCount == 2, fmt.Sprintf("%+v %v", c, err)
	})
	// The merchant renames a product: the catalog follows.
	p, err := s.bc.CreateProduct(s.hash, bcemu.ProductSeed{Name: "Rain Jacket", SKU: "JACKET", Price: 80})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.bc.UpdateProduct(s.hash, p.ID, bcemu.ProductUpdate{Name: ptr("Storm Jacket")}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the renamed product mirrored and in Brevo", func() (bool, string) {
		m, err := s.store.MirrorProductByID(ctx, s.hash, int64(p.ID))
		b, ok := s.brevo.Product(strconv.Itoa(p.ID))
		return err == nil && m.Name == "Storm Jacket" && ok && b.Name == "Storm Jacket", fmt.Sprintf("mirror %+v %v; brevo %+v", m, err, b)
	})
	if err := s.bc.DeleteProduct(s.hash, p.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the deleted product gone from the mirror", func() (bool, string) {
		_, err := s.store.MirrorProductByID(ctx, s.hash, int64(p.ID))
		return err != nil, fmt.Sprint(err)
	})
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// A worker killed in the middle of a historical sync loses nothing and
// sends nothing twice: the sync resumes on the restarted worker from the
// pages its chunks had reached, and pages copied again push nothing.
func TestSyncResumesAfterTheWorkerIsKilled(t *testing.T) {
	const concurrency = 2
	s, w := newWorkerProcessStack(t, stackOptions{}, fmt.Sprintf("BCFLOW_BC_SYNC_CONCURRENCY=%d", concurrency))
	ctx := context.Background()
	if _, err := s.bc.BulkGenerate(s.hash, bcemu.BulkOptions{Customers: 150, Orders: 5000, Products: 20, Categories: 4, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	customers, orders, products, categories := s.storeCounts(t)
	// Ten requests a second: the orders (20 list requests) take a few
	// seconds, long enough to kill the worker in the middle of them.
	if _, err := s.bc.SetRateLimit(s.hash, 10, time.Second); err != nil {
		t.Fatal(err)
	}
	runID, err := starter.StartSync(ctx, s.c, workflows.StoreSyncInput{StoreHash: s.hash, Kind: workflows.SyncHistorical}, taskQueue)
	if err != nil {
		t.Fatal(err)
	}
	eventuallyWithin(t, time.Minute, "the orders half copied", func() (bool, string) {
		run, err := s.store.SyncRunOf(ctx, s.hash, workflows.SyncHistorical)
		if err != nil {
			return false, err.Error()
		}
		for _, p := range run.Resources {
			if p.Resource == workflows.ResourceOrders {
				return p.PagesDone >= 2, fmt.Sprintf("%+v", p) // of 5 pages of 1 000
			}
		}
		return false, fmt.Sprintf("%+v", run)
	})
	w.kill(t)
	w.start(t)
	wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	var res workflows.StoreSyncResult
	if err := s.c.GetWorkflow(wctx, workflows.StoreSyncID(s.hash, workflows.SyncHistorical), runID).Get(wctx, &res); err != nil {
		t.Fatal(err)
	}
	mc, err := s.store.MirrorCounts(ctx, s.hash)
	if err != nil {
		t.Fatal(err)
	}
	if int(mc.Customers) != customers || int(mc.Orders) != orders || int(mc.Products) != products || int(mc.Categories) != categories {
		t.Fatalf("mirror %+v, store has %d customers, %d orders, %d products, %d categories", mc, customers, orders, products, categories)
	}
	bv := s.brevo.Counts()
	if bv.Orders != orders || bv.HistoricalOrders != orders {
		t.Fatalf("Brevo has %d orders (%d historical), want %d", bv.Orders, bv.HistoricalOrders, orders)
	}
	// Only the pages in flight when the worker died can reach Brevo twice.
	if extra := bv.OrderPosts - orders; extra > concurrency*1000 {
		t.Errorf("%d order posts for %d orders: %d sent again", bv.OrderPosts, orders, extra)
	}
	for _, p := range res.Resources {
		if !p.Finished || p.Done < p.Total {
			t.Errorf("resource %+v", p)
		}
	}
}
