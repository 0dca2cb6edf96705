//! The default `cargo run` binary, as a newcomer uses it: no DATABASE_URL,
//! an embedded PostgreSQL in its data directory, both services ready, and
//! nothing left running however it is stopped.

#![allow(clippy::unwrap_used)] // tests state their expectations with unwrap

use std::{
    fs,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use sqlx::{postgres::PgConnectOptions, Connection, PgConnection};
use test_support::process::{free_addr, terminate, wait_for_status};

struct Stack {
    dir: PathBuf,
    reseller: SocketAddr,
    admin: SocketAddr,
}

impl Stack {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "ticketing-stack-test-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        ));
        Self {
            dir,
            reseller: free_addr(),
            admin: free_addr(),
        }
    }

    fn start(&self) -> Child {
        self.start_with(&[])
    }

    fn start_with(&self, args: &[&str]) -> Child {
        let log = fs::File::create(self.dir.with_extension("log")).expect("log file");
        Command::new(env!("CARGO_BIN_EXE_stack"))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("STACK_DATA_DIR", &self.dir)
            .env("RESELLER_HTTP_ADDR", self.reseller.to_string())
            .env("ADMIN_HTTP_ADDR", self.admin.to_string())
            .env("LOG_FORMAT", "json")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("start the stack")
    }

    fn both_ready(&self) -> bool {
        [self.reseller, self.admin]
            .into_iter()
            .all(|addr| wait_for_status(addr, "/readyz", 200, Duration::from_secs(60)))
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.with_extension("log")).unwrap_or_default()
    }

    async fn superuser(&self) -> PgConnection {
        let options = PgConnectOptions::new_without_pgpass()
            .socket(self.dir.join("postgres").join("run"))
            .port(5432)
            .username("postgres")
            .database("ticketing");
        PgConnection::connect_with(&options)
            .await
            .expect("connect to the embedded server")
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
        let _ = fs::remove_file(self.dir.with_extension("log"));
    }
}

/// Processes whose command line mentions `dir` (the postmaster and its workers
/// carry `-D <dir>/...` or are children of one).
fn postgres_processes(dir: &Path) -> Vec<u32> {
    let needle = dir.to_string_lossy().into_owned();
    fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let cmdline = fs::read(entry.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            (cmdline.contains("postgres") && cmdline.contains(&needle)).then_some(pid)
        })
        .collect()
}

