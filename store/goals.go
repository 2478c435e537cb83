package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// GoalReached records that an order reached a flow's goal (e.g. a recovered
// cart), once per (store, order, goal).
type GoalReached struct {
	StoreHash   string
	OrderID     int64
	CustomerKey string
	Goal        string // e.g. "cart_recovered"
	WorkflowID  string // the workflow credited, if any
	At          time.Time
}

// RecordGoal stores g unless the same (store, order, goal) is stored; fresh
// is false for a repeat.
func (s *Store) RecordGoal(ctx context.Context, g GoalReached) (fresh bool, err error) {
	if g.StoreHash == "" || g.Goal == "" || g.OrderID <= 0 {
		return false, fmt.Errorf("store: record goal %q for order %d: store hash, goal and order id are required: %w",
			g.Goal, g.OrderID, ErrInvalid)
	}
	res, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO goals_reached
		(store_hash, order_id, customer_key, goal, workflow_id, at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`),
		g.StoreHash, g.OrderID, g.CustomerKey, g.Goal, g.WorkflowID, s.tv(orNow(g.At)))
	if err != nil {
		return false, fmt.Errorf("store: record goal %q for order %d: %w", g.Goal, g.OrderID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: record goal %q for order %d: %w", g.Goal, g.OrderID, err)
	}
	return n == 1, nil
}

// GetGoal returns the record of (storeHash, orderID, goal), or ErrNotFound.
// A caller whose RecordGoal answered fresh=false uses it to tell its own
// earlier, retried write (same WorkflowID and At) from someone else's.
func (s *Store) GetGoal(ctx context.Context, storeHash string, orderID int64, goal string) (GoalReached, error) {
	var g GoalReached
	err := s.rdb.QueryRowContext(ctx, s.rebind(`SELECT store_hash, order_id, customer_key, goal, workflow_id, at FROM goals_reached
		WHERE store_hash = ? AND order_id = ? AND goal = ?`), storeHash, orderID, goal).
		Scan(&g.StoreHash, &g.OrderID, &g.CustomerKey, &g.Goal, &g.WorkflowID, (*dbTime)(&g.At))
	if errors.Is(err, sql.ErrNoRows) {
		return GoalReached{}, fmt.Errorf("store: get goal %q of order %d: %w", goal, orderID, ErrNotFound)
	}
	if err != nil {
		return GoalReached{}, fmt.Errorf("store: get goal %q of order %d: %w", goal, orderID, err)
	}
	return g, nil
}
