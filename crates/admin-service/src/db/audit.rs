//! The append-only audit log. Rows are only ever inserted: a change carried
//! out by reseller-service is recorded `pending` before the call and its
//! outcome appended to `audit_outcomes` after it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

/// Who did it, from where, in which request.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// `admin`, `anonymous` (a failed login), `core`, `cli` or `system`.
    pub kind: &'static str,
    pub id: Option<Uuid>,
    pub email: Option<String>,
    pub role: Option<String>,
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
}

/// What was done to what.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    pub action: &'static str,
    pub target_type: &'static str,
    pub target_id: Option<String>,
    pub reason: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// `succeeded`, `failed`, `denied` or `pending`.
    pub outcome: &'static str,
}

/// Appends one row; returns its id.
pub async fn record(
    conn: &mut PgConnection,
    actor: &Actor,
    entry: Entry,
) -> Result<Uuid, sqlx::Error> {
    let audit_id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO admin.audit_log (audit_id, actor_type, actor_id, actor_email, actor_role, \
             action, target_type, target_id, reason, before, after, outcome, request_id, client_addr) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(audit_id)
    .bind(actor.kind)
    .bind(actor.id)
    .bind(&actor.email)
    .bind(&actor.role)
    .bind(entry.action)
    .bind(entry.target_type)
    .bind(entry.target_id)
    .bind(entry.reason)
    .bind(entry.before)
    .bind(entry.after)
    .bind(entry.outcome)
    .bind(&actor.request_id)
    .bind(&actor.client_addr)
    .execute(conn)
    .await?;
    Ok(audit_id)
}

/// Appends the outcome of a `pending` row.
pub async fn complete(
    conn: &mut PgConnection,
    audit_id: Uuid,
    outcome: &'static str,
    (before, after): (Option<Value>, Option<Value>),
    error: Option<String>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO admin.audit_outcomes (audit_id, outcome, before, after, error) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(audit_id)
    .bind(outcome)
    .bind(before)
    .bind(after)
    .bind(error)
    .execute(conn)
    .await
    .map(drop)
}

/// Failed logins within the last `minutes` for an account and from an address.
pub async fn recent_failed_logins(
    conn: &mut PgConnection,
    email: &str,
    client_addr: Option<&str>,
    minutes: i32,
) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "SELECT \
            (SELECT count(*) FROM admin.audit_log WHERE action = 'auth.login_failed' \
                AND lower(target_id) = lower($1) \
                AND occurred_at > now() - make_interval(mins => $3)), \
            (SELECT count(*) FROM admin.audit_log WHERE action = 'auth.login_failed' \
                AND client_addr = $2 \
                AND occurred_at > now() - make_interval(mins => $3))",
    )
    .bind(email)
    .bind(client_addr)
    .bind(minutes)
    .fetch_one(conn)
    .await
}

/// One row of `GET /v1/audit-log`, its outcome merged in.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditRow {
    #[serde(rename = "id")]
    pub audit_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    /// `admin`, `core` or `anonymous` (a login attempt).
    pub actor_type: String,
    #[schema(required = true)]
    pub actor_id: Option<Uuid>,
    #[schema(required = true)]
    pub actor_email: Option<String>,
    #[schema(required = true)]
    pub actor_role: Option<String>,
    pub action: String,
    pub target_type: String,
    #[schema(required = true)]
    pub target_id: Option<String>,
    #[schema(required = true)]
    pub reason: Option<String>,
    #[schema(required = true)]
    pub before: Option<Value>,
    #[schema(required = true)]
    pub after: Option<Value>,
    /// `succeeded`, `failed`, `denied`, or `pending` while a call to
    /// reseller-service runs (left so when its outcome is unknown).
    pub outcome: String,
    #[schema(required = true)]
    pub error: Option<String>,
    #[schema(required = true)]
    pub completed_at: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub request_id: Option<String>,
    #[schema(required = true)]
    pub client_addr: Option<String>,
}

#[derive(Debug, Default)]
pub struct AuditFilter {
    pub actor_id: Option<Uuid>,
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Keyset: rows strictly older than this (time, id).
    pub before: Option<(DateTime<Utc>, Uuid)>,
    pub limit: u32,
}

/// Newest first.
pub async fn list(conn: &mut PgConnection, f: &AuditFilter) -> Result<Vec<AuditRow>, sqlx::Error> {
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT l.audit_id, l.occurred_at, l.actor_type, l.actor_id, l.actor_email, l.actor_role, \
             l.action, l.target_type, l.target_id, l.reason, coalesce(o.before, l.before) AS before, \
             coalesce(o.after, l.after) AS after, coalesce(o.outcome, l.outcome) AS outcome, \
             o.error, o.completed_at, l.request_id, l.client_addr \
         FROM admin.audit_log l LEFT JOIN admin.audit_outcomes o USING (audit_id) WHERE true",
    );
    if let Some(actor_id) = f.actor_id {
        q.push(" AND l.actor_id = ").push_bind(actor_id);
    }
    if let Some(action) = &f.action {
        q.push(" AND l.action = ").push_bind(action.clone());
    }
    if let Some(target_type) = &f.target_type {
        q.push(" AND l.target_type = ")
            .push_bind(target_type.clone());
    }
    if let Some(target_id) = &f.target_id {
        q.push(" AND l.target_id = ").push_bind(target_id.clone());
    }
    if let Some(from) = f.from {
        q.push(" AND l.occurred_at >= ").push_bind(from);
    }
    if let Some(to) = f.to {
        q.push(" AND l.occurred_at < ").push_bind(to);
    }
    if let Some((at, id)) = f.before {
        q.push(" AND (l.occurred_at, l.audit_id) < (")
            .push_bind(at)
            .push(", ")
            .push_bind(id)
            .push(")");
    }
    q.push(" ORDER BY l.occurred_at DESC, l.audit_id DESC LIMIT ")
        .push_bind(i64::from(f.limit) + 1);
    q.build_query_as().fetch_all(conn).await
}
