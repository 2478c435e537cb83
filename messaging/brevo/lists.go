package brevo

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/bcflow/bcflow/messaging"
)

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
