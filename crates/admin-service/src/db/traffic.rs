//! High-traffic marks and their feed. [`append_change`] must be the last
//! statement of the writing transaction: it takes the next position from the
//! single counter row, whose lock is held until commit, so positions follow
//! commit order and a reader never skips a late commit.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(as = TrafficMark)]
pub struct Designation {
    pub show_id: Uuid,
    pub reseller_id: Uuid,
    #[schema(value_type = domain::admin::TrafficLevel)]
    pub level: String,
    #[schema(required = true)]
    pub expected_peak_rps: Option<i64>,
    #[schema(required = true)]
    pub note: Option<String>,
    pub updated_by: Uuid,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "show_id, reseller_id, level, expected_peak_rps, note, updated_by, updated_at";

pub async fn lock(
    conn: &mut PgConnection,
    show_id: Uuid,
) -> Result<Option<Designation>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM admin.traffic_designations WHERE show_id = $1 FOR UPDATE"
    ))
    .bind(show_id)
    .fetch_optional(conn)
    .await
}

/// The marks of these shows.
pub async fn for_shows(
    conn: &mut PgConnection,
    show_ids: &[Uuid],
) -> Result<Vec<Designation>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM admin.traffic_designations WHERE show_id = ANY($1)"
    ))
    .bind(show_ids)
    .fetch_all(conn)
    .await
}

pub async fn upsert(conn: &mut PgConnection, d: &Designation) -> Result<Designation, sqlx::Error> {
    sqlx::query_as(&format!(
        "INSERT INTO admin.traffic_designations ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, now()) \
         ON CONFLICT (show_id) DO UPDATE SET level = EXCLUDED.level, \
             expected_peak_rps = EXCLUDED.expected_peak_rps, note = EXCLUDED.note, \
             updated_by = EXCLUDED.updated_by, updated_at = now() \
         RETURNING {COLUMNS}"
    ))
    .bind(d.show_id)
    .bind(d.reseller_id)
    .bind(&d.level)
    .bind(d.expected_peak_rps)
    .bind(&d.note)
    .bind(d.updated_by)
    .fetch_one(conn)
    .await
}

/// Records the new state of a mark in the feed; returns its position.
pub async fn append_change(conn: &mut PgConnection, d: &Designation) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "WITH position AS ( \
             UPDATE admin.traffic_feed_position SET last_seq = last_seq + 1 RETURNING last_seq) \
         INSERT INTO admin.traffic_changes (seq, show_id, reseller_id, level, expected_peak_rps, note, changed_at) \
         SELECT last_seq, $1, $2, $3, $4, $5, $6 FROM position RETURNING seq",
    )
    .bind(d.show_id)
    .bind(d.reseller_id)
    .bind(&d.level)
    .bind(d.expected_peak_rps)
    .bind(&d.note)
    .bind(d.updated_at)
    .fetch_one(conn)
    .await
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(as = TrafficChange)]
pub struct Change {
    #[serde(skip)]
    pub seq: i64,
    pub show_id: Uuid,
    pub reseller_id: Uuid,
    #[schema(value_type = domain::admin::TrafficLevel)]
    pub level: String,
    #[schema(required = true)]
    pub expected_peak_rps: Option<i64>,
    #[schema(required = true)]
    pub note: Option<String>,
    pub changed_at: DateTime<Utc>,
}

/// Changes after position `after`, in commit order.
pub async fn read_changes(
    conn: &mut PgConnection,
    after: i64,
    limit: u32,
) -> Result<Vec<Change>, sqlx::Error> {
    sqlx::query_as(
        "SELECT seq, show_id, reseller_id, level, expected_peak_rps, note, changed_at \
         FROM admin.traffic_changes WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await
}
