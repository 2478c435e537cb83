package brevoemu

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Contacts: POST /v3/contacts, GET|PUT|DELETE /v3/contacts/{identifier}.

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
		e.mutateContact(existing, func(c *Contact) { c.apply(b, now) })
		w.WriteHeader(http.StatusNoContent)
		return
	}
	c := &Contact{ID: e.st.NextContactID, Attributes: map[string]any{}, ListIDs: []int64{}, CreatedAt: now}
	e.st.NextContactID++
	c.apply(b, now)
	if _, blocked := e.st.Blocked[c.Email]; blocked && c.Email != "" && b.EmailBlacklisted == nil {
		c.EmailBlacklisted = true
	}
	e.addContact(c)
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

// contactJSON renders c as getContactDetails; caller holds e.mu.
func contactJSON(c *Contact) map[string]any {
	cc := c.clone()
	out := map[string]any{
		"id": cc.ID, "emailBlacklisted": cc.EmailBlacklisted, "smsBlacklisted": cc.SMSBlacklisted,
		"createdAt": rfc(cc.CreatedAt), "modifiedAt": rfc(cc.ModifiedAt),
		"listIds": cc.ListIDs, "attributes": cc.Attributes,
	}
	if cc.Email != "" {
		out["email"] = cc.Email
	}
	if cc.ExtID != "" {
		out["ext_id"] = cc.ExtID
	}
	return out
}

func (e *Emulator) getContact(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	c, bad := e.lookup(r)
	var out map[string]any
	if c != nil {
		out = contactJSON(c)
		out["statistics"] = map[string]any{}
	}
	e.mu.Unlock()
	if !lookupFailed(w, c, bad) {
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
	if lookupFailed(w, c, bad) {
		return
	}
	if em, ok := b.Attributes["EMAIL"].(string); ok && em != "" {
		if other := e.findContact("email_id", em); other != nil && other != c {
			writeError(w, http.StatusBadRequest, "duplicate_parameter", "Unable to update contact, email is already associated with another Contact")
			return
		}
	}
	now := e.now()
	e.mutateContact(c, func(c *Contact) { c.apply(b, now) })
	w.WriteHeader(http.StatusNoContent)
}

func (e *Emulator) deleteContact(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, bad := e.lookup(r)
	if lookupFailed(w, c, bad) {
		return
	}
	e.idx.remove(c)
	e.st.Contacts = slices.DeleteFunc(e.st.Contacts, func(x *Contact) bool { return x == c })
	w.WriteHeader(http.StatusNoContent)
}

// lookupFailed answers a failed lookup (a malformed identifier: 400 with
// its code; no such contact: 404) and reports whether it did.
func lookupFailed(w http.ResponseWriter, c *Contact, bad string) bool {
	switch {
	case bad != "":
		writeError(w, http.StatusBadRequest, bad, "identifier is not valid")
	case c == nil:
		writeError(w, http.StatusNotFound, "document_not_found", "Contact does not exist")
	default:
		return false
	}
	return true
}
