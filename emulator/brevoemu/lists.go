package brevoemu

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Contact folders and lists: GET|POST /v3/contacts/folders,
// GET|POST /v3/contacts/lists, GET /v3/contacts/lists/{listId},
// GET /v3/contacts/lists/{listId}/contacts,
// POST /v3/contacts/lists/{listId}/contacts/add|remove.

// Folder is a contact folder.
type Folder struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}

// List is a contact list. Its members are the contacts whose ListIDs hold
// its ID.
type List struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	FolderID  int64     `json:"folderId"`
	CreatedAt time.Time `json:"createdAt"`
}

// listStats counts a list's members; caller holds e.mu.
func (e *Emulator) listStats(ids ...int64) (subscribers, blacklisted int) {
	for _, c := range e.st.Contacts {
		if slices.ContainsFunc(ids, func(id int64) bool { return slices.Contains(c.ListIDs, id) }) {
			if c.EmailBlacklisted {
				blacklisted++
			} else {
				subscribers++
			}
		}
	}
	return subscribers, blacklisted
}

func (e *Emulator) findList(id int64) *List {
	for i := range e.st.Lists {
		if e.st.Lists[i].ID == id {
			return &e.st.Lists[i]
		}
	}
	return nil
}

func (e *Emulator) findFolder(id int64) *Folder {
	for i := range e.st.Folders {
		if e.st.Folders[i].ID == id {
			return &e.st.Folders[i]
		}
	}
	return nil
}

// missingList returns the first of ids that names no list; caller holds e.mu.
func (e *Emulator) missingList(ids []int64) (int64, bool) {
	for _, id := range ids {
		if e.findList(id) == nil {
			return id, true
		}
	}
	return 0, false
}

func (e *Emulator) listJSON(l *List, extended bool) map[string]any {
	subs, bl := e.listStats(l.ID)
	m := map[string]any{
		"id": l.ID, "name": l.Name, "folderId": l.FolderID,
		"totalSubscribers": subs, "totalBlacklisted": bl, "uniqueSubscribers": subs + bl,
	}
	if extended {
		m["createdAt"] = rfc(l.CreatedAt)
		m["campaignStats"] = []any{}
		m["dynamicList"] = false
	}
	return m
}

func (e *Emulator) createFolder(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Name *string `json:"name"`
	}
	if _, ok := readJSON(w, r, &b); !ok {
		return
	}
	if b.Name == nil || strings.TrimSpace(*b.Name) == "" {
		writeError(w, http.StatusBadRequest, "missing_parameter", "name is missing")
		return
	}
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st.NextFolderID++
	f := Folder{ID: e.st.NextFolderID, Name: *b.Name, CreatedAt: now}
	e.st.Folders = append(e.st.Folders, f)
	writeJSON(w, http.StatusCreated, map[string]any{"id": f.ID})
}

func (e *Emulator) listFolders(w http.ResponseWriter, r *http.Request) {
	pg, ok := readPage(w, r, 10, 50, true)
	if !ok {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	writePage(w, pg, "folders", len(e.st.Folders), nil, func(i int) map[string]any {
		f := &e.st.Folders[i]
		var lists []int64
		for _, l := range e.st.Lists {
			if l.FolderID == f.ID {
				lists = append(lists, l.ID)
			}
		}
		subs, bl := e.listStats(lists...)
		return map[string]any{"id": f.ID, "name": f.Name, "totalSubscribers": subs, "totalBlacklisted": bl, "uniqueSubscribers": subs + bl}
	})
}

func (e *Emulator) createList(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Name     *string `json:"name"`
		FolderID *int64  `json:"folderId"`
	}
	if _, ok := readJSON(w, r, &b); !ok {
		return
	}
	switch {
	case b.Name == nil || strings.TrimSpace(*b.Name) == "":
		writeError(w, http.StatusBadRequest, "missing_parameter", "name is missing")
		return
	case b.FolderID == nil:
		writeError(w, http.StatusBadRequest, "missing_parameter", "folderId is missing")
		return
	}
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.findFolder(*b.FolderID) == nil {
		writeError(w, http.StatusBadRequest, "document_not_found", fmt.Sprintf("folder %d does not exist", *b.FolderID))
		return
	}
	id := e.newList(*b.Name, *b.FolderID, now)
	writeJSON(w, http.StatusCreated, map[string]any{"id": id})
}

// newList creates a list; caller holds e.mu.
func (e *Emulator) newList(name string, folder int64, now time.Time) int64 {
	e.st.NextListID++
	e.st.Lists = append(e.st.Lists, List{ID: e.st.NextListID, Name: name, FolderID: folder, CreatedAt: now})
	return e.st.NextListID
}

