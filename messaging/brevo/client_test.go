package brevo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bcflow/bcflow/emulator/brevoemu"
	"github.com/bcflow/bcflow/emulator/contract"
	"github.com/bcflow/bcflow/messaging"
	"github.com/bcflow/bcflow/messaging/brevo"
)

// fakeTime is the clock shared by the client and the emulator. Sleep records
// the wait and advances the clock instead of waiting.
type fakeTime struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (f *fakeTime) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeTime) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.sleeps = append(f.sleeps, d)
	f.now = f.now.Add(d)
	f.mu.Unlock()
	return ctx.Err()
}

func (f *fakeTime) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sleeps)
}

// syncBuffer collects log output from concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// validatingTransport checks every request the client sends, and every
// answer it gets, against Brevo's official spec.
type validatingTransport struct {
	t    testing.TB
	spec *contract.Spec
	next http.RoundTripper
}

func (v *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// Validate a copy: a RoundTripper must not alter the caller's request.
	cp := req.Clone(req.Context())
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		cp.Body = body
	}
	v.spec.ValidateRequest(v.t, cp)
	if req.Header.Get("api-key") == "" {
		v.t.Errorf("request %s %s without api-key header", req.Method, req.URL.Path)
	}
	resp, err := v.next.RoundTrip(req)
	if err == nil {
		v.spec.ValidateResponse(v.t, req, resp)
	}
	return resp, err
}

func brevoSpec(t testing.TB) *contract.Spec {
	// Brevo answers 401, 403 and 404 on every operation with its error
	// model, though few document them; 408, 409, 429 and 5xx bodies vary.
	return contract.Load(t, "brevo/swagger.yaml").
		AllowUndocumented("errorModel", 401, 403, 404).
		AllowUndocumented("", 408, 409, 429, 500, 502, 503, 504)
}

// start is 2026-03-10 12:00:00 UTC, on a rate-limit window boundary.
var start = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

type harness struct {
	t      *testing.T
	emu    *brevoemu.Emulator
	srv    *httptest.Server
	clock  *fakeTime
	logs   *syncBuffer
	opts   brevo.Options
	client *brevo.Client
}

// newHarness starts the Brevo emulator behind a validating transport and a
// client on it. wrap, when set, wraps the emulator's handler; opt adjusts
// the client options.
func newHarness(t *testing.T, eo brevoemu.Options, wrap func(http.Handler) http.Handler, opt func(*brevo.Options)) *harness {
	t.Helper()
	clock := &fakeTime{now: start}
	if eo.Clock == nil {
		eo.Clock = clock.Now
	}
	emu := brevoemu.New(eo)
	h := emu.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); emu.Close() })
	logs := &syncBuffer{}
	opts := brevo.Options{
		BaseURL:    srv.URL + "/v3",
		APIKey:     brevoemu.DefaultAPIKey,
		HTTPClient: &http.Client{Transport: &validatingTransport{t: t, spec: brevoSpec(t), next: http.DefaultTransport}, Timeout: 5 * time.Second},
		Logger:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:        clock.Now,
		Sleep:      clock.Sleep,
		Rand:       func() float64 { return 1 },
	}
	if len(eo.APIKeys) > 0 {
		opts.APIKey = eo.APIKeys[0]
	}
	if opt != nil {
		opt(&opts)
	}
	c, err := brevo.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, emu: emu, srv: srv, clock: clock, logs: logs, opts: opts, client: c}
}

// statuses returns the statuses the emulator answered on endpoint, in order.
func (h *harness) statuses(endpoint string) []int {
	var out []int
	for _, r := range h.emu.Requests() {
		if r.Endpoint == endpoint {
			out = append(out, r.Status)
		}
	}
	return out
}

func asError(t *testing.T, err error) *messaging.Error {
	t.Helper()
	var e *messaging.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *messaging.Error", err, err)
	}
	if e.Provider != "brevo" {
		t.Errorf("Provider = %q, want brevo", e.Provider)
	}
	return e
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func templateEmail(key, to string) messaging.Email {
	return messaging.Email{
		IdempotencyKey: key,
		To:             messaging.Address{Email: to, Name: "Jane Doe"},
		Sender:         messaging.Address{Email: "shop@example.com", Name: "Example Shop"},
		TemplateID:     7,
		Params:         map[string]any{"FNAME": "Jane", "CART_URL": "https://shop.example.com/cart/42", "TOTAL": 59.9},
		Tags:           []string{"cart-recovery", "step-1"},
	}
}

