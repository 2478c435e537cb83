-- SQLite twin of ../postgres/00008_early_message_events.sql: events that
-- arrive before their message is marked sent wait here for MarkMessageSent.
-- Times are INTEGER unix microseconds.

-- +goose Up
CREATE TABLE message_events_early (
    provider_message_id TEXT    NOT NULL,
    event               TEXT    NOT NULL,
    at                  INTEGER NOT NULL,
    PRIMARY KEY (provider_message_id, event)
);
CREATE INDEX message_events_early_at_idx ON message_events_early (at);

-- +goose Down
DROP TABLE message_events_early;
