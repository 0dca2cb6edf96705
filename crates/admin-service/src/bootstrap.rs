//! The first owner (`ADMIN_BOOTSTRAP_EMAIL`/`_PASSWORD`, created at start-up
//! when no admin exists yet) and the command-line `create-admin`, which
//! creates an admin or resets one's password, role and disabled state. Both
//! are audited like any other change.

use std::time::Duration;

use domain::admin::AdminRole;
use platform::db::Database;

use crate::{
    audit::snapshot,
    db::{
        self,
        admins::Admin,
        audit::{Actor, Entry},
    },
    http::admins::parse_credentials,
    password, ApiError, AppState,
};

/// Waits for the migrations, then creates the bootstrap owner if configured
/// and needed, retrying while the database is away.
pub async fn after_migrations(state: AppState, migrations: tokio::task::JoinHandle<()>) {
    if migrations.await.is_err() {
        return;
    }
    let Some(bootstrap) = state.config.bootstrap_admin.clone() else {
        return;
    };
    let mut delay = Duration::from_millis(200);
    loop {
        match bootstrap_owner(&state.db, &bootstrap.email, &bootstrap.password).await {
            Ok(Some(admin)) => {
                tracing::info!(admin_id = %admin.admin_id, "bootstrap owner created");
                return;
            }
            Ok(None) => return,
            Err(ApiError::Client(problem)) => {
                tracing::error!(
                    code = problem.code(),
                    "ADMIN_BOOTSTRAP_EMAIL/_PASSWORD refused: {:?}",
                    problem.errors()
                );
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "bootstrap owner not created yet");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Creates the owner when there is no admin at all; `None` otherwise.
pub async fn bootstrap_owner(
    db: &Database,
    email: &str,
    password: &str,
) -> Result<Option<Admin>, ApiError> {
    let email = parse_credentials(email, password)?;
    let mut conn = db.acquire().await?;
    if db::admins::any_exists(&mut conn).await? {
        return Ok(None);
    }
    drop(conn);
    let hash = password::hash(password.to_owned()).await?;
    let mut tx = db.begin().await?;
    // Serialises concurrent bootstraps (two instances starting together).
    sqlx::query("LOCK TABLE admin.admins IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await?;
    if db::admins::any_exists(&mut tx).await? {
        return Ok(None);
    }
    let admin = db::admins::insert(&mut tx, email.as_str(), &hash, AdminRole::Owner.as_str())
        .await?
        .ok_or_else(|| ApiError::Internal("bootstrap e-mail taken in an empty table".into()))?;
    record(&mut tx, "system", "admin.bootstrap", &admin, None).await?;
    tx.commit().await?;
    Ok(Some(admin))
}

async fn record(
    conn: &mut sqlx::PgConnection,
    kind: &'static str,
    action: &'static str,
    after: &Admin,
    before: Option<&Admin>,
) -> Result<(), ApiError> {
    db::audit::record(
        conn,
        &Actor {
            kind,
            ..Actor::default()
        },
        Entry {
            action,
            target_type: "admin",
            target_id: Some(after.admin_id.to_string()),
            before: before.map(snapshot).transpose()?,
            after: Some(snapshot(after)?),
            outcome: "succeeded",
            ..Entry::default()
        },
    )
    .await?;
    Ok(())
}

/// Whether [`create_or_reset`] created a new admin or reset an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminChange {
    Created,
    Reset,
}

/// `admin-service create-admin`: creates the admin, or resets an existing
/// one's password and role, re-enables it and ends its sessions.
pub async fn create_or_reset(
    db: &Database,
    email: &str,
    password: &str,
    role: AdminRole,
) -> Result<(Admin, AdminChange), ApiError> {
    let email = parse_credentials(email, password)?;
    let hash = password::hash(password.to_owned()).await?;
    let mut tx = db.begin().await?;
    let existing = db::admins::credentials(&mut tx, email.as_str()).await?;
    let (admin, change) = match existing {
        Some((before, _)) => {
            let locked = db::admins::lock(&mut tx, before.admin_id)
                .await?
                .ok_or(ApiError::NotFound)?;
            let after = db::admins::reset(&mut tx, locked.admin_id, &hash, role.as_str()).await?;
            db::sessions::revoke_all(&mut tx, after.admin_id).await?;
            record(&mut tx, "cli", "admin.reset", &after, Some(&locked)).await?;
            (after, AdminChange::Reset)
        }
        None => {
            let admin = db::admins::insert(&mut tx, email.as_str(), &hash, role.as_str())
                .await?
                .ok_or_else(|| {
                    ApiError::conflict("email_taken", "created concurrently; run again")
                })?;
            record(&mut tx, "cli", "admin.create", &admin, None).await?;
            (admin, AdminChange::Created)
        }
    };
    tx.commit().await?;
    Ok((admin, change))
}
