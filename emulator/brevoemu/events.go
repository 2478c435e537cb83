package brevoemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Events: POST /v3/events and /v3/events/batch.

type eventBody struct {
	EventName         string         `json:"event_name"`
	EventDate         string         `json:"event_date"`
	Identifiers       map[string]any `json:"identifiers"`
	ContactProperties map[string]any `json:"contact_properties"`
	EventProperties   map[string]any `json:"event_properties"`
}

func validateEvent(b eventBody, prefix string) (code, msg string) {
	if b.EventName == "" {
		return "missing_parameter", prefix + "event_name is missing"
	}
	if len(b.EventName) > 255 || strings.IndexFunc(b.EventName, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) >= 0 {
		return "invalid_parameter", prefix + "event_name is not valid: alphanumerical characters, - and _ only"
	}
	ids := 0
	for _, v := range b.Identifiers {
		if v != nil && fmt.Sprint(v) != "" {
			ids++
		}
	}
	if ids == 0 {
		return "missing_parameter", prefix + "identifiers is missing: at least one identifier is required"
	}
	if em, ok := b.Identifiers["email_id"].(string); ok && !validEmail(em) {
		return "invalid_parameter", prefix + "identifiers.email_id is not valid"
	}
	if b.EventDate != "" {
		if _, err := time.Parse(time.RFC3339, b.EventDate); err != nil {
			return "invalid_parameter", prefix + "event_date is not valid"
		}
	}
	return "", ""
}

// recordEvent stores an event and applies its contact_properties to the
// identified contact; caller holds e.mu.
func (e *Emulator) recordEvent(b eventBody, raw json.RawMessage, now time.Time) {
	email, _ := b.Identifiers["email_id"].(string)
	e.st.Events = append(e.st.Events, Event{
		Name: b.EventName, Email: email, Identifiers: b.Identifiers, EventDate: b.EventDate,
		ContactProperties: b.ContactProperties, EventProperties: b.EventProperties,
		Request: raw, CreatedAt: now,
	})
	if len(b.ContactProperties) == 0 {
		return
	}
	for _, t := range []string{"contact_id", "email_id", "ext_id", "phone_id", "whatsapp_id"} {
		if v, ok := b.Identifiers[t]; ok && v != nil {
			if c := e.findContact(t, fmt.Sprint(v)); c != nil {
				e.mutateContact(c, func(c *Contact) {
					for k, v := range b.ContactProperties {
						c.Attributes[k] = v
					}
					c.ModifiedAt = now
				})
				return
			}
		}
	}
}

func (e *Emulator) createEvent(w http.ResponseWriter, r *http.Request) {
	var b eventBody
	raw, ok := readJSON(w, r, &b)
	if !ok {
		return
	}
	if code, msg := validateEvent(b, ""); code != "" {
		writeError(w, http.StatusBadRequest, code, msg)
		return
	}
	e.mu.Lock()
	e.recordEvent(b, raw, e.now())
	e.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (e *Emulator) createEventBatch(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Events []json.RawMessage `json:"events"`
	}
	if _, ok := readJSON(w, r, &b); !ok {
		return
	}
	if len(b.Events) == 0 {
		writeError(w, http.StatusBadRequest, "missing_parameter", "events is missing")
		return
	}
	if len(b.Events) > 200 {
		writeError(w, http.StatusBadRequest, "invalid_parameter", "events: at most 200 events per request")
		return
	}
	evs := make([]eventBody, len(b.Events))
	for i, rawEv := range b.Events {
		dec := json.NewDecoder(bytes.NewReader(rawEv))
		dec.UseNumber()
		if err := dec.Decode(&evs[i]); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_parameter", fmt.Sprintf("events[%d] is not valid", i))
			return
		}
		if code, msg := validateEvent(evs[i], fmt.Sprintf("events[%d].", i)); code != "" {
			writeError(w, http.StatusBadRequest, code, msg)
			return
		}
	}
	now := e.now()
	e.mu.Lock()
	for i := range evs {
		e.recordEvent(evs[i], b.Events[i], now)
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusAccepted, map[string]any{
		"message": "Batch accepted. Valid events have been added to the processing queue.",
		"count":   len(evs),
	})
}
