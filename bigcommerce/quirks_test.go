package bigcommerce

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A v2 order as the API writes it: money as four-decimal strings, RFC 2822
// dates, "" for a date that has not happened.
const v2Order = `{"id":100,"customer_id":20,"date_created":"Wed, 10 Jan 2018 21:05:30 +0000",
"date_modified":"Wed, 05 Dec 2018 20:16:55 -0500","date_shipped":"","status_id":11,"status":"Awaiting Fulfillment",
"subtotal_ex_tax":"336.3200","subtotal_inc_tax":"361.9500","total_inc_tax":"361.9500","coupon_discount":"0.1000",
"refunded_amount":"0.0000","items_total":3,"currency_code":"USD","cart_id":"4a3b9b6f-9d1a-4bd6-8f1c-0d3c5b1d2e3f",
"billing_address":{"first_name":"Jane","last_name":"Doe","email":"jane@example.com","country_iso2":"US"},"is_email_opt_in":true}`

func TestV2DecimalsAndDates(t *testing.T) {
	env := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/stores/bcflowdev/v2/orders/100":
			writeJSON(w, 200, v2Order)
		case "/stores/bcflowdev/v2/orders/100/coupons":
			// amount as a number, discount as a float-as-string: both documented.
			writeJSON(w, 200, `[{"id":3,"coupon_id":1,"order_id":100,"code":"S2549JM0Y","amount":5,"type":2,"discount":"2.7000"}]`)
		default:
			t.Errorf("unexpected %s", r.URL)
		}
	}), false, nil)
	o, err := env.c.GetOrder(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if o.SubtotalExTax.StringFixed(4) != "336.3200" || o.TotalIncTax.MinorUnits(2) != 36195 || o.CouponDiscount.String() != "0.1" {
		t.Errorf("money: %s %s %s", o.SubtotalExTax, o.TotalIncTax, o.CouponDiscount)
	}
	if got := o.SubtotalIncTax.Sub(o.SubtotalExTax).String(); got != "25.63" {
		t.Errorf("tax = %s", got)
	}
	if !o.DateCreated.Equal(time.Date(2018, 1, 10, 21, 5, 30, 0, time.UTC)) {
		t.Errorf("date_created = %v", o.DateCreated)
	}
	if !o.DateModified.Equal(time.Date(2018, 12, 6, 1, 16, 55, 0, time.UTC)) {
		t.Errorf("date_modified = %v", o.DateModified)
	}
	if !o.DateShipped.IsZero() {
		t.Errorf("date_shipped = %v", o.DateShipped)
	}
	if o.BillingAddress.Email != "jane@example.com" || !o.IsEmailOptIn || o.CartID == "" {
		t.Errorf("order %+v", o)
	}
	cs, err := env.c.OrderCoupons(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].Amount.String() != "5" || cs[0].Discount.String() != "2.7" {
		t.Errorf("coupons %+v", cs)
	}
}

func TestV2NoContentIsEmptyList(t *testing.T) {
	var calls atomic.Int32
	env := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}), false, nil)
	ctx := context.Background()
	orders, err := env.c.ListOrders(ctx, OrderFilter{CustomerID: 7, StatusID: new(StatusCompleted)})
	if err != nil || orders == nil || len(orders) != 0 {
		t.Errorf("ListOrders = %#v, %v", orders, err)
	}
	ships, err := env.c.OrderShipments(ctx, 5)
	if err != nil || ships == nil || len(ships) != 0 {
		t.Errorf("OrderShipments = %#v, %v", ships, err)
	}
	n := 0
	for _, err := range env.c.Orders(ctx, OrderFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 0 || calls.Load() != 3 {
		t.Errorf("iterated %d orders in %d calls", n, calls.Load())
	}
	// GetOrder answered with 204 is a missing order, not an empty one.
	if _, err := env.c.GetOrder(ctx, 9); !IsNotFound(err) {
		t.Errorf("GetOrder on 204: %v", err)
	}
}

