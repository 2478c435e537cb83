-- The store mirror (issue 12): customers, orders and their lines, products,
-- categories and carts copied from BigCommerce; per-shopper figures kept
-- incrementally; what the provider last accepted; the store syncs' runs.
-- Money columns are INTEGER ten-thousandths of the currency unit (store.Money).
-- SQLite twin: times are INTEGER unix microseconds, JSON is TEXT.

-- +goose Up
CREATE TABLE mirror_customers (
    store_hash        TEXT NOT NULL,
    id                INTEGER NOT NULL,
    email             TEXT NOT NULL DEFAULT '',
    email_lc          TEXT NOT NULL DEFAULT '',
    first_name        TEXT NOT NULL DEFAULT '',
    last_name         TEXT NOT NULL DEFAULT '',
    phone             TEXT NOT NULL DEFAULT '',
    company           TEXT NOT NULL DEFAULT '',
    group_id          INTEGER NOT NULL DEFAULT 0,
    channel_ids       TEXT NOT NULL DEFAULT '[]',
    accepts_marketing INTEGER NOT NULL DEFAULT 0,
    store_credit      INTEGER NOT NULL DEFAULT 0,
    country           TEXT NOT NULL DEFAULT '',
    address_count     INTEGER NOT NULL DEFAULT 0,
    address_summary   TEXT NOT NULL DEFAULT '',
    b2b_company_id    INTEGER NOT NULL DEFAULT 0,
    b2b_company_name  TEXT NOT NULL DEFAULT '',
    attributes        TEXT NOT NULL DEFAULT '{}',
    date_created      INTEGER,
    date_modified     INTEGER,
    PRIMARY KEY (store_hash, id)
);
CREATE INDEX mirror_customers_email_idx ON mirror_customers (store_hash, email_lc);
CREATE INDEX mirror_customers_group_idx ON mirror_customers (store_hash, group_id);

CREATE TABLE mirror_orders (
    store_hash       TEXT NOT NULL,
    id               INTEGER NOT NULL,
    customer_id      INTEGER NOT NULL DEFAULT 0,
    email            TEXT NOT NULL DEFAULT '',
    -- email_lc is the shopper the order counts for: its customer's email
    -- when the customer is mirrored, else its own, lower-cased and trimmed.
    email_lc         TEXT NOT NULL DEFAULT '',
    channel_id       INTEGER NOT NULL DEFAULT 0,
    status_id        INTEGER NOT NULL DEFAULT 0,
    status           TEXT NOT NULL DEFAULT '',
    subtotal_ex_tax  INTEGER NOT NULL DEFAULT 0,
    subtotal_inc_tax INTEGER NOT NULL DEFAULT 0,
    total_ex_tax     INTEGER NOT NULL DEFAULT 0,
    total_inc_tax    INTEGER NOT NULL DEFAULT 0,
    refunded_amount  INTEGER NOT NULL DEFAULT 0,
    currency         TEXT NOT NULL DEFAULT '',
    coupon_codes     TEXT NOT NULL DEFAULT '[]',
    date_created     INTEGER,
    date_modified    INTEGER,
    -- counted (0/1) and contribution are what the order adds to its
    -- shopper's figures, so an update applies new minus old.
    counted          INTEGER NOT NULL DEFAULT 0,
    contribution     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (store_hash, id)
);
CREATE INDEX mirror_orders_shopper_idx ON mirror_orders (store_hash, email_lc, counted, date_created);
CREATE INDEX mirror_orders_customer_idx ON mirror_orders (store_hash, customer_id);
CREATE INDEX mirror_orders_modified_idx ON mirror_orders (store_hash, date_modified);

