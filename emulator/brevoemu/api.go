package brevoemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
)

// apiError is Brevo's error body.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, apiError{Code: code, Message: msg})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (e *Emulator) routes() http.Handler {
	mux := http.NewServeMux()
	api := func(key string, h http.HandlerFunc) { mux.Handle(key, e.api(key, h)) }
	api(EndpointSendEmail, e.sendEmail)
	api(EndpointSendSMS, e.sendSMS)
	api(EndpointSendSMSLegacy, e.sendSMS)
	api(EndpointWhatsApp, e.sendWhatsApp)
	api(EndpointEvent, e.createEvent)
	api(EndpointEventBatch, e.createEventBatch)
	api(EndpointCreateContact, e.createContact)
	api(EndpointGetContact, e.getContact)
	api(EndpointUpdateContact, e.updateContact)
	api(EndpointDeleteContact, e.deleteContact)
	mux.Handle("/v3/", e.api("", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "document_not_found", fmt.Sprintf("%s %s is not emulated", r.Method, r.URL.Path))
	}))
	e.controlRoutes(mux)
	return mux
}

// maxRequests bounds the request log kept for inspection.
const maxRequests = 10000

// api wraps an endpoint with request logging, authentication, fault injection
// and rate limiting, in that order.
func (e *Emulator) api(key string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			e.mu.Lock()
			if len(e.requests) >= maxRequests {
				e.requests = slices.Delete(e.requests, 0, len(e.requests)-maxRequests+1)
			}
			e.requests = append(e.requests, Request{Method: r.Method, Path: r.URL.Path, Endpoint: key, Status: rec.status, At: e.now()})
			e.mu.Unlock()
		}()
		e.mu.Lock()
		closed := e.closed
		e.mu.Unlock()
		if closed {
			writeError(rec, http.StatusServiceUnavailable, "bad_request", "emulator closed")
			return
		}
		if !e.keys[r.Header.Get("api-key")] {
			writeError(rec, http.StatusUnauthorized, "unauthorized", "Key not found")
			return
		}
		if key != "" && !e.applyFaults(rec, r, key) {
			return
		}
		if key != "" && !e.rateLimit(rec, key) {
			return
		}
		h(rec, r)
	})
}

// rateLimit applies the fixed-window limit for key and sets Brevo's headers.
// It reports whether the request may proceed.
func (e *Emulator) rateLimit(w http.ResponseWriter, key string) bool {
	limit, ok := e.opts.RateLimits[key]
	if !ok {
		limit, ok = e.opts.RateLimits[AllEndpoints]
	}
	if !ok {
		return true
	}
	now := e.now()
	win := e.opts.RateWindow
	start := now.Truncate(win)
	e.mu.Lock()
	wd := e.windows[key]
	if wd == nil || !wd.start.Equal(start) {
		wd = &window{start: start}
		e.windows[key] = wd
	}
	allowed := wd.count < limit
	if allowed {
		wd.count++
	}
	remaining := max(limit-wd.count, 0)
	e.mu.Unlock()
	reset := int(math.Ceil(start.Add(win).Sub(now).Seconds()))
	h := w.Header()
	h.Set("x-sib-ratelimit-limit", strconv.Itoa(limit))
	h.Set("x-sib-ratelimit-remaining", strconv.Itoa(remaining))
	h.Set("x-sib-ratelimit-reset", strconv.Itoa(max(reset, 1)))
	if !allowed {
		writeError(w, http.StatusTooManyRequests, "too_many_requests", "The expected rate limit is exceeded.")
	}
	return allowed
}

// readJSON decodes the body into v, answering Brevo's 400 when it is not a
// JSON object of the right shape. It returns the raw body.
func readJSON(w http.ResponseWriter, r *http.Request, v any) (json.RawMessage, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "could not read the request body")
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			writeError(w, http.StatusBadRequest, "invalid_parameter", fmt.Sprintf("%s is not valid", te.Field))
		} else {
			writeError(w, http.StatusBadRequest, "bad_request", "Input must be a valid JSON object")
		}
		return nil, false
	}
	return json.RawMessage(body), true
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s, "@")
}

