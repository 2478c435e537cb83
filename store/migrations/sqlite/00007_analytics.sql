-- Analytics (issue 14): daily rollups kept by the store's own write paths
-- (one row per store, channel, kind, day and key; channel 0 is the whole
-- store), the channel and amount of a decision, the flow and step of a
-- message, and the delivery and engagement events of messages.
-- Money is INTEGER ten-thousandths of the currency unit (store.Money).
-- SQLite twin of ../postgres/00007_analytics.sql: times are INTEGER unix
-- microseconds; SQLite compares TEXT bytewise already.

-- +goose Up
CREATE TABLE rollups (
    store_hash TEXT NOT NULL,
    channel_id INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    day        TEXT NOT NULL,
    k1         TEXT NOT NULL DEFAULT '',
    k2         TEXT NOT NULL DEFAULT '',
    k3         TEXT NOT NULL DEFAULT '',
    k4         TEXT NOT NULL DEFAULT '',
    n          INTEGER NOT NULL DEFAULT 0,
    amount     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (store_hash, channel_id, kind, day, k1, k2, k3, k4)
);

ALTER TABLE decisions ADD COLUMN channel_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE decisions ADD COLUMN amount INTEGER NOT NULL DEFAULT 0;

ALTER TABLE messages ADD COLUMN flow TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN step TEXT NOT NULL DEFAULT '';
CREATE INDEX messages_provider_message_id_idx ON messages (provider_message_id);

CREATE TABLE message_events (
    message_id INTEGER NOT NULL,
    event      TEXT NOT NULL,
    at         INTEGER NOT NULL,
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
