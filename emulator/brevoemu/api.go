package brevoemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"slices"
	"strings"
)

// This file is the API's HTTP machinery: routes, authentication, rate
// limits and JSON bodies. Each resource has its own file: email.go, sms.go,
// whatsapp.go, events.go, contacts.go.

// apiError is Brevo's error body.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, apiError{Code: code, Message: msg})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (e *Emulator) routes() http.Handler {
	mux := http.NewServeMux()
	api := func(key string, h http.HandlerFunc) { mux.Handle(key, e.api(key, h)) }
	api(EndpointSendEmail, e.sendEmail)
	api(EndpointSendSMS, e.sendSMS)
	api(EndpointSendSMSLegacy, e.sendSMS)
	api(EndpointWhatsApp, e.sendWhatsApp)
	api(EndpointEvent, e.createEvent)
	api(EndpointEventBatch, e.createEventBatch)
	api(EndpointCreateContact, e.createContact)
	api(EndpointGetContact, e.getContact)
	api(EndpointUpdateContact, e.updateContact)
	api(EndpointDeleteContact, e.deleteContact)
	e.syncRoutes(api)
	mux.Handle("/v3/", e.api("", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "document_not_found", fmt.Sprintf("%s %s is not emulated", r.Method, r.URL.Path))
	}))
	e.controlRoutes(mux)
	return mux
}

// maxRequests bounds the request log kept for inspection.
const maxRequests = 10000

// api wraps an endpoint with request logging, authentication, fault injection
// and rate limiting, in that order.
func (e *Emulator) api(key string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		authed := false
		defer func() {
			e.mu.Lock()
			if len(e.requests) >= maxRequests {
				e.requests = slices.Delete(e.requests, 0, len(e.requests)-maxRequests+1)
			}
			e.requests = append(e.requests, Request{Method: r.Method, Path: r.URL.Path, Endpoint: key, Status: rec.status, At: e.now()})
			if authed {
				e.countRequest(key, rec.status)
			}
			e.mu.Unlock()
		}()
		e.mu.Lock()
		closed := e.closed
		e.mu.Unlock()
		if closed {
			writeError(rec, http.StatusServiceUnavailable, "bad_request", "emulator closed")
			return
		}
		if !e.keys[r.Header.Get("api-key")] {
			writeError(rec, http.StatusUnauthorized, "unauthorized", "Key not found")
			return
		}
		authed = true
		if key != "" && !e.applyFaults(rec, r, key) {
			return
		}
		if key != "" && !e.rateLimit(rec, key) {
			return
		}
		h(rec, r)
	})
}

// readJSON decodes the body into v, answering Brevo's 400 when it is not a
// JSON object of the right shape. It returns the raw body.
func readJSON(w http.ResponseWriter, r *http.Request, v any) (json.RawMessage, bool) {
	return readJSONLimit(w, r, v, 10<<20)
}

// readJSONLimit is readJSON for bodies of at most limit bytes.
func readJSONLimit(w http.ResponseWriter, r *http.Request, v any, limit int) (json.RawMessage, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "could not read the request body")
		return nil, false
	}
	if len(body) > limit {
		writeError(w, http.StatusBadRequest, "out_of_range", fmt.Sprintf("the request body exceeds %d bytes", limit))
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			writeError(w, http.StatusBadRequest, "invalid_parameter", fmt.Sprintf("%s is not valid", te.Field))
		} else {
			writeError(w, http.StatusBadRequest, "bad_request", "Input must be a valid JSON object")
		}
		return nil, false
	}
	return json.RawMessage(body), true
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s, "@")
}
