package brevoemu

import (
	"fmt"
	"net/http"
	"slices"
)

// WhatsApp: POST /v3/whatsapp/sendMessage.

type whatsAppBody struct {
	TemplateID     *int64         `json:"templateId"`
	Text           string         `json:"text"`
	SenderNumber   string         `json:"senderNumber"`
	Params         map[string]any `json:"params"`
	ContactNumbers []string       `json:"contactNumbers"`
}

func (e *Emulator) sendWhatsApp(w http.ResponseWriter, r *http.Request) {
	var b whatsAppBody
	raw, ok := readJSON(w, r, &b)
	if !ok {
		return
	}
	switch {
	case b.SenderNumber == "":
		writeError(w, http.StatusBadRequest, "missing_parameter", "senderNumber is missing")
		return
	case len(b.ContactNumbers) == 0:
		writeError(w, http.StatusBadRequest, "missing_parameter", "contactNumbers is missing")
		return
	case b.TemplateID == nil && b.Text == "":
		writeError(w, http.StatusBadRequest, "missing_parameter", "templateId or text is required")
		return
	}
	for _, n := range append([]string{b.SenderNumber}, b.ContactNumbers...) {
		if len(normPhone(n)) < 6 {
			writeError(w, http.StatusBadRequest, "invalid_parameter", fmt.Sprintf("%q is not a valid mobile number", n))
			return
		}
	}
	m := Message{
		ID: newUUID(), Channel: ChannelWhatsApp, Endpoint: EndpointWhatsApp,
		From: b.SenderNumber, To: slices.Clone(b.ContactNumbers), TextContent: b.Text,
		Params: b.Params, Request: raw, CreatedAt: e.now(),
	}
	if b.TemplateID != nil {
		m.TemplateID = *b.TemplateID
	}
	e.mu.Lock()
	e.st.Messages = append(e.st.Messages, m)
	e.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"messageId": m.ID})
}
