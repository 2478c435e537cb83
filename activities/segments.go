package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/messaging"
	"github.com/bcflow/bcflow/store"
)

// This file holds the adapters of customer segments: the incremental
// evaluation that follows every mirror write touching a shopper, the push
// of membership to BigCommerce and Brevo, the crossings that start segment
// flows, the full recompute and the membership and shopper reads of a
// segment flow's re-check. The engine that evaluates and pushes lives
// outside activities (package segments); activities reach it through
// SegmentEngine, which the worker adapts it to, and reach the workflows
// that push through SegmentNudger.

// SegmentEngine is what activities need of the segment engine. A nil
// engine turns segments off: nothing is evaluated, pushed or started.
type SegmentEngine interface {
	// EvaluateShoppers evaluates every segment for a few shoppers (emails,
	// any case) in one transaction and returns the memberships that changed.
	EvaluateShoppers(ctx context.Context, storeHash string, emails ...string) ([]SegmentChange, error)
	// Recompute evaluates segment ("" = all, and those left from removed
	// definitions are dropped) for every shopper, or with timeOnly only the
	// time-based segments for the shoppers whose dates can have crossed a
	// bound since the last run of all. progress is called as it goes.
	Recompute(ctx context.Context, storeHash, segment string, timeOnly bool, progress func(SegmentProgress)) (SegmentRecomputeResult, error)
	// Push pushes at most max pending membership changes to BigCommerce and
	// Brevo; More says whether some are left.
	Push(ctx context.Context, storeHash string, max int) (SegmentPushResult, error)
	// PendingCrossings are the entries and exits no segment flow was
	// dispatched for yet, oldest first.
	PendingCrossings(ctx context.Context, storeHash string, limit int) ([]SegmentCrossing, error)
	// MarkCrossings records crossings as dispatched.
	MarkCrossings(ctx context.Context, storeHash string, done []SegmentCrossing) error
	// ShopperSegments are every stint of a shopper in any segment, newest
	// first.
	ShopperSegments(ctx context.Context, storeHash, email string) ([]SegmentStint, error)
	// BigCommerceSegmentID ensures the segment's BigCommerce customer
	// segment and returns its id. An error for which IsSegmentUnavailable
	// holds means the segment cannot exist there (the store has no Customer
	// Segmentation API, its segments or their BigCommerce push are off, the
	// segment is not defined).
	BigCommerceSegmentID(ctx context.Context, storeHash, segment string) (string, error)
}

// SegmentNudger starts or wakes the workflows that act on segment changes.
// The worker implements it with the Temporal client.
type SegmentNudger interface {
	// NudgeSegments wakes the store's SegmentSync (signal-with-start): some
	// memberships changed and are to be pushed.
	NudgeSegments(ctx context.Context, storeHash string) error
	// NudgeRecompute asks for a recompute of segment ("" = all) of the
	// store (SegmentRecompute, signal-with-start).
	NudgeRecompute(ctx context.Context, storeHash, segment string, timeOnly bool) error
}

// ErrSegmentUnavailable is what the engine adapter wraps when a segment
// cannot exist in BigCommerce: the store's plan has no Customer
// Segmentation API (403/404), its segments or their BigCommerce push are
// off, or the segment is not defined.
var ErrSegmentUnavailable = errors.New("the segment cannot exist in BigCommerce")

// IsSegmentUnavailable reports whether err says a segment cannot exist in
// BigCommerce (ErrSegmentUnavailable, or BigCommerce's own answer that the
// store has no Segmentation API).
func IsSegmentUnavailable(err error) bool {
	return errors.Is(err, ErrSegmentUnavailable) || bigcommerce.IsFeatureUnavailable(err)
}

// SegmentChange is one membership change of an evaluation.
type SegmentChange struct {
	Segment    string
	Email      string
	CustomerID int64
	// Entered: the shopper entered the segment (else left it).
	Entered bool
	At      time.Time
}

// SegmentCrossing is an entry into or an exit from a segment that segment
// flows may start on.
type SegmentCrossing struct {
	Segment    string
	Email      string
	CustomerID int64
	EnteredAt  time.Time
	// LeftAt is zero for an entry.
	LeftAt time.Time `json:",omitzero"`
	// Entered: an entry (else an exit).
	Entered bool
	// ChannelID is the storefront whose flows apply to the shopper (the
	// customer's first channel; 0 for guests and the store level).
	ChannelID int `json:",omitempty"`
}

