package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
)

// SyncRun is one store sync (historical, manual, reconcile), as the admin
// API, the CLI and the dashboard show it. The sync's activities keep it
// current after every page.
type SyncRun struct {
	StoreHash  string `json:"store_hash"`
	Kind       string `json:"kind"`
	WorkflowID string `json:"workflow_id"`
	// Status is running, completed, failed or cancelled.
	Status     string    `json:"status"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// Since is the modified-since bound this run copied from (zero: all).
	Since time.Time `json:"since,omitzero"`
	// HighWater is the bound the next manual sync starts from: this run's
	// start (the overlap is applied when it is read).
	HighWater time.Time `json:"high_water,omitzero"`
	// Error is why a failed run failed (no secrets, no personal data).
	Error     string             `json:"error,omitempty"`
	Resources []ResourceProgress `json:"resources"`
}

// ResourceProgress is a sync's progress on one resource.
type ResourceProgress struct {
	Resource string `json:"resource"`
	// Since is the modified-since bound of this resource's copy (zero:
	// everything).
	Since time.Time `json:"since,omitzero"`
	// Total is the number of items the store reported at the start (-1
	// while unknown).
	Total int64 `json:"total"`
	// Done is the number of items copied into the mirror.
	Done int64 `json:"done"`
	// Pushed is the number of items sent to the provider because they
	// changed (a re-sync of unchanged data pushes none).
	Pushed int64 `json:"pushed"`
	// Pages and PagesDone count list pages (Pages 0 while unknown).
	Pages     int `json:"pages"`
	PagesDone int `json:"pages_done"`
	// Requests is the number of BigCommerce requests this resource made.
	Requests  int64     `json:"requests"`
	StartedAt time.Time `json:"started_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	// Finished is set when every page is done.
	Finished bool `json:"finished"`
}

// Sync run statuses.
const (
	SyncRunning   = "running"
	SyncCompleted = "completed"
	SyncFailed    = "failed"
	SyncCancelled = "cancelled"
)

const syncRunCols = `store_hash, kind, workflow_id, status, started_at, finished_at, since, high_water, error, resources`