fn wait_until_no_postgres(dir: &Path) -> Vec<u32> {
    for _ in 0..100 {
        if postgres_processes(dir).is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    postgres_processes(dir)
}

fn signal(child: &Child, name: &str) {
    Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .expect("kill");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cargo_run_starts_everything_reuses_its_data_and_leaves_nothing_behind() {
    let stack = Stack::new();

    // First run: a fresh cluster, both services ready, stopped with Ctrl-C.
    let mut child = stack.start();
    assert!(
        stack.both_ready(),
        "first run never became ready:\n{}",
        stack.log()
    );
    let mut conn = stack.superuser().await;
    sqlx::raw_sql("CREATE TABLE public.survives_restarts (x int); INSERT INTO public.survives_restarts VALUES (42)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    signal(&child, "INT");
    let code = tokio::task::block_in_place(|| terminate_wait(&mut child));
    assert_eq!(code, Some(0), "Ctrl-C did not exit 0:\n{}", stack.log());
    assert_eq!(
        wait_until_no_postgres(&stack.dir),
        Vec::<u32>::new(),
        "postgres left after Ctrl-C"
    );
    let tokens = fs::read_to_string(stack.dir.join("secrets.env")).unwrap();
    assert!(
        tokens.contains("ADMIN_BOOTSTRAP_PASSWORD="),
        "the first owner's password is kept with the tokens"
    );

    // Second run: the same data and tokens; then killed with SIGKILL.
    let mut child = stack.start();
    assert!(
        stack.both_ready(),
        "second run never became ready:\n{}",
        stack.log()
    );
    let mut conn = stack.superuser().await;
    let kept: i32 = sqlx::query_scalar("SELECT x FROM public.survives_restarts")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(kept, 42);
    conn.close().await.unwrap();
    assert_eq!(
        fs::read_to_string(stack.dir.join("secrets.env")).unwrap(),
        tokens
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        wait_until_no_postgres(&stack.dir),
        Vec::<u32>::new(),
        "postgres orphaned by SIGKILL"
    );

    // A stale lock naming a live process that is not postgres (pid reuse).
    let lock = stack.dir.join("postgres/pgdata/postmaster.pid");
    fs::write(
        &lock,
        format!("{}\n{}\n", std::process::id(), stack.dir.display()),
    )
    .unwrap();
    let mut child = stack.start();
    assert!(
        stack.both_ready(),
        "run after a stale lock never became ready:\n{}",
        stack.log()
    );
    let code = tokio::task::block_in_place(|| terminate(&mut child, Duration::from_secs(30)));
    assert_eq!(code, Some(0), "SIGTERM did not exit 0:\n{}", stack.log());
    assert_eq!(
        wait_until_no_postgres(&stack.dir),
        Vec::<u32>::new(),
        "postgres left after SIGTERM"
    );
}

fn terminate_wait(child: &mut Child) -> Option<i32> {
    for _ in 0..300 {
        if let Ok(Some(status)) = child.try_wait() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    None
}

#[test]
fn setup_sql_prints_the_role_and_schema_statements() {
    let output = Command::new(env!("CARGO_BIN_EXE_stack"))
        .arg("setup-sql")
        .output()
        .expect("run stack setup-sql");
    assert!(output.status.success());
    let sql = String::from_utf8(output.stdout).unwrap();
    assert!(sql
        .contains("CREATE SCHEMA IF NOT EXISTS \"reseller\" AUTHORIZATION \"ticketing_reseller\""));
    assert!(sql.contains("CREATE SCHEMA IF NOT EXISTS \"admin\" AUTHORIZATION \"ticketing_admin\""));
    assert_eq!(
        sql,
        include_str!("../../../docs/setup-roles.sql"),
        "docs/setup-roles.sql is stale: regenerate it with `cargo run -- setup-sql > docs/setup-roles.sql`"
    );
}

#[test]
fn an_unknown_argument_is_refused_with_usage() {
    let output = Command::new(env!("CARGO_BIN_EXE_stack"))
        .arg("--frobnicate")
        .output()
        .expect("run stack");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage:"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_fills_the_stack_through_its_apis_and_prints_what_to_try() {
    let stack = Stack::new();
    let mut child = stack.start_with(&["demo"]);
    assert!(stack.both_ready(), "never ready:\n{}", stack.log());
    let mut waited = 0;
    while !stack.log().contains("demo ready") {
        assert!(waited < 1200, "the demo never finished:\n{}", stack.log());
        std::thread::sleep(Duration::from_millis(100));
        waited += 1;
    }
    let log = stack.log();
    assert!(
        log.contains("chart.svg") && log.contains("curl -s"),
        "{log}"
    );
    let saved = fs::read_to_string(stack.dir.join("demo.env")).unwrap();
    assert_eq!(saved.lines().count(), 2, "two resellers' keys kept");

    let mut conn = stack.superuser().await;
    let (events, tickets, resellers): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM reseller.sale_events), \
                (SELECT count(*) FROM reseller.support_tickets), \
                (SELECT count(*) FROM reseller.resellers WHERE status = 'active')",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    assert!(events >= 3000, "{events} events");
    assert_eq!((tickets, resellers), (1, 2));

    let code = tokio::task::block_in_place(|| terminate(&mut child, Duration::from_secs(30)));
    assert_eq!(code, Some(0), "SIGTERM did not exit 0:\n{}", stack.log());
    assert_eq!(wait_until_no_postgres(&stack.dir), Vec::<u32>::new());
}
