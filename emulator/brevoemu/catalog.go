package brevoemu

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Ecommerce catalog: POST /v3/products, POST /v3/products/batch,
// GET /v3/products, GET /v3/products/{id}, and the same for /v3/categories.

// Product is an ecommerce product. Seq is the numeric id Brevo answers a
// creation with.
type Product struct {
	ID         string            `json:"id"`
	Seq        int64             `json:"seq"`
	Name       string            `json:"name"`
	URL        string            `json:"url,omitempty"`
	ImageURL   string            `json:"imageUrl,omitempty"`
	SKU        string            `json:"sku,omitempty"`
	Price      *float64          `json:"price,omitempty"`
	Categories []string          `json:"categories,omitempty"`
	ParentID   string            `json:"parentId,omitempty"`
	MetaInfo   map[string]string `json:"metaInfo,omitempty"`
	DeletedAt  string            `json:"deletedAt,omitempty"`
	IsDeleted  bool              `json:"isDeleted,omitempty"`
	CreatedAt  time.Time         `json:"createdAt"`
	ModifiedAt time.Time         `json:"modifiedAt"`
}

// Category is an ecommerce category.
type Category struct {
	ID         string    `json:"id"`
	Seq        int64     `json:"seq"`
	Name       string    `json:"name"`
	URL        string    `json:"url,omitempty"`
	DeletedAt  string    `json:"deletedAt,omitempty"`
	IsDeleted  bool      `json:"isDeleted,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
	ModifiedAt time.Time `json:"modifiedAt"`
}

type productIn struct {
	ID            *string            `json:"id"`
	Name          *string            `json:"name"`
	URL           *string            `json:"url"`
	ImageURL      *string            `json:"imageUrl"`
	SKU           *string            `json:"sku"`
	Price         *float64           `json:"price"`
	Categories    *[]string          `json:"categories"`
	ParentID      *string            `json:"parentId"`
	MetaInfo      *map[string]string `json:"metaInfo"`
	UpdateEnabled bool               `json:"updateEnabled"`
	DeletedAt     *string            `json:"deletedAt"`
	IsDeleted     *bool              `json:"isDeleted"`
}

type categoryIn struct {
	ID            *string `json:"id"`
	Name          *string `json:"name"`
	URL           *string `json:"url"`
	UpdateEnabled bool    `json:"updateEnabled"`
	DeletedAt     *string `json:"deletedAt"`
	IsDeleted     *bool   `json:"isDeleted"`
}

// maxMetaInfo is the spec's "Maximum length of metaInfo object can be 10".
const maxMetaInfo = 10

func (p *productIn) check(prefix string, exists bool) (code, msg string) {
	switch {
	case p.ID == nil || *p.ID == "":
		return "missing_parameter", prefix + "id is missing"
	case !exists && (p.Name == nil || *p.Name == ""):
		return "missing_parameter", prefix + "name is missing (mandatory in case of creation)"
	case p.MetaInfo != nil && len(*p.MetaInfo) > maxMetaInfo:
		return "invalid_parameter", fmt.Sprintf("%smetaInfo holds %d keys; at most %d are allowed", prefix, len(*p.MetaInfo), maxMetaInfo)
	}
	return "", ""
}

func (c *categoryIn) check(prefix string, exists bool) (code, msg string) {
	switch {
	case c.ID == nil || *c.ID == "":
		return "missing_parameter", prefix + "id is missing"
	case !exists && (c.Name == nil || *c.Name == ""):
		return "missing_parameter", prefix + "name is missing (mandatory in case of creation)"
	}
	return "", ""
}

func setIf[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// putProduct creates or updates p; caller holds e.mu. It reports whether
// the product was created.
func (e *Emulator) putProduct(in *productIn, now time.Time) (seq int64, created bool) {
	i, ok := e.eco.products[*in.ID]
	if !ok {
		e.st.NextCatalogID++
		e.st.Products = append(e.st.Products, Product{ID: *in.ID, Seq: e.st.NextCatalogID, CreatedAt: now})
		i = int32(len(e.st.Products) - 1)
		e.eco.products[*in.ID] = i
	}
	p := &e.st.Products[i]
	setIf(&p.Name, in.Name)
	setIf(&p.URL, in.URL)
	setIf(&p.ImageURL, in.ImageURL)
	setIf(&p.SKU, in.SKU)
	if in.Price != nil {
		v := *in.Price
		p.Price = &v
	}
	if in.Categories != nil {
		p.Categories = slices.Clone(*in.Categories)
	}
	setIf(&p.ParentID, in.ParentID)
	if in.MetaInfo != nil {
		p.MetaInfo = *in.MetaInfo
	}
	setIf(&p.DeletedAt, in.DeletedAt)
	setIf(&p.IsDeleted, in.IsDeleted)
	p.ModifiedAt = now
	return p.Seq, !ok
}

func (e *Emulator) putCategory(in *categoryIn, now time.Time) (seq int64, created bool) {
	i, ok := e.eco.categories[*in.ID]
	if !ok {
		e.st.NextCatalogID++
		e.st.Categories = append(e.st.Categories, Category{ID: *in.ID, Seq: e.st.NextCatalogID, CreatedAt: now})
		i = int32(len(e.st.Categories) - 1)
		e.eco.categories[*in.ID] = i
	}
	c := &e.st.Categories[i]
	setIf(&c.Name, in.Name)
	setIf(&c.URL, in.URL)
	setIf(&c.DeletedAt, in.DeletedAt)
	setIf(&c.IsDeleted, in.IsDeleted)
	c.ModifiedAt = now
	return c.Seq, !ok
}

const alreadyExists = "%sid %q already exists; set updateEnabled to true to update it"

func (e *Emulator) createProduct(w http.ResponseWriter, r *http.Request) {
	var p productIn
	if _, ok := readJSON(w, r, &p); !ok {
		return
	}
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	exists := false
	if p.ID != nil {
		_, exists = e.eco.products[*p.ID]
	}
	if code, msg := p.check("", exists); code != "" {
		writeError(w, http.StatusBadRequest, code, msg)
		return
	}
	if exists && !p.UpdateEnabled {
		writeError(w, http.StatusBadRequest, "duplicate_parameter", fmt.Sprintf(alreadyExists, "", *p.ID))
		return
	}
	seq, created := e.putProduct(&p, now)
	if created {
		writeJSON(w, http.StatusCreated, map[string]any{"id": seq})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (e *Emulator) createCategory(w http.ResponseWriter, r *http.Request) {
	var c categoryIn
	if _, ok := readJSON(w, r, &c); !ok {
		return
	}
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	exists := false
	if c.ID != nil {
		_, exists = e.eco.categories[*c.ID]
	}
	if code, msg := c.check("", exists); code != "" {
		writeError(w, http.StatusBadRequest, code, msg)
		return
	}
	if exists && !c.UpdateEnabled {
		writeError(w, http.StatusBadRequest, "duplicate_parameter", fmt.Sprintf(alreadyExists, "", *c.ID))
		return
	}
	seq, created := e.putCategory(&c, now)
	if created {
		writeJSON(w, http.StatusCreated, map[string]any{"id": seq})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// batchCheck validates a batch's size and ids as Brevo documents for
// products and categories: at most limit items, no id twice, and without
// updateEnabled no id that exists already. exists and check see item i.
func batchCheck(w http.ResponseWriter, field string, n, limit int, ids func(i int) *string, exists func(id string) bool,
	check func(i int, prefix string, exists bool) (string, string), update bool) bool {
	switch {
	case n == 0:
		writeError(w, http.StatusBadRequest, "missing_parameter", field+" is missing or empty")
		return false
	case limit > 0 && n > limit:
		writeError(w, http.StatusBadRequest, "out_of_range", fmt.Sprintf("%s holds %d items; at most %d are allowed per request", field, n, limit))
		return false
	}
	seen := make(map[string]bool, n)
	for i := 0; i < n; i++ {
		prefix := fmt.Sprintf("%s[%d].", field, i)
		id := ids(i)
		ex := id != nil && exists(*id)
		if code, msg := check(i, prefix, ex); code != "" {
			writeError(w, http.StatusBadRequest, code, msg)
			return false
		}
		if seen[*id] {
			writeError(w, http.StatusBadRequest, "duplicate_parameter", fmt.Sprintf("%sid %q appears twice in the request", prefix, *id))
			return false
		}
		seen[*id] = true
		if ex && !update {
			writeError(w, http.StatusBadRequest, "duplicate_parameter", fmt.Sprintf(alreadyExists, prefix, *id))
			return false
		}
	}
	return true
}

func (e *Emulator) createProductBatch(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Products      []productIn `json:"products"`
		UpdateEnabled bool        `json:"updateEnabled"`
	}
	if _, ok := readJSON(w, r, &b); !ok {
		return
	}
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	if !batchCheck(w, "products", len(b.Products), e.batchLimits().Products,
		func(i int) *string { return b.Products[i].ID },
		func(id string) bool { _, ok := e.eco.products[id]; return ok },
		func(i int, prefix string, ex bool) (string, string) { return b.Products[i].check(prefix, ex) },
		b.UpdateEnabled) {
		return
	}
	created, updated := 0, 0
	for i := range b.Products {
		if _, c := e.putProduct(&b.Products[i], now); c {
			created++
		} else {
			updated++
		}
	}
	writeJSON(w, http.StatusCreated, map[string]any{"createdCount": created, "updatedCount": updated})
}

func (e *Emulator) createCategoryBatch(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Categories    []categoryIn `json:"categories"`
		UpdateEnabled bool         `json:"updateEnabled"`
	}
	if _, ok := readJSON(w, r, &b); !ok {
		return
	}
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	if !batchCheck(w, "categories", len(b.Categories), e.batchLimits().Categories,
		func(i int) *string { return b.Categories[i].ID },
		func(id string) bool { _, ok := e.eco.categories[id]; return ok },
		func(i int, prefix string, ex bool) (string, string) { return b.Categories[i].check(prefix, ex) },
		b.UpdateEnabled) {
		return
	}
	created, updated := 0, 0
	for i := range b.Categories {
		if _, c := e.putCategory(&b.Categories[i], now); c {
			created++
		} else {
			updated++
		}
	}
	writeJSON(w, http.StatusCreated, map[string]any{"createdCount": created, "updatedCount": updated})
}

func productJSON(p *Product) map[string]any {
	m := map[string]any{
		"id": p.ID, "name": p.Name, "createdAt": rfc(p.CreatedAt), "modifiedAt": rfc(p.ModifiedAt),
		// Brevo answers its own image copies; the emulator has none.
		"s3ThumbAnalytics": "", "s3ThumbEditor": "",
	}
	for k, v := range map[string]string{"url": p.URL, "imageUrl": p.ImageURL, "sku": p.SKU, "parentId": p.ParentID} {
		if v != "" {
			m[k] = v
		}
	}
	if p.ImageURL != "" {
		m["s3Original"] = p.ImageURL
		m["s3ThumbAnalytics"] = p.ImageURL
		m["s3ThumbEditor"] = p.ImageURL
	}
	if p.Price != nil {
		m["price"] = *p.Price
	}
	if p.Categories != nil {
		m["categories"] = p.Categories
	}
	if p.MetaInfo != nil {
		m["metaInfo"] = p.MetaInfo
	}
	if p.IsDeleted {
		m["isDeleted"] = true
	}
	return m
}

func categoryJSON(c *Category) map[string]any {
	m := map[string]any{"id": c.ID, "name": c.Name, "createdAt": rfc(c.CreatedAt), "modifiedAt": rfc(c.ModifiedAt)}
	if c.URL != "" {
		m["url"] = c.URL
	}
	if c.IsDeleted {
		m["isDeleted"] = true
	}
	return m
}

// queryList reads a query array in either form, ids=a,b or ids=a&ids=b.
func queryList(r *http.Request, name string) []string {
	var out []string
	for _, v := range r.URL.Query()[name] {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

type priceFilter struct {
	op string
	v  float64
}

func (f priceFilter) match(p *float64) bool {
	if p == nil {
		return false
	}
	switch f.op {
	case "lte":
		return *p <= f.v
	case "gte":
		return *p >= f.v
	case "lt":
		return *p < f.v
	case "gt":
		return *p > f.v
	case "eq":
		return *p == f.v
	case "ne":
		return *p != f.v
	}
	return true
}

func (e *Emulator) listProducts(w http.ResponseWriter, r *http.Request) {
	pg, ok := readPage(w, r, 50, 1000)
	if !ok {
		return
	}
	modSince, crSince, ok := readSince(w, r)
	if !ok {
		return
	}
	ids, cats := queryList(r, "ids"), queryList(r, "categories")
	name := strings.ToLower(r.URL.Query().Get("name"))
	if name != "" && len([]rune(name)) < 3 {
		writeError(w, http.StatusBadRequest, "invalid_parameter", "name must hold at least 3 characters")
		return
	}
	var prices []priceFilter
	for _, op := range []string{"lte", "gte", "lt", "gt", "eq", "ne"} {
		if v := r.URL.Query().Get("price[" + op + "]"); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				writeError(w, http.StatusBadRequest, "invalid_parameter", "price["+op+"] is not a number")
				return
			}
			prices = append(prices, priceFilter{op, f})
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	out := []map[string]any{}
	n := 0
	pg.each(len(e.st.Products), func(i int) bool {
		p := &e.st.Products[i]
		if len(ids) > 0 && !slices.Contains(ids, p.ID) ||
			name != "" && !strings.Contains(strings.ToLower(p.Name), name) ||
			!modSince.IsZero() && !p.ModifiedAt.After(modSince) ||
			!crSince.IsZero() && !p.CreatedAt.After(crSince) ||
			len(cats) > 0 && !slices.ContainsFunc(cats, func(c string) bool { return slices.Contains(p.Categories, c) }) {
			return false
		}
		for _, f := range prices {
			if !f.match(p.Price) {
				return false
			}
		}
		if pg.take(n) {
			out = append(out, productJSON(p))
		}
		n++
		return true
	})
	writeJSON(w, http.StatusOK, map[string]any{"products": out, "count": n})
}

func (e *Emulator) listCategories(w http.ResponseWriter, r *http.Request) {
	pg, ok := readPage(w, r, 50, 100)
	if !ok {
		return
	}
	modSince, crSince, ok := readSince(w, r)
	if !ok {
		return
	}
	ids := queryList(r, "ids")
	name := r.URL.Query().Get("name")
	e.mu.Lock()
	defer e.mu.Unlock()
	out := []map[string]any{}
	n := 0
	pg.each(len(e.st.Categories), func(i int) bool {
		c := &e.st.Categories[i]
		if len(ids) > 0 && !slices.Contains(ids, c.ID) || name != "" && !strings.EqualFold(c.Name, name) ||
			!modSince.IsZero() && !c.ModifiedAt.After(modSince) || !crSince.IsZero() && !c.CreatedAt.After(crSince) {
			return false
		}
		if pg.take(n) {
			out = append(out, categoryJSON(c))
		}
		n++
		return true
	})
	writeJSON(w, http.StatusOK, map[string]any{"categories": out, "count": n})
}

func (e *Emulator) getProduct(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	i, ok := e.eco.products[r.PathValue("id")]
	if !ok {
		writeError(w, http.StatusNotFound, "document_not_found", "Product's id not found")
		return
	}
	writeJSON(w, http.StatusOK, productJSON(&e.st.Products[i]))
}

func (e *Emulator) getCategory(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	i, ok := e.eco.categories[r.PathValue("id")]
	if !ok {
		writeError(w, http.StatusNotFound, "document_not_found", "Category id not found")
		return
	}
	writeJSON(w, http.StatusOK, categoryJSON(&e.st.Categories[i]))
}