func TestErrorBodies(t *testing.T) {
	cases := []struct {
		name, path   string
		status       int
		body         string
		call         func(*Client) error
		kind         Kind
		msg          []string
		field, fmsg  string
		wantRetrying bool
		// wantRetryable: retryable later, but returned at once (a 409).
		wantRetryable bool
	}{
		{
			name: "v2 array", path: "/v2/orders", status: 400,
			body: `[{"status":400,"message":"The field 'sort' is invalid."}]`,
			call: func(c *Client) error {
				_, err := c.ListOrders(context.Background(), OrderFilter{Sort: "id"})
				return err
			},
			kind: KindValidation, msg: []string{"bigcommerce: list orders: invalid request: 400 The field 'sort' is invalid."},
		},
		{
			name: "v2 not found", path: "/v2/orders/77", status: 404,
			body: `[{"status":404,"message":"The requested resource was not found."}]`,
			call: func(c *Client) error { _, err := c.GetOrder(context.Background(), 77); return err },
			kind: KindNotFound, msg: []string{"bigcommerce: get order 77: not found: 404 The requested resource was not found."},
		},
		{
			name: "v3 with field errors", path: "/v3/customers", status: 422,
			body: `{"status":422,"title":"The filter(s): id:in are not valid.","type":"https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes","errors":{"id:in":"must be integers"}}`,
			call: func(c *Client) error {
				_, err := c.GetCustomers(context.Background(), CustomerFilter{IDs: []int{1}})
				return err
			},
			kind: KindValidation, msg: []string{"422 The filter(s): id:in are not valid.", "(id:in: must be integers)"},
			field: "id:in", fmsg: "must be integers",
		},
		{
			name: "v3 not found", path: "/v3/carts/5c1e0b1a-0000-4000-8000-000000000000", status: 404,
			body: `{"status":404,"title":"Cart not found.","type":"https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"}`,
			call: func(c *Client) error {
				_, err := c.GetCart(context.Background(), "5c1e0b1a-0000-4000-8000-000000000000")
				return err
			},
			kind: KindNotFound, msg: []string{"bigcommerce: get cart 5c1e0b1a…: not found: 404 Cart not found."},
		},
		{
			name: "promotions array", path: "/v3/promotions/3/codes", status: 409,
			body: `{"errors":[{"status":409,"title":"The coupon code \"X1\" already exists."}]}`,
			call: func(c *Client) error {
				_, err := c.CreatePromotionCode(context.Background(), 3, CouponCodeInput{Code: "X1", MaxUses: 1})
				return err
			},
			kind: KindConflict, msg: []string{`conflict: 409 The coupon code "X1" already exists.`}, wantRetryable: true,
		},
		{
			name: "unauthorized", path: "/v3/hooks", status: 401,
			body: `{"status":401,"title":"No valid credentials were found in this request"}`,
			call: func(c *Client) error { _, err := c.ListHooks(context.Background(), HookFilter{}); return err },
			kind: KindUnauthorized, msg: []string{"unauthorized: 401 No valid credentials"},
		},
		{
			name: "html outage page", path: "/v3/catalog/products", status: 502,
			body: `<html><body>Bad Gateway</body></html>`,
			call: func(c *Client) error {
				_, err := c.GetProducts(context.Background(), ProductFilter{IDs: []int{1}})
				return err
			},
			kind: KindTransient, msg: []string{"transient failure: 502 Bad Gateway: <html>"}, wantRetrying: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			env := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				if r.URL.Path != "/stores/bcflowdev"+tc.path {
					t.Errorf("path %s", r.URL.Path)
				}
				writeJSON(w, tc.status, tc.body)
			}), false, func(o *Options) { o.MaxRetries = 2 })
			err := tc.call(env.c)
			ae, ok := AsAPIError(err)
			if !ok {
				t.Fatalf("error %v is not an *APIError", err)
			}
			if ae.Kind != tc.kind || ae.Status != tc.status {
				t.Errorf("kind %v status %d, want %v %d", ae.Kind, ae.Status, tc.kind, tc.status)
			}
			mustContain(t, err.Error(), tc.msg...)
			if tc.field != "" && ae.Fields[tc.field] != tc.fmsg {
				t.Errorf("fields %v", ae.Fields)
			}
			if IsRetryable(err) != (tc.wantRetrying || tc.wantRetryable) {
				t.Errorf("IsRetryable = %v", IsRetryable(err))
			}
			if IsNotFound(err) != (tc.kind == KindNotFound) {
				t.Errorf("IsNotFound = %v", IsNotFound(err))
			}
			want := int32(1)
			if tc.wantRetrying {
				want = 3
			}
			if calls.Load() != want {
				t.Errorf("%d calls, want %d", calls.Load(), want)
			}
		})
	}
	if IsRetryable(errors.New("x")) || IsNotFound(nil) || IsConflict(fmt.Errorf("w: %w", &APIError{Status: 409})) != true {
		t.Error("helpers on foreign errors")
	}
}

