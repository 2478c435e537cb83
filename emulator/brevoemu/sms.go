package brevoemu

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// Transactional SMS: POST /v3/transactionalSMS/send (and the legacy
// /v3/transactionalSMS/sms).

type sendSMSBody struct {
	Sender            string `json:"sender"`
	Recipient         string `json:"recipient"`
	Content           string `json:"content"`
	Type              string `json:"type"`
	Tag               any    `json:"tag"`
	WebURL            string `json:"webUrl"`
	UnicodeEnabled    bool   `json:"unicodeEnabled"`
	OrganisationPrefx string `json:"organisationPrefix"`
}

func (e *Emulator) sendSMS(w http.ResponseWriter, r *http.Request) {
	var b sendSMSBody
	raw, ok := readJSON(w, r, &b)
	if !ok {
		return
	}
	switch {
	case b.Sender == "":
		writeError(w, http.StatusBadRequest, "missing_parameter", "sender is missing")
		return
	case b.Recipient == "":
		writeError(w, http.StatusBadRequest, "missing_parameter", "recipient is missing")
		return
	case b.Content == "":
		writeError(w, http.StatusBadRequest, "missing_parameter", "content is missing")
		return
	case len(b.Sender) > 15 || !isNumeric(b.Sender) && len(b.Sender) > 11:
		writeError(w, http.StatusBadRequest, "invalid_parameter", "sender is not valid: 11 alphanumeric or 15 numeric characters at most")
		return
	case normPhone(b.Recipient) == "" || len(normPhone(b.Recipient)) < 6:
		writeError(w, http.StatusBadRequest, "invalid_parameter", "recipient is not valid")
		return
	case b.Type != "" && b.Type != "transactional" && b.Type != "marketing":
		writeError(w, http.StatusBadRequest, "invalid_parameter", "type is not valid")
		return
	}
	var tags []string
	switch t := b.Tag.(type) {
	case string:
		if t != "" {
			tags = []string{t}
		}
	case []any:
		for _, x := range t {
			tags = append(tags, fmt.Sprint(x))
		}
	}
	count := int(math.Ceil(float64(len([]rune(b.Content))) / 160))
	const creditPerSMS = 0.7
	used := float64(count) * creditPerSMS

	now := e.now()
	e.mu.Lock()
	if e.st.SMSCredits < used {
		e.mu.Unlock()
		writeError(w, http.StatusPaymentRequired, "not_enough_credits", "You don't have enough credit to send your SMS. Please update your plan")
		return
	}
	id := newSMSMessageID()
	endpoint := EndpointSendSMS
	if strings.HasSuffix(r.URL.Path, "/sms") {
		endpoint = EndpointSendSMSLegacy
	}
	e.st.SMSCredits -= used
	remaining := math.Round(e.st.SMSCredits*100) / 100
	e.st.Messages = append(e.st.Messages, Message{
		ID: strconv.FormatInt(id, 10), Channel: ChannelSMS, Endpoint: endpoint,
		From: b.Sender, To: []string{b.Recipient}, TextContent: b.Content, Tags: tags,
		Request: raw, CreatedAt: now,
	})
	e.mu.Unlock()
	if endpoint == EndpointSendSMS {
		writeJSON(w, http.StatusCreated, map[string]any{"messageId": id})
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{
		"reference": fmt.Sprintf("%x", id), "messageId": id, "smsCount": count,
		"usedCredits": used, "remainingCredits": remaining,
	})
}

func isNumeric(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