// ---- transactional email ----

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
	for _, m := range msgs {
		m.ID = newEmailMessageID(now)
		for _, to := range slices.Concat(m.To, m.Cc, m.Bcc) {
			if _, blocked := e.st.Blocked[strings.ToLower(to)]; blocked {
				m.Blocked = true
			}
		}
		e.st.Messages = append(e.st.Messages, m)
		ids = append(ids, m.ID)
	}
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

// ---- SMS ----

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

// ---- WhatsApp ----

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

// ---- events ----

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
				for k, v := range b.ContactProperties {
					c.Attributes[k] = v
				}
				c.ModifiedAt = now
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

// ---- contacts ----

type contactBody struct {
	Email            *string        `json:"email"`
	ExtID            *string        `json:"ext_id"`
	Attributes       map[string]any `json:"attributes"`
	EmailBlacklisted *bool          `json:"emailBlacklisted"`
	SMSBlacklisted   *bool          `json:"smsBlacklisted"`
	ListIDs          []int64        `json:"listIds"`
	UnlinkListIDs    []int64        `json:"unlinkListIds"`
	UpdateEnabled    bool           `json:"updateEnabled"`
}

// apply merges b into c; caller holds e.mu.
func (c *Contact) apply(b contactBody, now time.Time) {
	if b.Email != nil && *b.Email != "" {
		c.Email = strings.ToLower(*b.Email)
	}
	if b.ExtID != nil {
		c.ExtID = *b.ExtID
	}
	for k, v := range b.Attributes {
		if strings.EqualFold(k, "EMAIL") {
			if s, ok := v.(string); ok && s != "" {
				c.Email = strings.ToLower(s)
			}
			continue
		}
		if v == nil || v == "" {
			delete(c.Attributes, k)
			continue
		}
		c.Attributes[k] = v
	}
	if b.EmailBlacklisted != nil {
		c.EmailBlacklisted = *b.EmailBlacklisted
	}
	if b.SMSBlacklisted != nil {
		c.SMSBlacklisted = *b.SMSBlacklisted
	}
	for _, id := range b.ListIDs {
		if !slices.Contains(c.ListIDs, id) {
			c.ListIDs = append(c.ListIDs, id)
		}
	}
	c.ListIDs = slices.DeleteFunc(c.ListIDs, func(id int64) bool { return slices.Contains(b.UnlinkListIDs, id) })
	slices.Sort(c.ListIDs)
	c.ModifiedAt = now
}

