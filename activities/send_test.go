package activities

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/emulator/bcemu"
	"github.com/bcflow/bcflow/emulator/brevoemu"
	"github.com/bcflow/bcflow/store"
)

func TestSendMessageExactlyOnceUnderRetriesAndRaces(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	in := SendInput{
		IdempotencyKey: "cart/x/c1/reminder", StoreHash: w.hash, WorkflowID: "cart/x/c1", Step: "reminder",
		Shopper: Shopper{CustomerID: 7, Email: "ann@example.com", FirstName: "Ann"}, Channel: config.ChannelEmail,
		Template: config.Template{Subject: "Hi {{.FirstName}}", Body: "<p>{{.FirstName}} at {{.StoreName}}: <a href='{{.CartURL}}'>cart</a></p>"},
		Params:   map[string]any{"FirstName": "Ann", "CartURL": "https://shop/x?a=1&b=<2>"},
	}
	// Eight concurrent attempts of the same send (retries racing a restart).
	var wg sync.WaitGroup
	outs := make([]SendOutcome, 8)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := w.acts.SendMessage(ctx, in)
			if err != nil {
				t.Error(err)
			}
			outs[i] = out
		}()
	}
	wg.Wait()
	msgs := w.emu.Brevo().Messages(brevoemu.Filter{To: "ann@example.com"})
	if len(msgs) != 1 {
		t.Fatalf("%d emails at Brevo, want 1", len(msgs))
	}
	if msgs[0].Subject != "Hi Ann" || !strings.Contains(msgs[0].HTMLContent, "Test Shop") || !strings.Contains(msgs[0].HTMLContent, "a=1&amp;b=%3c2%3e") {
		t.Fatalf("rendered email: %q / %q", msgs[0].Subject, msgs[0].HTMLContent)
	}
	for _, o := range outs {
		if o.ProviderMessageID != msgs[0].ID && o.Status != SendAlreadySent {
			t.Fatalf("outcome %+v does not point at the one message %s", o, msgs[0].ID)
		}
	}
	// Later retry: already sent, nothing new.
	out, err := w.acts.SendMessage(ctx, in)
	if err != nil || out.Status != SendAlreadySent || out.ProviderMessageID != msgs[0].ID {
		t.Fatalf("retry = %+v, %v", out, err)
	}
	m, err := w.acts.Store.GetMessage(ctx, in.IdempotencyKey)
	if err != nil || m.Status != store.MessageSent || m.ProviderMessageID != msgs[0].ID {
		t.Fatalf("messages row = %+v, %v", m, err)
	}
}

func TestSendMessageHonoursSuppressions(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if err := w.acts.Store.AddSuppression(ctx, store.Suppression{StoreHash: store.AllStores, Email: "gone@example.com", Reason: "unsubscribed"}); err != nil {
		t.Fatal(err)
	}
	out, err := w.acts.SendMessage(ctx, SendInput{IdempotencyKey: "k", StoreHash: w.hash, Shopper: Shopper{Email: "Gone@Example.com"},
		Channel: config.ChannelEmail, Template: config.Template{Subject: "s", Body: "b"}})
	if err != nil || out.Status != SendSuppressed {
		t.Fatalf("suppressed send = %+v, %v", out, err)
	}
	if n := len(w.emu.Brevo().Messages(brevoemu.Filter{})); n != 0 {
		t.Fatalf("%d messages sent to a suppressed address", n)
	}
}

// A retry of a send that went out, after the shopper unsubscribed, reports
// the send that happened, not a suppression.
func TestSendRetryAfterUnsubscribeReportsTheRealSend(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	in := SendInput{IdempotencyKey: "k2", StoreHash: w.hash, Shopper: Shopper{Email: "later@example.com"},
		Channel: config.ChannelEmail, Template: config.Template{Subject: "s", Body: "b"}}
	first, err := w.acts.SendMessage(ctx, in)
	if err != nil || first.Status != SendSent {
		t.Fatalf("first send = %+v, %v", first, err)
	}
	if err := w.acts.Store.AddSuppression(ctx, store.Suppression{StoreHash: store.AllStores, Email: "later@example.com", Reason: "unsubscribed"}); err != nil {
		t.Fatal(err)
	}
	retry, err := w.acts.SendMessage(ctx, in)
	if err != nil || retry.Status != SendAlreadySent || retry.ProviderMessageID != first.ProviderMessageID {
		t.Fatalf("retry after unsubscribe = %+v, %v; want already sent %s", retry, err, first.ProviderMessageID)
	}
}

