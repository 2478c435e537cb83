package brevo

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
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
// MaxContactsPerImport contacts or MaxContactImportBytes; a contact listed
// twice (same email, any case) is imported once, the last one winning. The blacklist
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
		rows := lastByID(groups[key], func(r importContact) string { return strings.ToLower(r.Email) })
		batches, err := chunks(rows, MaxContactsPerImport, MaxContactImportBytes)
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
