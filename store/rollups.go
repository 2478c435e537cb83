package store

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Daily rollups. The rollups table holds, per (store, channel, kind, day,
// k1..k4), a count n and an amount (Money units, or loyalty points), kept by
// the store's own write paths in the transaction of the write they count:
// every event bumps the row of its channel and the row of channel 0 (the
// whole store); an event without a channel bumps channel 0 only. Days are
// 'YYYY-MM-DD' in UTC; an event without a date (a mirror row whose
// date_created is unknown) counts on day '' (in the totals, in no period).
// RebuildRollups recomputes a store's rows from the base tables; the two
// agree (rollups_prop_test.go), apart from rows whose n and amount are both
// zero, which the incremental path may leave and the queries ignore.

// Rollup kinds (rollups.kind).
const (
	// RollupOrders: n = counted orders, amount = their contribution
	// (total_inc_tax − refunded_amount; see CountsTowardsSpend); day = the
	// order's date_created. An order upsert applies new minus old.
	RollupOrders = "orders"
	// RollupCustomers: n = mirrored customers, day = date_created, one row
	// per channel id of the customer's channel_ids (and channel 0).
	RollupCustomers = "customers"
	// RollupEntered: k1 = flow; n = workflows whose first decision (by
	// insertion) was recorded that day.
	RollupEntered = "entered"
	// RollupDecision: k1 = flow, k2 = step, k3 = decision, k4 = reason for
	// the decisions in reasonDecisions and for every decision of the
	// holdout step (its reason is the group: "holdout" or "messaged"),
	// else ''; n = decisions, amount = the sum of Decision.Amount; day = At.
	RollupDecision = "decision"
	// RollupEngagement: k1 = flow, k2 = step, k3 = delivered|opened|clicked;
	// n = messages with that event (first time only); day = the message's
	// sent_at (created_at while unsent).
	RollupEngagement = "engagement"
	// RollupLoyalty: k3 = ledger kind; n = entries, amount = points (signed
	// as stored); day = created_at.
	RollupLoyalty = "loyalty"
	// RollupSegment: k1 = segment, k3 = entered|left; n = crossings; day =
	// entered_at or left_at.
	RollupSegment = "segment"
)

// HoldoutStep is the step of the decisions that assign a cart to its
// holdout group and record the group's conversions; their reason (the
// group) is kept in the decision rollups.
const HoldoutStep = "holdout"

// The holdout step's decisions: a cart's assignment to its group (once
// per cart, by its dedupe key) and its group's conversion.
const (
	decisionAssigned  = "assigned"
	decisionConverted = "converted"
)

// Message events counted in the engagement rollups.
const (
	EventDelivered = "delivered"
	EventOpened    = "opened"
	EventClicked   = "clicked"
)

// reasonDecisions are the decisions whose reason is a rollup key.
var reasonDecisions = map[string]bool{
	DecisionSkipped: true, DecisionDeferred: true, "failed": true, MessageUnknown: true, DecisionExited: true,
}

// decisionReasonKey is k4 of a decision's rollup row.
func decisionReasonKey(step, decision, reason string) string {
	if reasonDecisions[decision] || step == HoldoutStep {
		return reason
	}
	return ""
}

// reasonKey is a decision reason as the rollups group it: the text before
// its first ": " (what follows is an error's or a value's detail), digits
// as '#', any word holding '@' (an address) as '…', at most 120 bytes,
// never empty for a reason that is not; the decision log keeps the whole
// reason.
func reasonKey(reason string) string {
	head, _, _ := strings.Cut(reason, ": ")
	words := strings.Fields(head)
	for i, w := range words {
		if strings.Contains(w, "@") {
			words[i] = "…"
			continue
		}
		words[i] = digitRuns.ReplaceAllString(w, "#")
	}
	key := strings.Join(words, " ")
	if len(key) > 120 {
		key = strings.ToValidUTF8(key[:120], "")
	}
	if key == "" && reason != "" {
		key = "…" // a reason that is all detail; never "" (rows before migration 00008 have "")
	}
	return key
}

// digitRuns matches the numbers reasonKey blanks.
var digitRuns = regexp.MustCompile(`[0-9]+`)

// rollupDay is the day key of t: its UTC date, or ” for the zero time.
func rollupDay(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// rollupKey names one rollups row of a store.
type rollupKey struct {
	channel        int64
	kind, day      string
	k1, k2, k3, k4 string
}

type rollupDelta struct{ n, amount int64 }

// rollupBumps collects a transaction's changes to the rollups.
type rollupBumps map[rollupKey]*rollupDelta

// add adds (n, amount) to the row of channel 0 and of each distinct
// non-zero channel among channels.
func (b rollupBumps) add(kind, day string, k [4]string, n, amount int64, channels ...int64) {
	if n == 0 && amount == 0 {
		return
	}
	b.addOne(rollupKey{0, kind, day, k[0], k[1], k[2], k[3]}, n, amount)
	seen := map[int64]bool{}
	for _, c := range channels {
		if c == 0 || seen[c] {
			continue
		}
		seen[c] = true
		b.addOne(rollupKey{c, kind, day, k[0], k[1], k[2], k[3]}, n, amount)
	}
}

func (b rollupBumps) addOne(k rollupKey, n, amount int64) {
	d := b[k]
	if d == nil {
		d = &rollupDelta{}
		b[k] = d
	}
	d.n += n
	d.amount += amount
}

var rollupsTable = newTableSpec("rollups", `store_hash text, channel_id bigint, kind text, day text, k1 text,
	k2 text, k3 text, k4 text, n bigint, amount bigint`)

// bump applies b to the store's rollups inside tx: one multi-row upsert
// adding n and amount, rows in key order (so concurrent transactions lock
// shared rows in the same order). Rows whose change is zero are skipped.
func (s *Store) bump(ctx context.Context, tx *sqlx.Tx, storeHash string, b rollupBumps) error {
	keys := make([]rollupKey, 0, len(b))
	for k, d := range b {
		if d.n != 0 || d.amount != 0 {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.SortFunc(keys, compareRollupKeys)
	args := make([]any, 0, len(keys)*10)
	for _, k := range keys {
		d := b[k]
		args = append(args, storeHash, k.channel, k.kind, k.day, k.k1, k.k2, k.k3, k.k4, d.n, d.amount)
	}
	if err := s.insertRows(ctx, tx, rollupsTable, args, `
		ON CONFLICT (store_hash, channel_id, kind, day, k1, k2, k3, k4)
		DO UPDATE SET n = rollups.n + excluded.n, amount = rollups.amount + excluded.amount`); err != nil {
		return fmt.Errorf("bump rollups: %w", err)
	}
	return nil
}

func compareRollupKeys(a, b rollupKey) int {
	return cmp.Or(cmp.Compare(a.channel, b.channel), cmp.Compare(a.kind, b.kind), cmp.Compare(a.day, b.day),
		cmp.Compare(a.k1, b.k1), cmp.Compare(a.k2, b.k2), cmp.Compare(a.k3, b.k3), cmp.Compare(a.k4, b.k4))
}

// orderRollup bumps the orders rollup by sign × an order's share.
func (b rollupBumps) order(sh orderShare, channel int64, sign int64) {
	if !sh.counted {
		return
	}
	b.add(RollupOrders, rollupDay(sh.created), [4]string{}, sign, sign*int64(sh.amount), channel)
}

// customer bumps the customers rollup by sign for a customer created on
// created in channels.
func (b rollupBumps) customer(created time.Time, channels []int, sign int64) {
	cs := make([]int64, len(channels))
	for i, c := range channels {
		cs[i] = int64(c)
	}
	b.add(RollupCustomers, rollupDay(created), [4]string{}, sign, 0, cs...)
}

// segmentChanges bumps the segment rollup by a batch of crossings.
func (b rollupBumps) segmentChanges(changes []SegmentChange) {
	for _, c := range changes {
		what := "left"
		if c.Entered {
			what = "entered"
		}
		b.add(RollupSegment, rollupDay(c.At), [4]string{c.Segment, "", what, ""}, 1, 0)
	}
}

// bumpSegmentChanges records a transaction's segment crossings.
func (s *Store) bumpSegmentChanges(ctx context.Context, tx *sqlx.Tx, storeHash string, changes []SegmentChange) error {
	if len(changes) == 0 {
		return nil
	}
	b := rollupBumps{}
	b.segmentChanges(changes)
	return s.bump(ctx, tx, storeHash, b)
}

// rollupKinds lists the kinds, for validation.
var rollupKinds = map[string]bool{
	RollupOrders: true, RollupCustomers: true, RollupEntered: true, RollupDecision: true, RollupEngagement: true,
	RollupLoyalty: true, RollupSegment: true,
}

// sortedKinds returns the known kinds in order.
func sortedKinds() []string { return slices.Sorted(maps.Keys(rollupKinds)) }
