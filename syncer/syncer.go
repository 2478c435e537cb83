// Package syncer copies a BigCommerce store into bcflow's mirror (the
// store package) and the messaging provider: one list page at a time for
// the store sync workflow, one entity at a time for webhooks. It pushes to
// the provider only what changed since the provider last accepted it, so a
// second sync of unchanged data sends nothing.
package syncer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/messaging"
	"github.com/bcflow/bcflow/store"
)

// Defaults of Syncer's knobs.
const (
	// DefaultOverlap is how far before the last sync's high-water mark a
	// manual sync starts: clocks of BigCommerce and bcflow differ, and a
	// change saved while the last sync ran may carry a slightly earlier
	// date_modified.
	DefaultOverlap = 10 * time.Minute
	// DefaultConcurrency is how many chunks of pages a sync runs at once;
	// the BigCommerce client's pacing keeps them within the quota.
	DefaultConcurrency = 8
	// DefaultChunkPages is how many pages one chunk activity copies.
	DefaultChunkPages = 4
	// ListFolder is the provider folder bcflow's lists live in.
	ListFolder = "bcflow"
)

// Sync kinds. The workflows name them through activities (the only
// source of the names): a kind is the last part of a sync's workflow id.
const (
	// KindHistorical copies the whole store since its beginning.
	KindHistorical = "historical"
	// KindManual copies what changed since each resource's last copy.
	KindManual = "manual"
	// KindReconcileProducts is the hourly catalog reconcile (a Schedule).
	KindReconcileProducts = "reconcile-products"
	// KindReconcileCustomers is the daily customers-and-orders reconcile.
	KindReconcileCustomers = "reconcile-customers"
)

// IsReconcile reports whether kind is a Schedule's reconcile, which leaves
// a resource never synced to an explicit historical sync.
func IsReconcile(kind string) bool {
	return kind == KindReconcileProducts || kind == KindReconcileCustomers
}

// Resource names, in the order a sync copies them (categories before the
// products in them, customers before their orders); the workflows name
// them through activities.
const (
	Categories = "categories"
	Products   = "products"
	Customers  = "customers"
	Orders     = "orders"
)

// Push kinds: what the provider last accepted, per entity.
const (
	pushContact  = "brevo-contact"
	pushOrder    = "brevo-order"
	pushProduct  = "brevo-product"
	pushCategory = "brevo-category"
)

// Syncer copies store data. Store is required; Provider nil copies into the
// mirror only.
type Syncer struct {
	Store *store.Store
	// Provider receives contacts, lists, orders, products and categories.
	Provider messaging.StoreSync
	// Flows says which lists a store channel's customers join.
	Flows *config.Flows
	// StorefrontURL returns a channel's storefront base URL ("" when
	// unknown), for absolute product and category links.
	StorefrontURL func(ctx context.Context, storeHash string, channelID int) string
	// Phone normalises a phone number to E.164 for a store channel ("" when
	// it cannot be).
	Phone func(storeHash string, channelID int, raw string) string
	// Overlap, Concurrency and ChunkPages default to the Default* values.
	Overlap     time.Duration
	Concurrency int
	ChunkPages  int

	// groups caches each store's customer group names (groupNamesTTL).
	groupsMu sync.Mutex
	groups   map[string]groupNames

	// attrsMu guards attrsReady: the provider's contact attributes were
	// ensured by this process (a failure is tried again next time).
	attrsMu    sync.Mutex
	attrsReady bool
}

// Plan is how a sync runs: its parallelism.
type Plan struct {
	Concurrency int
	ChunkPages  int
}

// Result counts what a page or a batch of entities did.
type Result struct {
	// Items were written to the mirror.
	Items int64
	// Pushed were sent to the provider because they changed.
	Pushed int64
	// Full reports that a list page came back full (a next page may exist).
	Full bool
	// Requests is the number of BigCommerce list requests the page took.
	Requests int64
}

