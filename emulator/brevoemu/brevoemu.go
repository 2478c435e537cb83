// Package brevoemu emulates the parts of Brevo's v3 HTTP API that bcflow uses:
// transactional email, SMS and WhatsApp, events, contacts (single, import,
// batch update), contact folders and lists, and the ecommerce orders,
// products and categories a store sync writes, with Brevo's authentication,
// error bodies, idempotency keys, documented batch limits (BatchLimits) and
// published per-family rate limits (PublishedRateLimits). It also plays
// Brevo's side of transactional webhooks (unsubscribes, bounces, spam
// complaints) so they can flow back into bcflow.
//
// Everything received is kept in memory and can be inspected from Go
// (Messages, Events, Contacts, Attributes, Orders, Products, Lists, Counts,
// RequestCounts, …) or over HTTP under /_sim/brevo/. Fault knobs inject 429
// bursts, 5xx answers and latency. State can be persisted to a JSON
// snapshot.
package brevoemu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultAPIKey is accepted when Options.APIKeys is empty.
const DefaultAPIKey = "dev-brevo-key"

// IdempotencyWindow is how long an idempotencyKey sent in an email's headers
// maps to the message it first created.
const IdempotencyWindow = 30 * time.Minute

// Endpoint keys, used in Options.RateLimits, Faults.Endpoint and Request.Endpoint.
const (
	EndpointSendEmail     = "POST /v3/smtp/email"
	EndpointSendSMS       = "POST /v3/transactionalSMS/send"
	EndpointSendSMSLegacy = "POST /v3/transactionalSMS/sms"
	EndpointWhatsApp      = "POST /v3/whatsapp/sendMessage"
	EndpointEvent         = "POST /v3/events"
	EndpointEventBatch    = "POST /v3/events/batch"
	EndpointCreateContact = "POST /v3/contacts"
	EndpointGetContact    = "GET /v3/contacts/{identifier}"
	EndpointUpdateContact = "PUT /v3/contacts/{identifier}"
	EndpointDeleteContact = "DELETE /v3/contacts/{identifier}"

	EndpointOrderStatus    = "POST /v3/orders/status"
	EndpointOrderBatch     = "POST /v3/orders/status/batch"
	EndpointListOrders     = "GET /v3/orders"
	EndpointCreateProduct  = "POST /v3/products"
	EndpointProductBatch   = "POST /v3/products/batch"
	EndpointListProducts   = "GET /v3/products"
	EndpointGetProduct     = "GET /v3/products/{id}"
	EndpointCreateCategory = "POST /v3/categories"
	EndpointCategoryBatch  = "POST /v3/categories/batch"
	EndpointListCategories = "GET /v3/categories"
	EndpointGetCategory    = "GET /v3/categories/{id}"
	EndpointImportContacts = "POST /v3/contacts/import"
	EndpointContactBatch   = "POST /v3/contacts/batch"
	EndpointListContacts   = "GET /v3/contacts"
	EndpointGetProcess     = "GET /v3/processes/{processId}"
	EndpointListProcesses  = "GET /v3/processes"
	EndpointListFolders    = "GET /v3/contacts/folders"
	EndpointCreateFolder   = "POST /v3/contacts/folders"
	EndpointListLists      = "GET /v3/contacts/lists"
	EndpointCreateList     = "POST /v3/contacts/lists"
	EndpointGetList        = "GET /v3/contacts/lists/{listId}"
	EndpointListMembers    = "GET /v3/contacts/lists/{listId}/contacts"
	EndpointAddToList      = "POST /v3/contacts/lists/{listId}/contacts/add"
	EndpointRemoveFromList = "POST /v3/contacts/lists/{listId}/contacts/remove"
	// AllEndpoints as a RateLimits key limits every endpoint without its own entry.
	AllEndpoints = "*"
)

// Channels of a Message.
const (
	ChannelEmail    = "email"
	ChannelSMS      = "sms"
	ChannelWhatsApp = "whatsapp"
)

