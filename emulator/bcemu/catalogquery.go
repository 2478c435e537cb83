package bcemu

import (
	"net/url"
	"strconv"
	"strings"
)

// productFilter holds the GET /catalog/products filters beyond id, sku, name and keyword.
type productFilter struct {
	modified        dateBound
	idMin, idMax    int
	categories      []int // categories:in: in all of them
	category        int   // categories: in this one
	availability    string
	visibleSet, vis bool
	hasBrand        bool
	brandID         int
}

func parseProductFilter(q url.Values) (productFilter, error) {
	var f productFilter
	var err error
	if f.modified, err = parseBound(q, "date_modified"); err != nil {
		return f, err
	}
	intParam := func(name string, dst *int) error {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return &apiError{Status: 422, Title: "The filter(s): " + name + " are not valid.", Details: map[string]string{name: "integer expected"}}
			}
			*dst = n
		}
		return nil
	}
	for name, dst := range map[string]*int{"id:min": &f.idMin, "id:max": &f.idMax, "categories": &f.category, "brand_id": &f.brandID} {
		if err := intParam(name, dst); err != nil {
			return f, err
		}
	}
	f.hasBrand = q.Get("brand_id") != ""
	if v := q.Get("categories:in"); v != "" {
		if f.categories, err = csvInts(v); err != nil {
			return f, &apiError{Status: 422, Title: "The filter(s): categories:in are not valid.", Details: map[string]string{"categories:in": err.Error()}}
		}
	}
	f.availability = q.Get("availability")
	if v := q.Get("is_visible"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return f, &apiError{Status: 422, Title: "The filter(s): is_visible are not valid.", Details: map[string]string{"is_visible": "boolean expected"}}
		}
		f.visibleSet, f.vis = true, b
	}
	return f, nil
}

func (f productFilter) ok(p *Product) bool {
	if !f.modified.ok(p.Modified) || (f.idMin != 0 && p.ID < f.idMin) || (f.idMax != 0 && p.ID > f.idMax) {
		return false
	}
	if f.hasBrand && p.BrandID != f.brandID {
		return false
	}
	if f.availability != "" && p.Availability != f.availability {
		return false
	}
	if f.visibleSet && !f.vis { // every emulated product is visible
		return false
	}
	has := func(id int) bool {
		for _, c := range p.Categories {
			if c == id {
				return true
			}
		}
		return false
	}
	if f.category != 0 && !has(f.category) {
		return false
	}
	for _, c := range f.categories {
		if !has(c) {
			return false
		}
	}
	return true
}

// productOrder reads sort and direction; nil means id ascending (the default).
func productOrder(q url.Values) (func(a, b *Product) bool, error) {
	dir := q.Get("direction")
	if dir != "" && dir != "asc" && dir != "desc" {
		return nil, &apiError{Status: 422, Title: "The filter(s): direction are not valid.", Details: map[string]string{"direction": "asc or desc"}}
	}
	var less func(a, b *Product) bool
	switch q.Get("sort") {
	case "", "id":
		less = func(a, b *Product) bool { return a.ID < b.ID }
	case "name":
		less = func(a, b *Product) bool { return strings.ToLower(a.Name) < strings.ToLower(b.Name) }
	case "sku":
		less = func(a, b *Product) bool { return a.SKU < b.SKU }
	case "price":
		less = func(a, b *Product) bool { return a.Price < b.Price }
	case "calculated_price":
		less = func(a, b *Product) bool {
			_, x := a.unitPrice(nil)
			_, y := b.unitPrice(nil)
			return x < y
		}
	case "date_modified":
		less = func(a, b *Product) bool { return a.Modified.Before(b.Modified) }
	case "inventory_level":
		less = func(a, b *Product) bool { return a.Inventory < b.Inventory }
	case "date_last_imported", "is_visible", "total_sold":
		less = func(a, b *Product) bool { return false } // equal for every emulated product: id order
	default:
		return nil, &apiError{Status: 422, Title: "The filter(s): sort are not valid.", Details: map[string]string{"sort": "unknown field"}}
	}
	if dir == "desc" {
		asc := less
		less = func(a, b *Product) bool { return asc(b, a) }
	} else if q.Get("sort") == "" || q.Get("sort") == "id" {
		return nil, nil
	}
	return less, nil
}
