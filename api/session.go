package api

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/bcflow/bcflow/web"
)

// The dashboard's session: POST /app/session exchanges the admin token for
// a cookie, so the token is typed once and never kept by the page's
// scripts. The cookie is stateless: "v1.<expiry>.<csrf>.<mac>", where mac
// is HMAC-SHA256 over "v1.<expiry>.<csrf>" with a key derived from the
// admin token. A restart keeps sessions valid; a changed token ends them
// all. Signing out clears the browser's cookie; a copied cookie stays
// valid until its expiry (SessionTTL), as nothing is stored server-side.
//
// The cookie is HttpOnly (scripts cannot read it), SameSite=Strict (no
// other site's page or link sends it) and Path=/. It is Secure when the
// request came over TLS or through a proxy saying X-Forwarded-Proto: https.
// On plain http (bcflow dev on 127.0.0.1) it is not: Chromium 156 keeps a
// Secure cookie set over http://127.0.0.1 and http://localhost (tried), as
// loopback counts as a secure context there, but the flag protects nothing
// on loopback (it only keeps the cookie off plain-http requests, and every
// request to a loopback dev server is one), other browsers (WebKit) drop
// Secure cookies set over http, and on a plain-http LAN address every
// browser does, which would make sign-in fail silently.
//
// Every state-changing request authenticated by the cookie must carry the
// session's CSRF token in X-CSRF-Token (GET /app/session tells the page its
// value); a bearer-token request needs none (browsers never add an
// Authorization header on their own).
const (
	// SessionCookie is the dashboard session cookie's name.
	SessionCookie = "bcflow_session"
	// CSRFHeader carries the session's CSRF token on non-GET requests.
	CSRFHeader = "X-CSRF-Token"
	// SessionTTL is how long a session lasts after sign-in.
	SessionTTL = 12 * time.Hour
	// sessionKeyLabel derives the signing key from the admin token.
	sessionKeyLabel = "bcflow dashboard session v1"
	sessionVersion  = "v1"
	// appPrefix is where the dashboard is served.
	appPrefix = "/app/"
)

// sessions signs and checks session cookies with a key derived from the
// admin token; an empty token accepts no session.
type sessions struct {
	key []byte
	now func() time.Time
}

func newSessions(token []byte) *sessions {
	s := &sessions{now: time.Now}
	if len(token) > 0 {
		m := hmac.New(sha256.New, token)
		m.Write([]byte(sessionKeyLabel))
		s.key = m.Sum(nil)
	}
	return s
}

// value is the cookie value of a session expiring at exp with csrf.
func (s *sessions) value(exp time.Time, csrf string) string {
	payload := sessionVersion + "." + strconv.FormatInt(exp.Unix(), 10) + "." + csrf
	return payload + "." + s.mac(payload)
}

func (s *sessions) mac(payload string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// issue starts a session: a fresh random CSRF token and the cookie value.
func (s *sessions) issue() (value, csrf string, exp time.Time) {
	var b [24]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	csrf = base64.RawURLEncoding.EncodeToString(b[:])
	exp = s.now().Add(SessionTTL).Truncate(time.Second)
	return s.value(exp, csrf), csrf, exp
}

// check verifies a cookie value: signed with this key, unexpired. It
// returns the session's CSRF token and expiry.
func (s *sessions) check(value string) (csrf string, exp time.Time, ok bool) {
	if len(s.key) == 0 {
		return "", time.Time{}, false
	}
	i := strings.LastIndexByte(value, '.')
	if i < 0 {
		return "", time.Time{}, false
	}
	payload, mac := value[:i], value[i+1:]
	if !hmac.Equal([]byte(mac), []byte(s.mac(payload))) {
		return "", time.Time{}, false
	}
	parts := strings.Split(payload, ".")
	if len(parts) != 3 || parts[0] != sessionVersion || parts[2] == "" {
		return "", time.Time{}, false
	}
	unix, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return "", time.Time{}, false
	}
	exp = time.Unix(unix, 0)
	if !s.now().Before(exp) {
		return "", time.Time{}, false
	}
	return parts[2], exp, true
}

