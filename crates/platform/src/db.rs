//! The database side every service shares: a lazily connecting pool confined
//! to the service's own schema, migrations applied at start-up with their
//! bookkeeping in that schema, readiness, and the role set-up SQL.
//!
//! Each service owns one schema (`reseller`, `admin`) and connects as a role
//! that can use only that schema. The pool sets `search_path` to the schema,
//! which is also what puts sqlx's unqualified `_sqlx_migrations` table inside
//! it: two services sharing a database keep separate migration bookkeeping.

use std::{
    str::FromStr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use axum::{extract::State, http::StatusCode, routing::get, Json, Router};
use sqlx::{
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
    PgPool,
};

use crate::{config::ConfigError, problem::Problem};

/// Parses a `postgres://` URL, naming `variable` when it is malformed.
pub fn parse_url(variable: &'static str, url: &str) -> Result<PgConnectOptions, ConfigError> {
    PgConnectOptions::from_str(url).map_err(|e| ConfigError::new(variable, e.to_string()))
}

/// Pool sizing and timeouts.
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    pub max_connections: u32,
    /// How long a request waits for a connection before it is answered 503.
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(3),
        }
    }
}

/// A service's database: the pool plus whether migrations have completed.
#[derive(Debug, Clone)]
pub struct Database {
    pool: PgPool,
    schema: &'static str,
    migrated: Arc<AtomicBool>,
}

impl Database {
    /// A pool that connects on first use, so a service starts (and answers
    /// `/healthz`) while its database is still away.
    pub fn connect_lazy(
        options: PgConnectOptions,
        schema: &'static str,
        application_name: &str,
        settings: PoolSettings,
    ) -> Self {
        let options = options
            .options([("search_path", schema)])
            .application_name(application_name);
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .min_connections(0)
            .acquire_timeout(settings.acquire_timeout)
            // Server restarts leave dead sockets in the pool; check before use.
            .test_before_acquire(true)
            .idle_timeout(Duration::from_secs(300))
            .connect_lazy_with(options);
        Self {
            pool,
            schema,
            migrated: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// A transaction, counted as waiting while the pool has no connection.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        crate::metrics::waiting_for_connection(self.pool.begin()).await
    }

    /// A connection, counted as waiting while the pool has none.
    pub async fn acquire(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>, sqlx::Error> {
        crate::metrics::waiting_for_connection(self.pool.acquire()).await
    }

    pub fn schema(&self) -> &'static str {
        self.schema
    }

    /// Applies pending migrations once.
    pub async fn migrate(&self, migrator: &Migrator) -> Result<(), sqlx::migrate::MigrateError> {
        migrator.run(&self.pool).await?;
        self.migrated.store(true, Ordering::Release);
        Ok(())
    }

    /// Applies migrations in the background, retrying with back-off while the
    /// database is unreachable, so start-up does not depend on boot order.
    pub fn spawn_migrations(&self, migrator: &'static Migrator) -> tokio::task::JoinHandle<()> {
        let db = self.clone();
        tokio::spawn(async move {
            let mut delay = Duration::from_millis(200);
            loop {
                match db.migrate(migrator).await {
                    Ok(()) => {
                        tracing::info!(schema = db.schema, "database migrated");
                        return;
                    }
                    Err(error) => {
                        tracing::warn!(schema = db.schema, %error, retry_in_ms = delay.as_millis() as u64, "migrations not applied yet");
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_secs(5));
                    }
                }
            }
        })
    }

    /// Whether this process has applied the migrations.
    pub fn is_migrated(&self) -> bool {
        self.migrated.load(Ordering::Acquire)
    }

    /// Ready when migrations are applied and the database answers within 2 s.
    pub async fn check_ready(&self) -> Result<(), &'static str> {
        if !self.migrated.load(Ordering::Acquire) {
            return Err("database migrations have not been applied yet");
        }
        let ping = sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&self.pool);
        match tokio::time::timeout(Duration::from_secs(2), ping).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err("the database is unreachable"),
        }
    }
}

