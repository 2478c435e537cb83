package bcemu

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// promoError writes the promotions API error body. promotions.v3 declares
// {"errors": [{status, title, type}]}; the usual top-level status/title/type
// are repeated so that generic v3 error decoders read it too.
func promoError(w http.ResponseWriter, status int, title string) {
	item := map[string]any{"status": status, "title": title, "type": statusCodesDoc}
	writeJSON(w, status, map[string]any{"status": status, "title": title, "type": statusCodesDoc, "errors": []any{item}})
}

func (e *Emulator) v3promo(pattern string, fn func(s *store, w http.ResponseWriter, r *http.Request) error) {
	method, path, _ := strings.Cut(pattern, " ")
	e.api.HandleFunc(method+" /stores/{hash}/v3"+path, func(w http.ResponseWriter, r *http.Request) {
		s := r.Context().Value(ctxKey{}).(*store)
		if err := fn(s, w, r); err != nil {
			st, title, _ := statusOf(err)
			promoError(w, st, title)
		}
	})
}

var couponCodePattern = regexp.MustCompile(`^[a-zA-Z0-9_\- ]{1,50}$`)

func (s *store) renderPromotion(p *Promotion) map[string]any {
	m := map[string]any{}
	for k, v := range p.Raw {
		m[k] = v
	}
	m["id"] = p.ID
	m["name"] = p.Name
	m["redemption_type"] = p.RedemptionType
	m["created_from"] = "api"
	m["current_uses"] = p.CurrentUses
	defaults := map[string]any{
		"channels":                          []any{map[string]any{"id": s.Channels[0]}},
		"customer":                          map[string]any{"group_ids": []any{}, "excluded_group_ids": []any{}, "minimum_order_count": 0},
		"notifications":                     []any{},
		"stop":                              false,
		"currency_code":                     "*",
		"start_date":                        iso8601(p.Created),
		"status":                            "ENABLED",
		"can_be_used_with_other_promotions": true,
		"display_name":                      p.Name,
	}
	if p.RedemptionType == "COUPON" {
		defaults["coupon_overrides_other_promotions"] = false
		defaults["coupon_type"] = "SINGLE"
		m["multiple_codes"] = map[string]any{"has_multiple_codes": len(p.Codes) > 1}
	}
	for k, v := range defaults {
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
	delete(m, "codes")
	return m
}

func renderCode(c *CouponCode) map[string]any {
	return map[string]any{
		"id": c.ID, "code": c.Code, "current_uses": c.CurrentUses, "max_uses": c.MaxUses,
		"max_uses_per_customer": c.MaxUsesPerCustomer, "created": iso8601(c.Created),
	}
}

// addCode adds a coupon code to a promotion. s.mu must be held.
func (e *Emulator) addCode(s *store, p *Promotion, code string, maxUses, perCustomer int) (*CouponCode, error) {
	code = strings.TrimSpace(code)
	if !couponCodePattern.MatchString(code) {
		return nil, errf(422, "The coupon code %q is invalid: use up to 50 letters, numbers, spaces, underscores and hyphens.", code)
	}
	if p.RedemptionType != "COUPON" {
		return nil, errf(422, "Coupon codes can only be added to promotions with redemption_type COUPON.")
	}
	for _, other := range s.Promotions {
		for _, c := range other.Codes {
			if strings.EqualFold(c.Code, code) {
				return nil, errf(409, "The coupon code %q already exists.", code)
			}
		}
	}
	s.Seq.Code++
	c := &CouponCode{ID: s.Seq.Code, Code: code, MaxUses: maxUses, MaxUsesPerCustomer: perCustomer, Created: e.now()}
	p.Codes = append(p.Codes, c)
	return c, nil
}

func cursorFor(id int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(`{"id":"` + strconv.Itoa(id) + `"}`))
}

func cursorID(c string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(c, "="))
	if err != nil {
		return 0, false
	}
	var v struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(b, &v) != nil {
		return 0, false
	}
	n, err := strconv.Atoi(v.ID)
	return n, err == nil
}

