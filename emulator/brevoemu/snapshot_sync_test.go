package brevoemu

import (
	"fmt"
	"path/filepath"
	"testing"
)

func TestSnapshotKeepsSyncState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "brevo.json")
	v := newEnv(t, Options{SnapshotPath: path})
	list := setupList(t, v, "Customers")
	v.call("POST", "/v3/contacts/import", fmt.Sprintf(`{"listIds":[%d],"jsonBody":[{"email":"ann@example.com","attributes":{"SMS":"+41790000001"}}]}`, list), true)
	v.call("POST", "/v3/orders/status/batch", `{"orders":[`+orderJSONBody("1", "ann@example.com", "completed", 30)+`]}`, true)
	v.call("POST", "/v3/products", `{"id":"101","name":"Mug"}`, true)
	v.call("POST", "/v3/categories", `{"id":"7","name":"Kitchen"}`, true)
	if err := v.e.Save(); err != nil {
		t.Fatal(err)
	}
	v2 := newEnv(t, Options{SnapshotPath: path, Clock: v.clock.Now})
	if c := v2.e.Counts(); c.Orders != 1 || c.Products != 1 || c.Categories != 1 || c.Lists != 1 || c.Folders != 1 || c.Contacts != 1 || c.Processes != 1 {
		t.Fatalf("counts after load %+v", c)
	}
	// The indexes are rebuilt: by id, by phone, and ids continue.
	if r := v2.call("GET", "/v3/contacts/+41790000001", "", true); r.status != 200 {
		t.Fatalf("phone lookup after load: %d", r.status)
	}
	wantError(t, v2.call("POST", "/v3/products", `{"id":"101","name":"Mug"}`, true), 400, "duplicate_parameter")
	if r := v2.call("POST", "/v3/orders/status/batch", `{"orders":[`+orderJSONBody("1", "ann@example.com", "shipped", 30)+`]}`, true); r.json(t)["batchId"] != 2.0 {
		t.Fatalf("batch ids restart: %s", r.body)
	}
	if o, _ := v2.e.Order("1"); o.Status != "shipped" || o.Posts != 2 || v2.e.Counts().Orders != 1 {
		t.Fatalf("order after reload and repost %+v", o)
	}
	r := v2.call("POST", "/v3/contacts/lists", `{"name":"Second","folderId":1}`, true)
	if r.json(t)["id"] != float64(list+1) {
		t.Fatalf("list ids restart: %s", r.body)
	}
}
