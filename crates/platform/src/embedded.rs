//! An embedded PostgreSQL: a private cluster run from the server programs
//! installed on the machine, for the stack launcher (`cargo run`) and the test
//! harness.
//!
//! Shape and why:
//! - The cluster listens only on a Unix socket in a directory readable by its
//!   owner alone, with `trust` authentication: nothing else on the machine can
//!   reach it, and no password needs generating or storing.
//! - PostgreSQL refuses to run as root, so when we are root the server
//!   programs run as the unprivileged `postgres` user, which owns the data
//!   and socket directories.
//! - `postgres` is our direct child (not daemonised through `pg_ctl`), in its
//!   own process group so a terminal's Ctrl-C reaches only us and we stop the
//!   services before the database. It is spawned from a keeper thread with
//!   `PR_SET_PDEATHSIG`, so even if we are killed with SIGKILL it receives
//!   SIGINT (fast shutdown) and no `postgres` process is left behind.
//! - A `postmaster.pid` left by a killed run is handled: if no live postmaster
//!   owns it, it is removed; if an orphaned postmaster of this very data
//!   directory still runs, it is stopped first.

use std::{
    fs,
    io::{self, BufRead},
    os::unix::{fs::PermissionsExt, process::CommandExt},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

use sqlx::postgres::PgConnectOptions;

/// The superuser role the embedded cluster is created with.
pub const SUPERUSER: &str = "postgres";

/// What went wrong with the embedded server.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "PostgreSQL server programs (initdb, postgres) were not found on PATH or under \
         /usr/lib/postgresql/*/bin, /usr/pgsql-*/bin, /usr/local/pgsql/bin or Homebrew's prefix. \
         Install them (Debian/Ubuntu: `apt-get install postgresql`; Fedora: `dnf install \
         postgresql-server`; macOS: `brew install postgresql@16`), or set DATABASE_URL to an \
         existing server"
    )]
    ProgramsNotFound,
    #[error(
        "running as root, and PostgreSQL refuses to run as root; no unprivileged `postgres` \
         user exists to run it as (create one with `useradd --system postgres`, or run as a \
         normal user)"
    )]
    NoUnprivilegedUser,
    #[error("{action} failed: {source}")]
    Io {
        action: String,
        #[source]
        source: io::Error,
    },
    #[error("{program} failed ({status}); its output:\n{output}")]
    ProgramFailed {
        program: String,
        status: String,
        output: String,
    },
    #[error("{0}")]
    Other(String),
}

fn io_err(action: impl Into<String>) -> impl FnOnce(io::Error) -> EmbeddedError {
    let action = action.into();
    move |source| EmbeddedError::Io { action, source }
}

/// The directory holding `initdb` and `postgres`.
#[derive(Debug, Clone)]
pub struct ServerPrograms {
    bin_dir: PathBuf,
}

impl ServerPrograms {
    /// Finds the server programs on `PATH`, then under the usual install
    /// prefixes (newest major version first).
    pub fn locate() -> Result<Self, EmbeddedError> {
        let from_path = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
            .unwrap_or_default();
        let mut candidates: Vec<PathBuf> = Vec::new();
        for dir in from_path {
            // `initdb` on PATH is often a link; the real directory has `postgres` beside it.
            if let Ok(real) = fs::canonicalize(dir.join("initdb")) {
                if let Some(parent) = real.parent() {
                    candidates.push(parent.to_path_buf());
                }
            }
            candidates.push(dir);
        }
        candidates.extend(versioned_dirs("/usr/lib/postgresql", |v| {
            format!("{v}/bin")
        }));
        candidates.extend(prefixed_dirs("/usr", "pgsql-", "bin"));
        candidates.push(PathBuf::from("/usr/local/pgsql/bin"));
        candidates.extend(prefixed_dirs("/opt/homebrew/opt", "postgresql", "bin"));
        candidates.extend(prefixed_dirs("/usr/local/opt", "postgresql", "bin"));
        candidates
            .into_iter()
            .find(|dir| dir.join("initdb").is_file() && dir.join("postgres").is_file())
            .map(|bin_dir| Self { bin_dir })
            .ok_or(EmbeddedError::ProgramsNotFound)
    }

