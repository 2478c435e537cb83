package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Common decision values; any other non-empty string may be stored.
const (
	DecisionSent        = "sent"
	DecisionSkipped     = "skipped"
	DecisionDeferred    = "deferred"
	DecisionExited      = "exited"
	DecisionGoalReached = "goal_reached"
)

// Decision is one entry of the decision log (the customer timeline).
type Decision struct {
	ID int64
	// DedupeKey makes AppendDecision idempotent. When empty it is derived
	// from (StoreHash, WorkflowID, Step, Decision, At), so an activity retry
	// must pass the same At (e.g. the workflow's time, not time.Now()).
	DedupeKey   string
	StoreHash   string
	CustomerKey string
	WorkflowID  string
	// Email is the shopper's email when the flow knows it (stored
	// lower-cased): a registered customer's timeline is found by it too.
	Email    string
	Flow     string // e.g. "abandoned_cart"
	Step     string
	Decision string // DecisionSent, DecisionSkipped, ...
	Reason   string
	Details  json.RawMessage // JSON text; empty stores {}
	At       time.Time       // zero means now (which defeats derived dedupe)
	// ChannelID is the BigCommerce channel the decision concerns (0 when
	// unknown); it picks the channel's rollup rows besides the store's.
	ChannelID int64
	// Amount is the money the decision is worth (e.g. a recovered order's
	// total), summed in the decision rollups; 0 for most decisions.
	Amount Money
}

// DecisionFilter selects decisions for ListDecisions. Empty fields do not
// filter.
type DecisionFilter struct {
	StoreHash   string
	CustomerKey string
	// Email, with CustomerKey, selects the decisions keyed to the customer
	// or carrying this email (a registered customer looked up by email).
	Email      string
	WorkflowID string
	Limit      int       // default 100, at most 1000
	Before     time.Time // only decisions strictly before this time
}

const decisionCols = `id, dedupe_key, store_hash, customer_key, workflow_id, flow, step, decision, reason, details, at,
	channel_id, amount`

func derivedDecisionKey(d Decision) string {
	h := sha256.New()
	for _, p := range []string{d.StoreHash, d.WorkflowID, d.Step, d.Decision, strconv.FormatInt(d.At.UnixMicro(), 10)} {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "auto:" + hex.EncodeToString(h.Sum(nil))
}

// AppendDecision adds d to the log. Appending a decision whose dedupe key is
// already stored does nothing.
func (s *Store) AppendDecision(ctx context.Context, d Decision) error {
	if d.StoreHash == "" || d.Decision == "" {
		return fmt.Errorf("store: append decision %q/%q: store hash and decision are required: %w", d.WorkflowID, d.Step, ErrInvalid)
	}
	details := strings.TrimSpace(string(d.Details))
	if details == "" {
		details = "{}"
	}
	if !json.Valid([]byte(details)) {
		return fmt.Errorf("store: append decision %q/%q: details are not valid JSON: %w", d.WorkflowID, d.Step, ErrInvalid)
	}
	d.At = normTime(orNow(d.At))
	if d.DedupeKey == "" {
		d.DedupeKey = derivedDecisionKey(d)
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.lockWorkflow(ctx, tx, d.WorkflowID); err != nil {
			return err
		}
		var id int64
		err := tx.QueryRowContext(ctx, s.rebind(`INSERT INTO decisions
			(dedupe_key, store_hash, customer_key, email, workflow_id, flow, step, decision, reason, reason_key, details, at, channel_id, amount)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`),
			d.DedupeKey, d.StoreHash, d.CustomerKey, strings.ToLower(strings.TrimSpace(d.Email)), d.WorkflowID, d.Flow, d.Step,
			d.Decision, d.Reason, reasonKey(d.Reason), details, s.tv(d.At), d.ChannelID, int64(d.Amount)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // a duplicate: counted already
		}
		if err != nil {
			return err
		}
		day := rollupDay(d.At)
		decisionDay, err := s.holdoutCohortDay(ctx, tx, d, day)
		if err != nil {
			return err
		}
		b := rollupBumps{}
		b.add(RollupDecision, decisionDay, [4]string{d.Flow, d.Step, d.Decision, decisionReasonKey(d.Step, d.Decision, reasonKey(d.Reason))},
			1, int64(d.Amount), d.ChannelID)
		if d.WorkflowID != "" {
			var earlier bool
			if err := tx.QueryRowContext(ctx, s.rebind(`SELECT EXISTS (SELECT 1 FROM decisions
				WHERE workflow_id = ? AND store_hash = ? AND id < ?)`), d.WorkflowID, d.StoreHash, id).Scan(&earlier); err != nil {
				return fmt.Errorf("first decision: %w", err)
			}
			if !earlier {
				b.add(RollupEntered, day, [4]string{d.Flow}, 1, 0, d.ChannelID)
			}
		}
		return s.bump(ctx, tx, d.StoreHash, b)
	})
	if err != nil {
		return fmt.Errorf("store: append decision %q/%q: %w", d.WorkflowID, d.Step, err)
	}
	return nil
}