// Begin opens a sync run in the store and returns its plan.
func (s *Syncer) Begin(ctx context.Context, run store.SyncRun) (Plan, error) {
	run.Status, run.HighWater = store.SyncRunning, run.StartedAt
	if err := s.Store.StartSyncRun(ctx, run); err != nil {
		return Plan{}, fmt.Errorf("syncer: begin %s: %w", run.Kind, err)
	}
	return Plan{Concurrency: orDefault(s.Concurrency, DefaultConcurrency), ChunkPages: orDefault(s.ChunkPages, DefaultChunkPages)}, nil
}

// highWaterKey is the sync_state resource holding a resource's high-water
// mark: the start of its last completed copy.
func highWaterKey(resource string) string { return "sync-high-water/" + resource }

// Since returns the modified-since bound of a resource's copy: zero (all)
// for a historical sync or a resource never copied (never is then true);
// otherwise the start of the resource's last completed copy minus the
// overlap (clocks differ, and a change saved during that copy may carry an
// earlier date_modified).
func (s *Syncer) Since(ctx context.Context, storeHash, kind, resource string) (since time.Time, never bool, err error) {
	st, err := s.Store.GetSyncState(ctx, storeHash, highWaterKey(resource))
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}, true, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("syncer: high-water mark of %s: %w", resource, err)
	}
	hw, err := time.Parse(time.RFC3339Nano, st.Cursor)
	if err != nil || kind == KindHistorical {
		return time.Time{}, err != nil, nil // unreadable: copy everything
	}
	overlap := s.Overlap
	if overlap <= 0 {
		overlap = DefaultOverlap
	}
	return hw.Add(-overlap), false, nil
}

// Finish is how a sync run ended.
type Finish struct {
	StoreHash, Kind string
	// Status is completed, failed or cancelled; Error says why it failed.
	Status, Error string
	// StartedAt is the run's start: the new high-water mark of the
	// resources it finished.
	StartedAt time.Time
	At        time.Time
	// Resources are the final figures (the per-page counts written during
	// the run may count a retried page twice).
	Resources []store.ResourceProgress
}

// Finish closes a sync run: final figures, status, and the high-water
// mark of every resource it copied completely. A run that never began (a
// sync cancelled at once) has nothing to close.
func (s *Syncer) Finish(ctx context.Context, f Finish) error {
	run, err := s.Store.SyncRunOf(ctx, f.StoreHash, f.Kind)
	if errors.Is(err, store.ErrNotFound) || (err == nil && run.StartedAt.Sub(f.StartedAt).Abs() > time.Millisecond) {
		return nil // the kind's row is an earlier run's
	}
	if err != nil {
		return fmt.Errorf("syncer: finish %s: %w", f.Kind, err)
	}
	for _, p := range f.Resources {
		if p.UpdatedAt.IsZero() {
			p.UpdatedAt = f.At
		}
		if err := s.Store.UpdateSyncProgress(ctx, f.StoreHash, f.Kind, p); err != nil {
			return fmt.Errorf("syncer: finish %s: %w", f.Kind, err)
		}
		if !p.Finished || f.StartedAt.IsZero() {
			continue
		}
		prev, err := s.Store.GetSyncState(ctx, f.StoreHash, highWaterKey(p.Resource))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("syncer: finish %s: %w", f.Kind, err)
		}
		if old, perr := time.Parse(time.RFC3339Nano, prev.Cursor); perr == nil && !f.StartedAt.After(old) {
			continue
		}
		if err := s.Store.PutSyncState(ctx, store.SyncState{StoreHash: f.StoreHash, Resource: highWaterKey(p.Resource),
			Cursor: f.StartedAt.UTC().Format(time.RFC3339Nano), UpdatedAt: f.At}); err != nil {
			return fmt.Errorf("syncer: finish %s: %w", f.Kind, err)
		}
	}
	if err := s.Store.FinishSyncRun(ctx, f.StoreHash, f.Kind, f.Status, f.Error, f.At); err != nil {
		return fmt.Errorf("syncer: finish %s: %w", f.Kind, err)
	}
	return nil
}