func (e *Emulator) listLists(w http.ResponseWriter, r *http.Request) {
	pg, ok := readPage(w, r, 10, 50)
	if !ok {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	writePage(w, pg, "lists", len(e.st.Lists), nil, func(i int) map[string]any { return e.listJSON(&e.st.Lists[i], false) })
}

// pathList resolves {listId}, answering 400 or 404; caller holds e.mu.
func (e *Emulator) pathList(w http.ResponseWriter, r *http.Request) *List {
	id, err := strconv.ParseInt(r.PathValue("listId"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_parameter", "listId is not valid")
		return nil
	}
	l := e.findList(id)
	if l == nil {
		writeError(w, http.StatusNotFound, "document_not_found", "List ID not found")
	}
	return l
}

func (e *Emulator) getList(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if l := e.pathList(w, r); l != nil {
		writeJSON(w, http.StatusOK, e.listJSON(l, true))
	}
}

func (e *Emulator) listMembers(w http.ResponseWriter, r *http.Request) {
	pg, mod, _, ok := readPageSince(w, r, 50, 500)
	if !ok {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	l := e.pathList(w, r)
	if l == nil {
		return
	}
	e.writeContacts(w, pg, func(c *Contact) bool {
		return slices.Contains(c.ListIDs, l.ID) && (mod.IsZero() || c.ModifiedAt.After(mod))
	})
}

// writeContacts answers a getContacts page of the contacts that match;
// caller holds e.mu.
func (e *Emulator) writeContacts(w http.ResponseWriter, pg page, match func(*Contact) bool) {
	writePage(w, pg, "contacts", len(e.st.Contacts), func(i int) bool { return match(e.st.Contacts[i]) },
		func(i int) map[string]any { return contactJSON(e.st.Contacts[i]) })
}

// listContacts is GET /v3/contacts with its limit, offset, sort,
// modifiedSince, createdSince and listIds filters.
func (e *Emulator) listContacts(w http.ResponseWriter, r *http.Request) {
	pg, mod, created, ok := readPageSince(w, r, 50, 1000)
	if !ok {
		return
	}
	var lists []int64
	for _, s := range queryList(r, "listIds") {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid_parameter", "listIds is not valid")
			return
		}
		lists = append(lists, id)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.writeContacts(w, pg, func(c *Contact) bool {
		return (mod.IsZero() || c.ModifiedAt.After(mod)) && (created.IsZero() || c.CreatedAt.After(created)) &&
			(len(lists) == 0 || slices.ContainsFunc(lists, func(id int64) bool { return slices.Contains(c.ListIDs, id) }))
	})
}

type listMembersIn struct {
	Emails []string `json:"emails"`
	IDs    []int64  `json:"ids"`
	All    bool     `json:"all"`
}

func (e *Emulator) addToList(w http.ResponseWriter, r *http.Request)      { e.changeList(w, r, true) }
func (e *Emulator) removeFromList(w http.ResponseWriter, r *http.Request) { e.changeList(w, r, false) }

// changeList adds or removes existing contacts, by emails or else by ids.
// A contact that does not exist, or already is (add) or is not (remove) in
// the list, is reported in failure; an add that adds nobody is refused with
// 400 invalid_parameter "Contact already in list and/or does not exist", as
// Brevo answers. Membership never touches a contact's
// blacklist flags: adding a blocklisted contact does not re-subscribe it.
func (e *Emulator) changeList(w http.ResponseWriter, r *http.Request, add bool) {
	var b listMembersIn
	if _, ok := readJSON(w, r, &b); !ok {
		return
	}
	limit := e.batchLimits().ListMembers
	switch {
	case b.Emails == nil && b.IDs == nil && !(b.All && !add):
		writeError(w, http.StatusBadRequest, "missing_parameter", "emails or ids is missing")
		return
	case b.Emails != nil && len(b.Emails) == 0 || b.Emails == nil && b.IDs != nil && len(b.IDs) == 0:
		writeError(w, http.StatusBadRequest, "invalid_parameter", "emails or ids must not be empty")
		return
	case limit > 0 && (len(b.Emails) > limit || len(b.IDs) > limit):
		writeError(w, http.StatusBadRequest, "out_of_range", fmt.Sprintf("at most %d emails or ids are allowed per request", limit))
		return
	}
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	l := e.pathList(w, r)
	if l == nil {
		return
	}
	if !add && b.Emails == nil && b.IDs == nil && b.All {
		total := 0
		for _, c := range e.st.Contacts {
			if slices.Contains(c.ListIDs, l.ID) {
				c.ListIDs = slices.DeleteFunc(c.ListIDs, func(id int64) bool { return id == l.ID })
				c.ModifiedAt = now
				total++
			}
		}
		p := e.newProcess("REMOVE_LIST_CONTACTS", now)
		writeJSON(w, http.StatusCreated, map[string]any{"contacts": map[string]any{"total": total, "processId": p}})
		return
	}
	success, failure := []string{}, []string{}
	apply := func(key string, c *Contact) {
		in := c != nil && slices.Contains(c.ListIDs, l.ID)
		switch {
		case c == nil || in == add:
			failure = append(failure, key)
		case add:
			c.ListIDs = append(c.ListIDs, l.ID)
			slices.Sort(c.ListIDs)
			c.ModifiedAt = now
			success = append(success, key)
		default:
			c.ListIDs = slices.DeleteFunc(c.ListIDs, func(id int64) bool { return id == l.ID })
			c.ModifiedAt = now
			success = append(success, key)
		}
	}
	if b.Emails != nil {
		for _, em := range b.Emails {
			apply(em, e.findContact("email_id", em))
		}
	} else {
		for _, id := range b.IDs {
			apply(strconv.FormatInt(id, 10), e.findContact("contact_id", strconv.FormatInt(id, 10)))
		}
	}
	if add && len(success) == 0 {
		// Brevo refuses an add in which no contact could be added.
		writeError(w, http.StatusBadRequest, "invalid_parameter", "Contact already in list and/or does not exist")
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"contacts": map[string]any{"success": success, "failure": failure}})
}
