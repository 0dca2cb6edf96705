//! `GET /v1/shows` (every reseller's shows, each with its traffic mark) and
//! `PUT /v1/shows/{show_id}/traffic` (mark a show `normal`, `high` or
//! `extreme`). A mark that changes is appended to the traffic-designations
//! feed in the same transaction, with its audit row.

use axum::{extract::State, Json};
use domain::admin::TrafficLevel;
use platform::http::extract::AppJson;
use platform::http::extract::{AppPath, AppQuery};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::{
    auth::{Admin, AnyRole, OwnerRole},
    schemas::ProblemSchema,
};
use crate::{
    audit::snapshot,
    db::{self, audit::Entry, traffic::Designation},
    reseller_api::query_pairs,
    ApiError, AppState,
};

/// Largest `expected_peak_rps` accepted.
pub const MAX_PEAK_RPS: i64 = 10_000_000;

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
    /// Only this reseller's shows.
    reseller_id: Option<Uuid>,
}

/// `GET /v1/shows`: reseller-service's page, each show with `traffic` (its
/// mark, or null).
#[utoipa::path(
    get,
    path = "/v1/shows",
    tag = "traffic",
    operation_id = "list_shows",
    summary = "Every reseller's shows, each with its traffic mark.",
    description = "Any admin role (`viewer`, `support`, `owner`). In creation order; filter `reseller_id`.",
    params(ListShows),
    security(("admin_session" = [])),
    responses((status = 200, description = "A page of shows.", body = platform::pagination::Page<super::schemas::Show>)),
)]
pub async fn list_shows(
    State(state): State<AppState>,
    _admin: Admin<AnyRole>,
    AppQuery(q): AppQuery<ListShows>,
) -> Result<Json<Value>, ApiError> {
    let query = query_pairs(&[
        ("limit", q.limit.map(|l| l.to_string())),
        ("cursor", q.cursor),
        ("reseller_id", q.reseller_id.map(|r| r.to_string())),
    ]);
    let mut page: Value = state.reseller.get("/internal/v1/shows", &query).await?;
    let shows = page
        .get_mut("data")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| ApiError::Upstream("shows page without data".into()))?;
    let ids: Vec<Uuid> = shows
        .iter()
        .filter_map(|s| s.get("id")?.as_str()?.parse().ok())
        .collect();
    let mut conn = state.db.acquire().await?;
    let marks = db::traffic::for_shows(&mut conn, &ids).await?;
    for show in shows.iter_mut() {
        let id = show
            .get("id")
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<Uuid>().ok());
        let mark = marks.iter().find(|m| Some(m.show_id) == id);
        show["traffic"] = match mark {
            Some(mark) => snapshot(mark)?,
            None => Value::Null,
        };
    }
    Ok(Json(page))
}

/// A show's traffic mark as set.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewTrafficMark, example = json!({ "level": "extreme", "expected_peak_rps": 50000, "note": "Presale of the reunion tour." }))]
pub struct TrafficMark {
    #[schema(value_type = TrafficLevel)]
    level: String,
    /// Requests per second expected at the peak, 0 to 10,000,000.
    #[schema(minimum = 0, maximum = 10_000_000)]
    #[serde(default, deserialize_with = "platform::http::extract::whole_number")]
    expected_peak_rps: Option<i64>,
    #[schema(schema_with = super::schemas::traffic_note)]
    note: Option<String>,
}

/// `PUT /v1/shows/{show_id}/traffic`.
#[utoipa::path(
    put,
    path = "/v1/shows/{show_id}/traffic",
    tag = "traffic",
    operation_id = "mark_show_traffic",
    summary = "Mark a show `normal`, `high` or `extreme` traffic.",
    description = "Owner only. A mark that changes is appended to `GET /internal/v1/traffic-designations`; setting the same mark again changes nothing (but is audited).",
    params(("show_id" = Uuid, Path, description = "The show, of any reseller.")),
    request_body = TrafficMark,
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "The show's mark.", body = Designation),
        (status = 422, description = "A field is missing or invalid.", content_type = "application/problem+json", body = ProblemSchema),
    ),
)]
pub async fn mark_show_traffic(
    State(state): State<AppState>,
    owner: Admin<OwnerRole>,
    AppPath(show_id): AppPath<Uuid>,
    AppJson(body): AppJson<TrafficMark>,
) -> Result<Json<Designation>, ApiError> {
    let level = TrafficLevel::parse(&body.level).ok_or_else(|| {
        ApiError::invalid(
            "level",
            "invalid_choice",
            "must be one of normal, high, extreme",
        )
    })?;
    if body
        .expected_peak_rps
        .is_some_and(|rps| !(0..=MAX_PEAK_RPS).contains(&rps))
    {
        return Err(ApiError::invalid(
            "expected_peak_rps",
            "out_of_range",
            format!("must be between 0 and {MAX_PEAK_RPS}"),
        ));
    }
    let note = body
        .note
        .as_deref()
        .map(|n| domain::text::bounded(n, 0, 500))
        .transpose()
        .map_err(|(code, message)| ApiError::invalid("note", code, message))?
        .filter(|n| !n.is_empty());
    // The show must exist; its reseller is recorded with the mark.
    let show: Value = state
        .reseller
        .get(&format!("/internal/v1/shows/{show_id}"), &[])
        .await?;
    let reseller_id: Uuid = show
        .get("reseller_id")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ApiError::Upstream("show without reseller_id".into()))?;

    let mut tx = state.db.begin().await?;
    let before = db::traffic::lock(&mut tx, show_id).await?;
    let wanted = Designation {
        show_id,
        reseller_id,
        level: level.as_str().to_owned(),
        expected_peak_rps: body.expected_peak_rps,
        note,
        updated_by: owner.admin_id,
        updated_at: chrono::Utc::now(),
    };
    let unchanged = before.as_ref().is_some_and(|b| {
        b.level == wanted.level
            && b.expected_peak_rps == wanted.expected_peak_rps
            && b.note == wanted.note
    });
    let after = match (&before, unchanged) {
        (Some(before), true) => before.clone(),
        _ => db::traffic::upsert(&mut tx, &wanted).await?,
    };
    db::audit::record(
        &mut tx,
        &owner.actor(),
        Entry {
            action: "show.mark_traffic",
            target_type: "show",
            target_id: Some(show_id.to_string()),
            before: before.as_ref().map(snapshot).transpose()?,
            after: Some(snapshot(&after)?),
            outcome: "succeeded",
            ..Entry::default()
        },
    )
    .await?;
    if !unchanged {
        db::traffic::append_change(&mut tx, &after).await?;
    }
    tx.commit().await?;
    Ok(Json(after))
}