    /// The path of one server program, e.g. `pg_basebackup`.
    pub fn program(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }
}

/// `/usr/lib/postgresql/<version>/bin`, newest version first.
fn versioned_dirs(root: &str, suffix: impl Fn(&str) -> String) -> Vec<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let major = name.split('.').next()?.parse::<u32>().ok()?;
            Some((major, Path::new(root).join(suffix(&name))))
        })
        .collect();
    versions.sort_by_key(|(major, _)| std::cmp::Reverse(*major));
    versions.into_iter().map(|(_, p)| p).collect()
}

/// `<root>/<prefix>*/<sub>`, newest (by name) first.
fn prefixed_dirs(root: &str, prefix: &str, sub: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .map(|e| e.path().join(sub))
        .collect();
    dirs.sort();
    dirs.reverse();
    dirs
}

/// The user the server programs run as when we are root.
#[derive(Debug, Clone, Copy)]
struct RunAs {
    uid: u32,
    gid: u32,
}

#[allow(unsafe_code)]
fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn unprivileged_user() -> Result<Option<RunAs>, EmbeddedError> {
    if !is_root() {
        return Ok(None);
    }
    let passwd = fs::read_to_string("/etc/passwd").map_err(io_err("reading /etc/passwd"))?;
    passwd
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.first() == Some(&"postgres"))
        .and_then(|fields| {
            Some(RunAs {
                uid: fields.get(2)?.parse().ok()?,
                gid: fields.get(3)?.parse().ok()?,
            })
        })
        .map(Some)
        .ok_or(EmbeddedError::NoUnprivilegedUser)
}

/// How to run a cluster.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// Holds `pgdata/`, the socket directory `run/` and `postgres.log`.
    pub dir: PathBuf,
    /// Names the socket file (`.s.PGSQL.<port>`); no TCP port is opened.
    pub port: u16,
    /// `false` turns off fsync and friends: for throw-away test clusters only.
    pub durable: bool,
    pub max_connections: u32,
}

impl ClusterOptions {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            port: 5432,
            durable: true,
            max_connections: 200,
        }
    }
}

/// A running private PostgreSQL cluster. Dropping it stops the server.
#[derive(Debug)]
pub struct Cluster {
    child: Option<Child>,
    pgdata: PathBuf,
    socket_dir: PathBuf,
    port: u16,
    log_path: PathBuf,
    /// What [`Cluster::restart`] starts the server with again.
    programs: ServerPrograms,
    options: ClusterOptions,
    run_as: Option<RunAs>,
    /// Keeps the keeper thread alive; dropping it lets the thread end.
    _keeper: mpsc::Sender<()>,
}

impl Cluster {
    /// Initialises the cluster if its data directory is new, then starts it
    /// and waits until it accepts connections.
    pub fn start(
        programs: &ServerPrograms,
        options: &ClusterOptions,
    ) -> Result<Self, EmbeddedError> {
        Self::start_inner(programs, options, None)
    }

    /// Starts a streaming replica of `primary` in `options.dir`: the first
    /// time, its data directory is a `pg_basebackup -R` of the primary (so it
    /// starts as a hot standby following the primary); later starts reuse it.
    pub fn start_replica(
        programs: &ServerPrograms,
        primary: &Cluster,
        options: &ClusterOptions,
    ) -> Result<Self, EmbeddedError> {
        Self::start_inner(programs, options, Some(primary))
    }

