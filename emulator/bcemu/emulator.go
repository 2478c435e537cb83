package bcemu

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Options configures an Emulator. The zero value is usable.
type Options struct {
	// Stores to emulate; default one store, DefaultStore().
	Stores []StoreSeed
	// RateLimitQuota is the number of requests per window per store; default 150.
	RateLimitQuota int
	// RateLimitWindow is the length of the rate-limit window; default 30 s
	// (RateLimitWindow, the platform's). A benchmark compresses it (150 per
	// 1 s) to measure pacing without waiting for real windows.
	RateLimitWindow time.Duration
	// RetryScale multiplies the webhook retry schedule (60 s … 86400 s); default 1.0.
	RetryScale float64
	// Clock returns the current time; default time.Now. It drives timestamps,
	// webhook created_at and the rate-limit window (not the retry timers, which
	// run on real time scaled by RetryScale).
	Clock func() time.Time
	// HTTPClient delivers webhooks; default a client with a 10 s timeout.
	HTTPClient *http.Client
	// SnapshotPath, when set, is loaded by New if the file exists and written by Save.
	SnapshotPath string
}

// RateLimitWindow is the length of BigCommerce's rate-limit window, the
// default of Options.RateLimitWindow.
const RateLimitWindow = 30 * time.Second

// Emulator emulates one or more BigCommerce stores at the HTTP level.
type Emulator struct {
	opts   Options
	now    func() time.Time
	mu     sync.RWMutex
	stores map[string]*store
	order  []string
	disp   *dispatcher
	api    *http.ServeMux
	sim    *http.ServeMux
}

// New builds an emulator from opts, loading opts.SnapshotPath when it exists.
func New(opts Options) (*Emulator, error) {
	if opts.RateLimitQuota <= 0 {
		opts.RateLimitQuota = 150
	}
	if opts.RateLimitWindow <= 0 {
		opts.RateLimitWindow = RateLimitWindow
	}
	if opts.RetryScale <= 0 {
		opts.RetryScale = 1
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if len(opts.Stores) == 0 {
		opts.Stores = []StoreSeed{DefaultStore()}
	}
	e := &Emulator{opts: opts, now: opts.Clock, stores: map[string]*store{}}
	for _, seed := range opts.Stores {
		s, err := e.buildStore(seed)
		if err != nil {
			return nil, err
		}
		if _, dup := e.stores[s.Hash]; dup {
			return nil, fmt.Errorf("bcemu: duplicate store hash %q", s.Hash)
		}
		e.stores[s.Hash] = s
		e.order = append(e.order, s.Hash)
	}
	if opts.SnapshotPath != "" {
		if err := e.loadSnapshot(opts.SnapshotPath); err != nil {
			return nil, err
		}
	}
	e.disp = newDispatcher(e)
	e.api = http.NewServeMux()
	e.registerAPI()
	e.sim = http.NewServeMux()
	e.registerSim()
	e.registerCatalogSim()
	return e, nil
}

// Close stops the webhook dispatcher; pending retries are abandoned.
func (e *Emulator) Close() { e.disp.close() }

// Stores lists the emulated stores and their credentials.
func (e *Emulator) Stores() []StoreInfo {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]StoreInfo, 0, len(e.order))
	for _, h := range e.order {
		s := e.stores[h]
		s.mu.Lock()
		out = append(out, s.info())
		s.mu.Unlock()
	}
	return out
}

func (e *Emulator) store(hash string) (*store, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	s := e.stores[hash]
	if s == nil {
		return nil, errf(404, "Store %q not found", hash)
	}
	return s, nil
}

func (e *Emulator) allStores() []*store {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]*store, 0, len(e.order))
	for _, h := range e.order {
		out = append(out, e.stores[h])
	}
	return out
}

// Handler serves the store APIs under /stores/{hash}/v2 and /stores/{hash}/v3
// and the simulator control API under /_sim/bigcommerce/.
func (e *Emulator) Handler() http.Handler { return http.HandlerFunc(e.serveHTTP) }

type ctxKey struct{}

