//! The PostgreSQL server tests run against, and the migrated template every
//! test database is copied from.

use std::{
    os::unix::process::CommandExt,
    path::PathBuf,
    process::{Command, Stdio},
    sync::OnceLock,
};

use platform::{
    db::{self, Database, PoolSettings, ServiceRole},
    embedded::{Cluster, ClusterOptions, ServerPrograms, SUPERUSER},
};
use sha2::{Digest, Sha256};
use sqlx::{postgres::PgConnectOptions, Connection, PgConnection};

use crate::{ADMIN_ROLE, RESELLER_ROLE};

/// Password given to the test roles on an external server (an embedded
/// cluster trusts its private socket and ignores it).
const TEST_ROLE_PASSWORD: &str = "ticketing-test-role";

#[allow(clippy::large_enum_variant)] // one static instance per process
pub(crate) enum Server {
    External(PgConnectOptions),
    Embedded(Cluster),
}

#[derive(Debug)]
pub(crate) struct RoleOptions {
    pub(crate) reseller: PgConnectOptions,
    pub(crate) admin: PgConnectOptions,
}

static SERVER: OnceLock<Server> = OnceLock::new();
static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

/// The server of this test process, started on first use.
pub(crate) fn shared() -> &'static Server {
    SERVER.get_or_init(|| match std::env::var("DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Server::External(
            db::parse_url("DATABASE_URL", url.trim())
                .expect("DATABASE_URL is not a PostgreSQL URL"),
        ),
        _ => Server::Embedded(start_embedded(&unique_temp_dir("shared"))),
    })
}

impl Server {
    pub(crate) fn superuser(&self, database: &str) -> PgConnectOptions {
        match self {
            Self::External(options) => options.clone().database(database),
            Self::Embedded(cluster) => cluster.connect_options(SUPERUSER, database),
        }
    }

    pub(crate) fn roles(&self, database: &str) -> RoleOptions {
        let as_role = |role: &str| {
            let options = self.superuser(database).username(role);
            match self {
                Self::External(_) => options.password(TEST_ROLE_PASSWORD),
                Self::Embedded(_) => options,
            }
        };
        RoleOptions {
            reseller: as_role(RESELLER_ROLE),
            admin: as_role(ADMIN_ROLE),
        }
    }
}

fn service_roles() -> [ServiceRole; 2] {
    [
        ServiceRole {
            role: RESELLER_ROLE.into(),
            schema: reseller_service::SCHEMA,
        },
        ServiceRole {
            role: ADMIN_ROLE.into(),
            schema: admin_service::SCHEMA,
        },
    ]
}

/// The name of the migrated template, built once per process (and once per
/// server across processes: its name is a digest of the migrations).
pub(crate) async fn template(server: &'static Server) -> String {
    TEMPLATE
        .get_or_init(|| async move { build_template(server).await })
        .await
        .clone()
}

async fn build_template(server: &Server) -> String {
    let mut digest = Sha256::new();
    for migration in reseller_service::MIGRATOR
        .iter()
        .chain(admin_service::MIGRATOR.iter())
    {
        digest.update(migration.version.to_be_bytes());
        digest.update(&migration.checksum);
    }
    for role in service_roles() {
        digest.update(db::setup_sql(&role).join(";").as_bytes());
    }
    let hex: String = digest
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    let name = format!("ticketing_tpl_{hex}");

    let mut conn = PgConnection::connect_with(&server.superuser("postgres"))
        .await
        .expect("connect to the test server as superuser");
    // Test processes sharing an external server build the template once.
    sqlx::query("SELECT pg_advisory_lock(727001)")
        .execute(&mut conn)
        .await
        .expect("template lock");
    let ready: Option<bool> =
        sqlx::query_scalar("SELECT datistemplate FROM pg_catalog.pg_database WHERE datname = $1")
            .bind(&name)
            .fetch_optional(&mut conn)
            .await
            .expect("look up the template");
    if ready != Some(true) {
        let quoted = db::quote_ident(&name);
        // A half-built template from a crashed run is rebuilt.
        sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
            .execute(&mut conn)
            .await
            .expect("drop a stale template");
        sqlx::raw_sql(&format!("CREATE DATABASE {quoted}"))
            .execute(&mut conn)
            .await
            .expect("create the template");
        migrate_template(server, &name).await;
        sqlx::raw_sql(&format!("ALTER DATABASE {quoted} IS_TEMPLATE true"))
            .execute(&mut conn)
            .await
            .expect("mark the template");
    }
    sqlx::query("SELECT pg_advisory_unlock(727001)")
        .execute(&mut conn)
        .await
        .expect("template unlock");
    name
}

/// The service roles and their schemas in database `name`, nothing migrated.
pub(crate) async fn provision(server: &Server, name: &str) {
    let mut conn = PgConnection::connect_with(&server.superuser(name))
        .await
        .expect("connect to the new database");
    db::provision(&mut conn, &service_roles())
        .await
        .expect("provision the service roles");
    if matches!(server, Server::External(_)) {
        for role in [RESELLER_ROLE, ADMIN_ROLE] {
            sqlx::raw_sql(&db::set_password_sql(role, TEST_ROLE_PASSWORD))
                .execute(&mut conn)
                .await
                .expect("set a test role's password");
        }
    }
    conn.close().await.ok();
}

