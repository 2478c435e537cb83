package segments

import (
	"context"
	"fmt"
	"slices"

	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/store"
)

// pushBrevo sends pending changes to the segments' provider lists (one list
// per segment, named by the definition, in the folder ListFolder): removes
// first, then adds (a shopper who left and re-entered ends in the list),
// each batch marked once the provider took it. Emails the provider has no
// contact for are skipped.
func (e *Engine) pushBrevo(ctx context.Context, storeHash string, defs []config.SegmentDefinition, max int, res *PushResult) error {
	items, err := e.Store.PendingSegmentPushes(ctx, storeHash, store.PushBrevo, "", max)
	if err != nil {
		return fmt.Errorf("segments: pending Brevo pushes of store %s: %w", storeHash, err)
	}
	if len(items) == 0 {
		return nil
	}
	if len(items) >= max {
		res.More = true
	}
	targets, err := e.Store.SegmentTargets(ctx, storeHash)
	if err != nil {
		return fmt.Errorf("segments: targets of store %s: %w", storeHash, err)
	}
	batch := e.Lists.SyncBatchLimits().ListMembersPerCall
	if batch <= 0 {
		batch = defaultListBatch
	}
	for _, add := range []bool{false, true} {
		bySeg := map[string][]store.PendingPush{}
		var segs []string
		for _, it := range items {
			if it.Add != add {
				continue
			}
			if _, ok := bySeg[it.Segment]; !ok {
				segs = append(segs, it.Segment)
			}
			bySeg[it.Segment] = append(bySeg[it.Segment], it)
		}
		slices.Sort(segs)
		for _, seg := range segs {
			its := bySeg[seg]
			listID := targets[seg].BrevoListID
			if listID == 0 {
				def, ok := definition(defs, seg)
				switch {
				case !add:
					// Never added: the list was never made.
					if err := e.Store.MarkSegmentPushes(ctx, storeHash, store.PushBrevo, its); err != nil {
						return fmt.Errorf("segments: record Brevo removes of store %s: %w", storeHash, err)
					}
					res.BrevoRemoved += len(its)
					continue
				case !ok:
					// An add of a segment no longer defined: the next
					// recompute drops the segment, which settles it.
					continue
				}
				if listID, err = e.Lists.EnsureList(ctx, ListFolder, def.BrevoListName()); err != nil {
					return fmt.Errorf("segments: Brevo list of segment %s of store %s: %w", seg, storeHash, err)
				}
				if err := e.saveTarget(ctx, storeHash, seg, func(t *store.SegmentTarget) { t.BrevoListID = listID }); err != nil {
					return err
				}
				t := targets[seg]
				t.BrevoListID = listID
				targets[seg] = t
			}
			for chunk := range slices.Chunk(its, batch) {
				if err := e.brevoBatch(ctx, storeHash, seg, listID, add, chunk, res); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// brevoBatch pushes one batch of one segment's changes to its list.
func (e *Engine) brevoBatch(ctx context.Context, storeHash, seg string, listID int64, add bool, items []store.PendingPush, res *PushResult) error {
	emails := make([]string, 0, len(items))
	for _, it := range items {
		emails = append(emails, it.Email)
	}
	slices.Sort(emails)
	emails = slices.Compact(emails)
	if !add {
		if _, err := e.Lists.RemoveFromList(ctx, listID, emails); err != nil {
			return fmt.Errorf("segments: remove %d from the Brevo list of segment %s of store %s: %w", len(emails), seg, storeHash, err)
		}
		if err := e.Store.MarkSegmentPushes(ctx, storeHash, store.PushBrevo, items); err != nil {
			return fmt.Errorf("segments: record Brevo removes of store %s: %w", storeHash, err)
		}
		res.BrevoRemoved += len(items)
		return nil
	}
	failed, err := e.Lists.AddToList(ctx, listID, emails)
	if err != nil {
		return fmt.Errorf("segments: add %d to the Brevo list of segment %s of store %s: %w", len(emails), seg, storeHash, err)
	}
	failedSet := map[string]bool{}
	for _, f := range failed {
		failedSet[shopperKey(f)] = true
	}
	var ok, skipped []store.PendingPush
	for _, it := range items {
		if failedSet[shopperKey(it.Email)] {
			skipped = append(skipped, it)
		} else {
			ok = append(ok, it)
		}
	}
	if len(skipped) > 0 {
		e.log().InfoContext(ctx, "segments: Brevo has no contact for some segment members; skipped", "store_hash", storeHash,
			"segment", seg, "count", len(skipped))
		if err := e.skip(ctx, storeHash, store.PushBrevo, skipped, res); err != nil {
			return err
		}
	}
	if len(ok) > 0 {
		if err := e.Store.MarkSegmentPushes(ctx, storeHash, store.PushBrevo, ok); err != nil {
			return fmt.Errorf("segments: record Brevo adds of store %s: %w", storeHash, err)
		}
		res.BrevoAdded += len(ok)
	}
	return nil
}

func shopperKey(email string) string {
	k := shopperKeys([]string{email})
	if len(k) == 0 {
		return ""
	}
	return k[0]
}