// Options configures an Emulator. The zero value is usable.
type Options struct {
	// APIKeys accepted in the api-key header; default {DefaultAPIKey}.
	APIKeys []string
	// Clock returns the current time; default time.Now.
	Clock func() time.Time
	// RateLimits maps an endpoint key (EndpointSendEmail, …, or AllEndpoints)
	// to the number of requests allowed per RateWindow. Endpoints without a
	// limit are not limited and send no rate-limit headers.
	RateLimits map[string]int
	// RateWindow is the fixed rate-limit window; default one second.
	RateWindow time.Duration
	// HTTPClient delivers webhooks; default a client with a 10 s timeout.
	HTTPClient *http.Client
	// SnapshotPath, when set, is loaded by New and written by Save and Close.
	SnapshotPath string
	// Webhook, when set, is the initial transactional webhook configuration.
	Webhook *WebhookConfig
	// Sleep waits for injected latency; default a timer honouring ctx.
	Sleep func(ctx context.Context, d time.Duration)
	// SMSCredits is the starting SMS credit balance; default 1000.
	SMSCredits float64
	// RateLimitFamilies overrides Brevo's published limits (see
	// PublishedRateLimits) for the families it names. Endpoints listed in
	// RateLimits are limited by that instead.
	RateLimitFamilies map[string][]RateRule
	// RateTimeScale divides every family window, to compress time in a
	// benchmark (3600: an hour lasts a second); 0 means real time.
	RateTimeScale float64
	// NoFamilyRateLimits turns the family limits off.
	NoFamilyRateLimits bool
	// BatchLimits overrides the batch sizes Brevo documents (zero fields
	// keep the defaults, see DefaultBatchLimits).
	BatchLimits BatchLimits
	// DeliveredDelay is how long after an accepted email its "delivered"
	// webhook goes (waited through Sleep); 0 means DefaultDeliveredDelay,
	// a negative value no wait.
	DeliveredDelay time.Duration
}

// Message is one transactional email, SMS or WhatsApp message accepted by the API.
type Message struct {
	ID             string            `json:"messageId"`
	Channel        string            `json:"channel"`
	Endpoint       string            `json:"endpoint"`
	From           string            `json:"from,omitempty"`
	FromName       string            `json:"fromName,omitempty"`
	To             []string          `json:"to"`
	Cc             []string          `json:"cc,omitempty"`
	Bcc            []string          `json:"bcc,omitempty"`
	Subject        string            `json:"subject,omitempty"`
	HTMLContent    string            `json:"htmlContent,omitempty"`
	TextContent    string            `json:"textContent,omitempty"`
	TemplateID     int64             `json:"templateId,omitempty"`
	Params         map[string]any    `json:"params,omitempty"`
	Tags           []string          `json:"tags,omitempty"`
	Headers        map[string]string `json:"headers,omitempty"`
	IdempotencyKey string            `json:"idempotencyKey,omitempty"`
	ScheduledAt    string            `json:"scheduledAt,omitempty"`
	// Blocked is true when a recipient was on the blocked list (unsubscribed,
	// hard-bounced or complained): Brevo accepts the request but does not deliver.
	Blocked   bool            `json:"blocked,omitempty"`
	Request   json.RawMessage `json:"request"`
	CreatedAt time.Time       `json:"createdAt"`
}

// Event is one custom event received on /v3/events or /v3/events/batch.
type Event struct {
	Name              string          `json:"event_name"`
	Email             string          `json:"email,omitempty"`
	Identifiers       map[string]any  `json:"identifiers"`
	EventDate         string          `json:"event_date,omitempty"`
	ContactProperties map[string]any  `json:"contact_properties,omitempty"`
	EventProperties   map[string]any  `json:"event_properties,omitempty"`
	Request           json.RawMessage `json:"request"`
	CreatedAt         time.Time       `json:"createdAt"`
}

// Contact is a Brevo contact.
type Contact struct {
	ID               int64          `json:"id"`
	Email            string         `json:"email,omitempty"`
	ExtID            string         `json:"ext_id,omitempty"`
	Attributes       map[string]any `json:"attributes"`
	ListIDs          []int64        `json:"listIds"`
	EmailBlacklisted bool           `json:"emailBlacklisted"`
	SMSBlacklisted   bool           `json:"smsBlacklisted"`
	CreatedAt        time.Time      `json:"createdAt"`
	ModifiedAt       time.Time      `json:"modifiedAt"`
}

// Request is one call to the /v3 API, whatever its outcome.
type Request struct {
	Method   string    `json:"method"`
	Path     string    `json:"path"`
	Endpoint string    `json:"endpoint"`
	Status   int       `json:"status"`
	At       time.Time `json:"at"`
}

// Filter selects messages or events. Empty fields match everything.
type Filter struct {
	// To matches a message recipient (to, cc or bcc) or an event's email
	// identifier, case-insensitively.
	To string
	// Channel matches Message.Channel.
	Channel string
	// Tag matches one of a message's tags.
	Tag string
	// Name matches Event.Name.
	Name string
}

type idemEntry struct {
	MessageID string    `json:"messageId"`
	At        time.Time `json:"at"`
}

type window struct {
	start time.Time
	count int
}

