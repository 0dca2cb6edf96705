//! Stored Idempotency-Key records (see `platform::idempotency` for the
//! scheme). The nil UUID scopes the public registration endpoint.

use platform::idempotency::{self, IdempotencyKey, Replay};
use sqlx::PgConnection;
use uuid::Uuid;

/// Looks for an earlier request with this key in `scope`. Records older than
/// the retention are ignored (and replaced on completion).
pub async fn find(
    conn: &mut PgConnection,
    scope: Uuid,
    key: &IdempotencyKey,
    fingerprint: &[u8],
) -> Result<Option<Replay>, sqlx::Error> {
    let row: Option<(Vec<u8>, i16, Vec<u8>)> = sqlx::query_as(
        "SELECT fingerprint, response_status, response_body FROM reseller.idempotency_keys \
         WHERE reseller_id = $1 AND key_hash = $2 AND created_at > now() - make_interval(hours => $3)",
    )
    .bind(scope)
    .bind(key.lookup_hash())
    .bind(idempotency::RETENTION_HOURS as i32)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(stored, status, body)| {
        idempotency::replay(key, fingerprint, &stored, status, &body)
    }))
}

/// Takes the key for this transaction. `false` means another transaction
/// committed the same key meanwhile: the caller rolls back and replays.
/// A concurrent holder makes this wait on the unique index until it ends.
pub async fn claim(
    conn: &mut PgConnection,
    scope: Uuid,
    key: &IdempotencyKey,
    fingerprint: &[u8],
) -> Result<bool, sqlx::Error> {
    let claimed = sqlx::query(
        "INSERT INTO reseller.idempotency_keys (reseller_id, key_hash, fingerprint, response_status, response_body) \
         VALUES ($1, $2, $3, 0, '') \
         ON CONFLICT (reseller_id, key_hash) DO UPDATE \
           SET fingerprint = EXCLUDED.fingerprint, response_status = 0, response_body = '', created_at = now() \
           WHERE reseller.idempotency_keys.created_at <= now() - make_interval(hours => $4)",
    )
    .bind(scope)
    .bind(key.lookup_hash())
    .bind(fingerprint)
    .bind(idempotency::RETENTION_HOURS as i32)
    .execute(conn)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// Stores the response of a claimed key, encrypted under the key.
pub async fn complete(
    conn: &mut PgConnection,
    scope: Uuid,
    key: &IdempotencyKey,
    status: u16,
    body: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE reseller.idempotency_keys SET response_status = $3, response_body = $4 \
         WHERE reseller_id = $1 AND key_hash = $2",
    )
    .bind(scope)
    .bind(key.lookup_hash())
    .bind(status as i16)
    .bind(key.seal(body))
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets records past the retention; run periodically.
pub async fn purge_expired(conn: &mut PgConnection) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM reseller.idempotency_keys WHERE created_at <= now() - make_interval(hours => $1)",
    )
    .bind(idempotency::RETENTION_HOURS as i32)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
