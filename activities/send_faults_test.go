package activities

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/emulator/bcemu"
	"github.com/bcflow/bcflow/emulator/brevoemu"
	"github.com/bcflow/bcflow/messaging/brevo"
	"github.com/bcflow/bcflow/store"
)

// faultTransport stands between the Brevo client and the emulator and
// injects the network failures the emulator's own knobs cannot: a refused
// connection (the request never leaves) and a lost answer (the emulator
// handles the request, the client never hears back).
type faultTransport struct {
	mu      sync.Mutex
	refuse  int // the next n requests dial a closed port
	lose    int // the next n requests reach the emulator, then their answer is lost
	next    http.RoundTripper
	refused http.RoundTripper
}

func newFaultTransport(t *testing.T) *faultTransport {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	return &faultTransport{
		next: &http.Transport{},
		refused: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, dead)
		}},
	}
}

func (f *faultTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	refuse, lose := f.refuse > 0, f.refuse == 0 && f.lose > 0
	if refuse {
		f.refuse--
	} else if lose {
		f.lose--
	}
	f.mu.Unlock()
	if refuse {
		return f.refused.RoundTrip(req)
	}
	resp, err := f.next.RoundTrip(req)
	if err != nil || !lose {
		return resp, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return nil, &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
}

// faulty gives the world a Brevo client that makes one request per call
// (each activity attempt meets the fault; Temporal's retry is the next
// call) through a faultTransport.
func (w *world) faulty(t *testing.T) *faultTransport {
	t.Helper()
	ft := newFaultTransport(t)
	c, err := brevo.New(brevo.Options{BaseURL: w.brevoURL, APIKey: w.emu.Brevo().APIKeys()[0], HTTPClient: &http.Client{Transport: ft},
		MaxAttempts: 1, Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	w.acts.Messaging = c
	return ft
}

func smsInput(w *world, key string) SendInput {
	return SendInput{IdempotencyKey: key, StoreHash: w.hash, Shopper: Shopper{CustomerID: 3, Phone: "+15550100"},
		Channel: config.ChannelSMS, Template: config.Template{Body: "cart {{.CartURL}}"}, Params: map[string]any{"CartURL": "u"}}
}

func emailInput(w *world, key, to string) SendInput {
	return SendInput{IdempotencyKey: key, StoreHash: w.hash, Shopper: Shopper{CustomerID: 3, Email: to},
		Channel: config.ChannelEmail, Template: config.Template{Subject: "Hi", Body: "<p>cart</p>"}}
}

// wantRetryable fails unless err is an error Temporal retries.
func wantRetryable(t *testing.T, err error) {
	t.Helper()
	var ae *temporal.ApplicationError
	if err == nil || errors.As(err, &ae) && ae.NonRetryable() {
		t.Fatalf("error %v, want a retryable error", err)
	}
}

func (w *world) status(t *testing.T, key string) string {
	t.Helper()
	m, err := w.acts.Store.GetMessage(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return m.Status
}

func (w *world) count(channel string) int {
	return len(w.emu.Brevo().Messages(brevoemu.Filter{Channel: channel}))
}

func TestSendRetriedAfterConnectionRefused(t *testing.T) {
	for _, channel := range []config.Channel{config.ChannelSMS, config.ChannelEmail} {
		t.Run(string(channel), func(t *testing.T) {
			w := newWorld(t)
			ft := w.faulty(t)
			ft.refuse = 1
			in := smsInput(w, "cart/x/c1/step")
			if channel == config.ChannelEmail {
				in = emailInput(w, "cart/x/c1/step", "ann@example.com")
			}
			_, err := w.acts.SendMessage(context.Background(), in)
			wantRetryable(t, err)
			if got := w.status(t, in.IdempotencyKey); got != store.MessageReserved {
				t.Fatalf("row %s after a request that never left, want reserved", got)
			}
			out, err := w.acts.SendMessage(context.Background(), in) // Temporal's retry
			if err != nil || out.Status != SendSent || out.ProviderMessageID == "" {
				t.Fatalf("retry = %+v, %v; want it sent", out, err)
			}
			if n := w.count(string(channel)); n != 1 {
				t.Fatalf("%d messages at Brevo, want 1", n)
			}
		})
	}
}

func TestSMSRetriedAfter5xxAnswer(t *testing.T) {
	w := newWorld(t)
	w.faulty(t)
	w.emu.Brevo().SetFaults(brevoemu.Faults{ServerErrorNext: 1, ServerErrorStatus: http.StatusServiceUnavailable, Endpoint: brevoemu.EndpointSendSMS})
	in := smsInput(w, "cart/x/c1/sms")
	_, err := w.acts.SendMessage(context.Background(), in)
	wantRetryable(t, err)
	out, err := w.acts.SendMessage(context.Background(), in)
	if err != nil || out.Status != SendSent {
		t.Fatalf("retry after a 503 = %+v, %v; want it sent", out, err)
	}
	if out, err := w.acts.SendMessage(context.Background(), in); err != nil || out.Status != SendAlreadySent {
		t.Fatalf("later retry = %+v, %v", out, err)
	}
	if n := w.count(brevoemu.ChannelSMS); n != 1 {
		t.Fatalf("%d SMS at Brevo, want 1", n)
	}
}

func TestSMSAnswerLostIsUnknownAndNeverResent(t *testing.T) {
	for _, channel := range []config.Channel{config.ChannelSMS, config.ChannelWhatsApp} {
		t.Run(string(channel), func(t *testing.T) {
			w := newWorld(t)
			w.acts.Sender.WhatsApp = "+15550199"
			ft := w.faulty(t)
			ft.lose = 1
			in := smsInput(w, "cart/x/c1/step")
			in.Channel = channel
			out, err := w.acts.SendMessage(context.Background(), in)
			if err != nil || out.Status != SendUnknown {
				t.Fatalf("send whose answer was lost = %+v, %v; want unknown", out, err)
			}
			if got := w.status(t, in.IdempotencyKey); got != store.MessageUnknown {
				t.Fatalf("row %s, want unknown", got)
			}
			for range 2 { // retries of the activity, later rounds of the flow
				if out, err := w.acts.SendMessage(context.Background(), in); err != nil || out.Status != SendUnknown {
					t.Fatalf("retry = %+v, %v; want unknown", out, err)
				}
			}
			if n := w.count(string(channel)); n != 1 {
				t.Fatalf("%d messages at Brevo, want only the one whose answer was lost", n)
			}
		})
	}
}

func TestEmailAnswerLostResendsWithTheSameKey(t *testing.T) {
	w := newWorld(t)
	ft := w.faulty(t)
	ft.lose = 1
	in := emailInput(w, "cart/x/c1/reminder", "ann@example.com")
	_, err := w.acts.SendMessage(context.Background(), in)
	wantRetryable(t, err)
	if got := w.status(t, in.IdempotencyKey); got != store.MessageAttempting {
		t.Fatalf("row %s, want attempting (the retry resends)", got)
	}
	out, err := w.acts.SendMessage(context.Background(), in)
	if err != nil || out.Status != SendSent {
		t.Fatalf("retry = %+v, %v", out, err)
	}
	msgs := w.emu.Brevo().Messages(brevoemu.Filter{Channel: brevoemu.ChannelEmail})
	if len(msgs) != 1 || msgs[0].ID != out.ProviderMessageID || msgs[0].IdempotencyKey != in.IdempotencyKey {
		t.Fatalf("emails %+v, outcome %+v: want one, found again by its key", msgs, out)
	}
}

func TestSendRefusedIsAnOutcomeWithTheReason(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	cases := []struct {
		name string
		in   SendInput
		want string
	}{
		{"brevo 400 invalid address", emailInput(w, "k-email", "not-an-address"), "HTTP 400 invalid_parameter"},
		{"invalid phone number", func() SendInput { in := smsInput(w, "k-sms"); in.Shopper.Phone = "+1234"; return in }(), "E.164"},
		{"template does not render", func() SendInput {
			in := emailInput(w, "k-tpl", "ann@example.com")
			in.Template.Body = "{{.Broken"
			return in
		}(), "template:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for range 2 { // the retry answers the same
				out, err := w.acts.SendMessage(ctx, c.in)
				if err != nil || out.Status != SendRefused || !strings.Contains(out.Reason, c.want) {
					t.Fatalf("SendMessage = %+v, %v; want refused with %q", out, err, c.want)
				}
			}
			if got := w.status(t, c.in.IdempotencyKey); got != store.MessageRefused {
				t.Fatalf("row %s, want refused", got)
			}
		})
	}
	if n := len(w.emu.Brevo().Messages(brevoemu.Filter{})); n != 0 {
		t.Fatalf("%d messages at Brevo", n)
	}
}

func TestTrackEventOnceAcrossRetries(t *testing.T) {
	w := newWorld(t)
	w.faulty(t)
	ctx := context.Background()
	w.emu.Brevo().SetFaults(brevoemu.Faults{ServerErrorNext: 1, Endpoint: brevoemu.EndpointEvent})
	in := EventInput{StoreHash: w.hash, Name: "bcorder_new_customer", Email: "ann@example.com", Key: "order/x/1/bcorder_new_customer",
		Properties: map[string]any{"order_id": 1}}
	wantRetryable(t, w.acts.TrackEvent(ctx, in))
	claim, err := w.acts.Store.GetEventClaim(ctx, w.hash, in.Key)
	if err != nil || claim.Status != store.EventClaimed {
		t.Fatalf("claim after a failed track = %+v, %v; want claimed, unconfirmed", claim, err)
	}
	for range 3 { // the retry that tracks, then retries after a lost completion
		if err := w.acts.TrackEvent(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	if evs := w.emu.Brevo().Events(brevoemu.Filter{Name: in.Name}); len(evs) != 1 {
		t.Fatalf("%d events at Brevo, want 1", len(evs))
	}
	if claim, err := w.acts.Store.GetEventClaim(ctx, w.hash, in.Key); err != nil || claim.Status != store.EventConfirmed {
		t.Fatalf("claim = %+v, %v; want confirmed", claim, err)
	}
	// Another key is another event.
	in.Key = "order/x/2/bcorder_new_customer"
	if err := w.acts.TrackEvent(ctx, in); err != nil {
		t.Fatal(err)
	}
	if evs := w.emu.Brevo().Events(brevoemu.Filter{Name: in.Name}); len(evs) != 2 {
		t.Fatalf("%d events at Brevo, want 2", len(evs))
	}
}

func TestSMSRacingAttemptsSendOnce(t *testing.T) {
	w := newWorld(t)
	in := smsInput(w, "cart/x/c1/sms")
	var wg sync.WaitGroup
	for range 8 { // attempts overlapping after an activity timeout
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := w.acts.SendMessage(context.Background(), in)
			if err != nil || out.Status != SendSent && out.Status != SendUnknown && out.Status != SendAlreadySent {
				t.Errorf("SendMessage = %+v, %v", out, err)
			}
		}()
	}
	wg.Wait()
	if n := w.count(brevoemu.ChannelSMS); n != 1 {
		t.Fatalf("%d SMS at Brevo, want 1", n)
	}
	if got := w.status(t, in.IdempotencyKey); got != store.MessageSent {
		t.Fatalf("row %s, want sent: the provider's answer wins", got)
	}
}

// bcFaults answers the next n coupon-code creations with a 500 without
// passing them on, then lets the next lose its answer after the emulator
// created the code.
type bcFaults struct {
	mu       sync.Mutex
	fail     int
	lose     int
	next     http.RoundTripper
	attempts int
}

func (f *bcFaults) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPost || !strings.HasSuffix(req.URL.Path, "/codes") {
		return f.next.RoundTrip(req)
	}
	f.mu.Lock()
	f.attempts++
	fail, lose := f.fail > 0, f.fail == 0 && f.lose > 0
	if fail {
		f.fail--
	} else if lose {
		f.lose--
	}
	f.mu.Unlock()
	if fail {
		return &http.Response{StatusCode: http.StatusInternalServerError, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(`{"status":500,"title":"Internal Server Error"}`)), Request: req}, nil
	}
	resp, err := f.next.RoundTrip(req)
	if err != nil || !lose {
		return resp, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return nil, &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
}

func TestEnsureCouponSafeAfter5xxAndLostAnswer(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	faults := &bcFaults{fail: 1, lose: 1, next: &http.Transport{}}
	info := w.emu.BigCommerce().Stores()[0]
	bc, err := bigcommerce.New(bigcommerce.Options{BaseURL: strings.TrimSuffix(w.brevoURL, "/v3"), StoreHash: info.Hash, AccessToken: info.AccessToken,
		HTTPClient: &http.Client{Transport: faults}, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	w.acts.BigCommerce[w.hash] = bc
	in := CouponInput{StoreHash: w.hash, Code: "BCF-0123456789", Percent: 15}
	// Temporal retries the activity: a 500 (nothing created), a lost answer
	// (created), then a retry that meets 409 Conflict and takes the code.
	for i := range 2 {
		_, err := w.acts.EnsureCoupon(ctx, in)
		wantRetryable(t, err)
		if faults.attempts != i+1 {
			t.Fatalf("attempt %d made %d code requests", i+1, faults.attempts)
		}
	}
	c, err := w.acts.EnsureCoupon(ctx, in)
	if err != nil || c.Code != in.Code {
		t.Fatalf("EnsureCoupon after a lost answer = %+v, %v", c, err)
	}
	emu := w.emu.BigCommerce()
	cust, err := emu.CreateCustomer(w.hash, bcemu.CustomerInput{Email: "c@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	cart, err := emu.CreateCart(w.hash, bcemu.CartInput{CustomerID: cust.ID, Items: []bcemu.ItemInput{{SKU: "TEE-M", Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if order, err := emu.Checkout(w.hash, cart.ID, bcemu.CheckoutInput{CouponCode: in.Code}); err != nil || order.Discount <= 0 {
		t.Fatalf("checkout with the coupon: %+v, %v", order, err)
	}
}

func TestEventConfirmed(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	in := EventInput{StoreHash: w.hash, Name: "order_shipped", Email: "ann@example.com", Key: "order/x/1/status:Shipped/order_shipped"}
	if ok, err := w.acts.EventConfirmed(ctx, in); err != nil || ok {
		t.Fatalf("before tracking: %v, %v", ok, err)
	}
	w.emu.Brevo().SetFaults(brevoemu.Faults{ServerErrorNext: 100, Endpoint: brevoemu.EndpointEvent})
	w.faulty(t)
	wantRetryable(t, w.acts.TrackEvent(ctx, in))
	if ok, err := w.acts.EventConfirmed(ctx, in); err != nil || ok {
		t.Fatalf("after a failed track: %v, %v; want false, so that it is tracked again", ok, err)
	}
	w.emu.Brevo().SetFaults(brevoemu.Faults{})
	if err := w.acts.TrackEvent(ctx, in); err != nil {
		t.Fatal(err)
	}
	if ok, err := w.acts.EventConfirmed(ctx, in); err != nil || !ok {
		t.Fatalf("after tracking: %v, %v", ok, err)
	}
}