CREATE TABLE mirror_order_lines (
    store_hash TEXT NOT NULL,
    order_id   INTEGER NOT NULL,
    line_id    INTEGER NOT NULL,
    product_id INTEGER NOT NULL DEFAULT 0,
    variant_id INTEGER NOT NULL DEFAULT 0,
    sku        TEXT NOT NULL DEFAULT '',
    name       TEXT NOT NULL DEFAULT '',
    quantity   INTEGER NOT NULL DEFAULT 0,
    price      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (store_hash, order_id, line_id)
);
CREATE INDEX mirror_order_lines_sku_idx ON mirror_order_lines (store_hash, sku);
CREATE INDEX mirror_order_lines_product_idx ON mirror_order_lines (store_hash, product_id);

CREATE TABLE mirror_products (
    store_hash    TEXT NOT NULL,
    id            INTEGER NOT NULL,
    name          TEXT NOT NULL DEFAULT '',
    sku           TEXT NOT NULL DEFAULT '',
    price         INTEGER NOT NULL DEFAULT 0,
    category_ids  TEXT NOT NULL DEFAULT '[]',
    images        TEXT NOT NULL DEFAULT '[]',
    url           TEXT NOT NULL DEFAULT '',
    custom_fields TEXT NOT NULL DEFAULT '{}',
    availability  TEXT NOT NULL DEFAULT '',
    variants      TEXT NOT NULL DEFAULT '[]',
    date_modified INTEGER,
    PRIMARY KEY (store_hash, id)
);
CREATE INDEX mirror_products_sku_idx ON mirror_products (store_hash, sku);

CREATE TABLE mirror_categories (
    store_hash TEXT NOT NULL,
    id         INTEGER NOT NULL,
    parent_id  INTEGER NOT NULL DEFAULT 0,
    name       TEXT NOT NULL DEFAULT '',
    url        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (store_hash, id)
);

CREATE TABLE mirror_carts (
    store_hash   TEXT NOT NULL,
    id           TEXT NOT NULL,
    customer_id  INTEGER NOT NULL DEFAULT 0,
    email        TEXT NOT NULL DEFAULT '',
    email_lc     TEXT NOT NULL DEFAULT '',
    channel_id   INTEGER NOT NULL DEFAULT 0,
    amount       INTEGER NOT NULL DEFAULT 0,
    currency     TEXT NOT NULL DEFAULT '',
    item_count   INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER,
    updated_at   INTEGER,
    abandoned_at INTEGER,
    order_id     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (store_hash, id)
);
CREATE INDEX mirror_carts_email_idx ON mirror_carts (store_hash, email_lc);

CREATE TABLE shopper_stats (
    store_hash     TEXT NOT NULL,
    email_lc       TEXT NOT NULL,
    customer_id    INTEGER NOT NULL DEFAULT 0,
    orders_count   INTEGER NOT NULL DEFAULT 0,
    total_spent    INTEGER NOT NULL DEFAULT 0,
    first_order_at INTEGER,
    last_order_at  INTEGER,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (store_hash, email_lc)
);
CREATE INDEX shopper_stats_last_order_idx ON shopper_stats (store_hash, last_order_at);
CREATE INDEX shopper_stats_customer_idx ON shopper_stats (store_hash, customer_id);

CREATE TABLE provider_pushes (
    store_hash TEXT NOT NULL,
    kind       TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    pushed_at  INTEGER NOT NULL,
    PRIMARY KEY (store_hash, kind, entity_id)
);

CREATE TABLE sync_runs (
    store_hash         TEXT NOT NULL,
    kind               TEXT NOT NULL,
    workflow_id        TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL,
    started_at         INTEGER NOT NULL,
    finished_at        INTEGER,
    since              INTEGER,
    high_water         INTEGER,
    error              TEXT NOT NULL DEFAULT '',
    resources          TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (store_hash, kind)
);

-- +goose Down
DROP TABLE sync_runs;
DROP TABLE provider_pushes;
DROP TABLE shopper_stats;
DROP TABLE mirror_carts;
DROP TABLE mirror_categories;
DROP TABLE mirror_products;
DROP TABLE mirror_order_lines;
DROP TABLE mirror_orders;
DROP TABLE mirror_customers;
