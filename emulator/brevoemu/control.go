package brevoemu

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Faults are injected failures. Counters count down with each /v3 request
// they apply to.
type Faults struct {
	// RateLimitNext answers the next N requests with 429 and rate-limit headers.
	RateLimitNext int `json:"rateLimitNext,omitempty"`
	// ServerErrorNext answers the next N requests with ServerErrorStatus.
	ServerErrorNext int `json:"serverErrorNext,omitempty"`
	// ServerErrorStatus is the 5xx status to answer; default 500.
	ServerErrorStatus int `json:"serverErrorStatus,omitempty"`
	// Latency delays every request it applies to, until cleared.
	Latency time.Duration `json:"latency,omitempty"`
	// Endpoint restricts the faults to one endpoint key (e.g. EndpointSendEmail).
	Endpoint string `json:"endpoint,omitempty"`
}

// SetFaults replaces the injected faults; the zero Faults clears them.
func (e *Emulator) SetFaults(f Faults) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults = f
}

// CurrentFaults returns the faults still pending.
func (e *Emulator) CurrentFaults() Faults {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.faults
}

// applyFaults reports whether the request may proceed.
func (e *Emulator) applyFaults(w http.ResponseWriter, r *http.Request, key string) bool {
	e.mu.Lock()
	f := &e.faults
	if f.Endpoint != "" && f.Endpoint != key {
		e.mu.Unlock()
		return true
	}
	latency := f.Latency
	rl, se := false, 0
	switch {
	case f.RateLimitNext > 0:
		f.RateLimitNext--
		rl = true
	case f.ServerErrorNext > 0:
		f.ServerErrorNext--
		se = f.ServerErrorStatus
		if se < 500 || se > 599 {
			se = http.StatusInternalServerError
		}
	}
	e.mu.Unlock()
	if latency > 0 {
		e.sleep(r.Context(), latency)
	}
	if rl {
		h := w.Header()
		limit := e.opts.RateLimits[key]
		if limit == 0 {
			limit = e.opts.RateLimits[AllEndpoints]
		}
		h.Set("x-sib-ratelimit-limit", strconv.Itoa(max(limit, 1)))
		h.Set("x-sib-ratelimit-remaining", "0")
		h.Set("x-sib-ratelimit-reset", "1")
		writeError(w, http.StatusTooManyRequests, "too_many_requests", "The expected rate limit is exceeded.")
		return false
	}
	if se != 0 {
		writeError(w, se, "internal_error", http.StatusText(se))
		return false
	}
	return true
}

type faultsJSON struct {
	RateLimitNext     int    `json:"rateLimitNext"`
	ServerErrorNext   int    `json:"serverErrorNext"`
	ServerErrorStatus int    `json:"serverErrorStatus,omitempty"`
	LatencyMs         int64  `json:"latencyMs"`
	Endpoint          string `json:"endpoint,omitempty"`
}

func toFaultsJSON(f Faults) faultsJSON {
	return faultsJSON{f.RateLimitNext, f.ServerErrorNext, f.ServerErrorStatus, f.Latency.Milliseconds(), f.Endpoint}
}