// At is when the crossing happened: the entry's or the exit's time.
func (c SegmentCrossing) At() time.Time {
	if c.Entered {
		return c.EnteredAt
	}
	return c.LeftAt
}

// ShopperKey identifies the crossing's shopper in workflow ids without
// personal data: "c{customer id}" for registered customers, "g" and the
// first 16 hex digits of sha256(store "/" email) for guests.
func (c SegmentCrossing) ShopperKey(storeHash string) string {
	return SegmentShopperKey(storeHash, c.CustomerID, c.Email)
}

// SegmentShopperKey is SegmentCrossing.ShopperKey.
func SegmentShopperKey(storeHash string, customerID int64, email string) string {
	if customerID > 0 {
		return "c" + itoa(customerID)
	}
	sum := sha256.Sum256([]byte(storeHash + "/" + lower(strings.TrimSpace(email))))
	return "g" + hex.EncodeToString(sum[:])[:16]
}

// SegmentStint is one stay of a shopper in a segment.
type SegmentStint struct {
	Segment    string
	Email      string
	CustomerID int64
	EnteredAt  time.Time
	// LeftAt is zero while the stint lasts.
	LeftAt time.Time
}

// SegmentProgress is how far a recompute is: Done of Total segments,
// Segment the one under way ("" once all are done). RecomputeSegment
// heartbeats it.
type SegmentProgress struct {
	Segment     string
	Done, Total int
}

// SegmentRecomputeResult is what a recompute did.
type SegmentRecomputeResult struct {
	Segments, Evaluated, Entered, Left int
}

// SegmentPushResult is what one push did.
type SegmentPushResult struct {
	BigCommerceAdded, BigCommerceRemoved int
	BrevoAdded, BrevoRemoved             int
	// Skipped are the changes that do not apply (guests in BigCommerce, a
	// store without the Segmentation API).
	Skipped int
	// More: pending changes are left.
	More bool
	// BigCommerceUnavailable: the store has no Segmentation API.
	BigCommerceUnavailable bool `json:",omitempty"`
}