func TestSendSMSIsNeverRepeatedWhenAnEarlierAttemptMayHaveGone(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	in := SendInput{IdempotencyKey: "cart/x/c1/sms", StoreHash: w.hash, Shopper: Shopper{CustomerID: 3, Phone: "+15550100"},
		Channel: config.ChannelSMS, Template: config.Template{Body: "cart {{.CartURL}}"}, Params: map[string]any{"CartURL": "u"}}
	// An earlier attempt took the key and crashed while its request was in flight.
	if _, _, err := w.acts.Store.ReserveMessage(ctx, store.Message{IdempotencyKey: in.IdempotencyKey, StoreHash: w.hash, Channel: "sms"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.acts.Store.StartMessageAttempt(ctx, in.IdempotencyKey, time.Now()); err != nil {
		t.Fatal(err)
	}
	out, err := w.acts.SendMessage(ctx, in)
	if err != nil || out.Status != SendUnknown {
		t.Fatalf("retry after an unknown SMS attempt = %+v, %v", out, err)
	}
	if n := len(w.emu.Brevo().Messages(brevoemu.Filter{Channel: "sms"})); n != 0 {
		t.Fatalf("%d SMS sent, want 0", n)
	}
	// A fresh key sends exactly once.
	in.IdempotencyKey = "cart/x/c2/sms"
	if out, err := w.acts.SendMessage(ctx, in); err != nil || out.Status != SendSent {
		t.Fatalf("first SMS = %+v, %v", out, err)
	}
	if out, err := w.acts.SendMessage(ctx, in); err != nil || out.Status != SendAlreadySent {
		t.Fatalf("SMS retry = %+v, %v", out, err)
	}
	if n := len(w.emu.Brevo().Messages(brevoemu.Filter{Channel: "sms"})); n != 1 {
		t.Fatalf("%d SMS sent, want 1", n)
	}
}

func TestEnsureCouponIsIdempotentAndUsable(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	in := CouponInput{StoreHash: w.hash, Code: "BCF-ABCDEF0123", Percent: 10, ExpiresAt: time.Now().Add(7 * 24 * time.Hour)}
	for range 3 { // first call and two retries
		c, err := w.acts.EnsureCoupon(ctx, in)
		if err != nil || c.Code != in.Code {
			t.Fatalf("EnsureCoupon = %+v, %v", c, err)
		}
	}
	bc := w.emu.BigCommerce()
	cust, err := bc.CreateCustomer(w.hash, bcemu.CustomerInput{Email: "c@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	cart, err := bc.CreateCart(w.hash, bcemu.CartInput{CustomerID: cust.ID, Items: []bcemu.ItemInput{{SKU: "TEE-M", Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	order, err := bc.Checkout(w.hash, cart.ID, bcemu.CheckoutInput{CouponCode: in.Code})
	if err != nil {
		t.Fatalf("checkout with the coupon: %v", err)
	}
	if order.Discount <= 0 || len(order.Coupons) != 1 {
		t.Fatalf("order %+v: the coupon gave no discount", order)
	}
	// A second promotion for another percentage, the first one reused.
	if _, err := w.acts.EnsureCoupon(ctx, CouponInput{StoreHash: w.hash, Code: "BCF-OTHER", Percent: 10}); err != nil {
		t.Fatal(err)
	}
}

func TestLoadCartReadsTheTruth(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	bc := w.emu.BigCommerce()
	no := false
	cust, err := bc.CreateCustomer(w.hash, bcemu.CustomerInput{Email: "dee@example.com", FirstName: "Dee", AcceptsAbandonedCartEmails: &no})
	if err != nil {
		t.Fatal(err)
	}
	cart, err := bc.CreateCart(w.hash, bcemu.CartInput{CustomerID: cust.ID, Items: []bcemu.ItemInput{{SKU: "TEE-M", Quantity: 3}}})
	if err != nil {
		t.Fatal(err)
	}
	token, err := bc.AbandonCart(w.hash, cart.ID)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := w.acts.LoadCart(ctx, LoadCartInput{CartRef: CartRef{StoreHash: w.hash, CartID: cart.ID}, Token: token, WithRecoveryURL: true})
	if err != nil {
		t.Fatal(err)
	}
	if !snap.Exists || snap.ItemCount != 3 || snap.Shopper.FirstName != "Dee" || snap.Shopper.AcceptsAbandonedCartEmails ||
		snap.Items[0].SKU != "TEE-M" || !strings.Contains(snap.RecoveryURL, token) || snap.Currency != "USD" {
		t.Fatalf("snapshot = %+v", snap)
	}
	if _, err := bc.Checkout(w.hash, cart.ID, bcemu.CheckoutInput{}); err != nil {
		t.Fatal(err)
	}
	snap, err = w.acts.LoadCart(ctx, LoadCartInput{CartRef: CartRef{StoreHash: w.hash, CartID: cart.ID}})
	if err != nil || snap.OrderID == 0 {
		t.Fatalf("after checkout: %+v, %v (want the order found by cart_id)", snap, err)
	}
	snap, err = w.acts.LoadCart(ctx, LoadCartInput{CartRef: CartRef{StoreHash: w.hash, CartID: "00000000-0000-0000-0000-000000000000"}})
	if err != nil || snap.Exists {
		t.Fatalf("unknown cart: %+v, %v", snap, err)
	}
}

func TestCheckSendWindowQuietHoursAndCaps(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 2, 22, 0, 0, 0, time.UTC)
	qh := &config.QuietHours{Start: config.TimeOfDay{Hour: 21}, End: config.TimeOfDay{Hour: 8}, Timezone: "UTC"}
	win, err := w.acts.CheckSendWindow(ctx, SendWindowInput{StoreHash: w.hash, CustomerKey: "c:1", Channel: config.ChannelEmail, At: at, QuietHours: qh})
	if err != nil || !win.DeferUntil.Equal(time.Date(2026, 11, 3, 8, 0, 0, 0, time.UTC)) || win.Reason != "quiet hours" {
		t.Fatalf("quiet hours: %+v, %v", win, err)
	}
	caps := []config.FrequencyCap{{Channel: config.ChannelEmail, Max: 2, Per: config.Duration(24 * time.Hour)}}
	for i, key := range []string{"k1", "k2"} {
		if _, _, err := w.acts.Store.ReserveMessage(ctx, store.Message{IdempotencyKey: key, StoreHash: w.hash, CustomerKey: "c:1", Channel: "email"}); err != nil {
			t.Fatal(err)
		}
		if err := w.acts.Store.MarkMessageSent(ctx, key, "m", at.Add(-time.Duration(i+1)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	noon := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	win, err = w.acts.CheckSendWindow(ctx, SendWindowInput{StoreHash: w.hash, CustomerKey: "c:1", Channel: config.ChannelEmail, At: noon, Caps: caps})
	if err != nil || win.DeferUntil.IsZero() || !strings.Contains(win.Reason, "frequency cap") {
		t.Fatalf("cap reached: %+v, %v", win, err)
	}
	win, err = w.acts.CheckSendWindow(ctx, SendWindowInput{StoreHash: w.hash, CustomerKey: "c:1", Channel: config.ChannelSMS, At: noon, Caps: caps})
	if err != nil || !win.DeferUntil.IsZero() {
		t.Fatalf("other channel capped: %+v, %v", win, err)
	}
}