func (e *Emulator) registerPromotions() {
	getPromo := func(s *store, r *http.Request, name string) (*Promotion, error) {
		id, _ := strconv.Atoi(r.PathValue(name))
		p := s.promotion(id)
		if p == nil {
			return nil, errf(404, "Promotion %s not found.", r.PathValue(name))
		}
		return p, nil
	}
	e.v3promo("GET /promotions", func(s *store, w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		pg, err := parsePage(q, 50, 250, true)
		if err != nil {
			return err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		var list []*Promotion
		for _, p := range s.Promotions {
			if v := q.Get("id"); v != "" && v != strconv.Itoa(p.ID) {
				continue
			}
			if v := q.Get("name"); v != "" && !strings.EqualFold(v, p.Name) {
				continue
			}
			if v := q.Get("redemption_type"); v != "" && !strings.EqualFold(v, p.RedemptionType) {
				continue
			}
			if v := q.Get("status"); v != "" {
				if st, _ := s.renderPromotion(p)["status"].(string); !strings.EqualFold(v, st) {
					continue
				}
			}
			if v := q.Get("code"); v != "" {
				hit := false
				for _, c := range p.Codes {
					hit = hit || strings.EqualFold(c.Code, v)
				}
				if !hit {
					continue
				}
			}
			list = append(list, p)
		}
		from, to := pg.slice(len(list))
		data := []any{}
		for _, p := range list[from:to] {
			data = append(data, s.renderPromotion(p))
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data, "meta": map[string]any{"pagination": v3Pagination(pg, len(list), len(data), q)}})
		return nil
	})
	e.v3promo("POST /promotions", func(s *store, w http.ResponseWriter, r *http.Request) error {
		var body map[string]any
		if err := decodeJSON(r, &body); err != nil {
			return err
		}
		name, _ := body["name"].(string)
		rt, _ := body["redemption_type"].(string)
		rules, _ := body["rules"].([]any)
		if strings.TrimSpace(name) == "" || (rt != "AUTOMATIC" && rt != "COUPON") || len(rules) == 0 {
			return errf(422, "name, redemption_type (AUTOMATIC or COUPON) and at least one rule are required.")
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, p := range s.Promotions {
			if strings.EqualFold(p.Name, name) {
				return errf(409, "A promotion named %q already exists.", name)
			}
		}
		if bad := s.unknownSegment(body); bad != "" {
			return errf(422, "customer.segments: segment %s does not exist.", bad)
		}
		var first map[string]any
		if c, ok := body["codes"].(map[string]any); ok {
			first = c
		}
		for _, k := range []string{"id", "current_uses", "created_from", "codes", "multiple_codes"} {
			delete(body, k)
		}
		s.Seq.Promotion++
		p := &Promotion{ID: s.Seq.Promotion, Name: name, RedemptionType: rt, Raw: body, Created: e.now()}
		if first != nil {
			code, _ := first["code"].(string)
			mu, _ := first["max_uses"].(float64)
			mpc, _ := first["max_uses_per_customer"].(float64)
			if _, err := e.addCode(s, p, code, int(mu), int(mpc)); err != nil {
				s.Seq.Promotion--
				return err
			}
		}
		s.Promotions = append(s.Promotions, p)
		writeJSON(w, http.StatusCreated, map[string]any{"data": s.renderPromotion(p), "meta": map[string]any{}})
		return nil
	})
	e.v3promo("GET /promotions/{id}", func(s *store, w http.ResponseWriter, r *http.Request) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		p, err := getPromo(s, r, "id")
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": s.renderPromotion(p), "meta": map[string]any{}})
		return nil
	})
	e.v3promo("PUT /promotions/{id}", func(s *store, w http.ResponseWriter, r *http.Request) error {
		var body map[string]any
		if err := decodeJSON(r, &body); err != nil {
			return err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		p, err := getPromo(s, r, "id")
		if err != nil {
			return err
		}
		for _, k := range []string{"id", "current_uses", "created_from", "codes", "multiple_codes", "redemption_type"} {
			delete(body, k)
		}
		if bad := s.unknownSegment(body); bad != "" {
			return errf(422, "customer.segments: segment %s does not exist.", bad)
		}
		if n, ok := body["name"].(string); ok && n != "" {
			p.Name = n
		}
		for k, v := range body {
			p.Raw[k] = v
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": s.renderPromotion(p), "meta": map[string]any{}})
		return nil
	})
	e.v3promo("DELETE /promotions/{id}", func(s *store, w http.ResponseWriter, r *http.Request) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		id, _ := strconv.Atoi(r.PathValue("id"))
		for i, p := range s.Promotions {
			if p.ID == id {
				s.Promotions = append(s.Promotions[:i], s.Promotions[i+1:]...)
				break
			}
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	e.v3promo("GET /promotions/{pid}/codes", func(s *store, w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		pg, err := parsePage(q, 50, 250, true)
		if err != nil {
			return err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		p, err := getPromo(s, r, "pid")
		if err != nil {
			return err
		}
		codes := append([]*CouponCode(nil), p.Codes...)
		sort.Slice(codes, func(i, j int) bool { return codes[i].ID < codes[j].ID })
		if v := q.Get("code"); v != "" {
			var f []*CouponCode
			for _, c := range codes {
				if strings.EqualFold(c.Code, v) {
					f = append(f, c)
				}
			}
			codes = f
		}
		meta := map[string]any{}
		var pageItems []*CouponCode
		if after, before := q.Get("after"), q.Get("before"); after != "" || before != "" {
			cur := after
			if cur == "" {
				cur = before
			}
			id, ok := cursorID(cur)
			if !ok {
				return errf(422, "Invalid cursor.")
			}
			for _, c := range codes {
				if (after != "" && c.ID > id) || (after == "" && c.ID < id) {
					pageItems = append(pageItems, c)
				}
			}
			if after == "" && len(pageItems) > pg.Limit {
				pageItems = pageItems[len(pageItems)-pg.Limit:]
			}
		} else {
			from, to := pg.slice(len(codes))
			pageItems = codes[from:to]
			meta["pagination"] = v3Pagination(pg, len(codes), len(pageItems), q)
		}
		if len(pageItems) > pg.Limit {
			pageItems = pageItems[:pg.Limit]
		}
		if q.Get("page") == "" {
			cp := map[string]any{"count": len(pageItems), "per_page": pg.Limit, "links": map[string]any{}}
			if len(pageItems) > 0 {
				start, end := cursorFor(pageItems[0].ID), cursorFor(pageItems[len(pageItems)-1].ID)
				cp["start_cursor"], cp["end_cursor"] = start, end
				links := map[string]any{}
				if pageItems[len(pageItems)-1].ID < codes[len(codes)-1].ID {
					links["next"] = fmt.Sprintf("?limit=%d&after=%s", pg.Limit, end)
				}
				if pageItems[0].ID > codes[0].ID {
					links["previous"] = fmt.Sprintf("?limit=%d&before=%s", pg.Limit, start)
				}
				cp["links"] = links
			}
			meta["cursor_pagination"] = cp
		}
		data := []any{}
		for _, c := range pageItems {
			data = append(data, renderCode(c))
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data, "meta": meta})
		return nil
	})
	e.v3promo("POST /promotions/{pid}/codes", func(s *store, w http.ResponseWriter, r *http.Request) error {
		var body struct {
			Code               string `json:"code"`
			MaxUses            int    `json:"max_uses"`
			MaxUsesPerCustomer int    `json:"max_uses_per_customer"`
		}
		if err := decodeJSON(r, &body); err != nil {
			return err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		p, err := getPromo(s, r, "pid")
		if err != nil {
			return err
		}
		c, err := e.addCode(s, p, body.Code, body.MaxUses, body.MaxUsesPerCustomer)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, map[string]any{"data": renderCode(c), "meta": map[string]any{}})
		return nil
	})
	e.v3promo("DELETE /promotions/{pid}/codes/{cid}", func(s *store, w http.ResponseWriter, r *http.Request) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		p, err := getPromo(s, r, "pid")
		if err != nil {
			return err
		}
		id, _ := strconv.Atoi(r.PathValue("cid"))
		for i, c := range p.Codes {
			if c.ID == id {
				p.Codes = append(p.Codes[:i], p.Codes[i+1:]...)
				break
			}
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}
