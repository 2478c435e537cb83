package bcemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// PromotionInput creates a coupon promotion with one code and a cart-value discount.
type PromotionInput struct {
	Name       string  `json:"name"`
	Code       string  `json:"code"`
	PercentOff float64 `json:"percent_off,omitempty"`
	AmountOff  float64 `json:"amount_off,omitempty"`
	MaxUses    int     `json:"max_uses,omitempty"`
}

// CreatePromotion creates a COUPON promotion (as POST /v3/promotions would) with one code.
func (e *Emulator) CreatePromotion(hash string, in PromotionInput) (Promotion, error) {
	var out Promotion
	err := e.withStore(hash, func(s *store) error {
		if err := e.addPromotion(s, in); err != nil {
			return err
		}
		out = *s.Promotions[len(s.Promotions)-1]
		return nil
	})
	return out, err
}

// addPromotion creates a coupon promotion. s.mu must be held (or s unpublished).
func (e *Emulator) addPromotion(s *store, in PromotionInput) error {
	if strings.TrimSpace(in.Name) == "" || (in.PercentOff <= 0) == (in.AmountOff <= 0) {
		return errf(422, "A promotion needs a name and exactly one of percent_off or amount_off.")
	}
	disc := map[string]any{"percentage_amount": strconv.FormatFloat(in.PercentOff, 'f', -1, 64)}
	if in.AmountOff > 0 {
		disc = map[string]any{"fixed_amount": strconv.FormatFloat(in.AmountOff, 'f', 2, 64)}
	}
	raw := map[string]any{
		"rules": []any{map[string]any{"action": map[string]any{"cart_value": map[string]any{"discount": disc}}, "apply_once": true, "stop": false}},
	}
	if in.MaxUses > 0 {
		raw["max_uses"] = float64(in.MaxUses)
	}
	s.Seq.Promotion++
	p := &Promotion{ID: s.Seq.Promotion, Name: in.Name, RedemptionType: "COUPON", Raw: raw, Created: e.now()}
	if in.Code != "" {
		if _, err := e.addCode(s, p, in.Code, 0, 0); err != nil {
			s.Seq.Promotion--
			return err
		}
	}
	s.Promotions = append(s.Promotions, p)
	return nil
}

// SetQuota changes a store's rate-limit quota (requests per 30 s window).
func (e *Emulator) SetQuota(hash string, quota int) error {
	if quota <= 0 {
		return errf(422, "quota must be positive")
	}
	return e.withStore(hash, func(s *store) error {
		s.Quota = quota
		return nil
	})
}

// SeedCart is a cart of a seed file, optionally abandoned or checked out.
type SeedCart struct {
	Cart     CartInput      `json:"cart"`
	Abandon  bool           `json:"abandon,omitempty"`
	Checkout *CheckoutInput `json:"checkout,omitempty"`
}

// SeedFile scripts a store's life in JSON (LoadSeedFile, POST /_sim/bigcommerce/seed).
type SeedFile struct {
	Store string `json:"store,omitempty"` // store hash; default the first store
	// Sites sets channels' storefront URLs (channel id → URL), as SetChannelSite.
	Sites map[int]string `json:"sites,omitempty"`
	// Segmentation, when set, turns the Customer Segmentation API on or off
	// (SetSegmentationAvailable); false plays a store without it.
	Segmentation *bool            `json:"segmentation,omitempty"`
	Customers    []CustomerInput  `json:"customers,omitempty"`
	Promotions   []PromotionInput `json:"promotions,omitempty"`
	Carts        []SeedCart       `json:"carts,omitempty"`
	Bulk         *BulkOptions     `json:"bulk,omitempty"`
}

// LoadSeedFile applies a JSON SeedFile.
func (e *Emulator) LoadSeedFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var sf SeedFile
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sf); err != nil {
		return fmt.Errorf("bcemu: seed file %s: %w", path, err)
	}
	return e.ApplySeed(sf)
}

