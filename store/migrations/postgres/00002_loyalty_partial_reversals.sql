-- Several reversals per order: each partial refund of an order is its own
-- reversal entry (with its own idempotency key), so the one-entry-per-
-- (store, order, kind) rule now holds for every kind except reversals.
-- The SQLite twin (../sqlite/00002_loyalty_partial_reversals.sql) must keep
-- the same constraints.

-- +goose Up
ALTER TABLE loyalty_ledger DROP CONSTRAINT loyalty_ledger_order_kind;
CREATE UNIQUE INDEX loyalty_ledger_order_kind ON loyalty_ledger (store_hash, order_id, kind) WHERE kind <> 'reversal';
CREATE INDEX loyalty_ledger_order_idx ON loyalty_ledger (store_hash, order_id) WHERE order_id IS NOT NULL;

-- +goose Down
-- Fails while an order has several reversals (merge them by hand first).
DROP INDEX loyalty_ledger_order_idx;
DROP INDEX loyalty_ledger_order_kind;
ALTER TABLE loyalty_ledger ADD CONSTRAINT loyalty_ledger_order_kind UNIQUE (store_hash, order_id, kind);
