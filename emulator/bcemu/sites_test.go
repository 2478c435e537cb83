package bcemu

import "testing"

func TestChannelSite(t *testing.T) {
	seed := DefaultStore()
	seed.Domain = "https://shop.example.com/"
	seed.Sites = map[int]string{3: "https://eu.example.com"}
	en := newEnv(t, Options{Stores: []StoreSeed{seed}})
	siteOf := func(ch string) map[string]any {
		t.Helper()
		r := en.api("GET", "v3", "/channels/"+ch+"/site", nil)
		wantStatus(t, r, 200)
		return r.obj(t)["data"].(map[string]any)
	}
	// The first channel's site is the store's domain.
	if d := siteOf("1"); d["url"] != "https://shop.example.com" || d["channel_id"] != float64(1) {
		t.Errorf("channel 1 site %v", d)
	}
	// A seeded site serves its channel.
	if d := siteOf("3"); d["url"] != "https://eu.example.com" || d["channel_id"] != float64(3) {
		t.Errorf("channel 3 site %v", d)
	}
	// A channel without a site answers 404.
	wantStatus(t, en.api("GET", "v3", "/channels/2/site", nil), 404)

	// The control API sets a channel's site; a relative URL is refused.
	wantStatus(t, en.sim("PUT", "/"+testHash+"/channels/2/site", map[string]any{"url": "/relative"}), 422)
	wantStatus(t, en.sim("PUT", "/"+testHash+"/channels/2/site", map[string]any{"url": "https://b2b.example.com/"}), 200)
	if d := siteOf("2"); d["url"] != "https://b2b.example.com" {
		t.Errorf("channel 2 site %v", d)
	}
	if info := en.e.Stores()[0]; len(info.Channels) != 3 {
		t.Errorf("channels after setting sites: %v", info.Channels)
	}
	// So does a seed file.
	if err := en.e.ApplySeed(SeedFile{Sites: map[int]string{1: "https://www.example.com"}}); err != nil {
		t.Fatal(err)
	}
	if d := siteOf("1"); d["url"] != "https://www.example.com" {
		t.Errorf("channel 1 after seed %v", d)
	}
}
