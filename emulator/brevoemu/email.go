package brevoemu

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Transactional email: POST /v3/smtp/email.

type emailAddr struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
	ID    *int64 `json:"id,omitempty"`
}

type messageVersion struct {
	To          []emailAddr    `json:"to"`
	Cc          []emailAddr    `json:"cc"`
	Bcc         []emailAddr    `json:"bcc"`
	Params      map[string]any `json:"params"`
	Subject     string         `json:"subject"`
	HTMLContent string         `json:"htmlContent"`
	TextContent string         `json:"textContent"`
}

type sendEmailBody struct {
	Sender          *emailAddr        `json:"sender"`
	To              []emailAddr       `json:"to"`
	Cc              []emailAddr       `json:"cc"`
	Bcc             []emailAddr       `json:"bcc"`
	ReplyTo         *emailAddr        `json:"replyTo"`
	Subject         string            `json:"subject"`
	HTMLContent     string            `json:"htmlContent"`
	TextContent     string            `json:"textContent"`
	TemplateID      *int64            `json:"templateId"`
	Params          map[string]any    `json:"params"`
	Tags            []string          `json:"tags"`
	Headers         map[string]any    `json:"headers"`
	MessageVersions []messageVersion  `json:"messageVersions"`
	ScheduledAt     string            `json:"scheduledAt"`
	BatchID         string            `json:"batchId"`
	Attachment      []json.RawMessage `json:"attachment"`
}

func emails(list []emailAddr) []string {
	out := make([]string, 0, len(list))
	for _, a := range list {
		out = append(out, a.Email)
	}
	return out
}

func checkAddrs(field string, list []emailAddr) string {
	for _, a := range list {
		if a.Email == "" {
			return fmt.Sprintf("email is missing in %s", field)
		}
		if !validEmail(a.Email) {
			return fmt.Sprintf("email is not valid in %s", field)
		}
	}
	return ""
}

