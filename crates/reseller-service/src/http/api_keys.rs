//! API keys of the calling reseller: list (never the secret), create (the
//! secret is shown once), revoke (effective on the next request).

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use domain::{api_key::ApiKeySecret, text};
use platform::{
    http::extract::{AppPath, AppQuery},
    idempotency::CreateRequest,
    pagination::{Page, PageQuery},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    auth::{key_hash, AuthReseller},
    support::Idempotent,
};
use crate::{
    db::{self, api_keys::ApiKey, api_keys::Revocation},
    ApiError, AppState,
};

/// At most this many unrevoked keys per reseller.
pub const MAX_ACTIVE_KEYS: usize = 20;

/// Generates a key and stores its hash.
pub async fn issue_key(
    conn: &mut sqlx::PgConnection,
    reseller_id: Uuid,
    name: &str,
) -> Result<(ApiKeySecret, ApiKey), ApiError> {
    let mut random = [0u8; 64];
    getrandom::fill(&mut random).map_err(|e| ApiError::Internal(format!("random source: {e}")))?;
    let secret = ApiKeySecret::from_random(&random);
    let key = db::api_keys::insert(
        conn,
        reseller_id,
        Uuid::now_v7(),
        name,
        secret.display_prefix(),
        &key_hash(&secret),
    )
    .await?;
    Ok((secret, key))
}

/// `GET /v1/api-keys`.
#[utoipa::path(
    get,
    path = "/v1/api-keys",
    tag = "accounts",
    operation_id = "list_api_keys",
    summary = "The caller's API keys (never the secret), oldest first.",
    params(
        ("limit" = Option<u32>, Query, description = "Page size: 1 to 500, 50 when absent.", minimum = 1, maximum = 500),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page.", pattern = "^(?:[A-Za-z0-9_-]{22})?$")
    ),
    responses(
        (status = 200, description = "A page of keys.", body = platform::pagination::Page<crate::db::api_keys::ApiKey>)
    ),
    security(("api_key" = []))
)]
pub async fn list_api_keys(
    State(state): State<AppState>,
    auth: AuthReseller,
    AppQuery(page): AppQuery<PageQuery>,
) -> Result<axum::Json<Page<ApiKey>>, ApiError> {
    let limit = page.limit()?;
    let mut tx = db::tenant(state.db.pool(), auth.reseller_id).await?;
    let rows = db::api_keys::list(&mut tx, auth.reseller_id, page.cursor_uuid()?, limit).await?;
    tx.commit().await?;
    Ok(axum::Json(Page::from_rows(rows, limit, |k| {
        k.key_id.as_bytes().to_vec()
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    name: String,
}

#[derive(Debug, Serialize)]
struct CreatedKey<'a> {
    #[serde(flatten)]
    key: &'a ApiKey,
    /// The secret, shown only in this response.
    api_key: &'a str,
}

/// `POST /v1/api-keys`.
#[utoipa::path(
    post,
    path = "/v1/api-keys",
    tag = "accounts",
    operation_id = "create_api_key",
    summary = "Create an API key.",
    description = "The secret is in this answer only. At most 20 active keys (409 `too_many_api_keys`).",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the create safe to retry: the same key with the same body within 24 hours answers the first response again; with another body, 422 `idempotency_key_reused`.", min_length = 1, max_length = 255, pattern = "^[!-~]{1,255}$")
    ),
    request_body(content = super::schemas::NewApiKeyBody),
    responses(
        (status = 201, description = "The key with its secret.", body = super::schemas::CreatedKeyDoc),
        (status = 409, description = "The reseller already has 20 active keys (`too_many_api_keys`).", content_type = "application/problem+json", body = super::schemas::ProblemDoc),
        (status = 422, description = "The Idempotency-Key was already used with another body (`idempotency_key_reused`).", content_type = "application/problem+json", body = super::schemas::ProblemDoc)
    ),
    security(("api_key" = []))
)]
pub async fn create_api_key(
    State(state): State<AppState>,
    auth: AuthReseller,
    request: CreateRequest<NewApiKey>,
) -> Result<Response, ApiError> {
    let name = text::bounded(&request.body.name, 1, 100)
        .map_err(|(code, message)| ApiError::invalid("name", code, message))?;
    let mut tx = db::tenant(state.db.pool(), auth.reseller_id).await?;
    let idempotent = Idempotent {
        scope: auth.reseller_id,
        key: request.key.as_ref(),
        fingerprint: &request.fingerprint,
    };
    if let Some(replay) = idempotent.begin(&mut tx).await? {
        return Ok(replay);
    }
    let existing = db::api_keys::list(&mut tx, auth.reseller_id, None, 500).await?;
    if existing.iter().filter(|k| k.revoked_at.is_none()).count() >= MAX_ACTIVE_KEYS {
        return Err(ApiError::conflict(
            "too_many_api_keys",
            format!(
                "A reseller may have at most {MAX_ACTIVE_KEYS} active API keys; revoke one first."
            ),
        ));
    }
    let (secret, key) = issue_key(&mut tx, auth.reseller_id, &name).await?;
    let response = idempotent
        .finish(
            &mut tx,
            &CreatedKey {
                key: &key,
                api_key: secret.expose(),
            },
            None,
        )
        .await?;
    tx.commit().await?;
    Ok(response)
}

/// `DELETE /v1/api-keys/{key_id}`: 204, also when it was already revoked.
#[utoipa::path(
    delete,
    path = "/v1/api-keys/{key_id}",
    tag = "accounts",
    operation_id = "revoke_api_key",
    summary = "Revoke an API key.",
    description = "Effective on the next request; revoking a revoked key is also 204. The last active key cannot be revoked (409 `last_active_key`).",
    params(
        ("key_id" = Uuid, Path, description = "The key.")
    ),
    responses(
        (status = 204, description = "Revoked."),
        (status = 409, description = "This is the last active key (`last_active_key`).", content_type = "application/problem+json", body = super::schemas::ProblemDoc)
    ),
    security(("api_key" = []))
)]
pub async fn revoke_api_key(
    State(state): State<AppState>,
    auth: AuthReseller,
    AppPath(key_id): AppPath<Uuid>,
) -> Result<Response, ApiError> {
    let mut tx = db::tenant(state.db.pool(), auth.reseller_id).await?;
    let outcome = db::api_keys::revoke(&mut tx, auth.reseller_id, key_id).await?;
    tx.commit().await?;
    match outcome {
        Revocation::Revoked | Revocation::AlreadyRevoked => {
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        Revocation::NotFound => Err(ApiError::NotFound),
        Revocation::LastActiveKey => Err(ApiError::conflict(
            "last_active_key",
            "This is your last active API key; create another before revoking it.",
        )),
    }
}
