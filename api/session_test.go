package api

import (
	"crypto/tls"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
)

const sessionToken = "session-admin-token"

// sessionServer is a Server whose admin group has GET and POST /ping.
func sessionServer(t *testing.T, token string) http.Handler {
	t.Helper()
	s := New(Options{Logger: slog.New(slog.DiscardHandler)})
	g := s.Admin([]byte(token))
	g.GET("/ping", func(c *gin.Context) { c.JSON(200, gin.H{"pong": true}) })
	g.POST("/ping", func(c *gin.Context) { c.JSON(200, gin.H{"posted": true}) })
	return s.Handler()
}

type sessionReq struct {
	method, path, body string
	cookie             *http.Cookie
	header             map[string]string
	tls                bool
}

func doSession(t *testing.T, h http.Handler, r sessionReq) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
	if r.cookie != nil {
		req.AddCookie(r.cookie)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	if r.tls {
		req.TLS = &tls.ConnectionState{}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// signInFor signs in and returns the session cookie and CSRF token.
func signInFor(t *testing.T, h http.Handler, r sessionReq) (*http.Cookie, string) {
	t.Helper()
	r.method, r.path, r.body = http.MethodPost, "/app/session", `{"token":"`+sessionToken+`"}`
	rec := doSession(t, h, r)
	if rec.Code != 200 {
		t.Fatalf("sign in: %d %s", rec.Code, rec.Body)
	}
	var out struct{ CSRF string }
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.CSRF == "" {
		t.Fatalf("sign in body %s: %v", rec.Body, err)
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == SessionCookie {
			return c, out.CSRF
		}
	}
	t.Fatalf("sign in set no %s cookie: %v", SessionCookie, rec.Result().Header)
	return nil, ""
}

func sessionErrorCode(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var b ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatalf("error body %q: %v", rec.Body, err)
	}
	return b.Error.Code
}

func TestSessionSignIn(t *testing.T) {
	h := sessionServer(t, sessionToken)
	for _, body := range []string{`{"token":"wrong"}`, `{"token":""}`, `{"token":"` + sessionToken + `x"}`} {
		rec := doSession(t, h, sessionReq{method: "POST", path: "/app/session", body: body})
		if rec.Code != 401 || sessionErrorCode(t, rec) != "unauthorized" || rec.Header().Get("Set-Cookie") != "" {
			t.Errorf("%s: %d %s cookie %q", body, rec.Code, rec.Body, rec.Header().Get("Set-Cookie"))
		}
	}
	for _, body := range []string{`nope`, `{"token":"a","extra":1}`, `{"token":"a"} {}`} {
		if rec := doSession(t, h, sessionReq{method: "POST", path: "/app/session", body: body}); rec.Code != 400 || sessionErrorCode(t, rec) != "bad_body" {
			t.Errorf("%s: %d %s", body, rec.Code, rec.Body)
		}
	}

	ck, csrf := signInFor(t, h, sessionReq{})
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.Secure {
		t.Errorf("plain-http cookie flags: %+v", ck)
	}
	if ck.MaxAge != int(SessionTTL/time.Second) || strings.Contains(ck.Value, sessionToken) || strings.Contains(ck.Value, csrf) == false {
		t.Errorf("cookie max-age %d, value %q", ck.MaxAge, ck.Value)
	}
	for name, r := range map[string]sessionReq{
		"TLS":                     {tls: true},
		"X-Forwarded-Proto https": {header: map[string]string{"X-Forwarded-Proto": "https"}},
		"X-Forwarded-Proto list":  {header: map[string]string{"X-Forwarded-Proto": "HTTPS, http"}},
	} {
		if ck, _ := signInFor(t, h, r); !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
			t.Errorf("%s: cookie flags %+v", name, ck)
		}
	}

	rec := doSession(t, h, sessionReq{method: "GET", path: "/app/session", cookie: ck})
	var got struct{ CSRF string }
	_ = json.Unmarshal(rec.Body.Bytes(), &got)
	if rec.Code != 200 || got.CSRF != csrf || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("GET /app/session: %d %s", rec.Code, rec.Body)
	}
	if rec := doSession(t, h, sessionReq{method: "GET", path: "/app/session"}); rec.Code != 401 {
		t.Errorf("GET /app/session without a cookie: %d", rec.Code)
	}
	if _, csrf2 := signInFor(t, h, sessionReq{}); csrf2 == csrf {
		t.Errorf("two sign-ins share the CSRF token %q", csrf)
	}
}