// Count returns how many items of a resource a sync will copy (changed
// since since, or all) and how many sync pages that is (CopyPage's: 250
// items, 1 000 for orders).
func (s *Syncer) Count(ctx context.Context, bc *bigcommerce.Client, resource string, since time.Time) (total int64, pages int, err error) {
	switch resource {
	case Categories:
		total, err = s.countCategories(ctx, bc)
	case Products:
		total, err = s.countProducts(ctx, bc, since)
	case Customers:
		total, err = s.countCustomers(ctx, bc, since)
	case Orders:
		total, err = s.countOrders(ctx, bc, since)
	case Loyalty:
		total, err = s.countLoyalty(ctx, bc.StoreHash())
	default:
		return 0, 0, fmt.Errorf("syncer: unknown resource %q: %w", resource, ErrInvalid)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("syncer: count %s: %w", resource, err)
	}
	size := int64(bigcommerce.MaxPageSize)
	if resource == Orders {
		size *= OrderListsPerPage
	}
	return total, int((total + size - 1) / size), nil
}

// ErrInvalid marks a request no retry can fix (an unknown resource).
var ErrInvalid = errors.New("invalid sync request")

// CopyPage copies one sync page of a resource (page numbers from 1, oldest
// id first; 250 items a page, 1 000 for orders) into the mirror and the
// provider.
// historical marks the provider's writes as history.
func (s *Syncer) CopyPage(ctx context.Context, bc *bigcommerce.Client, resource string, since time.Time, page int, historical bool) (Result, error) {
	var (
		r   Result
		err error
	)
	switch resource {
	case Categories:
		r, err = s.categoryPage(ctx, bc, page)
	case Products:
		r, err = s.productPage(ctx, bc, since, page)
	case Customers:
		r, err = s.customerPage(ctx, bc, since, page)
	case Orders:
		r, err = s.orderPage(ctx, bc, since, page, historical)
	case Loyalty:
		r, err = s.loyaltyPage(ctx, bc, page)
	default:
		return Result{}, fmt.Errorf("syncer: unknown resource %q: %w", resource, ErrInvalid)
	}
	if err != nil {
		return Result{}, fmt.Errorf("syncer: %s page %d: %w", resource, page, err)
	}
	return r, nil
}

// Progress records a resource's progress in the store.
func (s *Syncer) Progress(ctx context.Context, storeHash, kind string, p store.ResourceProgress) error {
	if err := s.Store.UpdateSyncProgress(ctx, storeHash, kind, p); err != nil {
		return fmt.Errorf("syncer: progress of %s: %w", p.Resource, err)
	}
	return nil
}

// AddProgress adds a page's counts to a resource's progress in the store.
func (s *Syncer) AddProgress(ctx context.Context, storeHash, kind string, delta store.ResourceProgress) error {
	if err := s.Store.AddSyncProgress(ctx, storeHash, kind, delta); err != nil {
		return fmt.Errorf("syncer: progress of %s: %w", delta.Resource, err)
	}
	return nil
}

// entityCopy is how one kind of entity is copied: mapped to its mirror row,
// written to the mirror, then, for the rows the provider takes (ok), pushed
// when its payload changed.
type entityCopy[S, M, P any] struct {
	what    string // the resource, for errors
	kind    string // the push kind
	mirror  func(S) M
	upsert  func(ctx context.Context, storeHash string, rows []M) error
	payload func(S, M) (id string, p P, ok bool)
	// send pushes the changed payloads; existed[i] tells whether the
	// provider held an earlier version of changed[i].
	send func(ctx context.Context, changed []P, existed []bool) error
}

