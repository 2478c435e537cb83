-- bcflow store schema, PostgreSQL dialect.
-- Times are TIMESTAMPTZ (microsecond precision; the Go side writes UTC).
-- The SQLite twin of this file (../sqlite/00001_init.sql) must keep the same
-- tables, columns and constraints.

-- +goose Up

-- Dedupe of BigCommerce webhook redeliveries. BigCommerce's hash is not unique
-- per event (every update of one cart has the same hash), so its created_at
-- (unix seconds) is part of the key.
CREATE TABLE webhook_deliveries (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_hash     TEXT        NOT NULL,
    scope          TEXT        NOT NULL,
    hash           TEXT        NOT NULL,
    created_at     BIGINT      NOT NULL,
    received_at    TIMESTAMPTZ NOT NULL,
    payload_digest TEXT        NOT NULL DEFAULT '',
    outcome        TEXT        NOT NULL DEFAULT '',
    CONSTRAINT webhook_deliveries_key UNIQUE (store_hash, scope, hash, created_at)
);
CREATE INDEX webhook_deliveries_received_at_idx ON webhook_deliveries (received_at);

-- Exactly-once message sends.
CREATE TABLE messages (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key     TEXT        NOT NULL,
    store_hash          TEXT        NOT NULL,
    channel_id          BIGINT      NOT NULL DEFAULT 0,
    customer_key        TEXT        NOT NULL DEFAULT '',
    email               TEXT        NOT NULL DEFAULT '',
    phone               TEXT        NOT NULL DEFAULT '',
    channel             TEXT        NOT NULL,
    template            TEXT        NOT NULL DEFAULT '',
    status              TEXT        NOT NULL CHECK (status IN ('reserved', 'sent', 'failed')),
    provider_message_id TEXT        NOT NULL DEFAULT '',
    error               TEXT        NOT NULL DEFAULT '',
    created_at          TIMESTAMPTZ NOT NULL,
    sent_at             TIMESTAMPTZ,
    updated_at          TIMESTAMPTZ NOT NULL,
    CONSTRAINT messages_idempotency_key UNIQUE (idempotency_key)
);
CREATE INDEX messages_frequency_idx ON messages (store_hash, customer_key, channel, created_at);

-- Decision log: the customer timeline.
CREATE TABLE decisions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dedupe_key   TEXT        NOT NULL,
    store_hash   TEXT        NOT NULL,
    customer_key TEXT        NOT NULL DEFAULT '',
    workflow_id  TEXT        NOT NULL DEFAULT '',
    flow         TEXT        NOT NULL DEFAULT '',
    step         TEXT        NOT NULL DEFAULT '',
    decision     TEXT        NOT NULL,
    reason       TEXT        NOT NULL DEFAULT '',
    details      TEXT        NOT NULL DEFAULT '{}',
    at           TIMESTAMPTZ NOT NULL,
    CONSTRAINT decisions_dedupe_key UNIQUE (dedupe_key)
);
CREATE INDEX decisions_customer_idx ON decisions (store_hash, customer_key, at, id);
CREATE INDEX decisions_workflow_idx ON decisions (workflow_id, at, id);

-- Per-customer loyalty account, kept in step with loyalty_ledger inside the
-- same transaction; its row is the lock that serialises balance changes.
CREATE TABLE loyalty_accounts (
    store_hash      TEXT        NOT NULL,
    customer_id     BIGINT      NOT NULL,
    balance         BIGINT      NOT NULL DEFAULT 0 CHECK (balance >= 0),
    lifetime_earned BIGINT      NOT NULL DEFAULT 0,
    tier            TEXT        NOT NULL DEFAULT '',
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (store_hash, customer_id)
);

CREATE TABLE loyalty_ledger (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key TEXT        NOT NULL,
    store_hash      TEXT        NOT NULL,
    channel_id      BIGINT      NOT NULL DEFAULT 0,
    customer_id     BIGINT      NOT NULL,
    order_id        BIGINT,
    kind            TEXT        NOT NULL CHECK (kind IN ('award', 'reversal', 'bonus', 'redemption', 'adjustment')),
    points          BIGINT      NOT NULL,
    reason          TEXT        NOT NULL DEFAULT '',
    coupon_code     TEXT        NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    CONSTRAINT loyalty_ledger_idempotency_key UNIQUE (idempotency_key),
    CONSTRAINT loyalty_ledger_order_kind UNIQUE (store_hash, order_id, kind)
);
CREATE INDEX loyalty_ledger_customer_idx ON loyalty_ledger (store_hash, customer_id, created_at, id);

CREATE TABLE sync_state (
    store_hash TEXT        NOT NULL,
    resource   TEXT        NOT NULL,
    cursor     TEXT        NOT NULL DEFAULT '',
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (store_hash, resource)
);

-- Unsubscribes and hard bounces. store_hash '*' applies to every store;
-- email is stored lowercased.
CREATE TABLE suppressions (
    store_hash TEXT        NOT NULL,
    email      TEXT        NOT NULL,
    reason     TEXT        NOT NULL DEFAULT '',
    at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (store_hash, email)
);
CREATE INDEX suppressions_email_idx ON suppressions (email);

CREATE TABLE goals_reached (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_hash   TEXT        NOT NULL,
    order_id     BIGINT      NOT NULL,
    customer_key TEXT        NOT NULL DEFAULT '',
    goal         TEXT        NOT NULL,
    workflow_id  TEXT        NOT NULL DEFAULT '',
    at           TIMESTAMPTZ NOT NULL,
    CONSTRAINT goals_reached_key UNIQUE (store_hash, order_id, goal)
);

-- +goose Down
DROP TABLE goals_reached;
DROP TABLE suppressions;
DROP TABLE sync_state;
DROP TABLE loyalty_ledger;
DROP TABLE loyalty_accounts;
DROP TABLE decisions;
DROP TABLE messages;
DROP TABLE webhook_deliveries;