// state is everything a snapshot persists.
type state struct {
	Messages      []Message            `json:"messages"`
	Events        []Event              `json:"events"`
	Contacts      []*Contact           `json:"contacts"`
	NextContactID int64                `json:"nextContactId"`
	Idempotency   map[string]idemEntry `json:"idempotency"`
	Blocked       map[string]string    `json:"blocked"` // email → reason (event name)
	Webhook       *WebhookConfig       `json:"webhook,omitempty"`
	Deliveries    []WebhookDelivery    `json:"webhookDeliveries"`
	SMSCredits    float64              `json:"smsCredits"`

	Orders        []Order    `json:"orders,omitempty"`
	Products      []Product  `json:"products,omitempty"`
	Categories    []Category `json:"categories,omitempty"`
	Folders       []Folder   `json:"folders,omitempty"`
	Lists         []List     `json:"lists,omitempty"`
	Processes     []Process  `json:"processes,omitempty"`
	NextBatchID   int64      `json:"nextBatchId,omitempty"`
	NextCatalogID int64      `json:"nextCatalogId,omitempty"`
	NextFolderID  int64      `json:"nextFolderId,omitempty"`
	NextListID    int64      `json:"nextListId,omitempty"`
	NextProcessID int64      `json:"nextProcessId,omitempty"`
	// Attributes are the account's contact attributes; a snapshot
	// without them starts from the defaults.
	Attributes []Attribute `json:"attributes,omitempty"`
}

// Emulator is an in-memory Brevo. It is safe for concurrent use.
type Emulator struct {
	opts    Options
	keys    map[string]bool
	clock   func() time.Time
	client  *http.Client
	sleep   func(context.Context, time.Duration)
	handler http.Handler
	loadErr error

	mu       sync.Mutex
	st       state
	idx      contactIndex
	eco      ecommerce
	requests []Request
	windows  map[string]*window
	faults   Faults

	rates      RateLimitConfig
	famWindows map[string]*window
	counts     map[string]*EndpointCount
	closed     bool
	// async counts the webhooks fired in the background (deliverLater).
	async sync.WaitGroup
}

// New returns an Emulator. When Options.SnapshotPath names a readable
// snapshot it is loaded; a snapshot that cannot be read leaves the emulator
// empty and is reported by LoadError (use Open to get the error directly).
func New(opts Options) *Emulator {
	e, err := Open(opts)
	e.loadErr = err
	return e
}

// Open is New that fails when an existing snapshot cannot be loaded. It
// always returns a usable emulator.
func Open(opts Options) (*Emulator, error) {
	e := &Emulator{opts: opts, keys: map[string]bool{}, windows: map[string]*window{}}
	keys := opts.APIKeys
	if len(keys) == 0 {
		keys = []string{DefaultAPIKey}
	}
	for _, k := range keys {
		e.keys[k] = true
	}
	e.clock = opts.Clock
	if e.clock == nil {
		e.clock = time.Now
	}
	e.client = opts.HTTPClient
	if e.client == nil {
		e.client = &http.Client{Timeout: 10 * time.Second}
	}
	e.sleep = opts.Sleep
	if e.sleep == nil {
		e.sleep = func(ctx context.Context, d time.Duration) {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
			}
		}
	}
	if e.opts.RateWindow <= 0 {
		e.opts.RateWindow = time.Second
	}
	e.resetState()
	e.handler = e.routes()
	var err error
	if opts.SnapshotPath != "" {
		err = e.load(opts.SnapshotPath)
	}
	return e, err
}

func (e *Emulator) resetState() {
	credits := e.opts.SMSCredits
	if credits == 0 {
		credits = 1000
	}
	e.st = state{
		NextContactID: 1,
		Idempotency:   map[string]idemEntry{},
		Blocked:       map[string]string{},
		SMSCredits:    credits,
		Attributes:    defaultAttributes(),
	}
	if e.opts.Webhook != nil {
		w := *e.opts.Webhook
		e.st.Webhook = &w
	}
	e.idx = newContactIndex(nil)
	e.eco = newEcommerce()
	e.requests = nil
	e.windows = map[string]*window{}
	e.faults = Faults{}
	e.resetRateState()
}

// LoadError reports why New could not load the snapshot, if it could not.
func (e *Emulator) LoadError() error { return e.loadErr }

// Handler serves the Brevo API under /v3/ and the control and inspection API
// under /_sim/brevo/.
func (e *Emulator) Handler() http.Handler { return e.handler }

// Reset forgets all messages, events, contacts, lists, orders, catalog,
// requests and their counts, faults and rate-limit windows, and restores the
// initial webhook and rate-limit configuration.
func (e *Emulator) Reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.resetState()
}

// Messages returns the accepted messages matching f, oldest first.
func (e *Emulator) Messages(f Filter) []Message {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Message
	for _, m := range e.st.Messages {
		if f.Channel != "" && m.Channel != f.Channel {
			continue
		}
		if f.Tag != "" && !slices.Contains(m.Tags, f.Tag) {
			continue
		}
		if f.To != "" && !containsFold(m.To, f.To) && !containsFold(m.Cc, f.To) && !containsFold(m.Bcc, f.To) {
			continue
		}
		out = append(out, m)
	}
	return out
}

