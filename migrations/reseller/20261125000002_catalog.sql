-- API keys, the catalog (shows, ticket types), idempotency records and the
-- catalog change feed.
--
-- Every table holding a reseller's data has reseller_id first in its primary
-- key and in its foreign keys, so the schema can later be distributed by
-- reseller_id (Citus) without redesign.

CREATE TABLE reseller.api_keys (
    reseller_id    uuid        NOT NULL REFERENCES reseller.resellers (reseller_id),
    key_id         uuid        NOT NULL,
    name           text        NOT NULL,
    display_prefix text        NOT NULL,
    -- SHA-256 of the whole key; the key itself is never stored.
    key_hash       bytea       NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_used_at   timestamptz,
    revoked_at     timestamptz,
    PRIMARY KEY (reseller_id, key_id)
);
-- Authentication looks keys up by hash before it knows the tenant.
CREATE UNIQUE INDEX api_keys_key_hash_key ON reseller.api_keys (key_hash);

CREATE TABLE reseller.shows (
    reseller_id    uuid        NOT NULL REFERENCES reseller.resellers (reseller_id),
    show_id        uuid        NOT NULL,
    name           text        NOT NULL,
    venue          text        NOT NULL,
    starts_at      timestamptz NOT NULL,
    sales_start_at timestamptz NOT NULL,
    sales_end_at   timestamptz NOT NULL,
    status         text        NOT NULL CHECK (status IN ('draft', 'published', 'cancelled')),
    version        bigint      NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, show_id),
    CHECK (sales_start_at < sales_end_at AND sales_end_at <= starts_at)
);

CREATE TABLE reseller.ticket_types (
    reseller_id      uuid        NOT NULL,
    ticket_type_id   uuid        NOT NULL,
    show_id          uuid        NOT NULL,
    name             text        NOT NULL,
    unit_price_minor bigint      NOT NULL CHECK (unit_price_minor >= 0),
    currency         text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    capacity         bigint      NOT NULL CHECK (capacity >= 0),
    -- Paid minus refunded, maintained by the ingest of sale events.
    sold             bigint      NOT NULL DEFAULT 0,
    version          bigint      NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, ticket_type_id),
    FOREIGN KEY (reseller_id, show_id) REFERENCES reseller.shows (reseller_id, show_id)
);
CREATE INDEX ticket_types_by_show ON reseller.ticket_types (reseller_id, show_id, ticket_type_id);

-- Idempotency-Key records. reseller_id is the nil UUID for the public
-- registration endpoint (written in platform scope). Responses are stored
-- encrypted under the key.
CREATE TABLE reseller.idempotency_keys (
    reseller_id     uuid        NOT NULL,
    key_hash        bytea       NOT NULL,
    fingerprint     bytea       NOT NULL,
    response_status smallint    NOT NULL,
    response_body   bytea       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, key_hash)
);
CREATE INDEX idempotency_keys_by_age ON reseller.idempotency_keys (created_at);

-- The catalog change feed. Positions are taken from a single counter row
-- as the last step of each writing transaction: the row lock is held until
-- commit, so positions are handed out in commit order and a reader that
-- follows them can never skip a transaction that commits late (a plain
-- bigserial can: its values are taken at insert time, not at commit).
CREATE TABLE reseller.catalog_feed_position (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_seq  bigint  NOT NULL
);
INSERT INTO reseller.catalog_feed_position (singleton, last_seq) VALUES (true, 0);

CREATE TABLE reseller.catalog_changes (
    reseller_id    uuid        NOT NULL,
    seq            bigint      NOT NULL,
    entity         text        NOT NULL CHECK (entity IN ('show', 'ticket_type')),
    action         text        NOT NULL CHECK (action IN ('created', 'updated')),
    show_id        uuid        NOT NULL,
    ticket_type_id uuid,
    snapshot       jsonb       NOT NULL,
    changed_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, seq)
);
CREATE UNIQUE INDEX catalog_changes_by_seq ON reseller.catalog_changes (seq);

-- Row-level security, a second wall behind the scoped queries. Each
-- transaction states whom it acts for with set_config(..., is_local => true),
-- so nothing leaks to the next user of a pooled connection:
--   app.reseller_id = '<uuid>'  a reseller's request sees only its rows;
--   app.scope = 'platform'      authentication, registration, the internal
--                               API and the feeds see every row.
-- A transaction that sets neither sees nothing. FORCE applies the policies
-- to the tables' owner, which is the role the service connects as.
CREATE FUNCTION reseller.row_visible(row_reseller_id uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('app.scope', true), '') = 'platform'
        OR row_reseller_id = nullif(current_setting('app.reseller_id', true), '')::uuid
$$;

ALTER TABLE reseller.resellers ENABLE ROW LEVEL SECURITY;
ALTER TABLE reseller.resellers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON reseller.resellers USING (reseller.row_visible(reseller_id));

ALTER TABLE reseller.api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE reseller.api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON reseller.api_keys USING (reseller.row_visible(reseller_id));

ALTER TABLE reseller.shows ENABLE ROW LEVEL SECURITY;
ALTER TABLE reseller.shows FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON reseller.shows USING (reseller.row_visible(reseller_id));

ALTER TABLE reseller.ticket_types ENABLE ROW LEVEL SECURITY;
ALTER TABLE reseller.ticket_types FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON reseller.ticket_types USING (reseller.row_visible(reseller_id));

ALTER TABLE reseller.catalog_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE reseller.catalog_changes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON reseller.catalog_changes USING (reseller.row_visible(reseller_id));

ALTER TABLE reseller.idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE reseller.idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON reseller.idempotency_keys USING (reseller.row_visible(reseller_id));