async fn migrate_template(server: &Server, name: &str) {
    provision(server, name).await;
    let roles = server.roles(name);
    // Migrations run as the service roles, exactly as in production, so the
    // tables belong to them.
    for (options, schema, migrator) in [
        (
            roles.reseller,
            reseller_service::SCHEMA,
            &reseller_service::MIGRATOR,
        ),
        (roles.admin, admin_service::SCHEMA, &admin_service::MIGRATOR),
    ] {
        let database =
            Database::connect_lazy(options, schema, "test-template", PoolSettings::default());
        database
            .migrate(migrator)
            .await
            .expect("migrate the template");
        database.pool().close().await;
    }
}

fn unique_temp_dir(purpose: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "ticketing-test-pg-{purpose}-{}-{}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    ))
}

/// Starts a throw-away cluster in `dir` and arranges for the directory to be
/// removed once both this process and the server have exited.
fn start_embedded(dir: &std::path::Path) -> Cluster {
    let programs = ServerPrograms::locate().unwrap_or_else(|e| panic!("{e}"));
    let mut options = ClusterOptions::new(dir);
    options.durable = false;
    let cluster = Cluster::start(&programs, &options).unwrap_or_else(|e| panic!("{e}"));
    spawn_reaper(dir, cluster.pid());
    cluster
}

/// A detached shell that waits for this process and the postmaster to exit,
/// then removes the cluster's directory: tests have no global teardown, and
/// this also cleans up after a test process killed by a signal.
fn spawn_reaper(dir: &std::path::Path, postmaster: Option<u32>) {
    let script = r#"while kill -0 "$1" 2>/dev/null || kill -0 "$2" 2>/dev/null; do sleep 0.2; done; rm -rf "$3""#;
    let spawned = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("ticketing-test-reaper")
        .arg(std::process::id().to_string())
        .arg(postmaster.unwrap_or(0).to_string())
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn();
    // The reaper outlives us by design; nothing waits for it.
    drop(spawned);
}

/// A cluster of a test's own, which the test may stop and start again (for
/// what happens when the database goes away). It has one database,
/// `ticketing`, provisioned for both services.
pub struct PrivateCluster {
    cluster: Option<Cluster>,
    programs: ServerPrograms,
    options: ClusterOptions,
}

impl std::fmt::Debug for PrivateCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateCluster")
            .field("dir", &self.options.dir)
            .finish()
    }
}

/// Starts a [`PrivateCluster`]; needs the server programs installed.
pub async fn private_cluster() -> PrivateCluster {
    let dir = unique_temp_dir("private");
    let programs = ServerPrograms::locate().unwrap_or_else(|e| panic!("{e}"));
    let mut options = ClusterOptions::new(&dir);
    options.durable = false;
    let cluster = Cluster::start(&programs, &options).unwrap_or_else(|e| panic!("{e}"));
    spawn_reaper(&dir, cluster.pid());
    let mut conn = PgConnection::connect_with(&cluster.connect_options(SUPERUSER, "postgres"))
        .await
        .expect("connect to the private cluster");
    db::create_database_if_missing(&mut conn, "ticketing", None)
        .await
        .expect("create the database");
    let mut conn = PgConnection::connect_with(&cluster.connect_options(SUPERUSER, "ticketing"))
        .await
        .expect("connect to the private database");
    db::provision(&mut conn, &service_roles())
        .await
        .expect("provision");
    PrivateCluster {
        cluster: Some(cluster),
        programs,
        options,
    }
}

impl PrivateCluster {
    /// Fast shutdown of the server; connections break.
    pub fn stop(&mut self) {
        if let Some(mut cluster) = self.cluster.take() {
            cluster.stop().expect("stop the private cluster");
        }
    }

    /// Starts the server again on the same data.
    pub fn start(&mut self) {
        if self.cluster.is_none() {
            let cluster =
                Cluster::start(&self.programs, &self.options).expect("restart the private cluster");
            spawn_reaper(&self.options.dir, cluster.pid());
            self.cluster = Some(cluster);
        }
    }

    /// A streaming replica of this cluster (a hot standby made with
    /// `pg_basebackup -R`), which the test may stop and start too.
    pub fn start_replica(&self) -> PrivateCluster {
        let primary = self
            .cluster
            .as_ref()
            .expect("the private cluster is running");
        let dir = unique_temp_dir("replica");
        let mut options = ClusterOptions::new(&dir);
        options.durable = false;
        let cluster = Cluster::start_replica(&self.programs, primary, &options)
            .unwrap_or_else(|e| panic!("{e}"));
        spawn_reaper(&dir, cluster.pid());
        PrivateCluster {
            cluster: Some(cluster),
            programs: self.programs.clone(),
            options,
        }
    }

    /// A superuser connection to the `ticketing` database.
    pub fn superuser(&self) -> PgConnectOptions {
        self.options_for(SUPERUSER)
    }

    fn options_for(&self, role: &str) -> PgConnectOptions {
        let cluster = self
            .cluster
            .as_ref()
            .expect("the private cluster is running");
        cluster.connect_options(role, "ticketing")
    }

    pub fn reseller_url(&self) -> db::DatabaseUrl {
        db::DatabaseUrl(self.options_for(RESELLER_ROLE))
    }

    pub fn admin_url(&self) -> db::DatabaseUrl {
        db::DatabaseUrl(self.options_for(ADMIN_ROLE))
    }
}