    fn start_inner(
        programs: &ServerPrograms,
        options: &ClusterOptions,
        primary: Option<&Cluster>,
    ) -> Result<Self, EmbeddedError> {
        let run_as = unprivileged_user()?;
        let dir = absolute(&options.dir)?;
        let pgdata = dir.join("pgdata");
        let socket_dir = socket_dir_for(&dir, options.port);
        let log_path = dir.join("postgres.log");

        fs::create_dir_all(&dir).map_err(io_err(format!("creating {}", dir.display())))?;
        // Traversable by the postgres user, but nothing listable or readable.
        set_mode(&dir, 0o711)?;
        for private in [&pgdata, &socket_dir] {
            fs::create_dir_all(private)
                .map_err(io_err(format!("creating {}", private.display())))?;
            set_mode(private, 0o700)?;
            if let Some(user) = run_as {
                std::os::unix::fs::chown(private, Some(user.uid), Some(user.gid)).map_err(
                    io_err(format!("giving {} to the postgres user", private.display())),
                )?;
            }
        }
        if !pgdata.join("PG_VERSION").exists() {
            match primary {
                None => initdb(programs, run_as, &pgdata, options.durable)?,
                Some(primary) => base_backup(programs, run_as, primary, &pgdata)?,
            }
        }
        clear_stale_lock(&pgdata)?;

        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(io_err(format!("opening {}", log_path.display())))?;
        let log_err = log
            .try_clone()
            .map_err(io_err("duplicating the log handle"))?;
        let mut command = Command::new(programs.program("postgres"));
        command
            .arg("-D")
            .arg(&pgdata)
            .arg("-p")
            .arg(options.port.to_string())
            .arg("-c")
            .arg("listen_addresses=")
            .arg("-c")
            .arg(format!("unix_socket_directories={}", socket_dir.display()))
            .arg("-c")
            .arg("unix_socket_permissions=0700")
            .arg("-c")
            .arg(format!("max_connections={}", options.max_connections))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .process_group(0);
        if !options.durable {
            for setting in [
                "fsync=off",
                "synchronous_commit=off",
                "full_page_writes=off",
            ] {
                command.arg("-c").arg(setting);
            }
        }
        if let Some(user) = run_as {
            command.uid(user.uid).gid(user.gid).env("HOME", &dir);
        }
        let (child, keeper) = spawn_with_parent_death_signal(command)?;
        let mut cluster = Self {
            child: Some(child),
            pgdata,
            socket_dir,
            port: options.port,
            log_path,
            programs: programs.clone(),
            options: options.clone(),
            run_as,
            _keeper: keeper,
        };
        cluster.wait_until_ready(Duration::from_secs(60))?;
        Ok(cluster)
    }

    /// Connection options for `user` on `database`, over the private socket.
    pub fn connect_options(&self, user: &str, database: &str) -> PgConnectOptions {
        PgConnectOptions::new_without_pgpass()
            .socket(&self.socket_dir)
            .port(self.port)
            .username(user)
            .database(database)
    }

    /// The directory of the Unix socket (for `psql -h`).
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The postmaster's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn wait_until_ready(&mut self, limit: Duration) -> Result<(), EmbeddedError> {
        let started = Instant::now();
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.child = None;
                    return Err(EmbeddedError::ProgramFailed {
                        program: "postgres".into(),
                        status: status.to_string(),
                        output: tail(&self.log_path),
                    });
                }
            }
            // A hot standby says `standby` once it accepts connections.
            if matches!(
                postmaster_status(&self.pgdata).as_deref(),
                Some("ready" | "standby")
            ) {
                return Ok(());
            }
            if started.elapsed() > limit {
                let output = tail(&self.log_path);
                let _ = self.stop();
                return Err(EmbeddedError::Other(format!(
                    "PostgreSQL did not become ready within {}s; its log:\n{output}",
                    limit.as_secs()
                )));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Fast shutdown (SIGINT: roll back open transactions, checkpoint, exit),
    /// waiting up to 30 s before an immediate shutdown.
    pub fn stop(&mut self) -> Result<(), EmbeddedError> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        signal(child.id(), libc::SIGINT);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if child
                .try_wait()
                .map_err(io_err("waiting for postgres"))?
                .is_some()
            {
                return Ok(());
            }
            thread::sleep(Duration::from_millis(25));
        }
        signal(child.id(), libc::SIGQUIT);
        child.wait().map_err(io_err("waiting for postgres"))?;
        Ok(())
    }
}

