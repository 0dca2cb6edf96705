//! Shows of the calling reseller. Updates take `If-Match` with the ETag of
//! the version they were based on (412 when it is stale); every create and
//! change is written to the catalog feed in the same transaction.

use axum::{extract::State, response::Response, Json};
use chrono::{DateTime, Utc};
use domain::{
    catalog::{self, Schedule, ShowStatus},
    reseller::ResellerStatus,
    Violations,
};
use platform::{
    http::extract::{AppJson, AppPath, AppQuery},
    idempotency::CreateRequest,
    pagination::{Page, PageQuery},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    auth::AuthReseller,
    support::{versioned, Idempotent, IfMatch},
};
use crate::{
    db::{
        self,
        catalog_feed::{Action, Entity},
        shows::Show,
    },
    ApiError, AppState,
};

/// Shows per reseller, a bound on what one client can make us store.
pub const MAX_SHOWS_PER_RESELLER: usize = 10_000;

/// Fields of a show as sent; all optional so a PATCH can send any subset
/// and a create reports every missing field.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShowInput {
    name: Option<String>,
    venue: Option<String>,
    starts_at: Option<DateTime<Utc>>,
    sales_start_at: Option<DateTime<Utc>>,
    sales_end_at: Option<DateTime<Utc>>,
    status: Option<String>,
}

fn parse_status(v: &mut Violations, raw: &Option<String>) -> Option<ShowStatus> {
    let raw = raw.as_deref()?;
    let status = ShowStatus::parse(raw);
    if status.is_none() {
        v.add(
            "status",
            "invalid_choice",
            "must be one of draft, published, cancelled",
        );
    }
    status
}

fn require<T: Clone>(v: &mut Violations, field: &str, value: &Option<T>) -> Option<T> {
    if value.is_none() {
        v.add(field, "required", "is required");
    }
    value.clone()
}

/// Applies `input` over `show` (a blank show for a create), validating the
/// result and the status move.
fn merge(
    show: &mut Show,
    input: &ShowInput,
    reseller_status: ResellerStatus,
    creating: bool,
) -> Result<(), ApiError> {
    let mut v = Violations::new();
    if creating {
        require(&mut v, "name", &input.name);
        require(&mut v, "venue", &input.venue);
        require(&mut v, "starts_at", &input.starts_at);
        require(&mut v, "sales_start_at", &input.sales_start_at);
        require(&mut v, "sales_end_at", &input.sales_end_at);
    }
    if let Some(name) = input
        .name
        .as_deref()
        .and_then(|n| v.check("name", catalog::parse_show_name(n)))
    {
        show.name = name;
    }
    if let Some(venue) = input
        .venue
        .as_deref()
        .and_then(|n| v.check("venue", catalog::parse_venue(n)))
    {
        show.venue = venue;
    }
    let starts_at_changed = input
        .starts_at
        .is_some_and(|s| creating || s != show.starts_at);
    show.starts_at = input.starts_at.unwrap_or(show.starts_at);
    show.sales_start_at = input.sales_start_at.unwrap_or(show.sales_start_at);
    show.sales_end_at = input.sales_end_at.unwrap_or(show.sales_end_at);
    let status = parse_status(&mut v, &input.status);
    if !v.is_empty() {
        return Err(v.into());
    }
    let schedule = Schedule {
        starts_at: show.starts_at,
        sales_start_at: show.sales_start_at,
        sales_end_at: show.sales_end_at,
    };
    let problems = schedule.check(Utc::now(), starts_at_changed);
    if !problems.is_empty() {
        return Err(problems.into());
    }
    if let Some(to) = status {
        let from = ShowStatus::parse(&show.status).unwrap_or(ShowStatus::Draft);
        if creating && to == ShowStatus::Cancelled {
            return Err(ApiError::invalid(
                "status",
                "invalid_choice",
                "a new show is draft or published",
            ));
        }
        if !creating && !from.can_become(to) {
            return Err(ApiError::conflict(
                "invalid_status_change",
                format!("A {} show cannot become {}.", from.as_str(), to.as_str()),
            ));
        }
        if to == ShowStatus::Published
            && from != ShowStatus::Published
            && reseller_status != ResellerStatus::Active
        {
            return Err(ApiError::forbidden(
                "reseller_pending",
                "Your account awaits approval by the platform; shows can be published once it is approved.",
            ));
        }
        show.status = to.as_str().to_owned();
    }
    Ok(())
}

