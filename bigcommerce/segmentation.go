package bigcommerce

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// SegmentMaxInFlight is the most concurrent create, update and add requests
// the Customer Segmentation API allows per store (segments.v3: "Limit of 10
// concurrent requests"); a caller running writes in parallel stays at or
// below it. The client's pacing still applies to each request.
const SegmentMaxInFlight = 10

// IsFeatureUnavailable reports whether err says the store cannot use the
// Customer Segmentation API: it is an Enterprise-only feature, and a store
// without it (or a token without the Customers scope) answers 403 to every
// /v3/segments and /v3/shopper-profiles request, or 404 to the collections
// themselves. A 404 for one segment (/v3/segments/{id}/…) is not this: the
// segment was deleted (see IsNotFound).
func IsFeatureUnavailable(err error) bool {
	ae, ok := AsAPIError(err)
	if !ok {
		return false
	}
	p := strings.TrimSuffix(ae.Path, "/")
	if !segmentationPath(p) {
		return false
	}
	switch ae.Status {
	case http.StatusForbidden:
		return true
	case http.StatusNotFound:
		return p == "/v3/segments" || p == "/v3/shopper-profiles"
	}
	return false
}

func segmentationPath(p string) bool {
	for _, root := range []string{"/v3/segments", "/v3/shopper-profiles"} {
		if p == root || strings.HasPrefix(p, root+"/") {
			return true
		}
	}
	return false
}

// conflictProfileRe finds the profile id in a segments.v3 409 message:
// "Shopper profile `1465bb16-…` already exists for segment `dfada416-…`."
var conflictProfileRe = regexp.MustCompile("(?i)shopper profile `([^`]+)`")

