package bcemu

import (
	"fmt"
	"net/http"
	"strings"
)

const (
	// MaxSegmentsPerStore is the segments.v3 limit of segments in a store.
	MaxSegmentsPerStore = 1000
	// MaxProfilesPerRequest is the segments.v3 limit of shopper profile ids in one add request.
	MaxProfilesPerRequest = 50
	// MaxSegmentWritesInFlight is the segments.v3 limit of concurrent
	// create, update and add requests (POST and PUT /v3/segments, POST
	// /v3/segments/{id}/shopper-profiles) of a store: one more answers 429
	// (counted as throttled in RequestStats).
	MaxSegmentWritesInFlight = 10
)

func renderSegment(g *Segment) map[string]any {
	return map[string]any{"id": g.ID, "name": g.Name, "description": g.Description, "created_at": iso8601(g.Created), "updated_at": iso8601(g.Updated)}
}

func renderProfile(p *ShopperProfile) map[string]any {
	return map[string]any{"id": p.ID, "customer_id": p.CustomerID, "created_at": iso8601(p.Created), "updated_at": iso8601(p.Updated)}
}

// segmentConflict writes the segments.v3 409 body {data: [], errors: [...], meta: {total, success, failed}}.
func segmentConflict(w http.ResponseWriter, title string, details map[string]string, total int) {
	item := map[string]any{"status": 409, "title": title, "type": statusCodesDoc, "errors": details}
	writeJSON(w, http.StatusConflict, map[string]any{
		"data": []any{}, "errors": []any{item}, "meta": map[string]any{"total": total, "success": 0, "failed": total},
	})
}

func idsParam(r *http.Request) map[string]bool { return csvStrings(r.URL.Query()["id:in"]) }