func TestSessionGuardsAdmin(t *testing.T) {
	h := sessionServer(t, sessionToken)
	ck, csrf := signInFor(t, h, sessionReq{})
	type want struct {
		code int
		err  string
	}
	sess := newSessions([]byte(sessionToken))
	expired := *ck
	expired.Value = sess.value(time.Now().Add(-time.Second), csrf)
	farFuture := *ck
	farFuture.Value = newSessions([]byte("another-token")).value(time.Now().Add(time.Hour), csrf)
	tamperedCSRF, tamperedExp, tamperedMAC, unsigned := *ck, *ck, *ck, *ck
	parts := strings.Split(ck.Value, ".")
	tamperedCSRF.Value = strings.Join([]string{parts[0], parts[1], "A" + parts[2][1:], parts[3]}, ".")
	tamperedExp.Value = strings.Join([]string{parts[0], "9999999999", parts[2], parts[3]}, ".")
	tamperedMAC.Value = strings.Join([]string{parts[0], parts[1], parts[2], "A" + parts[3][1:]}, ".")
	unsigned.Value = strings.Join(parts[:3], ".")
	if tamperedCSRF.Value == ck.Value || tamperedMAC.Value == ck.Value {
		t.Fatal("tampering changed nothing")
	}
	for name, tc := range map[string]struct {
		r sessionReq
		w want
	}{
		"nothing":                   {sessionReq{method: "GET"}, want{401, "unauthorized"}},
		"GET with the cookie":       {sessionReq{method: "GET", cookie: ck}, want{200, ""}},
		"POST without CSRF":         {sessionReq{method: "POST", cookie: ck}, want{403, "csrf"}},
		"POST with a wrong CSRF":    {sessionReq{method: "POST", cookie: ck, header: map[string]string{CSRFHeader: csrf + "x"}}, want{403, "csrf"}},
		"POST with the CSRF":        {sessionReq{method: "POST", cookie: ck, header: map[string]string{CSRFHeader: csrf}}, want{200, ""}},
		"POST with the bearer":      {sessionReq{method: "POST", header: map[string]string{"Authorization": "Bearer " + sessionToken}}, want{200, ""}},
		"wrong bearer, good cookie": {sessionReq{method: "GET", cookie: ck, header: map[string]string{"Authorization": "Bearer nope"}}, want{401, "unauthorized"}},
		"expired cookie":            {sessionReq{method: "GET", cookie: &expired}, want{401, "unauthorized"}},
		"another token's cookie":    {sessionReq{method: "GET", cookie: &farFuture}, want{401, "unauthorized"}},
		"tampered CSRF":             {sessionReq{method: "GET", cookie: &tamperedCSRF}, want{401, "unauthorized"}},
		"tampered expiry":           {sessionReq{method: "GET", cookie: &tamperedExp}, want{401, "unauthorized"}},
		"tampered MAC":              {sessionReq{method: "GET", cookie: &tamperedMAC}, want{401, "unauthorized"}},
		"unsigned":                  {sessionReq{method: "GET", cookie: &unsigned}, want{401, "unauthorized"}},
	} {
		tc.r.path = "/api/v1/ping"
		rec := doSession(t, h, tc.r)
		if rec.Code != tc.w.code {
			t.Errorf("%s: %d %s, want %d", name, rec.Code, rec.Body, tc.w.code)
			continue
		}
		if tc.w.err != "" && sessionErrorCode(t, rec) != tc.w.err {
			t.Errorf("%s: error %s, want %s", name, rec.Body, tc.w.err)
		}
	}
	if rec := doSession(t, h, sessionReq{method: "GET", path: "/app/session", cookie: &expired}); rec.Code != 401 {
		t.Errorf("GET /app/session with an expired cookie: %d", rec.Code)
	}
	// A restart (a new server with the same token) keeps the session; a
	// changed token ends it.
	if rec := doSession(t, sessionServer(t, sessionToken), sessionReq{method: "GET", path: "/api/v1/ping", cookie: ck}); rec.Code != 200 {
		t.Errorf("after a restart: %d", rec.Code)
	}
	if rec := doSession(t, sessionServer(t, "changed-token"), sessionReq{method: "GET", path: "/api/v1/ping", cookie: ck}); rec.Code != 401 {
		t.Errorf("after a token change: %d", rec.Code)
	}
}

