package brevoemu

// BatchLimits are the most items one request may carry. A zero field keeps
// its default.
type BatchLimits struct {
	// Orders per POST /v3/orders/status/batch: 1,000, "create up to 1,000
	// orders in a single request" (https://developers.brevo.com/docs/import-your-orders).
	Orders int `json:"orders"`
	// Products per POST /v3/products/batch: 100, "accepts up to 100 product
	// objects" (1,000 only for accounts with an increased limit)
	// (https://developers.brevo.com/reference/create-update-batch-products).
	Products int `json:"products"`
	// Categories per POST /v3/categories/batch: 100, "accepts up to 100
	// category objects" (https://developers.brevo.com/reference/create-update-batch-category).
	Categories int `json:"categories"`
	// ListMembers per POST /v3/contacts/lists/{listId}/contacts/add|remove:
	// 150 emails or ids (the spec's maxItems on addContactToList and
	// removeContactFromList).
	ListMembers int `json:"listMembers"`
	// Contacts per POST /v3/contacts/batch. Neither the spec nor Brevo's
	// reference (https://developers.brevo.com/reference/update-batch-contacts)
	// states a count, so the default -1 means unlimited (the 10 MB body
	// limit still applies).
	Contacts int `json:"contacts"`
	// ImportBytes is the most a POST /v3/contacts/import jsonBody or
	// fileBody may weigh: 10 MB, "Maximum allowed json body size is 10MB"
	// (the spec's requestContactImport).
	ImportBytes int `json:"importBytes"`
}

// DefaultBatchLimits returns Brevo's documented batch limits.
func DefaultBatchLimits() BatchLimits {
	return BatchLimits{Orders: 1000, Products: 100, Categories: 100, ListMembers: 150, Contacts: -1, ImportBytes: 10 << 20}
}

func (e *Emulator) batchLimits() BatchLimits {
	d := DefaultBatchLimits()
	o := e.opts.BatchLimits
	for _, p := range []struct{ dst, src *int }{
		{&d.Orders, &o.Orders}, {&d.Products, &o.Products}, {&d.Categories, &o.Categories},
		{&d.ListMembers, &o.ListMembers}, {&d.Contacts, &o.Contacts}, {&d.ImportBytes, &o.ImportBytes},
	} {
		if *p.src != 0 {
			*p.dst = *p.src
		}
	}
	return d
}