// ApplySeed applies a SeedFile: customers, promotions, carts (abandoned or checked out), then bulk data.
func (e *Emulator) ApplySeed(sf SeedFile) error {
	hash := sf.Store
	if hash == "" {
		hash = e.order[0]
	}
	for _, ch := range slices.Sorted(maps.Keys(sf.Sites)) {
		if err := e.SetChannelSite(hash, ch, sf.Sites[ch]); err != nil {
			return fmt.Errorf("site of channel %d: %w", ch, err)
		}
	}
	if sf.Segmentation != nil {
		if err := e.SetSegmentationAvailable(hash, *sf.Segmentation); err != nil {
			return fmt.Errorf("segmentation: %w", err)
		}
	}
	for _, c := range sf.Customers {
		if _, err := e.CreateCustomer(hash, c); err != nil {
			return fmt.Errorf("customer %s: %w", c.Email, err)
		}
	}
	for _, p := range sf.Promotions {
		if _, err := e.CreatePromotion(hash, p); err != nil {
			return fmt.Errorf("promotion %s: %w", p.Name, err)
		}
	}
	for i, sc := range sf.Carts {
		c, err := e.CreateCart(hash, sc.Cart)
		if err != nil {
			return fmt.Errorf("cart %d: %w", i, err)
		}
		if sc.Abandon {
			if _, err := e.AbandonCart(hash, c.ID); err != nil {
				return fmt.Errorf("cart %d: %w", i, err)
			}
		}
		if sc.Checkout != nil {
			if _, err := e.Checkout(hash, c.ID, *sc.Checkout); err != nil {
				return fmt.Errorf("cart %d: %w", i, err)
			}
		}
	}
	if sf.Bulk != nil {
		if _, err := e.BulkGenerate(hash, *sf.Bulk); err != nil {
			return err
		}
	}
	return nil
}

// --- HTTP control API (documented in doc.go)

func simError(w http.ResponseWriter, err error) {
	st, title, det := statusOf(err)
	v3Error(w, st, title, det)
}

func (e *Emulator) simRoute(pattern string, fn func(w http.ResponseWriter, r *http.Request) error) {
	method, path, _ := strings.Cut(pattern, " ")
	e.sim.HandleFunc(method+" /_sim/bigcommerce"+path, func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			simError(w, err)
		}
	})
}

func pathInt(r *http.Request, name string) (int, error) {
	n, err := strconv.Atoi(r.PathValue(name))
	if err != nil {
		return 0, errf(404, "%s %q not found", name, r.PathValue(name))
	}
	return n, nil
}

// render runs fn under the store lock and writes its result.
func (e *Emulator) render(w http.ResponseWriter, hash string, status int, fn func(s *store) (any, error)) error {
	s, err := e.store(hash)
	if err != nil {
		return err
	}
	s.mu.Lock()
	v, err := fn(s)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	writeJSON(w, status, v)
	return nil
}

