package bigcommerce

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// checkQuery fails unless q holds exactly want.
func checkQuery(t *testing.T, q url.Values, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got := q.Get(k); got != v {
			t.Errorf("query %s = %q, want %q", k, got, v)
		}
	}
	for k := range q {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected query parameter %s=%q", k, q.Get(k))
		}
	}
}

const ordersWithLines = `[
 {"id":101,"customer_id":7,"date_created":"Wed, 10 Jan 2018 21:05:30 +0000","date_modified":"Wed, 05 Dec 2018 20:16:55 +0000",
  "status_id":11,"status":"Awaiting Fulfillment","total_inc_tax":"120.0000","total_ex_tax":"100.0000","refunded_amount":"0.0000",
  "currency_code":"EUR","channel_id":1,
  "billing_address":{"first_name":"Jane","last_name":"Doe","city":"Lyon","country":"France","country_iso2":"FR","zip":"69001","email":"jane@example.com"},
  "coupons":{"url":"https://api.bigcommerce.com/stores/abc/v2/orders/101/coupons","resource":"/orders/101/coupons"},
  "products":{"url":"https://api.bigcommerce.com/stores/abc/v2/orders/101/products","resource":"/orders/101/products"},
  "consignments":{"pickups":[],"downloads":[],"email":{"gift_certificates":[]},
   "shipping":[{"id":1,"first_name":"Jane","city":"Lyon","line_items":[
     {"id":11,"order_id":101,"product_id":111,"variant_id":77,"name":"Orbit","sku":"OTL","quantity":2,
      "price_inc_tax":"60.0000","price_ex_tax":"50.0000","total_inc_tax":"120.0000",
      "applied_discounts":[{"id":"total-coupon","amount":"5.0000","name":"5 off","code":"spring5","target":"order"},
                           {"id":"3","amount":"1.0000","name":"Manual Discount","code":null,"target":"order"}]},
     {"id":12,"order_id":101,"product_id":112,"variant_id":78,"name":"Mug","sku":"MUG","quantity":1,
      "price_inc_tax":"0.0000","price_ex_tax":"0.0000","applied_discounts":[{"id":"total-coupon","amount":"0.5000","name":"5 off","code":"SPRING5","target":"order"}]}]}]}},
 {"id":102,"customer_id":0,"date_created":"Thu, 11 Jan 2018 10:00:00 +0000","date_modified":"Thu, 11 Jan 2018 10:00:00 +0000",
  "status_id":10,"status":"Completed","total_inc_tax":"9.0000","currency_code":"EUR",
  "billing_address":{"first_name":"Guest","email":"guest@example.com","country_iso2":"DE","zip":"10115"},
  "consignments":{"pickups":[],"shipping":[],"email":{"gift_certificates":[]},
   "downloads":[{"recipient_email":"guest@example.com","line_items":[
     {"id":21,"order_id":102,"product_id":120,"variant_id":90,"name":"E-book","sku":"EBOOK","quantity":1,"price_inc_tax":"9.0000"}]}]}}
]`

