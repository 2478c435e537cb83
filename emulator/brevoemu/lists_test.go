package brevoemu

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// setupList creates a folder and a list and returns the list id.
func setupList(t *testing.T, v *env, name string) int64 {
	t.Helper()
	r := v.call("POST", "/v3/contacts/folders", `{"name":"bcflow"}`, true)
	if r.status != 201 {
		t.Fatalf("folder: %d %s", r.status, r.body)
	}
	folder := int64(r.json(t)["id"].(float64))
	r = v.call("POST", "/v3/contacts/lists", fmt.Sprintf(`{"name":%q,"folderId":%d}`, name, folder), true)
	if r.status != 201 {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	return int64(r.json(t)["id"].(float64))
}

func TestFoldersAndLists(t *testing.T) {
	v := newEnv(t, Options{})
	list := setupList(t, v, "Customers")
	wantError(t, v.call("POST", "/v3/contacts/lists", `{"name":"x","folderId":99}`, true), 400, "document_not_found")
	wantError(t, v.call("POST", "/v3/contacts/lists", `{"name":"x"}`, false), 400, "missing_parameter")
	wantError(t, v.call("POST", "/v3/contacts/folders", `{}`, true), 400, "missing_parameter")
	wantError(t, v.call("GET", "/v3/contacts/folders", "", false), 400, "missing_parameter")

	v.call("POST", "/v3/contacts", `{"email":"ann@example.com"}`, true)
	v.call("POST", "/v3/contacts", `{"email":"bob@example.com","emailBlacklisted":true}`, true)
	v.call("POST", "/v3/contacts", `{"email":"cy@example.com"}`, true)

	// Add by emails: unknown contacts fail; a blocklisted contact joins
	// the list and stays blocklisted.
	r := v.call("POST", fmt.Sprintf("/v3/contacts/lists/%d/contacts/add", list), `{"emails":["ann@example.com","bob@example.com","nobody@example.com"]}`, true)
	var res struct {
		Contacts struct{ Success, Failure []string } `json:"contacts"`
	}
	if err := json.Unmarshal(r.body, &res); r.status != 201 || err != nil || len(res.Contacts.Success) != 2 || len(res.Contacts.Failure) != 1 {
		t.Fatalf("add: %d %s", r.status, r.body)
	}
	if c, _ := v.e.Contact("bob@example.com"); !c.EmailBlacklisted || !slices.Contains(c.ListIDs, list) {
		t.Fatalf("blocklisted contact after add: %+v", c)
	}
	// Again: already in the list.
	r = v.call("POST", fmt.Sprintf("/v3/contacts/lists/%d/contacts/add", list), `{"ids":[1,3]}`, true)
	_ = json.Unmarshal(r.body, &res)
	if r.status != 201 || !slices.Equal(res.Contacts.Success, []string{"3"}) || !slices.Equal(res.Contacts.Failure, []string{"1"}) {
		t.Fatalf("add by ids: %d %s", r.status, r.body)
	}
	r = v.call("GET", "/v3/contacts/ann@example.com", "", true)
	if ids, _ := r.json(t)["listIds"].([]any); len(ids) != 1 || ids[0] != float64(list) {
		t.Fatalf("contact listIds: %s", r.body)
	}

	// Lists and their counts.
	r = v.call("GET", fmt.Sprintf("/v3/contacts/lists/%d", list), "", true)
	if m := r.json(t); r.status != 200 || m["totalSubscribers"] != 2.0 || m["totalBlacklisted"] != 1.0 || m["uniqueSubscribers"] != 3.0 || m["name"] != "Customers" {
		t.Fatalf("get list: %d %s", r.status, r.body)
	}
	r = v.call("GET", "/v3/contacts/lists?limit=50&offset=0", "", true)
	if m := r.json(t); r.status != 200 || m["count"] != 1.0 {
		t.Fatalf("lists: %d %s", r.status, r.body)
	}
	r = v.call("GET", "/v3/contacts/folders?limit=10&offset=0", "", true)
	if m := r.json(t); r.status != 200 || m["count"] != 1.0 || m["folders"].([]any)[0].(map[string]any)["uniqueSubscribers"] != 3.0 {
		t.Fatalf("folders: %d %s", r.status, r.body)
	}
	r = v.call("GET", fmt.Sprintf("/v3/contacts/lists/%d/contacts?limit=2&sort=asc", list), "", true)
	if m := r.json(t); r.status != 200 || m["count"] != 3.0 || len(m["contacts"].([]any)) != 2 || m["contacts"].([]any)[0].(map[string]any)["email"] != "ann@example.com" {
		t.Fatalf("list contacts: %d %s", r.status, r.body)
	}
	r = v.call("GET", fmt.Sprintf("/v3/contacts?listIds=%d&limit=10", list), "", true)
	if r.status != 200 || r.json(t)["count"] != 3.0 {
		t.Fatalf("GET /v3/contacts?listIds: %d %s", r.status, r.body)
	}
	wantError(t, v.call("GET", "/v3/contacts/lists/99", "", true), 404, "document_not_found")
	wantError(t, v.call("POST", "/v3/contacts/lists/99/contacts/add", `{"emails":["ann@example.com"]}`, true), 404, "document_not_found")

	// Remove: by emails, with the 150 limit; then all.
	r = v.call("POST", fmt.Sprintf("/v3/contacts/lists/%d/contacts/remove", list), `{"emails":["ann@example.com","nobody@example.com"]}`, true)
	_ = json.Unmarshal(r.body, &res)
	if r.status != 201 || len(res.Contacts.Success) != 1 || len(res.Contacts.Failure) != 1 {
		t.Fatalf("remove: %d %s", r.status, r.body)
	}
	var many []string
	for i := range 151 {
		many = append(many, fmt.Sprintf("%q", fmt.Sprintf("c%d@example.com", i)))
	}
	wantError(t, v.call("POST", fmt.Sprintf("/v3/contacts/lists/%d/contacts/add", list), `{"emails":[`+strings.Join(many, ",")+`]}`, false), 400, "out_of_range")
	wantError(t, v.call("POST", fmt.Sprintf("/v3/contacts/lists/%d/contacts/add", list), `{}`, true), 400, "missing_parameter")
	r = v.call("POST", fmt.Sprintf("/v3/contacts/lists/%d/contacts/remove", list), `{"all":true}`, true)
	if m := r.json(t)["contacts"].(map[string]any); r.status != 201 || m["total"] != 2.0 || m["processId"] == nil {
		t.Fatalf("remove all: %d %s", r.status, r.body)
	}
	if ls := v.e.Lists(); len(ls) != 1 || ls[0].Members != 0 {
		t.Fatalf("lists after remove all: %+v", ls)
	}
	var simLists []ListInfo
	if err := json.Unmarshal(v.sim("GET", "/_sim/brevo/lists", "").body, &simLists); err != nil || len(simLists) != 1 || simLists[0].Name != "Customers" {
		t.Fatalf("sim lists: %v %+v", err, simLists)
	}
}

func TestImportContacts(t *testing.T) {
	v := newEnv(t, Options{})
	list := setupList(t, v, "Customers")
	// An unsubscribed contact, and one known only from the blocked list.
	v.call("POST", "/v3/contacts", `{"email":"ann@example.com","attributes":{"FIRSTNAME":"Ann","COMPANY":"Acme"}}`, true)
	v.sim("POST", "/_sim/brevo/webhook/fire", `{"event":"unsubscribed","email":"ann@example.com"}`)
	v.sim("POST", "/_sim/brevo/webhook/fire", `{"event":"hard_bounce","email":"gone@example.com"}`)

	body := fmt.Sprintf(`{"listIds":[%d],"updateExistingContacts":true,"emptyContactsAttributes":false,"emailBlacklist":false,"smsBlacklist":false,`+
		`"jsonBody":[{"email":"ann@example.com","attributes":{"FIRSTNAME":"Annie","COMPANY":""}},{"email":"Bob@Example.com","attributes":{"FIRSTNAME":"Bob","ORDERS":3}},`+
		`{"email":"gone@example.com"},{"email":"not-an-email"}]}`, list)
	r := v.call("POST", "/v3/contacts/import", body, true)
	if r.status != 202 || r.json(t)["processId"] == nil {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	pid := int64(r.json(t)["processId"].(float64))
	ann, _ := v.e.Contact("ann@example.com")
	if !ann.EmailBlacklisted || ann.Attributes["FIRSTNAME"] != "Annie" || ann.Attributes["COMPANY"] != "Acme" || !slices.Contains(ann.ListIDs, list) {
		t.Fatalf("import must keep the blacklist and ignore empty values: %+v", ann)
	}
	bob, ok := v.e.Contact("bob@example.com")
	if !ok || bob.EmailBlacklisted || bob.Attributes["ORDERS"] != json.Number("3") || !slices.Contains(bob.ListIDs, list) {
		t.Fatalf("new contact %+v", bob)
	}
	if gone, _ := v.e.Contact("gone@example.com"); !gone.EmailBlacklisted {
		t.Fatalf("a new contact on the blocked list starts blacklisted: %+v", gone)
	}
	r = v.call("GET", fmt.Sprintf("/v3/processes/%d", pid), "", true)
	if m := r.json(t); r.status != 200 || m["status"] != "completed" || m["name"] != "IMPORTUSER" {
		t.Fatalf("process: %d %s", r.status, r.body)
	}
	if p := v.e.Processes(); len(p) != 1 || p[0].Created != 2 || p[0].Updated != 1 || p[0].Invalid != 1 {
		t.Fatalf("process counts %+v", p)
	}
	wantError(t, v.call("GET", "/v3/processes/999", "", true), 404, "invalid_parameter")
	if r := v.call("GET", "/v3/processes?limit=10", "", true); r.status != 200 || r.json(t)["count"] != 1.0 {
		t.Fatalf("processes: %d %s", r.status, r.body)
	}

	// emptyContactsAttributes erases; updateExistingContacts false leaves
	// attributes alone but still lists the contact; emailBlacklist true
	// blacklists.
	v.call("POST", "/v3/contacts/import", fmt.Sprintf(`{"listIds":[%d],"emptyContactsAttributes":true,"jsonBody":[{"email":"ann@example.com","attributes":{"COMPANY":""}}]}`, list), true)
	if ann, _ := v.e.Contact("ann@example.com"); ann.Attributes["COMPANY"] != nil {
		t.Fatalf("emptyContactsAttributes did not erase: %+v", ann)
	}
	other := setupList(t, v, "Other")
	v.call("POST", "/v3/contacts/import", fmt.Sprintf(`{"listIds":[%d],"updateExistingContacts":false,"emailBlacklist":true,"jsonBody":[{"email":"bob@example.com","attributes":{"FIRSTNAME":"Robert"}}]}`, other), true)
	if bob, _ := v.e.Contact("bob@example.com"); bob.Attributes["FIRSTNAME"] != "Bob" || !slices.Contains(bob.ListIDs, other) || !bob.EmailBlacklisted {
		t.Fatalf("updateExistingContacts false / emailBlacklist: %+v", bob)
	}

	// fileBody CSV and newList.
	r = v.call("POST", "/v3/contacts/import", `{"fileBody":"EMAIL;FIRSTNAME;LASTNAME\ndee@example.com;Dee;Doe\n","newList":{"listName":"Imported","folderId":1}}`, true)
	if r.status != 202 {
		t.Fatalf("fileBody: %d %s", r.status, r.body)
	}
	dee, _ := v.e.Contact("dee@example.com")
	ls := v.e.Lists()
	if dee.Attributes["LASTNAME"] != "Doe" || len(ls) != 3 || ls[2].Name != "Imported" || !slices.Contains(dee.ListIDs, ls[2].ID) {
		t.Fatalf("fileBody import: %+v %+v", dee, ls)
	}

	wantError(t, v.call("POST", "/v3/contacts/import", `{"listIds":[1]}`, true), 400, "missing_parameter")
	wantError(t, v.call("POST", "/v3/contacts/import", `{"jsonBody":[{"email":"x@example.com"}]}`, true), 400, "missing_parameter")
	wantError(t, v.call("POST", "/v3/contacts/import", `{"listIds":[99],"jsonBody":[{"email":"x@example.com"}]}`, true), 400, "invalid_parameter")
	wantError(t, v.call("POST", "/v3/contacts/import", `{"listIds":[1],"jsonBody":[{"email":"x@example.com","attributes":{"A":{"b":1}}}]}`, true), 400, "invalid_parameter")
	if _, ok := v.e.Contact("x@example.com"); ok {
		t.Fatal("a rejected import created a contact")
	}
}

func TestImportSizeLimit(t *testing.T) {
	v := newEnv(t, Options{BatchLimits: BatchLimits{ImportBytes: 100}})
	list := setupList(t, v, "L")
	rows := strings.Repeat(`{"email":"a@example.com"},`, 10)
	wantError(t, v.call("POST", "/v3/contacts/import", fmt.Sprintf(`{"listIds":[%d],"jsonBody":[%s{"email":"b@example.com"}]}`, list, rows), true), 400, "out_of_range")
	if DefaultBatchLimits().ImportBytes != 10<<20 {
		t.Fatal("the spec allows 10 MB of jsonBody")
	}
}

func TestContactBatch(t *testing.T) {
	v := newEnv(t, Options{BatchLimits: BatchLimits{Contacts: 3}})
	v.call("POST", "/v3/contacts", `{"email":"ann@example.com","emailBlacklisted":true,"listIds":[4]}`, true)
	v.call("POST", "/v3/contacts", `{"email":"bob@example.com","attributes":{"SMS":"+41790000001"}}`, true)
	body := `{"contacts":[{"email":"ann@example.com","attributes":{"FIRSTNAME":"Ann"},"listIds":[5],"unlinkListIds":[4]},` +
		`{"id":2,"ext_id":"cust-2","attributes":{"LASTNAME":"Lee"}},{"sms":"+41790000001","smsBlacklisted":true}]}`
	if r := v.call("POST", "/v3/contacts/batch", body, true); r.status != 204 || len(r.body) != 0 {
		t.Fatalf("batch: %d %s", r.status, r.body)
	}
	ann, _ := v.e.Contact("ann@example.com")
	bob, _ := v.e.Contact("bob@example.com")
	if ann.Attributes["FIRSTNAME"] != "Ann" || !slices.Equal(ann.ListIDs, []int64{5}) || !ann.EmailBlacklisted ||
		bob.ExtID != "cust-2" || bob.Attributes["LASTNAME"] != "Lee" || !bob.SMSBlacklisted {
		t.Fatalf("after batch: %+v %+v", ann, bob)
	}
	if r := v.call("GET", "/v3/contacts/cust-2?identifierType=ext_id", "", true); r.status != 200 {
		t.Fatalf("ext_id set by the batch not found: %d", r.status)
	}
	// All or nothing: one unknown contact changes none.
	wantError(t, v.call("POST", "/v3/contacts/batch", `{"contacts":[{"email":"ann@example.com","attributes":{"FIRSTNAME":"X"}},{"email":"nobody@example.com"}]}`, true), 400, "document_not_found")
	if ann, _ := v.e.Contact("ann@example.com"); ann.Attributes["FIRSTNAME"] != "Ann" {
		t.Fatal("a rejected batch changed a contact")
	}
	wantError(t, v.call("POST", "/v3/contacts/batch", `{"contacts":[{"email":"ann@example.com","id":1}]}`, true), 400, "invalid_parameter")
	wantError(t, v.call("POST", "/v3/contacts/batch", `{"contacts":[{"attributes":{"A":"b"}}]}`, true), 400, "missing_parameter")
	wantError(t, v.call("POST", "/v3/contacts/batch", `{"contacts":[{"id":1},{"id":1},{"id":1},{"id":1}]}`, true), 400, "out_of_range")
	// The batch is an explicit per-contact update: emailBlacklisted false
	// unsets (the spec's "Set/unset").
	v.call("POST", "/v3/contacts/batch", `{"contacts":[{"id":1,"emailBlacklisted":false}]}`, true)
	if ann, _ := v.e.Contact("ann@example.com"); ann.EmailBlacklisted {
		t.Fatal("explicit emailBlacklisted false did not unset")
	}
}
