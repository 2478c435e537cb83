// Package segments keeps customer segments: it evaluates the flows file's
// segment definitions over the store mirror (incrementally for the shoppers
// an event touched, in full or for the time-based conditions alone on a
// schedule), and pushes the membership changes the store records to
// BigCommerce's Customer Segmentation API and to one Brevo list per segment.
//
// Membership, its entered/left timestamps and what each target still has to
// receive live in the store (segment_memberships, an outbox per target); the
// engine only decides and delivers. Every operation is idempotent: a push
// cut short by a crash is re-run, a profile already in a segment (409) counts
// as added, and an item is marked done only after the target took it.
//
// When a store's Segments section is disabled the engine does nothing: it
// neither evaluates nor drops nor pushes, and the memberships already kept
// stay as they are (turning the section back on resumes from them).
package segments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/messaging"
	"github.com/bcflow/bcflow/store"
)

// DefaultInFlight is Engine.InFlight's default and its most: BigCommerce
// allows at most 10 concurrent writes on the Segmentation API per store.
const DefaultInFlight = bigcommerce.SegmentMaxInFlight

// sync_state resources the engine keeps per store.
const (
	// StateTimeRun holds the last time-only recompute of every segment (its
	// time and each definition's fingerprint, as JSON).
	StateTimeRun = "segments-time-run"
	// StateBigCommerceUnavailable holds, while the store's BigCommerce
	// answers 403/404 on the Customer Segmentation API, the RFC 3339 time
	// of that decision; "" (or no row) when the API is available.
	StateBigCommerceUnavailable = "segments-bc-unavailable"
)

// ListFolder is the Brevo folder of the segments' lists.
const ListFolder = "bcflow"

// groupsTTL is how long a store's customer groups are reused to resolve
// the group names of segment rules.
const groupsTTL = 10 * time.Minute

// Errors of the engine.
var (
	// ErrUnknownSegment: the segment is not defined for the store.
	ErrUnknownSegment = errors.New("segments: unknown segment")
	// ErrBigCommerceUnavailable: the store has no Customer Segmentation API
	// (its plan lacks it, or the app's token lacks the scope).
	ErrBigCommerceUnavailable = errors.New("segments: the store's BigCommerce has no Customer Segmentation API")
	// ErrDisabled: the store's Segments section is disabled.
	ErrDisabled = errors.New("segments: segments are disabled for the store")
)

// Engine evaluates and pushes a store's customer segments. Its exported
// fields are set before first use; it is safe for concurrent use.
type Engine struct {
	// Store holds the mirror, the memberships and their push outbox.
	Store *store.Store
	// Flows returns the current flows file.
	Flows func() *config.Flows
	// BigCommerce returns the client of a store.
	BigCommerce func(storeHash string) (*bigcommerce.Client, error)
	// Lists is the provider that holds the segments' lists; nil pushes
	// nothing to a provider.
	Lists messaging.StoreSync
	// Logger receives the engine's decisions (never an email); default
	// discards.
	Logger *slog.Logger
	// Now returns the current time; default time.Now. Segment rules with
	// relative dates (older_than, within) are evaluated against it.
	Now func() time.Time
	// InFlight bounds concurrent BigCommerce requests of a push (default
	// and at most DefaultInFlight).
	InFlight int

	mu     sync.Mutex
	groups map[string]groupCache // store hash → its customer groups
	warned map[string]bool       // store hash → unavailability logged
}

type groupCache struct {
	at     time.Time
	groups []bigcommerce.CustomerGroup
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}

func (e *Engine) log() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (e *Engine) inFlight() int {
	if e.InFlight > 0 {
		return min(e.InFlight, DefaultInFlight)
	}
	return DefaultInFlight
}

// definitions returns the store's segment settings and definitions.
func (e *Engine) definitions(storeHash string) (config.Segments, []config.SegmentDefinition) {
	if e.Flows == nil {
		return config.Segments{}, nil
	}
	f := e.Flows()
	if f == nil {
		return config.Segments{}, nil
	}
	return f.SegmentsFor(storeHash)
}

func (e *Engine) client(storeHash string) (*bigcommerce.Client, error) {
	if e.BigCommerce == nil {
		return nil, fmt.Errorf("segments: no BigCommerce client for store %s", storeHash)
	}
	bc, err := e.BigCommerce(storeHash)
	if err != nil {
		return nil, fmt.Errorf("segments: BigCommerce client of store %s: %w", storeHash, err)
	}
	return bc, nil
}