func TestListOrdersWithLineItems(t *testing.T) {
	since := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	var calls atomic.Int32
	env := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		q := r.URL.Query()
		if strings.HasSuffix(r.URL.Path, "/orders/count") {
			checkQuery(t, q, map[string]string{"min_date_modified": "2025-01-02T03:04:05Z", "max_id": "500", "min_id": "100"})
			writeJSON(w, 200, `{"count":2,"statuses":[{"id":10,"name":"Completed","count":1},{"id":11,"name":"Awaiting Fulfillment","count":1}]}`)
			return
		}
		checkQuery(t, q, map[string]string{"include": "consignments.line_items", "consignment_structure": "object",
			"sort": "id", "page": "3", "limit": "250", "min_date_modified": "2025-01-02T03:04:05Z", "max_id": "500", "min_id": "100"})
		if !strings.Contains(r.URL.RawQuery, "include=consignments.line_items") {
			t.Errorf("raw query %s", r.URL.RawQuery)
		}
		writeJSON(w, 200, ordersWithLines)
	}), true, nil)
	f := OrderFilter{MinDateModified: since, MinID: 100, MaxID: 500, Sort: "id", IncludeLineItems: true,
		PageOptions: PageOptions{Page: 3, Limit: 1000}}
	orders, err := env.c.ListOrders(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if len(orders) != 2 {
		t.Fatalf("%d orders", len(orders))
	}
	o := orders[0]
	if o.ID != 101 || len(o.LineItems) != 2 || o.BillingAddress.CountryISO2 != "FR" || o.TotalIncTax.String() != "120" {
		t.Errorf("order 101 %+v", o)
	}
	li := o.LineItems[0]
	if li.ProductID != 111 || li.VariantID != 77 || li.SKU != "OTL" || li.Quantity != 2 || li.PriceIncTax.String() != "60" ||
		li.PriceExTax.String() != "50" || len(li.AppliedDiscounts) != 2 || li.AppliedDiscounts[1].Code != nil {
		t.Errorf("line %+v", li)
	}
	if codes := o.CouponCodes(); len(codes) != 1 || codes[0] != "SPRING5" {
		t.Errorf("coupon codes %v", codes)
	}
	if g := orders[1]; len(g.LineItems) != 1 || g.LineItems[0].SKU != "EBOOK" || g.CustomerID != 0 || g.CouponCodes() != nil {
		t.Errorf("guest order %+v", g)
	}
	n, err := env.c.CountOrders(context.Background(), f)
	if err != nil || n.Total != 2 {
		t.Errorf("count %+v %v", n, err)
	}
	if env.c.Requests() != 2 || calls.Load() != 2 {
		t.Errorf("%d requests", env.c.Requests())
	}
}

func TestListOrdersWithoutLineItemsHasNone(t *testing.T) {
	env := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("include") {
			t.Errorf("include sent: %s", r.URL.RawQuery)
		}
		writeJSON(w, 200, `[{"id":5,"status_id":1,"coupons":{"url":"u","resource":"/orders/5/coupons"}}]`)
	}), true, nil)
	orders, err := env.c.ListOrders(context.Background(), OrderFilter{})
	if err != nil || len(orders) != 1 || orders[0].LineItems != nil {
		t.Errorf("orders %+v %v", orders, err)
	}
}

func TestListOrdersWithLineItemsEmptyAndMalformed(t *testing.T) {
	var n atomic.Int32
	env := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeJSON(w, 200, `[{"id":5,"consignments":{"shipping":[{"line_items":{"oops":1}}]}}]`)
	}), false, func(o *Options) { o.MaxRetries = -1 })
	got, err := env.c.ListOrders(context.Background(), OrderFilter{IncludeLineItems: true})
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("empty page %#v %v", got, err)
	}
	// A line_items object (a resource link) is skipped, not an error.
	got, err = env.c.ListOrders(context.Background(), OrderFilter{IncludeLineItems: true})
	if err != nil || len(got) != 1 || len(got[0].LineItems) != 0 {
		t.Errorf("resource link %+v %v", got, err)
	}
}

const customersPage = `{"data":[{"id":7,"email":"jane@example.com","first_name":"Jane","last_name":"Doe","company":"Acme","phone":"+33612345678",
 "customer_group_id":2,"notes":"","tax_exempt_category":"","date_created":"2024-05-14T09:34:00Z","date_modified":"2025-01-03T10:00:00Z",
 "address_count":1,"attribute_count":1,"accepts_product_review_abandoned_cart_emails":true,"origin_channel_id":1,"channel_ids":[1,2],
 "addresses":[{"id":3,"customer_id":7,"first_name":"Jane","last_name":"Doe","company":"Acme","address1":"1 rue X","address2":"",
   "city":"Lyon","state_or_province":"Rhône","postal_code":"69001","country_code":"FR","country":"France","phone":"","address_type":"residential"}],
 "store_credit_amounts":[{"amount":43.15},{"amount":6.85}],
 "attributes":[{"id":2,"attribute_id":4,"attribute_value":"gold","customer_id":7}],
 "form_fields":[{"name":"Birthday","value":"1990-01-01","customer_id":7}]}],
 "meta":{"pagination":{"total":301,"count":1,"per_page":250,"current_page":2,"total_pages":2}}}`

