-- Customer segments (issue 13): the side tables the rule compiler reads
-- (an order's coupon codes and a product's categories, one row each, kept by
-- UpsertOrders and UpsertProducts), segment membership (one row per stint:
-- entered, maybe left, and where each crossing stands with BigCommerce,
-- Brevo and the segment flows), the BigCommerce shopper profiles bcflow
-- created, and each segment's BigCommerce segment and Brevo list.
--
-- Push states (bc_state, brevo_state): 0 nothing to do (left before it was
-- ever added), 1 pending add, 2 added, 3 pending remove, 4 removed, 5 not
-- applicable (a guest in BigCommerce, or skipped). flows_state is a bit set:
-- 1 entry dispatched, 2 leave dispatched.

-- +goose Up
CREATE TABLE mirror_order_coupons (
    store_hash TEXT NOT NULL,
    order_id   BIGINT NOT NULL,
    code_lc    TEXT NOT NULL,
    PRIMARY KEY (store_hash, order_id, code_lc)
);
CREATE INDEX mirror_order_coupons_code_idx ON mirror_order_coupons (store_hash, code_lc);
INSERT INTO mirror_order_coupons (store_hash, order_id, code_lc)
SELECT DISTINCT o.store_hash, o.id, lower(btrim(e.code))
FROM mirror_orders o, jsonb_array_elements_text(o.coupon_codes) AS e(code)
WHERE jsonb_typeof(o.coupon_codes) = 'array' AND btrim(e.code) <> ''
ON CONFLICT DO NOTHING;

CREATE TABLE mirror_product_categories (
    store_hash  TEXT NOT NULL,
    product_id  BIGINT NOT NULL,
    category_id BIGINT NOT NULL,
    PRIMARY KEY (store_hash, product_id, category_id)
);
CREATE INDEX mirror_product_categories_category_idx ON mirror_product_categories (store_hash, category_id);
INSERT INTO mirror_product_categories (store_hash, product_id, category_id)
SELECT DISTINCT p.store_hash, p.id, e.id::bigint
FROM mirror_products p, jsonb_array_elements_text(p.category_ids) AS e(id)
WHERE jsonb_typeof(p.category_ids) = 'array' AND e.id ~ '^-?[0-9]+$'
ON CONFLICT DO NOTHING;

CREATE INDEX shopper_stats_first_order_idx ON shopper_stats (store_hash, first_order_at);

-- The key columns of segment memberships compare bytewise (COLLATE "C"):
-- a full evaluation inserts a row per member into six indexes, and locale
-- comparisons made that about twice as slow; equality with the mirror's
-- columns is unaffected, and pages by email follow byte order (as Go's).
CREATE TABLE segment_memberships (
    store_hash  TEXT COLLATE "C" NOT NULL,
    segment     TEXT COLLATE "C" NOT NULL,
    email_lc    TEXT COLLATE "C" NOT NULL,
    entered_at  TIMESTAMPTZ NOT NULL,
    customer_id BIGINT NOT NULL DEFAULT 0,
    left_at     TIMESTAMPTZ,
    bc_state    SMALLINT NOT NULL DEFAULT 1,
    brevo_state SMALLINT NOT NULL DEFAULT 1,
    flows_state SMALLINT NOT NULL DEFAULT 0,
    PRIMARY KEY (store_hash, email_lc, segment, entered_at)
);
CREATE UNIQUE INDEX segment_memberships_current_idx ON segment_memberships (store_hash, segment, email_lc)
    WHERE left_at IS NULL;
CREATE INDEX segment_memberships_entered_idx ON segment_memberships (store_hash, segment, entered_at);
CREATE INDEX segment_memberships_bc_add_idx ON segment_memberships (store_hash, entered_at) WHERE bc_state = 1;
CREATE INDEX segment_memberships_bc_remove_idx ON segment_memberships (store_hash, left_at) WHERE bc_state = 3;
CREATE INDEX segment_memberships_brevo_add_idx ON segment_memberships (store_hash, entered_at) WHERE brevo_state = 1;
CREATE INDEX segment_memberships_brevo_remove_idx ON segment_memberships (store_hash, left_at) WHERE brevo_state = 3;
CREATE INDEX segment_memberships_flows_entry_idx ON segment_memberships (store_hash, entered_at)
    WHERE flows_state IN (0, 2);
CREATE INDEX segment_memberships_flows_leave_idx ON segment_memberships (store_hash, left_at)
    WHERE left_at IS NOT NULL AND flows_state IN (0, 1);

CREATE TABLE bc_shopper_profiles (
    store_hash  TEXT NOT NULL,
    customer_id BIGINT NOT NULL,
    profile_id  TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (store_hash, customer_id)
);

CREATE TABLE segment_targets (
    store_hash    TEXT NOT NULL,
    segment       TEXT COLLATE "C" NOT NULL,
    bc_segment_id TEXT NOT NULL DEFAULT '',
    brevo_list_id BIGINT NOT NULL DEFAULT 0,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (store_hash, segment)
);

-- +goose Down
DROP TABLE segment_targets;
DROP TABLE bc_shopper_profiles;
DROP TABLE segment_memberships;
DROP INDEX shopper_stats_first_order_idx;
DROP TABLE mirror_product_categories;
DROP TABLE mirror_order_coupons;
