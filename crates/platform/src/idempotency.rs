//! `Idempotency-Key` for POSTs that create something (contract section 3):
//! the same key with the same body within 24 hours returns the first
//! response again; the same key with another body is 422
//! `idempotency_key_reused`.
//!
//! The services store, per key: a SHA-256 of the key (never the key), a
//! fingerprint of the request (method, path and canonical JSON body), and the
//! response. Responses can hold secrets (a new API key), so the stored body
//! is encrypted with a keystream derived from the Idempotency-Key itself: a
//! dump of the table reveals nothing, and only a client presenting the key
//! again can have the response replayed. The keystream is SHA-256 in counter
//! mode over (key, counter), a PRF-based stream cipher; the fingerprint check
//! guards integrity.
//!
//! The row is written in the same transaction as the created resource, so a
//! crash leaves either both or neither; a concurrent request with the same
//! key waits on the row's unique index and then replays.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::{http::extract::AppJson, Problem};

/// How long a key is remembered.
pub const RETENTION_HOURS: i64 = 24;

/// A client's Idempotency-Key, validated.
#[derive(Clone)]
pub struct IdempotencyKey(String);

impl std::fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdempotencyKey(..)")
    }
}

impl IdempotencyKey {
    /// Reads the header: absent is fine, present must be 1 to 255 visible
    /// ASCII characters.
    pub fn from_headers(headers: &HeaderMap) -> Result<Option<Self>, Problem> {
        let Some(value) = headers.get("idempotency-key") else {
            return Ok(None);
        };
        let text = value.to_str().unwrap_or_default();
        if text.is_empty() || text.len() > 255 || !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid_idempotency_key",
                "Idempotency-Key must be 1 to 255 visible ASCII characters.",
            ));
        }
        Ok(Some(Self(text.to_owned())))
    }

    /// What is stored to find the key again.
    pub fn lookup_hash(&self) -> Vec<u8> {
        Sha256::new()
            .chain_update(b"idempotency-key\0")
            .chain_update(self.0.as_bytes())
            .finalize()
            .to_vec()
    }

    /// Encrypts (or decrypts: the same operation) a stored response body.
    pub fn seal(&self, body: &[u8]) -> Vec<u8> {
        let key = Sha256::new()
            .chain_update(b"idempotency-response\0")
            .chain_update(self.0.as_bytes())
            .finalize();
        body.chunks(32)
            .enumerate()
            .flat_map(|(counter, chunk)| {
                let block = Sha256::new()
                    .chain_update(key)
                    .chain_update((counter as u64).to_be_bytes())
                    .finalize();
                chunk
                    .iter()
                    .zip(block)
                    .map(|(b, k)| b ^ k)
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

/// A create request: its JSON body, its Idempotency-Key if any, and the
/// fingerprint a replay must match.
#[derive(Debug)]
pub struct CreateRequest<T> {
    pub body: T,
    pub key: Option<IdempotencyKey>,
    pub fingerprint: Vec<u8>,
}

impl<T, S> FromRequest<S> for CreateRequest<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        let key = IdempotencyKey::from_headers(request.headers())?;
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let AppJson(value) = AppJson::<serde_json::Value>::from_request(request, state).await?;
        // Canonical form: object keys sorted (serde_json's default map), no
        // insignificant white space.
        let canonical = serde_json::to_vec(&value).map_err(|_| Problem::internal())?;
        let fingerprint = Sha256::new()
            .chain_update(method.as_str())
            .chain_update(b" ")
            .chain_update(path.as_bytes())
            .chain_update(b"\n")
            .chain_update(&canonical)
            .finalize()
            .to_vec();
        let body = crate::http::extract::parse_json::<T>(&canonical)?;
        Ok(Self {
            body,
            key,
            fingerprint,
        })
    }
}

/// What a stored key says about a new request.
#[derive(Debug)]
pub enum Replay {
    /// Same request: answer this again.
    Response { status: StatusCode, body: Bytes },
    /// Same key, another request.
    Mismatch,
}

/// Decides what to do with a stored row for `key`.
pub fn replay(
    key: &IdempotencyKey,
    fingerprint: &[u8],
    stored_fingerprint: &[u8],
    status: i16,
    sealed_body: &[u8],
) -> Replay {
    if stored_fingerprint != fingerprint {
        return Replay::Mismatch;
    }
    Replay::Response {
        status: u16::try_from(status)
            .ok()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::OK),
        body: Bytes::from(key.seal(sealed_body)),
    }
}

/// The 422 for a reused key.
pub fn reused() -> Problem {
    Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
        "This Idempotency-Key was already used with a different request.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealing_twice_gives_the_body_back_and_hides_it_once() {
        let key = IdempotencyKey("abc".into());
        let body = br#"{"api_key":"rsk_secretsecretsecretsecretsecretsecret"}"#;
        let sealed = key.seal(body);
        assert_ne!(sealed.as_slice(), body.as_slice());
        assert!(!String::from_utf8_lossy(&sealed).contains("rsk_"));
        assert_eq!(key.seal(&sealed), body);
        assert_ne!(IdempotencyKey("abd".into()).seal(&sealed), body);
    }

    #[test]
    fn headers_are_validated() {
        let mut headers = HeaderMap::new();
        assert!(IdempotencyKey::from_headers(&headers).unwrap().is_none());
        headers.insert("idempotency-key", "k-1".parse().unwrap());
        assert!(IdempotencyKey::from_headers(&headers).unwrap().is_some());
        headers.insert("idempotency-key", "x".repeat(256).parse().unwrap());
        assert!(IdempotencyKey::from_headers(&headers).is_err());
    }
}

