-- Hour-level pre-aggregates of the 15-minute sales rollups, so a sales
-- report reads one row per UTC hour (and per key it needs) instead of one
-- per 15-minute bucket, show, ticket type and channel.
--
-- Each is maintained by the ingest in the same transaction as the
-- 15-minute rollups, by adding exactly the deltas added there (sums only,
-- so concurrent batches and any arrival order give the same rows).
-- paid_orders keeps the 15-minute definition: the sum over the hour's
-- 15-minute buckets of the orders with an order.paid event in the bucket,
-- so a report gives the same figure from these rows as from the 15-minute
-- ones.
--
--   sales_hourly                 no show, ticket type or channel;
--                                paid_orders as in sales_orders_15m
--   sales_hourly_by_show         per show; paid_orders as in sales_orders_15m
--   sales_hourly_by_ticket_type  per ticket type (and its show); paid_orders
--                                as in sales_rollup_15m (per ticket type)
--
-- There is no channel dimension: reports by or filtered on channel read
-- the 15-minute tables, and so do zones whose offset is not a whole number
-- of hours over the range.
CREATE TABLE reseller.sales_hourly (
    reseller_id      uuid        NOT NULL,
    hour_start       timestamptz NOT NULL,
    currency         text        NOT NULL,
    paid_orders      bigint      NOT NULL DEFAULT 0,
    tickets_sold     bigint      NOT NULL DEFAULT 0,
    gross_minor      bigint      NOT NULL DEFAULT 0,
    refunded_tickets bigint      NOT NULL DEFAULT 0,
    refunded_minor   bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (reseller_id, hour_start, currency)
);

CREATE TABLE reseller.sales_hourly_by_show (
    reseller_id      uuid        NOT NULL,
    hour_start       timestamptz NOT NULL,
    show_id          uuid        NOT NULL,
    currency         text        NOT NULL,
    paid_orders      bigint      NOT NULL DEFAULT 0,
    tickets_sold     bigint      NOT NULL DEFAULT 0,
    gross_minor      bigint      NOT NULL DEFAULT 0,
    refunded_tickets bigint      NOT NULL DEFAULT 0,
    refunded_minor   bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (reseller_id, hour_start, show_id, currency)
);

-- Keyed by ticket type and currency, not show: a ticket type belongs to one
-- show (the ingest refuses a line whose ticket type is not of the event's
-- show), so show_id is a plain column and an hourly report by ticket type
-- reads one row per output row, already in its order.
CREATE TABLE reseller.sales_hourly_by_ticket_type (
    reseller_id      uuid        NOT NULL,
    hour_start       timestamptz NOT NULL,
    ticket_type_id   uuid        NOT NULL,
    currency         text        NOT NULL,
    show_id          uuid        NOT NULL,
    paid_orders      bigint      NOT NULL DEFAULT 0,
    tickets_sold     bigint      NOT NULL DEFAULT 0,
    gross_minor      bigint      NOT NULL DEFAULT 0,
    refunded_tickets bigint      NOT NULL DEFAULT 0,
    refunded_minor   bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (reseller_id, hour_start, ticket_type_id, currency)
);

-- Backfill from the 15-minute tables (the same sums the ingest adds).
INSERT INTO reseller.sales_hourly_by_ticket_type
    (reseller_id, hour_start, ticket_type_id, currency, show_id,
     paid_orders, tickets_sold, gross_minor, refunded_tickets, refunded_minor)
SELECT reseller_id, date_trunc('hour', bucket_start, 'UTC'), ticket_type_id, currency, show_id,
       sum(paid_orders), sum(tickets_sold), sum(gross_minor), sum(refunded_tickets), sum(refunded_minor)
FROM reseller.sales_rollup_15m
GROUP BY 1, 2, 3, 4, 5;

INSERT INTO reseller.sales_hourly_by_show
    (reseller_id, hour_start, show_id, currency,
     paid_orders, tickets_sold, gross_minor, refunded_tickets, refunded_minor)
SELECT reseller_id, hour_start, show_id, currency,
       sum(paid_orders), sum(tickets_sold), sum(gross_minor), sum(refunded_tickets), sum(refunded_minor)
FROM (
    SELECT reseller_id, date_trunc('hour', bucket_start, 'UTC') AS hour_start, show_id, currency,
           0::bigint AS paid_orders, tickets_sold, gross_minor, refunded_tickets, refunded_minor
    FROM reseller.sales_rollup_15m
    UNION ALL
    SELECT reseller_id, date_trunc('hour', bucket_start, 'UTC'), show_id, currency,
           paid_orders, 0, 0, 0, 0
    FROM reseller.sales_orders_15m
) AS both_rollups
GROUP BY 1, 2, 3, 4;

INSERT INTO reseller.sales_hourly
    (reseller_id, hour_start, currency,
     paid_orders, tickets_sold, gross_minor, refunded_tickets, refunded_minor)
SELECT reseller_id, hour_start, currency,
       sum(paid_orders), sum(tickets_sold), sum(gross_minor), sum(refunded_tickets), sum(refunded_minor)
FROM reseller.sales_hourly_by_show
GROUP BY 1, 2, 3;

-- The tenant check compares each row with a value computed once per
-- statement (the sub-selects are init plans), instead of calling
-- reseller.row_visible on every row: the same rule, without a function
-- call and two setting lookups per row.
ALTER TABLE reseller.sales_hourly ENABLE ROW LEVEL SECURITY;
ALTER TABLE reseller.sales_hourly FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON reseller.sales_hourly USING (
    reseller_id = (SELECT nullif(current_setting('app.reseller_id', true), '')::uuid)
    OR (SELECT coalesce(current_setting('app.scope', true), '') = 'platform'));

ALTER TABLE reseller.sales_hourly_by_show ENABLE ROW LEVEL SECURITY;
ALTER TABLE reseller.sales_hourly_by_show FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON reseller.sales_hourly_by_show USING (
    reseller_id = (SELECT nullif(current_setting('app.reseller_id', true), '')::uuid)
    OR (SELECT coalesce(current_setting('app.scope', true), '') = 'platform'));

ALTER TABLE reseller.sales_hourly_by_ticket_type ENABLE ROW LEVEL SECURITY;
ALTER TABLE reseller.sales_hourly_by_ticket_type FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON reseller.sales_hourly_by_ticket_type USING (
    reseller_id = (SELECT nullif(current_setting('app.reseller_id', true), '')::uuid)
    OR (SELECT coalesce(current_setting('app.scope', true), '') = 'platform'));

-- The 15-minute tables still serve reports by channel and in zones with
-- offsets that are not whole hours: same cheaper check there.
ALTER POLICY tenant ON reseller.sales_rollup_15m USING (
    reseller_id = (SELECT nullif(current_setting('app.reseller_id', true), '')::uuid)
    OR (SELECT coalesce(current_setting('app.scope', true), '') = 'platform'));
ALTER POLICY tenant ON reseller.sales_orders_15m USING (
    reseller_id = (SELECT nullif(current_setting('app.reseller_id', true), '')::uuid)
    OR (SELECT coalesce(current_setting('app.scope', true), '') = 'platform'));
