-- paid_orders is "orders with an order.paid event in the bucket". The
-- rollups count an order once per 15-minute bucket it was paid in, so an
-- order paid in two buckets that a report merges (two quarters of one hour,
-- two hours of one day, ...) was counted twice. Such orders are rare, and
-- are now listed: orders.paid_buckets counts an order's paid 15-minute
-- buckets, and once it reaches two, every paid key of the order is copied to
-- paid_order_repeats (with the show, channel and currency of its earliest
-- paid event in that bucket). A report subtracts, per row and per total,
-- the repeats that fall in it minus the distinct orders among them.

-- The backfills read and write every reseller's rows: platform scope, for
-- this migration's transaction only (row-level security is forced on the
-- tables, also for their owner).
SELECT set_config('app.scope', 'platform', true);

ALTER TABLE reseller.orders ADD COLUMN paid_buckets integer NOT NULL DEFAULT 0;
UPDATE reseller.orders o SET paid_buckets = p.n
FROM (SELECT reseller_id, order_id, count(*)::int AS n FROM reseller.paid_order_buckets
      WHERE ticket_type_id = '00000000-0000-0000-0000-000000000000' GROUP BY 1, 2) AS p
WHERE o.reseller_id = p.reseller_id AND o.order_id = p.order_id;

CREATE TABLE reseller.paid_order_repeats (
    reseller_id    uuid        NOT NULL,
    order_id       uuid        NOT NULL,
    bucket_start   timestamptz NOT NULL,
    ticket_type_id uuid        NOT NULL,
    show_id        uuid        NOT NULL,
    channel        text        NOT NULL,
    currency       text        NOT NULL,
    PRIMARY KEY (reseller_id, order_id, bucket_start, ticket_type_id)
);
CREATE INDEX paid_order_repeats_by_bucket ON reseller.paid_order_repeats (reseller_id, bucket_start);
ALTER TABLE reseller.paid_order_repeats ENABLE ROW LEVEL SECURITY;
ALTER TABLE reseller.paid_order_repeats FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON reseller.paid_order_repeats USING (
    reseller_id = (SELECT nullif(current_setting('app.reseller_id', true), '')::uuid)
    OR (SELECT coalesce(current_setting('app.scope', true), '') = 'platform'));

-- The paid keys of orders paid in two or more buckets, each with the show,
-- channel and currency of its earliest paid event in that bucket (the
-- ingest does the same from then on: `db::ingest::add_repeats`).
INSERT INTO reseller.paid_order_repeats
SELECT DISTINCT ON (e.reseller_id, e.order_id, k.bucket_start, k.ticket_type_id)
       e.reseller_id, e.order_id, k.bucket_start, k.ticket_type_id, e.show_id, e.channel, e.currency
FROM reseller.orders o
JOIN reseller.sale_events e ON e.reseller_id = o.reseller_id AND e.order_id = o.order_id AND e.type = 'order.paid'
CROSS JOIN LATERAL (
    SELECT date_bin('15 minutes', e.occurred_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket_start,
           t AS ticket_type_id
    FROM unnest(ARRAY['00000000-0000-0000-0000-000000000000'::uuid]
                || ARRAY(SELECT (l->>'ticket_type_id')::uuid FROM jsonb_array_elements(e.lines) AS l)) AS t
) AS k
WHERE o.paid_buckets >= 2
ORDER BY e.reseller_id, e.order_id, k.bucket_start, k.ticket_type_id, e.occurred_at, e.event_id;