// evaluateShoppers is the incremental evaluation that follows a mirror
// write touching shoppers: every segment for those shoppers and, when a
// membership changed, a nudge of the store's SegmentSync. Errors are
// returned: the activity retries, and membership must be right. A retried
// attempt nudges whatever the evaluation says (the first attempt may have
// changed memberships and failed to nudge).
func (a *Activities) evaluateShoppers(ctx context.Context, storeHash string, emails ...string) error {
	if a.Segments == nil {
		return nil
	}
	var keys []string
	for _, e := range emails {
		if e = lower(strings.TrimSpace(e)); e != "" && !slices.Contains(keys, e) {
			keys = append(keys, e)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	changes, err := a.Segments.EvaluateShoppers(ctx, storeHash, keys...)
	if err != nil {
		return fmt.Errorf("evaluate segments: %w", err)
	}
	retry := activity.IsActivity(ctx) && activity.GetInfo(ctx).Attempt > 1
	if (len(changes) > 0 || retry) && a.Nudger != nil {
		if err := a.Nudger.NudgeSegments(ctx, storeHash); err != nil {
			return fmt.Errorf("nudge segment sync: %w", err)
		}
	}
	return nil
}

// customerEmail is a customer's email in the mirror ("" when not mirrored).
func (a *Activities) customerEmail(ctx context.Context, storeHash string, customerID int64) (string, error) {
	if customerID <= 0 || a.Segments == nil {
		return "", nil
	}
	c, err := a.Store.MirrorCustomerByID(ctx, storeHash, customerID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("customer %d in the mirror: %w", customerID, err)
	}
	return c.Email, nil
}

// evaluateCustomer evaluates the segments of a registered customer (a
// loyalty write): the customer's mirrored email is the shopper.
func (a *Activities) evaluateCustomer(ctx context.Context, storeHash string, customerID int64) error {
	email, err := a.customerEmail(ctx, storeHash, customerID)
	if err != nil || email == "" {
		return err
	}
	return a.evaluateShoppers(ctx, storeHash, email)
}

// SegmentStoreInput names a store.
type SegmentStoreInput struct {
	StoreHash string
	// Max bounds the work of one call (0: the activity's default).
	Max int `json:",omitempty"`
}

// A worker without a segment engine has segments off: its segment
// activities find nothing to do (a scheduled run completes over no
// segment, a sync pushes nothing).

// defaultSegmentPush is how many membership changes one PushSegments call
// pushes at most.
const defaultSegmentPush = 500

// PushSegments pushes a batch of the store's pending membership changes to
// BigCommerce and Brevo.
func (a *Activities) PushSegments(ctx context.Context, in SegmentStoreInput) (SegmentPushResult, error) {
	e := a.Segments
	if e == nil {
		return SegmentPushResult{}, nil
	}
	n := in.Max
	if n <= 0 {
		n = defaultSegmentPush
	}
	res, err := e.Push(ctx, in.StoreHash, n)
	if err != nil {
		return res, classify("push segments", err)
	}
	return res, nil
}

// defaultSegmentCrossings is how many crossings one SegmentCrossings call
// returns at most.
const defaultSegmentCrossings = 50

// SegmentCrossings returns the crossings no segment flow was dispatched
// for yet, oldest first, each with the channel whose flows apply to its
// shopper (a registered customer's first channel, else 0).
func (a *Activities) SegmentCrossings(ctx context.Context, in SegmentStoreInput) ([]SegmentCrossing, error) {
	e := a.Segments
	if e == nil {
		return nil, nil
	}
	n := in.Max
	if n <= 0 {
		n = defaultSegmentCrossings
	}
	cs, err := e.PendingCrossings(ctx, in.StoreHash, n)
	if err != nil {
		return nil, fmt.Errorf("segment crossings: %w", err)
	}
	channels := map[int64]int{}
	for i := range cs {
		id := cs[i].CustomerID
		if id <= 0 {
			continue
		}
		ch, ok := channels[id]
		if !ok {
			c, err := a.Store.MirrorCustomerByID(ctx, in.StoreHash, id)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, fmt.Errorf("segment crossings: customer %d: %w", id, err)
			}
			if len(c.ChannelIDs) > 0 {
				ch = c.ChannelIDs[0]
			}
			channels[id] = ch
		}
		cs[i].ChannelID = ch
	}
	return cs, nil
}

// SegmentCrossingsInput marks crossings as dispatched.
type SegmentCrossingsInput struct {
	StoreHash string
	Crossings []SegmentCrossing
}

// MarkSegmentCrossings records crossings as dispatched (their flows started
// or none configured).
func (a *Activities) MarkSegmentCrossings(ctx context.Context, in SegmentCrossingsInput) error {
	e := a.Segments
	if e == nil {
		return nil
	}
	if err := e.MarkCrossings(ctx, in.StoreHash, in.Crossings); err != nil {
		return fmt.Errorf("mark segment crossings: %w", err)
	}
	return nil
}

// SegmentRecomputeInput asks for a recompute.
type SegmentRecomputeInput struct {
	StoreHash string
	// Segment is the segment to recompute ("" = all).
	Segment string
	// TimeOnly: only a time-based segment, only the shoppers whose dates
	// can have crossed a bound since the last time-only run.
	TimeOnly bool
}

// segmentHeartbeatEvery is how often a recompute reports its progress.
const segmentHeartbeatEvery = 2 * time.Second

// RecomputeSegment recomputes a segment ("" = all) of the store,
// heartbeating its progress (SegmentProgress) as it goes.
func (a *Activities) RecomputeSegment(ctx context.Context, in SegmentRecomputeInput) (SegmentRecomputeResult, error) {
	e := a.Segments
	if e == nil {
		return SegmentRecomputeResult{}, nil
	}
	var mu sync.Mutex
	last := SegmentProgress{Segment: in.Segment}
	heartbeat := activity.IsActivity(ctx)
	stop := make(chan struct{})
	defer close(stop)
	if heartbeat {
		go func() {
			t := time.NewTicker(segmentHeartbeatEvery)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					mu.Lock()
					p := last
					mu.Unlock()
					activity.RecordHeartbeat(ctx, p)
				case <-stop:
					return
				}
			}
		}()
	}
	res, err := e.Recompute(ctx, in.StoreHash, in.Segment, in.TimeOnly, func(p SegmentProgress) {
		mu.Lock()
		last = p
		mu.Unlock()
		if heartbeat {
			activity.RecordHeartbeat(ctx, p)
		}
	})
	if err != nil {
		return res, classify("recompute segment "+in.Segment, err)
	}
	return res, nil
}

