package activities

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bcflow/bcflow/bigcommerce"
)

// Every link a message carries is absolute. Links BigCommerce hands out
// relative (catalog product URLs, the abandoned-cart link) are appended to
// the channel's storefront URL: the flows file's
// stores[].channels[].storefront_url when set, else the channel's site URL
// from BigCommerce (GET /v3/channels/{id}/site), cached per store and
// channel for StorefrontTTL. When neither exists, a relative link is
// dropped (left empty) and the snapshot's LinkProblem says why, so the flow
// skips the message instead of sending a link that leads nowhere.

// DefaultStorefrontTTL is how long a channel's site URL is cached.
const DefaultStorefrontTTL = time.Hour

// siteCache caches channels' site URLs. The zero value is ready; it is safe
// for concurrent use and asks BigCommerce at most once per key at a time.
type siteCache struct {
	mu      sync.Mutex
	entries map[siteKey]*siteEntry
}

type siteKey struct {
	storeHash string
	channelID int
}

// siteEntry is one cached answer; done is closed once url and err are set.
type siteEntry struct {
	done    chan struct{}
	url     string // "" when the channel has no site
	err     error
	expires time.Time
}

// get returns the cached site URL of key, calling fetch when it is missing
// or expired. Failed fetches are not cached.
func (c *siteCache) get(ctx context.Context, key siteKey, now time.Time, ttl time.Duration, fetch func() (string, error)) (string, error) {
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[siteKey]*siteEntry{}
	}
	e := c.entries[key]
	if e != nil {
		select {
		case <-e.done:
			if e.err != nil || !now.Before(e.expires) {
				e = nil
			}
		default: // another call is fetching it: wait for that answer
		}
	}
	if e == nil {
		e = &siteEntry{done: make(chan struct{})}
		c.entries[key] = e
		c.mu.Unlock()
		e.url, e.err = fetch()
		e.expires = now.Add(ttl)
		if e.err != nil {
			c.mu.Lock()
			if c.entries[key] == e {
				delete(c.entries, key)
			}
			c.mu.Unlock()
		}
		close(e.done)
		return e.url, e.err
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e.url, e.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// storefrontURL returns the storefront base URL of a store's channel (no
// trailing slash), "" when neither the flows file nor BigCommerce has one.
// Channel 0 (unknown) is the default storefront, channel 1.
func (a *Activities) storefrontURL(ctx context.Context, bc *bigcommerce.Client, storeHash string, channelID int) (string, error) {
	if channelID <= 0 {
		channelID = 1
	}
	if a.Flows != nil {
		if u := a.Flows.StorefrontURL(storeHash, channelID); u != "" {
			return u, nil
		}
	}
	ttl := a.StorefrontTTL
	if ttl <= 0 {
		ttl = DefaultStorefrontTTL
	}
	return a.sites.get(ctx, siteKey{storeHash, channelID}, a.now(), ttl, func() (string, error) {
		site, err := bc.GetChannelSite(ctx, channelID)
		if ae, ok := bigcommerce.AsAPIError(err); ok && !ae.Retryable() {
			// No site (404), or an API token without the Channel Settings
			// read scope (403): retrying cannot help; links of this channel
			// need storefront_url in the flows file.
			return "", nil
		}
		if err != nil {
			return "", classify(fmt.Sprintf("load storefront URL of channel %d", channelID), err)
		}
		if !isAbsoluteHTTP(site.URL) {
			return "", nil
		}
		return strings.TrimSuffix(site.URL, "/"), nil
	})
}

// linker makes a message's links absolute against one channel's storefront,
// looking the storefront up only when a link needs it.
type linker struct {
	a         *Activities
	bc        *bigcommerce.Client
	storeHash string
	channelID int

	looked  bool
	base    string
	dropped int // relative links left empty for want of a base
}

func (a *Activities) linker(bc *bigcommerce.Client, storeHash string, channelID int) *linker {
	return &linker{a: a, bc: bc, storeHash: storeHash, channelID: channelID}
}

// abs returns link made absolute, or "" (counted in dropped) when it is
// relative and the channel has no storefront URL. The error is a failure to
// ask BigCommerce for the storefront.
func (l *linker) abs(ctx context.Context, link string) (string, error) {
	link = strings.TrimSpace(link)
	if out, ok := absoluteLink("", link); ok {
		return out, nil
	}
	if !l.looked {
		base, err := l.a.storefrontURL(ctx, l.bc, l.storeHash, l.channelID)
		if err != nil {
			return "", err
		}
		l.base, l.looked = base, true
	}
	out, ok := absoluteLink(l.base, link)
	if !ok {
		l.dropped++
		return "", nil
	}
	return out, nil
}

// problem explains dropped links, "" when none was dropped.
func (l *linker) problem() string {
	if l.dropped == 0 {
		return ""
	}
	ch := l.channelID
	if ch <= 0 {
		ch = 1
	}
	return fmt.Sprintf("no storefront URL for channel %d: %d relative link(s) left out; set storefront_url for the channel in the flows file, or give the channel a site in BigCommerce and the API token the Channel Settings read scope", ch, l.dropped)
}

// absoluteLink returns link unchanged when it is empty or already absolute
// (any scheme; a scheme-relative //host/path gets https), else link appended
// to base. ok is false when link is relative and base is "".
func absoluteLink(base, link string) (string, bool) {
	if link == "" {
		return "", true
	}
	if strings.HasPrefix(link, "//") {
		return "https:" + link, true
	}
	if u, err := url.Parse(link); err == nil && u.Scheme != "" {
		return link, true
	}
	if base == "" {
		return "", false
	}
	return strings.TrimSuffix(base, "/") + "/" + strings.TrimPrefix(link, "/"), true
}

func isAbsoluteHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
