package bigcommerce

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
)

// Site is a channel's storefront site (Channels › Site): URL is the fully
// qualified base every storefront link of the channel is appended to.
type Site struct {
	ID        int    `json:"id"`
	URL       string `json:"url"`
	ChannelID int    `json:"channel_id"`
	// URLs lists the site's primary, canonical and checkout URLs.
	URLs []SiteURL `json:"urls"`
}

// SiteURL is one URL of a site.
type SiteURL struct {
	URL string `json:"url"`
	// Type is primary, canonical or checkout.
	Type string `json:"type"`
}

// GetChannelSite returns the storefront site of a channel
// (GET /v3/channels/{channel_id}/site). A channel without a site answers
// not found (IsNotFound).
func (c *Client) GetChannelSite(ctx context.Context, channelID int) (Site, error) {
	if channelID < 1 {
		return Site{}, fmt.Errorf("bigcommerce: get channel site: invalid channel id %d", channelID)
	}
	var out Site
	_, err := c.callV3(ctx, request{op: "get site of channel " + strconv.Itoa(channelID), method: http.MethodGet,
		path: "/channels/" + strconv.Itoa(channelID) + "/site"}, &out)
	return out, err
}