/// Whether `error` means the database is away, restarting or saturated, so
/// the request may simply be retried (a 503), rather than a bug (a 500):
/// no connection to be had, a connection that broke, or the server ending
/// or refusing sessions. A fast shutdown (`pg_ctl stop`, a service
/// manager's restart), a failover or `pg_terminate_backend` ends every
/// session with SQLSTATE 57P01; a server starting up answers 57P03.
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(e) => e.code().is_some_and(|code| {
            // 08: connection exception; 57P01-57P05: admin or crash
            // shutdown, cannot connect now, idle session timeout; 53:
            // insufficient resources (too many connections, out of memory).
            code.starts_with("08") || code.starts_with("57P") || code.starts_with("53")
        }),
        _ => false,
    }
}

/// The answer for a database error: a 503 with `Retry-After` the client may
/// retry when the database is away, restarting or saturated
/// ([`is_unavailable`]); any other database error is our bug, a 500. The
/// cause is logged here, once, and never sent.
pub fn error_problem(error: &sqlx::Error) -> Problem {
    if is_unavailable(error) {
        tracing::warn!(%error, "database unavailable");
        Problem::unavailable(
            "database_unavailable",
            "The database is temporarily unavailable; retry shortly.",
            1,
        )
    } else {
        tracing::error!(%error, "database error");
        Problem::internal()
    }
}

/// An extra readiness detail (a name and a state, e.g. `replica` and
/// `degraded`) that is reported but does not make the service unready.
pub type ReadinessDetail = std::sync::Arc<
    dyn Fn() -> std::pin::Pin<
            Box<dyn std::future::Future<Output = Option<(&'static str, &'static str)>> + Send>,
        > + Send
        + Sync,
>;

#[derive(Clone)]
struct Health {
    db: Database,
    detail: Option<ReadinessDetail>,
}

/// `GET /healthz` (the process runs) and `GET /readyz` (its database is
/// reachable and migrated).
pub fn health_routes(db: Database) -> Router {
    health_routes_with(db, None)
}

/// [`health_routes`] whose `/readyz` body also carries `detail`.
pub fn health_routes_with(db: Database, detail: Option<ReadinessDetail>) -> Router {
    Router::new()
        .route(
            "/healthz",
            get(|| async { Json(serde_json::json!({ "status": "ok" })) }),
        )
        .route("/readyz", get(readyz))
        .with_state(Health { db, detail })
}

async fn readyz(State(health): State<Health>) -> Result<Json<serde_json::Value>, Problem> {
    health.db.check_ready().await.map_err(|reason| {
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", reason).retry_after(1)
    })?;
    let mut body = serde_json::json!({ "status": "ready" });
    if let Some(detail) = &health.detail {
        if let Some((name, state)) = detail().await {
            body[name] = serde_json::Value::from(state);
        }
    }
    Ok(Json(body))
}

/// One service's database identity.
#[derive(Debug, Clone)]
pub struct ServiceRole {
    /// The login role the service connects as.
    pub role: String,
    /// The only schema that role may use; it owns it.
    pub schema: &'static str,
}

/// The SQL that creates a service's role and schema and walls it off from the
/// rest of the database. Idempotent. Run it as a superuser (or a role with
/// CREATEROLE that owns the database) on the service's database; the stack
/// launcher and the test harness run exactly this, and `stack setup-sql`
/// prints it for operators of a managed PostgreSQL.
pub fn setup_sql(role: &ServiceRole) -> Vec<String> {
    let r = quote_ident(&role.role);
    let s = quote_ident(role.schema);
    let literal = quote_literal(&role.role);
    vec![
        format!(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = {literal}) \
             THEN CREATE ROLE {r} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS; END IF; END $$"
        ),
        // Nobody but a schema's owner may use it, and nobody may use `public`.
        "REVOKE ALL ON SCHEMA public FROM PUBLIC".to_owned(),
        format!("CREATE SCHEMA IF NOT EXISTS {s} AUTHORIZATION {r}"),
        format!("ALTER SCHEMA {s} OWNER TO {r}"),
        format!("REVOKE ALL ON SCHEMA {s} FROM PUBLIC"),
        format!("ALTER ROLE {r} SET search_path = {s}"),
    ]
}