func TestSendEmailTemplateArrivesWithFields(t *testing.T) {
	h := newHarness(t, brevoemu.Options{}, nil, nil)
	res, err := h.client.SendEmail(ctx(t), templateEmail("cart-recovery/abc/42/1", "jane@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	msgs := h.emu.Messages(brevoemu.Filter{To: "jane@example.com", Channel: brevoemu.ChannelEmail})
	if len(msgs) != 1 {
		t.Fatalf("emulator has %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if res.Provider != "brevo" || res.MessageID == "" || res.MessageID != m.ID {
		t.Errorf("result %+v, emulator message id %q", res, m.ID)
	}
	if m.TemplateID != 7 || m.From != "shop@example.com" || m.FromName != "Example Shop" {
		t.Errorf("template %d from %q %q", m.TemplateID, m.From, m.FromName)
	}
	if m.IdempotencyKey != "cart-recovery/abc/42/1" {
		t.Errorf("idempotency key %q", m.IdempotencyKey)
	}
	if !slices.Equal(m.Tags, []string{"cart-recovery", "step-1"}) {
		t.Errorf("tags %v", m.Tags)
	}
	if fmt.Sprint(m.Params["FNAME"]) != "Jane" || fmt.Sprint(m.Params["CART_URL"]) != "https://shop.example.com/cart/42" || fmt.Sprint(m.Params["TOTAL"]) != "59.9" {
		t.Errorf("params %v", m.Params)
	}
	var raw map[string]any
	if err := json.Unmarshal(m.Request, &raw); err != nil {
		t.Fatal(err)
	}
	to, _ := raw["to"].([]any)
	if len(to) != 1 || fmt.Sprint(to[0]) != "map[email:jane@example.com name:Jane Doe]" {
		t.Errorf("to = %v", raw["to"])
	}
	for _, k := range []string{"htmlContent", "subject", "replyTo"} {
		if _, ok := raw[k]; ok {
			t.Errorf("request carries %s: %s", k, m.Request)
		}
	}
}

func TestSendEmailHTML(t *testing.T) {
	h := newHarness(t, brevoemu.Options{}, nil, nil)
	_, err := h.client.SendEmail(ctx(t), messaging.Email{
		IdempotencyKey: "k-html",
		To:             messaging.Address{Email: "bob@example.com"},
		Sender:         messaging.Address{Email: "shop@example.com"},
		ReplyTo:        messaging.Address{Email: "help@example.com"},
		Subject:        "You left something behind",
		HTMLContent:    "<p>Your cart misses you</p>",
	})
	if err != nil {
		t.Fatal(err)
	}
	msgs := h.emu.Messages(brevoemu.Filter{To: "bob@example.com"})
	if len(msgs) != 1 || msgs[0].Subject != "You left something behind" || msgs[0].HTMLContent != "<p>Your cart misses you</p>" || msgs[0].TemplateID != 0 {
		t.Fatalf("messages %+v", msgs)
	}
}

func TestSendEmailSameIdempotencyKeyOnce(t *testing.T) {
	h := newHarness(t, brevoemu.Options{}, nil, nil)
	e := templateEmail("cart-recovery/abc/42/1", "jane@example.com")
	first, err := h.client.SendEmail(ctx(t), e)
	if err != nil {
		t.Fatal(err)
	}
	second, err := h.client.SendEmail(ctx(t), e)
	if err != nil {
		t.Fatal(err)
	}
	if first.MessageID != second.MessageID {
		t.Errorf("message ids %q then %q, want the same", first.MessageID, second.MessageID)
	}
	if n := len(h.emu.Messages(brevoemu.Filter{})); n != 1 {
		t.Errorf("emulator has %d messages, want 1", n)
	}
	// A different key is a different message.
	third, err := h.client.SendEmail(ctx(t), templateEmail("cart-recovery/abc/42/2", "jane@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if third.MessageID == first.MessageID || len(h.emu.Messages(brevoemu.Filter{})) != 2 {
		t.Errorf("a new key did not send a new message")
	}
}

func TestSendSMSUsesSendEndpoint(t *testing.T) {
	h := newHarness(t, brevoemu.Options{}, nil, nil)
	res, err := h.client.SendSMS(ctx(t), messaging.SMS{
		IdempotencyKey: "cart-recovery/abc/42/3", Recipient: "+33612345678", Sender: "ExampleShop",
		Content: "Your cart is waiting: https://ex.co/c/42", Tag: "cart-recovery",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := h.statuses(brevoemu.EndpointSendSMS); !slices.Equal(got, []int{201}) {
		t.Errorf("/transactionalSMS/send statuses %v, want [201]", got)
	}
	if got := h.statuses(brevoemu.EndpointSendSMSLegacy); len(got) != 0 {
		t.Errorf("legacy /transactionalSMS/sms was called: %v", got)
	}
	msgs := h.emu.Messages(brevoemu.Filter{Channel: brevoemu.ChannelSMS})
	if len(msgs) != 1 {
		t.Fatalf("%d SMS, want 1", len(msgs))
	}
	m := msgs[0]
	// Brevo's SMS ids are 16-digit JSON numbers: the result keeps every digit.
	if res.MessageID != m.ID {
		t.Errorf("message id %q, emulator %q", res.MessageID, m.ID)
	}
	if !slices.Equal(m.To, []string{"33612345678"}) || m.From != "ExampleShop" || m.TextContent != "Your cart is waiting: https://ex.co/c/42" || !slices.Equal(m.Tags, []string{"cart-recovery"}) {
		t.Errorf("message %+v", m)
	}
	if !strings.Contains(string(m.Request), `"type":"transactional"`) {
		t.Errorf("request %s", m.Request)
	}
}

func TestSendWhatsAppTemplate(t *testing.T) {
	h := newHarness(t, brevoemu.Options{}, nil, nil)
	res, err := h.client.SendWhatsApp(ctx(t), messaging.WhatsApp{
		IdempotencyKey: "wa-1", Recipient: "+447700900123", SenderNumber: "+33612345678",
		TemplateID: 12, Params: map[string]any{"FNAME": "Jane"},
	})
	if err != nil {
		t.Fatal(err)
	}
	msgs := h.emu.Messages(brevoemu.Filter{Channel: brevoemu.ChannelWhatsApp})
	if len(msgs) != 1 || msgs[0].ID != res.MessageID || msgs[0].TemplateID != 12 ||
		!slices.Equal(msgs[0].To, []string{"447700900123"}) || msgs[0].From != "33612345678" || fmt.Sprint(msgs[0].Params["FNAME"]) != "Jane" {
		t.Fatalf("result %+v, messages %+v", res, msgs)
	}
}

func TestTrackEvent(t *testing.T) {
	h := newHarness(t, brevoemu.Options{}, nil, nil)
	at := time.Date(2026, 3, 9, 18, 30, 0, 0, time.FixedZone("CET", 3600))
	err := h.client.TrackEvent(ctx(t), messaging.Event{
		Name: "cart_abandoned", Email: "jane@example.com", ExtID: "bc-42",
		ContactProperties: map[string]any{"FIRSTNAME": "Jane"},
		EventProperties:   map[string]any{"cart_id": "c-1", "amount": 59.9},
		Date:              at,
	})
	if err != nil {
		t.Fatal(err)
	}
	evs := h.emu.Events(brevoemu.Filter{Name: "cart_abandoned"})
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	ev := evs[0]
	if ev.Email != "jane@example.com" || fmt.Sprint(ev.Identifiers["ext_id"]) != "bc-42" {
		t.Errorf("identifiers %v", ev.Identifiers)
	}
	if _, ok := ev.Identifiers["phone_id"]; ok {
		t.Errorf("empty phone identifier sent: %v", ev.Identifiers)
	}
	if fmt.Sprint(ev.EventProperties["cart_id"]) != "c-1" || fmt.Sprint(ev.EventProperties["amount"]) != "59.9" || fmt.Sprint(ev.ContactProperties["FIRSTNAME"]) != "Jane" {
		t.Errorf("properties %v %v", ev.EventProperties, ev.ContactProperties)
	}
	got, err := time.Parse(time.RFC3339, ev.EventDate)
	if err != nil || !got.Equal(at) {
		t.Errorf("event_date %q (%v), want %v", ev.EventDate, err, at)
	}
}

func TestUpsertContactCreateThenUpdate(t *testing.T) {
	h := newHarness(t, brevoemu.Options{}, nil, nil)
	c := messaging.Contact{
		Email: "jane@example.com", ExtID: "bc-42", FirstName: "Jane", Phone: "+33612345678",
		ListIDs: []int64{3}, Tags: []string{"vip", "repeat-buyer", "vip"},
		Attributes: map[string]any{"LOYALTY_TIER": "Silver"},
	}
	if err := h.client.UpsertContact(ctx(t), c); err != nil {
		t.Fatal(err)
	}
	c.FirstName = "Janet"
	c.ListIDs = []int64{5}
	c.Attributes = map[string]any{"LOYALTY_TIER": "Gold"}
	c.Tags = []string{"gold"}
	if err := h.client.UpsertContact(ctx(t), c); err != nil {
		t.Fatal(err)
	}
	if got := h.statuses(brevoemu.EndpointCreateContact); !slices.Equal(got, []int{201, 204}) {
		t.Errorf("POST /contacts statuses %v, want [201 204]", got)
	}
	ct, ok := h.emu.Contact("jane@example.com")
	if !ok {
		t.Fatal("contact not found")
	}
	want := map[string]string{"FIRSTNAME": "Janet", "SMS": "+33612345678", "LOYALTY_TIER": "Gold", brevo.DefaultTagsAttribute: "gold"}
	for k, v := range want {
		if fmt.Sprint(ct.Attributes[k]) != v {
			t.Errorf("attribute %s = %v, want %s (all: %v)", k, ct.Attributes[k], v, ct.Attributes)
		}
	}
	if ct.ExtID != "bc-42" || !slices.Equal(ct.ListIDs, []int64{3, 5}) {
		t.Errorf("ext id %q lists %v", ct.ExtID, ct.ListIDs)
	}
	if n := len(h.emu.Contacts()); n != 1 {
		t.Errorf("%d contacts, want 1", n)
	}

	// Nil tags leave the tag attribute alone; an empty set clears it.
	if err := h.client.UpsertContact(ctx(t), messaging.Contact{Email: "jane@example.com"}); err != nil {
		t.Fatal(err)
	}
	if ct, _ := h.emu.Contact("jane@example.com"); fmt.Sprint(ct.Attributes[brevo.DefaultTagsAttribute]) != "gold" {
		t.Errorf("nil tags changed the attribute: %v", ct.Attributes)
	}
	if err := h.client.UpsertContact(ctx(t), messaging.Contact{Email: "jane@example.com", Tags: []string{}}); err != nil {
		t.Fatal(err)
	}
	if ct, _ := h.emu.Contact("jane@example.com"); ct.Attributes[brevo.DefaultTagsAttribute] != nil {
		t.Errorf("empty tags did not clear the attribute: %v", ct.Attributes)
	}
}

func TestUpsertContactTagsSortedOnCreate(t *testing.T) {
	h := newHarness(t, brevoemu.Options{}, nil, func(o *brevo.Options) { o.TagsAttribute = "SHOP_TAGS" })
	if err := h.client.UpsertContact(ctx(t), messaging.Contact{Email: "a@example.com", Tags: []string{"vip", " repeat-buyer", "vip", ""}}); err != nil {
		t.Fatal(err)
	}
	ct, _ := h.emu.Contact("a@example.com")
	if got := fmt.Sprint(ct.Attributes["SHOP_TAGS"]); got != "repeat-buyer,vip" {
		t.Errorf("SHOP_TAGS = %q", got)
	}
}

func TestUnauthorizedIsTyped(t *testing.T) {
	h := newHarness(t, brevoemu.Options{}, nil, func(o *brevo.Options) { o.APIKey = "not-the-right-key" })
	_, err := h.client.SendEmail(ctx(t), templateEmail("k1", "jane@example.com"))
	e := asError(t, err)
	if e.Kind != messaging.KindUnauthorized || e.Status != 401 || e.Code != "unauthorized" || e.Op != "SendEmail" {
		t.Errorf("error %+v", e)
	}
	if messaging.IsRetryable(err) {
		t.Error("401 is retryable")
	}
	if got := h.statuses(brevoemu.EndpointSendEmail); !slices.Equal(got, []int{401}) {
		t.Errorf("statuses %v, want one 401 (no retry)", got)
	}
	if n := len(h.emu.Messages(brevoemu.Filter{})); n != 0 {
		t.Errorf("%d messages", n)
	}
}

func TestValidationErrorNotRetried(t *testing.T) {
	h := newHarness(t, brevoemu.Options{}, nil, nil)
	// Spec-valid (any string) but Brevo allows only letters, digits, - and _.
	err := h.client.TrackEvent(ctx(t), messaging.Event{Name: "cart abandoned", Email: "jane@example.com"})
	e := asError(t, err)
	if e.Kind != messaging.KindValidation || e.Status != 400 || e.Code != "invalid_parameter" || !strings.Contains(e.Message, "event_name") {
		t.Errorf("error %+v", e)
	}
	if messaging.IsRetryable(err) || e.Retryable() {
		t.Error("400 is retryable")
	}
	if got := h.statuses(brevoemu.EndpointEvent); !slices.Equal(got, []int{400}) {
		t.Errorf("statuses %v, want one 400", got)
	}
	if s := h.clock.Sleeps(); len(s) != 0 {
		t.Errorf("slept %v", s)
	}
}

func TestClientSideValidationSendsNothing(t *testing.T) {
	h := newHarness(t, brevoemu.Options{}, nil, nil)
	c := ctx(t)
	noKey := templateEmail("", "jane@example.com")
	both := templateEmail("k", "jane@example.com")
	both.HTMLContent = "<p>x</p>"
	_, err1 := h.client.SendEmail(c, noKey)
	_, err2 := h.client.SendEmail(c, both)
	_, err3 := h.client.SendSMS(c, messaging.SMS{IdempotencyKey: "k", Recipient: "0612345678", Sender: "Shop", Content: "hi"})
	_, err4 := h.client.SendWhatsApp(c, messaging.WhatsApp{IdempotencyKey: "k", Recipient: "+33612345678", SenderNumber: "+33612345679"})
	err5 := h.client.TrackEvent(c, messaging.Event{Name: "x"})
	err6 := h.client.UpsertContact(c, messaging.Contact{FirstName: "Jane"})
	for i, err := range []error{err1, err2, err3, err4, err5, err6} {
		if e := asError(t, err); e.Kind != messaging.KindValidation || e.Status != 0 {
			t.Errorf("case %d: %+v", i+1, e)
		}
	}
	if n := len(h.emu.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestRateLimited429ThenSuccessHonoursReset(t *testing.T) {
	h := newHarness(t, brevoemu.Options{}, nil, nil)
	h.emu.SetFaults(brevoemu.Faults{RateLimitNext: 1, Endpoint: brevoemu.EndpointSendEmail})
	res, err := h.client.SendEmail(ctx(t), templateEmail("k-429", "jane@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if got := h.statuses(brevoemu.EndpointSendEmail); !slices.Equal(got, []int{429, 201}) {
		t.Errorf("statuses %v, want [429 201]", got)
	}
	// The emulator's 429 says x-sib-ratelimit-reset: 1.
	if s := h.clock.Sleeps(); !slices.Equal(s, []time.Duration{time.Second}) {
		t.Errorf("slept %v, want [1s]", s)
	}
	if msgs := h.emu.Messages(brevoemu.Filter{}); len(msgs) != 1 || msgs[0].ID != res.MessageID {
		t.Errorf("messages %+v", msgs)
	}
}

func TestSMSRetriedAfter429(t *testing.T) {
	h := newHarness(t, brevoemu.Options{}, nil, nil)
	h.emu.SetFaults(brevoemu.Faults{RateLimitNext: 1, Endpoint: brevoemu.EndpointSendSMS})
	if _, err := h.client.SendSMS(ctx(t), messaging.SMS{IdempotencyKey: "k", Recipient: "+33612345678", Sender: "Shop", Content: "hi"}); err != nil {
		t.Fatal(err)
	}
	if got := h.statuses(brevoemu.EndpointSendSMS); !slices.Equal(got, []int{429, 201}) {
		t.Errorf("statuses %v, want [429 201]", got)
	}
}

func TestPacingFromRateLimitHeaders(t *testing.T) {
	h := newHarness(t, brevoemu.Options{
		RateLimits: map[string]int{brevoemu.EndpointSendEmail: 2},
		RateWindow: 10 * time.Second,
	}, nil, nil)
	for i := range 3 {
		if _, err := h.client.SendEmail(ctx(t), templateEmail(fmt.Sprintf("k-%d", i), "jane@example.com")); err != nil {
			t.Fatal(err)
		}
	}
	// The second answer says remaining 0, reset 10: the client waits for the
	// new window instead of collecting a 429.
	if got := h.statuses(brevoemu.EndpointSendEmail); !slices.Equal(got, []int{201, 201, 201}) {
		t.Errorf("statuses %v, want three 201", got)
	}
	if s := h.clock.Sleeps(); !slices.Equal(s, []time.Duration{10 * time.Second}) {
		t.Errorf("slept %v, want [10s]", s)
	}
	// Another endpoint has its own budget.
	if err := h.client.TrackEvent(ctx(t), messaging.Event{Name: "x", Email: "jane@example.com"}); err != nil {
		t.Fatal(err)
	}
	if s := h.clock.Sleeps(); len(s) != 1 {
		t.Errorf("events waited for the email budget: %v", s)
	}
}

func TestRateLimitResetBeyondPatienceFailsFast(t *testing.T) {
	h := newHarness(t, brevoemu.Options{
		RateLimits: map[string]int{brevoemu.EndpointEvent: 1},
		RateWindow: time.Hour,
	}, nil, nil)
	ev := messaging.Event{Name: "x", Email: "jane@example.com"}
	if err := h.client.TrackEvent(ctx(t), ev); err != nil {
		t.Fatal(err)
	}
	err := h.client.TrackEvent(ctx(t), ev)
	e := asError(t, err)
	if e.Kind != messaging.KindRateLimited || !messaging.IsRetryable(err) || e.RetryAfter != time.Hour {
		t.Errorf("error %+v", e)
	}
	if got := h.statuses(brevoemu.EndpointEvent); !slices.Equal(got, []int{204}) {
		t.Errorf("statuses %v: the client sent a request it knew would be refused", got)
	}
	if s := h.clock.Sleeps(); len(s) != 0 {
		t.Errorf("slept %v", s)
	}
}

func TestServerErrorRetriedThenGivesUp(t *testing.T) {
	h := newHarness(t, brevoemu.Options{}, nil, func(o *brevo.Options) { o.MaxAttempts = 4 })
	h.emu.SetFaults(brevoemu.Faults{ServerErrorNext: 100, ServerErrorStatus: 502})
	_, err := h.client.SendEmail(ctx(t), templateEmail("k-5xx", "jane@example.com"))
	e := asError(t, err)
	if e.Kind != messaging.KindTransient || e.Status != 502 || !messaging.IsRetryable(err) || !e.Uncertain {
		t.Errorf("error %+v", e)
	}
	if got := h.statuses(brevoemu.EndpointSendEmail); !slices.Equal(got, []int{502, 502, 502, 502}) {
		t.Errorf("statuses %v, want four 502", got)
	}
	// Rand is 1: the full exponential delay from 500ms.
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}
	if s := h.clock.Sleeps(); !slices.Equal(s, want) {
		t.Errorf("slept %v, want %v", s, want)
	}
}

func TestServerErrorThenSuccess(t *testing.T) {
	h := newHarness(t, brevoemu.Options{}, nil, func(o *brevo.Options) { o.Rand = func() float64 { return 0 } })
	h.emu.SetFaults(brevoemu.Faults{ServerErrorNext: 2})
	if _, err := h.client.SendEmail(ctx(t), templateEmail("k", "jane@example.com")); err != nil {
		t.Fatal(err)
	}
	if got := h.statuses(brevoemu.EndpointSendEmail); !slices.Equal(got, []int{500, 500, 201}) {
		t.Errorf("statuses %v", got)
	}
	// Rand 0: half the exponential delay.
	if s := h.clock.Sleeps(); !slices.Equal(s, []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}) {
		t.Errorf("slept %v", s)
	}
}

func TestBackoffStopsAtContextDeadline(t *testing.T) {
	h := newHarness(t, brevoemu.Options{}, nil, func(o *brevo.Options) { o.BaseBackoff = time.Second })
	h.emu.SetFaults(brevoemu.Faults{ServerErrorNext: 100})
	c, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	_, err := h.client.SendEmail(c, templateEmail("k", "jane@example.com"))
	if e := asError(t, err); e.Status != 500 || e.Kind != messaging.KindTransient {
		t.Errorf("error %+v", e)
	}
	// 1s fits in the deadline, the next 2s does not.
	if s := h.clock.Sleeps(); !slices.Equal(s, []time.Duration{time.Second}) {
		t.Errorf("slept %v, want [1s]", s)
	}
	if got := h.statuses(brevoemu.EndpointSendEmail); len(got) != 2 {
		t.Errorf("statuses %v, want two", got)
	}
}

func TestSMSRetriedAfterAnswered5xx(t *testing.T) {
	h := newHarness(t, brevoemu.Options{}, nil, nil)
	h.emu.SetFaults(brevoemu.Faults{ServerErrorNext: 1, Endpoint: brevoemu.EndpointSendSMS})
	if _, err := h.client.SendSMS(ctx(t), messaging.SMS{IdempotencyKey: "k", Recipient: "+33612345678", Sender: "Shop", Content: "hi"}); err != nil {
		t.Fatalf("a 500 answer means Brevo did not take the SMS; the retry must send it: %v", err)
	}
	if got := h.statuses(brevoemu.EndpointSendSMS); !slices.Equal(got, []int{500, 201}) {
		t.Errorf("statuses %v, want a 500 then a 201", got)
	}
	if n := len(h.emu.Messages(brevoemu.Filter{Channel: brevoemu.ChannelSMS})); n != 1 {
		t.Errorf("%d SMS at the emulator, want 1", n)
	}
}

func TestSMSNotRetriedAfterGatewayTimeout(t *testing.T) {
	h := newHarness(t, brevoemu.Options{}, nil, nil)
	h.emu.SetFaults(brevoemu.Faults{ServerErrorNext: 1, ServerErrorStatus: http.StatusGatewayTimeout, Endpoint: brevoemu.EndpointSendSMS})
	_, err := h.client.SendSMS(ctx(t), messaging.SMS{IdempotencyKey: "k", Recipient: "+33612345678", Sender: "Shop", Content: "hi"})
	e := asError(t, err)
	if e.Kind != messaging.KindTransient || !e.Uncertain || e.Status != 504 {
		t.Errorf("error %+v", e)
	}
	if got := h.statuses(brevoemu.EndpointSendSMS); !slices.Equal(got, []int{504}) {
		t.Errorf("statuses %v, want one 504", got)
	}
	if !strings.Contains(err.Error(), "may have been delivered") {
		t.Errorf("error text %q does not flag the uncertainty", err)
	}
}

// resetAfterRead lets the emulator handle the first n requests, then
// drops the connection without an answer, as when a connection is reset
// after the request was written.
func resetAfterRead(n int) func(http.Handler) http.Handler {
	var mu sync.Mutex
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			lose := n > 0
			n--
			mu.Unlock()
			if !lose {
				next.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(httptest.NewRecorder(), r)
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		})
	}
}

func TestSMSResetAfterWriteIsUncertain(t *testing.T) {
	h := newHarness(t, brevoemu.Options{}, resetAfterRead(1), nil)
	_, err := h.client.SendSMS(ctx(t), messaging.SMS{IdempotencyKey: "k", Recipient: "+33612345678", Sender: "Shop", Content: "hi"})
	e := asError(t, err)
	if e.Kind != messaging.KindTransient || !e.Uncertain || e.Status != 0 {
		t.Errorf("error %+v, want uncertain: the request was written", e)
	}
	if n := len(h.emu.Messages(brevoemu.Filter{Channel: brevoemu.ChannelSMS})); n != 1 {
		t.Errorf("%d SMS at the emulator, want the one whose answer was lost", n)
	}
}

func TestSMSFailedHandshakeNeverLeft(t *testing.T) {
	// TLS to a plain-HTTP server: the handshake fails before the request is
	// written, which is not a dial error; the trace still knows.
	h := newHarness(t, brevoemu.Options{}, nil, func(o *brevo.Options) { o.MaxAttempts = 1 })
	c, err := brevo.New(brevo.Options{BaseURL: strings.Replace(h.srv.URL, "http://", "https://", 1) + "/v3", APIKey: brevoemu.DefaultAPIKey,
		MaxAttempts: 1, Sleep: h.clock.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SendSMS(ctx(t), messaging.SMS{IdempotencyKey: "k", Recipient: "+33612345678", Sender: "Shop", Content: "hi"})
	if e := asError(t, err); e.Uncertain || !messaging.IsRetryable(err) {
		t.Errorf("error %+v: a request never written cannot have been delivered", e)
	}
	if n := len(h.emu.Messages(brevoemu.Filter{})); n != 0 {
		t.Errorf("%d messages at the emulator", n)
	}
}

func TestRefusalReason(t *testing.T) {
	h := newHarness(t, brevoemu.Options{}, nil, nil)
	_, err := h.client.SendEmail(ctx(t), templateEmail("k", "not-an-address"))
	reason, refused := messaging.Refusal(err)
	if !refused || !strings.HasPrefix(reason, "HTTP 400 invalid_parameter: ") {
		t.Errorf("Refusal(%v) = %q, %v", err, reason, refused)
	}
	_, err = h.client.SendSMS(ctx(t), messaging.SMS{IdempotencyKey: "k", Recipient: "+1234", Sender: "Shop", Content: "hi"})
	if reason, refused := messaging.Refusal(err); !refused || strings.Contains(reason, "1234") {
		t.Errorf("Refusal(%v) = %q, %v: want a refusal that does not repeat the number", err, reason, refused)
	}
	h.emu.SetFaults(brevoemu.Faults{ServerErrorNext: 100})
	_, err = h.client.SendEmail(ctx(t), templateEmail("k2", "jane@example.com"))
	if _, refused := messaging.Refusal(err); refused || err == nil {
		t.Errorf("Refusal(%v) = refused; a 5xx is no refusal", err)
	}
}

// lostResponse lets the emulator handle the first n requests and then hangs
// until the client gives up, as when a response is lost in transit.
func lostResponse(n int) func(http.Handler) http.Handler {
	var mu sync.Mutex
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			lose := n > 0
			n--
			mu.Unlock()
			if !lose {
				next.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(httptest.NewRecorder(), r)
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		})
	}
}

func shortTimeout(o *brevo.Options) {
	o.HTTPClient.Timeout = 300 * time.Millisecond
}

func TestEmailTimeoutRetriedWithoutDuplicate(t *testing.T) {
	h := newHarness(t, brevoemu.Options{}, lostResponse(1), shortTimeout)
	res, err := h.client.SendEmail(ctx(t), templateEmail("k-timeout", "jane@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	msgs := h.emu.Messages(brevoemu.Filter{})
	if len(msgs) != 1 || msgs[0].ID != res.MessageID {
		t.Errorf("messages %+v, result %+v: the retry duplicated or lost the email", msgs, res)
	}
	if s := h.clock.Sleeps(); len(s) != 1 {
		t.Errorf("slept %v, want one backoff", s)
	}
}

func TestSMSTimeoutIsUncertainAndNotRetried(t *testing.T) {
	h := newHarness(t, brevoemu.Options{}, lostResponse(1), shortTimeout)
	_, err := h.client.SendSMS(ctx(t), messaging.SMS{IdempotencyKey: "k", Recipient: "+33612345678", Sender: "Shop", Content: "hi"})
	e := asError(t, err)
	if e.Kind != messaging.KindTransient || !e.Uncertain || e.Status != 0 {
		t.Errorf("error %+v", e)
	}
	if n := len(h.emu.Messages(brevoemu.Filter{Channel: brevoemu.ChannelSMS})); n != 1 {
		t.Errorf("%d SMS at the emulator, want exactly the one whose answer was lost", n)
	}
}

func TestConnectionRefusedRetriedForSMS(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL
	dead.Close()
	h := newHarness(t, brevoemu.Options{}, nil, func(o *brevo.Options) {
		o.BaseURL = url + "/v3"
		o.MaxAttempts = 3
	})
	_, err := h.client.SendSMS(ctx(t), messaging.SMS{IdempotencyKey: "k", Recipient: "+33612345678", Sender: "Shop", Content: "hi"})
	e := asError(t, err)
	if e.Kind != messaging.KindTransient || e.Uncertain || !messaging.IsRetryable(err) {
		t.Errorf("error %+v", e)
	}
	if s := h.clock.Sleeps(); len(s) != 2 {
		t.Errorf("slept %v, want two backoffs (the request never left)", s)
	}
}

func TestCancelledContext(t *testing.T) {
	h := newHarness(t, brevoemu.Options{}, nil, nil)
	c, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := h.client.SendEmail(c, templateEmail("k", "jane@example.com"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not wrap context.Canceled", err)
	}
	if e := asError(t, err); e.Uncertain || e.Kind != messaging.KindTransient {
		t.Errorf("error %+v: a request never sent cannot have been delivered", e)
	}
	if s := h.clock.Sleeps(); len(s) != 0 {
		t.Errorf("slept %v after cancellation", s)
	}
	if n := len(h.emu.Requests()); n != 0 {
		t.Errorf("%d requests sent with a cancelled context", n)
	}
}

func TestAPIKeyNeverInErrorsOrLogs(t *testing.T) {
	const key = "xkeysib-0123456789abcdef-SECRET"
	h := newHarness(t, brevoemu.Options{APIKeys: []string{key}}, func(next http.Handler) http.Handler {
		// A misbehaving server that echoes the key in its error message.
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/whatsapp/sendMessage") {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, `{"code":"invalid_parameter","message":"key %s has no WhatsApp sender"}`, r.Header.Get("api-key"))
				return
			}
			next.ServeHTTP(w, r)
		})
	}, nil)
	c := ctx(t)
	var errs []error
	_, err := h.client.SendWhatsApp(c, messaging.WhatsApp{IdempotencyKey: "k", Recipient: "+33612345678", SenderNumber: "+33612345679", Text: "hi"})
	errs = append(errs, err)
	if e := asError(t, err); !strings.Contains(e.Message, "[redacted]") {
		t.Errorf("echoed key not redacted: %q", e.Message)
	}
	h.emu.SetFaults(brevoemu.Faults{ServerErrorNext: 100})
	_, err = h.client.SendEmail(c, templateEmail("k", "jane@example.com"))
	errs = append(errs, err)
	h.emu.SetFaults(brevoemu.Faults{})
	errs = append(errs, h.client.TrackEvent(c, messaging.Event{Name: "bad name", Email: "jane@example.com"}))
	if _, err := h.client.SendEmail(c, templateEmail("k2", "jane@example.com")); err != nil {
		t.Fatal(err)
	}
	for _, err := range errs {
		if err == nil {
			t.Fatal("expected an error")
		}
		if s := fmt.Sprintf("%v %+v %#v", err, err, err); strings.Contains(s, key) {
			t.Errorf("error leaks the key: %s", s)
		}
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "brevo: request") || !strings.Contains(logs, "brevo: retrying") {
		t.Errorf("expected request and retry log lines, got:\n%s", logs)
	}
	if strings.Contains(logs, key) {
		t.Errorf("logs leak the key:\n%s", logs)
	}
	if s := fmt.Sprintf("%v %+v %#v %v %+v %#v", h.client, h.client, h.client, h.opts, h.opts, h.opts); strings.Contains(s, key) {
		t.Errorf("printing the client or options leaks the key: %s", s)
	}
}

func TestConcurrentSendsUnderRateLimit(t *testing.T) {
	h := newHarness(t, brevoemu.Options{
		RateLimits: map[string]int{brevoemu.EndpointSendEmail: 3},
		RateWindow: time.Second,
	}, nil, func(o *brevo.Options) { o.MaxAttempts = 20 })
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for i := range 12 {
		wg.Go(func() {
			_, err := h.client.SendEmail(ctx(t), templateEmail(fmt.Sprintf("k-%d", i), "jane@example.com"))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := len(h.emu.Messages(brevoemu.Filter{})); n != 12 {
		t.Errorf("%d messages, want 12", n)
	}
}

func TestNewValidatesOptions(t *testing.T) {
	if _, err := brevo.New(brevo.Options{}); err == nil {
		t.Error("missing API key accepted")
	}
	if _, err := brevo.New(brevo.Options{APIKey: "k", BaseURL: "api.brevo.com/v3"}); err == nil {
		t.Error("relative base URL accepted")
	}
	if _, err := brevo.New(brevo.Options{APIKey: "k"}); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

// A 408 or a 409 is retryable (#10.3: only what can never succeed is
// permanent), and since Brevo answered that it did not take the request,
// even an SMS is retried in-process without being uncertain.
func TestRequestTimeoutAndConflictRetried(t *testing.T) {
	for _, status := range []int{http.StatusRequestTimeout, http.StatusConflict} {
		var failed atomic.Int32
		h := newHarness(t, brevoemu.Options{}, func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if failed.Add(1) == 1 {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(status)
					_, _ = w.Write([]byte(`{"code":"conflict","message":"try again"}`))
					return
				}
				next.ServeHTTP(w, r)
			})
		}, nil)
		if _, err := h.client.SendSMS(ctx(t), messaging.SMS{IdempotencyKey: "k", Recipient: "+33612345678", Sender: "Shop", Content: "hi"}); err != nil {
			t.Fatalf("%d: not retried: %v", status, err)
		}
		if n := len(h.emu.Messages(brevoemu.Filter{Channel: brevoemu.ChannelSMS})); n != 1 || failed.Load() != 2 {
			t.Errorf("%d: %d SMS after %d requests, want 1 after 2", status, n, failed.Load())
		}

		// Out of attempts, the error is still retryable for the caller.
		h = newHarness(t, brevoemu.Options{}, func(http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				_, _ = w.Write([]byte(`{"code":"conflict","message":"try again"}`))
			})
		}, func(o *brevo.Options) { o.MaxAttempts = 2 })
		err := h.client.TrackEvent(ctx(t), messaging.Event{Name: "cart_abandoned", Email: "jane@example.com"})
		if e := asError(t, err); e.Kind != messaging.KindTransient || e.Uncertain || e.Status != status || !messaging.IsRetryable(err) {
			t.Errorf("%d: error %+v", status, e)
		}
	}
}
