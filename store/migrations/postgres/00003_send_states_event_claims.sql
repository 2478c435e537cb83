-- Messages get a real state machine: reserved -> attempting (set just
-- before the request leaves) -> sent | refused (the provider refused it,
-- with its reason) | unknown (an SMS or WhatsApp attempt whose fate is
-- unknown). The old 'failed' rows become 'unknown' when they were
-- uncertain and 'refused' otherwise.
-- Provider events are claimed before they are tracked and confirmed after,
-- so that each is tracked once and a failed track is retried.
-- The SQLite twin (../sqlite/00003_send_states_event_claims.sql) must keep
-- the same constraints.

-- +goose Up
ALTER TABLE messages DROP CONSTRAINT messages_status_check;
UPDATE messages SET status = CASE WHEN error LIKE 'uncertain:%' THEN 'unknown' ELSE 'refused' END WHERE status = 'failed';
ALTER TABLE messages ADD CONSTRAINT messages_status_check
    CHECK (status IN ('reserved', 'attempting', 'sent', 'refused', 'unknown'));

CREATE TABLE event_claims (
    store_hash   TEXT        NOT NULL,
    event_key    TEXT        NOT NULL,
    name         TEXT        NOT NULL,
    status       TEXT        NOT NULL CHECK (status IN ('claimed', 'confirmed')),
    claimed_at   TIMESTAMPTZ NOT NULL,
    confirmed_at TIMESTAMPTZ,
    PRIMARY KEY (store_hash, event_key)
);

-- +goose Down
DROP TABLE event_claims;
ALTER TABLE messages DROP CONSTRAINT messages_status_check;
UPDATE messages SET status = CASE status WHEN 'attempting' THEN 'reserved' ELSE 'failed' END
    WHERE status IN ('attempting', 'refused', 'unknown');
ALTER TABLE messages ADD CONSTRAINT messages_status_check CHECK (status IN ('reserved', 'sent', 'failed'));