// NudgeSegmentSync wakes the store's SegmentSync (after a recompute).
func (a *Activities) NudgeSegmentSync(ctx context.Context, in SegmentStoreInput) error {
	if a.Nudger == nil {
		return nil
	}
	if err := a.Nudger.NudgeSegments(ctx, in.StoreHash); err != nil {
		return fmt.Errorf("nudge segment sync: %w", err)
	}
	return nil
}

// SegmentMembershipInput asks whether a crossing still holds.
type SegmentMembershipInput struct {
	StoreHash string
	Segment   string
	Email     string
	// Entered and At are the crossing: an entry at At (the stint must
	// still last) or an exit at At (no stint may have begun since).
	Entered bool
	At      time.Time
}

// SegmentMembership says whether a crossing still holds; Reason says why
// not.
type SegmentMembership struct {
	Holds  bool
	Reason string `json:",omitempty"`
}

// Reasons a segment flow's crossing no longer holds.
const (
	SegmentReasonLeft      = "left segment"
	SegmentReasonReentered = "re-entered segment"
)

// sameInstant compares two database timestamps (stored at microsecond
// precision or coarser).
func sameInstant(a, b time.Time) bool {
	d := a.Sub(b)
	return d > -time.Millisecond && d < time.Millisecond
}

// CheckSegmentMembership reads whether a crossing still holds: for an
// entry, the stint that began then still lasts; for an exit, the shopper
// did not enter the segment again since.
func (a *Activities) CheckSegmentMembership(ctx context.Context, in SegmentMembershipInput) (SegmentMembership, error) {
	e := a.Segments
	if e == nil {
		return SegmentMembership{Reason: "segments are not enabled"}, nil
	}
	stints, err := e.ShopperSegments(ctx, in.StoreHash, lower(strings.TrimSpace(in.Email)))
	if err != nil {
		return SegmentMembership{}, fmt.Errorf("segment membership: %w", err)
	}
	if in.Entered {
		for _, s := range stints {
			if s.Segment == in.Segment && s.LeftAt.IsZero() && sameInstant(s.EnteredAt, in.At) {
				return SegmentMembership{Holds: true}, nil
			}
		}
		return SegmentMembership{Reason: SegmentReasonLeft}, nil
	}
	for _, s := range stints {
		if s.Segment == in.Segment && (s.LeftAt.IsZero() || s.EnteredAt.After(in.At.Add(time.Millisecond))) {
			return SegmentMembership{Reason: SegmentReasonReentered}, nil
		}
	}
	return SegmentMembership{Holds: true}, nil
}

// SegmentShopperInput names a segment flow's shopper.
type SegmentShopperInput struct {
	StoreHash  string
	ChannelID  int
	CustomerID int64
	Email      string
}

// LoadSegmentShopper describes a segment flow's shopper for a send: a
// registered customer's record and consent from BigCommerce (as a cart's
// shopper), or a guest by email, who has given no marketing consent bcflow
// can see (a step requiring email consent skips them). The suppression
// list and the SMS and WhatsApp consent source apply as everywhere.
func (a *Activities) LoadSegmentShopper(ctx context.Context, in SegmentShopperInput) (Shopper, error) {
	bc, err := a.bc(in.StoreHash)
	if err != nil {
		return Shopper{}, err
	}
	s, err := a.shopper(ctx, bc, in.StoreHash, in.ChannelID, in.CustomerID, in.Email)
	if err != nil {
		return s, err
	}
	if in.CustomerID <= 0 {
		s.AcceptsAbandonedCartEmails, s.AcceptsMarketing = false, false
	}
	return s, nil
}

// SegmentEngineDeps returns what a segment engine needs of a: its flows
// file, its BigCommerce client by store (an error for a store without
// credentials) and the provider's lists (nil when the provider keeps
// none). A function, not a method: every exported method of Activities is
// registered as an activity.
func SegmentEngineDeps(a *Activities) (flows func() *config.Flows, bigCommerce func(storeHash string) (*bigcommerce.Client, error), lists messaging.StoreSync) {
	if p, ok := a.Messaging.(messaging.StoreSync); ok {
		lists = p
	}
	return func() *config.Flows { return a.Flows }, a.bc, lists
}
