package bcemu

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
)

func (s *store) renderImage(p *Product, img Image, i int) map[string]any {
	return map[string]any{
		"id": img.ID, "product_id": p.ID, "is_thumbnail": img.Thumbnail, "sort_order": i, "description": "",
		"image_file":    "products/" + strconv.Itoa(p.ID) + "/images/" + strconv.Itoa(img.ID) + "/" + img.File,
		"url_zoom":      s.imageURL(p, img, "1280x1280"),
		"url_standard":  s.imageURL(p, img, "500x659"),
		"url_thumbnail": s.imageURL(p, img, "100x100"),
		"url_tiny":      s.imageURL(p, img, "44x44"),
		"date_modified": iso8601(p.Modified),
	}
}

func (s *store) renderVariant(p *Product, v *Variant) map[string]any {
	list, sale := p.unitPrice(v)
	var price, salePrice any
	if v.Price > 0 {
		price = v.Price.Float()
	}
	if p.SalePrice > 0 && v.Price == 0 {
		salePrice = p.SalePrice.Float()
	}
	_ = list
	optionValues := []any{}
	if v.Label != "" {
		optionValues = append(optionValues, map[string]any{
			"id": v.ValueID, "label": v.Label, "option_id": p.OptionID, "option_display_name": p.OptionName,
		})
	}
	img := v.ImageURL
	return map[string]any{
		"id": v.ID, "product_id": p.ID, "sku": v.SKU, "sku_id": v.SKUID, "price": price, "calculated_price": sale.Float(),
		"sale_price": salePrice, "retail_price": nil, "map_price": nil, "weight": nil, "calculated_weight": p.Weight,
		"width": nil, "height": nil, "depth": nil, "is_free_shipping": false, "fixed_cost_shipping_price": nil,
		"purchasing_disabled": false, "purchasing_disabled_message": "", "image_url": img, "cost_price": nil,
		"upc": "", "mpn": "", "gtin": "", "inventory_level": p.Inventory, "inventory_warning_level": 0,
		"bin_picking_number": "", "option_values": optionValues,
	}
}

func (s *store) renderProduct(p *Product, include map[string]bool) map[string]any {
	_, sale := p.unitPrice(nil)
	tracking := "none"
	if p.Inventory > 0 {
		tracking = "product"
		if p.OptionID != 0 {
			tracking = "variant"
		}
	}
	m := map[string]any{
		"id": p.ID, "name": p.Name, "type": p.Type, "sku": p.SKU, "description": p.Description,
		"weight": p.Weight, "width": 0, "depth": 0, "height": 0,
		"price": p.Price.Float(), "cost_price": p.CostPrice.Float(), "retail_price": 0, "sale_price": p.SalePrice.Float(),
		"map_price": 0, "calculated_price": sale.Float(), "tax_class_id": 0, "product_tax_code": "",
		"categories": p.Categories, "brand_id": p.BrandID, "option_set_display": "right",
		"inventory_level": p.Inventory, "inventory_warning_level": 0, "inventory_tracking": tracking,
		"reviews_rating_sum": 0, "reviews_count": 0, "total_sold": 0, "fixed_cost_shipping_price": 0,
		"is_free_shipping": false, "is_visible": true, "is_featured": false, "related_products": []int{-1},
		"warranty": "", "bin_picking_number": "", "layout_file": "product.html", "upc": "", "mpn": "", "gtin": "",
		"date_last_imported": "", "search_keywords": "", "availability": p.Availability, "availability_description": "",
		"gift_wrapping_options_type": "any", "gift_wrapping_options_list": []int{}, "sort_order": 0,
		"condition": "New", "is_condition_shown": false, "order_quantity_minimum": 0, "order_quantity_maximum": 0,
		"page_title": "", "meta_keywords": []string{}, "meta_description": "", "view_count": 0,
		"preorder_release_date": nil, "preorder_message": "", "is_preorder_only": false, "is_price_hidden": false,
		"price_hidden_label": "", "custom_url": map[string]any{"url": "/" + p.Slug + "/", "is_customized": false},
		"open_graph_type": "product", "open_graph_title": "", "open_graph_description": "",
		"open_graph_use_meta_description": true, "open_graph_use_product_name": true, "open_graph_use_image": true,
		"date_created": iso8601(p.Created), "date_modified": iso8601(p.Modified),
	}
	if p.OptionID == 0 {
		m["base_variant_id"] = p.Variants[0].ID
	}
	if include["variants"] {
		vs := []any{}
		for _, v := range p.Variants {
			vs = append(vs, s.renderVariant(p, v))
		}
		m["variants"] = vs
	}
	if include["images"] {
		imgs := []any{}
		for i, img := range p.Images {
			imgs = append(imgs, s.renderImage(p, img, i))
		}
		m["images"] = imgs
	}
	if include["primary_image"] {
		for i, img := range p.Images {
			if img.Thumbnail {
				m["primary_image"] = s.renderImage(p, img, i)
			}
		}
	}
	if include["channels"] {
		m["channels"] = s.Channels
	}
	if include["custom_fields"] {
		cfs := []any{}
		for _, f := range p.CustomFields {
			cfs = append(cfs, map[string]any{"id": f.ID, "name": f.Name, "value": f.Value})
		}
		m["custom_fields"] = cfs
	}
	return m
}

