package brevoemu

import (
	"context"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

// gate is an Options.Sleep that blocks until the test opens it.
type gate struct {
	waiting chan time.Duration
	open    chan struct{}
}

func newGate() *gate { return &gate{waiting: make(chan time.Duration, 16), open: make(chan struct{})} }

func (g *gate) sleep(_ context.Context, d time.Duration) {
	g.waiting <- d
	<-g.open
}

const linkEmail = `{"sender":{"email":"shop@example.com"},"to":[{"email":"ann@example.com"}],"subject":"Your cart",` +
	`"htmlContent":"<p><a href=\"https://shop.example/cart?id=1\">Back</a> <a href='https://shop.example/2'>2</a></p>","tags":["bcflow","reminder"]}`

// An accepted email is reported "delivered" to a webhook subscribed to it,
// after the send has answered (the send never waits for the receiver), with
// Brevo's transactional payload for that message; a webhook not subscribed
// to "delivered" gets nothing.
func TestDeliveredWebhookAfterASend(t *testing.T) {
	rc := &received{}
	hook := newHook(t, rc)
	g := newGate()
	v := newEnv(t, Options{Sleep: g.sleep})
	if err := v.e.SetWebhook(&WebhookConfig{URL: hook, Events: []string{WebhookDelivered, WebhookOpened}}); err != nil {
		t.Fatal(err)
	}
	id := v.call("POST", "/v3/smtp/email", linkEmail, true).json(t)["messageId"]
	// The send answered while the delivery waits: nothing delivered yet.
	if d := <-g.waiting; d != DefaultDeliveredDelay {
		t.Fatalf("delivered after %s, want %s", d, DefaultDeliveredDelay)
	}
	if ds := v.e.WebhookDeliveries(); len(ds) != 0 {
		t.Fatalf("delivered before the wait: %+v", ds)
	}
	close(g.open)
	v.e.WaitWebhooks()
	ds := v.e.WebhookDeliveries()
	if len(ds) != 1 || ds[0].Status != 200 || ds[0].Error != "" {
		t.Fatalf("deliveries %+v", ds)
	}
	p := ds[0].Payload
	now := v.clock.Now()
	for k, want := range map[string]any{"event": "delivered", "email": "ann@example.com", "message-id": id, "ts_event": now.Unix(),
		"subject": "Your cart", "tag": "bcflow", "id": v.e.Webhook().ID} {
		if p[k] != want {
			t.Errorf("payload[%q] = %v, want %v", k, p[k], want)
		}
	}
	rc.mu.Lock()
	if len(rc.bodies) != 1 || rc.bodies[0]["event"] != "delivered" || rc.bodies[0]["message-id"] != id {
		t.Errorf("receiver got %+v", rc.bodies)
	}
	rc.mu.Unlock()

	// Not subscribed: no delivery, and nothing waits.
	if err := v.e.SetWebhook(&WebhookConfig{URL: hook, Events: []string{WebhookUnsubscribed}}); err != nil {
		t.Fatal(err)
	}
	v.call("POST", "/v3/smtp/email", linkEmail, true)
	v.e.WaitWebhooks()
	if ds := v.e.WebhookDeliveries(); len(ds) != 1 {
		t.Fatalf("an unsubscribed event was delivered: %+v", ds[1:])
	}
}

// The control routes fire "opened" and "click" for a message's recipient
// (click with the given link, else the email's first), and 404 with a JSON
// error for a message id no email has.
func TestOpenAndClickControlRoutes(t *testing.T) {
	rc := &received{}
	hook := newHook(t, rc)
	v := newEnv(t, Options{DeliveredDelay: -1})
	if err := v.e.SetWebhook(&WebhookConfig{URL: hook}); err != nil {
		t.Fatal(err)
	}
	id, _ := v.call("POST", "/v3/smtp/email", linkEmail, true).json(t)["messageId"].(string)
	v.e.WaitWebhooks()
	path := "/_sim/brevo/messages/" + url.PathEscape(id)

	r := v.sim("POST", path+"/open", "")
	if r.status != 200 {
		t.Fatalf("open: %d %s", r.status, r.body)
	}
	r = v.sim("POST", path+"/click", "")
	if r.status != 200 {
		t.Fatalf("click: %d %s", r.status, r.body)
	}
	r = v.sim("POST", path+"/click", `{"link":"https://shop.example/2"}`)
	if r.status != 200 {
		t.Fatalf("click with link: %d %s", r.status, r.body)
	}
	ds := v.e.WebhookDeliveries()
	if len(ds) != 4 {
		t.Fatalf("deliveries %+v, want delivered, opened and two clicks", ds)
	}
	for i, want := range []struct{ event, link string }{{"delivered", ""}, {"opened", ""}, {"click", "https://shop.example/cart?id=1"},
		{"click", "https://shop.example/2"}} {
		p := ds[i].Payload
		if p["event"] != want.event || p["message-id"] != id || p["email"] != "ann@example.com" || ds[i].Status != 200 {
			t.Errorf("delivery %d = %+v, want %s", i, ds[i], want.event)
		}
		if link, _ := p["link"].(string); link != want.link {
			t.Errorf("delivery %d link %q, want %q", i, link, want.link)
		}
	}

	for _, p := range []string{"/_sim/brevo/messages/" + url.PathEscape("<nope@smtp-relay.mailin.fr>") + "/open",
		"/_sim/brevo/messages/unknown/click"} {
		r := v.sim("POST", p, "")
		if r.status != 404 || r.json(t)["error"] == nil {
			t.Errorf("%s: %d %s, want a 404 JSON error", p, r.status, r.body)
		}
	}
	if r := v.sim("POST", path+"/click", `{"href":"x"}`); r.status != 400 {
		t.Errorf("unknown body field: %d %s", r.status, r.body)
	}
}

// newHook serves h on a test server and returns its URL.
func newHook(t *testing.T, h *received) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/brevo"
}
