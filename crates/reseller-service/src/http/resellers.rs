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
