package brevo

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/bcflow/bcflow/messaging"
)

// ExtIDAttribute is the import column Brevo reads a contact's external id
// from.
const ExtIDAttribute = "EXT_ID"

type importContact struct {
	Email      string         `json:"email"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

// ImportContacts creates or updates contacts through POST /contacts/import
// (jsonBody, updateExistingContacts true, emptyContactsAttributes false, no
// notification email), into listIDs plus each contact's own ListIDs:
// contacts are grouped by their set of lists, one import per group and per
// MaxContactsPerImport contacts or MaxContactImportBytes. The blacklist
// flags are never sent, so an import cannot subscribe a contact who opted
// out. Attributes are mapped as UpsertContact maps them, with ExtID in
// ExtIDAttribute. Brevo imports in the background: the call returns once
// every import is accepted, and polls nothing.
//
// Why the import and not POST /contacts/batch: the batch endpoint only
// updates contacts that already exist, while a sync mostly creates them;
// the import creates and updates, adds to lists in the same request and
// takes thousands of contacts per call.
func (c *Client) ImportContacts(ctx context.Context, contacts []messaging.Contact, listIDs []int64) error {
	const op = "ImportContacts"
	groups := map[string][]importContact{}
	lists := map[string][]int64{}
	var order []string
	for i, ct := range contacts {
		email := strings.TrimSpace(ct.Email)
		switch {
		case email == "" || !strings.Contains(email, "@"):
			return c.errorf(op, messaging.KindValidation, "contact %d: an email address is required", i)
		case ct.Phone != "" && !e164.MatchString(ct.Phone):
			return c.errorf(op, messaging.KindValidation, "contact %d: phone is not an E.164 number", i)
		}
		ids := slices.Concat(listIDs, ct.ListIDs)
		slices.Sort(ids)
		ids = slices.Compact(ids)
		if len(ids) == 0 {
			return c.errorf(op, messaging.KindValidation, "contact %d: a list is required (Brevo imports into lists)", i)
		}
		key := fmt.Sprint(ids)
		if _, ok := lists[key]; !ok {
			lists[key] = ids
			order = append(order, key)
		}
		groups[key] = append(groups[key], importContact{Email: email, Attributes: c.contactAttributes(ct)})
	}
	for _, key := range order {
		batches, err := chunks(groups[key], MaxContactsPerImport, MaxContactImportBytes)
		if err != nil {
			return c.errorf(op, messaging.KindValidation, "%v", err)
		}
		for _, batch := range batches {
			req := struct {
				JSONBody                []json.RawMessage `json:"jsonBody"`
				ListIDs                 []int64           `json:"listIds"`
				DisableNotification     bool              `json:"disableNotification"`
				UpdateExistingContacts  bool              `json:"updateExistingContacts"`
				EmptyContactsAttributes bool              `json:"emptyContactsAttributes"`
			}{batch, lists[key], true, true, false}
			var out struct {
				ProcessID json.Number `json:"processId"`
			}
			if _, err := c.call(ctx, op, epImport, req, nil, &out); err != nil {
				return scrub(err)
			}
			c.log.DebugContext(ctx, "brevo: contact import accepted", "contacts", len(batch), "lists", len(lists[key]),
				"process_id", out.ProcessID.String())
		}
	}
	return nil
}

// contactAttributes maps a contact's fields to Brevo attributes, as
// UpsertContact does; explicit attributes win.
func (c *Client) contactAttributes(ct messaging.Contact) map[string]any {
	attrs := map[string]any{}
	if ct.FirstName != "" {
		attrs["FIRSTNAME"] = ct.FirstName
	}
	if ct.LastName != "" {
		attrs["LASTNAME"] = ct.LastName
	}
	if ct.Phone != "" {
		attrs["SMS"] = ct.Phone
	}
	if ct.ExtID != "" {
		attrs[ExtIDAttribute] = ct.ExtID
	}
	if ct.Tags != nil {
		attrs[c.tagsAttribute] = joinTags(ct.Tags)
	}
	maps.Copy(attrs, ct.Attributes)
	if len(attrs) == 0 {
		return nil
	}
	return attrs
}

// listPage is the page size of folder and list listings (the spec's maximum).
const listPage = 50

type namedID struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// EnsureList returns the id of the list listName in the folder folderName,
// creating either when missing (GET/POST /contacts/folders, GET
// /contacts/folders/{folderId}/lists, POST /contacts/lists). Names match
// exactly. Ids are cached; concurrent calls for a missing list create it
// once.
func (c *Client) EnsureList(ctx context.Context, folderName, listName string) (int64, error) {
	const op = "EnsureList"
	if strings.TrimSpace(folderName) == "" || strings.TrimSpace(listName) == "" {
		return 0, c.errorf(op, messaging.KindValidation, "a folder name and a list name are required")
	}
	key := folderName + "\x00" + listName
	c.listsMu.Lock()
	defer c.listsMu.Unlock()
	if id, ok := c.listIDs[key]; ok {
		return id, nil
	}
	folderID, ok := c.folderIDs[folderName]
	if !ok {
		var err error
		if folderID, err = c.findFolder(ctx, op, folderName); err != nil {
			return 0, err
		}
		if folderID == 0 {
			var out namedID
			if _, err := c.call(ctx, op, epCreateFolder, map[string]string{"name": folderName}, nil, &out); err != nil {
				return 0, err
			}
			folderID = out.ID
		}
		c.folderIDs[folderName] = folderID
	}
	listID, err := c.findList(ctx, op, folderID, listName)
	if err != nil {
		return 0, err
	}
	if listID == 0 {
		var out namedID
		req := struct {
			Name     string `json:"name"`
			FolderID int64  `json:"folderId"`
		}{listName, folderID}
		if _, err := c.call(ctx, op, epCreateList, req, nil, &out); err != nil {
			return 0, err
		}
		listID = out.ID
	}
	c.listIDs[key] = listID
	return listID, nil
}

// findFolder pages through the folders for name; 0 when there is none.
func (c *Client) findFolder(ctx context.Context, op, name string) (int64, error) {
	for offset := 0; ; offset += listPage {
		var out struct {
			Folders []namedID `json:"folders"`
			Count   int       `json:"count"`
		}
		path := fmt.Sprintf("/contacts/folders?limit=%d&offset=%d&sort=asc", listPage, offset)
		if _, err := c.callPath(ctx, op, epGetFolders, path, nil, nil, &out); err != nil {
			return 0, err
		}
		for _, f := range out.Folders {
			if f.Name == name {
				return f.ID, nil
			}
		}
		if len(out.Folders) < listPage || offset+listPage >= out.Count {
			return 0, nil
		}
	}
}

// findList pages through a folder's lists for name; 0 when there is none.
func (c *Client) findList(ctx context.Context, op string, folderID int64, name string) (int64, error) {
	for offset := 0; ; offset += listPage {
		var out struct {
			Lists []namedID `json:"lists"`
			Count int       `json:"count"`
		}
		path := fmt.Sprintf("/contacts/folders/%d/lists?limit=%d&offset=%d&sort=asc", folderID, listPage, offset)
		status, err := c.callPath(ctx, op, epFolderLists, path, nil, nil, &out)
		if status == http.StatusNotFound {
			return 0, nil // an empty new folder may answer 404
		}
		if err != nil {
			return 0, err
		}
		for _, l := range out.Lists {
			if l.Name == name {
				return l.ID, nil
			}
		}
		if len(out.Lists) < listPage || offset+listPage >= out.Count {
			return 0, nil
		}
	}
}

// AddToList adds existing contacts to a list through POST
// /contacts/lists/{listId}/contacts/add, MaxListMembersPerCall emails per
// request. Brevo refuses a request whose every email is already in the list
// (or unknown): that answer counts as done, so that adding again is
// harmless. Contacts it does not know are not added; bulk imports should
// use ImportContacts with the list instead.
func (c *Client) AddToList(ctx context.Context, listID int64, emails []string) error {
	return c.listMembers(ctx, "AddToList", epListAdd, "add", listID, emails,
		[]string{"already in list", "does not exist"})
}

// RemoveFromList removes contacts from a list through POST
// /contacts/lists/{listId}/contacts/remove, MaxListMembersPerCall emails per
// request; emails that are not members are not an error.
func (c *Client) RemoveFromList(ctx context.Context, listID int64, emails []string) error {
	return c.listMembers(ctx, "RemoveFromList", epListRemove, "remove", listID, emails,
		[]string{"not in list", "does not exist", "already removed"})
}

func (c *Client) listMembers(ctx context.Context, op string, ep endpoint, verb string, listID int64, emails []string, noops []string) error {
	if listID <= 0 {
		return c.errorf(op, messaging.KindValidation, "a list id is required")
	}
	clean := make([]string, 0, len(emails))
	for i, e := range emails {
		e = strings.TrimSpace(e)
		if !strings.Contains(e, "@") {
			return c.errorf(op, messaging.KindValidation, "email %d is not an email address", i)
		}
		clean = append(clean, e)
	}
	slices.Sort(clean)
	clean = slices.Compact(clean)
	path := "/contacts/lists/" + url.PathEscape(strconv.FormatInt(listID, 10)) + "/contacts/" + verb
	for start := 0; start < len(clean); start += MaxListMembersPerCall {
		batch := clean[start:min(start+MaxListMembersPerCall, len(clean))]
		var out struct {
			Contacts struct {
				Success []string `json:"success"`
				Failure []string `json:"failure"`
			} `json:"contacts"`
		}
		status, err := c.callPath(ctx, op, ep, path, map[string][]string{"emails": batch}, nil, &out)
		if err != nil {
			if status == http.StatusBadRequest && isNoop(err, noops) {
				continue
			}
			return scrub(err)
		}
		c.log.DebugContext(ctx, "brevo: list membership changed", "op", op, "list_id", listID,
			"done", len(out.Contacts.Success), "failed", len(out.Contacts.Failure))
	}
	return nil
}

// isNoop reports whether a refusal says the change was already in place.
func isNoop(err error, noops []string) bool {
	msg := strings.ToLower(err.Error())
	for _, n := range noops {
		if strings.Contains(msg, n) {
			return true
		}
	}
	return false
}
