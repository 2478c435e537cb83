package brevoemu

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// syncControlRoutes registers the inspection of what a store sync wrote and
// the rate-limit knobs:
//
//	GET    /_sim/brevo/counts                 Counts
//	GET    /_sim/brevo/requests/counts        RequestCounts: {endpoint: {requests, limited}}
//	GET    /_sim/brevo/orders                 ?email= &historical=true|false &offset= &limit= → {orders, count}
//	GET    /_sim/brevo/orders/{id}
//	GET    /_sim/brevo/products               all products
//	GET    /_sim/brevo/products/{id}
//	GET    /_sim/brevo/categories             all categories
//	GET    /_sim/brevo/folders
//	GET    /_sim/brevo/lists                  lists with members and blacklisted counts
//	GET    /_sim/brevo/lists/{id}/members     the contacts in a list
//	GET    /_sim/brevo/processes
//	GET    /_sim/brevo/attributes             the account's contact attributes (Attributes)
//	GET|PUT|DELETE /_sim/brevo/ratelimits     {families: {name: [{limit, windowMs}]}, timeScale, disabled}; DELETE restores the start configuration
func (e *Emulator) syncControlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /_sim/brevo/counts", simGet(e.Counts))
	mux.HandleFunc("GET /_sim/brevo/requests/counts", simGet(e.RequestCounts))
	mux.HandleFunc("GET /_sim/brevo/orders", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		offset, _ := strconv.Atoi(q.Get("offset"))
		limit, _ := strconv.Atoi(q.Get("limit"))
		email, hist := strings.ToLower(q.Get("email")), q.Get("historical")
		e.mu.Lock()
		out := []Order{}
		n := 0
		for i := range e.st.Orders {
			o := &e.st.Orders[i]
			if email != "" && o.Email != email || hist != "" && strconv.FormatBool(o.Historical) != hist {
				continue
			}
			if n >= offset && (limit <= 0 || len(out) < limit) {
				out = append(out, o.clone())
			}
			n++
		}
		e.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"orders": out, "count": n})
	})
	mux.HandleFunc("GET /_sim/brevo/orders/{id}", simGetByID("order", e.Order))
	mux.HandleFunc("GET /_sim/brevo/products", simGet(e.Products))
	mux.HandleFunc("GET /_sim/brevo/products/{id}", simGetByID("product", e.Product))
	mux.HandleFunc("GET /_sim/brevo/categories", simGet(e.Categories))
	mux.HandleFunc("GET /_sim/brevo/folders", simGet(e.Folders))
	mux.HandleFunc("GET /_sim/brevo/lists", simGet(e.Lists))
	mux.HandleFunc("GET /_sim/brevo/lists/{id}/members", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			simError(w, http.StatusBadRequest, "list id must be a number")
			return
		}
		writeJSON(w, http.StatusOK, e.ListMembers(id))
	})
	mux.HandleFunc("GET /_sim/brevo/processes", simGet(e.Processes))
	mux.HandleFunc("GET /_sim/brevo/attributes", simGet(e.Attributes))
	mux.HandleFunc("GET /_sim/brevo/ratelimits", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, toRateJSON(e.RateLimits()))
	})
	mux.HandleFunc("PUT /_sim/brevo/ratelimits", func(w http.ResponseWriter, r *http.Request) {
		var in rateJSON
		if !decodeSim(w, r, &in) {
			return
		}
		if err := e.SetRateLimits(in.config()); err != nil {
			simError(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, toRateJSON(e.RateLimits()))
	})
	mux.HandleFunc("DELETE /_sim/brevo/ratelimits", func(w http.ResponseWriter, r *http.Request) {
		e.ResetRateLimits()
		w.WriteHeader(http.StatusNoContent)
	})
}

// simGet answers a control GET with what get returns.
func simGet[T any](get func() T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, get())
	}
}

// simGetByID answers a control GET .../{id} with what get returns for the
// id, or 404 "no such <what>".
func simGetByID[T any](what string, get func(id string) (T, bool)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if v, ok := get(r.PathValue("id")); ok {
			writeJSON(w, http.StatusOK, v)
			return
		}
		simError(w, http.StatusNotFound, "no such "+what)
	}
}

type ruleJSON struct {
	Limit    int     `json:"limit"`
	WindowMs float64 `json:"windowMs"`
}

type rateJSON struct {
	Families  map[string][]ruleJSON `json:"families"`
	TimeScale float64               `json:"timeScale"`
	Disabled  bool                  `json:"disabled"`
}

func toRateJSON(c RateLimitConfig) rateJSON {
	out := rateJSON{Families: map[string][]ruleJSON{}, TimeScale: c.TimeScale, Disabled: c.Disabled}
	for k, rules := range c.Families {
		for _, r := range rules {
			out.Families[k] = append(out.Families[k], ruleJSON{r.Limit, float64(r.Window) / float64(time.Millisecond)})
		}
	}
	return out
}

func (j rateJSON) config() RateLimitConfig {
	c := RateLimitConfig{Families: map[string][]RateRule{}, TimeScale: j.TimeScale, Disabled: j.Disabled}
	for k, rules := range j.Families {
		for _, r := range rules {
			c.Families[k] = append(c.Families[k], RateRule{Limit: r.Limit, Window: time.Duration(r.WindowMs * float64(time.Millisecond))})
		}
	}
	return c
}
