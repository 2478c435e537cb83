-- Analytics (issue 14): daily rollups kept by the store's own write paths
-- (one row per store, channel, kind, day and key; channel 0 is the whole
-- store), the channel and amount of a decision, the flow and step of a
-- message, and the delivery and engagement events of messages.
-- Money is BIGINT ten-thousandths of the currency unit (store.Money).
-- The SQLite twin (../sqlite/00007_analytics.sql) keeps the same tables,
-- columns and constraints.

-- +goose Up
-- The key columns compare bytewise (COLLATE "C"): day is 'YYYY-MM-DD' (UTC),
-- so byte order is date order. fillfactor is PostgreSQL's alone (storage).
CREATE TABLE rollups (
    store_hash TEXT COLLATE "C" NOT NULL,
    channel_id BIGINT NOT NULL,
    kind       TEXT COLLATE "C" NOT NULL,
    day        TEXT COLLATE "C" NOT NULL,
    k1         TEXT COLLATE "C" NOT NULL DEFAULT '',
    k2         TEXT COLLATE "C" NOT NULL DEFAULT '',
    k3         TEXT COLLATE "C" NOT NULL DEFAULT '',
    k4         TEXT COLLATE "C" NOT NULL DEFAULT '',
    n          BIGINT NOT NULL DEFAULT 0,
    amount     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (store_hash, channel_id, kind, day, k1, k2, k3, k4)
) WITH (fillfactor = 70); -- room on each page for the bumps' HOT updates, so rows stay where they were

ALTER TABLE decisions ADD COLUMN channel_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE decisions ADD COLUMN amount BIGINT NOT NULL DEFAULT 0;

ALTER TABLE messages ADD COLUMN flow TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN step TEXT NOT NULL DEFAULT '';
CREATE INDEX messages_provider_message_id_idx ON messages (provider_message_id);

CREATE TABLE message_events (
    message_id BIGINT NOT NULL,
    event      TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (message_id, event)
);

-- +goose Down
DROP TABLE message_events;
DROP INDEX messages_provider_message_id_idx;
ALTER TABLE messages DROP COLUMN step;
ALTER TABLE messages DROP COLUMN flow;
ALTER TABLE decisions DROP COLUMN amount;
ALTER TABLE decisions DROP COLUMN channel_id;
DROP TABLE rollups;
