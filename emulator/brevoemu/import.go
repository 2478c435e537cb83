package brevoemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Bulk contacts: POST /v3/contacts/import, POST /v3/contacts/batch,
// GET /v3/processes, GET /v3/processes/{processId}.

// Process is a background process: an import, or removing every contact
// from a list. The emulator runs it at once, so it is always completed.
type Process struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"createdAt"`
	// Created, Updated and Invalid count an import's rows: new contacts,
	// existing contacts, and rows skipped for a missing or invalid email.
	Created int `json:"created,omitempty"`
	Updated int `json:"updated,omitempty"`
	Invalid int `json:"invalid,omitempty"`
}

// newProcess records a completed process; caller holds e.mu.
func (e *Emulator) newProcess(name string, now time.Time) int64 {
	e.st.NextProcessID++
	e.st.Processes = append(e.st.Processes, Process{ID: e.st.NextProcessID, Name: name, Status: "completed", CreatedAt: now})
	return e.st.NextProcessID
}

type importIn struct {
	FileURL  *string         `json:"fileUrl"`
	FileBody *string         `json:"fileBody"`
	JSONBody json.RawMessage `json:"jsonBody"`
	ListIDs  []int64         `json:"listIds"`
	NewList  *struct {
		ListName string `json:"listName"`
		FolderID *int64 `json:"folderId"`
	} `json:"newList"`
	NotifyURL               string `json:"notifyUrl"`
	EmailBlacklist          bool   `json:"emailBlacklist"`
	SMSBlacklist            bool   `json:"smsBlacklist"`
	DisableNotification     bool   `json:"disableNotification"`
	UpdateExistingContacts  *bool  `json:"updateExistingContacts"`
	EmptyContactsAttributes bool   `json:"emptyContactsAttributes"`
}

type importRow struct {
	Email      string         `json:"email"`
	Attributes map[string]any `json:"attributes"`
}

// parseFileBody reads the CSV an import's fileBody carries: a header row of
// attribute names (EMAIL among them), fields separated by semicolons.
func parseFileBody(s string) ([]importRow, error) {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	if len(lines) == 0 || strings.TrimSpace(lines[0]) == "" {
		return nil, fmt.Errorf("fileBody has no header row")
	}
	head := strings.Split(lines[0], ";")
	for i := range head {
		head[i] = strings.ToUpper(strings.TrimSpace(head[i]))
	}
	var rows []importRow
	for n, line := range lines[1:] {
		if strings.TrimSpace(line) == "" {
			continue
		}
		fields := strings.Split(line, ";")
		if len(fields) > len(head) {
			return nil, fmt.Errorf("fileBody line %d has %d fields, the header %d", n+2, len(fields), len(head))
		}
		row := importRow{Attributes: map[string]any{}}
		for i, f := range fields {
			f = strings.TrimSpace(f)
			if head[i] == "EMAIL" {
				row.Email = f
				continue
			}
			row.Attributes[head[i]] = f
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// importContacts processes the import at once and answers 202 with its
// process id, as Brevo answers before processing. Brevo's rules kept:
// updateExistingContacts (default true) decides whether existing contacts'
// attributes change; an empty value erases an attribute only with
// emptyContactsAttributes; emailBlacklist and smsBlacklist can only
// blacklist — an import never clears a contact's blacklist (Brevo
// resubscribes only one contact at a time, from its details page:
// https://help.brevo.com/hc/en-us/articles/5317448358034); a new contact
// whose address is on the blocked list starts blacklisted. Every row lands
// in listIds (or the new list), whatever its blacklist state.
func (e *Emulator) importContacts(w http.ResponseWriter, r *http.Request) {
	lim := e.batchLimits()
	var b importIn
	if _, ok := readJSONLimit(w, r, &b, 2*lim.ImportBytes+1<<20); !ok {
		return
	}
	switch {
	case b.FileURL == nil && b.FileBody == nil && b.JSONBody == nil:
		writeError(w, http.StatusBadRequest, "missing_parameter", "one of fileUrl, fileBody and jsonBody is mandatory")
		return
	case b.FileURL != nil && b.FileBody == nil && b.JSONBody == nil:
		writeError(w, http.StatusBadRequest, "invalid_parameter", "fileUrl imports are not emulated: send fileBody or jsonBody")
		return
	case len(b.JSONBody) > lim.ImportBytes || b.FileBody != nil && len(*b.FileBody) > lim.ImportBytes:
		writeError(w, http.StatusBadRequest, "out_of_range", fmt.Sprintf("the import body exceeds %d bytes", lim.ImportBytes))
		return
	case len(b.ListIDs) == 0 && (b.NewList == nil || b.NewList.ListName == ""):
		writeError(w, http.StatusBadRequest, "missing_parameter", "listIds is missing (mandatory if newList is not defined)")
		return
	case len(b.ListIDs) == 0 && b.NewList.FolderID == nil:
		writeError(w, http.StatusBadRequest, "missing_parameter", "newList.folderId is missing")
		return
	}
	var rows []importRow
	if b.JSONBody != nil {
		dec := json.NewDecoder(bytes.NewReader(b.JSONBody))
		dec.UseNumber()
		if err := dec.Decode(&rows); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_parameter", "jsonBody is not valid: it must be an array of {email, attributes}")
			return
		}
	}
	if b.FileBody != nil {
		more, err := parseFileBody(*b.FileBody)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid_parameter", err.Error())
			return
		}
		rows = append(rows, more...)
	}
	for i, row := range rows {
		if code, msg := checkAttributes(row.Attributes); code != "" {
			writeError(w, http.StatusBadRequest, code, fmt.Sprintf("row %d: %s", i, msg))
			return
		}
	}
	update := b.UpdateExistingContacts == nil || *b.UpdateExistingContacts
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	if id, missing := e.missingList(b.ListIDs); missing {
		writeError(w, http.StatusBadRequest, "invalid_parameter", fmt.Sprintf("list %d does not exist", id))
		return
	}
	lists := slices.Clone(b.ListIDs)
	if len(lists) == 0 {
		if e.findFolder(*b.NewList.FolderID) == nil {
			writeError(w, http.StatusBadRequest, "invalid_parameter", fmt.Sprintf("folder %d does not exist", *b.NewList.FolderID))
			return
		}
		lists = []int64{e.newList(b.NewList.ListName, *b.NewList.FolderID, now)}
	}
	pid := e.newProcess("IMPORTUSER", now)
	p := &e.st.Processes[len(e.st.Processes)-1]
	for _, row := range rows {
		e.importRow(row, lists, update, b, now, p)
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"processId": pid})
}

// importRow imports one row; caller holds e.mu.
func (e *Emulator) importRow(row importRow, lists []int64, update bool, b importIn, now time.Time, p *Process) {
	email := row.Email
	if email == "" {
		email, _ = row.Attributes["EMAIL"].(string)
	}
	sms, _ := row.Attributes["SMS"].(string)
	if email != "" && !validEmail(email) || email == "" && sms == "" {
		p.Invalid++
		return
	}
	var c *Contact
	if email != "" {
		c = e.findContact("email_id", email)
	} else {
		c = e.findContact("phone_id", sms)
	}
	created := c == nil
	if created {
		e.st.NextContactID++
		c = &Contact{ID: e.st.NextContactID - 1, Email: strings.ToLower(email), Attributes: map[string]any{}, ListIDs: []int64{}, CreatedAt: now, ModifiedAt: now}
		if _, blocked := e.st.Blocked[c.Email]; blocked && c.Email != "" {
			c.EmailBlacklisted = true
		}
		e.addContact(c)
		p.Created++
	} else {
		p.Updated++
	}
	e.mutateContact(c, func(c *Contact) {
		if created || update {
			for k, v := range row.Attributes {
				if strings.EqualFold(k, "EMAIL") {
					continue
				}
				if v == nil || v == "" {
					if b.EmptyContactsAttributes && !created {
						delete(c.Attributes, k)
					}
					continue
				}
				c.Attributes[e.intern(k)] = v
			}
		}
		for _, id := range lists {
			if !slices.Contains(c.ListIDs, id) {
				c.ListIDs = append(c.ListIDs, id)
			}
		}
		slices.Sort(c.ListIDs)
		if b.EmailBlacklist {
			c.EmailBlacklisted = true
		}
		if b.SMSBlacklist {
			c.SMSBlacklisted = true
		}
		c.ModifiedAt = now
	})
}

type batchContactIn struct {
	Email               *string        `json:"email"`
	ID                  *int64         `json:"id"`
	SMS                 *string        `json:"sms"`
	ExtID               *string        `json:"ext_id"`
	Attributes          map[string]any `json:"attributes"`
	EmailBlacklisted    *bool          `json:"emailBlacklisted"`
	SMSBlacklisted      *bool          `json:"smsBlacklisted"`
	ListIDs             []int64        `json:"listIds"`
	UnlinkListIDs       []int64        `json:"unlinkListIds"`
	SMTPBlacklistSender []string       `json:"smtpBlacklistSender"`
}

// updateContactBatch updates existing contacts, each as PUT
// /v3/contacts/{identifier} would (emailBlacklisted false there does
// unblacklist: the spec's "Set/unset"). It is all or nothing: when one
// contact is not found or not valid, none changes.
func (e *Emulator) updateContactBatch(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Contacts []batchContactIn `json:"contacts"`
	}
	if _, ok := readJSON(w, r, &b); !ok {
		return
	}
	limit := e.batchLimits().Contacts
	switch {
	case len(b.Contacts) == 0:
		writeError(w, http.StatusBadRequest, "missing_parameter", "contacts is missing or empty")
		return
	case limit > 0 && len(b.Contacts) > limit:
		writeError(w, http.StatusBadRequest, "out_of_range", fmt.Sprintf("contacts holds %d contacts; at most %d are allowed per request", len(b.Contacts), limit))
		return
	}
	for i, c := range b.Contacts {
		n := 0
		for _, set := range []bool{c.Email != nil, c.ID != nil, c.SMS != nil} {
			if set {
				n++
			}
		}
		prefix := fmt.Sprintf("contacts[%d]: ", i)
		switch {
		case n == 0:
			writeError(w, http.StatusBadRequest, "missing_parameter", prefix+"one of email, id and sms is mandatory")
			return
		case n > 1:
			writeError(w, http.StatusBadRequest, "invalid_parameter", prefix+"pass only one of email, id and sms")
			return
		case c.Email != nil && !validEmail(*c.Email):
			writeError(w, http.StatusBadRequest, "invalid_parameter", prefix+"email is not valid")
			return
		}
		if code, msg := checkAttributes(c.Attributes); code != "" {
			writeError(w, http.StatusBadRequest, code, prefix+msg)
			return
		}
		if em, ok := c.Attributes["EMAIL"].(string); ok && em != "" && !validEmail(em) {
			writeError(w, http.StatusBadRequest, "invalid_parameter", prefix+"attributes.EMAIL is not valid")
			return
		}
	}
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	targets := make([]*Contact, len(b.Contacts))
	for i, in := range b.Contacts {
		switch {
		case in.Email != nil:
			targets[i] = e.findContact("email_id", *in.Email)
		case in.ID != nil:
			targets[i] = e.findContact("contact_id", strconv.FormatInt(*in.ID, 10))
		default:
			targets[i] = e.findContact("phone_id", *in.SMS)
		}
		if targets[i] == nil {
			writeError(w, http.StatusBadRequest, "document_not_found", fmt.Sprintf("contacts[%d]: contact does not exist", i))
			return
		}
		if em, ok := in.Attributes["EMAIL"].(string); ok && em != "" {
			if other := e.findContact("email_id", em); other != nil && other != targets[i] {
				writeError(w, http.StatusBadRequest, "duplicate_parameter", fmt.Sprintf("contacts[%d]: email is already associated with another contact", i))
				return
			}
		}
	}
	for i, in := range b.Contacts {
		body := contactBody{ExtID: in.ExtID, Attributes: in.Attributes, EmailBlacklisted: in.EmailBlacklisted,
			SMSBlacklisted: in.SMSBlacklisted, ListIDs: in.ListIDs, UnlinkListIDs: in.UnlinkListIDs}
		e.mutateContact(targets[i], func(c *Contact) { c.apply(body, now) })
	}
	w.WriteHeader(http.StatusNoContent)
}

func processJSON(p *Process) map[string]any {
	return map[string]any{"id": p.ID, "name": p.Name, "status": p.Status}
}

func (e *Emulator) getProcess(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("processId"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_parameter", "processId is invalid")
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range e.st.Processes {
		if e.st.Processes[i].ID == id {
			writeJSON(w, http.StatusOK, processJSON(&e.st.Processes[i]))
			return
		}
	}
	writeError(w, http.StatusNotFound, "invalid_parameter", "processId is invalid")
}

func (e *Emulator) listProcesses(w http.ResponseWriter, r *http.Request) {
	pg, ok := readPage(w, r, 10, 50)
	if !ok {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	writePage(w, pg, "processes", len(e.st.Processes), nil, func(i int) map[string]any { return processJSON(&e.st.Processes[i]) })
}
