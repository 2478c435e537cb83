// Package bcemu emulates BigCommerce stores at the HTTP level: the REST
// Management API under /stores/{store_hash}/v2 and /v3, webhook delivery, and
// a control API under /_sim/bigcommerce/ that scripts a store's life (a
// shopper creating a cart, abandoning it, checking out, an order shipping).
// It powers `bcflow sim` and `bcflow dev`.
//
// The package imports nothing of bcflow: it is the other side of the wire,
// written from BigCommerce's published OpenAPI descriptions
// (shared/specs/bigcommerce), and its tests check every response against them.
//
//	e, _ := bcemu.New(bcemu.Options{})     // one store: DefaultStore()
//	defer e.Close()
//	http.ListenAndServe("127.0.0.1:8090", e.Handler())
//
// # Store API
//
// Requests carry X-Auth-Token (the store's access token); a missing or wrong
// token, or an unknown store hash, answers 401 with the version's error body. v2 answers bare JSON
// arrays, 204 with no body for an empty page, money as four-decimal strings
// ("12.5000"), RFC 2822 dates and [{"status","message"}] errors. v3 answers
// {data, meta} with meta.pagination, ISO 8601 dates and {status, title, type,
// errors} errors; a limit above 250 is rejected with 422 where the spec
// declares that maximum (catalog, promotions) and clamped elsewhere.
//
//	v3 carts           POST /carts (?include=redirect_urls), GET|PUT|DELETE /carts/{id},
//	                   POST /carts/{id}/items, PUT|DELETE /carts/{id}/items/{item},
//	                   POST /carts/{id}/redirect_urls, GET /abandoned-carts/{token}
//	v2 orders          GET /orders (customer_id, email, status_id, cart_id, channel_id,
//	                   payment_method, min_/max_id, min_/max_total, min_/max_date_created,
//	                   min_/max_date_modified in RFC 2822 or ISO 8601, sort=id|customer_id|
//	                   date_created|date_modified|status_id|channel_id[:asc|desc], page,
//	                   limit (max 250), include=consignments|consignments.line_items|fees
//	                   with consignment_structure=object), GET /orders/count (same filters),
//	                   GET /orders/{id} (same includes), /orders/{id}/products|coupons|
//	                   shipments|shipping_addresses, GET /orders/{id}/consignments
//	                   (include=consignments.line_items), GET /order_statuses[/{id}]
//	v3 customers       GET /customers (id:in, email:in, customer_group_id:in,
//	                   date_created[:min|:max], date_modified[:min|:max], sort, include=
//	                   addresses,storecredit,attributes,formfields,shopper_profile_id,
//	                   segment_ids),
//	                   POST|PUT /customers, GET /customers/attribute-values (customer_id:in,
//	                   attribute_id:in, name)
//	v2 customer groups GET /customer_groups, GET /customer_groups/{id}
//	v3 catalog         GET /catalog/products (id, id:in, id:min, id:max, sku, sku:in, name,
//	                   keyword, categories, categories:in, brand_id, availability, is_visible,
//	                   date_modified[:min|:max], sort=id|name|sku|price|calculated_price|
//	                   date_modified|inventory_level|…, direction=asc|desc, include=variants,
//	                   images,primary_image,channels,custom_fields),
//	                   GET /catalog/products/{id}[/variants|/images],
//	                   GET /catalog/categories (id, id:in, parent_id, parent_id:in, name,
//	                   name:like, sort=id|name|parent_id|sort_order), GET /catalog/categories/{id}
//	v3 promotions      GET|POST /promotions, GET|PUT|DELETE /promotions/{id},
//	                   GET|POST /promotions/{id}/codes, DELETE /promotions/{id}/codes/{code}
//	v3 segmentation    GET|POST|PUT|DELETE /segments, GET|POST|DELETE
//	                   /segments/{id}/shopper-profiles, GET|POST|DELETE /shopper-profiles,
//	                   GET /shopper-profiles/{id}/segments
//	v3 webhooks        GET|POST /hooks, GET|PUT|DELETE /hooks/{id}
//	v3 channels        GET /channels/{channel_id}/site (the channel's storefront URL)
//
// Behaviours worth knowing:
//   - Redirect URLs exist only for carts created through POST /v3/carts; carts
//     created by the simulator are storefront carts and get 422, as the platform
//     refuses carts not made with the Management API.
//   - A duplicate coupon code (case-insensitive, store-wide) answers 409. The
//     promotions spec declares no status for it and its error body as
//     {"errors":[{status,title,type}]}; the emulator sends that array and also
//     the usual top-level status/title/type.
//   - Segments: duplicate names and shopper profiles already in a segment
//     answer 409 with the spec's {data, errors, meta} body (an add naming a
//     member adds none of its profiles; the 409 names every member, keyed by
//     its index in the request: "Shopper profile `<id>` already exists for
//     segment `<id>`."); more than 50 shopper profile ids in one request, or
//     more than 1000 segments in a store (which also bounds the segments of
//     one shopper), answer 400 with the spec's ErrorResponse. Removing
//     profiles that are not in a segment is a 204. A second shopper profile
//     for a customer answers 409. More than 10 creates, updates and adds in
//     flight (MaxSegmentWritesInFlight) answer 429. A store without the API
//     (StoreSeed.NoSegmentation, SetSegmentationAvailable, the control API)
//     answers 403 to every segments and shopper-profiles request.
//   - Promotions may carry customer.segments (id/not/and/or); segment ids
//     must exist (else 422). A coupon of such a promotion applies to a cart,
//     and redeems at checkout, only for a customer whose shopper profile the
//     condition admits (guests are in no segment); otherwise 422.
//   - Hooks: one hook per scope and destination (duplicate → 422);
//     destinations may be http:// as well as https:// (local development);
//     events_history_enabled is accepted and ignored. POST answers 200, as the
//     spec says.
//   - Sites: the store's first channel has a site at StoreSeed.Domain; other
//     channels answer 404 until a site is set (StoreSeed.Sites,
//     SeedFile.Sites or the control API).
//   - The catalog omits option_set_id and base_variant_id when they would be
//     null, because the spec declares them non-nullable.
//   - Orders: every order links its consignments; include=consignments or
//     consignments.line_items needs consignment_structure=object (the only
//     structure the spec describes; the platform's legacy array form answers
//     400 here). Physical items are one shipping consignment (id = order id,
//     the billing address), digital ones one download consignment. Coupons are
//     only a link (/orders/{id}/coupons), as in the spec; the order itself
//     carries coupon_discount. Incomplete orders (status 0) are listed like
//     any other.
//
// # Rate limiting
//
// Each store has a quota of requests per window (Options.RateLimitQuota,
// default 150, and Options.RateLimitWindow, default 30 s; StoreSeed.Quota and
// StoreSeed.RateLimitWindow, or at runtime SetRateLimit and the control API,
// change them per store, so a benchmark can compress 150 per 30 s into 150
// per 1 s).
// Every store API response carries X-Rate-Limit-Requests-Left,
// X-Rate-Limit-Requests-Quota, X-Rate-Limit-Time-Reset-Ms and
// X-Rate-Limit-Time-Window-Ms; an exhausted window answers 429. The window
// starts with the first request after the previous one ended and follows
// Options.Clock, so tests move time instead of sleeping.
//
// # Webhooks
//
// Every state change sends BigCommerce's callback payload to each active hook
// whose scope matches (exactly, or a wildcard such as store/cart/*):
//
//	{"scope":"store/cart/abandoned","store_id":"1001001",
//	 "data":{"id":"<cart uuid>","token":"<32 hex>","type":"cart"},
//	 "hash":"<sha1>","created_at":1741964966,"producer":"stores/bcflowdev"}
//
// Scopes: store/cart/created|updated|deleted|abandoned|converted (orderId)|
// couponApplied (couponId),
// store/cart/lineItem/created|updated|deleted (cartId), store/order/created|
// updated|statusUpdated (status.previous_status_id/new_status_id),
// store/order/refund/created (refund.refund_id), store/shipment/created
// (orderId), store/customer/created|updated, store/product/created|updated|
// deleted, store/sku/created|updated|deleted (data.sku.product_id/variant_id),
// store/category/created|updated|deleted. Creating a cart also fires
// store/cart/updated, as the platform does. The catalog scopes fire when the
// control API changes the catalog.
//
// hash is the SHA-1 hex digest of the JSON encoding of data. created_at is the
// event time from Options.Clock in unix seconds. A retry or duplicate delivery
// repeats the exact body bytes and webhook-id; a new event on the same object
// is a new delivery with its own webhook-id and its own created_at. Two events
// on one object within the same second therefore carry the same created_at
// and, when their data is identical (two store/cart/updated for one cart),
// the same hash: that is what the real platform does too, so a consumer that
// deduplicates on hash alone, or on (scope, hash, created_at), will treat the
// second as a duplicate. That is only safe when handling the event twice and
// once are equivalent (re-reading the cart); webhook-id tells retries from new
// events here, but BigCommerce itself sends no such header.
//
// Deliveries are POSTs with the hook's custom headers, Content-Type
// application/json and Standard Webhooks headers: webhook-id (msg_…, unique
// per event and hook set, repeated on retries), webhook-timestamp (unix
// seconds of the attempt, wall-clock time) and webhook-signature:
//
//	v1,base64(HMAC-SHA256(key, webhook-id + "." + webhook-timestamp + "." + body))
//
// where key is the raw bytes of the store's client secret (not base64-decoded,
// no whsec_ prefix). With the standard-webhooks Go library, verify with
// standardwebhooks.NewWebhookRaw([]byte(clientSecret)). BigCommerce itself
// does not sign callbacks; the signature lets bcflow authenticate the emulator
// the same way it authenticates its production ingress.
//
// A non-2xx answer or a network error is retried after 60, 180, 300, 600,
// 900, 1800, 3600, 7200, 21600, 43200 and 86400 seconds (RetrySchedule, each
// multiplied by Options.RetryScale); when the last retry fails the hook is set
// is_active false. Deliveries to one hook are attempted one at a time.
//
// Fault knobs (per store; Faults, SetFaults, the control API) duplicate
// deliveries (a probability, or the next N), reorder events (hold N, then
// release them newest first), delay first attempts, and drop scopes. The
// delivery log records every attempt and every decision not to attempt.
//
// # Control API
//
// JSON in and out, no authentication (it is a development tool); errors use
// the v3 error body. {hash} is a store hash such as bcflowdev. Objects come
// back in the store API's shapes (customer_Full, Cart_Full, the v2 order and
// shipment), so what a script creates is what the store API will show.
//
//	GET    /_sim/bigcommerce/                             index: stores and credentials
//	GET    /_sim/bigcommerce/stores                       stores and credentials
//	POST   /_sim/bigcommerce/seed                         apply a SeedFile (body)
//	POST   /_sim/bigcommerce/save                         write the snapshot (Options.SnapshotPath)
//	POST   /_sim/bigcommerce/{hash}/customers             CustomerInput → {data: customer}
//	                                                      {"email","first_name","last_name","phone",
//	                                                       "customer_group_id","accepts_marketing",
//	                                                       "accepts_product_review_abandoned_cart_emails",
//	                                                       "guest": true for a guest shopper,
//	                                                       "attributes": {"SMS opt-in": "Yes"} (by name; new
//	                                                       names create string attributes; "" removes),
//	                                                       "form_fields": {"<sign-up form field>": "value"}}
//	PUT    /_sim/bigcommerce/{hash}/customers/{id}        CustomerInput (changed fields) → {data: customer}
//	PUT    /_sim/bigcommerce/{hash}/channels/{id}/site    {"url"} (absolute http(s)) → {data: site}; adds the channel
//	POST   /_sim/bigcommerce/{hash}/carts                 CartInput → 201 {data: cart}
//	                                                      {"customer_id","email","channel_id",
//	                                                       "line_items":[{"sku"|"product_id"+"variant_id","quantity"}]}
//	PUT    /_sim/bigcommerce/{hash}/carts/{id}            CartUpdate {"add":[…],"remove":["<item id|sku>"],
//	                                                       "quantities":[{"sku"|"item_id","quantity"}]}
//	PUT    /_sim/bigcommerce/{hash}/carts/{id}/email      {"email"} (guest enters an email)
//	POST   /_sim/bigcommerce/{hash}/carts/{id}/coupon     {"coupon_code"} → {data: {cart_id, coupon_id}};
//	                                                      fires store/cart/couponApplied (couponId)
//	POST   /_sim/bigcommerce/{hash}/carts/{id}/abandon    → {data: {cart_id, token}}; fires store/cart/abandoned now
//	DELETE /_sim/bigcommerce/{hash}/carts/{id}            204; fires store/cart/deleted
//	POST   /_sim/bigcommerce/{hash}/carts/{id}/checkout   CheckoutInput {"coupon_code","status_id" (default 11),
//	                                                       "payment_method","shipping_cost","billing_address"}
//	                                                      → 201 v2 order; fires store/cart/converted, store/order/created
//	PUT    /_sim/bigcommerce/{hash}/orders/{id}/status    {"status_id"} → v2 order
//	POST   /_sim/bigcommerce/{hash}/orders/{id}/shipments ShipInput {"tracking_number","tracking_carrier",
//	                                                       "shipping_method","items":[{"order_product_id","quantity"}]}
//	                                                      → 201 v2 shipment; status 2 or 3
//	POST   /_sim/bigcommerce/{hash}/orders/{id}/refunds   {"amount"} (omitted: the rest) → 201; status 4 or 14
//	POST   /_sim/bigcommerce/{hash}/promotions            {"name","code","percent_off"|"amount_off","max_uses"}
//	POST   /_sim/bigcommerce/{hash}/products              ProductSeed {"name","sku","price","categories",
//	                                                       "custom_fields":{"Material":"Oak"},"availability",
//	                                                       "variants":[{"sku","label","price"}],…} → 201 {data: product}
//	                                                      fires store/product/created, store/sku/created per variant
//	PUT    /_sim/bigcommerce/{hash}/products/{id}         ProductUpdate {"name","description","price","sale_price",
//	                                                       "inventory_level","categories","availability","custom_fields"}
//	                                                      → {data: product}; store/product/updated
//	DELETE /_sim/bigcommerce/{hash}/products/{id}         204; store/sku/deleted per variant, store/product/deleted
//	POST   /_sim/bigcommerce/{hash}/products/{id}/variants              {"sku","label","price"} → 201; store/sku/created
//	PUT    /_sim/bigcommerce/{hash}/products/{id}/variants/{variant_id} {"sku","price","label"}; store/sku/updated
//	DELETE /_sim/bigcommerce/{hash}/products/{id}/variants/{variant_id} 204; store/sku/deleted
//	POST   /_sim/bigcommerce/{hash}/categories            {"name","parent_id","description","sort_order","hidden"}
//	                                                      → 201 {data: category}; store/category/created
//	PUT    /_sim/bigcommerce/{hash}/categories/{id}       same fields → {data: category}; store/category/updated
//	DELETE /_sim/bigcommerce/{hash}/categories/{id}       204 (422 with subcategories); store/category/deleted
//	POST   /_sim/bigcommerce/{hash}/bulk                  {"customers","orders","products","categories",
//	                                                       "from","to","seed","notify"} → BulkResult
//	GET    /_sim/bigcommerce/{hash}/rate-limit            {"quota","window_ms"}
//	PUT    /_sim/bigcommerce/{hash}/rate-limit            {"quota","window_ms"} (either; the window restarts)
//	GET    /_sim/bigcommerce/{hash}/segmentation          {"available"}
//	PUT    /_sim/bigcommerce/{hash}/segmentation          {"available": false} → the Customer Segmentation API
//	                                                      answers 403, as on a plan without it
//	GET    /_sim/bigcommerce/{hash}/requests              RequestStats: store API requests answered, 429s, and
//	                                                      both per route ("GET /v2/orders")
//	DELETE /_sim/bigcommerce/{hash}/requests              204; counts back to zero
//	GET    /_sim/bigcommerce/{hash}/faults                current Faults
//	PUT    /_sim/bigcommerce/{hash}/faults                {"duplicate_probability","duplicate_next","reorder_hold",
//	                                                       "delay_ms","drop_scopes":["store/cart/*"],"seed"}
//	POST   /_sim/bigcommerce/{hash}/faults/release        release held events, newest first
//	GET    /_sim/bigcommerce/{hash}/deliveries            delivery log: every attempt with outcome and status
//
// A shopper who abandons a cart, in three commands:
//
//	C=$(curl -s localhost:8090/_sim/bigcommerce/bcflowdev/carts -d '{"customer_id":1,"line_items":[{"sku":"TEE-M","quantity":2}]}' | jq -r .data.id)
//	curl -s -X POST localhost:8090/_sim/bigcommerce/bcflowdev/carts/$C/abandon
//	curl -s -X POST localhost:8090/_sim/bigcommerce/bcflowdev/carts/$C/checkout -d '{"coupon_code":"WELCOME10"}'
//
// The same operations are Go methods (CreateCustomer, CreateCart, UpdateCart,
// SetCartEmail, ApplyCartCoupon, AbandonCart, DeleteCart, Checkout, SetOrderStatus, Ship,
// Refund, CreatePromotion, CreateProduct, UpdateProduct, DeleteProduct, AddVariant,
// UpdateVariant, DeleteVariant, CreateCategory, UpdateCategory, DeleteCategory,
// BulkGenerate, LoadSeedFile, ApplySeed, SetQuota, SetRateLimit, GetRateLimit,
// SetSegmentationAvailable, SegmentationAvailable, RequestStats, ResetRequestStats, SetFaults, ReleaseHeld, Deliveries) taking
// the store hash first.
//
// # Bulk data
//
// BulkGenerate (POST .../bulk) makes a store of any size for sync and load
// tests: 100,000 customers, 500,000 orders of 1–3 lines and 5,000 products
// take about a second and some 110 MB of heap (BenchmarkBulkGenerateLarge).
// Generated orders live in a compact table and are built on read; the first
// change to one (a status, a shipment, a refund) turns it into an ordinary
// order, so every endpoint, filter and count sees one consistent store. The
// same seed on the same store gives the same data; nothing fires unless
// BulkOptions.Notify. A page of 250 orders with their line items takes some
// 20 ms to serve (BenchmarkOrderPageLarge), so a compressed window should
// leave the emulator that much time per request.
//
// # Snapshots
//
// With Options.SnapshotPath, New loads the file when it exists and Save (or
// POST /_sim/bigcommerce/save) writes every store's data as JSON, atomically.
// Rate-limit windows, fault knobs, held events and the delivery log are not
// saved.
package bcemu
