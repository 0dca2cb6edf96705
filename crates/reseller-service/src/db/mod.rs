//! The SQL of reseller-service, as free functions over `&mut PgConnection`
//! so they compose inside one transaction.
//!
//! Every transaction says whom it acts for before its first query (see the
//! row-level security policies in the migrations): [`tenant`] for a
//! reseller's request, [`platform`] for authentication, registration, the
//! internal API and the feeds. The setting is transaction-local, so it never
//! leaks to the next user of a pooled connection.

pub mod api_keys;
pub mod catalog_feed;
pub mod idempotency;
pub mod ingest;
pub mod orders;
pub mod resellers;
pub mod shows;
pub mod support_tickets;
pub mod ticket_types;

use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

pub type Tx = Transaction<'static, Postgres>;

/// A transaction that sees only `reseller_id`'s rows. `BEGIN` and the
/// setting go as one simple query, one round trip (a UUID's text is hex
/// digits and hyphens: nothing to quote).
pub async fn tenant(pool: &PgPool, reseller_id: Uuid) -> Result<Tx, sqlx::Error> {
    let begin = format!("BEGIN; SELECT set_config('app.reseller_id', '{reseller_id}', true)");
    platform::metrics::waiting_for_connection(pool.begin_with(begin)).await
}

/// Ends a transaction that only read. Dropped, its `ROLLBACK` is queued
/// and goes out with the check the pool makes of every connection coming
/// back, off the request's path: a `COMMIT` was one more round trip before
/// the answer (or, for a streamed one, before its end). Ending a read-only
/// transaction either way leaves the same database.
pub fn end_read(tx: Tx) {
    drop(tx);
}

/// A transaction that sees every tenant's rows (one round trip too).
pub async fn platform(pool: &PgPool) -> Result<Tx, sqlx::Error> {
    platform::metrics::waiting_for_connection(
        pool.begin_with("BEGIN; SELECT set_config('app.scope', 'platform', true)"),
    )
    .await
}
