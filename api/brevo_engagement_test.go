package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bcflow/bcflow/store"
)

// TestBrevoEngagementIsRecordedOncePerMessage: Brevo's delivered, opened,
// unique_opened and click events of a message bcflow sent count once each
// in its flow step's engagement; an unknown message, a repeat and an event
// without message-id answer 200 without counting.
func TestBrevoEngagementIsRecordedOncePerMessage(t *testing.T) {
	f := newWebhookFixture(t)
	ctx := context.Background()
	sent := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	if _, _, err := f.store.ReserveMessage(ctx, store.Message{IdempotencyKey: "cart-recovery/abc123/c1/reminder-1", StoreHash: "abc123",
		ChannelID: 1, CustomerKey: "7", Email: "ann@example.com", Channel: store.ChannelEmail, Template: "1",
		Flow: "cart-recovery", Step: "reminder-1", CreatedAt: sent}); err != nil {
		t.Fatal(err)
	}
	const msgID = "<202611200900.12345678901@smtp-relay.mailin.fr>"
	if err := f.store.MarkMessageSent(ctx, "cart-recovery/abc123/c1/reminder-1", msgID, sent); err != nil {
		t.Fatal(err)
	}
	post := func(body map[string]any) (int, map[string]any) {
		t.Helper()
		b, _ := json.Marshal(body)
		req := httptest.NewRequest(http.MethodPost, "/webhooks/brevo", strings.NewReader(string(b)))
		req.Header.Set("Authorization", "Bearer brevo-secret")
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, req)
		var out map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		return rec.Code, out
	}
	// Brevo's payload: event, email, id, date, ts, message-id, ts_event, subject, tag, sending_ip, ts_epoch, tags.
	ev := func(event, id string) map[string]any {
		return map[string]any{"event": event, "email": "ann@example.com", "id": 1, "date": "2026-11-21 10:00:00",
			"ts": 1763715600, "message-id": id, "ts_event": 1763715600, "subject": "Your cart", "tag": "", "sending_ip": "1.2.3.4",
			"ts_epoch": int64(1763715600000), "tags": []string{}}
	}
	for _, c := range []struct {
		event, id string
		counted   bool
		recorded  string
	}{
		{"delivered", msgID, true, "delivered"},
		{"delivered", msgID, false, "delivered"}, // Brevo retried
		{"unique_opened", msgID, true, "opened"},
		{"opened", msgID, false, "opened"},
		{"click", msgID, true, "clicked"},
		{"click", "<unknown@smtp-relay.mailin.fr>", false, "clicked"},
	} {
		status, out := post(ev(c.event, c.id))
		if status != 200 || out["status"] != "recorded" || out["event"] != c.recorded || out["counted"] != c.counted {
			t.Fatalf("%s of %s: %d %v, want recorded %s counted=%v", c.event, c.id, status, out, c.recorded, c.counted)
		}
	}
	// No message-id: nothing to record it against.
	noID := ev("opened", "")
	delete(noID, "message-id")
	if status, out := post(noID); status != 200 || out["status"] != "ignored" {
		t.Fatalf("without message-id: %d %v", status, out)
	}
	rows, err := f.store.Rollups(ctx, "abc123", 0, "2026-11-01", "2026-11-30", store.RollupEngagement)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, r := range rows {
		if r.Day != "2026-11-20" || r.K1 != "cart-recovery" || r.K2 != "reminder-1" {
			t.Fatalf("engagement row %+v: want the message's flow, step and sent day", r)
		}
		got[r.K3] += r.N
	}
	if len(got) != 3 || got["delivered"] != 1 || got["opened"] != 1 || got["clicked"] != 1 {
		t.Fatalf("engagement %v", got)
	}
	// A message-id past any real one's length is refused.
	if status, out := post(ev("click", "<"+strings.Repeat("x", 300)+">")); status != 400 || errorCode(out) != "bad_payload" {
		t.Fatalf("long message-id: %d %v", status, out)
	}
	// The store not answering: 503, so Brevo retries.
	_ = f.store.Close()
	if status, out := post(ev("opened", msgID)); status != 503 || errorCode(out) != "unavailable" {
		t.Fatalf("store down: %d %v", status, out)
	}
}
