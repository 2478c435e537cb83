package bcemu

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// A channel's site is its storefront: the base URL every storefront link of
// the channel is built on (GET /v3/channels/{channel_id}/site). The store's
// first channel (channel 1 by default) has a site at the store's Domain;
// other channels have none until one is set with StoreSeed.Sites,
// SeedFile.Sites, SetChannelSite or the control API, and answer 404 until
// then, as a channel without a site does on the platform.

// siteURL returns the site URL of a channel and whether it has one; the
// caller holds s.mu.
func (s *store) siteURL(channelID int) (string, bool) {
	if u, ok := s.Sites[channelID]; ok {
		return u, true
	}
	if len(s.Channels) > 0 && channelID == s.Channels[0] {
		return s.Domain, true
	}
	return "", false
}

// setSite gives a channel a site, adding the channel to the store when it
// is new; the caller holds s.mu.
func (s *store) setSite(channelID int, siteURL string) error {
	if channelID < 1 {
		return errf(422, "channel_id must be a positive integer, got %d", channelID)
	}
	u, err := url.Parse(siteURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &apiError{Status: 422, Title: "The site url must be an absolute http(s) URL.", Details: map[string]string{"url": siteURL}}
	}
	if s.Sites == nil {
		s.Sites = map[int]string{}
	}
	s.Sites[channelID] = strings.TrimSuffix(siteURL, "/")
	if !s.hasChannel(channelID) {
		s.Channels = append(s.Channels, channelID)
	}
	return nil
}

// SetChannelSite sets the storefront URL of a channel of a store (adding the
// channel when the store does not have it yet).
func (e *Emulator) SetChannelSite(hash string, channelID int, siteURL string) error {
	return e.withStore(hash, func(s *store) error { return s.setSite(channelID, siteURL) })
}

// renderSite renders the channels spec's Site object (the emulator keeps no
// site history: both dates are now).
func renderSite(channelID int, siteURL string, now time.Time) map[string]any {
	created := iso8601(now)
	return map[string]any{
		"id": 1000 + channelID, "url": siteURL, "channel_id": channelID, "created_at": created, "updated_at": created,
		"ssl_status": "shared", "is_checkout_url_customized": false,
		"urls": []any{
			map[string]any{"url": siteURL, "type": "primary", "created_at": created, "updated_at": created},
			map[string]any{"url": siteURL, "type": "canonical", "created_at": created, "updated_at": created},
		},
	}
}

func (e *Emulator) registerSites() {
	e.v3("GET /channels/{channel_id}/site", func(s *store, w http.ResponseWriter, r *http.Request) error {
		id, err := pathInt(r, "channel_id")
		if err != nil {
			return err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		u, ok := s.siteURL(id)
		if !ok {
			return errf(404, "The site for channel %d was not found.", id)
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": renderSite(id, u, e.now()), "meta": map[string]any{}})
		return nil
	})
}
