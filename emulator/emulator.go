// Package emulator serves bcflow's emulated BigCommerce stores (bcemu) and
// Brevo account (brevoemu) behind one HTTP listener, as `bcflow sim` and
// `bcflow dev` do:
//
//	/stores/{hash}/v2|v3/...   BigCommerce REST API   (base URL: http://host:port)
//	/v3/...                    Brevo API v3           (base URL: http://host:port/v3)
//	/_sim/bigcommerce/...      BigCommerce control and inspection API
//	/_sim/brevo/...            Brevo control and inspection API
//	GET /_sim/                 JSON index of stores, credentials and URLs
package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/bcflow/bcflow/emulator/bcemu"
	"github.com/bcflow/bcflow/emulator/brevoemu"
)

// Options configures both emulated services.
type Options struct {
	BigCommerce bcemu.Options
	Brevo       brevoemu.Options
}

// Emulator is the composed BigCommerce + Brevo emulator.
type Emulator struct {
	opts    Options
	bc      *bcemu.Emulator
	brevo   *brevoemu.Emulator
	handler http.Handler

	mu      sync.Mutex
	srv     *http.Server
	baseURL string
	served  chan error
}

// New builds both emulators. It fails when either cannot load its snapshot
// or (for BigCommerce) its store seeds are invalid.
func New(opts Options) (*Emulator, error) {
	bc, err := bcemu.New(opts.BigCommerce)
	if err != nil {
		return nil, fmt.Errorf("emulator: bigcommerce: %w", err)
	}
	br, err := brevoemu.Open(opts.Brevo)
	if err != nil {
		bc.Close()
		return nil, fmt.Errorf("emulator: brevo: %w", err)
	}
	e := &Emulator{opts: opts, bc: bc, brevo: br}
	e.handler = e.routes()
	return e, nil
}

// BigCommerce returns the BigCommerce emulator.
func (e *Emulator) BigCommerce() *bcemu.Emulator { return e.bc }

// Brevo returns the Brevo emulator.
func (e *Emulator) Brevo() *brevoemu.Emulator { return e.brevo }

// Handler serves both APIs, both control APIs and the /_sim/ index.
func (e *Emulator) Handler() http.Handler { return e.handler }

func (e *Emulator) routes() http.Handler {
	mux := http.NewServeMux()
	bc, br := e.bc.Handler(), e.brevo.Handler()
	mux.Handle("/stores/", bc)
	mux.Handle("/_sim/bigcommerce", bc)
	mux.Handle("/_sim/bigcommerce/", bc)
	mux.Handle("/v3/", br)
	mux.Handle("/_sim/brevo/", br)
	mux.Handle("/_sim/brevo", http.RedirectHandler("/_sim/brevo/", http.StatusMovedPermanently))
	mux.HandleFunc("GET /_sim/{$}", e.serveIndex)
	mux.HandleFunc("GET /_sim", e.serveIndex)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]any{
			"status": http.StatusNotFound,
			"title":  fmt.Sprintf("%s %s is not emulated; see GET /_sim/", r.Method, r.URL.Path),
		})
	})
	return mux
}

// StoreIndex describes one emulated store in the /_sim/ index.
type StoreIndex struct {
	bcemu.StoreInfo
	// APIURL is the v3 API base, e.g. http://127.0.0.1:8090/stores/abc123/v3.
	APIURL string `json:"api_url"`
	// APIV2URL is the v2 API base.
	APIV2URL string `json:"api_v2_url"`
}

// Index is the document served at GET /_sim/.
type Index struct {
	BaseURL     string `json:"base_url"`
	BigCommerce struct {
		// APIBaseURL is what bcflow's BigCommerce client takes as its base URL.
		APIBaseURL string       `json:"api_base_url"`
		ControlURL string       `json:"control_url"`
		Stores     []StoreIndex `json:"stores"`
	} `json:"bigcommerce"`
	Brevo struct {
		// APIBaseURL is what bcflow's Brevo client takes as its base URL.
		APIBaseURL string                  `json:"api_base_url"`
		ControlURL string                  `json:"control_url"`
		APIKeys    []string                `json:"api_keys"`
		Webhook    *brevoemu.WebhookConfig `json:"webhook,omitempty"`
	} `json:"brevo"`
}

// Index describes the emulator as seen from baseURL (no trailing slash).
func (e *Emulator) Index(baseURL string) Index {
	baseURL = strings.TrimSuffix(baseURL, "/")
	var ix Index
	ix.BaseURL = baseURL
	ix.BigCommerce.APIBaseURL = baseURL
	ix.BigCommerce.ControlURL = baseURL + "/_sim/bigcommerce/"
	ix.BigCommerce.Stores = []StoreIndex{}
	for _, s := range e.bc.Stores() {
		ix.BigCommerce.Stores = append(ix.BigCommerce.Stores, StoreIndex{
			StoreInfo: s,
			APIURL:    baseURL + "/stores/" + s.Hash + "/v3",
			APIV2URL:  baseURL + "/stores/" + s.Hash + "/v2",
		})
	}
	ix.Brevo.APIBaseURL = baseURL + "/v3"
	ix.Brevo.ControlURL = baseURL + "/_sim/brevo/"
	ix.Brevo.APIKeys = e.brevo.APIKeys()
	ix.Brevo.Webhook = e.brevo.Webhook()
	return ix
}

func (e *Emulator) serveIndex(w http.ResponseWriter, r *http.Request) {
	base := e.BaseURL()
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	writeJSON(w, http.StatusOK, e.Index(base))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// BaseURL returns the URL Start is serving on, or "" before Start.
func (e *Emulator) BaseURL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.baseURL
}

// Start listens on addr (e.g. "127.0.0.1:8090", or ":0" for any free port)
// and serves Handler in the background. It returns the base URL, with
// 127.0.0.1 standing in for an unspecified host.
func (e *Emulator) Start(addr string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.srv != nil {
		return "", errors.New("emulator: already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("emulator: listen %s: %w", addr, err)
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	e.baseURL = "http://" + net.JoinHostPort(host, port)
	e.srv = &http.Server{Handler: e.handler, ReadHeaderTimeout: 10 * time.Second}
	e.served = make(chan error, 1)
	srv, served := e.srv, e.served
	go func() {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		served <- err
	}()
	return e.baseURL, nil
}

// Save writes the snapshot of each emulator that has a SnapshotPath.
func (e *Emulator) Save() error {
	var errs []error
	if e.opts.BigCommerce.SnapshotPath != "" {
		if err := e.bc.Save(); err != nil {
			errs = append(errs, fmt.Errorf("bigcommerce: %w", err))
		}
	}
	if e.opts.Brevo.SnapshotPath != "" {
		if err := e.brevo.Save(); err != nil {
			errs = append(errs, fmt.Errorf("brevo: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Close stops both emulators. It does not save BigCommerce's snapshot (Brevo's
// Close saves its own when configured) nor stop a server started by Start;
// use Shutdown for that.
func (e *Emulator) Close() {
	e.bc.Close()
	e.brevo.Close()
}

// Shutdown gracefully stops the server started by Start, saves the configured
// snapshots and closes both emulators. It is safe to call without Start.
func (e *Emulator) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	srv, served := e.srv, e.served
	e.srv = nil
	e.mu.Unlock()
	var errs []error
	if srv != nil {
		err := srv.Shutdown(ctx)
		if err == nil {
			err = <-served
		}
		errs = append(errs, err)
	}
	errs = append(errs, e.Save())
	e.Close()
	return errors.Join(errs...)
}