// StartSyncRun records r as its kind's current run, replacing the previous
// run of (r.StoreHash, r.Kind) but keeping the high-water of the kind's last
// completed run. Status defaults to running, StartedAt to now.
func (s *Store) StartSyncRun(ctx context.Context, r SyncRun) error {
	if r.StoreHash == "" || r.Kind == "" {
		return fmt.Errorf("store: start sync run: store hash and kind are required: %w", ErrInvalid)
	}
	if r.Status == "" {
		r.Status = SyncRunning
	}
	if r.Resources == nil {
		r.Resources = []ResourceProgress{}
	}
	res, err := json.Marshal(r.Resources)
	if err != nil {
		return fmt.Errorf("store: start sync run: %w", err)
	}
	_, err = s.db.ExecContext(ctx, s.rebind(`INSERT INTO sync_runs (`+syncRunCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (store_hash, kind) DO UPDATE SET workflow_id = excluded.workflow_id, status = excluded.status,
		started_at = excluded.started_at, finished_at = excluded.finished_at, since = excluded.since,
		high_water = excluded.high_water, error = excluded.error, resources = excluded.resources`),
		r.StoreHash, r.Kind, r.WorkflowID, r.Status, s.tv(orNow(r.StartedAt)), s.ntv(r.FinishedAt), s.ntv(r.Since),
		s.ntv(r.HighWater), r.Error, string(res))
	if err != nil {
		return fmt.Errorf("store: start sync run %s/%s: %w", r.StoreHash, r.Kind, err)
	}
	return nil
}

// UpdateSyncProgress replaces the progress of p.Resource in the kind's
// current run. Concurrent updates of different resources do not lose each
// other (the row is locked for the read and the write). ErrNotFound when
// no run exists.
func (s *Store) UpdateSyncProgress(ctx context.Context, storeHash, kind string, p ResourceProgress) error {
	if p.Resource == "" {
		return fmt.Errorf("store: update sync progress: resource is required: %w", ErrInvalid)
	}
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = normTime(now())
	}
	if err := s.editSyncProgress(ctx, storeHash, kind, p.Resource, func(r *ResourceProgress) { *r = p }); err != nil {
		return fmt.Errorf("store: update sync progress %s/%s/%s: %w", storeHash, kind, p.Resource, err)
	}
	return nil
}

// AddSyncProgress adds a page's counts (Done, Pushed, PagesDone,
// Requests) to the progress of delta.Resource in the kind's current run;
// concurrent chunks of one resource each add their own pages.
func (s *Store) AddSyncProgress(ctx context.Context, storeHash, kind string, delta ResourceProgress) error {
	if delta.Resource == "" {
		return fmt.Errorf("store: add sync progress: resource is required: %w", ErrInvalid)
	}
	at := delta.UpdatedAt
	if at.IsZero() {
		at = normTime(now())
	}
	err := s.editSyncProgress(ctx, storeHash, kind, delta.Resource, func(r *ResourceProgress) {
		r.Done += delta.Done
		r.Pushed += delta.Pushed
		r.PagesDone += delta.PagesDone
		r.Requests += delta.Requests
		r.UpdatedAt = at
	})
	if err != nil {
		return fmt.Errorf("store: add sync progress %s/%s/%s: %w", storeHash, kind, delta.Resource, err)
	}
	return nil
}

// editSyncProgress applies edit to one resource's progress (a new entry
// when the run has none) under the run row's lock.
func (s *Store) editSyncProgress(ctx context.Context, storeHash, kind, resource string, edit func(*ResourceProgress)) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var raw string
		err := tx.QueryRowContext(ctx, s.rebind(`SELECT resources FROM sync_runs WHERE store_hash = ? AND kind = ?`+
			s.forUpdate()), storeHash, kind).Scan(&raw)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		var list []ResourceProgress
		if err := json.Unmarshal([]byte(raw), &list); err != nil {
			return fmt.Errorf("decode resources: %w", err)
		}
		i := slices.IndexFunc(list, func(r ResourceProgress) bool { return r.Resource == resource })
		if i < 0 {
			list = append(list, ResourceProgress{Resource: resource, Total: -1})
			i = len(list) - 1
		}
		edit(&list[i])
		b, err := json.Marshal(list)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.rebind(`UPDATE sync_runs SET resources = ? WHERE store_hash = ? AND kind = ?`),
			string(b), storeHash, kind)
		return err
	})
}

// FinishSyncRun ends the kind's current run with status (completed, failed
// or cancelled) and errText. ErrNotFound when no run exists. (Where the
// next sync of a resource starts is the syncer's rule: a high-water mark
// per resource, written when its copy completes.)
func (s *Store) FinishSyncRun(ctx context.Context, storeHash, kind, status, errText string, finishedAt time.Time) error {
	switch status {
	case SyncCompleted, SyncFailed, SyncCancelled:
	default:
		return fmt.Errorf("store: finish sync run: status %q: %w", status, ErrInvalid)
	}
	res, err := s.db.ExecContext(ctx, s.rebind(`UPDATE sync_runs SET status = ?, error = ?, finished_at = ?
		WHERE store_hash = ? AND kind = ?`),
		status, errText, s.tv(orNow(finishedAt)), storeHash, kind)
	if err != nil {
		return fmt.Errorf("store: finish sync run %s/%s: %w", storeHash, kind, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("store: finish sync run %s/%s: %w", storeHash, kind, ErrNotFound)
	}
	return nil
}

// SyncRuns returns the store's latest run of each kind, by kind.
func (s *Store) SyncRuns(ctx context.Context, storeHash string) ([]SyncRun, error) {
	rows, err := s.rdb.QueryContext(ctx, s.rebind(`SELECT `+syncRunCols+` FROM sync_runs WHERE store_hash = ?
		ORDER BY kind`), storeHash)
	if err != nil {
		return nil, fmt.Errorf("store: sync runs: %w", err)
	}
	defer rows.Close()
	var out []SyncRun
	for rows.Next() {
		r, err := scanSyncRun(rows)
		if err != nil {
			return nil, fmt.Errorf("store: sync runs: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: sync runs: %w", err)
	}
	return out, nil
}

// SyncRunOf returns the store's latest run of kind, or ErrNotFound.
func (s *Store) SyncRunOf(ctx context.Context, storeHash, kind string) (SyncRun, error) {
	r, err := scanSyncRun(s.rdb.QueryRowContext(ctx, s.rebind(`SELECT `+syncRunCols+` FROM sync_runs
		WHERE store_hash = ? AND kind = ?`), storeHash, kind))
	if errors.Is(err, sql.ErrNoRows) {
		return SyncRun{}, fmt.Errorf("store: sync run %s/%s: %w", storeHash, kind, ErrNotFound)
	}
	if err != nil {
		return SyncRun{}, fmt.Errorf("store: sync run %s/%s: %w", storeHash, kind, err)
	}
	return r, nil
}

func scanSyncRun(sc interface{ Scan(...any) error }) (SyncRun, error) {
	var r SyncRun
	var raw string
	err := sc.Scan(&r.StoreHash, &r.Kind, &r.WorkflowID, &r.Status, (*dbTime)(&r.StartedAt), (*dbTime)(&r.FinishedAt),
		(*dbTime)(&r.Since), (*dbTime)(&r.HighWater), &r.Error, &raw)
	if err != nil {
		return SyncRun{}, err
	}
	if err := json.Unmarshal([]byte(raw), &r.Resources); err != nil {
		return SyncRun{}, fmt.Errorf("decode resources: %w", err)
	}
	return r, nil
}
