-- Ingest of ticket-sale events: the event log, the order projection, the
-- 15-minute sales rollups and the quarantine of rejected events.

-- Every accepted event, kept for ever. event_id is the producer's
-- idempotency key and unique across all resellers; content_hash (SHA-256 of
-- the canonical event) tells a duplicate from a conflict. No foreign key to
-- the catalog: references are validated in bulk before the insert.
CREATE TABLE reseller.sale_events (
    reseller_id  uuid        NOT NULL,
    event_id     uuid        NOT NULL,
    type         text        NOT NULL,
    occurred_at  timestamptz NOT NULL,
    show_id      uuid        NOT NULL,
    order_id     uuid        NOT NULL,
    channel      text        NOT NULL,
    currency     text        NOT NULL,
    lines        jsonb       NOT NULL,
    customer_ref text,
    content_hash bytea       NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, event_id)
);
CREATE UNIQUE INDEX sale_events_event_id_key ON reseller.sale_events (event_id);
CREATE INDEX sale_events_by_order ON reseller.sale_events (reseller_id, order_id);

-- One row per order, recomputed from all of its events whenever one
-- arrives, so it converges whatever the arrival order.
CREATE TABLE reseller.orders (
    reseller_id      uuid        NOT NULL,
    order_id         uuid        NOT NULL,
    show_id          uuid        NOT NULL,
    channel          text        NOT NULL,
    currency         text        NOT NULL,
    status           text        NOT NULL,
    tickets          bigint      NOT NULL,
    gross_minor      bigint      NOT NULL,
    refunded_tickets bigint      NOT NULL,
    refunded_minor   bigint      NOT NULL,
    created_at       timestamptz NOT NULL,
    paid_at          timestamptz,
    first_event_at   timestamptz NOT NULL,
    last_event_at    timestamptz NOT NULL,
    event_count      integer     NOT NULL,
    PRIMARY KEY (reseller_id, order_id)
);
CREATE INDEX orders_by_creation ON reseller.orders (reseller_id, created_at, order_id);

-- Sales per 15-minute UTC bucket, reseller, show, ticket type, channel and
-- currency, maintained in the ingest transaction. paid_orders here counts
-- orders with a paid line of this ticket type in the bucket.
CREATE TABLE reseller.sales_rollup_15m (
    reseller_id      uuid        NOT NULL,
    bucket_start     timestamptz NOT NULL,
    show_id          uuid        NOT NULL,
    ticket_type_id   uuid        NOT NULL,
    channel          text        NOT NULL,
    currency         text        NOT NULL,
    paid_orders      bigint      NOT NULL DEFAULT 0,
    tickets_sold     bigint      NOT NULL DEFAULT 0,
    gross_minor      bigint      NOT NULL DEFAULT 0,
    refunded_tickets bigint      NOT NULL DEFAULT 0,
    refunded_minor   bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (reseller_id, bucket_start, show_id, ticket_type_id, channel, currency)
);

-- Distinct paid orders per bucket without the ticket-type dimension: an
-- order with lines of two ticket types is one order here.
CREATE TABLE reseller.sales_orders_15m (
    reseller_id  uuid        NOT NULL,
    bucket_start timestamptz NOT NULL,
    show_id      uuid        NOT NULL,
    channel      text        NOT NULL,
    currency     text        NOT NULL,
    paid_orders  bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (reseller_id, bucket_start, show_id, channel, currency)
);

-- Rejected and conflicting events, kept with the reason and the raw event
-- so an admin can replay them once the cause is fixed. Platform data: the
-- reseller may be unknown, so it is not keyed by reseller_id.
CREATE TABLE reseller.ingest_quarantine (
    quarantine_id uuid        PRIMARY KEY,
    event_id      uuid,
    reseller_id   uuid,
    code          text        NOT NULL,
    message       text        NOT NULL,
    raw           jsonb       NOT NULL,
    status        text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'replayed')),
    times_seen    integer     NOT NULL DEFAULT 1,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    replayed_at   timestamptz
);
-- An event rejected again while still open updates its entry.
CREATE UNIQUE INDEX ingest_quarantine_open_event
    ON reseller.ingest_quarantine (event_id) WHERE event_id IS NOT NULL AND status = 'open';

ALTER TABLE reseller.sale_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE reseller.sale_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON reseller.sale_events USING (reseller.row_visible(reseller_id));

ALTER TABLE reseller.orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE reseller.orders FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON reseller.orders USING (reseller.row_visible(reseller_id));

ALTER TABLE reseller.sales_rollup_15m ENABLE ROW LEVEL SECURITY;
ALTER TABLE reseller.sales_rollup_15m FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON reseller.sales_rollup_15m USING (reseller.row_visible(reseller_id));

ALTER TABLE reseller.sales_orders_15m ENABLE ROW LEVEL SECURITY;
ALTER TABLE reseller.sales_orders_15m FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON reseller.sales_orders_15m USING (reseller.row_visible(reseller_id));

ALTER TABLE reseller.ingest_quarantine ENABLE ROW LEVEL SECURITY;
ALTER TABLE reseller.ingest_quarantine FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_only ON reseller.ingest_quarantine
    USING (coalesce(current_setting('app.scope', true), '') = 'platform');
