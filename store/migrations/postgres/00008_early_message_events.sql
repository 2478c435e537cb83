-- Brevo may report a message's delivery, open or click before bcflow has
-- marked the message sent (the send's answer outran the store, or the store
-- was down when the send came back and the activity is retrying): such an
-- event waits here by the provider's message id until MarkMessageSent
-- adopts it. Rows nobody adopts are pruned after a week.
-- The SQLite twin (../sqlite/00008_early_message_events.sql) must keep the
-- same tables and constraints.

-- A decision's reason_key is its reason as the rollups group it (cut at
-- its first ": ", numbers and addresses blanked: see store.reasonKey), so
-- reasons that carry an error text, an id or an address do not make a
-- rollup row each. Rows written before have none (no rewrite of a large
-- table): the rollups group them by their reason as it was.

-- +goose Up
ALTER TABLE decisions ADD COLUMN reason_key TEXT NOT NULL DEFAULT '';
CREATE TABLE message_events_early (
    provider_message_id TEXT        NOT NULL,
    event               TEXT        NOT NULL,
    at                  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (provider_message_id, event)
);
CREATE INDEX message_events_early_at_idx ON message_events_early (at);

-- +goose Down
DROP TABLE message_events_early;
ALTER TABLE decisions DROP COLUMN reason_key;
