-- Messages get a real state machine: reserved -> attempting (set just
-- before the request leaves) -> sent | refused (the provider refused it,
-- with its reason) | unknown (an SMS or WhatsApp attempt whose fate is
-- unknown). The old 'failed' rows become 'unknown' when they were
-- uncertain and 'refused' otherwise.
-- Provider events are claimed before they are tracked and confirmed after,
-- so that each is tracked once and a failed track is retried.
-- SQLite cannot change a CHECK constraint: the table is rebuilt. The
-- PostgreSQL twin (../postgres/00003_send_states_event_claims.sql) must
-- keep the same constraints.

-- +goose Up
CREATE TABLE messages_v2 (
    id                  INTEGER PRIMARY KEY,
    idempotency_key     TEXT        NOT NULL,
    store_hash          TEXT        NOT NULL,
    channel_id          INTEGER     NOT NULL DEFAULT 0,
    customer_key        TEXT        NOT NULL DEFAULT '',
    email               TEXT        NOT NULL DEFAULT '',
    phone               TEXT        NOT NULL DEFAULT '',
    channel             TEXT        NOT NULL,
    template            TEXT        NOT NULL DEFAULT '',
    status              TEXT        NOT NULL CHECK (status IN ('reserved', 'attempting', 'sent', 'refused', 'unknown')),
    provider_message_id TEXT        NOT NULL DEFAULT '',
    error               TEXT        NOT NULL DEFAULT '',
    created_at          INTEGER     NOT NULL,
    sent_at             INTEGER,
    updated_at          INTEGER     NOT NULL,
    CONSTRAINT messages_idempotency_key UNIQUE (idempotency_key)
);
INSERT INTO messages_v2 (id, idempotency_key, store_hash, channel_id, customer_key, email, phone, channel, template,
        status, provider_message_id, error, created_at, sent_at, updated_at)
    SELECT id, idempotency_key, store_hash, channel_id, customer_key, email, phone, channel, template,
        CASE WHEN status <> 'failed' THEN status WHEN error LIKE 'uncertain:%' THEN 'unknown' ELSE 'refused' END,
        provider_message_id, error, created_at, sent_at, updated_at FROM messages;
DROP TABLE messages;
ALTER TABLE messages_v2 RENAME TO messages;
CREATE INDEX messages_frequency_idx ON messages (store_hash, customer_key, channel, created_at);

CREATE TABLE event_claims (
    store_hash   TEXT        NOT NULL,
    event_key    TEXT        NOT NULL,
    name         TEXT        NOT NULL,
    status       TEXT        NOT NULL CHECK (status IN ('claimed', 'confirmed')),
    claimed_at   INTEGER     NOT NULL,
    confirmed_at INTEGER,
    PRIMARY KEY (store_hash, event_key)
);

-- +goose Down
DROP TABLE event_claims;
CREATE TABLE messages_v1 (
    id                  INTEGER PRIMARY KEY,
    idempotency_key     TEXT        NOT NULL,
    store_hash          TEXT        NOT NULL,
    channel_id          INTEGER     NOT NULL DEFAULT 0,
    customer_key        TEXT        NOT NULL DEFAULT '',
    email               TEXT        NOT NULL DEFAULT '',
    phone               TEXT        NOT NULL DEFAULT '',
    channel             TEXT        NOT NULL,
    template            TEXT        NOT NULL DEFAULT '',
    status              TEXT        NOT NULL CHECK (status IN ('reserved', 'sent', 'failed')),
    provider_message_id TEXT        NOT NULL DEFAULT '',
    error               TEXT        NOT NULL DEFAULT '',
    created_at          INTEGER     NOT NULL,
    sent_at             INTEGER,
    updated_at          INTEGER     NOT NULL,
    CONSTRAINT messages_idempotency_key UNIQUE (idempotency_key)
);
INSERT INTO messages_v1 (id, idempotency_key, store_hash, channel_id, customer_key, email, phone, channel, template,
        status, provider_message_id, error, created_at, sent_at, updated_at)
    SELECT id, idempotency_key, store_hash, channel_id, customer_key, email, phone, channel, template,
        CASE status WHEN 'attempting' THEN 'reserved' WHEN 'refused' THEN 'failed' WHEN 'unknown' THEN 'failed' ELSE status END,
        provider_message_id, error, created_at, sent_at, updated_at FROM messages;
DROP TABLE messages;
ALTER TABLE messages_v1 RENAME TO messages;
CREATE INDEX messages_frequency_idx ON messages (store_hash, customer_key, channel, created_at);