// ConflictingProfileIDs returns the shopper profile ids a 409 from "Add
// Shopper Profiles to a Segment" names as already in the segment (its
// errors[].errors map, one message per profile), sorted. It returns nil when
// err is not such a 409 or names none.
func ConflictingProfileIDs(err error) []string {
	ae, ok := AsAPIError(err)
	if !ok || ae.Status != http.StatusConflict {
		return nil
	}
	var ids []string
	for _, msg := range ae.Fields {
		for _, m := range conflictProfileRe.FindAllStringSubmatch(msg, -1) {
			ids = append(ids, m[1])
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// SegmentAddResult tells what AddProfilesToSegmentIdempotent did.
type SegmentAddResult struct {
	// Added are the profiles this call put into the segment.
	Added []string
	// Already are the profiles that were in the segment before (a 409).
	Already []string
}

// AddProfilesToSegmentIdempotent adds shopper profiles to a segment,
// SegmentBatchSize per request, treating "already in the segment" as done:
// a batch answered 409 is sent again without the profiles the 409 names
// (when it names none, the batch's profiles are sent one by one, a 409 then
// meaning that profile is in). Duplicate ids are sent once. Other errors
// stop it; the result then holds what earlier batches did.
func (c *Client) AddProfilesToSegmentIdempotent(ctx context.Context, segmentID string, profileIDs ...string) (SegmentAddResult, error) {
	res := SegmentAddResult{Added: []string{}, Already: []string{}}
	ids := slices.Clone(profileIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for _, batch := range batches(ids, SegmentBatchSize) {
		if err := c.addBatchIdempotent(ctx, segmentID, batch, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

func (c *Client) addBatchIdempotent(ctx context.Context, segmentID string, batch []string, res *SegmentAddResult) error {
	// Each round drops at least one id, so this ends.
	for len(batch) > 0 {
		err := c.postSegmentProfiles(ctx, segmentID, batch)
		if err == nil {
			res.Added = append(res.Added, batch...)
			return nil
		}
		if !IsConflict(err) {
			return err
		}
		in := map[string]bool{}
		for _, id := range ConflictingProfileIDs(err) {
			in[id] = true
		}
		var rest []string
		for _, id := range batch {
			if in[id] {
				res.Already = append(res.Already, id)
			} else {
				rest = append(rest, id)
			}
		}
		if len(rest) == len(batch) {
			// The 409 names none of the batch: find out one by one.
			if len(batch) == 1 {
				res.Already = append(res.Already, batch[0])
				return nil
			}
			for _, id := range batch {
				if err := c.addBatchIdempotent(ctx, segmentID, []string{id}, res); err != nil {
					return err
				}
			}
			return nil
		}
		batch = rest
	}
	return nil
}

// postSegmentProfiles sends one "Add Shopper Profiles to a Segment" request.
func (c *Client) postSegmentProfiles(ctx context.Context, segmentID string, batch []string) error {
	_, err := c.callV3(ctx, request{op: "add profiles to segment " + shortID(segmentID), method: http.MethodPost,
		path: "/segments/" + url.PathEscape(segmentID) + "/shopper-profiles", body: batch}, nil)
	return err
}

// ShopperProfilesResult tells what EnsureShopperProfiles found and did.
type ShopperProfilesResult struct {
	// IDs maps each customer that has a shopper profile now to its id.
	IDs map[int]string
	// Created counts the profiles this call created.
	Created int
	// Missing are customer ids the store does not have (deleted customers,
	// guests' id 0): they cannot have a profile.
	Missing []int
}

// EnsureShopperProfiles returns the shopper profile id of each registered
// customer, creating the missing profiles, SegmentBatchSize customers per
// request. The API has no lookup of profiles by customer id and refuses a
// create for a customer that has a profile (409) or does not exist (4xx):
// when a batch is refused, the batch's customers are read with their
// shopper_profile_id (one GET /v3/customers?id:in=…), and only those that
// exist and have none are created. Ids ≤ 0 are Missing without a request.
func (c *Client) EnsureShopperProfiles(ctx context.Context, customerIDs ...int) (ShopperProfilesResult, error) {
	res := ShopperProfilesResult{IDs: map[int]string{}}
	var ids []int
	for _, id := range customerIDs {
		if id <= 0 {
			res.Missing = append(res.Missing, id)
			continue
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for _, batch := range batches(ids, SegmentBatchSize) {
		created, err := c.createProfiles(ctx, batch)
		if err == nil {
			res.record(created)
			continue
		}
		ae, ok := AsAPIError(err)
		if !ok || (ae.Kind != KindValidation && ae.Kind != KindNotFound && ae.Kind != KindConflict) {
			return res, err
		}
		page, err := c.GetCustomers(ctx, CustomerFilter{IDs: batch, Include: []string{IncludeShopperProfileID},
			PageOptions: PageOptions{Limit: max(len(batch), 1)}})
		if err != nil {
			return res, fmt.Errorf("bigcommerce: ensure shopper profiles: read customers after a refused create: %w", err)
		}
		known := map[int]bool{}
		var create []int
		for _, cu := range page.Items {
			known[cu.ID] = true
			if cu.ShopperProfileID != "" {
				res.IDs[cu.ID] = cu.ShopperProfileID
			} else {
				create = append(create, cu.ID)
			}
		}
		for _, id := range batch {
			if !known[id] {
				res.Missing = append(res.Missing, id)
			}
		}
		if len(create) == 0 {
			continue
		}
		created, err = c.createProfiles(ctx, create)
		if err != nil {
			return res, err
		}
		res.record(created)
	}
	return res, nil
}

func (r *ShopperProfilesResult) record(created []ShopperProfile) {
	for _, p := range created {
		r.IDs[p.CustomerID] = p.ID
	}
	r.Created += len(created)
}

// createProfiles sends one "Create Shopper Profiles" request.
func (c *Client) createProfiles(ctx context.Context, customerIDs []int) ([]ShopperProfile, error) {
	type wire struct {
		CustomerID int `json:"customer_id"`
	}
	body := make([]wire, len(customerIDs))
	for i, id := range customerIDs {
		body[i] = wire{id}
	}
	var out []ShopperProfile
	_, err := c.callV3(ctx, request{op: "create shopper profiles", method: http.MethodPost, path: "/shopper-profiles", body: body}, &out)
	return out, err
}
