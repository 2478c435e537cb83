package segments

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bcflow/bcflow/bigcommerce"
	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/store"
)

// DefaultPushMax is the number of pending changes per target one Push
// takes when max is 0 or less.
const DefaultPushMax = 1000

// reprobeAfter is how long a store found without the Customer Segmentation
// API is taken at its word before the API is tried again.
const reprobeAfter = 24 * time.Hour

// defaultListBatch is the number of emails per list call when the provider
// does not say.
const defaultListBatch = 150

// PushResult sums up a push.
type PushResult struct {
	// BigCommerceAdded and BigCommerceRemoved count the memberships added
	// to and removed from BigCommerce segments (a 409 "already in the
	// segment" counts as added).
	BigCommerceAdded, BigCommerceRemoved int
	// BrevoAdded and BrevoRemoved count the memberships added to and
	// removed from Brevo lists.
	BrevoAdded, BrevoRemoved int
	// Skipped counts the changes that cannot be pushed and never will be:
	// guests (BigCommerce segments hold registered customers only),
	// customers deleted from BigCommerce, emails Brevo has no contact for,
	// and every BigCommerce change while the store has no Segmentation API.
	Skipped int
	// More is set when a target had more pending changes than max: call
	// Push again.
	More bool
	// BigCommerceUnavailable is set when the store's BigCommerce has no
	// Customer Segmentation API (403/404): its changes were skipped.
	BigCommerceUnavailable bool
}

// errUnavailable marks a refusal of the Customer Segmentation API itself
// (bigcommerce.IsFeatureUnavailable).
type errUnavailable struct{ err error }

func (e *errUnavailable) Error() string { return "segmentation API unavailable: " + e.err.Error() }
func (e *errUnavailable) Unwrap() error { return e.err }

// unavailable wraps err as errUnavailable when BigCommerce refused the
// Segmentation API itself.
func unavailable(err error) error {
	if err != nil && bigcommerce.IsFeatureUnavailable(err) {
		return &errUnavailable{err}
	}
	return err
}

