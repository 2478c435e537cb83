package bcemu

import (
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// addCategory adds a category; ID 0 takes the next id. s.mu must be held.
func (s *store) addCategory(c CategorySeed, now time.Time) (*Category, error) {
	if strings.TrimSpace(c.Name) == "" {
		return nil, &apiError{Status: 422, Title: "A category needs a name.", Details: map[string]string{"name": "required"}}
	}
	if c.ID == 0 {
		c.ID = s.Seq.Category + 1
	}
	if s.category(c.ID) != nil {
		return nil, errf(409, "Category %d already exists.", c.ID)
	}
	if c.ParentID != 0 && s.category(c.ParentID) == nil {
		return nil, &apiError{Status: 422, Title: "The parent category does not exist.", Details: map[string]string{"parent_id": "unknown category"}}
	}
	if c.ID > s.Seq.Category {
		s.Seq.Category = c.ID
	}
	cat := &Category{ID: c.ID, ParentID: c.ParentID, Name: c.Name, Description: c.Description, SortOrder: c.SortOrder,
		IsVisible: !c.Hidden, Slug: slugify(c.Name), Modified: now}
	s.Categories = append(s.Categories, cat)
	if n := len(s.Categories); n > 1 && s.Categories[n-2].ID > cat.ID {
		sort.Slice(s.Categories, func(i, j int) bool { return s.Categories[i].ID < s.Categories[j].ID })
	}
	return cat, nil
}

func (s *store) category(id int) *Category {
	i := sort.Search(len(s.Categories), func(i int) bool { return s.Categories[i].ID >= id })
	if i < len(s.Categories) && s.Categories[i].ID == id {
		return s.Categories[i]
	}
	return nil
}

// setCustomFields replaces a product's custom fields (name order). s.mu must be held.
func (s *store) setCustomFields(p *Product, fields map[string]string) {
	if fields == nil {
		return
	}
	p.CustomFields = nil
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		s.Seq.CustomField++
		p.CustomFields = append(p.CustomFields, CustomField{ID: s.Seq.CustomField, Name: name, Value: fields[name]})
	}
}

// renderCategory renders the catalog Category object.
func (s *store) renderCategory(c *Category) map[string]any {
	return map[string]any{
		"id": c.ID, "parent_id": c.ParentID, "name": c.Name, "description": c.Description, "views": 0,
		"sort_order": c.SortOrder, "page_title": "", "meta_keywords": []string{}, "meta_description": "",
		"layout_file": "category.html", "image_url": "", "is_visible": c.IsVisible, "search_keywords": "",
		"default_product_sort": "use_store_settings",
		"custom_url":           map[string]any{"url": "/" + c.Slug + "/", "is_customized": false},
	}
}

func (e *Emulator) registerCategories() {
	e.v3("GET /catalog/categories", func(s *store, w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		pg, err := parsePage(q, 50, 250, true)
		if err != nil {
			return err
		}
		invalid := func(name string) error {
			return &apiError{Status: 422, Title: "The filter(s): " + name + " are not valid.", Details: map[string]string{name: "integer expected"}}
		}
		var ids, parents map[int]bool
		if v := q.Get("id:in"); v != "" {
			xs, err := csvInts(v)
			if err != nil {
				return invalid("id:in")
			}
			ids = intSet(xs)
		}
		if v := q.Get("id"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return invalid("id")
			}
			ids = map[int]bool{n: true}
		}
		if v := q.Get("parent_id:in"); v != "" {
			xs, err := csvInts(v)
			if err != nil {
				return invalid("parent_id:in")
			}
			parents = intSet(xs)
		}
		if v := q.Get("parent_id"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return invalid("parent_id")
			}
			parents = map[int]bool{n: true}
		}
		name := strings.ToLower(q.Get("name"))
		like := strings.ToLower(q.Get("name:like"))
		s.mu.Lock()
		defer s.mu.Unlock()
		var list []*Category
		for _, c := range s.Categories {
			if (ids == nil || ids[c.ID]) && (parents == nil || parents[c.ParentID]) &&
				(name == "" || strings.ToLower(c.Name) == name) && (like == "" || strings.Contains(strings.ToLower(c.Name), like)) {
				list = append(list, c)
			}
		}
		switch q.Get("sort") {
		case "", "id":
		case "name":
			sort.SliceStable(list, func(i, j int) bool { return list[i].Name < list[j].Name })
		case "parent_id":
			sort.SliceStable(list, func(i, j int) bool { return list[i].ParentID < list[j].ParentID })
		case "sort_order":
			sort.SliceStable(list, func(i, j int) bool { return list[i].SortOrder < list[j].SortOrder })
		default:
			return &apiError{Status: 422, Title: "The filter(s): sort are not valid.", Details: map[string]string{"sort": "unknown field"}}
		}
		from, to := pg.slice(len(list))
		data := []any{}
		for _, c := range list[from:to] {
			data = append(data, s.renderCategory(c))
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data, "meta": map[string]any{"pagination": v3Pagination(pg, len(list), len(data), q)}})
		return nil
	})
	e.v3("GET /catalog/categories/{id}", func(s *store, w http.ResponseWriter, r *http.Request) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		id, _ := strconv.Atoi(r.PathValue("id"))
		c := s.category(id)
		if c == nil {
			return errf(404, "The requested category was not found.")
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": s.renderCategory(c), "meta": map[string]any{}})
		return nil
	})
}