/// `POST /v1/shows`.
#[utoipa::path(
    post,
    path = "/v1/shows",
    tag = "catalog",
    operation_id = "create_show",
    summary = "Create a show.",
    description = "Rules beyond the schema (400 naming the field): `sales_start_at` before `sales_end_at`, `sales_end_at` not after `starts_at`, `starts_at` in the future and within five years. Publishing needs an approved reseller (403 `reseller_pending`). At most 10000 shows (409 `too_many_shows`).",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the create safe to retry: the same key with the same body within 24 hours answers the first response again; with another body, 422 `idempotency_key_reused`.", min_length = 1, max_length = 255, pattern = "^[!-~]{1,255}$")
    ),
    request_body(content = super::schemas::NewShowBody),
    responses(
        (status = 201, description = "The show.", body = crate::db::shows::Show, headers(("ETag" = String, description = "The version, e.g. `\"3\"`; send it as `If-Match` to update."))),
        (status = 409, description = "The reseller has 10000 shows (`too_many_shows`).", content_type = "application/problem+json", body = super::schemas::ProblemDoc),
        (status = 422, description = "The Idempotency-Key was already used with another body (`idempotency_key_reused`).", content_type = "application/problem+json", body = super::schemas::ProblemDoc)
    ),
    security(("api_key" = []))
)]
pub async fn create_show(
    State(state): State<AppState>,
    auth: AuthReseller,
    request: CreateRequest<ShowInput>,
) -> Result<Response, ApiError> {
    let now = Utc::now();
    let mut show = Show {
        show_id: Uuid::now_v7(),
        reseller_id: auth.reseller_id,
        name: String::new(),
        venue: String::new(),
        starts_at: now,
        sales_start_at: now,
        sales_end_at: now,
        status: ShowStatus::Draft.as_str().to_owned(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    merge(&mut show, &request.body, auth.status, true)?;

    let mut tx = db::tenant(state.db.pool(), auth.reseller_id).await?;
    let idempotent = Idempotent {
        scope: auth.reseller_id,
        key: request.key.as_ref(),
        fingerprint: &request.fingerprint,
    };
    if let Some(replay) = idempotent.begin(&mut tx).await? {
        return Ok(replay);
    }
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM reseller.shows WHERE reseller_id = $1")
            .bind(auth.reseller_id)
            .fetch_one(&mut *tx)
            .await?;
    if count as usize >= MAX_SHOWS_PER_RESELLER {
        return Err(ApiError::conflict(
            "too_many_shows",
            format!("A reseller may have at most {MAX_SHOWS_PER_RESELLER} shows."),
        ));
    }
    let show = db::shows::insert(&mut tx, &show).await?;
    let response = idempotent
        .finish(&mut tx, &show, Some(show.version))
        .await?;
    db::catalog_feed::append(
        &mut tx,
        auth.reseller_id,
        Entity::Show,
        Action::Created,
        show.show_id,
        None,
        &show,
    )
    .await?;
    tx.commit().await?;
    Ok(response)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListShows {
    /// Page size: 1 to 500, 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^(?:[A-Za-z0-9_-]{22})?$")]
    cursor: Option<String>,
    #[param(inline, value_type = Option<domain::catalog::ShowStatus>)]
    status: Option<String>,
}

/// 422 unless `raw` is a show status (a list filter).
pub fn check_status_filter(raw: &Option<String>) -> Result<(), ApiError> {
    match raw {
        Some(status) if ShowStatus::parse(status).is_none() => Err(ApiError::invalid(
            "status",
            "invalid_choice",
            "must be one of draft, published, cancelled",
        )),
        _ => Ok(()),
    }
}

/// `GET /v1/shows`, in creation order; filter `status`.
#[utoipa::path(
    get,
    path = "/v1/shows",
    tag = "catalog",
    operation_id = "list_shows",
    summary = "The caller's shows, in creation order.",
    params(
        ListShows
    ),
    responses(
        (status = 200, description = "A page of shows.", body = platform::pagination::Page<crate::db::shows::Show>)
    ),
    security(("api_key" = []))
)]
pub async fn list_shows(
    State(state): State<AppState>,
    auth: AuthReseller,
    AppQuery(query): AppQuery<ListShows>,
) -> Result<Json<Page<Show>>, ApiError> {
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    };
    let limit = page.limit()?;
    check_status_filter(&query.status)?;
    let mut tx = db::tenant(state.db.pool(), auth.reseller_id).await?;
    let rows = db::shows::list(
        &mut tx,
        Some(auth.reseller_id),
        query.status.as_deref(),
        page.cursor_uuid()?,
        limit,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(Page::from_rows(rows, limit, |s| {
        s.show_id.as_bytes().to_vec()
    })))
}

