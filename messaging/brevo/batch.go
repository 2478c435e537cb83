package brevo

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"

	"github.com/bcflow/bcflow/messaging"
)

// Batch limits of the store-sync endpoints, from Brevo's documentation:
// POST /orders/status/batch takes up to 1,000 orders or 5 MB; POST
// /products/batch and POST /categories/batch up to 100 items (products up
// to 1,000 only on accounts with a raised limit); list add and remove up to
// 150 emails (the spec's maxItems); a contact import's JSON body up to 10 MB,
// 8 MB recommended. The import has no documented count limit: the client
// caps it at 5,000 contacts so that one import job stays small.
const (
	MaxContactsPerImport  = 5000
	MaxContactImportBytes = 8 << 20
	MaxListMembersPerCall = 150
	MaxOrdersPerBatch     = 1000
	MaxOrderBatchBytes    = 5 << 20
	MaxProductsPerBatch   = 100
	MaxCategoriesPerBatch = 100
)

// batchOverhead is what a batch's wrapper adds to its items' bytes.
const batchOverhead = 256

var (
	// A bulk import of the same contacts converges to the same state.
	epImport = endpoint{http.MethodPost, "/contacts/import", true}
	// Listing changes nothing; creating a folder or list twice makes two,
	// so a creation whose answer was lost is not retried blindly.
	epGetFolders   = endpoint{http.MethodGet, "/contacts/folders", true}
	epCreateFolder = endpoint{http.MethodPost, "/contacts/folders", false}
	epFolderLists  = endpoint{http.MethodGet, "/contacts/folders/{folderId}/lists", true}
	epCreateList   = endpoint{http.MethodPost, "/contacts/lists", false}
	// Adding a member twice or removing a non-member changes nothing.
	epListAdd    = endpoint{http.MethodPost, "/contacts/lists/{listId}/contacts/add", true}
	epListRemove = endpoint{http.MethodPost, "/contacts/lists/{listId}/contacts/remove", true}
	// Orders, products and categories are upserted by id.
	epOrderBatch    = endpoint{http.MethodPost, "/orders/status/batch", true}
	epOrderStatus   = endpoint{http.MethodPost, "/orders/status", true}
	epProductBatch  = endpoint{http.MethodPost, "/products/batch", true}
	epCategoryBatch = endpoint{http.MethodPost, "/categories/batch", true}
)

// SyncBatchLimits returns the batch sizes the store-sync calls split their
// input into.
func (c *Client) SyncBatchLimits() messaging.BatchLimits {
	return messaging.BatchLimits{
		ContactsPerImport: MaxContactsPerImport, ContactImportBytes: MaxContactImportBytes,
		ListMembersPerCall: MaxListMembersPerCall,
		OrdersPerBatch:     MaxOrdersPerBatch, OrderBatchBytes: MaxOrderBatchBytes,
		ProductsPerBatch: MaxProductsPerBatch, CategoriesPerBatch: MaxCategoriesPerBatch,
	}
}

// chunks encodes items and groups them into batches of at most maxItems
// items and maxBytes encoded bytes (0: no byte bound), in order.
func chunks[T any](items []T, maxItems, maxBytes int) ([][]json.RawMessage, error) {
	var out [][]json.RawMessage
	var cur []json.RawMessage
	size := batchOverhead
	for i, it := range items {
		b, err := json.Marshal(it)
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		if maxBytes > 0 && len(b)+batchOverhead > maxBytes {
			return nil, fmt.Errorf("item %d encodes to %d bytes, more than a request holds (%d)", i, len(b), maxBytes)
		}
		if len(cur) > 0 && (len(cur) >= maxItems || (maxBytes > 0 && size+len(b)+1 > maxBytes)) {
			out = append(out, cur)
			cur, size = nil, batchOverhead
		}
		cur = append(cur, b)
		size += len(b) + 1
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out, nil
}

// lastByID keeps, of items sharing an id, the last one, at the place of
// the first: Brevo rejects a batch that repeats an id.
func lastByID[T any](items []T, id func(T) string) []T {
	pos := make(map[string]int, len(items))
	out := make([]T, 0, len(items))
	for _, it := range items {
		k := id(it)
		if i, ok := pos[k]; ok {
			out[i] = it
			continue
		}
		pos[k] = len(out)
		out = append(out, it)
	}
	return out
}

var (
	emailLike = regexp.MustCompile(`[^\s"',;:<>()\[\]{}]+@[^\s"',;:<>()\[\]{}]+`)
	phoneLike = regexp.MustCompile(`\+?[0-9][0-9 ().-]{6,}[0-9]`)
)

// scrub removes email addresses and phone numbers from the message of a
// store-sync failure: Brevo's validation messages may quote the offending
// contact, and sync errors end up in logs and workflow histories.
func scrub(err error) error {
	var e *messaging.Error
	if errors.As(err, &e) {
		e.Message = phoneLike.ReplaceAllString(emailLike.ReplaceAllString(e.Message, "[email]"), "[phone]")
	}
	return err
}