// holdoutCohortDay is the rollup day of decision d: its own day, except
// for a holdout conversion, which counts on the day its cart was assigned
// to its group, so that a group's carts and their conversions are one
// cohort (a period never holds conversions of carts it does not hold).
func (s *Store) holdoutCohortDay(ctx context.Context, tx *sqlx.Tx, d Decision, day string) (string, error) {
	if d.Step != HoldoutStep || d.Decision != decisionConverted || d.WorkflowID == "" {
		return day, nil
	}
	var assigned dbTime
	err := tx.QueryRowContext(ctx, s.rebind(`SELECT at FROM decisions WHERE store_hash = ? AND workflow_id = ?
		AND step = ? AND decision = ? ORDER BY at, id LIMIT 1`), d.StoreHash, d.WorkflowID, HoldoutStep, decisionAssigned).Scan(&assigned)
	if errors.Is(err, sql.ErrNoRows) {
		return day, nil
	}
	if err != nil {
		return "", fmt.Errorf("holdout assignment: %w", err)
	}
	return rollupDay(time.Time(assigned)), nil
}

// lockWorkflow serialises, on PostgreSQL, the transactions appending
// decisions of one workflow, so exactly one of them sees itself first (the
// "entered" rollup). SQLite's write lock does already.
func (s *Store) lockWorkflow(ctx context.Context, tx *sqlx.Tx, workflowID string) error {
	if s.dialect != DialectPostgres || workflowID == "" {
		return nil
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte("bcflow/decisions/" + workflowID))
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(h.Sum64())); err != nil {
		return fmt.Errorf("lock workflow: %w", err)
	}
	return nil
}

// ListDecisions returns the decisions matching f, newest first (ties broken
// by insertion order, newest first).
func (s *Store) ListDecisions(ctx context.Context, f DecisionFilter) ([]Decision, error) {
	var where []string
	var args []any
	if f.StoreHash != "" {
		where, args = append(where, "store_hash = ?"), append(args, f.StoreHash)
	}
	switch {
	case f.CustomerKey != "" && f.Email != "":
		where, args = append(where, "(customer_key = ? OR email = ?)"), append(args, f.CustomerKey, strings.ToLower(strings.TrimSpace(f.Email)))
	case f.CustomerKey != "":
		where, args = append(where, "customer_key = ?"), append(args, f.CustomerKey)
	case f.Email != "":
		where, args = append(where, "email = ?"), append(args, strings.ToLower(strings.TrimSpace(f.Email)))
	}
	if f.WorkflowID != "" {
		where, args = append(where, "workflow_id = ?"), append(args, f.WorkflowID)
	}
	if !f.Before.IsZero() {
		where, args = append(where, "at < ?"), append(args, s.tv(f.Before))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	q := `SELECT ` + decisionCols + ` FROM decisions`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY at DESC, id DESC LIMIT ?`
	args = append(args, limit)

	rows, err := s.rdb.QueryContext(ctx, s.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list decisions: %w", err)
	}
	defer rows.Close()
	out := []Decision{}
	for rows.Next() {
		var d Decision
		var details string
		if err := rows.Scan(&d.ID, &d.DedupeKey, &d.StoreHash, &d.CustomerKey, &d.WorkflowID, &d.Flow, &d.Step,
			&d.Decision, &d.Reason, &details, (*dbTime)(&d.At), &d.ChannelID, (*int64)(&d.Amount)); err != nil {
			return nil, fmt.Errorf("store: list decisions: %w", err)
		}
		d.Details = json.RawMessage(details)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list decisions: %w", err)
	}
	return out, nil
}