func TestGetCustomersWithIncludes(t *testing.T) {
	since := time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)
	env := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		checkQuery(t, r.URL.Query(), map[string]string{"date_modified:min": "2025-01-02T00:00:00Z", "date_modified:max": "2025-02-02T00:00:00Z",
			"date_created:min": "2020-01-01T00:00:00Z", "sort": "date_modified:asc", "include": "addresses,storecredit,attributes,formfields",
			"page": "2", "limit": "250"})
		writeJSON(w, 200, customersPage)
	}), true, nil)
	p, err := env.c.GetCustomers(context.Background(), CustomerFilter{DateModifiedMin: since, DateModifiedMax: since.AddDate(0, 1, 0),
		DateCreatedMin: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Sort: "date_modified:asc",
		Include:     []string{IncludeAddresses, IncludeStoreCredit, IncludeAttributes, IncludeFormFields},
		PageOptions: PageOptions{Page: 2, Limit: 250}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Pagination.Total != 301 || len(p.Items) != 1 {
		t.Fatalf("page %+v", p)
	}
	c := p.Items[0]
	if c.Company != "Acme" || c.Phone != "+33612345678" || c.CustomerGroupID != 2 || len(c.ChannelIDs) != 2 || !c.AcceptsAbandonedCartEmails ||
		!c.DateModified.Equal(time.Date(2025, 1, 3, 10, 0, 0, 0, time.UTC)) || c.AddressCount != 1 {
		t.Errorf("customer %+v", c)
	}
	if len(c.Addresses) != 1 || c.Addresses[0].CountryCode != "FR" || c.Addresses[0].City != "Lyon" || c.Addresses[0].PostalCode != "69001" {
		t.Errorf("addresses %+v", c.Addresses)
	}
	if c.StoreCredit().String() != "50" {
		t.Errorf("store credit %s", c.StoreCredit())
	}
	if len(c.Attributes) != 1 || c.Attributes[0].Value != "gold" || len(c.FormFields) != 1 || c.FormFields[0].Text() != "1990-01-01" {
		t.Errorf("attributes %+v form fields %+v", c.Attributes, c.FormFields)
	}
}

const productsPage = `{"data":[{"id":118,"name":"Tee","type":"physical","sku":"TEE","price":28,"categories":[23,24],"availability":"available",
 "inventory_level":12,"is_visible":true,"custom_url":{"url":"/tee/","is_customized":false},"date_modified":"2025-01-05T00:00:00+00:00",
 "variants":[{"id":140,"product_id":118,"sku":"TEE-S","price":null,"calculated_price":28,"inventory_level":5,"option_values":[]},
             {"id":143,"product_id":118,"sku":"TEE-XL","price":30,"calculated_price":30,"inventory_level":7,"option_values":[]}],
 "images":[{"id":1,"product_id":118,"is_thumbnail":true,"url_standard":"https://cdn.example.com/tee-s.jpg","url_zoom":"https://cdn.example.com/tee-z.jpg"}],
 "custom_fields":[{"id":6,"name":"ISBN","value":"1234567890"}]}],
 "meta":{"pagination":{"total":1,"count":1,"per_page":250,"current_page":1,"total_pages":1}}}`

func TestGetProductsWithIncludes(t *testing.T) {
	since := time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)
	env := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		checkQuery(t, r.URL.Query(), map[string]string{"date_modified:min": "2025-01-02T00:00:00Z", "sort": "id", "direction": "asc",
			"include": "variants,images,custom_fields", "limit": "250", "page": "1"})
		writeJSON(w, 200, productsPage)
	}), true, nil)
	all, err := Collect(env.c.Products(context.Background(), ProductFilter{DateModifiedMin: since, Sort: "id", Direction: "asc",
		Include: []string{IncludeVariants, IncludeImages, IncludeCustomFields}}))
	if err != nil || len(all) != 1 {
		t.Fatalf("%+v %v", all, err)
	}
	p := all[0]
	if p.SKU != "TEE" || p.Price.String() != "28" || p.Availability != "available" || p.CustomURL.URL != "/tee/" || len(p.Categories) != 2 ||
		p.DateModified.IsZero() || p.ThumbnailURL() != "https://cdn.example.com/tee-s.jpg" || p.Images[0].URLZoom == "" {
		t.Errorf("product %+v", p)
	}
	if len(p.Variants) != 2 || p.Variants[0].Price != nil || p.Variants[1].Price.String() != "30" || p.Variants[1].InventoryLevel != 7 {
		t.Errorf("variants %+v", p.Variants)
	}
	if len(p.CustomFields) != 1 || p.CustomFields[0].Name != "ISBN" || p.CustomFields[0].Value != "1234567890" {
		t.Errorf("custom fields %+v", p.CustomFields)
	}
}