/// `GET /v1/shows/{show_id}`.
#[utoipa::path(
    get,
    path = "/v1/shows/{show_id}",
    tag = "catalog",
    operation_id = "get_show",
    summary = "One of the caller's shows.",
    params(
        ("show_id" = Uuid, Path, description = "The show.")
    ),
    responses(
        (status = 200, description = "The show.", body = crate::db::shows::Show, headers(("ETag" = String, description = "The version, e.g. `\"3\"`; send it as `If-Match` to update.")))
    ),
    security(("api_key" = []))
)]
pub async fn get_show(
    State(state): State<AppState>,
    auth: AuthReseller,
    AppPath(show_id): AppPath<Uuid>,
) -> Result<Response, ApiError> {
    let mut tx = db::tenant(state.db.pool(), auth.reseller_id).await?;
    let show = db::shows::find(&mut tx, auth.reseller_id, show_id, false)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(versioned(&show, show.version))
}

/// `PATCH /v1/shows/{show_id}`.
#[utoipa::path(
    patch,
    path = "/v1/shows/{show_id}",
    tag = "catalog",
    operation_id = "update_show",
    summary = "Change a show.",
    description = "The schedule rules of a create apply to the result (400); status moves: draft to published or cancelled, published to cancelled (else 409 `invalid_status_change`); publishing needs an approved reseller (403 `reseller_pending`).",
    params(
        ("show_id" = Uuid, Path, description = "The show."),
        ("If-Match" = Option<String>, Header, description = "The `ETag` this change is based on, e.g. `\"3\"`; absent or `*` for no precondition. Another version answers 412.", pattern = r#"^(?:\*|(?:W/)*"*[+-]?[0-9]{1,18}"*)$"#)
    ),
    request_body(content = super::schemas::ShowPatchBody),
    responses(
        (status = 200, description = "The changed show.", body = crate::db::shows::Show, headers(("ETag" = String, description = "The version, e.g. `\"3\"`; send it as `If-Match` to update."))),
        (status = 409, description = "The status cannot move this way (`invalid_status_change`).", content_type = "application/problem+json", body = super::schemas::ProblemDoc),
        (status = 412, description = "`If-Match` names another version than the current one (`version_mismatch`); read the resource again.", content_type = "application/problem+json", body = super::schemas::ProblemDoc)
    ),
    security(("api_key" = []))
)]
pub async fn update_show(
    State(state): State<AppState>,
    auth: AuthReseller,
    AppPath(show_id): AppPath<Uuid>,
    if_match: IfMatch,
    AppJson(input): AppJson<ShowInput>,
) -> Result<Response, ApiError> {
    let mut tx = db::tenant(state.db.pool(), auth.reseller_id).await?;
    let mut show = db::shows::find(&mut tx, auth.reseller_id, show_id, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    if_match.check(show.version)?;
    merge(&mut show, &input, auth.status, false)?;
    let show = db::shows::update(&mut tx, &show).await?;
    db::catalog_feed::append(
        &mut tx,
        auth.reseller_id,
        Entity::Show,
        Action::Updated,
        show.show_id,
        None,
        &show,
    )
    .await?;
    tx.commit().await?;
    Ok(versioned(&show, show.version))
}