// EvaluateShoppers evaluates every segment of the store for the shoppers
// with these emails (any case) and records who entered and who left, in one
// store transaction: the incremental evaluation that follows every mirror
// write touching a shopper. It returns the changes (none when the store's
// segments are disabled). Costs: one store transaction, plus one
// BigCommerce request every 10 minutes when a rule names customer groups.
func (e *Engine) EvaluateShoppers(ctx context.Context, storeHash string, emails ...string) ([]store.SegmentChange, error) {
	keys := shopperKeys(emails)
	if len(keys) == 0 {
		return nil, nil
	}
	settings, defs := e.definitions(storeHash)
	if !settings.Enabled || len(defs) == 0 {
		return nil, nil
	}
	now := e.now()
	qs, err := e.compile(ctx, storeHash, defs, now)
	if err != nil {
		return nil, err
	}
	changes, err := e.Store.EvaluateSegments(ctx, storeHash, qs, keys, now)
	if err != nil {
		return nil, fmt.Errorf("segments: evaluate %d shoppers of store %s: %w", len(keys), storeHash, err)
	}
	return changes, nil
}

// shopperKeys lower-cases, trims and dedupes emails, dropping empty ones.
func shopperKeys(emails []string) []string {
	out := make([]string, 0, len(emails))
	for _, em := range emails {
		if k := strings.ToLower(strings.TrimSpace(em)); k != "" {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// compile compiles the definitions against now, their customer-group
// references resolved. Compiling is cheap (no I/O) and must be redone as
// time passes (relative dates are bound to now), so it is done per call.
func (e *Engine) compile(ctx context.Context, storeHash string, defs []config.SegmentDefinition, now time.Time) (map[string]*store.SegmentQuery, error) {
	groups, err := e.groupIDs(ctx, storeHash, defs)
	if err != nil {
		return nil, err
	}
	env := store.SegmentEnv{Now: now, GroupIDs: groups}
	qs := make(map[string]*store.SegmentQuery, len(defs))
	for _, d := range defs {
		q, err := store.CompileSegment(d.Rule, env, e.Store.Dialect())
		if err != nil {
			return nil, fmt.Errorf("segments: compile segment %s of store %s: %w", d.Name, storeHash, err)
		}
		qs[d.Name] = q
	}
	return qs, nil
}

// groupIDs resolves every customer-group reference of the definitions:
// a numeric reference is a group id, a name matches the store's groups as
// config.GroupMatches does (the groups are read from BigCommerce at most
// every groupsTTL). A name no group has maps to nothing (matches nobody).
func (e *Engine) groupIDs(ctx context.Context, storeHash string, defs []config.SegmentDefinition) (map[string][]int, error) {
	var refs []string
	for _, d := range defs {
		refs = append(refs, d.Rule.GroupRefs()...)
	}
	if len(refs) == 0 {
		return nil, nil
	}
	out := make(map[string][]int, len(refs))
	var names []string
	for _, ref := range refs {
		if n, err := strconv.Atoi(strings.TrimSpace(ref)); err == nil {
			if n > 0 {
				out[ref] = []int{n}
			}
			continue
		}
		names = append(names, ref)
	}
	if len(names) == 0 {
		return out, nil
	}
	groups, err := e.customerGroups(ctx, storeHash)
	if err != nil {
		return nil, err
	}
	for _, ref := range names {
		for _, g := range groups {
			if config.GroupMatches(ref, g.ID, g.Name) && !slices.Contains(out[ref], g.ID) {
				out[ref] = append(out[ref], g.ID)
			}
		}
	}
	return out, nil
}

// customerGroups returns the store's customer groups, from a per-store
// cache refreshed every groupsTTL (kept, with a warning, while a refresh
// fails).
func (e *Engine) customerGroups(ctx context.Context, storeHash string) ([]bigcommerce.CustomerGroup, error) {
	now := e.now()
	e.mu.Lock()
	c, ok := e.groups[storeHash]
	e.mu.Unlock()
	if ok && now.Sub(c.at) < groupsTTL && !now.Before(c.at) {
		return c.groups, nil
	}
	bc, err := e.client(storeHash)
	if err != nil {
		return nil, err
	}
	var groups []bigcommerce.CustomerGroup
	for g, err := range bc.CustomerGroups(ctx) {
		if err != nil {
			if ok && ctx.Err() == nil {
				// Group names seldom change: the last list read beats
				// failing the evaluation of every event until BigCommerce
				// answers again.
				e.log().WarnContext(ctx, "segments: customer groups unreadable; using the last ones read", "store_hash", storeHash,
					"read_at", c.at, "err", err)
				return c.groups, nil
			}
			return nil, fmt.Errorf("segments: customer groups of store %s: %w", storeHash, err)
		}
		groups = append(groups, g)
	}
	e.mu.Lock()
	if e.groups == nil {
		e.groups = map[string]groupCache{}
	}
	e.groups[storeHash] = groupCache{at: now, groups: groups}
	e.mu.Unlock()
	return groups, nil
}

// fingerprint identifies a definition's content: a changed rule, title or
// list name gives another.
func fingerprint(d config.SegmentDefinition) string {
	b, err := json.Marshal(d)
	if err != nil {
		// A definition is plain data; Marshal cannot fail on it.
		b = []byte(fmt.Sprintf("%#v", d))
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

// definition finds a segment's definition.
func definition(defs []config.SegmentDefinition, name string) (config.SegmentDefinition, bool) {
	for _, d := range defs {
		if d.Name == name {
			return d, true
		}
	}
	return config.SegmentDefinition{}, false
}