func (e *Emulator) registerSim() {
	e.sim.HandleFunc("/_sim/bigcommerce/", func(w http.ResponseWriter, r *http.Request) {
		v3Error(w, http.StatusNotFound, "Unknown simulator route "+r.Method+" "+r.URL.Path, nil)
	})
	index := func(w http.ResponseWriter, r *http.Request) error {
		writeJSON(w, http.StatusOK, map[string]any{"stores": e.Stores(), "docs": "see package doc of emulator/bcemu for the control API"})
		return nil
	}
	e.simRoute("GET /{$}", index)
	e.sim.HandleFunc("GET /_sim/bigcommerce", func(w http.ResponseWriter, r *http.Request) { _ = index(w, r) })
	e.simRoute("GET /stores", func(w http.ResponseWriter, r *http.Request) error {
		writeJSON(w, http.StatusOK, e.Stores())
		return nil
	})
	e.simRoute("POST /save", func(w http.ResponseWriter, r *http.Request) error {
		if err := e.Save(); err != nil {
			return errf(500, "%s", err.Error())
		}
		writeJSON(w, http.StatusOK, map[string]any{"saved": e.opts.SnapshotPath})
		return nil
	})
	e.simRoute("POST /seed", func(w http.ResponseWriter, r *http.Request) error {
		var sf SeedFile
		if err := decodeJSON(r, &sf); err != nil {
			return err
		}
		if err := e.ApplySeed(sf); err != nil {
			status := 422
			var ae *apiError
			if errors.As(err, &ae) {
				status = ae.Status
			}
			return errf(status, "%s", err.Error())
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true})
		return nil
	})
	e.simRoute("POST /{hash}/customers", func(w http.ResponseWriter, r *http.Request) error {
		var in CustomerInput
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		c, err := e.CreateCustomer(r.PathValue("hash"), in)
		if err != nil {
			return err
		}
		if in.Guest {
			writeJSON(w, http.StatusCreated, map[string]any{"data": map[string]any{
				"id": 0, "email": c.Email, "first_name": c.FirstName, "last_name": c.LastName, "phone": c.Phone, "guest": true,
			}, "meta": map[string]any{}})
			return nil
		}
		return e.render(w, r.PathValue("hash"), http.StatusCreated, func(s *store) (any, error) {
			return map[string]any{"data": s.renderCustomer(s.customer(c.ID), nil), "meta": map[string]any{}}, nil
		})
	})
	e.simRoute("PUT /{hash}/channels/{channel_id}/site", func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			URL string `json:"url"`
		}
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		id, err := pathInt(r, "channel_id")
		if err != nil {
			return err
		}
		if err := e.SetChannelSite(r.PathValue("hash"), id, in.URL); err != nil {
			return err
		}
		return e.render(w, r.PathValue("hash"), http.StatusOK, func(s *store) (any, error) {
			u, _ := s.siteURL(id)
			return map[string]any{"data": renderSite(id, u, e.now()), "meta": map[string]any{}}, nil
		})
	})
	e.simRoute("PUT /{hash}/customers/{id}", func(w http.ResponseWriter, r *http.Request) error {
		var in CustomerInput
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		id, err := pathInt(r, "id")
		if err != nil {
			return err
		}
		if _, err := e.UpdateCustomer(r.PathValue("hash"), id, in); err != nil {
			return err
		}
		return e.render(w, r.PathValue("hash"), http.StatusOK, func(s *store) (any, error) {
			return map[string]any{"data": s.renderCustomer(s.customer(id), nil), "meta": map[string]any{}}, nil
		})
	})
	cartOut := func(w http.ResponseWriter, r *http.Request, status int, c Cart) error {
		return e.render(w, r.PathValue("hash"), status, func(s *store) (any, error) {
			if live := s.Carts[c.ID]; live != nil {
				return map[string]any{"data": s.renderCart(live), "meta": map[string]any{}}, nil
			}
			return map[string]any{"data": s.renderCart(&c), "meta": map[string]any{"deleted": true}}, nil
		})
	}
	e.simRoute("POST /{hash}/carts", func(w http.ResponseWriter, r *http.Request) error {
		var in CartInput
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		c, err := e.CreateCart(r.PathValue("hash"), in)
		if err != nil {
			return err
		}
		return cartOut(w, r, http.StatusCreated, c)
	})
	e.simRoute("PUT /{hash}/carts/{id}", func(w http.ResponseWriter, r *http.Request) error {
		var in CartUpdate
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		c, err := e.UpdateCart(r.PathValue("hash"), r.PathValue("id"), in)
		if err != nil {
			return err
		}
		return cartOut(w, r, http.StatusOK, c)
	})
	e.simRoute("PUT /{hash}/carts/{id}/email", func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Email string `json:"email"`
		}
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		c, err := e.SetCartEmail(r.PathValue("hash"), r.PathValue("id"), in.Email)
		if err != nil {
			return err
		}
		return cartOut(w, r, http.StatusOK, c)
	})
	e.simRoute("POST /{hash}/carts/{id}/coupon", func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			CouponCode string `json:"coupon_code"`
		}
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		id, err := e.ApplyCartCoupon(r.PathValue("hash"), r.PathValue("id"), in.CouponCode)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"cart_id": r.PathValue("id"), "coupon_id": id}, "meta": map[string]any{}})
		return nil
	})
	e.simRoute("POST /{hash}/carts/{id}/abandon", func(w http.ResponseWriter, r *http.Request) error {
		token, err := e.AbandonCart(r.PathValue("hash"), r.PathValue("id"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"cart_id": r.PathValue("id"), "token": token}, "meta": map[string]any{}})
		return nil
	})
	e.simRoute("DELETE /{hash}/carts/{id}", func(w http.ResponseWriter, r *http.Request) error {
		if err := e.DeleteCart(r.PathValue("hash"), r.PathValue("id")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	orderOut := func(w http.ResponseWriter, r *http.Request, status, id int) error {
		return e.render(w, r.PathValue("hash"), status, func(s *store) (any, error) {
			return s.renderOrder(s.order(id)), nil
		})
	}
	e.simRoute("POST /{hash}/carts/{id}/checkout", func(w http.ResponseWriter, r *http.Request) error {
		var in CheckoutInput
		if err := decodeOptionalJSON(r, &in); err != nil {
			return err
		}
		o, err := e.Checkout(r.PathValue("hash"), r.PathValue("id"), in)
		if err != nil {
			return err
		}
		return orderOut(w, r, http.StatusCreated, o.ID)
	})
	e.simRoute("PUT /{hash}/orders/{id}/status", func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			StatusID *int `json:"status_id"`
		}
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		if in.StatusID == nil {
			return errf(422, "status_id is required")
		}
		id, err := pathInt(r, "id")
		if err != nil {
			return err
		}
		if _, err := e.SetOrderStatus(r.PathValue("hash"), id, *in.StatusID); err != nil {
			return err
		}
		return orderOut(w, r, http.StatusOK, id)
	})
	e.simRoute("POST /{hash}/orders/{id}/shipments", func(w http.ResponseWriter, r *http.Request) error {
		var in ShipInput
		if err := decodeOptionalJSON(r, &in); err != nil {
			return err
		}
		id, err := pathInt(r, "id")
		if err != nil {
			return err
		}
		sh, err := e.Ship(r.PathValue("hash"), id, in)
		if err != nil {
			return err
		}
		return e.render(w, r.PathValue("hash"), http.StatusCreated, func(s *store) (any, error) {
			return s.renderShipment(s.order(id), sh), nil
		})
	})
	e.simRoute("POST /{hash}/orders/{id}/refunds", func(w http.ResponseWriter, r *http.Request) error {
		var in RefundInput
		if err := decodeOptionalJSON(r, &in); err != nil {
			return err
		}
		id, err := pathInt(r, "id")
		if err != nil {
			return err
		}
		rf, err := e.Refund(r.PathValue("hash"), id, in)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, map[string]any{"data": map[string]any{
			"id": rf.ID, "order_id": rf.OrderID, "amount": rf.Amount.Float(), "reason": rf.Reason, "created": iso8601(rf.Created),
		}, "meta": map[string]any{}})
		return nil
	})
	e.simRoute("POST /{hash}/promotions", func(w http.ResponseWriter, r *http.Request) error {
		var in PromotionInput
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		p, err := e.CreatePromotion(r.PathValue("hash"), in)
		if err != nil {
			return err
		}
		return e.render(w, r.PathValue("hash"), http.StatusCreated, func(s *store) (any, error) {
			return map[string]any{"data": s.renderPromotion(s.promotion(p.ID)), "meta": map[string]any{}}, nil
		})
	})
	e.simRoute("POST /{hash}/bulk", func(w http.ResponseWriter, r *http.Request) error {
		var in BulkOptions
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		res, err := e.BulkGenerate(r.PathValue("hash"), in)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, res)
		return nil
	})
	e.simRoute("GET /{hash}/rate-limit", func(w http.ResponseWriter, r *http.Request) error {
		rl, err := e.GetRateLimit(r.PathValue("hash"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, rl)
		return nil
	})
	e.simRoute("PUT /{hash}/rate-limit", func(w http.ResponseWriter, r *http.Request) error {
		var in RateLimit
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		if in.Quota == 0 && in.WindowMs == 0 {
			return errf(422, "give quota and/or window_ms")
		}
		rl, err := e.SetRateLimit(r.PathValue("hash"), in.Quota, time.Duration(in.WindowMs)*time.Millisecond)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, rl)
		return nil
	})
	e.simRoute("GET /{hash}/segmentation", func(w http.ResponseWriter, r *http.Request) error {
		ok, err := e.SegmentationAvailable(r.PathValue("hash"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"available": ok})
		return nil
	})
	e.simRoute("PUT /{hash}/segmentation", func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Available *bool `json:"available"`
		}
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		if in.Available == nil {
			return errf(422, "give available (true or false)")
		}
		if err := e.SetSegmentationAvailable(r.PathValue("hash"), *in.Available); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"available": *in.Available})
		return nil
	})
	e.simRoute("GET /{hash}/requests", func(w http.ResponseWriter, r *http.Request) error {
		st, err := e.RequestStats(r.PathValue("hash"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, st)
		return nil
	})
	e.simRoute("DELETE /{hash}/requests", func(w http.ResponseWriter, r *http.Request) error {
		if err := e.ResetRequestStats(r.PathValue("hash")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	e.simRoute("GET /{hash}/faults", func(w http.ResponseWriter, r *http.Request) error {
		f, err := e.GetFaults(r.PathValue("hash"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, f)
		return nil
	})
	e.simRoute("PUT /{hash}/faults", func(w http.ResponseWriter, r *http.Request) error {
		var f Faults
		if err := decodeJSON(r, &f); err != nil {
			return err
		}
		if err := e.SetFaults(r.PathValue("hash"), f); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, f)
		return nil
	})
	e.simRoute("POST /{hash}/faults/release", func(w http.ResponseWriter, r *http.Request) error {
		n, err := e.ReleaseHeld(r.PathValue("hash"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"released": n})
		return nil
	})
	e.simRoute("GET /{hash}/deliveries", func(w http.ResponseWriter, r *http.Request) error {
		d, err := e.Deliveries(r.PathValue("hash"))
		if err != nil {
			return err
		}
		if d == nil {
			d = []Delivery{}
		}
		writeJSON(w, http.StatusOK, d)
		return nil
	})
}
