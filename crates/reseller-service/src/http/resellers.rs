//! Registration (public) and the caller's own account (`/v1/me`).

use axum::{extract::State, response::Response};
use domain::{
    billing::{Billing, BillingInput},
    reseller::{self, Registration, RegistrationInput},
    text::EmailAddress,
    Violations,
};
use platform::{http::extract::AppJson, idempotency::CreateRequest};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use uuid::Uuid;

use super::{
    api_keys::issue_key,
    auth::AuthReseller,
    support::{versioned, ClientAddr, Idempotent, IfMatch},
};
use crate::{db, db::resellers::Reseller, ApiError, AppState};

#[derive(Debug, Serialize)]
struct Registered<'a> {
    reseller: &'a Reseller,
    /// Shown only here, once.
    api_key: &'a str,
}

/// `POST /v1/resellers`: a new reseller, `pending` until an admin approves
/// it, with its first API key.
#[utoipa::path(
    post,
    path = "/v1/resellers",
    tag = "accounts",
    operation_id = "register_reseller",
    summary = "Register a reseller.",
    description = "A new reseller starts `pending` (it may set up shows, not publish them) until an admin approves it. The answer holds its first API key, shown only here. Rate-limited per client address.",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the create safe to retry: the same key with the same body within 24 hours answers the first response again; with another body, 422 `idempotency_key_reused`.", min_length = 1, max_length = 255, pattern = "^[!-~]{1,255}$")
    ),
    request_body(content = super::schemas::RegistrationBody, description = "The reseller and its billing details."),
    responses(
        (status = 201, description = "Registered.", body = super::schemas::RegisteredDoc, headers(("ETag" = String, description = "The version, e.g. `\"3\"`; send it as `If-Match` to update."))),
        (status = 422, description = "The Idempotency-Key was already used with another body (`idempotency_key_reused`).", content_type = "application/problem+json", body = super::schemas::ProblemDoc),
        (status = 429, description = "Too many registrations from this address (`rate_limited`).", content_type = "application/problem+json", body = super::schemas::ProblemDoc, headers(("Retry-After" = String, description = "Seconds to wait.")))
    ),
    security(())
)]
pub async fn register_reseller(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    request: CreateRequest<RegistrationInput>,
) -> Result<Response, ApiError> {
    let client = client.unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    state
        .registrations
        .check(&client)
        .map_err(ApiError::RateLimited)?;
    let registration = Registration::parse(&request.body)?;

    let mut tx = db::platform(state.db.pool()).await?;
    let idempotent = Idempotent {
        scope: Uuid::nil(),
        key: request.key.as_ref(),
        fingerprint: &request.fingerprint,
    };
    if let Some(replay) = idempotent.begin(&mut tx).await? {
        return Ok(replay);
    }
    let reseller = db::resellers::insert(
        &mut tx,
        Uuid::now_v7(),
        &registration.name,
        registration.contact_email.as_str(),
        &registration.billing,
    )
    .await?;
    let (secret, _) = issue_key(&mut tx, reseller.reseller_id, "default").await?;
    let body = Registered {
        reseller: &reseller,
        api_key: secret.expose(),
    };
    let response = idempotent
        .finish(&mut tx, &body, Some(reseller.version))
        .await?;
    tx.commit().await?;
    tracing::info!(reseller_id = %reseller.reseller_id, "reseller registered");
    Ok(response)
}

/// `GET /v1/me`.
#[utoipa::path(
    get,
    path = "/v1/me",
    tag = "accounts",
    operation_id = "get_me",
    summary = "The caller's account, billing included.",
    responses(
        (status = 200, description = "The account.", body = crate::db::resellers::Reseller, headers(("ETag" = String, description = "The version, e.g. `\"3\"`; send it as `If-Match` to update.")))
    ),
    security(("api_key" = []))
)]
pub async fn get_me(
    State(state): State<AppState>,
    auth: AuthReseller,
) -> Result<Response, ApiError> {
    let mut tx = db::tenant(state.db.pool(), auth.reseller_id).await?;
    let me = db::resellers::find(&mut tx, auth.reseller_id, false)
        .await?
        .ok_or_else(|| ApiError::Internal("authenticated reseller is missing".into()))?;
    tx.commit().await?;
    Ok(versioned(&me, me.version))
}

/// The editable part of an account. `billing` is replaced as a whole.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountPatch {
    name: Option<String>,
    contact_email: Option<String>,
    billing: Option<BillingInput>,
}

/// `PATCH /v1/me`.
#[utoipa::path(
    patch,
    path = "/v1/me",
    tag = "accounts",
    operation_id = "update_me",
    summary = "Change the caller's account.",
    description = "Any subset of `name`, `contact_email` and `billing` (replaced as a whole).",
    params(
        ("If-Match" = Option<String>, Header, description = "The `ETag` this change is based on, e.g. `\"3\"`; absent or `*` for no precondition. Another version answers 412.", pattern = r#"^(?:\*|(?:W/)*"*[+-]?[0-9]{1,18}"*)$"#)
    ),
    request_body(content = super::schemas::AccountPatchBody, description = "The fields to change."),
    responses(
        (status = 200, description = "The changed account.", body = crate::db::resellers::Reseller, headers(("ETag" = String, description = "The version, e.g. `\"3\"`; send it as `If-Match` to update."))),
        (status = 412, description = "`If-Match` names another version than the current one (`version_mismatch`); read the resource again.", content_type = "application/problem+json", body = super::schemas::ProblemDoc)
    ),
    security(("api_key" = []))
)]
pub async fn update_me(
    State(state): State<AppState>,
    auth: AuthReseller,
    if_match: IfMatch,
    AppJson(patch): AppJson<AccountPatch>,
) -> Result<Response, ApiError> {
    let mut v = Violations::new();
    let name = patch
        .name
        .as_deref()
        .and_then(|n| v.check("name", reseller::parse_name(n)));
    let email = patch
        .contact_email
        .as_deref()
        .and_then(|e| v.check("contact_email", EmailAddress::parse(e)));
    let billing = match &patch.billing {
        None => None,
        Some(input) => match Billing::parse(input) {
            Ok(billing) => Some(billing),
            Err(inner) => {
                v.nest("billing", inner);
                None
            }
        },
    };
    if !v.is_empty() {
        return Err(v.into());
    }

    let mut tx = db::tenant(state.db.pool(), auth.reseller_id).await?;
    let mut me = db::resellers::find(&mut tx, auth.reseller_id, true)
        .await?
        .ok_or_else(|| ApiError::Internal("authenticated reseller is missing".into()))?;
    if_match.check(me.version)?;
    if let Some(name) = name {
        me.name = name;
    }
    if let Some(email) = email {
        me.contact_email = email.as_str().to_owned();
    }
    if let Some(billing) = billing {
        me.billing = Json(billing);
    }
    let me = db::resellers::update(&mut tx, &me).await?;
    tx.commit().await?;
    Ok(versioned(&me, me.version))
}
