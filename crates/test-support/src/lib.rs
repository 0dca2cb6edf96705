//! Test harness shared by every test crate.
//!
//! - [`TestDatabase::new`] hands each test a fresh database, already migrated
//!   for both services, created from a template in milliseconds and dropped
//!   when the test ends.
//! - The server is the one named by `DATABASE_URL` when it is set (its user
//!   must be able to create roles and databases), else an embedded cluster
//!   started once per test process in a temporary directory, run as the
//!   `postgres` user when we are root, and removed after the process exits
//!   (even when it is killed).
//! - [`TestResponse`] and [`send`] call a router in-process.

mod http;
pub mod logs;
pub mod process;
mod server;

pub use http::{send, TestRequest, TestResponse};
pub use server::{private_cluster, PrivateCluster};

use platform::db::DatabaseUrl;
use sqlx::{postgres::PgConnectOptions, Connection, PgConnection};

/// Role names used by tests. They differ from the stack's, so tests against a
/// shared server never touch a running stack's roles.
pub const RESELLER_ROLE: &str = "ticketing_test_reseller";
pub const ADMIN_ROLE: &str = "ticketing_test_admin";

/// A database of its own for one test, dropped when the value is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    superuser: PgConnectOptions,
    roles: server::RoleOptions,
}

impl TestDatabase {
    /// A fresh database with both schemas migrated.
    pub async fn new() -> Self {
        let server = server::shared();
        let template = server::template(server).await;
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::connect_with(&server.superuser("postgres"))
            .await
            .expect("connect to the test server");
        sqlx::raw_sql(&format!(
            "CREATE DATABASE {} TEMPLATE {}",
            platform::db::quote_ident(&name),
            platform::db::quote_ident(&template)
        ))
        .execute(&mut conn)
        .await
        .expect("create a test database from the template");
        Self {
            superuser: server.superuser(&name),
            roles: server.roles(&name),
            name,
        }
    }

    /// A fresh database with the service roles and schemas but no
    /// migration applied (for tests of the migrations themselves).
    pub async fn unmigrated() -> Self {
        let server = server::shared();
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::connect_with(&server.superuser("postgres"))
            .await
            .expect("connect to the test server");
        sqlx::raw_sql(&format!(
            "CREATE DATABASE {}",
            platform::db::quote_ident(&name)
        ))
        .execute(&mut conn)
        .await
        .expect("create a test database");
        server::provision(server, &name).await;
        Self {
            superuser: server.superuser(&name),
            roles: server.roles(&name),
            name,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// How reseller-service connects (its own role).
    pub fn reseller_url(&self) -> DatabaseUrl {
        DatabaseUrl(self.roles.reseller.clone())
    }

    /// How admin-service connects (its own role).
    pub fn admin_url(&self) -> DatabaseUrl {
        DatabaseUrl(self.roles.admin.clone())
    }

    /// A superuser connection to this database, for assertions on raw rows.
    pub async fn superuser_connection(&self) -> PgConnection {
        PgConnection::connect_with(&self.superuser)
            .await
            .expect("connect to the test database as superuser")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        let options = self.superuser.clone().database("postgres");
        // Drop runs inside a test's runtime, which we must not block; a
        // thread with its own small runtime does the work.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime for dropping a test database");
            runtime.block_on(async move {
                if let Ok(mut conn) = PgConnection::connect_with(&options).await {
                    let _ = sqlx::raw_sql(&format!(
                        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                        platform::db::quote_ident(&name)
                    ))
                    .execute(&mut conn)
                    .await;
                }
            });
        });
        let _ = dropped.join();
    }
}

/// A reseller-service configuration on `db`, with every token family set.
pub fn reseller_config(db: &TestDatabase) -> reseller_service::Config {
    let mut config = reseller_service::Config::from_env(&[
        (
            "DATABASE_URL",
            "postgres://placeholder@localhost/placeholder",
        ),
        ("LOG_FORMAT", "json"),
        ("INGEST_TOKENS", tokens::INGEST),
        ("CORE_TOKENS", tokens::CORE),
        ("INTERNAL_TOKEN", tokens::INTERNAL),
    ])
    .expect("test configuration");
    config.database = db.reseller_url();
    config
}

/// An admin-service configuration on `db`, with every token family set.
pub fn admin_config(db: &TestDatabase) -> admin_service::Config {
    let mut config = admin_service::Config::from_env(&[
        (
            "DATABASE_URL",
            "postgres://placeholder@localhost/placeholder",
        ),
        ("LOG_FORMAT", "json"),
        ("CORE_TOKENS", tokens::CORE),
        ("INTERNAL_TOKEN", tokens::INTERNAL),
    ])
    .expect("test configuration");
    config.database = db.admin_url();
    config
}

/// Fixed tokens for tests.
pub mod tokens {
    pub const INGEST: &str = "test-ingest-token-0123456789";
    pub const CORE: &str = "test-core-token-0123456789";
    pub const INTERNAL: &str = "test-internal-token-0123456789";
}
