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
use platform::http::extract::AppJson;
use platform::{http::extract::ClientAddr, Problem};
use serde::{Deserialize, Serialize};

use super::{
    auth::{new_token, token_hash, Admin, AnyRole},
    schemas::ProblemSchema,
};
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

/// An admin's credentials.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "email": "owner@ticketing.example", "password": "correct horse battery staple" }))]
pub struct Login {
    #[schema(schema_with = super::schemas::login_email)]
    email: String,
    #[schema(min_length = 1, max_length = 128, format = Password)]
    password: String,
}

/// A new session.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Send it as `Authorization: Bearer ads_...`.
    #[schema(example = "ads_Jx0tQd9vW3m5Ky8pL2nR7sB4cF6hE1aG0iU9oZ3yX5w")]
    token: String,
    /// The session's absolute end; it ends earlier after 30 idle minutes.
    expires_at: DateTime<Utc>,
    /// Idle time after which the session ends: 1800.
    idle_timeout_seconds: i64,
    admin: AdminRecord,
}

/// `POST /v1/auth/login`.
#[utoipa::path(
    post,
    path = "/v1/auth/login",
    tag = "sessions",
    operation_id = "login",
    summary = "Log in: an admin's e-mail and password for a session token.",
    description = "Public. The session ends after 30 idle minutes, at `expires_at` (8 hours), at logout, or when the admin is disabled or their role changes. An unknown e-mail and a wrong password are the same 401. Failed logins are counted per account (5) and per client address (20) over 15 minutes; past either limit, 429 before any password is checked.",
    request_body = Login,
    security(()),
    responses(
        (status = 200, description = "Logged in.", body = LoginResponse),
        (status = 401, description = "Wrong e-mail or password, or a disabled admin.", content_type = "application/problem+json", body = ProblemSchema),
        (status = 422, description = "The body has a wrong or missing field.", content_type = "application/problem+json", body = ProblemSchema),
        (status = 429, description = "Too many failed logins for this account or address; `Retry-After` says when to try again.", content_type = "application/problem+json", body = ProblemSchema,
            headers(("Retry-After" = String, description = "Seconds to wait before trying again."))),
    ),
)]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    AppJson(body): AppJson<Login>,
) -> Result<Json<LoginResponse>, ApiError> {
    // No control characters: the address is recorded with a failed attempt,
    // and the database refuses some of them.
    let email = domain::text::bounded(&body.email, 1, 254)
        .map_err(|_| {
            ApiError::invalid(
                "email",
                "invalid_email",
                "must be an e-mail address of at most 254 characters, without control characters",
            )
        })?
        .to_lowercase();
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
#[utoipa::path(
    post,
    path = "/v1/auth/logout",
    tag = "sessions",
    operation_id = "logout",
    summary = "Log out: end this session at once.",
    description = "Any admin role (`viewer`, `support`, `owner`). The token is refused from then on.",
    security(("admin_session" = [])),
    responses((status = 204, description = "The session has ended.")),
)]
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
#[utoipa::path(
    get,
    path = "/v1/me",
    tag = "sessions",
    operation_id = "get_me",
    summary = "The calling admin.",
    description = "Any admin role (`viewer`, `support`, `owner`).",
    security(("admin_session" = [])),
    responses((status = 200, description = "The admin whose session this is.", body = AdminRecord)),
)]
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
