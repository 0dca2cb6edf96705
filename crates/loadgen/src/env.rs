//! Start-up and tear-down of what a run measures: the database (an embedded,
//! durable PostgreSQL in a fresh temporary directory, or the server of
//! `DATABASE_URL`) with the reseller role provisioned, and reseller-service
//! as a separate process (this binary re-executed with `__serve-reseller`)
//! so that its memory can be measured on its own.
//!
//! Nothing is left behind: the service child is killed by a `Drop` guard on
//! every error path and gets SIGTERM when its parent dies; the cluster stops
//! when dropped and has its own parent-death signal; the temporary directory
//! is removed.

use std::{
    fs,
    net::TcpListener as StdListener,
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, ExitCode, ExitStatus, Stdio},
    time::{Duration, Instant},
};

use platform::{
    config::ProcessEnv,
    db::{self, DatabaseUrl, ServiceRole},
    embedded::{Cluster, ClusterOptions, ServerPrograms, SUPERUSER},
    server, telemetry, tokens,
};
use sqlx::{postgres::PgConnectOptions, Connection, PgConnection};

pub const DATABASE: &str = "ticketing";
pub const RESELLER_ROLE: &str = "ticketing_reseller";

/// A directory removed when dropped.
#[derive(Debug)]
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<Self, String> {
        remove_stale_dirs();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!("loadgen-{}-{nanos:08x}", std::process::id()));
        fs::create_dir_all(&path).map_err(|e| format!("creating {}: {e}", path.display()))?;
        Ok(Self(path))
    }
}