// v3Pages serves items 1..total as v3 pages of pageSize, with meta.pagination.
func v3Pages(t *testing.T, total int, item func(i int) string, pages *atomic.Int32) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pages.Add(1)
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if page < 1 || limit < 1 {
			t.Errorf("page %q limit %q", r.URL.Query().Get("page"), r.URL.Query().Get("limit"))
			page, limit = 1, 50
		}
		var items []string
		for i := (page-1)*limit + 1; i <= total && i <= page*limit; i++ {
			items = append(items, item(i))
		}
		totalPages := (total + limit - 1) / limit
		writeJSON(w, 200, fmt.Sprintf(`{"data":[%s],"meta":{"pagination":{"total":%d,"count":%d,"per_page":%d,"current_page":%d,"total_pages":%d,"links":{"current":"?page=%d"}}}}`,
			strings.Join(items, ","), total, len(items), limit, page, totalPages, page))
	}
}

func TestV3PaginationIteratesAcrossPages(t *testing.T) {
	var pages atomic.Int32
	env := newTestEnv(t, v3Pages(t, 5, func(i int) string {
		return fmt.Sprintf(`{"id":%d,"email":"c%d@example.com","date_created":"2024-05-14T09:34:00Z"}`, i, i)
	}, &pages), false, nil)
	ctx := context.Background()
	var ids []int
	for cu, err := range env.c.Customers(ctx, CustomerFilter{GroupIDs: []int{1, 2}, PageOptions: PageOptions{Limit: 2}}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, cu.ID)
	}
	if fmt.Sprint(ids) != "[1 2 3 4 5]" || pages.Load() != 3 {
		t.Errorf("ids %v in %d pages", ids, pages.Load())
	}
	// Stopping early fetches no further page.
	pages.Store(0)
	for cu, err := range env.c.Customers(ctx, CustomerFilter{PageOptions: PageOptions{Limit: 2}}) {
		if err != nil || cu.ID == 3 {
			break
		}
	}
	if pages.Load() != 2 {
		t.Errorf("early stop fetched %d pages", pages.Load())
	}
	p, err := env.c.GetCustomers(ctx, CustomerFilter{PageOptions: PageOptions{Page: 3, Limit: 2}})
	if err != nil || len(p.Items) != 1 || p.HasNext() || p.Pagination.Total != 5 {
		t.Errorf("page 3: %+v %v", p, err)
	}
}

func TestV2PaginationIteratesUntilShortPage(t *testing.T) {
	var pages atomic.Int32
	env := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pages.Add(1)
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if r.URL.Query().Get("limit") != "2" || r.URL.Query().Get("email") != "jane@example.com" {
			t.Errorf("query %s", r.URL.RawQuery)
		}
		switch page {
		case 1:
			writeJSON(w, 200, `[{"id":1,"total_inc_tax":"10.0000"},{"id":2,"total_inc_tax":"20.5000"}]`)
		case 2:
			writeJSON(w, 200, `[{"id":3,"total_inc_tax":"0.0100"},{"id":4,"total_inc_tax":"1.0000"}]`)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}), false, nil)
	var sum Decimal
	orders, err := Collect(env.c.Orders(context.Background(), OrderFilter{Email: "jane@example.com", PageOptions: PageOptions{Limit: 2}}))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range orders {
		sum = sum.Add(o.TotalIncTax)
	}
	if len(orders) != 4 || sum.String() != "31.51" || pages.Load() != 3 {
		t.Errorf("%d orders summing %s in %d pages", len(orders), sum, pages.Load())
	}
}

// rateHeaders sets the rate-limit headers.
func rateHeaders(w http.ResponseWriter, left, quota int, reset time.Duration) {
	w.Header().Set(headerRequestsLeft, strconv.Itoa(left))
	w.Header().Set(headerRequestsQuota, strconv.Itoa(quota))
	w.Header().Set(headerTimeResetMs, strconv.FormatInt(reset.Milliseconds(), 10))
	w.Header().Set(headerTimeWindowMs, "30000")
}