impl Cluster {
    /// Immediate shutdown, as an operator's `pg_ctl stop -m immediate` (run
    /// as the cluster's owner): every backend is killed at once, open
    /// transactions are lost, and the next start runs crash recovery. For
    /// fault tests; [`Cluster::restart`] starts the server again.
    pub fn stop_immediate(&mut self) -> Result<(), EmbeddedError> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let mut command = Command::new(self.programs.program("pg_ctl"));
        command
            .arg("-D")
            .arg(&self.pgdata)
            .args(["-m", "immediate", "-w", "-t", "30", "stop"])
            .stdin(Stdio::null());
        if let Some(user) = self.run_as {
            command
                .uid(user.uid)
                .gid(user.gid)
                .env("HOME", &self.pgdata)
                .current_dir(&self.pgdata);
        }
        let output = command.output();
        // Whatever pg_ctl says, the postmaster is our child: reap it, and
        // make sure it is gone before the data directory is used again.
        let started = Instant::now();
        loop {
            if child
                .try_wait()
                .map_err(io_err("waiting for postgres"))?
                .is_some()
            {
                break;
            }
            if started.elapsed() > Duration::from_secs(30) {
                signal(child.id(), libc::SIGKILL);
                child.wait().map_err(io_err("waiting for postgres"))?;
                break;
            }
            thread::sleep(Duration::from_millis(10));
        }
        let output = output.map_err(io_err("running pg_ctl"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(EmbeddedError::ProgramFailed {
                program: "pg_ctl stop -m immediate".into(),
                status: output.status.to_string(),
                output: String::from_utf8_lossy(&output.stderr).into_owned(),
            })
        }
    }

    /// Starts the server again on the same data directory and socket after
    /// [`Cluster::stop`] or [`Cluster::stop_immediate`] (crash recovery runs
    /// first when needed); waits until it accepts connections. A running
    /// cluster is left as it is.
    pub fn restart(&mut self) -> Result<(), EmbeddedError> {
        if self.child.is_some() {
            return Ok(());
        }
        let started = Self::start_inner(&self.programs, &self.options, None)?;
        // The old value has no child left, so dropping it stops nothing.
        *self = started;
        Ok(())
    }