func (e *Emulator) registerCatalog() {
	getProduct := func(s *store, r *http.Request) (*Product, error) {
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil {
			return nil, errf(404, "The requested product was not found.")
		}
		p := s.product(id)
		if p == nil {
			return nil, errf(404, "The requested product was not found.")
		}
		return p, nil
	}
	e.v3("GET /catalog/products", func(s *store, w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		pg, err := parsePage(q, 50, 250, true)
		if err != nil {
			return err
		}
		var ids map[int]bool
		if v := q.Get("id:in"); v != "" {
			xs, err := csvInts(v)
			if err != nil {
				return &apiError{Status: 422, Title: "The filter(s): id:in are not valid.", Details: map[string]string{"id:in": err.Error()}}
			}
			ids = intSet(xs)
		}
		if v := q.Get("id"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return &apiError{Status: 422, Title: "The filter(s): id are not valid.", Details: map[string]string{"id": "integer expected"}}
			}
			ids = map[int]bool{n: true}
		}
		skus := map[string]bool{}
		for k := range csvStrings(q["sku:in"]) {
			skus[strings.ToLower(k)] = true
		}
		if v := q.Get("sku"); v != "" {
			skus[strings.ToLower(v)] = true
		}
		name := strings.ToLower(q.Get("name"))
		keyword := strings.ToLower(q.Get("keyword"))
		include := csvStrings(q["include"])
		f, err := parseProductFilter(q)
		if err != nil {
			return err
		}
		less, err := productOrder(q)
		if err != nil {
			return err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		var list []*Product
		for _, p := range s.Products {
			if ids != nil && !ids[p.ID] {
				continue
			}
			if len(skus) > 0 {
				hit := skus[strings.ToLower(p.SKU)]
				for _, v := range p.Variants {
					hit = hit || skus[strings.ToLower(v.SKU)]
				}
				if !hit {
					continue
				}
			}
			if name != "" && strings.ToLower(p.Name) != name {
				continue
			}
			if keyword != "" && !strings.Contains(strings.ToLower(p.Name+" "+p.Description+" "+p.SKU), keyword) {
				continue
			}
			if !f.ok(p) {
				continue
			}
			list = append(list, p)
		}
		if less != nil {
			sort.SliceStable(list, func(i, j int) bool { return less(list[i], list[j]) })
		}
		from, to := pg.slice(len(list))
		data := []any{}
		for _, p := range list[from:to] {
			data = append(data, s.renderProduct(p, include))
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data, "meta": map[string]any{"pagination": v3Pagination(pg, len(list), len(data), q)}})
		return nil
	})
	e.v3("GET /catalog/products/{id}", func(s *store, w http.ResponseWriter, r *http.Request) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		p, err := getProduct(s, r)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": s.renderProduct(p, csvStrings(r.URL.Query()["include"])), "meta": map[string]any{}})
		return nil
	})
	e.v3("GET /catalog/products/{id}/variants", func(s *store, w http.ResponseWriter, r *http.Request) error {
		pg, err := parsePage(r.URL.Query(), 50, 250, true)
		if err != nil {
			return err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		p, err := getProduct(s, r)
		if err != nil {
			return err
		}
		from, to := pg.slice(len(p.Variants))
		data := []any{}
		for _, v := range p.Variants[from:to] {
			data = append(data, s.renderVariant(p, v))
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data, "meta": map[string]any{"pagination": v3Pagination(pg, len(p.Variants), len(data), r.URL.Query())}})
		return nil
	})
	e.v3("GET /catalog/products/{id}/images", func(s *store, w http.ResponseWriter, r *http.Request) error {
		pg, err := parsePage(r.URL.Query(), 50, 250, true)
		if err != nil {
			return err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		p, err := getProduct(s, r)
		if err != nil {
			return err
		}
		from, to := pg.slice(len(p.Images))
		data := []any{}
		for i := from; i < to; i++ {
			data = append(data, s.renderImage(p, p.Images[i], i))
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data, "meta": map[string]any{"pagination": v3Pagination(pg, len(p.Images), len(data), r.URL.Query())}})
		return nil
	})
}