func (e *Emulator) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/_sim/bigcommerce/") || r.URL.Path == "/_sim/bigcommerce":
		e.sim.ServeHTTP(w, r)
	case strings.HasPrefix(r.URL.Path, "/stores/"):
		e.serveStore(w, r)
	default:
		v3Error(w, http.StatusNotFound, "Not Found", nil)
	}
}

func apiVersion(path string) string {
	parts := strings.SplitN(strings.TrimPrefix(path, "/stores/"), "/", 3)
	if len(parts) >= 2 {
		return parts[1]
	}
	return ""
}

func (e *Emulator) serveStore(w http.ResponseWriter, r *http.Request) {
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/stores/"), "/", 3)
	version := apiVersion(r.URL.Path)
	fail := func(status int, msg string) {
		if version == "v2" {
			v2Error(w, status, msg)
		} else {
			v3Error(w, status, msg, nil)
		}
	}
	e.mu.RLock()
	s := e.stores[parts[0]]
	e.mu.RUnlock()
	token := r.Header.Get("X-Auth-Token")
	if s == nil {
		fail(http.StatusUnauthorized, "No valid credentials were found in this request")
		return
	}
	_, pattern := e.api.Handler(r)
	s.mu.Lock()
	ok := token != "" && token == s.AccessToken
	var allowed bool
	if ok {
		allowed = s.rl.take(e.now(), s.Quota, s.window())
	}
	s.rl.headers(w.Header(), e.now(), s.Quota, s.window())
	noSegmentation := s.SegmentationOff && segmentationRoute(r.URL.Path)
	busy, writing := false, false
	if ok && allowed && !noSegmentation && segmentationWrite(r) {
		if busy = s.segWrites >= MaxSegmentWritesInFlight; !busy {
			s.segWrites++
			writing = true
		}
	}
	if ok {
		s.stats.count(routeName(r, pattern), !allowed || busy)
	}
	s.mu.Unlock()
	if writing {
		defer func() {
			s.mu.Lock()
			s.segWrites--
			s.mu.Unlock()
		}()
	}
	if !ok {
		fail(http.StatusUnauthorized, "No valid credentials were found in this request")
		return
	}
	if !allowed {
		fail(http.StatusTooManyRequests, "Too many requests: the rate limit quota for this store has been reached")
		return
	}
	if version != "v2" && version != "v3" {
		fail(http.StatusNotFound, "Not Found")
		return
	}
	if noSegmentation {
		fail(http.StatusForbidden, SegmentationUnavailableTitle)
		return
	}
	if busy {
		fail(http.StatusTooManyRequests, fmt.Sprintf("Too many concurrent requests: the Customer Segmentation API allows %d creates, updates and adds in flight.", MaxSegmentWritesInFlight))
		return
	}
	e.api.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, s)))
}

// handler is an API handler bound to the authenticated store.
type handler func(s *store, w http.ResponseWriter, r *http.Request)

// v3 registers a v3 route; errors returned by fn are written as v3 errors.
func (e *Emulator) v3(pattern string, fn func(s *store, w http.ResponseWriter, r *http.Request) error) {
	method, path, _ := strings.Cut(pattern, " ")
	e.api.HandleFunc(method+" /stores/{hash}/v3"+path, func(w http.ResponseWriter, r *http.Request) {
		s := r.Context().Value(ctxKey{}).(*store)
		if err := fn(s, w, r); err != nil {
			st, title, det := statusOf(err)
			v3Error(w, st, title, det)
		}
	})
}

// v2 registers a v2 route; errors returned by fn are written as v2 errors.
func (e *Emulator) v2(pattern string, fn func(s *store, w http.ResponseWriter, r *http.Request) error) {
	method, path, _ := strings.Cut(pattern, " ")
	e.api.HandleFunc(method+" /stores/{hash}/v2"+path, func(w http.ResponseWriter, r *http.Request) {
		s := r.Context().Value(ctxKey{}).(*store)
		if err := fn(s, w, r); err != nil {
			st, title, _ := statusOf(err)
			v2Error(w, st, title)
		}
	})
}