// Events returns the received events matching f (To and Name), oldest first.
func (e *Emulator) Events(f Filter) []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Event
	for _, ev := range e.st.Events {
		if f.Name != "" && ev.Name != f.Name {
			continue
		}
		if f.To != "" && !strings.EqualFold(ev.Email, f.To) {
			continue
		}
		out = append(out, ev)
	}
	return out
}

// Contacts returns copies of all contacts, by id.
func (e *Emulator) Contacts() []Contact {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Contact, 0, len(e.st.Contacts))
	for _, c := range e.st.Contacts {
		out = append(out, c.clone())
	}
	return out
}

// Contact returns the contact with the given email, if any.
func (e *Emulator) Contact(email string) (Contact, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c := e.findContact("email_id", email); c != nil {
		return c.clone(), true
	}
	return Contact{}, false
}

// Blocked returns the blocked email addresses (unsubscribed, hard-bounced or
// complained through a webhook event) and why.
func (e *Emulator) Blocked() map[string]string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]string, len(e.st.Blocked))
	for k, v := range e.st.Blocked {
		out[k] = v
	}
	return out
}

// Requests returns the calls made to the /v3 API, oldest first (the latest
// 10,000).
func (e *Emulator) Requests() []Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.requests)
}

// Close stops the emulator and, when Options.SnapshotPath is set, saves a
// snapshot (use Save to observe errors). Requests after Close get 503.
func (e *Emulator) Close() {
	e.mu.Lock()
	already := e.closed
	e.closed = true
	e.mu.Unlock()
	if !already && e.opts.SnapshotPath != "" {
		_ = e.Save()
	}
}

// Save writes the state (messages, events, contacts, idempotency keys,
// blocked addresses, webhook configuration and deliveries) to
// Options.SnapshotPath atomically.
func (e *Emulator) Save() error {
	if e.opts.SnapshotPath == "" {
		return errors.New("brevoemu: no SnapshotPath configured")
	}
	e.mu.Lock()
	data, err := json.MarshalIndent(&e.st, "", "  ")
	e.mu.Unlock()
	if err != nil {
		return fmt.Errorf("brevoemu: encode snapshot: %w", err)
	}
	dir := filepath.Dir(e.opts.SnapshotPath)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("brevoemu: snapshot dir: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".brevo-snapshot-*")
	if err != nil {
		return fmt.Errorf("brevoemu: snapshot: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("brevoemu: write snapshot: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("brevoemu: write snapshot: %w", err)
	}
	if err := os.Rename(tmp.Name(), e.opts.SnapshotPath); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("brevoemu: write snapshot: %w", err)
	}
	return nil
}

func (e *Emulator) load(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("brevoemu: read snapshot: %w", err)
	}
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("brevoemu: decode snapshot %s: %w", path, err)
	}
	if st.Idempotency == nil {
		st.Idempotency = map[string]idemEntry{}
	}
	if st.Blocked == nil {
		st.Blocked = map[string]string{}
	}
	if st.NextContactID < 1 {
		st.NextContactID = 1
	}
	if st.Attributes == nil {
		st.Attributes = defaultAttributes()
	}
	for _, c := range st.Contacts {
		if c.ID >= st.NextContactID {
			st.NextContactID = c.ID + 1
		}
	}
	e.mu.Lock()
	e.st = st
	e.idx = newContactIndex(st.Contacts)
	e.eco = newEcommerce()
	e.eco.load(&st)
	e.mu.Unlock()
	return nil
}

func (c *Contact) clone() Contact {
	out := *c
	out.Attributes = make(map[string]any, len(c.Attributes))
	for k, v := range c.Attributes {
		out.Attributes[k] = v
	}
	out.ListIDs = slices.Clone(c.ListIDs)
	if out.ListIDs == nil {
		out.ListIDs = []int64{}
	}
	return out
}

func normPhone(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(s), "+")
	s = strings.TrimPrefix(s, "00")
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) || normPhone(x) != "" && normPhone(x) == normPhone(s) && !strings.Contains(s, "@") {
			return true
		}
	}
	return false
}

func (e *Emulator) now() time.Time { return e.clock() }

func newEmailMessageID(now time.Time) string {
	return fmt.Sprintf("<%s.%011d@smtp-relay.mailin.fr>", now.UTC().Format("200601021504"), rand.Int64N(1e11))
}

func newSMSMessageID() int64 { return 1e15 + rand.Int64N(9e15) }

func newUUID() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(rand.UintN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// APIKeys returns the accepted api-key values, sorted.
func (e *Emulator) APIKeys() []string {
	keys := make([]string, 0, len(e.keys))
	for k := range e.keys {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
