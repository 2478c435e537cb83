-- A decision carries the shopper's email (lower-cased) when the flow knows
-- it, so a registered customer's timeline is found by email as well as by
-- customer id.

-- +goose Up
ALTER TABLE decisions ADD COLUMN email TEXT NOT NULL DEFAULT '';
CREATE INDEX decisions_email_idx ON decisions (store_hash, email, at, id);

-- +goose Down
DROP INDEX decisions_email_idx;
ALTER TABLE decisions DROP COLUMN email;