/// Removes `loadgen-<pid>-*` directories of runs that were killed (SIGKILL
/// leaves no chance to clean up) and whose process is gone.
fn remove_stale_dirs() {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = stale_dir_pid(&name) else {
            continue;
        };
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// The pid in `loadgen-<pid>-<8 hex digits>`.
fn stale_dir_pid(name: &str) -> Option<u32> {
    let (pid, suffix) = name.strip_prefix("loadgen-")?.split_once('-')?;
    let hex = suffix.len() == 8 && suffix.bytes().all(|b| b.is_ascii_hexdigit());
    hex.then(|| pid.parse().ok()).flatten()
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The database of a run.
#[derive(Debug)]
pub struct Database {
    /// A superuser (embedded) or the `DATABASE_URL` user.
    pub admin: PgConnectOptions,
    /// The reseller role's URL, password included: for the child only.
    pub reseller_url: String,
    pub description: String,
    /// True when the database was created by this run (embedded).
    pub fresh: bool,
    // Field order matters: the cluster stops before its directory goes.
    cluster: Option<Cluster>,
    _dir: Option<TempDir>,
}

impl Database {
    /// Embedded when `DATABASE_URL` is unset, else that server.
    pub async fn start() -> Result<Self, String> {
        match DatabaseUrl::from_env(&ProcessEnv, "DATABASE_URL").map_err(|e| e.to_string())? {
            Some(url) => Self::external(url).await,
            None => Self::embedded().await,
        }
    }

    /// A fresh embedded cluster in a temporary directory, whatever
    /// `DATABASE_URL` says (the fault tests stop and start it).
    pub async fn embedded() -> Result<Self, String> {
        let dir = TempDir::new()?;
        let programs = ServerPrograms::locate().map_err(|e| e.to_string())?;
        let mut options = ClusterOptions::new(dir.0.join("pg"));
        options.durable = true;
        let cluster = tokio::task::spawn_blocking(move || Cluster::start(&programs, &options))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("starting the embedded PostgreSQL: {e}"))?;
        let mut conn = PgConnection::connect_with(&cluster.connect_options(SUPERUSER, "postgres"))
            .await
            .map_err(db_error)?;
        db::create_database_if_missing(&mut conn, DATABASE, None)
            .await
            .map_err(db_error)?;
        let _ = conn.close().await;
        let admin = cluster.connect_options(SUPERUSER, DATABASE);
        let mut conn = PgConnection::connect_with(&admin).await.map_err(db_error)?;
        db::provision(&mut conn, &[role()])
            .await
            .map_err(db_error)?;
        let _ = conn.close().await;
        Ok(Self {
            reseller_url: DatabaseUrl(cluster.connect_options(RESELLER_ROLE, DATABASE))
                .to_url_string(),
            description: format!(
                "embedded, durable, in {} (psql -h {} -p {} -U {SUPERUSER} {DATABASE})",
                dir.0.display(),
                cluster.socket_dir().display(),
                cluster.port()
            ),
            admin,
            fresh: true,
            cluster: Some(cluster),
            _dir: Some(dir),
        })
    }

    async fn external(url: DatabaseUrl) -> Result<Self, String> {
        let mut conn = PgConnection::connect_with(&url.0)
            .await
            .map_err(|e| format!("cannot connect to DATABASE_URL: {e}"))?;
        db::provision(&mut conn, &[role()]).await.map_err(|e| {
            format!("cannot create the reseller role and schema as the DATABASE_URL user: {e}")
        })?;
        let password = tokens::generate();
        sqlx::raw_sql(&db::set_password_sql(RESELLER_ROLE, &password))
            .execute(&mut conn)
            .await
            .map_err(db_error)?;
        let _ = conn.close().await;
        Ok(Self {
            reseller_url: DatabaseUrl(url.0.clone().username(RESELLER_ROLE).password(&password))
                .to_url_string(),
            description: format!("{url:?} (DATABASE_URL)"),
            admin: url.0,
            fresh: false,
            cluster: None,
            _dir: None,
        })
    }

    pub async fn connect(&self) -> Result<PgConnection, String> {
        PgConnection::connect_with(&self.admin)
            .await
            .map_err(db_error)
    }

    /// `pg_ctl stop -m immediate` of the embedded cluster (as its owner).
    pub async fn stop_immediate(&mut self) -> Result<(), String> {
        self.with_cluster(|c| c.stop_immediate())
            .await
            .map_err(|e| format!("stopping PostgreSQL immediately: {e}"))
    }

    /// A fast shutdown of the embedded cluster (what `pg_ctl stop` and a
    /// service manager's restart do): open sessions are terminated with an
    /// error (57P01), transactions rolled back.
    pub async fn stop_fast(&mut self) -> Result<(), String> {
        self.with_cluster(|c| c.stop())
            .await
            .map_err(|e| format!("stopping PostgreSQL: {e}"))
    }

    /// Starts the embedded cluster again after [`Database::stop_immediate`]
    /// or [`Database::stop_fast`];
    /// returns once it accepts connections (crash recovery done).
    pub async fn restart(&mut self) -> Result<(), String> {
        self.with_cluster(|c| c.restart())
            .await
            .map_err(|e| format!("starting PostgreSQL again: {e}"))
    }

    /// Runs a blocking operation on the embedded cluster off the runtime.
    async fn with_cluster(
        &mut self,
        f: impl FnOnce(&mut Cluster) -> Result<(), platform::embedded::EmbeddedError> + Send + 'static,
    ) -> Result<(), String> {
        let mut cluster = self
            .cluster
            .take()
            .ok_or("only an embedded database can be stopped and started")?;
        let (cluster, result) = tokio::task::spawn_blocking(move || {
            let result = f(&mut cluster);
            (cluster, result)
        })
        .await
        .map_err(|e| e.to_string())?;
        self.cluster = Some(cluster);
        result.map_err(|e| e.to_string())
    }

    /// Stops the embedded cluster (fast shutdown) and removes its directory.
    pub async fn stop(mut self) -> Result<(), String> {
        if let Some(mut cluster) = self.cluster.take() {
            tokio::task::spawn_blocking(move || cluster.stop())
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| format!("stopping PostgreSQL: {e}"))?;
        }
        Ok(())
    }
}

