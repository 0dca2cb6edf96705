//! `POST /v1/auth/login`, `POST /v1/auth/logout`, `GET /v1/me`.
//!
//! Login is slow to brute-force: Argon2id makes each guess cost ~20 ms of CPU,
//! an unknown e-mail costs the same as a wrong password, and failed logins
//! (which the audit log records anyway) are counted per account and per
//! address over the last 15 minutes: past the limit, 429 with `Retry-After`
//! before any password is checked. The count lives in the database, so it
//! holds across instances and restarts.

use axum::{extract::State, http::StatusCode, Json};
use chrono::{DateTime, Utc};
use platform::{
    http::extract::{AppJson, ClientAddr},
    Problem,
};
use serde::{Deserialize, Serialize};

use super::auth::{new_token, token_hash, Admin, AnyRole};
use crate::{
    db::{
        self,
        admins::Admin as AdminRecord,
        audit::{Actor, Entry},
    },
    password, ApiError, AppState,
};

/// Failed logins tolerated per account, and per client address, within
/// [`THROTTLE_WINDOW_MINUTES`].
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
pub const THROTTLE_WINDOW_MINUTES: i32 = 15;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    email: String,
    password: String,
}

#[derive(Debug, Serialize)]
pub struct LoginResponse {
    token: String,
    /// The session's absolute end; it ends earlier after 30 idle minutes.
    expires_at: DateTime<Utc>,
    idle_timeout_seconds: i64,
    admin: AdminRecord,
}

/// `POST /v1/auth/login`.
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    AppJson(body): AppJson<Login>,
) -> Result<Json<LoginResponse>, ApiError> {
    let email = body.email.trim().to_lowercase();
    if email.is_empty() || email.chars().count() > 254 {
        return Err(ApiError::invalid(
            "email",
            "invalid_email",
            "must be an e-mail address of at most 254 characters",
        ));
    }
    if body.password.is_empty() || body.password.chars().count() > domain::admin::PASSWORD_MAX_CHARS
    {
        return Err(ApiError::invalid(
            "password",
            "invalid_password",
            format!(
                "must have between 1 and {} characters",
                domain::admin::PASSWORD_MAX_CHARS
            ),
        ));
    }
    let addr = addr.map(|a| a.to_string());
    let anonymous = Actor {
        kind: "anonymous",
        request_id: platform::http::request_id::current(),
        client_addr: addr.clone(),
        ..Actor::default()
    };
    let attempt = |action: &'static str, outcome: &'static str| Entry {
        action,
        target_type: "admin",
        target_id: Some(email.clone()),
        outcome,
        ..Entry::default()
    };

    let mut conn = state.db.acquire().await?;
    let (by_account, by_address) = db::audit::recent_failed_logins(
        &mut conn,
        &email,
        addr.as_deref(),
        THROTTLE_WINDOW_MINUTES,
    )
    .await?;
    if by_account >= MAX_FAILURES_PER_ACCOUNT || by_address >= MAX_FAILURES_PER_ADDRESS {
        db::audit::record(
            &mut conn,
            &anonymous,
            attempt("auth.login_throttled", "denied"),
        )
        .await?;
        return Err(Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            format!(
                "Too many failed logins for this account or address; wait up to {THROTTLE_WINDOW_MINUTES} minutes."
            ),
        )
        .retry_after(60)
        .into());
    }
    let found = db::admins::credentials(&mut conn, &email).await?;
    drop(conn); // no connection held while hashing
    let (admin, hash) = match found {
        Some((admin, hash)) => (Some(admin), Some(hash)),
        None => (None, None),
    };
    let matches = password::verify(body.password, hash).await?;
    let admin = match admin {
        Some(admin) if matches && !admin.disabled => admin,
        _ => {
            let mut conn = state.db.acquire().await?;
            db::audit::record(
                &mut conn,
                &anonymous,
                attempt("auth.login_failed", "failed"),
            )
            .await?;
            return Err(ApiError::Unauthorized("Wrong e-mail or password."));
        }
    };

    let token = new_token()?;
    let mut tx = state.db.begin().await?;
    let (session_id, expires_at) =
        db::sessions::create(&mut tx, admin.admin_id, &token_hash(&token)).await?;
    let actor = Actor {
        kind: "admin",
        id: Some(admin.admin_id),
        email: Some(admin.email.clone()),
        role: Some(admin.role.clone()),
        ..anonymous
    };
    db::audit::record(
        &mut tx,
        &actor,
        Entry {
            action: "auth.login",
            target_type: "session",
            target_id: Some(session_id.to_string()),
            outcome: "succeeded",
            ..Entry::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Json(LoginResponse {
        token,
        expires_at,
        idle_timeout_seconds: db::sessions::IDLE_TIMEOUT_MINUTES * 60,
        admin,
    }))
}

/// `POST /v1/auth/logout`: ends the session at once.
pub async fn logout(
    State(state): State<AppState>,
    admin: Admin<AnyRole>,
) -> Result<StatusCode, ApiError> {
    let mut tx = state.db.begin().await?;
    db::sessions::revoke(&mut tx, admin.session_id).await?;
    db::audit::record(
        &mut tx,
        &admin.actor(),
        Entry {
            action: "auth.logout",
            target_type: "session",
            target_id: Some(admin.session_id.to_string()),
            outcome: "succeeded",
            ..Entry::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/me`.
pub async fn get_me(
    State(state): State<AppState>,
    admin: Admin<AnyRole>,
) -> Result<Json<AdminRecord>, ApiError> {
    let mut conn = state.db.acquire().await?;
    db::admins::find(&mut conn, admin.admin_id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::Internal("a live session's admin is missing".into()))
}
