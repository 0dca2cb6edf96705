//! Who is calling. Each extractor's rejection is an `ApiError`, so a
//! handler's signature says who may call it:
//! - [`Admin<P>`]: a live admin session whose role satisfies the permission
//!   `P` ([`AnyRole`], [`SupportRole`] or [`OwnerRole`]); 401 without a live
//!   session, 403 with a role below `P`.
//! - [`CoreCaller`]: a core service with one of `CORE_TOKENS`.

use std::marker::PhantomData;

use axum::{extract::FromRequestParts, http::request::Parts};
use domain::admin::AdminRole;
use platform::http::extract::{bearer, ClientAddr};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    db::{self, audit::Actor},
    ApiError, AppState,
};

/// The role a route needs, as a type.
pub trait Permission: Send + Sync + 'static {
    const REQUIRED: AdminRole;
}

/// Any admin (viewers read).
#[derive(Debug)]
pub struct AnyRole;
/// `support` or `owner`: works tickets and refunds.
#[derive(Debug)]
pub struct SupportRole;
/// `owner` only.
#[derive(Debug)]
pub struct OwnerRole;

impl Permission for AnyRole {
    const REQUIRED: AdminRole = AdminRole::Viewer;
}
impl Permission for SupportRole {
    const REQUIRED: AdminRole = AdminRole::Support;
}
impl Permission for OwnerRole {
    const REQUIRED: AdminRole = AdminRole::Owner;
}

/// Prefix of session tokens, so a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "ads_";

/// SHA-256 of a session token: what is stored and looked up.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A new session token: 256 random bits.
pub fn new_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(format!(
        "{TOKEN_PREFIX}{}",
        platform::pagination::base64url_encode(&bytes)
    ))
}

/// An authenticated admin allowed by `P`.
#[derive(Debug)]
pub struct Admin<P> {
    pub admin_id: Uuid,
    pub email: String,
    pub role: AdminRole,
    pub session_id: Uuid,
    client_addr: Option<String>,
    permission: PhantomData<P>,
}

impl<P> Admin<P> {
    /// The audit log's view of this admin, in this request.
    pub fn actor(&self) -> Actor {
        Actor {
            kind: "admin",
            id: Some(self.admin_id),
            email: Some(self.email.clone()),
            role: Some(self.role.as_str().to_owned()),
            request_id: platform::http::request_id::current(),
            client_addr: self.client_addr.clone(),
        }
    }
}

impl<P: Permission> FromRequestParts<AppState> for Admin<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts)
            .filter(|t| t.starts_with(TOKEN_PREFIX) && t.len() < 128)
            .ok_or(ApiError::Unauthorized(
                "Log in with POST /v1/auth/login and send the token as `Authorization: Bearer ads_...`.",
            ))?;
        let mut conn = state.db.acquire().await?;
        let session = db::sessions::touch(&mut conn, &token_hash(token))
            .await?
            .ok_or(ApiError::Unauthorized(
                "This session has ended (logged out, idle for 30 minutes, 8 hours old, or the account is disabled); log in again.",
            ))?;
        let role = AdminRole::parse(&session.role)
            .ok_or_else(|| ApiError::Internal(format!("unknown admin role {}", session.role)))?;
        if !role.satisfies(P::REQUIRED) {
            return Err(ApiError::Forbidden);
        }
        let ClientAddr(addr) = ClientAddr::from_request_parts(parts, state)
            .await
            .unwrap_or(ClientAddr(None));
        Ok(Self {
            admin_id: session.admin_id,
            email: session.email,
            role,
            session_id: session.session_id,
            client_addr: addr.map(|a| a.to_string()),
            permission: PhantomData,
        })
    }
}

/// A core service, presenting one of `CORE_TOKENS`.
#[derive(Debug, Clone, Copy)]
pub struct CoreCaller;

impl FromRequestParts<AppState> for CoreCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let tokens = state
            .config
            .core_tokens
            .as_ref()
            .ok_or(ApiError::Disabled)?;
        let token = bearer(parts).ok_or(ApiError::Unauthorized(
            "Send the service token as `Authorization: Bearer ...`.",
        ))?;
        if tokens.contains(token) {
            Ok(Self)
        } else {
            Err(ApiError::Unauthorized("Invalid service token."))
        }
    }
}

impl CoreCaller {
    pub fn actor(&self) -> Actor {
        Actor {
            kind: "core",
            request_id: platform::http::request_id::current(),
            ..Actor::default()
        }
    }
}