const cartBody = `{"data":{"id":"5c1e0b1a-0000-4000-8000-000000000000","customer_id":1,"email":"jane@example.com","currency":{"code":"USD"},
"base_amount":109,"cart_amount":109,"line_items":{"physical_items":[{"id":"li-1","product_id":111,"variant_id":1,"sku":"OTL","name":"Orbit",
"quantity":1,"list_price":109,"sale_price":109,"extended_sale_price":109}],"digital_items":[]},"created_time":"2025-03-14T15:09:26Z","version":1},"meta":{}}`

const cartID = "5c1e0b1a-0000-4000-8000-000000000000"

func TestRateLimited429WaitsForResetThenSucceeds(t *testing.T) {
	var calls atomic.Int32
	env := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			rateHeaders(w, 0, 150, 1500*time.Millisecond)
			writeJSON(w, 429, `{"status":429,"title":"Too many requests"}`)
			return
		}
		rateHeaders(w, 149, 150, 30*time.Second)
		writeJSON(w, 200, cartBody)
	}), false, nil)
	cart, err := env.c.GetCart(context.Background(), cartID)
	if err != nil {
		t.Fatal(err)
	}
	if cart.CartAmount.String() != "109" || len(cart.Items()) != 1 {
		t.Errorf("cart %+v", cart)
	}
	if got, want := env.time.Sleeps(), 1500*time.Millisecond+resetSlack; len(got) != 1 || got[0] != want {
		t.Errorf("sleeps %v, want [%v]", got, want)
	}
	if calls.Load() != 2 {
		t.Errorf("%d calls", calls.Load())
	}
	mustContain(t, env.logs.String(), "rate limited, retrying after reset")
}

func TestRateLimited429GivesUpAfterRetries(t *testing.T) {
	var calls atomic.Int32
	env := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		rateHeaders(w, 0, 150, 2*time.Second)
		writeJSON(w, 429, `{"status":429,"title":"Too many requests"}`)
	}), false, func(o *Options) { o.MaxRetries = 2 })
	_, err := env.c.GetCart(context.Background(), cartID)
	ae, ok := AsAPIError(err)
	if !ok || ae.Kind != KindRateLimited || !IsRetryable(err) || ae.RetryAfter != 2*time.Second+resetSlack {
		t.Fatalf("err %#v", err)
	}
	if w := 2*time.Second + resetSlack; calls.Load() != 3 || fmt.Sprint(env.time.Sleeps()) != fmt.Sprint([]time.Duration{w, w}) {
		t.Errorf("%d calls, sleeps %v", calls.Load(), env.time.Sleeps())
	}
}

// TestReserveLeavesOtherAppsTheirShare: the store has 4 requests left for
// the next 3 s (other apps used the rest). With the default reserve (a fifth
// of 150 = 30) the client sends nothing more in this window; with
// ReserveNone it uses the 3 left and then waits for the reset.
func TestReserveLeavesOtherAppsTheirShare(t *testing.T) {
	for _, tc := range []struct {
		name   string
		share  float64
		sleeps string
	}{
		{"default share", 0, fmt.Sprint([]time.Duration{3*time.Second + resetSlack})},
		{"no reserve", ReserveNone, fmt.Sprint([]time.Duration{3*time.Second + resetSlack})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var env *testEnv
			var start time.Time
			var used, over atomic.Int32
			var inWindow []int32
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				now := env.time.Now()
				windowEnd := start.Add(3 * time.Second)
				if !now.Before(windowEnd) {
					// A fresh 30 s window.
					rateHeaders(w, 149, 150, 30*time.Second)
					writeJSON(w, 200, cartBody)
					return
				}
				left := 4 - used.Add(1)
				if left < 0 {
					over.Add(1)
					rateHeaders(w, 0, 150, windowEnd.Sub(now))
					writeJSON(w, 429, `{"status":429,"title":"Too many requests"}`)
					return
				}
				inWindow = append(inWindow, left)
				rateHeaders(w, int(left), 150, windowEnd.Sub(now))
				writeJSON(w, 200, cartBody)
			})
			env = newTestEnv(t, h, false, func(o *Options) { o.ReserveShare = tc.share })
			start = env.time.Now()
			for i := range 6 {
				if _, err := env.c.GetCart(context.Background(), cartID); err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
			}
			if got := fmt.Sprint(env.time.Sleeps()); got != tc.sleeps {
				t.Errorf("sleeps %s, want %s", got, tc.sleeps)
			}
			want := "[3]" // the probe; 3 left < the reserve of 30
			if tc.share == ReserveNone {
				want = "[3 2 1 0]"
			}
			if fmt.Sprint(inWindow) != want {
				t.Errorf("requests in the first window left %v, want %s", inWindow, want)
			}
			if over.Load() != 0 || env.ct.status(429) != 0 {
				t.Errorf("%d requests over quota", over.Load())
			}
			if rl := env.c.RateLimit(); !rl.Known || rl.Quota != 150 || rl.Window != 30*time.Second || env.c.Requests() != 6 {
				t.Errorf("rate limit state %+v, %d requests", rl, env.c.Requests())
			}
		})
	}
}

