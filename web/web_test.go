package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

func serve(t *testing.T, method, path string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	Handler("/app/").ServeHTTP(rec, req)
	return rec
}

func TestPathsHoldTheDashboardAndVendor(t *testing.T) {
	ps := Paths()
	for _, want := range []string{"", "index.html", "app.js", "app.css", "vendor/uplot-1.6.32/uPlot.esm.js", "vendor/uplot-1.6.32/uPlot.min.css", "vendor/uplot-1.6.32/LICENSE"} {
		if !slices.Contains(ps, want) {
			t.Errorf("Paths() lacks %q: %v", want, ps)
		}
	}
}

func TestHandlerHeaders(t *testing.T) {
	for _, tc := range []struct {
		path, ctype, cache string
	}{
		{"/app/", "text/html; charset=utf-8", "no-cache"},
		{"/app/index.html", "text/html; charset=utf-8", "no-cache"},
		{"/app/app.js", "text/javascript; charset=utf-8", "no-cache"},
		{"/app/app.css", "text/css; charset=utf-8", "no-cache"},
		{"/app/vendor/uplot-1.6.32/uPlot.esm.js", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"},
		{"/app/vendor/uplot-1.6.32/uPlot.min.css", "text/css; charset=utf-8", "public, max-age=31536000, immutable"},
		{"/app/vendor/uplot-1.6.32/LICENSE", "text/plain; charset=utf-8", "public, max-age=31536000, immutable"},
	} {
		rec := serve(t, http.MethodGet, tc.path, nil)
		h := rec.Result().Header
		if rec.Code != 200 || h.Get("Content-Type") != tc.ctype || h.Get("Cache-Control") != tc.cache {
			t.Errorf("%s: %d %q %q", tc.path, rec.Code, h.Get("Content-Type"), h.Get("Cache-Control"))
		}
		if h.Get("Content-Security-Policy") != ContentSecurityPolicy || !strings.HasPrefix(ContentSecurityPolicy, "default-src 'self'") {
			t.Errorf("%s: CSP %q", tc.path, h.Get("Content-Security-Policy"))
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("ETag") == "" {
			t.Errorf("%s: nosniff %q etag %q", tc.path, h.Get("X-Content-Type-Options"), h.Get("ETag"))
		}
	}
	if rec := serve(t, http.MethodGet, "/app/nope.js", nil); rec.Code != 404 {
		t.Errorf("unknown file: %d", rec.Code)
	}
	if rec := serve(t, http.MethodGet, "/elsewhere/app.js", nil); rec.Code != 404 {
		t.Errorf("outside the prefix: %d", rec.Code)
	}
	if rec := serve(t, http.MethodPost, "/app/", nil); rec.Code != 405 {
		t.Errorf("POST: %d", rec.Code)
	}
	if rec := serve(t, http.MethodHead, "/app/app.js", nil); rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") == "0" {
		t.Errorf("HEAD: %d, body %d, length %q", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Length"))
	}
}

func TestHandlerGzipAndETag(t *testing.T) {
	const p = "/app/vendor/uplot-1.6.32/uPlot.esm.js"
	plain := serve(t, http.MethodGet, p, nil)
	zipped := serve(t, http.MethodGet, p, map[string]string{"Accept-Encoding": "br, gzip"})
	if plain.Header().Get("Content-Encoding") != "" || zipped.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("encodings: %q %q", plain.Header().Get("Content-Encoding"), zipped.Header().Get("Content-Encoding"))
	}
	if zipped.Body.Len() >= plain.Body.Len()/2 {
		t.Errorf("gzip %d bytes of %d", zipped.Body.Len(), plain.Body.Len())
	}
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(unzipped, plain.Body.Bytes()) {
		t.Fatalf("gzip body differs from the file (err %v)", err)
	}
	if rec := serve(t, http.MethodGet, p, map[string]string{"Accept-Encoding": "gzip;q=0"}); rec.Header().Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 still compressed")
	}
	if rec := serve(t, http.MethodGet, p, map[string]string{"If-None-Match": plain.Header().Get("ETag")}); rec.Code != 304 || rec.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d %d bytes", rec.Code, rec.Body.Len())
	}
	if rec := serve(t, http.MethodGet, p, map[string]string{"If-None-Match": `"other"`}); rec.Code != 200 {
		t.Errorf("other ETag: %d", rec.Code)
	}
}
