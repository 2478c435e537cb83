package brevoemu

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// page is the limit/offset/sort of a list request. Brevo sorts by creation,
// descending unless sort=asc.
type page struct {
	limit, offset int
	desc          bool
}

// readPage reads limit (default def, at most max), offset and sort,
// answering 400 when one is not valid. required makes limit and offset
// mandatory, as the spec has them on GET /v3/contacts/folders.
func readPage(w http.ResponseWriter, r *http.Request, def, maxLimit int, required ...bool) (page, bool) {
	q := r.URL.Query()
	p := page{limit: def, desc: true}
	for _, f := range []struct {
		name string
		dst  *int
	}{{"limit", &p.limit}, {"offset", &p.offset}} {
		v := q.Get(f.name)
		if v == "" {
			if len(required) > 0 && required[0] {
				writeError(w, http.StatusBadRequest, "missing_parameter", f.name+" is missing")
				return p, false
			}
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "invalid_parameter", f.name+" is not valid")
			return p, false
		}
		*f.dst = n
	}
	if p.limit > maxLimit {
		writeError(w, http.StatusBadRequest, "out_of_range", fmt.Sprintf("limit must be at most %d", maxLimit))
		return p, false
	}
	switch q.Get("sort") {
	case "", "desc":
	case "asc":
		p.desc = false
	default:
		writeError(w, http.StatusBadRequest, "invalid_parameter", "sort must be asc or desc")
		return p, false
	}
	return p, true
}

// each calls match for indexes 0..n-1 in the page's order.
func (p page) each(n int, match func(i int) bool) {
	for k := 0; k < n; k++ {
		i := k
		if p.desc {
			i = n - 1 - k
		}
		match(i)
	}
}

// take reports whether the n-th match (from 0) falls in the page.
func (p page) take(n int) bool { return n >= p.offset && n < p.offset+p.limit }

// readSince reads the modifiedSince and createdSince filters.
func readSince(w http.ResponseWriter, r *http.Request) (mod, created time.Time, ok bool) {
	q := r.URL.Query()
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"modifiedSince", &mod}, {"createdSince", &created}} {
		v := q.Get(f.name)
		if v == "" {
			continue
		}
		t, good := parseBrevoDate(v)
		if !good {
			writeError(w, http.StatusBadRequest, "invalid_parameter", f.name+" is not a valid date-time (YYYY-MM-DDTHH:mm:ss.SSSZ)")
			return mod, created, false
		}
		*f.dst = t
	}
	return mod, created, true
}

// readPageSince is readPage followed by readSince, for the list requests
// that take both.
func readPageSince(w http.ResponseWriter, r *http.Request, def, maxLimit int) (pg page, mod, created time.Time, ok bool) {
	if pg, ok = readPage(w, r, def, maxLimit); !ok {
		return pg, mod, created, false
	}
	mod, created, ok = readSince(w, r)
	return pg, mod, created, ok
}

// writePage answers a list request with {key: the page's share of the
// items that match, "count": how many of the n items match}. match (nil
// for every item) sees item i; render runs only for the items in the page.
// Caller holds e.mu when the items are the emulator's.
func writePage(w http.ResponseWriter, pg page, key string, n int, match func(i int) bool, render func(i int) map[string]any) {
	out := []map[string]any{}
	count := 0
	pg.each(n, func(i int) bool {
		if match != nil && !match(i) {
			return false
		}
		if pg.take(count) {
			out = append(out, render(i))
		}
		count++
		return true
	})
	writeJSON(w, http.StatusOK, map[string]any{key: out, "count": count})
}