/// Where a service keeps its keys: a table with the columns `<scope_column>`
/// (uuid: whose key it is), `key_hash`, `fingerprint`, `response_status`,
/// `response_body` and `created_at`, keyed by (scope, key_hash).
#[derive(Debug, Clone, Copy)]
pub struct KeyStore {
    pub table: &'static str,
    pub scope_column: &'static str,
}

/// The Idempotency-Key handling of one create request.
#[derive(Debug)]
pub struct Idempotent<'a> {
    pub store: KeyStore,
    /// Whose key it is (a tenant, an admin, or the nil UUID for a public
    /// endpoint).
    pub scope: uuid::Uuid,
    pub key: Option<&'a IdempotencyKey>,
    pub fingerprint: &'a [u8],
}

impl Idempotent<'_> {
    /// A response to send instead of doing the work again, if this key was
    /// used before; otherwise claims the key inside the caller's transaction
    /// (a concurrent request with the same key waits on the unique index and
    /// then replays).
    pub async fn begin<E>(&self, conn: &mut sqlx::PgConnection) -> Result<Option<Response>, E>
    where
        E: From<sqlx::Error> + From<Problem>,
    {
        let Some(key) = self.key else {
            return Ok(None);
        };
        if let Some(replay) = self.find(conn, key).await? {
            return replay_response(replay).map(Some);
        }
        if self.claim(conn, key).await? {
            return Ok(None);
        }
        match self.find(conn, key).await? {
            Some(replay) => replay_response(replay).map(Some),
            None => Err(sqlx::Error::RowNotFound.into()),
        }
    }

    /// Builds the 201 and stores it under the key, in the same transaction.
    pub async fn finish<E>(
        &self,
        conn: &mut sqlx::PgConnection,
        body: &impl serde::Serialize,
    ) -> Result<Response, E>
    where
        E: From<sqlx::Error> + From<Problem>,
    {
        let bytes = serde_json::to_vec(body).map_err(|_| Problem::internal())?;
        if let Some(key) = self.key {
            sqlx::query(&format!(
                "UPDATE {} SET response_status = $3, response_body = $4 \
                 WHERE {} = $1 AND key_hash = $2",
                self.store.table, self.store.scope_column
            ))
            .bind(self.scope)
            .bind(key.lookup_hash())
            .bind(StatusCode::CREATED.as_u16() as i16)
            .bind(key.seal(&bytes))
            .execute(conn)
            .await?;
        }
        Ok((
            StatusCode::CREATED,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            bytes,
        )
            .into_response())
    }

    /// An earlier request with this key, within the retention.
    async fn find(
        &self,
        conn: &mut sqlx::PgConnection,
        key: &IdempotencyKey,
    ) -> Result<Option<Replay>, sqlx::Error> {
        let row: Option<(Vec<u8>, i16, Vec<u8>)> = sqlx::query_as(&format!(
            "SELECT fingerprint, response_status, response_body FROM {} \
             WHERE {} = $1 AND key_hash = $2 AND created_at > now() - make_interval(hours => $3)",
            self.store.table, self.store.scope_column
        ))
        .bind(self.scope)
        .bind(key.lookup_hash())
        .bind(RETENTION_HOURS as i32)
        .fetch_optional(conn)
        .await?;
        Ok(row.map(|(stored, status, body)| replay(key, self.fingerprint, &stored, status, &body)))
    }

    /// Takes the key; `false` when another transaction committed it meanwhile.
    async fn claim(
        &self,
        conn: &mut sqlx::PgConnection,
        key: &IdempotencyKey,
    ) -> Result<bool, sqlx::Error> {
        let (table, scope) = (self.store.table, self.store.scope_column);
        let claimed = sqlx::query(&format!(
            "INSERT INTO {table} AS k ({scope}, key_hash, fingerprint, response_status, response_body) \
             VALUES ($1, $2, $3, 0, '') \
             ON CONFLICT ({scope}, key_hash) DO UPDATE \
               SET fingerprint = EXCLUDED.fingerprint, response_status = 0, response_body = '', created_at = now() \
               WHERE k.created_at <= now() - make_interval(hours => $4)"
        ))
        .bind(self.scope)
        .bind(key.lookup_hash())
        .bind(self.fingerprint)
        .bind(RETENTION_HOURS as i32)
        .execute(conn)
        .await?;
        Ok(claimed.rows_affected() == 1)
    }
}

fn replay_response<E: From<Problem>>(replay: Replay) -> Result<Response, E> {
    match replay {
        Replay::Mismatch => Err(reused().into()),
        Replay::Response { status, body } => Ok((
            status,
            [
                (axum::http::header::CONTENT_TYPE, "application/json"),
                (
                    axum::http::HeaderName::from_static("idempotent-replayed"),
                    "true",
                ),
            ],
            body,
        )
            .into_response()),
    }
}

/// Forgets keys past the retention; run periodically.
pub async fn purge_expired(
    conn: &mut sqlx::PgConnection,
    store: KeyStore,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(&format!(
        "DELETE FROM {} WHERE created_at <= now() - make_interval(hours => $1)",
        store.table
    ))
    .bind(RETENTION_HOURS as i32)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