// fromRequest checks the request's session cookie.
func (s *sessions) fromRequest(r *http.Request) (csrf string, exp time.Time, ok bool) {
	ck, err := r.Cookie(SessionCookie)
	if err != nil {
		return "", time.Time{}, false
	}
	return s.check(ck.Value)
}

// setCookie writes the session cookie (maxAge < 0 clears it).
func setCookie(c *gin.Context, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: SessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: overTLS(c.Request),
	})
}

// overTLS reports whether the browser reached bcflow over https: directly,
// or through a proxy that says so. A client forging the header only makes
// its own cookie stricter.
func overTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}

// safeMethod reports the methods that change nothing and so need no CSRF
// token.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead
}

func unauthorized(c *gin.Context) {
	c.Header("WWW-Authenticate", `Bearer realm="bcflow"`)
	AbortError(c, http.StatusUnauthorized, "unauthorized", "missing or wrong admin bearer token or session")
}

// AdminAuth guards the admin API: a request passes with the admin bearer
// token, or with a valid dashboard session cookie — and then, unless it is
// a GET or HEAD, only with X-CSRF-Token equal to the session's CSRF token
// (403 csrf otherwise). A wrong bearer token is 401 even beside a valid
// cookie. An empty token lets nothing through.
func AdminAuth(token []byte) gin.HandlerFunc {
	sess := newSessions(token)
	return func(c *gin.Context) {
		if h := c.GetHeader("Authorization"); h != "" {
			got, ok := strings.CutPrefix(h, "Bearer ")
			if !ok || !secretEqual(got, token) {
				unauthorized(c)
				return
			}
			c.Next()
			return
		}
		csrf, _, ok := sess.fromRequest(c.Request)
		if !ok {
			unauthorized(c)
			return
		}
		if !safeMethod(c.Request.Method) && !secretEqual(c.GetHeader(CSRFHeader), []byte(csrf)) {
			AbortError(c, http.StatusForbidden, "csrf", "a session request that changes state needs the session's "+CSRFHeader+" header")
			return
		}
		c.Next()
	}
}

// mountApp serves the dashboard at /app/ (web's files, public: the page
// signs in itself) and its session at /app/session.
func (s *Server) mountApp(token []byte) {
	sess := newSessions(token)
	e := s.engine
	e.POST("/app/session", func(c *gin.Context) { signIn(c, sess, token) })
	e.GET("/app/session", func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		csrf, exp, ok := sess.fromRequest(c.Request)
		if !ok {
			AbortError(c, http.StatusUnauthorized, "unauthorized", "no valid session: sign in")
			return
		}
		c.JSON(http.StatusOK, gin.H{"csrf": csrf, "expires_at": exp.UTC()})
	})
	e.DELETE("/app/session", func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		if csrf, _, ok := sess.fromRequest(c.Request); ok && !secretEqual(c.GetHeader(CSRFHeader), []byte(csrf)) {
			AbortError(c, http.StatusForbidden, "csrf", "signing out needs the session's "+CSRFHeader+" header")
			return
		}
		// No valid session: nothing to protect; clearing is idempotent.
		setCookie(c, "", -1)
		c.Status(http.StatusNoContent)
	})
	e.GET("/app", func(c *gin.Context) { c.Redirect(http.StatusMovedPermanently, appPrefix) })
	files := gin.WrapH(web.Handler(appPrefix))
	for _, p := range web.Paths() {
		e.GET(appPrefix+p, files)
		e.HEAD(appPrefix+p, files)
	}
}

// signIn answers POST /app/session {"token": "..."}: 200 {"csrf",
// "expires_at"} with the session cookie, or 401.
func signIn(c *gin.Context, sess *sessions, token []byte) {
	c.Header("Cache-Control", "no-store")
	body, ok := ReadBody(c)
	if !ok {
		return
	}
	var in struct {
		Token string `json:"token"`
	}
	if !decodeBody(c, body, &in, `{"token": "<admin token>"}`) {
		return
	}
	if !secretEqual(in.Token, token) {
		AbortError(c, http.StatusUnauthorized, "unauthorized", "wrong admin token")
		return
	}
	value, csrf, exp := sess.issue()
	setCookie(c, value, int(SessionTTL/time.Second))
	c.JSON(http.StatusOK, gin.H{"csrf": csrf, "expires_at": exp.UTC()})
}
