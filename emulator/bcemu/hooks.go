package bcemu

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

func (s *store) renderHook(h *Hook) map[string]any {
	var headers any
	if h.Headers != nil {
		headers = h.Headers
	}
	return map[string]any{
		"id": h.ID, "client_id": s.ClientID, "store_hash": s.Hash, "scope": h.Scope, "destination": h.Destination,
		"headers": headers, "is_active": h.IsActive, "created_at": h.Created.Unix(), "updated_at": h.Updated.Unix(),
	}
}

// hookBody is the create/update request; events_history_enabled is accepted and ignored.
type hookBody struct {
	Scope                *string            `json:"scope"`
	Destination          *string            `json:"destination"`
	IsActive             *bool              `json:"is_active"`
	Headers              *map[string]string `json:"headers"`
	EventsHistoryEnabled *bool              `json:"events_history_enabled"`
}

func validDestination(d string) bool {
	u, err := url.Parse(d)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

func validScope(sc string) bool {
	return strings.HasPrefix(sc, "store/") && !strings.ContainsAny(sc, " \t")
}

func hookInvalid(field, msg string) error {
	return &apiError{Status: 422, Title: "JSON data is missing or invalid", Details: map[string]string{field: msg}}
}

func (s *store) duplicateHook(id int, scope, dest string) bool {
	for _, h := range s.Hooks {
		if h.ID != id && h.Scope == scope && h.Destination == dest {
			return true
		}
	}
	return false
}

func (e *Emulator) registerHooks() {
	getHook := func(s *store, r *http.Request) (*Hook, error) {
		id, _ := strconv.Atoi(r.PathValue("id"))
		h := s.hook(id)
		if h == nil {
			return nil, errf(404, "Webhook with id [%s] not found", r.PathValue("id"))
		}
		return h, nil
	}
	e.v3("GET /hooks", func(s *store, w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		pg, err := parsePage(q, 50, 250, false)
		if err != nil {
			return err
		}
		var active *bool
		if v := q.Get("is_active"); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return hookInvalid("is_active", "error.expected.boolean")
			}
			active = &b
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		var list []*Hook
		for _, h := range s.Hooks {
			if (active == nil || h.IsActive == *active) && (q.Get("scope") == "" || q.Get("scope") == h.Scope) &&
				(q.Get("destination") == "" || q.Get("destination") == h.Destination) {
				list = append(list, h)
			}
		}
		from, to := pg.slice(len(list))
		data := []any{}
		for _, h := range list[from:to] {
			data = append(data, s.renderHook(h))
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data, "meta": map[string]any{"pagination": v3Pagination(pg, len(list), len(data), q)}})
		return nil
	})
	e.v3("POST /hooks", func(s *store, w http.ResponseWriter, r *http.Request) error {
		var b hookBody
		if err := decodeJSON(r, &b); err != nil {
			return err
		}
		if b.Scope == nil || *b.Scope == "" {
			return hookInvalid("scope", "error.path.missing")
		}
		if b.Destination == nil || *b.Destination == "" {
			return hookInvalid("destination", "error.path.missing")
		}
		if !validScope(*b.Scope) {
			return hookInvalid("scope", "invalid scope")
		}
		if !validDestination(*b.Destination) {
			return hookInvalid("destination", "must be an absolute https (or, in the emulator, http) URL")
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.duplicateHook(0, *b.Scope, *b.Destination) {
			return hookInvalid("scope", "a webhook for this scope and destination already exists")
		}
		now := e.now()
		s.Seq.Hook++
		h := &Hook{ID: s.Seq.Hook, Scope: *b.Scope, Destination: *b.Destination, IsActive: true, Created: now, Updated: now}
		if b.IsActive != nil {
			h.IsActive = *b.IsActive
		}
		if b.Headers != nil && *b.Headers != nil {
			h.Headers = *b.Headers
		}
		s.Hooks = append(s.Hooks, h)
		writeJSON(w, http.StatusOK, map[string]any{"data": s.renderHook(h), "meta": map[string]any{}})
		return nil
	})
	e.v3("GET /hooks/{id}", func(s *store, w http.ResponseWriter, r *http.Request) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		h, err := getHook(s, r)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": s.renderHook(h), "meta": map[string]any{}})
		return nil
	})
	e.v3("PUT /hooks/{id}", func(s *store, w http.ResponseWriter, r *http.Request) error {
		var b hookBody
		if err := decodeJSON(r, &b); err != nil {
			return err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		h, err := getHook(s, r)
		if err != nil {
			return err
		}
		scope, dest := h.Scope, h.Destination
		if b.Scope != nil {
			if !validScope(*b.Scope) {
				return hookInvalid("scope", "invalid scope")
			}
			scope = *b.Scope
		}
		if b.Destination != nil {
			if !validDestination(*b.Destination) {
				return hookInvalid("destination", "must be an absolute https (or, in the emulator, http) URL")
			}
			dest = *b.Destination
		}
		if s.duplicateHook(h.ID, scope, dest) {
			return hookInvalid("scope", "a webhook for this scope and destination already exists")
		}
		h.Scope, h.Destination = scope, dest
		if b.IsActive != nil {
			h.IsActive = *b.IsActive
		}
		if b.Headers != nil {
			h.Headers = *b.Headers
		}
		h.Updated = e.now()
		writeJSON(w, http.StatusOK, map[string]any{"data": s.renderHook(h), "meta": map[string]any{}})
		return nil
	})
	e.v3("DELETE /hooks/{id}", func(s *store, w http.ResponseWriter, r *http.Request) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		h, err := getHook(s, r)
		if err != nil {
			return err
		}
		for i, x := range s.Hooks {
			if x.ID == h.ID {
				s.Hooks = append(s.Hooks[:i], s.Hooks[i+1:]...)
				break
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": s.renderHook(h), "meta": map[string]any{}})
		return nil
	})
}