/// Sets a role's password (for servers that authenticate with one).
pub fn set_password_sql(role: &str, password: &str) -> String {
    format!(
        "ALTER ROLE {} PASSWORD {}",
        quote_ident(role),
        quote_literal(password)
    )
}

pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

pub fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// Runs [`setup_sql`] for each role on an open administrative connection.
pub async fn provision(
    conn: &mut sqlx::PgConnection,
    roles: &[ServiceRole],
) -> Result<(), sqlx::Error> {
    for role in roles {
        for statement in setup_sql(role) {
            sqlx::raw_sql(&statement).execute(&mut *conn).await?;
        }
    }
    Ok(())
}

/// Creates `database` unless it exists (CREATE DATABASE has no IF NOT EXISTS).
pub async fn create_database_if_missing(
    conn: &mut sqlx::PgConnection,
    database: &str,
    template: Option<&str>,
) -> Result<(), sqlx::Error> {
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = $1)")
            .bind(database)
            .fetch_one(&mut *conn)
            .await?;
    if !exists {
        let template = template
            .map(|t| format!(" TEMPLATE {}", quote_ident(t)))
            .unwrap_or_default();
        sqlx::raw_sql(&format!(
            "CREATE DATABASE {}{template}",
            quote_ident(database)
        ))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_database_is_unavailable_and_a_bad_query_is_not() {
        let io = std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "eof");
        assert!(is_unavailable(&sqlx::Error::Io(io)));
        assert!(is_unavailable(&sqlx::Error::PoolTimedOut));
        assert!(is_unavailable(&sqlx::Error::PoolClosed));
        assert!(!is_unavailable(&sqlx::Error::RowNotFound));
        assert!(!is_unavailable(&sqlx::Error::ColumnNotFound("x".into())));
    }

    #[test]
    fn identifiers_and_literals_are_quoted() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
    }

    #[test]
    fn setup_sql_confines_the_role_to_its_schema() {
        let sql = setup_sql(&ServiceRole {
            role: "ticketing_reseller".into(),
            schema: "reseller",
        })
        .join(";\n");
        assert!(sql.contains(
            "CREATE SCHEMA IF NOT EXISTS \"reseller\" AUTHORIZATION \"ticketing_reseller\""
        ));
        assert!(sql.contains("REVOKE ALL ON SCHEMA \"reseller\" FROM PUBLIC"));
        assert!(sql.contains("NOSUPERUSER"));
    }
}

/// A parsed `DATABASE_URL`. Its `Debug` output leaves the password out, so a
/// configuration can be logged.
#[derive(Clone)]
pub struct DatabaseUrl(pub PgConnectOptions);

impl DatabaseUrl {
    pub fn from_env(
        env: &impl crate::config::Env,
        variable: &'static str,
    ) -> Result<Option<Self>, ConfigError> {
        crate::config::url(env, variable, &["postgres", "postgresql"])?
            .map(|raw| parse_url(variable, &raw).map(Self))
            .transpose()
    }
}

impl DatabaseUrl {
    /// The URL as a string, password included: for handing to a child
    /// process, never for logging.
    pub fn to_url_string(&self) -> String {
        use sqlx::ConnectOptions;
        self.0.to_url_lossy().to_string()
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let o = &self.0;
        let host = o
            .get_socket()
            .map(|s| s.display().to_string())
            .unwrap_or_else(|| o.get_host().to_owned());
        write!(
            f,
            "postgres://{}@{}:{}/{}",
            o.get_username(),
            host,
            o.get_port(),
            o.get_database().unwrap_or("")
        )
    }
}