func (e *Emulator) registerAPI() {
	e.api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if apiVersion(r.URL.Path) == "v2" {
			v2Error(w, http.StatusNotFound, "The requested resource was not found.")
			return
		}
		v3Error(w, http.StatusNotFound, "The requested resource was not found.", nil)
	})
	e.registerCarts()
	e.registerOrders()
	e.registerConsignments()
	e.registerCustomers()
	e.registerCatalog()
	e.registerCategories()
	e.registerPromotions()
	e.registerSegments()
	e.registerHooks()
	e.registerSites()
	e.registerAttributes()
}

// buildStore creates a store from its seed.
func (e *Emulator) buildStore(seed StoreSeed) (*store, error) {
	if seed.Hash == "" || seed.AccessToken == "" {
		return nil, errors.New("bcemu: a store needs a hash and an access token")
	}
	if seed.ClientSecret == "" {
		seed.ClientSecret = seed.Hash + "-client-secret"
	}
	if seed.ClientID == "" {
		seed.ClientID = seed.Hash + "-client"
	}
	if seed.StoreID == 0 {
		seed.StoreID = 1000000 + int(crc32.ChecksumIEEE([]byte(seed.Hash))%8999999)
	}
	if seed.Domain == "" {
		seed.Domain = "https://store-" + seed.Hash + ".mybigcommerce.com"
	}
	if len(seed.Channels) == 0 {
		seed.Channels = []int{1}
	}
	if seed.Quota <= 0 {
		seed.Quota = e.opts.RateLimitQuota
	}
	if seed.RateLimitWindow <= 0 {
		seed.RateLimitWindow = e.opts.RateLimitWindow
	}
	now := e.now()
	s := &store{state: state{
		Hash: seed.Hash, AccessToken: seed.AccessToken, ClientSecret: seed.ClientSecret,
		ClientID: seed.ClientID, StoreID: seed.StoreID, Domain: strings.TrimSuffix(seed.Domain, "/"),
		Channels: seed.Channels, Quota: seed.Quota, WindowMs: seed.RateLimitWindow.Milliseconds(),
		SegmentationOff: seed.NoSegmentation,
		Carts:           map[string]*Cart{}, Guests: map[string]*Customer{}, AbandonTokens: map[string]string{},
	}}
	groups := seed.CustomerGroups
	if len(groups) == 0 {
		groups = defaultGroups()
	}
	for _, g := range groups {
		s.Groups = append(s.Groups, &CustomerGroup{ID: g.ID, Name: g.Name, IsDefault: g.IsDefault, Created: now, Modified: now})
	}
	sort.Slice(s.Groups, func(i, j int) bool { return s.Groups[i].ID < s.Groups[j].ID })
	for _, c := range seed.Categories {
		if _, err := s.addCategory(c, now); err != nil {
			return nil, err
		}
	}
	for _, p := range seed.Catalog {
		if err := s.addProduct(p, now); err != nil {
			return nil, err
		}
		for _, id := range p.Categories {
			if s.category(id) == nil {
				if _, err := s.addCategory(CategorySeed{ID: id, Name: fmt.Sprintf("Category %d", id)}, now); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, c := range seed.Customers {
		if _, err := s.addCustomer(CustomerInput{
			ID: c.ID, Email: c.Email, FirstName: c.FirstName, LastName: c.LastName, Phone: c.Phone,
			Company: c.Company, GroupID: c.GroupID, AcceptsMarketing: c.AcceptsMarketing,
			AcceptsAbandonedCartEmails: &c.AcceptsAbandonedCartEmails, Attributes: c.Attributes,
		}, now); err != nil {
			return nil, err
		}
	}
	for _, ch := range slices.Sorted(maps.Keys(seed.Sites)) {
		if err := s.setSite(ch, seed.Sites[ch]); err != nil {
			return nil, fmt.Errorf("bcemu: site of channel %d: %w", ch, err)
		}
	}
	for _, p := range seed.Promotions {
		if err := e.addPromotion(s, p); err != nil {
			return nil, err
		}
	}
	s.Seq.Order = 99
	return s, nil
}
