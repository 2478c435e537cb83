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

// checkIDName is the rule products and categories share: an id always, a
// name when the item does not exist yet.
func checkIDName(id, name *string, prefix string, exists bool) (code, msg string) {
	switch {
	case id == nil || *id == "":
		return "missing_parameter", prefix + "id is missing"
	case !exists && (name == nil || *name == ""):
		return "missing_parameter", prefix + "name is missing (mandatory in case of creation)"
	}
	return "", ""
}

func (p *productIn) check(prefix string, exists bool) (code, msg string) {
	if code, msg := checkIDName(p.ID, p.Name, prefix, exists); code != "" {
		return code, msg
	}
	if p.MetaInfo != nil && len(*p.MetaInfo) > maxMetaInfo {
		return "invalid_parameter", fmt.Sprintf("%smetaInfo holds %d keys; at most %d are allowed", prefix, len(*p.MetaInfo), maxMetaInfo)
	}
	return "", ""
}

func (c *categoryIn) check(prefix string, exists bool) (code, msg string) {
	return checkIDName(c.ID, c.Name, prefix, exists)
}

func setIf[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// catalogSlot returns the position of id in items, first appending the
// item mk makes with the next catalog seq when index has no id; caller
// holds e.mu. It reports whether the item was created.
func catalogSlot[T any](e *Emulator, index map[string]int32, items *[]T, id string, mk func(seq int64) T) (i int32, created bool) {
	i, ok := index[id]
	if !ok {
		e.st.NextCatalogID++
		*items = append(*items, mk(e.st.NextCatalogID))
		i = int32(len(*items) - 1)
		index[id] = i
	}
	return i, !ok
}

// putProduct creates or updates p; caller holds e.mu. It reports whether
// the product was created.
func (e *Emulator) putProduct(in *productIn, now time.Time) (seq int64, created bool) {
	i, created := catalogSlot(e, e.eco.products, &e.st.Products, *in.ID, func(seq int64) Product {
		return Product{ID: *in.ID, Seq: seq, CreatedAt: now}
	})
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
	return p.Seq, created
}

// putCategory creates or updates c; caller holds e.mu. It reports whether
// the category was created.
func (e *Emulator) putCategory(in *categoryIn, now time.Time) (seq int64, created bool) {
	i, created := catalogSlot(e, e.eco.categories, &e.st.Categories, *in.ID, func(seq int64) Category {
		return Category{ID: *in.ID, Seq: seq, CreatedAt: now}
	})
	c := &e.st.Categories[i]
	setIf(&c.Name, in.Name)
	setIf(&c.URL, in.URL)
	setIf(&c.DeletedAt, in.DeletedAt)
	setIf(&c.IsDeleted, in.IsDeleted)
	c.ModifiedAt = now
	return c.Seq, created
}

const alreadyExists = "%sid %q already exists; set updateEnabled to true to update it"

// catalogIn is a productIn or categoryIn as the handlers they share see it.
type catalogIn[T any] interface {
	*T
	key() *string
	check(prefix string, exists bool) (code, msg string)
}

func (p *productIn) key() *string  { return p.ID }
func (c *categoryIn) key() *string { return c.ID }

// catalogKind is what differs between products and categories in the
// handlers they share.
type catalogKind[T any] struct {
	field    string // the batch body's array: "products" or "categories"
	notFound string // the 404 message of a GET by id
	// index maps an id to its position in state; caller holds e.mu.
	index func(e *Emulator) map[string]int32
	limit func(BatchLimits) int
	put   func(e *Emulator, in *T, now time.Time) (seq int64, created bool)
	// render answers the item at position i; caller holds e.mu.
	render func(e *Emulator, i int32) map[string]any
}

var (
	productKind = catalogKind[productIn]{
		field: "products", notFound: "Product's id not found",
		index:  func(e *Emulator) map[string]int32 { return e.eco.products },
		limit:  func(l BatchLimits) int { return l.Products },
		put:    (*Emulator).putProduct,
		render: func(e *Emulator, i int32) map[string]any { return productJSON(&e.st.Products[i]) },
	}
	categoryKind = catalogKind[categoryIn]{
		field: "categories", notFound: "Category id not found",
		index:  func(e *Emulator) map[string]int32 { return e.eco.categories },
		limit:  func(l BatchLimits) int { return l.Categories },
		put:    (*Emulator).putCategory,
		render: func(e *Emulator, i int32) map[string]any { return categoryJSON(&e.st.Categories[i]) },
	}
)

// createCatalogItem answers POST /v3/products or /v3/categories: 201 with
// the new item's seq, 204 for an update (update is the body's
// updateEnabled).
func createCatalogItem[T any, P catalogIn[T]](e *Emulator, w http.ResponseWriter, k catalogKind[T], in P, update bool) {
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	exists := false
	if id := in.key(); id != nil {
		_, exists = k.index(e)[*id]
	}
	if code, msg := in.check("", exists); code != "" {
		writeError(w, http.StatusBadRequest, code, msg)
		return
	}
	if exists && !update {
		writeError(w, http.StatusBadRequest, "duplicate_parameter", fmt.Sprintf(alreadyExists, "", *in.key()))
		return
	}
	seq, created := k.put(e, in, now)
	if created {
		writeJSON(w, http.StatusCreated, map[string]any{"id": seq})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (e *Emulator) createProduct(w http.ResponseWriter, r *http.Request) {
	var p productIn
	if _, ok := readJSON(w, r, &p); ok {
		createCatalogItem(e, w, productKind, &p, p.UpdateEnabled)
	}
}

func (e *Emulator) createCategory(w http.ResponseWriter, r *http.Request) {
	var c categoryIn
	if _, ok := readJSON(w, r, &c); ok {
		createCatalogItem(e, w, categoryKind, &c, c.UpdateEnabled)
	}
}

// createCatalogBatch answers POST /v3/products/batch or
// /v3/categories/batch with the counts created and updated. It validates
// the batch as Brevo documents: at most the kind's limit of items, no id
// twice, and without updateEnabled (update) no id that exists already.
func createCatalogBatch[T any, P catalogIn[T]](e *Emulator, w http.ResponseWriter, k catalogKind[T], items []T, update bool) {
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	n, limit := len(items), k.limit(e.batchLimits())
	switch {
	case n == 0:
		writeError(w, http.StatusBadRequest, "missing_parameter", k.field+" is missing or empty")
		return
	case limit > 0 && n > limit:
		writeError(w, http.StatusBadRequest, "out_of_range", fmt.Sprintf("%s holds %d items; at most %d are allowed per request", k.field, n, limit))
		return
	}
	index := k.index(e)
	seen := make(map[string]bool, n)
	for i := range items {
		in := P(&items[i])
		prefix := fmt.Sprintf("%s[%d].", k.field, i)
		id := in.key()
		ex := false
		if id != nil {
			_, ex = index[*id]
		}
		if code, msg := in.check(prefix, ex); code != "" {
			writeError(w, http.StatusBadRequest, code, msg)
			return
		}
		if seen[*id] {
			writeError(w, http.StatusBadRequest, "duplicate_parameter", fmt.Sprintf("%sid %q appears twice in the request", prefix, *id))
			return
		}
		seen[*id] = true
		if ex && !update {
			writeError(w, http.StatusBadRequest, "duplicate_parameter", fmt.Sprintf(alreadyExists, prefix, *id))
			return
		}
	}
	created, updated := 0, 0
	for i := range items {
		if _, c := k.put(e, &items[i], now); c {
			created++
		} else {
			updated++
		}
	}
	writeJSON(w, http.StatusCreated, map[string]any{"createdCount": created, "updatedCount": updated})
}

func (e *Emulator) createProductBatch(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Products      []productIn `json:"products"`
		UpdateEnabled bool        `json:"updateEnabled"`
	}
	if _, ok := readJSON(w, r, &b); ok {
		createCatalogBatch(e, w, productKind, b.Products, b.UpdateEnabled)
	}
}

func (e *Emulator) createCategoryBatch(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Categories    []categoryIn `json:"categories"`
		UpdateEnabled bool         `json:"updateEnabled"`
	}
	if _, ok := readJSON(w, r, &b); ok {
		createCatalogBatch(e, w, categoryKind, b.Categories, b.UpdateEnabled)
	}
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
	pg, modSince, crSince, ok := readPageSince(w, r, 50, 1000)
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
	writePage(w, pg, "products", len(e.st.Products), func(i int) bool {
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
		return true
	}, func(i int) map[string]any { return productJSON(&e.st.Products[i]) })
}

func (e *Emulator) listCategories(w http.ResponseWriter, r *http.Request) {
	pg, modSince, crSince, ok := readPageSince(w, r, 50, 100)
	if !ok {
		return
	}
	ids := queryList(r, "ids")
	name := r.URL.Query().Get("name")
	e.mu.Lock()
	defer e.mu.Unlock()
	writePage(w, pg, "categories", len(e.st.Categories), func(i int) bool {
		c := &e.st.Categories[i]
		if len(ids) > 0 && !slices.Contains(ids, c.ID) || name != "" && !strings.EqualFold(c.Name, name) ||
			!modSince.IsZero() && !c.ModifiedAt.After(modSince) || !crSince.IsZero() && !c.CreatedAt.After(crSince) {
			return false
		}
		return true
	}, func(i int) map[string]any { return categoryJSON(&e.st.Categories[i]) })
}

// getCatalogItem answers GET /v3/products/{id} or /v3/categories/{id}.
func getCatalogItem[T any](e *Emulator, w http.ResponseWriter, r *http.Request, k catalogKind[T]) {
	e.mu.Lock()
	defer e.mu.Unlock()
	i, ok := k.index(e)[r.PathValue("id")]
	if !ok {
		writeError(w, http.StatusNotFound, "document_not_found", k.notFound)
		return
	}
	writeJSON(w, http.StatusOK, k.render(e, i))
}

func (e *Emulator) getProduct(w http.ResponseWriter, r *http.Request) {
	getCatalogItem(e, w, r, productKind)
}
func (e *Emulator) getCategory(w http.ResponseWriter, r *http.Request) {
	getCatalogItem(e, w, r, categoryKind)
}