// copyEntities copies items with c: every item into the mirror (in one
// write), and to the provider the ones whose payload changed since it last
// accepted them.
func copyEntities[S, M, P any](ctx context.Context, s *Syncer, storeHash string, items []S, c entityCopy[S, M, P]) (Result, error) {
	rows := make([]M, 0, len(items))
	for _, it := range items {
		rows = append(rows, c.mirror(it))
	}
	if err := c.upsert(ctx, storeHash, rows); err != nil {
		return Result{}, fmt.Errorf("mirror %s: %w", c.what, err)
	}
	r := Result{Items: int64(len(rows))}
	if s.Provider == nil {
		return r, nil
	}
	var ids []string
	var payloads []P
	for i, it := range items {
		if id, p, ok := c.payload(it, rows[i]); ok {
			ids = append(ids, id)
			payloads = append(payloads, p)
		}
	}
	pushed, err := pushChanged(ctx, s.Store, storeHash, c.kind, ids, payloads, func(changed []P, existed []bool) error {
		return c.send(ctx, changed, existed)
	})
	if err != nil {
		return r, fmt.Errorf("push %s: %w", c.what, err)
	}
	r.Pushed = pushed
	return r, nil
}

// pushChanged sends the payloads whose hash differs from what the provider
// last accepted for their entity, then records the new hashes. A crash
// between the two sends them again: every provider write is an upsert.
func pushChanged[T any](ctx context.Context, st *store.Store, storeHash, kind string, ids []string, payloads []T, send func(changed []T, existed []bool) error) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	prev, err := st.PushedHashes(ctx, storeHash, kind, ids)
	if err != nil {
		return 0, err
	}
	hashes := map[string]string{}
	var changed []T
	var existed []bool
	for i, p := range payloads {
		h, err := hashOf(p)
		if err != nil {
			return 0, err
		}
		if prev[ids[i]] == h {
			continue
		}
		hashes[ids[i]] = h
		changed = append(changed, p)
		existed = append(existed, prev[ids[i]] != "")
	}
	if len(changed) == 0 {
		return 0, nil
	}
	if err := send(changed, existed); err != nil {
		return 0, err
	}
	if err := st.SetPushedHashes(ctx, storeHash, kind, hashes); err != nil {
		return 0, err
	}
	return int64(len(changed)), nil
}

// hashOf is a payload's fingerprint: what the provider would receive.
func hashOf(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("hash payload: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16]), nil
}

func orDefault(v, d int) int {
	if v > 0 {
		return v
	}
	return d
}

// ensureContactAttributes creates, once per process, the contact attributes
// the syncs write: the provider drops values of attributes its account
// does not have.
func (s *Syncer) ensureContactAttributes(ctx context.Context) error {
	s.attrsMu.Lock()
	defer s.attrsMu.Unlock()
	if s.attrsReady {
		return nil
	}
	if err := s.Provider.EnsureContactAttributes(ctx, messaging.SyncedContactAttributes); err != nil {
		return fmt.Errorf("contact attributes: %w", err)
	}
	s.attrsReady = true
	return nil
}

// groupNamesTTL is how long a store's customer group names are reused.
const groupNamesTTL = 10 * time.Minute

type groupNames struct {
	names map[int]string
	at    time.Time
}

// groupName returns a customer group's name ("" when unknown), from a
// per-store cache refreshed every groupNamesTTL: one request, not one per
// page.
func (s *Syncer) groupName(ctx context.Context, bc *bigcommerce.Client, id int) (string, error) {
	if id <= 0 {
		return "", nil
	}
	s.groupsMu.Lock()
	defer s.groupsMu.Unlock()
	g, ok := s.groups[bc.StoreHash()]
	if !ok || time.Since(g.at) > groupNamesTTL {
		names, err := customerGroups(ctx, bc)
		if err != nil {
			return "", err
		}
		if s.groups == nil {
			s.groups = map[string]groupNames{}
		}
		g = groupNames{names: names, at: time.Now()}
		s.groups[bc.StoreHash()] = g
	}
	return g.names[id], nil
}

// customerGroups maps a store's customer group ids to their names.
func customerGroups(ctx context.Context, bc *bigcommerce.Client) (map[int]string, error) {
	out := map[int]string{}
	for g, err := range bc.CustomerGroups(ctx) {
		if err != nil {
			return nil, fmt.Errorf("customer groups: %w", err)
		}
		out[g.ID] = g.Name
	}
	return out, nil
}
