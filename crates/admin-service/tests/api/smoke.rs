//! The built binary over a real socket: it becomes ready on a migrated
//! database and exits 0 on SIGTERM.

use std::{process::Command, time::Duration};

use test_support::{process, TestDatabase};

#[tokio::test]
async fn the_binary_becomes_ready_and_exits_cleanly_on_sigterm() {
    let db = TestDatabase::new().await;
    let addr = process::free_addr();
    let mut child = Command::new(env!("CARGO_BIN_EXE_admin-service"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", db.admin_url().to_url_string())
        .env("ADMIN_HTTP_ADDR", addr.to_string())
        .env("LOG_FORMAT", "json")
        .spawn()
        .expect("start the binary");

    let ready = tokio::task::spawn_blocking(move || {
        process::wait_for_status(addr, "/readyz", 200, Duration::from_secs(30))
    })
    .await
    .unwrap();
    let code = process::terminate(&mut child, Duration::from_secs(15));

    assert!(ready, "/readyz never answered 200");
    assert_eq!(code, Some(0), "the binary did not exit 0 after SIGTERM");
}

fn create_admin(db: &TestDatabase, password: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_admin-service"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", db.admin_url().to_url_string())
        .env("ADMIN_PASSWORD", password)
        .arg("create-admin")
        .args(args)
        .output()
        .expect("run create-admin")
}

#[tokio::test]
async fn the_create_admin_command_creates_then_resets_an_admin_and_audits_both() {
    let db = TestDatabase::new().await;
    let args = ["--email", "cli@example.com", "--role", "support"];
    let created = create_admin(&db, "first long password", &args);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert!(String::from_utf8_lossy(&created.stderr).contains("created"));
    let reset = create_admin(
        &db,
        "second long password",
        &["--email", "CLI@example.com", "--role", "owner"],
    );
    assert!(
        reset.status.success(),
        "{}",
        String::from_utf8_lossy(&reset.stderr)
    );
    assert!(String::from_utf8_lossy(&reset.stderr).contains("reset"));
    let short = create_admin(&db, "short", &args);
    assert_eq!(short.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&short.stderr).contains("password"));

    let mut conn = db.superuser_connection().await;
    let (role, count): (String, i64) =
        sqlx::query_as("SELECT role, (SELECT count(*) FROM admin.admins) FROM admin.admins WHERE email = 'cli@example.com'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!((role.as_str(), count), ("owner", 1));
    let actions: Vec<(String, String)> =
        sqlx::query_as("SELECT action, actor_type FROM admin.audit_log ORDER BY occurred_at")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert_eq!(
        actions,
        vec![
            ("admin.create".into(), "cli".into()),
            ("admin.reset".into(), "cli".into())
        ]
    );
}