func (e *Emulator) createContact(w http.ResponseWriter, r *http.Request) {
	var b contactBody
	if _, ok := readJSON(w, r, &b); !ok {
		return
	}
	email := ""
	if b.Email != nil {
		email = *b.Email
	}
	sms, _ := b.Attributes["SMS"].(string)
	extID := ""
	if b.ExtID != nil {
		extID = *b.ExtID
	}
	if email == "" && sms == "" && extID == "" {
		writeError(w, http.StatusBadRequest, "missing_parameter", "email is missing")
		return
	}
	if email != "" && !validEmail(email) {
		writeError(w, http.StatusBadRequest, "invalid_parameter", "Invalid email address")
		return
	}
	if code, msg := checkAttributes(b.Attributes); code != "" {
		writeError(w, http.StatusBadRequest, code, msg)
		return
	}
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	var existing *Contact
	for _, c := range []struct{ t, v string }{{"email_id", email}, {"ext_id", extID}, {"phone_id", sms}} {
		if c.v != "" {
			if existing = e.findContact(c.t, c.v); existing != nil {
				break
			}
		}
	}
	if existing != nil {
		if !b.UpdateEnabled {
			writeError(w, http.StatusBadRequest, "duplicate_parameter", "Unable to create contact, email is already associated with another Contact")
			return
		}
		existing.apply(b, now)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	c := &Contact{ID: e.st.NextContactID, Attributes: map[string]any{}, ListIDs: []int64{}, CreatedAt: now}
	e.st.NextContactID++
	c.apply(b, now)
	if _, blocked := e.st.Blocked[c.Email]; blocked && c.Email != "" && b.EmailBlacklisted == nil {
		c.EmailBlacklisted = true
	}
	e.st.Contacts = append(e.st.Contacts, c)
	writeJSON(w, http.StatusCreated, map[string]any{"id": c.ID})
}

func checkAttributes(attrs map[string]any) (code, msg string) {
	for k, v := range attrs {
		if k == "" {
			return "invalid_parameter", "attribute names must not be empty"
		}
		switch v.(type) {
		case map[string]any:
			return "invalid_parameter", fmt.Sprintf("attributes.%s is not valid: objects are not supported", k)
		}
	}
	return "", ""
}

// lookup resolves {identifier} with Brevo's rules: identifierType when given,
// otherwise an email, a numeric contact id, or a phone number.
func (e *Emulator) lookup(r *http.Request) (*Contact, string) {
	id := r.PathValue("identifier")
	t := r.URL.Query().Get("identifierType")
	if t == "" {
		switch {
		case strings.Contains(id, "@"):
			t = "email_id"
		case isNumeric(id):
			if c := e.findContact("contact_id", id); c != nil {
				return c, ""
			}
			t = "phone_id"
		case strings.HasPrefix(id, "+") && isNumeric(id[1:]):
			t = "phone_id"
		default:
			return nil, "invalid_parameter"
		}
	}
	switch t {
	case "email_id", "contact_id", "ext_id", "phone_id", "whatsapp_id":
	default:
		return nil, "invalid_parameter"
	}
	return e.findContact(t, id), ""
}

func rfc(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

func (e *Emulator) getContact(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	c, bad := e.lookup(r)
	var out map[string]any
	if c != nil {
		cc := c.clone()
		out = map[string]any{
			"id": cc.ID, "emailBlacklisted": cc.EmailBlacklisted, "smsBlacklisted": cc.SMSBlacklisted,
			"createdAt": rfc(cc.CreatedAt), "modifiedAt": rfc(cc.ModifiedAt),
			"listIds": cc.ListIDs, "attributes": cc.Attributes, "statistics": map[string]any{},
		}
		if cc.Email != "" {
			out["email"] = cc.Email
		}
		if cc.ExtID != "" {
			out["ext_id"] = cc.ExtID
		}
	}
	e.mu.Unlock()
	switch {
	case bad != "":
		writeError(w, http.StatusBadRequest, bad, "identifier is not valid")
	case c == nil:
		writeError(w, http.StatusNotFound, "document_not_found", "Contact does not exist")
	default:
		writeJSON(w, http.StatusOK, out)
	}
}

func (e *Emulator) updateContact(w http.ResponseWriter, r *http.Request) {
	var b contactBody
	if _, ok := readJSON(w, r, &b); !ok {
		return
	}
	if code, msg := checkAttributes(b.Attributes); code != "" {
		writeError(w, http.StatusBadRequest, code, msg)
		return
	}
	if em, ok := b.Attributes["EMAIL"].(string); ok && em != "" && !validEmail(em) {
		writeError(w, http.StatusBadRequest, "invalid_parameter", "Invalid email address")
		return
	}
	b.Email = nil // not part of updateContact; EMAIL goes through attributes
	e.mu.Lock()
	defer e.mu.Unlock()
	c, bad := e.lookup(r)
	switch {
	case bad != "":
		writeError(w, http.StatusBadRequest, bad, "identifier is not valid")
		return
	case c == nil:
		writeError(w, http.StatusNotFound, "document_not_found", "Contact does not exist")
		return
	}
	if em, ok := b.Attributes["EMAIL"].(string); ok && em != "" {
		if other := e.findContact("email_id", em); other != nil && other != c {
			writeError(w, http.StatusBadRequest, "duplicate_parameter", "Unable to update contact, email is already associated with another Contact")
			return
		}
	}
	c.apply(b, e.now())
	w.WriteHeader(http.StatusNoContent)
}

func (e *Emulator) deleteContact(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, bad := e.lookup(r)
	switch {
	case bad != "":
		writeError(w, http.StatusBadRequest, bad, "identifier is not valid")
	case c == nil:
		writeError(w, http.StatusNotFound, "document_not_found", "Contact does not exist")
	default:
		e.st.Contacts = slices.DeleteFunc(e.st.Contacts, func(x *Contact) bool { return x == c })
		w.WriteHeader(http.StatusNoContent)
	}
}
