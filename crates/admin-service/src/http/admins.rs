//! `GET /v1/admins`, `POST /v1/admins`, `PATCH /v1/admins/{admin_id}`:
//! owners manage admins and their roles. The last active owner can be neither
//! demoted nor disabled. Disabling or demoting an admin ends their sessions.

use axum::{extract::State, response::Response, Json};
use domain::{admin::AdminRole, text::EmailAddress};
use platform::http::extract::AppJson;
use platform::idempotency::CreateRequest;
use platform::{
    http::extract::{AppPath, AppQuery},
    idempotency::Idempotent,
    pagination::{Page, PageQuery},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    auth::{Admin, OwnerRole},
    schemas::{IdPageParams, IdempotencyKeyHeader, ProblemSchema},
};
use crate::{
    audit::snapshot,
    db::{self, admins::Admin as AdminRecord, audit::Entry},
    password, ApiError, AppState,
};

/// `GET /v1/admins`.
#[utoipa::path(
    get,
    path = "/v1/admins",
    tag = "admins",
    operation_id = "list_admins",
    summary = "Every admin account, disabled ones included.",
    description = "Owner only. Ordered by id; keyset pagination.",
    params(IdPageParams),
    security(("admin_session" = [])),
    responses((status = 200, description = "A page of admins.", body = Page<AdminRecord>)),
)]
pub async fn list_admins(
    State(state): State<AppState>,
    _owner: Admin<OwnerRole>,
    AppQuery(page): AppQuery<PageQuery>,
) -> Result<Json<Page<AdminRecord>>, ApiError> {
    let limit = page.limit()?;
    let mut conn = state.db.acquire().await?;
    let rows = db::admins::list(&mut conn, page.cursor_uuid()?, limit).await?;
    Ok(Json(Page::from_rows(rows, limit, |a| {
        a.admin_id.as_bytes().to_vec()
    })))
}

/// A new admin account.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "email": "support@ticketing.example", "password": "a long pass-phrase", "role": "support" }))]
pub struct NewAdmin {
    #[schema(schema_with = super::schemas::new_email)]
    email: String,
    /// 12 to 128 characters, any.
    #[schema(min_length = 12, max_length = 128, format = Password)]
    password: String,
    #[schema(value_type = AdminRole)]
    role: String,
}

pub fn parse_role(raw: &str) -> Result<AdminRole, ApiError> {
    AdminRole::parse(raw).ok_or_else(|| {
        ApiError::invalid(
            "role",
            "invalid_choice",
            "must be one of owner, support, viewer",
        )
    })
}

/// Validates an e-mail and a password as a new admin's credentials.
pub fn parse_credentials(email: &str, password: &str) -> Result<EmailAddress, ApiError> {
    let email = EmailAddress::parse(email)
        .map_err(|(code, message)| ApiError::invalid("email", code, message))?;
    domain::admin::check_password(password)
        .map_err(|(code, message)| ApiError::invalid("password", code, message))?;
    Ok(email)
}

