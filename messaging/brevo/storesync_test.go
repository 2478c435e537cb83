package brevo_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bcflow/bcflow/messaging"
	"github.com/bcflow/bcflow/messaging/brevo"
)

// recorded is a request the stub received.
type recorded struct {
	Method, Path, Query string
	Body                map[string]any
	Size                int
}

// stub is a scripted Brevo behind the validating transport: answer returns
// the status, headers and body of each request.
type stub struct {
	t      *testing.T
	clock  *fakeTime
	logs   *syncBuffer
	client *brevo.Client
	mu     sync.Mutex
	reqs   []recorded
}

type answer struct {
	status int
	body   string
	header map[string]string
}

func newStub(t *testing.T, fn func(r recorded) answer) *stub {
	t.Helper()
	s := &stub{t: t, clock: &fakeTime{now: start}, logs: &syncBuffer{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec := recorded{Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, "/v3"), Query: r.URL.RawQuery, Size: len(b)}
		if len(b) > 0 {
			if err := json.Unmarshal(b, &rec.Body); err != nil {
				t.Errorf("request body is not a JSON object: %v", err)
			}
		}
		s.mu.Lock()
		s.reqs = append(s.reqs, rec)
		s.mu.Unlock()
		a := fn(rec)
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		if a.body != "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(srv.Close)
	c, err := brevo.New(brevo.Options{
		BaseURL: srv.URL + "/v3", APIKey: "xkeysib-test",
		HTTPClient: &http.Client{Transport: &validatingTransport{t: t, spec: brevoSpec(t), next: http.DefaultTransport}, Timeout: 5 * time.Second},
		Logger:     slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:        s.clock.Now, Sleep: s.clock.Sleep, Rand: func() float64 { return 1 },
	})
	if err != nil {
		t.Fatal(err)
	}
	s.client = c
	return s
}

func (s *stub) requests(path string) []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []recorded
	for _, r := range s.reqs {
		if path == "" || r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

func accepted(r recorded) answer {
	switch {
	case r.Path == "/contacts/import":
		return answer{status: 202, body: `{"processId":78}`}
	case r.Path == "/orders/status/batch":
		return answer{status: 202, body: `{"batchId":1}`}
	case r.Path == "/orders/status":
		return answer{status: 204}
	case r.Path == "/products/batch" || r.Path == "/categories/batch":
		return answer{status: 201, body: `{"createdCount":1,"updatedCount":0}`}
	}
	return answer{status: 500, body: `{"code":"internal","message":"unexpected"}`}
}

func TestImportContactsSplitsAndNeverTouchesOptOuts(t *testing.T) {
	s := newStub(t, accepted)
	var contacts []messaging.Contact
	for i := range 12001 {
		contacts = append(contacts, messaging.Contact{Email: fmt.Sprintf("shopper%05d@example.com", i), FirstName: "Jo",
			ExtID: fmt.Sprint(i + 1)})
	}
	// A contact listed twice is imported once, the last version winning.
	contacts = append(contacts, messaging.Contact{Email: "Shopper00000@example.com", FirstName: "Again"})
	// Two VIPs also go to list 9.
	contacts[3].ListIDs = []int64{9, 4}
	contacts[7].ListIDs = []int64{9}
	contacts[7].Phone = "+33612345678"
	contacts[7].Tags = []string{"vip", "gold"}
	if err := s.client.ImportContacts(ctx(t), contacts, []int64{4}); err != nil {
		t.Fatal(err)
	}
	reqs := s.requests("/contacts/import")
	var sizes []int
	for _, r := range reqs {
		sizes = append(sizes, len(r.Body["jsonBody"].([]any)))
		if r.Body["updateExistingContacts"] != true || r.Body["emptyContactsAttributes"] != false || r.Body["disableNotification"] != true {
			t.Errorf("flags %v", r.Body)
		}
		for _, k := range []string{"emailBlacklist", "smsBlacklist", "newList", "fileBody", "fileUrl"} {
			if _, ok := r.Body[k]; ok {
				t.Errorf("import sends %s", k)
			}
		}
	}
	if fmt.Sprint(sizes) != "[5000 5000 1999 2]" {
		t.Errorf("import sizes %v, want [5000 5000 1999 2]", sizes)
	}
	if row := reqs[0].Body["jsonBody"].([]any)[0].(map[string]any); row["attributes"].(map[string]any)["FIRSTNAME"] != "Again" {
		t.Errorf("duplicate contact row %v", row)
	}
	if got := fmt.Sprint(reqs[0].Body["listIds"], reqs[3].Body["listIds"]); got != "[4] [4 9]" {
		t.Errorf("lists %s", got)
	}
	vip := reqs[3].Body["jsonBody"].([]any)[1].(map[string]any)
	attrs := vip["attributes"].(map[string]any)
	if vip["email"] != "shopper00007@example.com" || attrs["SMS"] != "+33612345678" || attrs["FIRSTNAME"] != "Jo" ||
		attrs[brevo.ExtIDAttribute] != "8" || attrs[brevo.DefaultTagsAttribute] != "gold,vip" {
		t.Errorf("vip row %v", vip)
	}
	if logs := s.logs.String(); strings.Contains(logs, "example.com") || strings.Contains(logs, "612345678") {
		t.Errorf("personal data in logs:\n%s", logs)
	}
}

func TestImportContactsSplitsByBytes(t *testing.T) {
	s := newStub(t, accepted)
	big := strings.Repeat("x", 4000)
	var contacts []messaging.Contact
	for i := range 3000 {
		contacts = append(contacts, messaging.Contact{Email: fmt.Sprintf("s%d@example.com", i), Attributes: map[string]any{"NOTES": big}})
	}
	if err := s.client.ImportContacts(ctx(t), contacts, []int64{2}); err != nil {
		t.Fatal(err)
	}
	reqs := s.requests("/contacts/import")
	total := 0
	for _, r := range reqs {
		if r.Size > brevo.MaxContactImportBytes {
			t.Errorf("import of %d bytes", r.Size)
		}
		total += len(r.Body["jsonBody"].([]any))
	}
	if len(reqs) != 2 || total != 3000 {
		t.Errorf("%d imports of %d contacts", len(reqs), total)
	}
}

func TestImportContactsRefusesWithoutSending(t *testing.T) {
	s := newStub(t, accepted)
	for _, tc := range []struct {
		contacts []messaging.Contact
		lists    []int64
	}{
		{[]messaging.Contact{{Email: "a@example.com"}, {ExtID: "7"}}, []int64{1}},
		{[]messaging.Contact{{Email: "a@example.com"}}, nil},
		{[]messaging.Contact{{Email: "a@example.com", Phone: "0612"}}, []int64{1}},
	} {
		err := s.client.ImportContacts(ctx(t), tc.contacts, tc.lists)
		if e := asError(t, err); e.Kind != messaging.KindValidation || e.Retryable() || strings.Contains(e.Error(), "example.com") {
			t.Errorf("err %v", err)
		}
	}
	if n := len(s.requests("")); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func order(i int) messaging.Order {
	return messaging.Order{
		ID: fmt.Sprint(100 + i), Email: "jane@example.com", Status: "completed", Amount: "153.50",
		CreatedAt: time.Date(2024, 5, 1, 10, 0, 0, 0, time.FixedZone("CEST", 2*3600)), UpdatedAt: time.Date(2024, 5, 2, 8, 0, 0, 0, time.UTC),
		StoreID: "1", Coupons: []string{"SPRING5"},
		Products: []messaging.OrderProduct{{ProductID: "111", VariantID: "77", Quantity: 2, Price: "60.00"}},
		Billing:  messaging.OrderBilling{City: "Lyon", CountryCode: "FR", PostCode: "69001", PaymentMethod: "Card"},
	}
}

func TestUpsertOrdersBatchesHistorical(t *testing.T) {
	s := newStub(t, accepted)
	var orders []messaging.Order
	for i := range 2500 {
		orders = append(orders, order(i))
	}
	replaced := order(5)
	replaced.Status = "refunded"
	orders = append(orders, replaced)
	if err := s.client.UpsertOrders(ctx(t), orders, true); err != nil {
		t.Fatal(err)
	}
	reqs := s.requests("/orders/status/batch")
	var sizes []int
	for _, r := range reqs {
		sizes = append(sizes, len(r.Body["orders"].([]any)))
		if r.Body["historical"] != true {
			t.Errorf("historical %v", r.Body["historical"])
		}
	}
	if fmt.Sprint(sizes) != "[1000 1000 500]" {
		t.Errorf("batch sizes %v", sizes)
	}
	first := reqs[0].Body["orders"].([]any)
	o := first[0].(map[string]any)
	if o["id"] != "100" || o["amount"] != 153.5 || o["createdAt"] != "2024-05-01T08:00:00Z" || o["updatedAt"] != "2024-05-02T08:00:00Z" ||
		o["email"] != "jane@example.com" || fmt.Sprint(o["coupons"]) != "[SPRING5]" || o["storeId"] != "1" {
		t.Errorf("order %v", o)
	}
	line := o["products"].([]any)[0].(map[string]any)
	if line["productId"] != "111" || line["variantId"] != "77" || line["quantity"] != 2.0 || line["price"] != 60.0 {
		t.Errorf("line %v", line)
	}
	if b := o["billing"].(map[string]any); b["countryCode"] != "FR" || b["city"] != "Lyon" {
		t.Errorf("billing %v", b)
	}
	if st := first[5].(map[string]any)["status"]; st != "refunded" {
		t.Errorf("a repeated id keeps the last order: %v", st)
	}

	// A webhook's live order goes alone to /orders/status (its own rate
	// limit); many live orders go in a live batch.
	batches := len(s.requests("/orders/status/batch"))
	if err := s.client.UpsertOrders(ctx(t), orders[:1], false); err != nil {
		t.Fatal(err)
	}
	if r := s.requests("/orders/status"); len(r) != 1 || r[0].Body["id"] != orders[0].ID || len(s.requests("/orders/status/batch")) != batches {
		t.Errorf("a live order: single posts %v, batches %d then %d", r, batches, len(s.requests("/orders/status/batch")))
	}
	if err := s.client.UpsertOrders(ctx(t), orders[:brevo.MaxLiveOrders+1], false); err != nil {
		t.Fatal(err)
	}
	if r := s.requests("/orders/status/batch"); r[len(r)-1].Body["historical"] != false {
		t.Error("live orders sent as historical")
	}
}

func TestUpsertOrdersSplitsByBytesAndValidates(t *testing.T) {
	s := newStub(t, accepted)
	var orders []messaging.Order
	for i := range 900 {
		o := order(i)
		for j := range 150 {
			o.Products = append(o.Products, messaging.OrderProduct{ProductID: fmt.Sprint(1000 + j), Quantity: 1, Price: "1.25"})
		}
		orders = append(orders, o)
	}
	if err := s.client.UpsertOrders(ctx(t), orders, true); err != nil {
		t.Fatal(err)
	}
	reqs := s.requests("/orders/status/batch")
	if len(reqs) < 2 {
		t.Errorf("%d batches for ~7 MB of orders", len(reqs))
	}
	for _, r := range reqs {
		if r.Size > brevo.MaxOrderBatchBytes {
			t.Errorf("batch of %d bytes", r.Size)
		}
	}
	before := len(s.requests(""))
	for _, bad := range []func(*messaging.Order){
		func(o *messaging.Order) { o.Amount = "12,50" },
		func(o *messaging.Order) { o.Products[0].Price = "" },
		func(o *messaging.Order) { o.Email = "" },
		func(o *messaging.Order) { o.UpdatedAt = time.Time{} },
	} {
		o := order(1)
		bad(&o)
		err := s.client.UpsertOrders(ctx(t), []messaging.Order{order(0), o}, true)
		if e := asError(t, err); e.Kind != messaging.KindValidation || strings.Contains(e.Error(), "jane") {
			t.Errorf("err %v", err)
		}
	}
	if n := len(s.requests("")) - before; n != 0 {
		t.Errorf("%d requests sent for invalid orders", n)
	}
}

func TestUpsertProductsAndCategoriesBatches(t *testing.T) {
	s := newStub(t, accepted)
	var products []messaging.Product
	for i := range 250 {
		products = append(products, messaging.Product{ID: fmt.Sprint(i + 1), Name: fmt.Sprint("P", i), SKU: fmt.Sprint("SKU", i),
			URL: "https://shop.example.com/p", ImageURL: "https://cdn.example.com/p.jpg", Price: "28.00", Categories: []string{"23"},
			MetaInfo: map[string]string{"brand": "Acme"}})
	}
	products[1].ParentID = "1"
	products[2].Price = ""
	if err := s.client.UpsertProducts(ctx(t), products); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, r := range s.requests("/products/batch") {
		sizes = append(sizes, len(r.Body["products"].([]any)))
		if r.Body["updateEnabled"] != true {
			t.Errorf("updateEnabled %v", r.Body["updateEnabled"])
		}
	}
	if fmt.Sprint(sizes) != "[100 100 50]" {
		t.Errorf("product batches %v", sizes)
	}
	ps := s.requests("/products/batch")[0].Body["products"].([]any)
	if p := ps[1].(map[string]any); p["parentId"] != "1" || p["price"] != 28.0 || fmt.Sprint(p["categories"]) != "[23]" ||
		p["imageUrl"] == nil || p["sku"] != "SKU1" {
		t.Errorf("variant %v", p)
	}
	if _, ok := ps[2].(map[string]any)["price"]; ok {
		t.Error("empty price sent")
	}

	var cats []messaging.Category
	for i := range 101 {
		cats = append(cats, messaging.Category{ID: fmt.Sprint(i + 1), Name: fmt.Sprint("C", i), URL: "https://shop.example.com/c/"})
	}
	cats = append(cats, messaging.Category{ID: "5", Deleted: true})
	if err := s.client.UpsertCategories(ctx(t), cats); err != nil {
		t.Fatal(err)
	}
	creqs := s.requests("/categories/batch")
	if len(creqs) != 2 || len(creqs[0].Body["categories"].([]any)) != 100 || creqs[0].Body["updateEnabled"] != true {
		t.Fatalf("category batches %d", len(creqs))
	}
	if c := creqs[0].Body["categories"].([]any)[4].(map[string]any); c["isDeleted"] != true || c["id"] != "5" {
		t.Errorf("deleted category %v", c)
	}
	if err := s.client.UpsertProducts(ctx(t), []messaging.Product{{ID: "1"}}); asError(t, err).Kind != messaging.KindValidation {
		t.Errorf("nameless product: %v", err)
	}
	if got := s.client.SyncBatchLimits(); got.ProductsPerBatch != 100 || got.OrdersPerBatch != 1000 || got.ListMembersPerCall != 150 || got.CategoriesPerBatch != 100 {
		t.Errorf("limits %+v", got)
	}
}

func TestStoreSyncFailures(t *testing.T) {
	var calls int
	s := newStub(t, func(r recorded) answer {
		calls++
		switch calls {
		case 1:
			return answer{status: 429, body: `{"code":"too_many_requests","message":"slow down"}`, header: map[string]string{"x-sib-ratelimit-reset": "2"}}
		case 2:
			return answer{status: 503, body: `{"code":"unavailable","message":"down"}`}
		case 3:
			return answer{status: 201, body: `{"createdCount":1}`}
		}
		return answer{status: 400, body: `{"code":"invalid_parameter","message":"sku of jane.doe@example.com +33 6 12 34 56 78 is invalid"}`}
	})
	p := []messaging.Product{{ID: "1", Name: "P"}}
	if err := s.client.UpsertProducts(ctx(t), p); err != nil {
		t.Fatalf("429 then 503 then 201: %v", err)
	}
	if sl := s.clock.Sleeps(); len(sl) != 2 || sl[0] != 2*time.Second {
		t.Errorf("sleeps %v", sl)
	}
	err := s.client.UpsertProducts(ctx(t), p)
	e := asError(t, err)
	if e.Kind != messaging.KindValidation || e.Retryable() || e.Status != 400 || strings.Contains(e.Error(), "jane") || strings.Contains(e.Error(), "56 78") {
		t.Errorf("validation error %v", err)
	}
	if !strings.Contains(e.Error(), "[email]") {
		t.Errorf("message %q", e.Message)
	}
}

// Brevo counts its limits per endpoint family: the batch endpoints share
// one budget ("all other endpoints"), everything under /contacts another.
func TestStoreSyncPacesPerEndpointFamily(t *testing.T) {
	s := newStub(t, func(r recorded) answer {
		a := accepted(r)
		a.header = map[string]string{"x-sib-ratelimit-limit": "1", "x-sib-ratelimit-remaining": "0", "x-sib-ratelimit-reset": "3"}
		return a
	})
	var products []messaging.Product
	for i := range 150 {
		products = append(products, messaging.Product{ID: fmt.Sprint(i), Name: "P"})
	}
	if err := s.client.UpsertProducts(ctx(t), products); err != nil {
		t.Fatal(err)
	}
	if sl := s.clock.Sleeps(); len(sl) != 1 || sl[0] != 3*time.Second {
		t.Errorf("sleeps %v, want one wait for the products reset", sl)
	}
	// The categories batch draws from the same budget: it waits too.
	if err := s.client.UpsertCategories(ctx(t), []messaging.Category{{ID: "1", Name: "C"}}); err != nil {
		t.Fatal(err)
	}
	if sl := s.clock.Sleeps(); len(sl) != 2 {
		t.Errorf("sleeps %v: the categories batch did not wait for the shared budget", sl)
	}
	// A contact import has its own family's budget.
	if err := s.client.ImportContacts(ctx(t), []messaging.Contact{{Email: "ann@example.com"}}, []int64{4}); err != nil {
		t.Fatal(err)
	}
	if sl := s.clock.Sleeps(); len(sl) != 2 {
		t.Errorf("sleeps %v: the import waited on the batch endpoints' budget", sl)
	}
}

func TestEnsureListFindsOrCreatesOnce(t *testing.T) {
	var mu sync.Mutex
	created := map[string]int{}
	s := newStub(t, func(r recorded) answer {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Method == "GET" && r.Path == "/contacts/folders":
			if !strings.Contains(r.Query, "offset=0") {
				return answer{status: 200, body: `{"folders":[{"id":77,"name":"bcflow","totalBlacklisted":0,"totalSubscribers":0,"uniqueSubscribers":0}],"count":51}`}
			}
			var fs []string
			for i := range 50 {
				fs = append(fs, fmt.Sprintf(`{"id":%d,"name":"other %d","totalBlacklisted":0,"totalSubscribers":0,"uniqueSubscribers":0}`, i+1, i))
			}
			return answer{status: 200, body: `{"folders":[` + strings.Join(fs, ",") + `],"count":51}`}
		case r.Method == "GET" && r.Path == "/contacts/folders/77/lists":
			return answer{status: 200, body: `{"lists":[{"id":5,"name":"bigcommerce-customer","totalBlacklisted":0,"totalSubscribers":3,"uniqueSubscribers":3}],"count":1}`}
		case r.Method == "POST" && r.Path == "/contacts/lists":
			created[r.Body["name"].(string)]++
			if r.Body["folderId"] != 77.0 {
				t.Errorf("list created in folder %v", r.Body["folderId"])
			}
			return answer{status: 201, body: `{"id":42}`}
		}
		t.Errorf("unexpected %s %s", r.Method, r.Path)
		return answer{status: 404, body: `{"code":"document_not_found","message":"no"}`}
	})
	id, err := s.client.EnsureList(ctx(t), "bcflow", "bigcommerce-customer")
	if err != nil || id != 5 {
		t.Fatalf("existing list %d %v", id, err)
	}
	var wg sync.WaitGroup
	ids := make([]int64, 8)
	for i := range 8 {
		wg.Go(func() {
			var err error
			if ids[i], err = s.client.EnsureList(ctx(t), "bcflow", "Marketing"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if fmt.Sprint(ids) != "[42 42 42 42 42 42 42 42]" || created["Marketing"] != 1 {
		t.Errorf("ids %v, created %v", ids, created)
	}
	n := len(s.requests(""))
	if id, _ := s.client.EnsureList(ctx(t), "bcflow", "bigcommerce-customer"); id != 5 || len(s.requests("")) != n {
		t.Errorf("cached list looked up again")
	}
	// Folders are listed two pages deep, once.
	if got := len(s.requests("/contacts/folders")); got != 2 {
		t.Errorf("%d folder listings", got)
	}
}

func TestEnsureListCreatesFolder(t *testing.T) {
	s := newStub(t, func(r recorded) answer {
		switch {
		case r.Method == "GET" && r.Path == "/contacts/folders":
			return answer{status: 200, body: `{"folders":[],"count":0}`}
		case r.Method == "POST" && r.Path == "/contacts/folders":
			return answer{status: 201, body: `{"id":9}`}
		case r.Method == "GET" && r.Path == "/contacts/folders/9/lists":
			return answer{status: 200, body: `{"lists":[],"count":0}`}
		case r.Method == "POST" && r.Path == "/contacts/lists":
			return answer{status: 201, body: `{"id":10}`}
		}
		return answer{status: 500, body: `{"code":"x","message":"y"}`}
	})
	if id, err := s.client.EnsureList(ctx(t), "bcflow", "VIP"); err != nil || id != 10 {
		t.Errorf("id %d err %v", id, err)
	}
	if r := s.requests("/contacts/folders"); len(r) != 2 || r[1].Body["name"] != "bcflow" {
		t.Errorf("folder requests %+v", r)
	}
}

func TestListMembershipBatchesAndIdempotence(t *testing.T) {
	var mu sync.Mutex
	n := 0
	s := newStub(t, func(r recorded) answer {
		mu.Lock()
		defer mu.Unlock()
		if r.Method == "GET" {
			// Lookups of emails Brevo did not add: m200 and m399 are no
			// contacts, the others are members already.
			if e := strings.TrimPrefix(r.Path, "/contacts/"); e == "m200@example.com" || e == "M399@EXAMPLE.COM" {
				return answer{status: 404, body: `{"code":"document_not_found","message":"Contact does not exist"}`}
			}
			return answer{status: 200, body: `{"email":"x@example.com","id":1,"emailBlacklisted":false,"smsBlacklisted":false,"createdAt":"2024-01-01T00:00:00Z","modifiedAt":"2024-01-01T00:00:00Z","attributes":{},"listIds":[12],"statistics":{}}`}
		}
		n++
		if n == 2 {
			return answer{status: 400, body: `{"code":"invalid_parameter","message":"Contact already in list and/or does not exist"}`}
		}
		emails := r.Body["emails"].([]any)
		failure := []string{}
		if n == 3 {
			// Brevo may answer in its own case.
			emails, failure = emails[:len(emails)-1], []string{"M399@EXAMPLE.COM"}
		}
		b, _ := json.Marshal(map[string]any{"contacts": map[string]any{"success": emails, "failure": failure, "total": len(emails)}})
		return answer{status: 201, body: string(b)}
	})
	var emails []string
	for i := range 400 {
		emails = append(emails, fmt.Sprintf("m%03d@example.com", i))
	}
	emails = append(emails, " m000@example.com ", "M001@example.com")
	failed, err := s.client.AddToList(ctx(t), 12, emails)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(failed, []string{"m200@example.com", "m399@example.com"}) {
		t.Errorf("failed %v", failed)
	}
	reqs := s.requests("/contacts/lists/12/contacts/add")
	var sizes []int
	for _, r := range reqs {
		sizes = append(sizes, len(r.Body["emails"].([]any)))
	}
	if fmt.Sprint(sizes) != "[150 150 100]" {
		t.Errorf("add batches %v", sizes)
	}
	lookups := 0
	for _, r := range s.requests("") {
		if r.Method == "GET" {
			lookups++
		}
	}
	if lookups != 151 {
		t.Errorf("%d lookups, want 151 (the refused batch and one failure)", lookups)
	}
	notMembers, err := s.client.RemoveFromList(ctx(t), 12, emails[:3])
	if err != nil || len(notMembers) != 0 {
		t.Fatalf("remove: %v %v", notMembers, err)
	}
	if r := s.requests("/contacts/lists/12/contacts/remove"); len(r) != 1 || len(r[0].Body["emails"].([]any)) != 3 {
		t.Errorf("remove requests %+v", r)
	}
	if _, err := s.client.AddToList(ctx(t), 0, emails); asError(t, err).Kind != messaging.KindValidation {
		t.Errorf("list 0: %v", err)
	}
	if _, err := s.client.AddToList(ctx(t), 12, []string{"not-an-email"}); asError(t, err).Kind != messaging.KindValidation {
		t.Errorf("bad email: %v", err)
	}
	if strings.Contains(s.logs.String(), "m200@") {
		t.Error("an email reached the logs")
	}
}