func TestCategoriesIterateAcrossPages(t *testing.T) {
	env := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("limit") != "2" || q.Get("sort") != "id" {
			t.Errorf("query %s", r.URL.RawQuery)
		}
		if q.Get("page") == "1" {
			writeJSON(w, 200, `{"data":[{"id":19,"parent_id":0,"name":"Garden","is_visible":true,"custom_url":{"url":"/garden/","is_customized":false}},
{"id":20,"parent_id":19,"name":"Tools","is_visible":false,"custom_url":{"url":"/garden/tools/","is_customized":true}}],
"meta":{"pagination":{"total":3,"count":2,"per_page":2,"current_page":1,"total_pages":2}}}`)
			return
		}
		writeJSON(w, 200, `{"data":[{"id":21,"parent_id":0,"name":"Kitchen","is_visible":true,"custom_url":{"url":"/kitchen/","is_customized":false}}],
"meta":{"pagination":{"total":3,"count":1,"per_page":2,"current_page":2,"total_pages":2}}}`)
	}), true, nil)
	all, err := Collect(env.c.Categories(context.Background(), CategoryFilter{Sort: "id", PageOptions: PageOptions{Limit: 2}}))
	if err != nil || len(all) != 3 {
		t.Fatalf("%+v %v", all, err)
	}
	if c := all[1]; c.ID != 20 || c.ParentID != 19 || c.Name != "Tools" || c.IsVisible || c.CustomURL.URL != "/garden/tools/" {
		t.Errorf("category %+v", c)
	}
	if env.c.Requests() != 2 {
		t.Errorf("%d requests", env.c.Requests())
	}
}

func TestSubscribersCarryMarketingConsent(t *testing.T) {
	env := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		checkQuery(t, r.URL.Query(), map[string]string{"date_modified:min": "2025-01-02T00:00:00Z", "page": "1", "limit": "250"})
		writeJSON(w, 200, `{"data":[
{"id":1,"email":"jane@example.com","first_name":"Jane","last_name":"Doe","source":"storefront","order_id":null,"channel_id":1,
 "consents":["marketing_newsletter","abandoned_cart"],"date_created":"2024-05-14T09:34:00Z","date_modified":"2025-01-03T00:00:00Z"},
{"id":2,"email":"gone@example.com","source":"order","order_id":101,"channel_id":1,"consents":[],
 "date_created":"2024-05-14T09:34:00Z","date_modified":"2025-01-04T00:00:00Z"}],
"meta":{"pagination":{"total":2,"count":2,"per_page":250,"current_page":1,"total_pages":1}}}`)
	}), true, nil)
	all, err := Collect(env.c.Subscribers(context.Background(), SubscriberFilter{DateModifiedMin: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)}))
	if err != nil || len(all) != 2 {
		t.Fatalf("%+v %v", all, err)
	}
	if !all[0].AcceptsMarketing() || all[1].AcceptsMarketing() || all[1].OrderID == nil || *all[1].OrderID != 101 || all[0].DateModified.IsZero() {
		t.Errorf("subscribers %+v", all)
	}
}
