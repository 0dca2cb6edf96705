-- Projections that merge instead of being recomputed, so concurrent batches
-- touching the same order need no lock beyond the rows they update.

-- The orders projection keeps the facts of its events; status and created_at
-- are derived from them. The CASE mirrors domain::sale_event::order_status
-- (a test keeps the two in step).
DROP INDEX reseller.orders_by_creation;
ALTER TABLE reseller.orders
    DROP COLUMN status,
    DROP COLUMN created_at,
    ADD COLUMN paid             boolean     NOT NULL DEFAULT false,
    ADD COLUMN cancelled        boolean     NOT NULL DEFAULT false,
    ADD COLUMN expired          boolean     NOT NULL DEFAULT false,
    ADD COLUMN created_event_at timestamptz,
    ADD COLUMN first_event_id   uuid        NOT NULL;
ALTER TABLE reseller.orders
    ADD COLUMN created_at timestamptz GENERATED ALWAYS AS (coalesce(created_event_at, first_event_at)) STORED,
    ADD COLUMN status text GENERATED ALWAYS AS (
        CASE
            WHEN paid AND refunded_tickets > 0 AND refunded_tickets >= tickets THEN 'refunded'
            WHEN paid AND refunded_tickets > 0 THEN 'partially_refunded'
            WHEN paid THEN 'paid'
            WHEN cancelled THEN 'cancelled'
            WHEN expired THEN 'expired'
            ELSE 'created'
        END) STORED;
CREATE INDEX orders_by_creation ON reseller.orders (reseller_id, created_at, order_id);

-- One row per (order, 15-minute bucket, ticket type) with a paid line, and
-- per (order, bucket) with the nil ticket type: inserting with ON CONFLICT
-- DO NOTHING RETURNING tells which paid-order counts are new, safely under
-- concurrency (a second inserter of the same key waits on the first).
CREATE TABLE reseller.paid_order_buckets (
    reseller_id    uuid        NOT NULL,
    order_id       uuid        NOT NULL,
    bucket_start   timestamptz NOT NULL,
    ticket_type_id uuid        NOT NULL,
    PRIMARY KEY (reseller_id, order_id, bucket_start, ticket_type_id)
);
ALTER TABLE reseller.paid_order_buckets ENABLE ROW LEVEL SECURITY;
ALTER TABLE reseller.paid_order_buckets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON reseller.paid_order_buckets USING (reseller.row_visible(reseller_id));