func (e *Emulator) sendEmail(w http.ResponseWriter, r *http.Request) {
	var b sendEmailBody
	raw, ok := readJSON(w, r, &b)
	if !ok {
		return
	}
	hasTemplate := b.TemplateID != nil
	if b.Sender == nil && !hasTemplate {
		writeError(w, http.StatusBadRequest, "missing_parameter", "sender is missing")
		return
	}
	if b.Sender != nil {
		if b.Sender.Email == "" && b.Sender.ID == nil {
			writeError(w, http.StatusBadRequest, "missing_parameter", "sender email is missing")
			return
		}
		if b.Sender.Email != "" && !validEmail(b.Sender.Email) {
			writeError(w, http.StatusBadRequest, "invalid_parameter", "valid sender email required")
			return
		}
	}
	if len(b.To) == 0 && len(b.MessageVersions) == 0 {
		writeError(w, http.StatusBadRequest, "missing_parameter", "to is missing")
		return
	}
	for _, c := range []struct {
		f string
		l []emailAddr
	}{{"to", b.To}, {"cc", b.Cc}, {"bcc", b.Bcc}} {
		if msg := checkAddrs(c.f, c.l); msg != "" {
			writeError(w, http.StatusBadRequest, "invalid_parameter", msg)
			return
		}
	}
	for i, v := range b.MessageVersions {
		if len(v.To) == 0 {
			writeError(w, http.StatusBadRequest, "missing_parameter", fmt.Sprintf("to is missing in messageVersions[%d]", i))
			return
		}
		if msg := checkAddrs(fmt.Sprintf("messageVersions[%d].to", i), v.To); msg != "" {
			writeError(w, http.StatusBadRequest, "invalid_parameter", msg)
			return
		}
	}
	if !hasTemplate {
		if b.Subject == "" && !versionsHave(b.MessageVersions, func(v messageVersion) bool { return v.Subject != "" }) {
			writeError(w, http.StatusBadRequest, "missing_parameter", "subject is missing")
			return
		}
		if b.HTMLContent == "" && b.TextContent == "" {
			writeError(w, http.StatusBadRequest, "missing_parameter", "htmlContent or textContent is missing")
			return
		}
	}
	var scheduled time.Time
	if b.ScheduledAt != "" {
		t, err := time.Parse(time.RFC3339, b.ScheduledAt)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid_parameter", "scheduledAt is not valid")
			return
		}
		scheduled = t
	}
	headers := map[string]string{}
	idemKey := ""
	for k, v := range b.Headers {
		s := fmt.Sprint(v)
		headers[k] = s
		if strings.EqualFold(k, "idempotencyKey") {
			idemKey = s
		}
	}

	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	if idemKey != "" {
		if prev, ok := e.st.Idempotency[idemKey]; ok && now.Sub(prev.At) < IdempotencyWindow {
			writeEmailResponse(w, []string{prev.MessageID}, len(b.MessageVersions) > 0, scheduled, b.BatchID)
			return
		}
	}
	base := Message{
		Channel:        ChannelEmail,
		Endpoint:       EndpointSendEmail,
		Subject:        b.Subject,
		HTMLContent:    b.HTMLContent,
		TextContent:    b.TextContent,
		Params:         b.Params,
		Tags:           b.Tags,
		Headers:        headers,
		IdempotencyKey: idemKey,
		ScheduledAt:    b.ScheduledAt,
		Request:        raw,
		CreatedAt:      now,
	}
	if b.Sender != nil {
		base.From, base.FromName = b.Sender.Email, b.Sender.Name
	}
	if b.TemplateID != nil {
		base.TemplateID = *b.TemplateID
	}
	var msgs []Message
	if len(b.MessageVersions) == 0 {
		m := base
		m.To, m.Cc, m.Bcc = emails(b.To), emails(b.Cc), emails(b.Bcc)
		msgs = append(msgs, m)
	}
	for _, v := range b.MessageVersions {
		m := base
		m.To, m.Cc, m.Bcc = emails(v.To), emails(v.Cc), emails(v.Bcc)
		if len(m.Cc) == 0 {
			m.Cc = emails(b.Cc)
		}
		if len(m.Bcc) == 0 {
			m.Bcc = emails(b.Bcc)
		}
		if v.Subject != "" {
			m.Subject = v.Subject
		}
		if v.HTMLContent != "" {
			m.HTMLContent = v.HTMLContent
		}
		if v.TextContent != "" {
			m.TextContent = v.TextContent
		}
		if v.Params != nil {
			m.Params = v.Params
		}
		msgs = append(msgs, m)
	}
	ids := make([]string, 0, len(msgs))
	for i := range msgs {
		m := &msgs[i]
		m.ID = newEmailMessageID(now)
		for _, to := range slices.Concat(m.To, m.Cc, m.Bcc) {
			if _, blocked := e.st.Blocked[strings.ToLower(to)]; blocked {
				m.Blocked = true
			}
		}
		e.st.Messages = append(e.st.Messages, *m)
		ids = append(ids, m.ID)
	}
	e.deliverLater(msgs)
	if idemKey != "" {
		e.st.Idempotency[idemKey] = idemEntry{MessageID: ids[0], At: now}
	}
	writeEmailResponse(w, ids, len(b.MessageVersions) > 0, scheduled, b.BatchID)
}

func versionsHave(vs []messageVersion, f func(messageVersion) bool) bool {
	if len(vs) == 0 {
		return false
	}
	for _, v := range vs {
		if !f(v) {
			return false
		}
	}
	return true
}

func writeEmailResponse(w http.ResponseWriter, ids []string, versions bool, scheduled time.Time, batchID string) {
	body := map[string]any{}
	if versions {
		body["messageIds"] = ids
	} else {
		body["messageId"] = ids[0]
	}
	status := http.StatusCreated
	if !scheduled.IsZero() {
		status = http.StatusAccepted
		if batchID == "" {
			batchID = newUUID()
		}
		body["batchId"] = batchID
	}
	writeJSON(w, status, body)
}