    /// Whether the postmaster runs (it may still be starting up).
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

fn absolute(path: &Path) -> Result<PathBuf, EmbeddedError> {
    if path.is_absolute() {
        Ok(path.to_path_buf())
    } else {
        Ok(std::env::current_dir()
            .map_err(io_err("reading the current directory"))?
            .join(path))
    }
}

/// Unix socket paths are limited to about 100 bytes; a deep project directory
/// gets its socket under /tmp instead, in a directory named after it.
fn socket_dir_for(dir: &Path, port: u16) -> PathBuf {
    let preferred = dir.join("run");
    let socket = preferred.join(format!(".s.PGSQL.{port}"));
    if socket.as_os_str().len() < 100 {
        return preferred;
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(dir.as_os_str().as_encoded_bytes());
    let short: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    std::env::temp_dir().join(format!("ticketing-pg-{short}"))
}

fn set_mode(path: &Path, mode: u32) -> Result<(), EmbeddedError> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(io_err(format!("setting permissions of {}", path.display())))
}

fn initdb(
    programs: &ServerPrograms,
    run_as: Option<RunAs>,
    pgdata: &Path,
    durable: bool,
) -> Result<(), EmbeddedError> {
    let mut command = Command::new(programs.program("initdb"));
    command
        .arg("-D")
        .arg(pgdata)
        .args([
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-instructions",
        ])
        .stdin(Stdio::null());
    if !durable {
        command.arg("--no-sync");
    }
    if let Some(user) = run_as {
        command
            .uid(user.uid)
            .gid(user.gid)
            .env("HOME", pgdata)
            .current_dir(pgdata);
    }
    let output = command.output().map_err(io_err("running initdb"))?;
    if output.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
    if text.contains("Permission denied") && run_as.is_some() {
        text.push_str(
            "\nhint: the postgres user must be able to reach the data directory; \
             every directory above it needs the execute bit for others (chmod o+x), \
             or choose another data directory",
        );
    }
    Err(EmbeddedError::ProgramFailed {
        program: "initdb".into(),
        status: output.status.to_string(),
        output: text,
    })
}

/// Copies `primary` into `pgdata` as a standby that streams from it.
fn base_backup(
    programs: &ServerPrograms,
    run_as: Option<RunAs>,
    primary: &Cluster,
    pgdata: &Path,
) -> Result<(), EmbeddedError> {
    let mut command = Command::new(programs.program("pg_basebackup"));
    command
        .arg("-h")
        .arg(primary.socket_dir())
        .arg("-p")
        .arg(primary.port().to_string())
        .args([
            "-U",
            SUPERUSER,
            "-X",
            "stream",
            "-R",
            "--no-sync",
            "--checkpoint=fast",
            "-D",
        ])
        .arg(pgdata)
        .stdin(Stdio::null());
    if let Some(user) = run_as {
        command
            .uid(user.uid)
            .gid(user.gid)
            .env("HOME", pgdata)
            .current_dir(pgdata);
    }
    let output = command.output().map_err(io_err("running pg_basebackup"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(EmbeddedError::ProgramFailed {
            program: "pg_basebackup".into(),
            status: output.status.to_string(),
            output: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }
}

/// The status word PostgreSQL writes on line 8 of `postmaster.pid`
/// (`starting`, `ready`, `stopping`).
fn postmaster_status(pgdata: &Path) -> Option<String> {
    let file = fs::File::open(pgdata.join("postmaster.pid")).ok()?;
    io::BufReader::new(file)
        .lines()
        .nth(7)?
        .ok()
        .map(|line| line.trim().to_owned())
}

/// Removes a `postmaster.pid` that no live postmaster owns, and stops an
/// orphaned postmaster of this data directory left by a killed run.
fn clear_stale_lock(pgdata: &Path) -> Result<(), EmbeddedError> {
    let lock = pgdata.join("postmaster.pid");
    let Ok(content) = fs::read_to_string(&lock) else {
        return Ok(());
    };
    let Some(pid) = content
        .lines()
        .next()
        .and_then(|l| l.trim().parse::<i32>().ok())
    else {
        return fs::remove_file(&lock).map_err(io_err("removing a corrupt postmaster.pid"));
    };
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let cmdline = String::from_utf8_lossy(&cmdline);
    let ours = cmdline.contains("postgres") && cmdline.contains(&*pgdata.to_string_lossy());
    if ours {
        tracing::warn!(pid, "stopping an orphaned postgres left by an earlier run");
        signal(pid as u32, libc::SIGINT);
        let started = Instant::now();
        while lock.exists() && started.elapsed() < Duration::from_secs(30) {
            thread::sleep(Duration::from_millis(50));
        }
        if lock.exists() {
            return Err(EmbeddedError::Other(format!(
                "an earlier postgres (pid {pid}) still holds {}; stop it and retry",
                pgdata.display()
            )));
        }
    } else {
        tracing::info!(
            pid,
            "removing a stale postmaster.pid left by an earlier run"
        );
        fs::remove_file(&lock).map_err(io_err("removing a stale postmaster.pid"))?;
    }
    Ok(())
}

#[allow(unsafe_code)]
fn signal(pid: u32, signal: i32) {
    // SAFETY: kill(2) has no memory-safety preconditions; a stale pid only
    // makes it fail with ESRCH, which we ignore.
    unsafe {
        libc::kill(pid as i32, signal);
    }
}

/// Spawns `command` from a thread that lives as long as the returned sender,
/// with SIGINT as its parent-death signal. Linux delivers that signal when the
/// spawning *thread* ends, hence the dedicated thread: the child outlives no
/// owner, even one killed with SIGKILL.
fn spawn_with_parent_death_signal(
    mut command: Command,
) -> Result<(Child, mpsc::Sender<()>), EmbeddedError> {
    let (result_tx, result_rx) = mpsc::channel();
    let (keeper_tx, keeper_rx) = mpsc::channel::<()>();
    #[allow(unsafe_code)]
    // SAFETY: the closure runs between fork and exec and only calls
    // async-signal-safe functions (prctl, getppid).
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT as libc::c_ulong) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    thread::Builder::new()
        .name("postgres-keeper".into())
        .spawn(move || {
            let _ = result_tx.send(command.spawn());
            // Block until the owner drops its sender (or the process exits).
            let _ = keeper_rx.recv();
        })
        .map_err(io_err("starting the postgres keeper thread"))?;
    let child = result_rx
        .recv()
        .map_err(|_| EmbeddedError::Other("the postgres keeper thread died".into()))?
        .map_err(io_err("starting postgres"))?;
    Ok((child, keeper_tx))
}

fn tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