func TestNoWaitAboveTheReserve(t *testing.T) {
	env := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rateHeaders(w, 100, 150, 20*time.Second)
		writeJSON(w, 200, cartBody)
	}), false, nil)
	for range 20 {
		if _, err := env.c.GetCart(context.Background(), cartID); err != nil {
			t.Fatal(err)
		}
	}
	if s := env.time.Sleeps(); len(s) != 0 {
		t.Errorf("slept %v with plenty of quota", s)
	}
}

func TestServerErrorsRetryWithBackoffThenGiveUp(t *testing.T) {
	var calls atomic.Int32
	env := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		writeJSON(w, 503, `{"status":503,"title":"Service Unavailable"}`)
	}), false, func(o *Options) {
		o.MaxRetries = 3
		o.BackoffBase = 100 * time.Millisecond
		o.BackoffMax = 300 * time.Millisecond
	})
	_, err := env.c.GetOrder(context.Background(), 1)
	ae, ok := AsAPIError(err)
	if !ok || ae.Kind != KindTransient || ae.Status != 503 || !IsRetryable(err) {
		t.Fatalf("err %v", err)
	}
	if calls.Load() != 4 {
		t.Errorf("%d calls, want 4", calls.Load())
	}
	sleeps := env.time.Sleeps()
	caps := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond}
	if len(sleeps) != len(caps) {
		t.Fatalf("sleeps %v", sleeps)
	}
	for i, d := range sleeps {
		if d < caps[i]/2 || d > caps[i] {
			t.Errorf("backoff %d = %v, want in [%v, %v]", i, d, caps[i]/2, caps[i])
		}
	}
	mustContain(t, env.logs.String(), "bigcommerce retrying")
}

func TestServerErrorThenSuccess(t *testing.T) {
	var calls atomic.Int32
	env := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			writeJSON(w, 500, `{"status":500,"title":"Internal Server Error"}`)
			return
		}
		writeJSON(w, 200, v2Order)
	}), false, nil)
	o, err := env.c.GetOrder(context.Background(), 100)
	if err != nil || o.ID != 100 || calls.Load() != 2 || len(env.time.Sleeps()) != 1 {
		t.Errorf("order %d err %v calls %d sleeps %v", o.ID, err, calls.Load(), env.time.Sleeps())
	}
}

func TestContextDeadlineRespected(t *testing.T) {
	t.Run("backoff past the deadline returns the last error at once", func(t *testing.T) {
		var calls atomic.Int32
		env := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			writeJSON(w, 503, `{"status":503,"title":"Service Unavailable"}`)
		}), false, func(o *Options) { o.BackoffBase = 10 * time.Second })
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		start := time.Now()
		_, err := env.c.GetCart(ctx, cartID)
		if ae, ok := AsAPIError(err); !ok || ae.Status != 503 || ae.RetryAfter < 5*time.Second {
			t.Errorf("err %#v", err)
		}
		if calls.Load() != 1 || len(env.time.Sleeps()) != 0 || time.Since(start) > time.Second {
			t.Errorf("calls %d sleeps %v elapsed %v", calls.Load(), env.time.Sleeps(), time.Since(start))
		}
	})
	t.Run("pacing past the deadline sends nothing", func(t *testing.T) {
		var calls atomic.Int32
		env := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			rateHeaders(w, 0, 150, 20*time.Second)
			writeJSON(w, 200, cartBody)
		}), false, nil)
		if _, err := env.c.GetCart(context.Background(), cartID); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := env.c.GetCart(ctx, cartID)
		ae, ok := AsAPIError(err)
		if !ok || ae.Kind != KindRateLimited || !IsRetryable(err) || ae.RetryAfter != 20*time.Second+resetSlack {
			t.Errorf("err %#v", err)
		}
		if calls.Load() != 1 {
			t.Errorf("%d calls", calls.Load())
		}
	})
	t.Run("a hung request ends with the context", func(t *testing.T) {
		env := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}), false, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := env.c.GetCart(ctx, cartID)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err %v", err)
		}
		if _, ok := AsAPIError(err); !ok {
			t.Errorf("err %T is not an *APIError", err)
		}
	})
	t.Run("a hung attempt is retried", func(t *testing.T) {
		var calls atomic.Int32
		env := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) == 1 {
				<-r.Context().Done()
				return
			}
			writeJSON(w, 200, cartBody)
		}), false, func(o *Options) { o.AttemptTimeout = 200 * time.Millisecond })
		// ≥ 2: on a loaded machine a later attempt may time out as well.
		if _, err := env.c.GetCart(context.Background(), cartID); err != nil || calls.Load() < 2 {
			t.Errorf("err %v after %d calls", err, calls.Load())
		}
	})
}