// Push sends the store's pending membership changes (at most max per
// target, oldest first) to BigCommerce segments and Brevo lists, and marks
// each one done once its target took it. Transient failures are returned
// (call again: nothing done is lost, nothing is added twice that matters);
// changes that can never be pushed are skipped and counted (see
// PushResult.Skipped). A store whose segments are disabled pushes nothing;
// a target whose push flag is off keeps its changes pending.
func (e *Engine) Push(ctx context.Context, storeHash string, max int) (PushResult, error) {
	var res PushResult
	settings, defs := e.definitions(storeHash)
	if !settings.Enabled {
		return res, nil
	}
	if max <= 0 {
		max = DefaultPushMax
	}
	if settings.PushToBigCommerce {
		if err := e.pushBigCommerce(ctx, storeHash, defs, max, &res); err != nil {
			return res, err
		}
	}
	if settings.PushToBrevo && e.Lists != nil {
		if err := e.pushBrevo(ctx, storeHash, defs, max, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// --- BigCommerce ---

// unavailableSince returns when the store was found without the
// Segmentation API (zero: it has it, as far as bcflow knows).
func (e *Engine) unavailableSince(ctx context.Context, storeHash string) (time.Time, error) {
	st, err := e.Store.GetSyncState(ctx, storeHash, StateBigCommerceUnavailable)
	if errors.Is(err, store.ErrNotFound) || (err == nil && st.Cursor == "") {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("segments: BigCommerce availability of store %s: %w", storeHash, err)
	}
	at, err := time.Parse(time.RFC3339, st.Cursor)
	if err != nil {
		// Unreadable: probe again.
		return time.Time{}, nil
	}
	return at, nil
}

// setUnavailable records that the store has no Segmentation API.
func (e *Engine) setUnavailable(ctx context.Context, storeHash string, cause error) error {
	now := e.now()
	if err := e.Store.PutSyncState(ctx, store.SyncState{StoreHash: storeHash, Resource: StateBigCommerceUnavailable,
		Cursor: now.Format(time.RFC3339), UpdatedAt: now}); err != nil {
		return fmt.Errorf("segments: record BigCommerce unavailability of store %s: %w", storeHash, err)
	}
	e.warnUnavailable(ctx, storeHash, cause)
	return nil
}

// warnUnavailable logs the store's lack of the Segmentation API once per
// store per process.
func (e *Engine) warnUnavailable(ctx context.Context, storeHash string, cause error) {
	e.mu.Lock()
	if e.warned == nil {
		e.warned = map[string]bool{}
	}
	first := !e.warned[storeHash]
	e.warned[storeHash] = true
	e.mu.Unlock()
	if !first {
		return
	}
	attrs := []any{"store_hash", storeHash, "recheck_every", reprobeAfter.String()}
	if ae, ok := bigcommerce.AsAPIError(cause); ok {
		attrs = append(attrs, "status", ae.Status)
	}
	e.log().WarnContext(ctx, "segments: the store's BigCommerce answers 403/404 on the Customer Segmentation API "+
		"(an Enterprise feature, or the app's token lacks its scope): BigCommerce segments are not kept for this store; "+
		"membership, Brevo lists and segment flows keep working", attrs...)
}

// clearUnavailable records that the store has the Segmentation API again.
func (e *Engine) clearUnavailable(ctx context.Context, storeHash string) error {
	if err := e.Store.PutSyncState(ctx, store.SyncState{StoreHash: storeHash, Resource: StateBigCommerceUnavailable,
		UpdatedAt: e.now()}); err != nil {
		return fmt.Errorf("segments: record BigCommerce availability of store %s: %w", storeHash, err)
	}
	e.mu.Lock()
	delete(e.warned, storeHash)
	e.mu.Unlock()
	e.log().InfoContext(ctx, "segments: the store's BigCommerce answers on the Customer Segmentation API again", "store_hash", storeHash)
	return nil
}

func (e *Engine) pushBigCommerce(ctx context.Context, storeHash string, defs []config.SegmentDefinition, max int, res *PushResult) error {
	items, err := e.Store.PendingSegmentPushes(ctx, storeHash, store.PushBigCommerce, "", max)
	if err != nil {
		return fmt.Errorf("segments: pending BigCommerce pushes of store %s: %w", storeHash, err)
	}
	if len(items) == 0 {
		return nil
	}
	if len(items) >= max {
		res.More = true
	}
	since, err := e.unavailableSince(ctx, storeHash)
	if err != nil {
		return err
	}
	if !since.IsZero() && e.now().Sub(since) < reprobeAfter {
		e.warnUnavailable(ctx, storeHash, nil)
		res.BigCommerceUnavailable = true
		return e.skip(ctx, storeHash, store.PushBigCommerce, items, res)
	}

	var guests, rest []store.PendingPush
	for _, it := range items {
		if it.CustomerID <= 0 {
			guests = append(guests, it)
		} else {
			rest = append(rest, it)
		}
	}
	if len(guests) > 0 {
		e.log().InfoContext(ctx, "segments: guests cannot be in BigCommerce segments (registered customers only); skipped",
			"store_hash", storeHash, "count", len(guests))
		if err := e.skip(ctx, storeHash, store.PushBigCommerce, guests, res); err != nil {
			return err
		}
	}
	if len(rest) == 0 {
		return nil
	}
	bc, err := e.client(storeHash)
	if err != nil {
		return err
	}
	p := &bcPush{e: e, bc: bc, storeHash: storeHash, defs: defs, items: rest, done: make([]bool, len(rest)),
		profiles: map[int64]string{}, gone: map[int64]bool{}, segIDs: map[string]string{}}
	err = p.run(ctx)
	res.BigCommerceAdded += p.added
	res.BigCommerceRemoved += p.removed
	res.Skipped += p.skipped
	var ue *errUnavailable
	if errors.As(err, &ue) {
		res.BigCommerceUnavailable = true
		if err := e.setUnavailable(ctx, storeHash, ue.err); err != nil {
			return err
		}
		var left []store.PendingPush
		for i, it := range rest {
			if !p.done[i] {
				left = append(left, it)
			}
		}
		return e.skip(ctx, storeHash, store.PushBigCommerce, left, res)
	}
	if err != nil {
		return err
	}
	if !since.IsZero() && p.answered {
		return e.clearUnavailable(ctx, storeHash)
	}
	return nil
}

// skip records items as not applicable to target and counts them.
func (e *Engine) skip(ctx context.Context, storeHash string, target store.PushTarget, items []store.PendingPush, res *PushResult) error {
	if len(items) == 0 {
		return nil
	}
	if err := e.Store.SkipSegmentPushes(ctx, storeHash, target, items); err != nil {
		return fmt.Errorf("segments: skip %d %s pushes of store %s: %w", len(items), target, storeHash, err)
	}
	res.Skipped += len(items)
	return nil
}

// bcPush is one push of pending changes to BigCommerce.
type bcPush struct {
	e         *Engine
	bc        *bigcommerce.Client
	storeHash string
	defs      []config.SegmentDefinition
	items     []store.PendingPush

	mu       sync.Mutex
	done     []bool            // items marked (or skipped)
	profiles map[int64]string  // customer id → shopper profile id
	gone     map[int64]bool    // customers BigCommerce no longer has
	segIDs   map[string]string // segment → BigCommerce segment id ("" none)
	answered bool              // a Segmentation API call succeeded

	added, removed, skipped int
}

func (p *bcPush) ok() {
	p.mu.Lock()
	p.answered = true
	p.mu.Unlock()
}

// run resolves the shopper profiles, then removes, then adds: a shopper who
// left and re-entered a segment has a pending remove (older stint) and a
// pending add (newer one), which must reach BigCommerce in that order.
func (p *bcPush) run(ctx context.Context) error {
	if err := p.resolveProfiles(ctx); err != nil {
		return err
	}
	targets, err := p.e.Store.SegmentTargets(ctx, p.storeHash)
	if err != nil {
		return fmt.Errorf("segments: targets of store %s: %w", p.storeHash, err)
	}
	for seg, t := range targets {
		p.segIDs[seg] = t.BigCommerceID
	}
	if err := p.phase(ctx, false); err != nil {
		return err
	}
	return p.phase(ctx, true)
}

// resolveProfiles finds the shopper profile of every customer of the
// push: the stored ids, and for customers to add who have none,
// EnsureShopperProfiles (which creates the missing profiles; the API has no
// lookup by customer id, so the ids are kept), SegmentBatchSize customers
// per request. A customer to remove without a stored profile was never
// added: nothing to remove.
func (p *bcPush) resolveProfiles(ctx context.Context) error {
	var ids []int64
	for _, it := range p.items {
		ids = append(ids, it.CustomerID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	known, err := p.e.Store.ShopperProfileIDs(ctx, p.storeHash, ids)
	if err != nil {
		return fmt.Errorf("segments: shopper profiles of store %s: %w", p.storeHash, err)
	}
	maps.Copy(p.profiles, known)
	var missing []int
	for _, it := range p.items {
		if it.Add && p.profiles[it.CustomerID] == "" {
			missing = append(missing, int(it.CustomerID))
		}
	}
	slices.Sort(missing)
	missing = slices.Compact(missing)
	var jobs []func(context.Context) error
	for b := range slices.Chunk(missing, bigcommerce.SegmentBatchSize) {
		jobs = append(jobs, func(ctx context.Context) error { return p.ensureProfiles(ctx, b) })
	}
	return runLimited(ctx, p.e.inFlight(), jobs)
}

// ensureProfiles ensures the profiles of one batch of customers and keeps
// their ids.
func (p *bcPush) ensureProfiles(ctx context.Context, ids []int) error {
	r, err := p.bc.EnsureShopperProfiles(ctx, ids...)
	if err != nil {
		return unavailable(fmt.Errorf("segments: shopper profiles of %d customers of store %s: %w", len(ids), p.storeHash, err))
	}
	p.ok()
	save := make(map[int64]string, len(r.IDs))
	for id, pid := range r.IDs {
		save[int64(id)] = pid
	}
	if len(save) > 0 {
		if err := p.e.Store.SaveShopperProfileIDs(ctx, p.storeHash, save); err != nil {
			return fmt.Errorf("segments: save shopper profiles of store %s: %w", p.storeHash, err)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	maps.Copy(p.profiles, save)
	for _, id := range r.Missing {
		p.gone[int64(id)] = true
	}
	return nil
}

// phase pushes the removes (add false) or the adds (add true), grouped by
// segment, SegmentBatchSize profiles per request, InFlight requests at a
// time.
func (p *bcPush) phase(ctx context.Context, add bool) error {
	bySeg := map[string][]int{}
	var segs []string
	var none []int // nothing to do: marked done at once
	var skip []int // never possible: skipped
	for i, it := range p.items {
		if it.Add != add {
			continue
		}
		if p.gone[it.CustomerID] {
			if add {
				skip = append(skip, i)
			} else {
				none = append(none, i)
			}
			continue
		}
		if !add && (p.profiles[it.CustomerID] == "" || p.segIDs[it.Segment] == "") {
			// Never added: a customer without a profile, or a segment
			// never created, holds nobody.
			none = append(none, i)
			continue
		}
		if add && p.profiles[it.CustomerID] == "" {
			return fmt.Errorf("segments: store %s: customer %d has no shopper profile after ensuring it", p.storeHash, it.CustomerID)
		}
		if _, ok := bySeg[it.Segment]; !ok {
			segs = append(segs, it.Segment)
		}
		bySeg[it.Segment] = append(bySeg[it.Segment], i)
	}
	if err := p.finish(ctx, none, false); err != nil {
		return err
	}
	if err := p.finish(ctx, skip, true); err != nil {
		return err
	}
	slices.Sort(segs)
	// Batches are recorded by one goroutine, which gathers those answered
	// meanwhile into one store transaction: requests never wait for the
	// store, and a failed batch does not keep the others from being
	// recorded.
	marks := make(chan []int, 64)
	marked := make(chan error, 1)
	go func() {
		var err error
		for idx := range marks {
			idx = slices.Clone(idx)
		gather:
			for {
				select {
				case more, ok := <-marks:
					if !ok {
						break gather
					}
					idx = append(idx, more...)
				default:
					break gather
				}
			}
			if err == nil {
				err = p.finish(ctx, idx, false)
			}
		}
		marked <- err
	}()
	record := func(idx []int) { marks <- idx }
	var jobs []func(context.Context) error
	for _, seg := range segs {
		idx := bySeg[seg]
		if add {
			def, ok := definition(p.defs, seg)
			if !ok {
				// An add of a segment no longer defined: the next recompute
				// drops the segment, which settles it.
				continue
			}
			if _, err := p.segmentID(ctx, def, ""); err != nil {
				close(marks)
				<-marked
				return err
			}
		}
		for b := range slices.Chunk(idx, bigcommerce.SegmentBatchSize) {
			if add {
				jobs = append(jobs, func(ctx context.Context) error { return p.addBatch(ctx, seg, b, record) })
			} else {
				jobs = append(jobs, func(ctx context.Context) error { return p.removeBatch(ctx, seg, b, record) })
			}
		}
	}
	err := runLimited(ctx, p.e.inFlight(), jobs)
	close(marks)
	if merr := <-marked; err == nil {
		err = merr
	}
	return err
}

// segmentID returns the segment's BigCommerce id, ensuring the segment
// when it has none or when stale (its last known id, now gone) is given.
func (p *bcPush) segmentID(ctx context.Context, def config.SegmentDefinition, stale string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if id := p.segIDs[def.Name]; id != "" && id != stale {
		return id, nil
	}
	id, err := p.e.ensureBigCommerceSegment(ctx, p.bc, p.storeHash, def, stale != "")
	if err != nil {
		return "", err
	}
	p.answered = true
	p.segIDs[def.Name] = id
	return id, nil
}

// profileIDs returns the distinct profile ids of items.
func (p *bcPush) profileIDs(idx []int) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, i := range idx {
		out = append(out, p.profiles[p.items[i].CustomerID])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (p *bcPush) removeBatch(ctx context.Context, seg string, idx []int, record func([]int)) error {
	p.mu.Lock()
	segID := p.segIDs[seg]
	p.mu.Unlock()
	err := p.bc.RemoveProfilesFromSegment(ctx, segID, p.profileIDs(idx)...)
	if err != nil && !bigcommerce.IsFeatureUnavailable(err) && bigcommerce.IsNotFound(err) {
		// The segment was deleted in BigCommerce: it holds nobody.
		err = nil
	}
	if err != nil {
		return unavailable(fmt.Errorf("segments: remove from BigCommerce segment %s of store %s: %w", seg, p.storeHash, err))
	}
	p.ok()
	record(idx)
	return nil
}

func (p *bcPush) addBatch(ctx context.Context, seg string, idx []int, record func([]int)) error {
	def, _ := definition(p.defs, seg)
	p.mu.Lock()
	segID := p.segIDs[seg]
	p.mu.Unlock()
	ids := p.profileIDs(idx)
	_, err := p.bc.AddProfilesToSegmentIdempotent(ctx, segID, ids...)
	if err != nil && !bigcommerce.IsFeatureUnavailable(err) && bigcommerce.IsNotFound(err) {
		// The segment was deleted in BigCommerce: make it again.
		if segID, err = p.segmentID(ctx, def, segID); err != nil {
			return err
		}
		_, err = p.bc.AddProfilesToSegmentIdempotent(ctx, segID, ids...)
	}
	if err != nil {
		return unavailable(fmt.Errorf("segments: add to BigCommerce segment %s of store %s: %w", seg, p.storeHash, err))
	}
	p.ok()
	record(idx)
	return nil
}

// finish marks (or, with skip, skips) items and counts them.
func (p *bcPush) finish(ctx context.Context, idx []int, skip bool) error {
	if len(idx) == 0 {
		return nil
	}
	items := make([]store.PendingPush, len(idx))
	for k, i := range idx {
		items[k] = p.items[i]
	}
	var err error
	if skip {
		err = p.e.Store.SkipSegmentPushes(ctx, p.storeHash, store.PushBigCommerce, items)
	} else {
		err = p.e.Store.MarkSegmentPushes(ctx, p.storeHash, store.PushBigCommerce, items)
	}
	if err != nil {
		return fmt.Errorf("segments: record %d BigCommerce pushes of store %s: %w", len(items), p.storeHash, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, i := range idx {
		p.done[i] = true
		switch {
		case skip:
			p.skipped++
		case p.items[i].Add:
			p.added++
		default:
			p.removed++
		}
	}
	return nil
}

// findBigCommerceSegment returns the id of the BigCommerce segment named
// name (case-insensitively; "" when none). A 403/404 is errUnavailable.
func (e *Engine) findBigCommerceSegment(ctx context.Context, bc *bigcommerce.Client, name string) (string, error) {
	for g, err := range bc.Segments(ctx) {
		if err != nil {
			return "", unavailable(fmt.Errorf("segments: list BigCommerce segments of store %s: %w", bc.StoreHash(), err))
		}
		if strings.EqualFold(strings.TrimSpace(g.Name), strings.TrimSpace(name)) {
			return g.ID, nil
		}
	}
	return "", nil
}

// ensureBigCommerceSegment finds the segment's BigCommerce segment by name,
// creating it when missing, and keeps its id as the segment's target.
// Unless refresh, a kept id is returned without a request.
func (e *Engine) ensureBigCommerceSegment(ctx context.Context, bc *bigcommerce.Client, storeHash string, def config.SegmentDefinition, refresh bool) (string, error) {
	if !refresh {
		ts, err := e.Store.SegmentTargets(ctx, storeHash)
		if err != nil {
			return "", fmt.Errorf("segments: targets of store %s: %w", storeHash, err)
		}
		if id := ts[def.Name].BigCommerceID; id != "" {
			return id, nil
		}
	}
	name := def.BigCommerceName()
	id, err := e.findBigCommerceSegment(ctx, bc, name)
	if err != nil {
		return "", err
	}
	if id == "" {
		made, err := bc.CreateSegments(ctx, bigcommerce.SegmentInput{Name: name, Description: def.Description})
		switch {
		case bigcommerce.IsConflict(err):
			// Created meanwhile (a retried request): find it.
			if id, err = e.findBigCommerceSegment(ctx, bc, name); err != nil {
				return "", err
			}
		case err != nil:
			return "", unavailable(fmt.Errorf("segments: create BigCommerce segment %s of store %s: %w", def.Name, storeHash, err))
		case len(made) == 1:
			id = made[0].ID
		}
		if id == "" {
			return "", fmt.Errorf("segments: store %s: BigCommerce segment %s neither created nor found", storeHash, def.Name)
		}
	}
	err = e.saveTarget(ctx, storeHash, def.Name, func(t *store.SegmentTarget) { t.BigCommerceID = id })
	return id, err
}

// saveTarget updates one field of a segment's target, keeping the others.
func (e *Engine) saveTarget(ctx context.Context, storeHash, segment string, set func(*store.SegmentTarget)) error {
	ts, err := e.Store.SegmentTargets(ctx, storeHash)
	if err != nil {
		return fmt.Errorf("segments: targets of store %s: %w", storeHash, err)
	}
	t := ts[segment]
	t.Segment = segment
	set(&t)
	t.UpdatedAt = e.now()
	if err := e.Store.SaveSegmentTarget(ctx, storeHash, t); err != nil {
		return fmt.Errorf("segments: save target of segment %s of store %s: %w", segment, storeHash, err)
	}
	return nil
}

// BigCommerceSegmentID returns the id of the segment's BigCommerce
// customer segment, creating it when missing: a coupon restricted to the
// segment targets it. ErrBigCommerceUnavailable when the store has no
// Segmentation API, ErrUnknownSegment when the segment is not defined,
// ErrDisabled when the store's segments or their BigCommerce push are off
// (the BigCommerce segment would stay empty).
func (e *Engine) BigCommerceSegmentID(ctx context.Context, storeHash, segment string) (string, error) {
	settings, defs := e.definitions(storeHash)
	if !settings.Enabled || !settings.PushToBigCommerce {
		return "", fmt.Errorf("segments: BigCommerce segment of %s of store %s: %w", segment, storeHash, ErrDisabled)
	}
	def, ok := definition(defs, segment)
	if !ok {
		return "", fmt.Errorf("segments: BigCommerce segment of %s of store %s: %w", segment, storeHash, ErrUnknownSegment)
	}
	since, err := e.unavailableSince(ctx, storeHash)
	if err != nil {
		return "", err
	}
	if !since.IsZero() && e.now().Sub(since) < reprobeAfter {
		e.warnUnavailable(ctx, storeHash, nil)
		return "", fmt.Errorf("segments: BigCommerce segment of %s of store %s: %w", segment, storeHash, ErrBigCommerceUnavailable)
	}
	bc, err := e.client(storeHash)
	if err != nil {
		return "", err
	}
	id, err := e.ensureBigCommerceSegment(ctx, bc, storeHash, def, false)
	var ue *errUnavailable
	if errors.As(err, &ue) {
		if err := e.setUnavailable(ctx, storeHash, ue.err); err != nil {
			return "", err
		}
		return "", fmt.Errorf("segments: BigCommerce segment of %s of store %s: %w: %w", segment, storeHash, ErrBigCommerceUnavailable, ue.err)
	}
	if err != nil {
		return "", err
	}
	if !since.IsZero() {
		if err := e.clearUnavailable(ctx, storeHash); err != nil {
			return "", err
		}
	}
	return id, nil
}

// runLimited runs jobs, at most n at a time; the first error cancels the
// others' context and is returned.
func runLimited(ctx context.Context, n int, jobs []func(context.Context) error) error {
	if len(jobs) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, max(1, n))
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	fail := func(err error) {
		once.Do(func() {
			first = err
			cancel()
		})
	}
loop:
	for _, job := range jobs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break loop
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := job(ctx); err != nil {
				fail(err)
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}
