-- Several reversals per order: each partial refund of an order is its own
-- reversal entry (with its own idempotency key), so the one-entry-per-
-- (store, order, kind) rule now holds for every kind except reversals.
-- SQLite cannot drop a table constraint: the table is rebuilt. The
-- PostgreSQL twin (../postgres/00002_loyalty_partial_reversals.sql) must
-- keep the same constraints.

-- +goose Up
CREATE TABLE loyalty_ledger_v2 (
    id              INTEGER PRIMARY KEY,
    idempotency_key TEXT        NOT NULL,
    store_hash      TEXT        NOT NULL,
    channel_id      INTEGER     NOT NULL DEFAULT 0,
    customer_id     INTEGER     NOT NULL,
    order_id        INTEGER,
    kind            TEXT        NOT NULL CHECK (kind IN ('award', 'reversal', 'bonus', 'redemption', 'adjustment')),
    points          INTEGER     NOT NULL,
    reason          TEXT        NOT NULL DEFAULT '',
    coupon_code     TEXT        NOT NULL DEFAULT '',
    created_at      INTEGER     NOT NULL,
    CONSTRAINT loyalty_ledger_idempotency_key UNIQUE (idempotency_key)
);
INSERT INTO loyalty_ledger_v2 (id, idempotency_key, store_hash, channel_id, customer_id, order_id, kind, points, reason, coupon_code, created_at)
    SELECT id, idempotency_key, store_hash, channel_id, customer_id, order_id, kind, points, reason, coupon_code, created_at FROM loyalty_ledger;
DROP TABLE loyalty_ledger;
ALTER TABLE loyalty_ledger_v2 RENAME TO loyalty_ledger;
CREATE INDEX loyalty_ledger_customer_idx ON loyalty_ledger (store_hash, customer_id, created_at, id);
CREATE UNIQUE INDEX loyalty_ledger_order_kind ON loyalty_ledger (store_hash, order_id, kind) WHERE kind <> 'reversal';
CREATE INDEX loyalty_ledger_order_idx ON loyalty_ledger (store_hash, order_id) WHERE order_id IS NOT NULL;

-- +goose Down
-- Fails while an order has several reversals (merge them by hand first).
CREATE TABLE loyalty_ledger_v1 (
    id              INTEGER PRIMARY KEY,
    idempotency_key TEXT        NOT NULL,
    store_hash      TEXT        NOT NULL,
    channel_id      INTEGER     NOT NULL DEFAULT 0,
    customer_id     INTEGER     NOT NULL,
    order_id        INTEGER,
    kind            TEXT        NOT NULL CHECK (kind IN ('award', 'reversal', 'bonus', 'redemption', 'adjustment')),
    points          INTEGER     NOT NULL,
    reason          TEXT        NOT NULL DEFAULT '',
    coupon_code     TEXT        NOT NULL DEFAULT '',
    created_at      INTEGER     NOT NULL,
    CONSTRAINT loyalty_ledger_idempotency_key UNIQUE (idempotency_key),
    CONSTRAINT loyalty_ledger_order_kind UNIQUE (store_hash, order_id, kind)
);
INSERT INTO loyalty_ledger_v1 (id, idempotency_key, store_hash, channel_id, customer_id, order_id, kind, points, reason, coupon_code, created_at)
    SELECT id, idempotency_key, store_hash, channel_id, customer_id, order_id, kind, points, reason, coupon_code, created_at FROM loyalty_ledger;
DROP TABLE loyalty_ledger;
ALTER TABLE loyalty_ledger_v1 RENAME TO loyalty_ledger;
CREATE INDEX loyalty_ledger_customer_idx ON loyalty_ledger (store_hash, customer_id, created_at, id);
