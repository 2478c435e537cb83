package bcemu

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func pad2(v int64) string {
	if v < 10 {
		return "0" + itoa(v)
	}
	return itoa(v)
}

// newUUID returns a random RFC 4122 version 4 UUID string.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// randHex returns n random bytes hex-encoded.
func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// rfc2822 formats t as the v2 API does: "Tue, 20 Nov 2012 00:00:00 +0000".
func rfc2822(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC1123Z)
}

// iso8601 formats t as the v3 API does: "2018-09-17T14:27:39Z".
func iso8601(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// parseAPIDate accepts the date forms the v2 and v3 filters document: RFC 2822
// ("Thu, 20 Apr 2017 11:32:00 -0400"), ISO 8601 with or without zone or
// fraction ("2017-04-20T11:32:00.000-04:00", "2024-05-14T09:34:00"), a bare
// date ("2024-05-14") and unix seconds.
func parseAPIDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	layouts := []string{
		time.RFC1123Z, time.RFC1123, "Mon, 2 Jan 2006 15:04:05 -0700", time.RFC822Z,
		time.RFC3339Nano, time.RFC3339, "2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700",
		"2006-01-02T15:04:05", "2006-01-02T15:04:05.000", "2006-01-02 15:04:05", "2006-01-02",
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("invalid date %q", s)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := appendJSON(make([]byte, 0, 4096), v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

const statusCodesDoc = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"

// v3Error writes the v3 error body {status, title, type, errors}.
func v3Error(w http.ResponseWriter, status int, title string, details map[string]string) {
	body := map[string]any{"status": status, "title": title, "type": statusCodesDoc}
	if details != nil {
		body["errors"] = details
	}
	writeJSON(w, status, body)
}

// v2Error writes the v2 error body [{status, message}].
func v2Error(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, []map[string]any{{"status": status, "message": message}})
}

// apiError is an error that carries an HTTP status.
type apiError struct {
	Status  int
	Title   string
	Details map[string]string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s", e.Status, e.Title) }

func errf(status int, format string, a ...any) *apiError {
	return &apiError{Status: status, Title: fmt.Sprintf(format, a...)}
}

// statusOf returns the HTTP status of err (500 for plain errors).
func statusOf(err error) (int, string, map[string]string) {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Status, ae.Title, ae.Details
	}
	return http.StatusInternalServerError, err.Error(), nil
}

// page is a resolved page/limit pair.
type page struct {
	Page, Limit int
}

// parsePage reads page and limit. maxLimit > 0 with strict set rejects larger
// limits with 422 (where the spec declares a maximum); otherwise they are clamped.
func parsePage(q url.Values, def, maxLimit int, strict bool) (page, error) {
	p := page{Page: 1, Limit: def}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, &apiError{Status: 422, Title: "The filter(s): page are not valid.", Details: map[string]string{"page": "must be a positive integer"}}
		}
		p.Page = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, &apiError{Status: 422, Title: "The filter(s): limit are not valid.", Details: map[string]string{"limit": "must be a positive integer"}}
		}
		if maxLimit > 0 && n > maxLimit {
			if strict {
				return p, &apiError{Status: 422, Title: "The filter(s): limit are not valid.", Details: map[string]string{"limit": fmt.Sprintf("must be less than or equal to %d", maxLimit)}}
			}
			n = maxLimit
		}
		p.Limit = n
	}
	return p, nil
}

// slice returns the bounds of the page within n items.
func (p page) slice(n int) (int, int) {
	from := (p.Page - 1) * p.Limit
	if from > n {
		from = n
	}
	to := from + p.Limit
	if to > n {
		to = n
	}
	return from, to
}

// v3Pagination builds meta.pagination for a page of a total.
func v3Pagination(p page, total, count int, q url.Values) map[string]any {
	pages := int(math.Ceil(float64(total) / float64(p.Limit)))
	link := func(n int) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("page", strconv.Itoa(n))
		v.Set("limit", strconv.Itoa(p.Limit))
		return "?" + v.Encode()
	}
	links := map[string]any{"current": link(p.Page)}
	if p.Page > 1 {
		links["previous"] = link(p.Page - 1)
	}
	if p.Page < pages {
		links["next"] = link(p.Page + 1)
	}
	return map[string]any{
		"total": total, "count": count, "per_page": p.Limit, "current_page": p.Page,
		"total_pages": pages, "links": links,
	}
}

// csvInts parses "1,2,3".
func csvInts(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", part)
		}
		out = append(out, n)
	}
	return out, nil
}

// csvStrings parses "a,b" into a set; multiple occurrences of the parameter are merged.
func csvStrings(vals []string) map[string]bool {
	out := map[string]bool{}
	for _, s := range vals {
		for _, part := range strings.Split(s, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out[part] = true
			}
		}
	}
	return out
}

func intSet(xs []int) map[int]bool {
	m := make(map[int]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// decodeOptionalJSON decodes the body into v when there is one; an empty
// body leaves v at its zero value (control routes whose options all have
// defaults).
func decodeOptionalJSON(r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return decodeJSON(r, v)
}

func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 4<<20))
	if err := dec.Decode(v); err != nil {
		return &apiError{Status: 400, Title: "Input is invalid. " + err.Error()}
	}
	return nil
}
