package bigcommerce

import (
	"context"
	"net/http"
	"testing"

	"github.com/bcflow/bcflow/emulator/bcemu"
)

func TestCustomerFieldsAndAttributes(t *testing.T) {
	env := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/stores/" + testHash + "/v3/customers":
			if got := r.URL.Query().Get("include"); got != "formfields,attributes" {
				t.Errorf("include = %q", got)
			}
			writeJSON(w, 200, `{"data":[{"id":7,"email":"ann@example.com","first_name":"Ann","last_name":"Lee","customer_group_id":1,
				"origin_channel_id":1,"form_fields":[{"name":"Birthday","value":"1990-05-17"},{"name":"Colours","value":["red","blue"]},
				{"name":"Shoe size","value":42.5}],"attributes":[{"id":3,"attribute_id":9,"attribute_value":"05/17/1990"}]}],
				"meta":{"pagination":{"total":1,"count":1,"per_page":250,"current_page":1,"total_pages":1}}}`)
		case "/stores/" + testHash + "/v3/customers/attributes":
			if r.URL.Query().Get("limit") != "250" {
				t.Errorf("attributes query %s", r.URL.RawQuery)
			}
			writeJSON(w, 200, `{"data":[{"id":9,"name":"Date of birth","type":"date"}],
				"meta":{"pagination":{"total":1,"count":1,"per_page":250,"current_page":1,"total_pages":1}}}`)
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
			http.NotFound(w, r)
		}
	}), false, nil)
	ctx := context.Background()
	page := try(env.c.GetCustomersWithFields(ctx, CustomerFilter{PageOptions: PageOptions{Limit: 250}})).must(t)
	if len(page.Items) != 1 || page.HasNext() {
		t.Fatalf("page %+v", page)
	}
	c := page.Items[0]
	if c.ID != 7 || c.Email != "ann@example.com" || c.OriginChannelID != 1 || len(c.FormFields) != 3 || len(c.Attributes) != 1 {
		t.Fatalf("customer %+v", c)
	}
	for i, want := range []string{"1990-05-17", "red, blue", "42.5"} {
		if got := c.FormFields[i].Text(); got != want {
			t.Errorf("form field %d = %q, want %q", i, got, want)
		}
	}
	if a := c.Attributes[0]; a.AttributeID != 9 || a.Value != "05/17/1990" {
		t.Errorf("attribute %+v", a)
	}
	attrs := try(env.c.ListCustomerAttributes(ctx, PageOptions{Page: 1, Limit: 250})).must(t)
	if len(attrs.Items) != 1 || attrs.Items[0].Name != "Date of birth" || attrs.Items[0].Type != "date" {
		t.Fatalf("attributes %+v", attrs)
	}
}

func TestEmulatorCustomerFieldsAndDeletePromotion(t *testing.T) {
	env, _ := newEmuEnv(t, bcemu.Options{}, nil)
	c, ctx := env.c, context.Background()
	page := try(c.GetCustomersWithFields(ctx, CustomerFilter{IDs: []int{1}})).must(t)
	if len(page.Items) != 1 || page.Items[0].ID != 1 || page.Items[0].Email == "" {
		t.Fatalf("customers with fields %+v", page.Items)
	}
	promo := try(c.CreatePromotion(ctx, PromotionInput{Name: "bcflow loyalty X1", CouponType: "SINGLE", MaxUses: 1,
		Rules: []PromotionRule{AmountOffCart(MustParseDecimal("5"))}})).must(t)
	try(c.CreatePromotionCode(ctx, promo.ID, CouponCodeInput{Code: "X1", MaxUses: 1})).must(t)
	if err := c.DeletePromotion(ctx, promo.ID); err != nil {
		t.Fatal(err)
	}
	if found := try(c.ListPromotions(ctx, PromotionFilter{Name: "bcflow loyalty X1"})).must(t); len(found.Items) != 0 {
		t.Fatalf("deleted promotion still listed: %+v", found.Items)
	}
}
