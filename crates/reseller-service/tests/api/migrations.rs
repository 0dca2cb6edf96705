//! Migrations over existing data: a database migrated as it was before
//! 2026-11-26, holding ingested rows, then migrated to now, keeps every
//! figure (the hourly rollup by ticket type repacked per day) and lists the
//! orders paid in several 15-minute buckets.

use std::borrow::Cow;

use platform::db::{Database, PoolSettings};
use sqlx::migrate::Migrator;
use test_support::TestDatabase;
use uuid::Uuid;

/// The first migration written after the data below was shaped.
const NEW_FROM: i64 = 20261126000000;

type HourRow = (Uuid, String, Uuid, String, Uuid, i64, i64, i64, i64, i64);

#[tokio::test]
async fn existing_rollups_and_paid_orders_survive_the_migrations() {
    let db = TestDatabase::unmigrated().await;
    let database = Database::connect_lazy(
        db.reseller_url().0,
        reseller_service::SCHEMA,
        "migration-test",
        PoolSettings::default(),
    );
    let before = Migrator {
        migrations: Cow::Owned(
            reseller_service::MIGRATOR
                .iter()
                .filter(|m| m.version < NEW_FROM)
                .cloned()
                .collect(),
        ),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    };
    database.migrate(&before).await.expect("migrate as before");

    let (r, show, tt1, tt2) = (
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
    );
    let (twice, once) = (Uuid::new_v4(), Uuid::new_v4());
    let mut su = db.superuser_connection().await;
    // Hourly rows by ticket type over two UTC days, as the ingest left them.
    sqlx::raw_sql(&format!(
        "INSERT INTO reseller.sales_hourly_by_ticket_type VALUES \
           ('{r}', '2026-11-20T00:00:00Z', '{tt1}', 'IDR', '{show}', 1, 2, 300000, 0, 0), \
           ('{r}', '2026-11-20T23:00:00Z', '{tt1}', 'IDR', '{show}', 2, 3, 450000, 1, 150000), \
           ('{r}', '2026-11-21T05:00:00Z', '{tt2}', 'IDR', '{show}', 0, 0, 0, 2, 300000), \
           ('{r}', '2026-11-21T05:00:00Z', '{tt1}', 'EUR', '{show}', 1, 1, 2500, 0, 0); \
         INSERT INTO reseller.sale_events (reseller_id, event_id, type, occurred_at, show_id, order_id, channel, \
           currency, lines, content_hash) VALUES \
           ('{r}', gen_random_uuid(), 'order.paid', '2026-11-20T10:05:00Z', '{show}', '{twice}', 'web', 'IDR', \
            '[{{\"ticket_type_id\": \"{tt1}\", \"quantity\": 1, \"unit_price_minor\": 150000}}]', '\\x00'), \
           ('{r}', gen_random_uuid(), 'order.paid', '2026-11-20T10:35:00Z', '{show}', '{twice}', 'web', 'IDR', \
            '[{{\"ticket_type_id\": \"{tt2}\", \"quantity\": 1, \"unit_price_minor\": 150000}}]', '\\x01'), \
           ('{r}', gen_random_uuid(), 'order.paid', '2026-11-20T11:00:00Z', '{show}', '{once}', 'app', 'IDR', \
            '[{{\"ticket_type_id\": \"{tt1}\", \"quantity\": 1, \"unit_price_minor\": 150000}}]', '\\x02'); \
         INSERT INTO reseller.orders (reseller_id, order_id, show_id, channel, currency, tickets, gross_minor, \
           refunded_tickets, refunded_minor, paid_at, first_event_at, last_event_at, event_count, paid, \
           first_event_id) VALUES \
           ('{r}', '{twice}', '{show}', 'web', 'IDR', 2, 300000, 0, 0, '2026-11-20T10:05:00Z', \
            '2026-11-20T10:05:00Z', '2026-11-20T10:35:00Z', 2, true, gen_random_uuid()), \
           ('{r}', '{once}', '{show}', 'app', 'IDR', 1, 150000, 0, 0, '2026-11-20T11:00:00Z', \
            '2026-11-20T11:00:00Z', '2026-11-20T11:00:00Z', 1, true, gen_random_uuid()); \
         INSERT INTO reseller.paid_order_buckets VALUES \
           ('{r}', '{twice}', '2026-11-20T10:00:00Z', '00000000-0000-0000-0000-000000000000'), \
           ('{r}', '{twice}', '2026-11-20T10:00:00Z', '{tt1}'), \
           ('{r}', '{twice}', '2026-11-20T10:30:00Z', '00000000-0000-0000-0000-000000000000'), \
           ('{r}', '{twice}', '2026-11-20T10:30:00Z', '{tt2}'), \
           ('{r}', '{once}', '2026-11-20T11:00:00Z', '00000000-0000-0000-0000-000000000000'), \
           ('{r}', '{once}', '2026-11-20T11:00:00Z', '{tt1}');"
    ))
    .execute(&mut su)
    .await
    .expect("rows as the ingest left them");
    let hours = "SELECT reseller_id, to_char(hour_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24'), ticket_type_id, \
                   currency, show_id, paid_orders, tickets_sold, gross_minor, refunded_tickets, refunded_minor \
                 FROM reseller.sales_hourly_by_ticket_type ORDER BY 2, 3, 4";
    let old_hours: Vec<HourRow> = sqlx::query_as(hours).fetch_all(&mut su).await.unwrap();
    assert_eq!(old_hours.len(), 4);

    database
        .migrate(&reseller_service::MIGRATOR)
        .await
        .expect("migrate to now");

    // The same hours, now read through the packed day rows.
    let new_hours: Vec<HourRow> = sqlx::query_as(hours).fetch_all(&mut su).await.unwrap();
    assert_eq!(new_hours, old_hours);
    let days: i64 = sqlx::query_scalar("SELECT count(*) FROM reseller.sales_hours_by_ticket_type")
        .fetch_one(&mut su)
        .await
        .unwrap();
    assert_eq!(
        days, 3,
        "(day, ticket type, currency): 20th tt1 IDR, 21st tt2 IDR, 21st tt1 EUR"
    );

    let buckets: Vec<(Uuid, i32)> =
        sqlx::query_as("SELECT order_id, paid_buckets FROM reseller.orders ORDER BY paid_buckets")
            .fetch_all(&mut su)
            .await
            .unwrap();
    assert_eq!(buckets, [(once, 1), (twice, 2)]);
    let repeats: Vec<(Uuid, String, Uuid, Uuid, String, String)> = sqlx::query_as(
        "SELECT order_id, to_char(bucket_start AT TIME ZONE 'UTC', 'HH24:MI'), ticket_type_id, show_id, \
           channel, currency FROM reseller.paid_order_repeats ORDER BY 2, 3",
    )
    .fetch_all(&mut su)
    .await
    .unwrap();
    let mut expected = vec![
        (
            twice,
            "10:00".to_owned(),
            Uuid::nil(),
            show,
            "web".to_owned(),
            "IDR".to_owned(),
        ),
        (
            twice,
            "10:00".to_owned(),
            tt1,
            show,
            "web".to_owned(),
            "IDR".to_owned(),
        ),
        (
            twice,
            "10:30".to_owned(),
            Uuid::nil(),
            show,
            "web".to_owned(),
            "IDR".to_owned(),
        ),
        (
            twice,
            "10:30".to_owned(),
            tt2,
            show,
            "web".to_owned(),
            "IDR".to_owned(),
        ),
    ];
    expected.sort_by(|a, b| (&a.1, a.2).cmp(&(&b.1, b.2)));
    assert_eq!(repeats, expected);
    database.pool().close().await;
}