func (e *Emulator) registerSegments() {
	list := func(w http.ResponseWriter, r *http.Request, items []any) error {
		pg, err := parsePage(r.URL.Query(), 50, 250, false)
		if err != nil {
			return err
		}
		from, to := pg.slice(len(items))
		data := append([]any{}, items[from:to]...)
		writeJSON(w, http.StatusOK, map[string]any{"data": data, "meta": map[string]any{"pagination": v3Pagination(pg, len(items), len(data), r.URL.Query())}})
		return nil
	}
	e.v3("GET /segments", func(s *store, w http.ResponseWriter, r *http.Request) error {
		ids := idsParam(r)
		s.mu.Lock()
		defer s.mu.Unlock()
		items := []any{}
		for _, g := range s.Segments {
			if len(ids) == 0 || ids[g.ID] {
				items = append(items, renderSegment(g))
			}
		}
		return list(w, r, items)
	})
	e.v3("POST /segments", func(s *store, w http.ResponseWriter, r *http.Request) error {
		var body []struct {
			Name        string `json:"name"`
			Description string `json:"description"`
		}
		if err := decodeJSON(r, &body); err != nil {
			return err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(body) == 0 {
			return &apiError{Status: 400, Title: "At least one segment is required.", Details: map[string]string{"0": "name is required"}}
		}
		if len(s.Segments)+len(body) > MaxSegmentsPerStore {
			return &apiError{Status: 400, Title: fmt.Sprintf("A store can have at most %d segments.", MaxSegmentsPerStore), Details: map[string]string{"segments": "limit reached"}}
		}
		names := map[string]bool{}
		for _, g := range s.Segments {
			names[strings.ToLower(g.Name)] = true
		}
		for i, b := range body {
			if strings.TrimSpace(b.Name) == "" {
				return &apiError{Status: 400, Title: "The segment name is required.", Details: map[string]string{fmt.Sprint(i): "name is required"}}
			}
			if names[strings.ToLower(b.Name)] {
				segmentConflict(w, "Cannot have multiple segments with the same name.", map[string]string{fmt.Sprint(i): b.Name}, len(body))
				return nil
			}
			names[strings.ToLower(b.Name)] = true
		}
		data := []any{}
		for _, b := range body {
			g := &Segment{ID: newUUID(), Name: b.Name, Description: b.Description, Profiles: map[string]bool{}, Created: e.now(), Updated: e.now()}
			s.Segments = append(s.Segments, g)
			data = append(data, renderSegment(g))
		}
		writeJSON(w, http.StatusCreated, map[string]any{"data": data, "meta": map[string]any{}})
		return nil
	})
	e.v3("PUT /segments", func(s *store, w http.ResponseWriter, r *http.Request) error {
		var body []struct {
			ID          string  `json:"id"`
			Name        *string `json:"name"`
			Description *string `json:"description"`
		}
		if err := decodeJSON(r, &body); err != nil {
			return err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		for i, b := range body {
			if s.segment(b.ID) == nil {
				return &apiError{Status: 400, Title: fmt.Sprintf("Segment %s not found.", b.ID), Details: map[string]string{fmt.Sprint(i): "unknown segment"}}
			}
		}
		data := []any{}
		for _, b := range body {
			g := s.segment(b.ID)
			if b.Name != nil {
				g.Name = *b.Name
			}
			if b.Description != nil {
				g.Description = *b.Description
			}
			g.Updated = e.now()
			data = append(data, renderSegment(g))
		}
		writeJSON(w, http.StatusCreated, map[string]any{"data": data, "meta": map[string]any{}})
		return nil
	})
	e.v3("DELETE /segments", func(s *store, w http.ResponseWriter, r *http.Request) error {
		ids := idsParam(r)
		if len(ids) == 0 {
			return &apiError{Status: 422, Title: "The id:in parameter is required.", Details: map[string]string{"id:in": "required"}}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		kept := s.Segments[:0]
		for _, g := range s.Segments {
			if !ids[g.ID] {
				kept = append(kept, g)
			}
		}
		s.Segments = kept
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	e.v3("GET /segments/{id}/shopper-profiles", func(s *store, w http.ResponseWriter, r *http.Request) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		g := s.segment(r.PathValue("id"))
		if g == nil {
			return errf(404, "Segment %s not found.", r.PathValue("id"))
		}
		items := []any{}
		for _, p := range s.Profiles {
			if g.Profiles[p.ID] {
				items = append(items, renderProfile(p))
			}
		}
		return list(w, r, items)
	})
	e.v3("POST /segments/{id}/shopper-profiles", func(s *store, w http.ResponseWriter, r *http.Request) error {
		var ids []string
		if err := decodeJSON(r, &ids); err != nil {
			return err
		}
		if len(ids) == 0 {
			return &apiError{Status: 400, Title: "At least one shopper profile id is required.", Details: map[string]string{"0": "required"}}
		}
		if len(ids) > MaxProfilesPerRequest {
			return &apiError{Status: 400, Title: fmt.Sprintf("At most %d shopper profiles can be added per request.", MaxProfilesPerRequest), Details: map[string]string{"shopper_profiles": fmt.Sprintf("%d given", len(ids))}}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		g := s.segment(r.PathValue("id"))
		if g == nil {
			return errf(404, "Segment %s not found.", r.PathValue("id"))
		}
		// The 409 names every profile already in the segment, keyed by its
		// index in the request, and adds none of the request.
		conflicts := map[string]string{}
		for i, id := range ids {
			if s.profile(id) == nil {
				return &apiError{Status: 400, Title: fmt.Sprintf("Shopper profile %s not found.", id), Details: map[string]string{fmt.Sprint(i): "unknown shopper profile"}}
			}
			if g.Profiles[id] {
				conflicts[fmt.Sprint(i)] = fmt.Sprintf("Shopper profile `%s` already exists for segment `%s`.", id, g.ID)
			}
		}
		if len(conflicts) > 0 {
			segmentConflict(w, "Unable to add shopper profiles to segment due to conflicts.", conflicts, len(ids))
			return nil
		}
		data := []any{}
		for _, id := range ids {
			g.Profiles[id] = true
			data = append(data, renderProfile(s.profile(id)))
		}
		g.Updated = e.now()
		writeJSON(w, http.StatusCreated, map[string]any{"data": data})
		return nil
	})
	e.v3("DELETE /segments/{id}/shopper-profiles", func(s *store, w http.ResponseWriter, r *http.Request) error {
		ids := idsParam(r)
		s.mu.Lock()
		defer s.mu.Unlock()
		g := s.segment(r.PathValue("id"))
		if g == nil {
			return errf(404, "Segment %s not found.", r.PathValue("id"))
		}
		for id := range ids {
			delete(g.Profiles, id)
		}
		g.Updated = e.now()
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	e.v3("GET /shopper-profiles", func(s *store, w http.ResponseWriter, r *http.Request) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		items := []any{}
		for _, p := range s.Profiles {
			items = append(items, renderProfile(p))
		}
		return list(w, r, items)
	})
	e.v3("POST /shopper-profiles", func(s *store, w http.ResponseWriter, r *http.Request) error {
		var body []struct {
			CustomerID int `json:"customer_id"`
		}
		if err := decodeJSON(r, &body); err != nil {
			return err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(body) == 0 {
			return &apiError{Status: 400, Title: "At least one shopper profile is required.", Details: map[string]string{"0": "customer_id is required"}}
		}
		for i, b := range body {
			if s.customer(b.CustomerID) == nil {
				return &apiError{Status: 400, Title: fmt.Sprintf("Customer %d does not exist.", b.CustomerID), Details: map[string]string{fmt.Sprint(i): "unknown customer"}}
			}
			for _, p := range s.Profiles {
				if p.CustomerID == b.CustomerID {
					return &apiError{Status: 409, Title: fmt.Sprintf("Customer %d already has a shopper profile.", b.CustomerID), Details: map[string]string{fmt.Sprint(i): p.ID}}
				}
			}
		}
		data := []any{}
		for _, b := range body {
			p := &ShopperProfile{ID: newUUID(), CustomerID: b.CustomerID, Created: e.now(), Updated: e.now()}
			s.Profiles = append(s.Profiles, p)
			data = append(data, renderProfile(p))
		}
		writeJSON(w, http.StatusCreated, map[string]any{"data": data, "meta": map[string]any{}})
		return nil
	})
	e.v3("DELETE /shopper-profiles", func(s *store, w http.ResponseWriter, r *http.Request) error {
		ids := idsParam(r)
		if len(ids) == 0 {
			return &apiError{Status: 422, Title: "The id:in parameter is required.", Details: map[string]string{"id:in": "required"}}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		kept := s.Profiles[:0]
		for _, p := range s.Profiles {
			if !ids[p.ID] {
				kept = append(kept, p)
			}
		}
		s.Profiles = kept
		for _, g := range s.Segments {
			for id := range ids {
				delete(g.Profiles, id)
			}
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	e.v3("GET /shopper-profiles/{id}/segments", func(s *store, w http.ResponseWriter, r *http.Request) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		p := s.profile(r.PathValue("id"))
		if p == nil {
			return errf(404, "Shopper profile %s not found.", r.PathValue("id"))
		}
		items := []any{}
		for _, g := range s.Segments {
			if g.Profiles[p.ID] {
				items = append(items, renderSegment(g))
			}
		}
		return list(w, r, items)
	})
}

// SegmentationUnavailableTitle is the title of the 403 that every
// /v3/segments* and /v3/shopper-profiles* request of a store without the
// Customer Segmentation API (an Enterprise-only feature) answers. The
// platform's wording is not documented; the status is what clients rely on.
const SegmentationUnavailableTitle = "The Customer Segmentation API is not available on this store's plan."

// segmentationRoute reports whether the path of a store request ("/stores/
// {hash}/v3/segments/…") is a Customer Segmentation API path.
func segmentationRoute(path string) bool {
	parts := strings.SplitN(strings.TrimPrefix(path, "/stores/"), "/", 3)
	if len(parts) < 3 || parts[1] != "v3" {
		return false
	}
	p := strings.TrimSuffix(parts[2], "/")
	for _, root := range []string{"segments", "shopper-profiles"} {
		if p == root || strings.HasPrefix(p, root+"/") {
			return true
		}
	}
	return false
}

// segmentationWrite reports whether r is a Segmentation API request under
// the limit of concurrent writes.
func segmentationWrite(r *http.Request) bool {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		return false
	}
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/stores/"), "/", 3)
	if len(parts) < 3 || parts[1] != "v3" {
		return false
	}
	p := strings.Trim(parts[2], "/")
	if p == "segments" {
		return true
	}
	rest, ok := strings.CutPrefix(p, "segments/")
	return ok && r.Method == http.MethodPost && strings.HasSuffix(rest, "/shopper-profiles") && strings.Count(rest, "/") == 1
}

// SetSegmentationAvailable turns a store's Customer Segmentation API on or
// off at runtime (StoreSeed.NoSegmentation sets it at start). While off,
// every /v3/segments* and /v3/shopper-profiles* request answers 403 with a
// v3 error body (after authentication and rate limiting, as on the platform),
// GET /v3/customers leaves out shopper_profile_id and segment_ids, and
// promotions' segment conditions see every shopper in no segment. Segments and profiles
// made before are kept and come back when it is turned on again.
func (e *Emulator) SetSegmentationAvailable(storeHash string, ok bool) error {
	return e.withStore(storeHash, func(s *store) error {
		s.SegmentationOff = !ok
		return nil
	})
}

// SegmentationAvailable reports whether a store's Customer Segmentation API
// is on.
func (e *Emulator) SegmentationAvailable(storeHash string) (bool, error) {
	var ok bool
	err := e.withStore(storeHash, func(s *store) error {
		ok = !s.SegmentationOff
		return nil
	})
	return ok, err
}

// shopperSegments returns the ids of the segments a customer's shopper
// profile is in: none for guests, customers without a profile, or while the
// store's Segmentation API is off. s.mu must be held.
func (s *store) shopperSegments(customerID int) map[string]bool {
	in := map[string]bool{}
	if customerID <= 0 || s.SegmentationOff {
		return in
	}
	for _, p := range s.Profiles {
		if p.CustomerID != customerID {
			continue
		}
		for _, g := range s.Segments {
			if g.Profiles[p.ID] {
				in[g.ID] = true
			}
		}
	}
	return in
}

// segmentsAllow reports whether a promotion's customer.segments condition
// (promotions.v3 CustomerSegmentLimitation: {"id": [...]} = in any of them,
// {"not": c}, {"and": [...]}, {"or": [...]}) lets the shopper use it; a
// promotion without one lets everyone. s.mu must be held.
func (s *store) segmentsAllow(p *Promotion, customerID int) bool {
	cust, _ := p.Raw["customer"].(map[string]any)
	cond, ok := cust["segments"].(map[string]any)
	if !ok || len(cond) == 0 {
		return true
	}
	return segmentMatch(cond, s.shopperSegments(customerID))
}

func segmentMatch(cond map[string]any, in map[string]bool) bool {
	if ids, ok := cond["id"].([]any); ok {
		for _, id := range ids {
			if s, _ := id.(string); in[s] {
				return true
			}
		}
		return false
	}
	if sub, ok := cond["not"].(map[string]any); ok {
		return !segmentMatch(sub, in)
	}
	if subs, ok := cond["and"].([]any); ok {
		for _, x := range subs {
			if m, _ := x.(map[string]any); !segmentMatch(m, in) {
				return false
			}
		}
		return true
	}
	if subs, ok := cond["or"].([]any); ok {
		for _, x := range subs {
			if m, _ := x.(map[string]any); segmentMatch(m, in) {
				return true
			}
		}
		return false
	}
	return false
}

// unknownSegment returns the first id of a promotion's customer.segments
// condition that names no segment of the store, "" when all exist. s.mu must
// be held.
func (s *store) unknownSegment(body map[string]any) string {
	cust, _ := body["customer"].(map[string]any)
	cond, _ := cust["segments"].(map[string]any)
	var walk func(c map[string]any) string
	walk = func(c map[string]any) string {
		if ids, ok := c["id"].([]any); ok {
			for _, id := range ids {
				if str, _ := id.(string); s.segment(str) == nil {
					return fmt.Sprint(id)
				}
			}
		}
		if sub, ok := c["not"].(map[string]any); ok {
			if bad := walk(sub); bad != "" {
				return bad
			}
		}
		for _, k := range []string{"and", "or"} {
			subs, _ := c[k].([]any)
			for _, x := range subs {
				m, _ := x.(map[string]any)
				if bad := walk(m); bad != "" {
					return bad
				}
			}
		}
		return ""
	}
	return walk(cond)
}
