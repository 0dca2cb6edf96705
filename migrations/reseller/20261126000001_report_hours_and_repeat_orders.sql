-- Two changes to the report projections.
--
-- 1. The hourly rollup by ticket type becomes one row per UTC day, ticket
--    type and currency, each figure an array of its 24 hourly values
--    (index 1 is 00:00-01:00 UTC). A 7-day hourly report by ticket type
--    then reads 8 rows per ticket type instead of 168: the rows a report
--    reads, not the hours, bound its cost in the database. The ingest adds
--    a batch's deltas as whole 24-value arrays, one upsert per row, in key
--    order (as before). The view of the old name gives the hourly rows
--    (hours with no sale left out), so the aggregated reports keep their
--    SQL; they must also bound `day_start` for the index to be used.
--
-- 2. paid_orders is "orders with an order.paid event in the bucket". The
--    rollups count an order once per 15-minute bucket it was paid in, so an
--    order paid in two buckets that a report merges (two quarters of one
--    hour, two hours of one day, ...) was counted twice. Such orders are
--    rare, and now listed: orders.paid_buckets counts an order's paid
--    15-minute buckets, and once it reaches two, every paid key of the
--    order is copied to paid_order_repeats (with the show, channel and
--    currency its count was added under). A report subtracts, per row and
--    per total, the repeats that fall in it minus the distinct orders among
--    them.

CREATE TABLE reseller.sales_hours_by_ticket_type (
    reseller_id      uuid        NOT NULL,
    day_start        timestamptz NOT NULL,
    ticket_type_id   uuid        NOT NULL,
    currency         text        NOT NULL,
    show_id          uuid        NOT NULL,
    paid_orders      bigint[]    NOT NULL,
    tickets_sold     bigint[]    NOT NULL,
    gross_minor      bigint[]    NOT NULL,
    refunded_tickets bigint[]    NOT NULL,
    refunded_minor   bigint[]    NOT NULL,
    PRIMARY KEY (reseller_id, day_start, ticket_type_id, currency),
    CHECK (cardinality(paid_orders) = 24 AND cardinality(tickets_sold) = 24
           AND cardinality(gross_minor) = 24 AND cardinality(refunded_tickets) = 24
           AND cardinality(refunded_minor) = 24)
) WITH (fillfactor = 70);

INSERT INTO reseller.sales_hours_by_ticket_type
SELECT k.reseller_id, k.d, k.ticket_type_id, k.currency, k.show_id,
       array_agg(coalesce(h.paid_orders, 0) ORDER BY n),
       array_agg(coalesce(h.tickets_sold, 0) ORDER BY n),
       array_agg(coalesce(h.gross_minor, 0) ORDER BY n),
       array_agg(coalesce(h.refunded_tickets, 0) ORDER BY n),
       array_agg(coalesce(h.refunded_minor, 0) ORDER BY n)
FROM (SELECT DISTINCT reseller_id, date_trunc('day', hour_start, 'UTC') AS d, ticket_type_id, currency, show_id
      FROM reseller.sales_hourly_by_ticket_type) AS k
CROSS JOIN generate_series(0, 23) AS n
LEFT JOIN reseller.sales_hourly_by_ticket_type h
  ON h.reseller_id = k.reseller_id AND h.ticket_type_id = k.ticket_type_id AND h.currency = k.currency
 AND h.hour_start = k.d + make_interval(hours => n)
GROUP BY k.reseller_id, k.d, k.ticket_type_id, k.currency, k.show_id;

DROP TABLE reseller.sales_hourly_by_ticket_type;

ALTER TABLE reseller.sales_hours_by_ticket_type ENABLE ROW LEVEL SECURITY;
ALTER TABLE reseller.sales_hours_by_ticket_type FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON reseller.sales_hours_by_ticket_type USING (
    reseller_id = (SELECT nullif(current_setting('app.reseller_id', true), '')::uuid)
    OR (SELECT coalesce(current_setting('app.scope', true), '') = 'platform'));

-- The hourly rows, as the table was before; the caller's row-level
-- security applies (security_invoker).
CREATE VIEW reseller.sales_hourly_by_ticket_type WITH (security_invoker = true) AS
SELECT t.reseller_id, t.day_start, t.day_start + make_interval(hours => (u.n - 1)::int) AS hour_start,
       t.ticket_type_id, t.currency, t.show_id,
       u.paid_orders, u.tickets_sold, u.gross_minor, u.refunded_tickets, u.refunded_minor
FROM reseller.sales_hours_by_ticket_type t
CROSS JOIN LATERAL unnest(t.paid_orders, t.tickets_sold, t.gross_minor, t.refunded_tickets, t.refunded_minor)
    WITH ORDINALITY AS u(paid_orders, tickets_sold, gross_minor, refunded_tickets, refunded_minor, n)
WHERE u.paid_orders <> 0 OR u.tickets_sold <> 0 OR u.gross_minor <> 0
   OR u.refunded_tickets <> 0 OR u.refunded_minor <> 0;

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