fn role() -> ServiceRole {
    ServiceRole {
        role: RESELLER_ROLE.into(),
        schema: reseller_service::SCHEMA,
    }
}

pub fn db_error(error: sqlx::Error) -> String {
    format!("database: {error}")
}

/// reseller-service running as a child process.
#[derive(Debug)]
pub struct Service {
    child: Option<Child>,
    pub pid: u32,
    pub base_url: String,
    pub ingest_token: String,
    pub internal_token: String,
    pub core_token: String,
    pub log_path: PathBuf,
    port: u16,
    database_url: String,
    /// Extra environment of the child, e.g. `INGEST_MAX_CONCURRENT`.
    extra_env: Vec<(String, String)>,
}

impl Service {
    /// Spawns the child. Call it from the main thread: the child's
    /// parent-death signal fires when the spawning thread ends.
    pub fn spawn(database_url: &str) -> Result<Self, String> {
        Self::spawn_with(database_url, Vec::new())
    }

    /// [`Service::spawn`] with extra environment variables for the child.
    pub fn spawn_with(
        database_url: &str,
        extra_env: Vec<(String, String)>,
    ) -> Result<Self, String> {
        let port = free_port()?;
        let log_path =
            std::env::temp_dir().join(format!("loadgen-reseller-{}.log", std::process::id()));
        fs::File::create(&log_path).map_err(|e| format!("creating {}: {e}", log_path.display()))?;
        let mut service = Self {
            child: None,
            pid: 0,
            base_url: format!("http://127.0.0.1:{port}"),
            ingest_token: tokens::generate(),
            internal_token: tokens::generate(),
            core_token: tokens::generate(),
            log_path,
            port,
            database_url: database_url.to_owned(),
            extra_env,
        };
        service.start_child()?;
        Ok(service)
    }

    /// SIGKILL: the process dies mid-request, with no chance to drain or
    /// roll back (PostgreSQL sees its connections break).
    pub fn kill9(&mut self) -> Result<(), String> {
        let Some(mut child) = self.child.take() else {
            return Err("reseller-service is not running".into());
        };
        signal(child.id(), libc::SIGKILL);
        child
            .wait()
            .map(|_| ())
            .map_err(|e| format!("waiting for the killed reseller-service: {e}"))
    }

    /// Starts the child again on the same address, with the same tokens and
    /// environment, after [`Service::kill9`]. The same thread rule as
    /// [`Service::spawn`] applies.
    pub fn respawn(&mut self) -> Result<(), String> {
        if self.child.is_some() {
            return Err("reseller-service is still running".into());
        }
        self.start_child()
    }