func TestTokenNeverInErrorsOrLogs(t *testing.T) {
	const secret = "s3cr3t-token-value"
	// A hostile server echoes the token in every error it can.
	env := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get("X-Auth-Token")
		if tok != secret {
			t.Errorf("token %q", tok)
		}
		switch {
		case strings.Contains(r.URL.Path, "/v2/"):
			writeJSON(w, 400, `[{"status":400,"message":"bad token `+tok+`","details":{"token":"`+tok+`"}}]`)
		case strings.Contains(r.URL.Path, "/hooks"):
			writeJSON(w, 500, `{"status":500,"title":"boom `+tok+`"}`)
		default:
			writeJSON(w, 422, `{"status":422,"title":"invalid `+tok+`","detail":"`+tok+`","errors":{"x-auth-token":"`+tok+`"}}`)
		}
	}), false, func(o *Options) {
		o.AccessToken = secret
		o.MaxRetries = 1
	})
	ctx := context.Background()
	var errs []error
	_, err := env.c.ListOrders(ctx, OrderFilter{})
	errs = append(errs, err)
	_, err = env.c.GetCustomers(ctx, CustomerFilter{})
	errs = append(errs, err)
	_, err = env.c.ListHooks(ctx, HookFilter{})
	errs = append(errs, err)
	// A transport failure.
	dead, _ := New(Options{BaseURL: "http://127.0.0.1:1", StoreHash: testHash, AccessToken: secret, MaxRetries: -1})
	_, err = dead.GetCart(ctx, cartID)
	errs = append(errs, err)
	for _, err := range errs {
		if err == nil {
			t.Fatal("no error")
		}
		ae, _ := AsAPIError(err)
		for _, s := range []string{err.Error(), fmt.Sprintf("%+v %#v", err, ae)} {
			if strings.Contains(s, secret) {
				t.Errorf("token in error: %s", s)
			}
		}
	}
	mustContain(t, errs[0].Error(), "[redacted]")
	if logs := env.logs.String(); strings.Contains(logs, secret) || logs == "" {
		t.Errorf("token in logs (or no logs): %s", logs)
	}
	o := Options{BaseURL: "https://api.bigcommerce.com", StoreHash: testHash, AccessToken: secret}
	for _, s := range []string{fmt.Sprintf("%v %+v %#v %s", o, o, o, o), fmt.Sprintf("%v %+v %#v", env.c, env.c, *env.c)} {
		if strings.Contains(s, secret) {
			t.Errorf("token printed: %s", s)
		}
	}
}

func TestNewValidates(t *testing.T) {
	for _, o := range []Options{
		{AccessToken: "t"},
		{StoreHash: "h"},
		{StoreHash: "h", AccessToken: "t", BaseURL: "api.bigcommerce.com"},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%v) succeeded", o)
		}
	}
	c, err := New(Options{StoreHash: "abc", AccessToken: "t"})
	if err != nil || c.base != "https://api.bigcommerce.com/stores/abc" || c.StoreHash() != "abc" {
		t.Errorf("%v %v", c, err)
	}
}

func TestEncodeQueryKeepsFilterSyntaxReadable(t *testing.T) {
	f := CustomerFilter{IDs: []int{4, 5}, Emails: []string{"a+b@example.com"}, Include: []string{IncludeSegmentIDs}}
	if got := encodeQuery(f.query()); got != "email:in=a%2Bb%40example.com&id:in=4,5&include=segment_ids" {
		t.Errorf("query %s", got)
	}
}
