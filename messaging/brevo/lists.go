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
// request (the spec's maxItems), and returns the emails (as given) that are
// not in the list afterwards. Brevo reports both the contacts it does not
// know and those already in the list as "failure" (and refuses a request in
// which nothing could be added with 400 "Contact already in list and/or does
// not exist"), so each email it did not add is looked up (GET
// /contacts/{identifier}): a member counts as done, a contact Brevo does not
// know is failed. Those lookups only happen for emails Brevo did not add;
// bulk imports should use ImportContacts with the list instead.
func (c *Client) AddToList(ctx context.Context, listID int64, emails []string) ([]string, error) {
	const op = "AddToList"
	batches, given, err := c.memberBatches(op, listID, emails)
	if err != nil {
		return nil, err
	}
	path := listMembersPath(listID, "add")
	failed := []string{}
	for _, batch := range batches {
		out, status, err := c.postMembers(ctx, op, epListAdd, path, batch)
		var unsure []string
		switch {
		case err == nil:
			unsure = out.Contacts.Failure
		case status == http.StatusBadRequest && isNoop(err, []string{"already in list", "does not exist"}):
			unsure = batch
		default:
			return failed, scrub(err)
		}
		for _, e := range unsure {
			in, err := c.inList(ctx, op, listID, e)
			if err != nil {
				return failed, err
			}
			if !in {
				failed = append(failed, given.of(e))
			}
		}
		c.log.DebugContext(ctx, "brevo: contacts added to list", "list_id", listID,
			"added", len(out.Contacts.Success), "not_added", len(unsure))
	}
	if len(failed) > 0 {
		c.log.DebugContext(ctx, "brevo: emails not added to list: no such contact", "list_id", listID, "count", len(failed))
	}
	return failed, nil
}

// RemoveFromList removes contacts from a list through POST
// /contacts/lists/{listId}/contacts/remove, MaxListMembersPerCall emails per
// request, and returns the emails (as given) that Brevo did not remove
// because they were not in the list or are no contact (its "failure", or the
// whole batch when it refuses a request that removed nobody): not an error.
func (c *Client) RemoveFromList(ctx context.Context, listID int64, emails []string) ([]string, error) {
	const op = "RemoveFromList"
	batches, given, err := c.memberBatches(op, listID, emails)
	if err != nil {
		return nil, err
	}
	path := listMembersPath(listID, "remove")
	notMembers := []string{}
	for _, batch := range batches {
		out, status, err := c.postMembers(ctx, op, epListRemove, path, batch)
		var not []string
		switch {
		case err == nil:
			not = out.Contacts.Failure
		case status == http.StatusBadRequest && isNoop(err, []string{"not in list", "does not exist", "already removed"}):
			not = batch
		default:
			return notMembers, scrub(err)
		}
		for _, e := range not {
			notMembers = append(notMembers, given.of(e))
		}
		c.log.DebugContext(ctx, "brevo: contacts removed from list", "list_id", listID,
			"removed", len(out.Contacts.Success), "not_members", len(not))
	}
	return notMembers, nil
}

// givenEmails maps an email in lower case to the form the caller gave.
type givenEmails map[string]string

// of returns the caller's form of an email Brevo answered with.
func (g givenEmails) of(email string) string {
	if orig, ok := g[strings.ToLower(strings.TrimSpace(email))]; ok {
		return orig
	}
	return email
}

// memberBatches checks the list id and the emails, drops duplicates (emails
// are case-insensitive) and splits them into batches of
// MaxListMembersPerCall.
func (c *Client) memberBatches(op string, listID int64, emails []string) ([][]string, givenEmails, error) {
	if listID <= 0 {
		return nil, nil, c.errorf(op, messaging.KindValidation, "a list id is required")
	}
	given := givenEmails{}
	clean := make([]string, 0, len(emails))
	for i, e := range emails {
		e = strings.TrimSpace(e)
		if !strings.Contains(e, "@") {
			return nil, nil, c.errorf(op, messaging.KindValidation, "email %d is not an email address", i)
		}
		key := strings.ToLower(e)
		if _, dup := given[key]; dup {
			continue
		}
		given[key] = e
		clean = append(clean, e)
	}
	slices.SortFunc(clean, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	var out [][]string
	for start := 0; start < len(clean); start += MaxListMembersPerCall {
		out = append(out, clean[start:min(start+MaxListMembersPerCall, len(clean))])
	}
	return out, given, nil
}

func listMembersPath(listID int64, verb string) string {
	return "/contacts/lists/" + url.PathEscape(strconv.FormatInt(listID, 10)) + "/contacts/" + verb
}

// membersResult is the postContactInfo answer of a list add or remove.
type membersResult struct {
	Contacts struct {
		Success []string `json:"success"`
		Failure []string `json:"failure"`
	} `json:"contacts"`
}

func (c *Client) postMembers(ctx context.Context, op string, ep endpoint, path string, batch []string) (membersResult, int, error) {
	var out membersResult
	status, err := c.callPath(ctx, op, ep, path, map[string][]string{"emails": batch}, nil, &out)
	return out, status, err
}

// inList reports whether Brevo has a contact with this email in the list.
func (c *Client) inList(ctx context.Context, op string, listID int64, email string) (bool, error) {
	var out struct {
		ListIDs []int64 `json:"listIds"`
	}
	status, err := c.callPath(ctx, op, epGetContact, "/contacts/"+url.PathEscape(email), nil, nil, &out)
	if status == http.StatusNotFound {
		return false, nil
	}
	if err != nil {
		return false, scrub(err)
	}
	return slices.Contains(out.ListIDs, listID), nil
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