    fn start_child(&mut self) -> Result<(), String> {
        let exe = std::env::current_exe().map_err(|e| format!("finding this binary: {e}"))?;
        // Appended: a respawned service's log follows its predecessor's.
        let log = fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&self.log_path)
            .map_err(|e| format!("opening {}: {e}", self.log_path.display()))?;
        let mut command = Command::new(exe);
        command
            .arg("__serve-reseller")
            .env("DATABASE_URL", &self.database_url)
            .env("RESELLER_HTTP_ADDR", format!("127.0.0.1:{}", self.port))
            .env("INGEST_TOKENS", &self.ingest_token)
            .env("INTERNAL_TOKEN", &self.internal_token)
            .env("CORE_TOKENS", &self.core_token)
            .env("LOG_FORMAT", "json")
            // LOADGEN_SERVICE_LOG raises the service's log level for profiling.
            .env(
                "RUST_LOG",
                std::env::var("LOADGEN_SERVICE_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .env_remove("DATABASE_READ_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        command.envs(self.extra_env.iter().map(|(k, v)| (k, v)));
        set_parent_death_signal(&mut command);
        let child = command
            .spawn()
            .map_err(|e| format!("starting reseller-service: {e}"))?;
        self.pid = child.id();
        self.child = Some(child);
        Ok(())
    }

    /// Waits until `GET /readyz` answers 200 (migrations applied).
    pub async fn wait_ready(&mut self, client: &reqwest::Client) -> Result<(), String> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.exited() {
                return Err(format!(
                    "reseller-service exited ({status}) during start-up; its log:\n{}",
                    self.log_tail(20)
                ));
            }
            let ready = client
                .get(format!("{}/readyz", self.base_url))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|r| r.status() == reqwest::StatusCode::OK);
            if ready {
                return Ok(());
            }
            if started.elapsed() > Duration::from_secs(90) {
                return Err(format!(
                    "reseller-service was not ready within 90 s; its log:\n{}",
                    self.log_tail(20)
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The exit status, if the child has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// SIGTERM (the service drains and exits), then SIGKILL after 20 s.
    pub async fn stop(mut self) -> Result<ExitStatus, String> {
        let Some(mut child) = self.child.take() else {
            return Err("reseller-service was already stopped".into());
        };
        signal(child.id(), libc::SIGTERM);
        let started = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Ok(status),
                Ok(None) if started.elapsed() < Duration::from_secs(20) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                _ => {
                    let _ = child.kill();
                    return child
                        .wait()
                        .map_err(|e| format!("waiting for reseller-service: {e}"));
                }
            }
        }
    }

    /// The last `lines` lines of the child's log.
    pub fn log_tail(&self, lines: usize) -> String {
        log_tail(&self.log_path, lines)
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn log_tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A loopback port nobody listens on (there is a small window before the
/// child binds it).
fn free_port() -> Result<u16, String> {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("finding a free port: {e}"))
}

#[allow(unsafe_code)]
fn set_parent_death_signal(command: &mut Command) {
    // SAFETY: the closure runs between fork and exec and only calls prctl,
    // which is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM as libc::c_ulong) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[allow(unsafe_code)]
fn signal(pid: u32, signal: i32) {
    // SAFETY: kill(2) has no memory-safety preconditions; a stale pid only
    // makes it fail with ESRCH, which we ignore.
    unsafe {
        libc::kill(pid as i32, signal);
    }
}

/// The hidden `__serve-reseller` subcommand: reseller-service configured from
/// the environment the parent set, until SIGTERM.
pub async fn serve_reseller() -> ExitCode {
    let config = match reseller_service::Config::from_env(&ProcessEnv) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("loadgen __serve-reseller: {error}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.log_format);
    let listener = match tokio::net::TcpListener::bind(config.http_addr).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::error!(addr = %config.http_addr, %error, "cannot listen");
            return ExitCode::FAILURE;
        }
    };
    match reseller_service::run(config, listener, server::shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "server failed");
            ExitCode::FAILURE
        }
    }
}

/// Stops the service (SIGTERM; a non-zero exit is recorded in `notes`),
/// closes the admin connection and stops the database. Returns the
/// database's description for the report. Shared by every subcommand.
pub async fn tear_down(
    service: Service,
    admin: sqlx::PgConnection,
    database: Database,
    notes: &mut Vec<String>,
) -> Result<String, String> {
    match service.stop().await {
        Ok(status) if !status.success() => {
            notes.push(format!("reseller-service exited with {status} on SIGTERM"));
        }
        Ok(_) => {}
        Err(error) => notes.push(error),
    }
    let _ = sqlx::Connection::close(admin).await;
    let description = if database.fresh {
        "embedded, durable".to_owned()
    } else {
        database.description.clone()
    };
    database.stop().await?;
    Ok(description)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_run_directories_are_recognised() {
        assert_eq!(stale_dir_pid("loadgen-21473-238c3a76"), Some(21473));
        assert_eq!(stale_dir_pid("loadgen-reseller-21076.log"), None);
        assert_eq!(stale_dir_pid("loadgen-smoke.json"), None);
        assert_eq!(stale_dir_pid("loadgen-12-xyz"), None);
    }
}