func TestSessionSignOut(t *testing.T) {
	h := sessionServer(t, sessionToken)
	ck, csrf := signInFor(t, h, sessionReq{})
	if rec := doSession(t, h, sessionReq{method: "DELETE", path: "/app/session", cookie: ck}); rec.Code != 403 || sessionErrorCode(t, rec) != "csrf" {
		t.Fatalf("sign out without CSRF: %d %s", rec.Code, rec.Body)
	}
	rec := doSession(t, h, sessionReq{method: "DELETE", path: "/app/session", cookie: ck, header: map[string]string{CSRFHeader: csrf}})
	cleared := rec.Result().Cookies()
	if rec.Code != 204 || len(cleared) != 1 || cleared[0].Name != SessionCookie || cleared[0].MaxAge >= 0 || cleared[0].Value != "" {
		t.Fatalf("sign out: %d %v", rec.Code, cleared)
	}
	if !cleared[0].HttpOnly || cleared[0].SameSite != http.SameSiteStrictMode || cleared[0].Path != "/" {
		t.Errorf("the clearing cookie's flags differ: %+v", cleared[0])
	}
	if rec := doSession(t, h, sessionReq{method: "DELETE", path: "/app/session"}); rec.Code != 204 {
		t.Errorf("sign out with no session: %d", rec.Code)
	}
}

func TestSessionNeedsAToken(t *testing.T) {
	h := sessionServer(t, "")
	if rec := doSession(t, h, sessionReq{method: "POST", path: "/app/session", body: `{"token":""}`}); rec.Code != 401 {
		t.Errorf("sign in with no configured token: %d", rec.Code)
	}
	forged := &http.Cookie{Name: SessionCookie, Value: newSessions([]byte("x")).value(time.Now().Add(time.Hour), "c")}
	if rec := doSession(t, h, sessionReq{method: "GET", path: "/api/v1/ping", cookie: forged}); rec.Code != 401 {
		t.Errorf("a cookie with no configured token: %d", rec.Code)
	}
}

func TestAppServesTheDashboard(t *testing.T) {
	h := sessionServer(t, sessionToken)
	rec := doSession(t, h, sessionReq{method: "GET", path: "/app/"})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "<html") || !strings.HasPrefix(rec.Header().Get("Content-Security-Policy"), "default-src 'self'") ||
		rec.Header().Get("Cache-Control") != "no-cache" || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("/app/: %d %v", rec.Code, rec.Header())
	}
	if rec := doSession(t, h, sessionReq{method: "GET", path: "/app/app.js"}); rec.Code != 200 || rec.Header().Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Errorf("/app/app.js: %d %v", rec.Code, rec.Header())
	}
	if rec := doSession(t, h, sessionReq{method: "GET", path: "/app/vendor/uplot-1.6.32/uPlot.esm.js"}); rec.Code != 200 || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
		t.Errorf("vendor file: %d %v", rec.Code, rec.Header())
	}
	if rec := doSession(t, h, sessionReq{method: "GET", path: "/app"}); rec.Code != 301 || rec.Header().Get("Location") != "/app/" {
		t.Errorf("/app: %d %v", rec.Code, rec.Header())
	}
	if rec := doSession(t, h, sessionReq{method: "GET", path: "/app/missing.js"}); rec.Code != 404 || sessionErrorCode(t, rec) != "not_found" {
		t.Errorf("missing file: %d %s", rec.Code, rec.Body)
	}
}
