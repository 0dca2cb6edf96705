//! Who is calling. Each extractor's rejection is an `ApiError`, so a
//! handler's signature says who may call it:
//! - [`AuthReseller`]: a reseller's API key (the tenant comes from the key,
//!   never from the request); a suspended reseller gets 403.
//! - [`InternalCaller`]: admin-service with `INTERNAL_TOKEN`.
//! - [`CoreCaller`]: a core service with one of `CORE_TOKENS`.

use axum::{extract::FromRequestParts, http::request::Parts};
use domain::{api_key::ApiKeySecret, reseller::ResellerStatus};
use platform::tokens::{constant_time_eq, TokenSet};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{db, ApiError, AppState};

pub use platform::http::extract::bearer;

/// SHA-256 of an API key: what is stored and looked up.
pub fn key_hash(key: &ApiKeySecret) -> [u8; 32] {
    Sha256::digest(key.expose().as_bytes()).into()
}

/// An authenticated reseller.
#[derive(Debug, Clone, Copy)]
pub struct AuthReseller {
    pub reseller_id: Uuid,
    pub key_id: Uuid,
    pub status: ResellerStatus,
}

impl FromRequestParts<AppState> for AuthReseller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or(ApiError::Unauthorized(
            "Send your API key as `Authorization: Bearer rsk_...`.",
        ))?;
        // Format and checksum first: a mistyped key costs no database lookup.
        let key =
            ApiKeySecret::parse(token).map_err(|_| ApiError::Unauthorized("Invalid API key."))?;
        let hash = key_hash(&key);
        let mut tx = db::platform(state.db.pool()).await?;
        let credential = db::api_keys::credential(&mut tx, &hash).await?;
        db::end_read(tx);
        let credential = credential
            .filter(|c| {
                c.key_hash
                    .as_slice()
                    .try_into()
                    .is_ok_and(|stored| constant_time_eq(stored, &hash))
            })
            .ok_or(ApiError::Unauthorized("Invalid API key."))?;
        if credential.revoked {
            return Err(ApiError::Unauthorized("This API key has been revoked."));
        }
        let status = ResellerStatus::parse(&credential.status).ok_or_else(|| {
            ApiError::Internal(format!("unknown reseller status {}", credential.status))
        })?;
        if status == ResellerStatus::Suspended {
            return Err(ApiError::forbidden(
                "reseller_suspended",
                "This reseller account is suspended; contact the platform's support.",
            ));
        }
        if credential.last_used_stale {
            // Off the request's path, and at most once a minute per key.
            let pool = state.db.pool().clone();
            let (reseller_id, key_id) = (credential.reseller_id, credential.key_id);
            tokio::spawn(async move {
                let touched = async {
                    let mut tx = db::platform(&pool).await?;
                    db::api_keys::touch(&mut tx, reseller_id, key_id).await?;
                    tx.commit().await
                };
                if let Err(error) = touched.await {
                    tracing::warn!(%error, "could not record an API key's last use");
                }
            });
        }
        Ok(Self {
            reseller_id: credential.reseller_id,
            key_id: credential.key_id,
            status,
        })
    }
}

fn check_token(parts: &Parts, tokens: Option<&TokenSet>) -> Result<(), ApiError> {
    let tokens = tokens.ok_or(ApiError::Disabled)?;
    let token = bearer(parts).ok_or(ApiError::Unauthorized(
        "Send the service token as `Authorization: Bearer ...`.",
    ))?;
    if tokens.contains(token) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized("Invalid service token."))
    }
}

/// The core order service pushing sale events, with one of `INGEST_TOKENS`.
#[derive(Debug, Clone, Copy)]
pub struct IngestCaller;

impl FromRequestParts<AppState> for IngestCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        check_token(parts, state.config.ingest_tokens.as_ref()).map(|()| Self)
    }
}

/// admin-service, presenting `INTERNAL_TOKEN`.
#[derive(Debug, Clone, Copy)]
pub struct InternalCaller;

impl FromRequestParts<AppState> for InternalCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        check_token(parts, state.config.internal_token.as_ref()).map(|()| Self)
    }
}

/// A core service, presenting one of `CORE_TOKENS`.
#[derive(Debug, Clone, Copy)]
pub struct CoreCaller;

impl FromRequestParts<AppState> for CoreCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        check_token(parts, state.config.core_tokens.as_ref()).map(|()| Self)
    }
}
