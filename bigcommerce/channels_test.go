package bigcommerce

import (
	"context"
	"testing"

	"github.com/bcflow/bcflow/emulator/bcemu"
)

func TestEmulatorChannelSite(t *testing.T) {
	seed := bcemu.DefaultStore()
	seed.Domain = "https://shop.example.com"
	seed.Sites = map[int]string{2: "https://eu.example.com/"}
	env, _ := newEmuEnv(t, bcemu.Options{Stores: []bcemu.StoreSeed{seed}}, nil)
	c, ctx := env.c, context.Background()

	site := try(c.GetChannelSite(ctx, 1)).must(t)
	if site.URL != "https://shop.example.com" || site.ChannelID != 1 || len(site.URLs) == 0 || site.URLs[0].Type != "primary" {
		t.Errorf("channel 1 site %+v", site)
	}
	if site := try(c.GetChannelSite(ctx, 2)).must(t); site.URL != "https://eu.example.com" || site.ChannelID != 2 {
		t.Errorf("channel 2 site %+v", site)
	}
	if _, err := c.GetChannelSite(ctx, 7); !IsNotFound(err) {
		t.Errorf("channel without a site: %v", err)
	}
	if _, err := c.GetChannelSite(ctx, 0); err == nil {
		t.Error("channel 0 accepted")
	}
}

func TestEmulatorCustomerConsentFields(t *testing.T) {
	env, emu := newEmuEnv(t, bcemu.Options{}, nil)
	c, ctx := env.c, context.Background()
	cu := try(emu.CreateCustomer(testHash, bcemu.CustomerInput{Email: "texts@example.com",
		Attributes: map[string]string{"SMS opt-in": "Yes", "Tier": "gold"}, FormFields: map[string]string{"WhatsApp opt-in": "yes"}})).must(t)
	vals := try(c.CustomerAttributeValuesByName(ctx, cu.ID, "SMS opt-in")).must(t)
	if len(vals) != 1 || vals[0].Value != "Yes" || vals[0].AttributeID == 0 {
		t.Errorf("SMS opt-in values %+v", vals)
	}
	plain := try(emu.CreateCustomer(testHash, bcemu.CustomerInput{Email: "plain@example.com"})).must(t)
	if vals := try(c.CustomerAttributeValuesByName(ctx, plain.ID, "SMS opt-in")).must(t); len(vals) != 0 {
		t.Errorf("values of a customer without the attribute %+v", vals)
	}
	ff := try(c.CustomerFormFields(ctx, cu.ID)).must(t)
	if len(ff) != 1 || ff[0].Name != "WhatsApp opt-in" || ff[0].Text() != "yes" {
		t.Errorf("form fields %+v", ff)
	}
	if ff := try(c.CustomerFormFields(ctx, 98765)).must(t); len(ff) != 0 {
		t.Errorf("form fields of a missing customer %+v", ff)
	}
	if _, err := c.CustomerAttributeValuesByName(ctx, cu.ID, ""); err == nil {
		t.Error("empty attribute name accepted")
	}
}
