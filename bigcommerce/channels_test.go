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