/// `POST /v1/admins`.
#[utoipa::path(
    post,
    path = "/v1/admins",
    tag = "admins",
    operation_id = "create_admin",
    summary = "Create an admin account with a role.",
    description = "Owner only. The new admin logs in with the e-mail and password given here.",
    params(IdempotencyKeyHeader),
    request_body = NewAdmin,
    security(("admin_session" = [])),
    responses(
        (status = 201, description = "The admin was created (or, with the same `Idempotency-Key` and body, is answered again).", body = AdminRecord),
        (status = 409, description = "`email_taken`: an admin with this e-mail (in any case) exists.", content_type = "application/problem+json", body = ProblemSchema),
        (status = 422, description = "A field is missing or invalid, or `idempotency_key_reused`: the key was used with another body.", content_type = "application/problem+json", body = ProblemSchema),
    ),
)]
pub async fn create_admin(
    State(state): State<AppState>,
    owner: Admin<OwnerRole>,
    request: CreateRequest<NewAdmin>,
) -> Result<Response, ApiError> {
    let idempotent = Idempotent {
        store: db::IDEMPOTENCY,
        scope: owner.admin_id,
        key: request.key.as_ref(),
        fingerprint: &request.fingerprint,
    };
    let body = request.body;
    let email = parse_credentials(&body.email, &body.password)?;
    let role = parse_role(&body.role)?;
    let hash = password::hash(body.password).await?;
    let mut tx = state.db.begin().await?;
    if let Some(replay) = idempotent.begin::<ApiError>(&mut tx).await? {
        return Ok(replay);
    }
    let admin = db::admins::insert(&mut tx, email.as_str(), &hash, role.as_str())
        .await?
        .ok_or_else(|| {
            ApiError::conflict("email_taken", "An admin with this e-mail already exists.")
        })?;
    db::audit::record(
        &mut tx,
        &owner.actor(),
        Entry {
            action: "admin.create",
            target_type: "admin",
            target_id: Some(admin.admin_id.to_string()),
            after: Some(snapshot(&admin)?),
            outcome: "succeeded",
            ..Entry::default()
        },
    )
    .await?;
    let response = idempotent.finish::<ApiError>(&mut tx, &admin).await?;
    tx.commit().await?;
    Ok(response)
}

/// A change of an admin: either field, or both; absent or null leaves it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "role": "viewer", "disabled": false }))]
pub struct AdminChange {
    #[schema(value_type = Option<AdminRole>)]
    role: Option<String>,
    /// A disabled admin cannot log in; disabling ends their sessions.
    disabled: Option<bool>,
}

/// `PATCH /v1/admins/{admin_id}`: `role` and/or `disabled`.
#[utoipa::path(
    patch,
    path = "/v1/admins/{admin_id}",
    tag = "admins",
    operation_id = "update_admin",
    summary = "Change an admin's role or disable them.",
    description = "Owner only. A change of role or disabling ends the admin's sessions. The last active owner can be neither demoted nor disabled (409 `last_owner`).",
    params(("admin_id" = Uuid, Path, description = "The admin.")),
    request_body = AdminChange,
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "The admin after the change.", body = AdminRecord),
        (status = 409, description = "`last_owner`: this is the last active owner; make another admin owner first.", content_type = "application/problem+json", body = ProblemSchema),
        (status = 422, description = "A field has the wrong type or value.", content_type = "application/problem+json", body = ProblemSchema),
    ),
)]
pub async fn update_admin(
    State(state): State<AppState>,
    owner: Admin<OwnerRole>,
    AppPath(admin_id): AppPath<Uuid>,
    AppJson(body): AppJson<AdminChange>,
) -> Result<Json<AdminRecord>, ApiError> {
    let role = body.role.as_deref().map(parse_role).transpose()?;
    let mut tx = state.db.begin().await?;
    // Owners first, then the target: every change takes locks in one order.
    let owners = db::admins::lock_active_owners(&mut tx).await?;
    let before = db::admins::lock(&mut tx, admin_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let new_role = role.map_or(before.role.clone(), |r| r.as_str().to_owned());
    let disabled = body.disabled.unwrap_or(before.disabled);
    let stays_active_owner = new_role == "owner" && !disabled;
    if owners.contains(&admin_id) && owners.len() == 1 && !stays_active_owner {
        return Err(ApiError::conflict(
            "last_owner",
            "This is the last active owner; make another admin owner first.",
        ));
    }
    let after = db::admins::update(&mut tx, admin_id, &new_role, disabled).await?;
    if after.disabled || after.role != before.role {
        db::sessions::revoke_all(&mut tx, admin_id).await?;
    }
    db::audit::record(
        &mut tx,
        &owner.actor(),
        Entry {
            action: "admin.update",
            target_type: "admin",
            target_id: Some(admin_id.to_string()),
            before: Some(snapshot(&before)?),
            after: Some(snapshot(&after)?),
            outcome: "succeeded",
            ..Entry::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Json(after))
}