func simError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func decodeSim(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		simError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

// controlRoutes registers the control and inspection API:
//
//	GET    /_sim/brevo/                   summary: counts, API keys, webhook
//	GET    /_sim/brevo/messages           ?to= &channel= &tag=
//	GET    /_sim/brevo/events             ?email= &name=
//	GET    /_sim/brevo/contacts           ?email= &listId= (each with its listIds and attributes)
//	GET    /_sim/brevo/requests           every /v3 call with its status
//	GET    /_sim/brevo/blocked            blocked addresses and why
//	GET|PUT|DELETE /_sim/brevo/faults     {rateLimitNext, serverErrorNext, serverErrorStatus, latencyMs, endpoint}
//	GET|PUT|DELETE /_sim/brevo/webhook    {url, events, headers, bearerToken}
//	POST   /_sim/brevo/webhook/fire       {event, email, messageId, reason, link} → delivery (its error says why it was not delivered)
//	GET    /_sim/brevo/webhook/deliveries
//	POST   /_sim/brevo/messages/{messageId}/open    fires "opened" for that email (engagement.go)
//	POST   /_sim/brevo/messages/{messageId}/click   {"link"} optional; fires "click"
//	POST   /_sim/brevo/reset
//	POST   /_sim/brevo/save
func (e *Emulator) controlRoutes(mux *http.ServeMux) {
	e.syncControlRoutes(mux)
	e.engagementRoutes(mux)
	mux.HandleFunc("GET /_sim/brevo/{$}", func(w http.ResponseWriter, r *http.Request) {
		keys := e.APIKeys()
		e.mu.Lock()
		defer e.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{
			"apiKeys":  keys,
			"messages": len(e.st.Messages), "events": len(e.st.Events), "contacts": len(e.st.Contacts),
			"requests": len(e.requests), "webhook": e.st.Webhook, "faults": toFaultsJSON(e.faults),
			"smsCredits": e.st.SMSCredits, "orders": len(e.st.Orders), "products": len(e.st.Products),
			"categories": len(e.st.Categories), "lists": len(e.st.Lists), "folders": len(e.st.Folders),
		})
	})
	mux.HandleFunc("GET /_sim/brevo/messages", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		msgs := e.Messages(Filter{To: q.Get("to"), Channel: q.Get("channel"), Tag: q.Get("tag")})
		if msgs == nil {
			msgs = []Message{}
		}
		writeJSON(w, http.StatusOK, msgs)
	})
	mux.HandleFunc("GET /_sim/brevo/events", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		evs := e.Events(Filter{To: q.Get("email"), Name: q.Get("name")})
		if evs == nil {
			evs = []Event{}
		}
		writeJSON(w, http.StatusOK, evs)
	})
	mux.HandleFunc("GET /_sim/brevo/contacts", func(w http.ResponseWriter, r *http.Request) {
		all := e.Contacts()
		em, list := r.URL.Query().Get("email"), r.URL.Query().Get("listId")
		if em != "" || list != "" {
			out := []Contact{}
			for _, c := range all {
				if (em == "" || strings.EqualFold(c.Email, em)) && (list == "" || slices.Contains(c.ListIDs, atoi64(list))) {
					out = append(out, c)
				}
			}
			all = out
		}
		writeJSON(w, http.StatusOK, all)
	})
	mux.HandleFunc("GET /_sim/brevo/requests", func(w http.ResponseWriter, r *http.Request) {
		reqs := e.Requests()
		if reqs == nil {
			reqs = []Request{}
		}
		writeJSON(w, http.StatusOK, reqs)
	})
	mux.HandleFunc("GET /_sim/brevo/blocked", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, e.Blocked())
	})
	mux.HandleFunc("GET /_sim/brevo/faults", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, toFaultsJSON(e.CurrentFaults()))
	})
	mux.HandleFunc("PUT /_sim/brevo/faults", func(w http.ResponseWriter, r *http.Request) {
		var f faultsJSON
		if !decodeSim(w, r, &f) {
			return
		}
		if f.RateLimitNext < 0 || f.ServerErrorNext < 0 || f.LatencyMs < 0 {
			simError(w, http.StatusBadRequest, "counts and latency must not be negative")
			return
		}
		if f.ServerErrorStatus != 0 && (f.ServerErrorStatus < 500 || f.ServerErrorStatus > 599) {
			simError(w, http.StatusBadRequest, "serverErrorStatus must be 5xx")
			return
		}
		e.SetFaults(Faults{RateLimitNext: f.RateLimitNext, ServerErrorNext: f.ServerErrorNext,
			ServerErrorStatus: f.ServerErrorStatus, Latency: time.Duration(f.LatencyMs) * time.Millisecond, Endpoint: f.Endpoint})
		writeJSON(w, http.StatusOK, toFaultsJSON(e.CurrentFaults()))
	})
	mux.HandleFunc("DELETE /_sim/brevo/faults", func(w http.ResponseWriter, r *http.Request) {
		e.SetFaults(Faults{})
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sim/brevo/webhook", func(w http.ResponseWriter, r *http.Request) {
		wh := e.Webhook()
		if wh == nil {
			simError(w, http.StatusNotFound, "no webhook configured")
			return
		}
		writeJSON(w, http.StatusOK, wh)
	})
	mux.HandleFunc("PUT /_sim/brevo/webhook", func(w http.ResponseWriter, r *http.Request) {
		var c WebhookConfig
		if !decodeSim(w, r, &c) {
			return
		}
		if err := e.SetWebhook(&c); err != nil {
			simError(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, e.Webhook())
	})
	mux.HandleFunc("DELETE /_sim/brevo/webhook", func(w http.ResponseWriter, r *http.Request) {
		_ = e.SetWebhook(nil)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_sim/brevo/webhook/fire", func(w http.ResponseWriter, r *http.Request) {
		var ev WebhookEvent
		if !decodeSim(w, r, &ev) {
			return
		}
		d, err := e.FireWebhook(r.Context(), ev)
		if err != nil && d.Payload == nil {
			simError(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, d)
	})
	mux.HandleFunc("GET /_sim/brevo/webhook/deliveries", func(w http.ResponseWriter, r *http.Request) {
		ds := e.WebhookDeliveries()
		if ds == nil {
			ds = []WebhookDelivery{}
		}
		writeJSON(w, http.StatusOK, ds)
	})
	mux.HandleFunc("POST /_sim/brevo/reset", func(w http.ResponseWriter, r *http.Request) {
		e.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_sim/brevo/save", func(w http.ResponseWriter, r *http.Request) {
		if err := e.Save(); err != nil {
			simError(w, http.StatusInternalServerError, err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/_sim/brevo/", func(w http.ResponseWriter, r *http.Request) {
		simError(w, http.StatusNotFound, fmt.Sprintf("no control route %s %s", r.Method, r.URL.Path))
	})
}

func atoi64(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
