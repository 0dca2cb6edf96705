//! The built binary over a real socket: it becomes ready on a migrated
//! database and exits 0 on SIGTERM.

use std::{process::Command, time::Duration};

use test_support::{process, TestDatabase};

#[tokio::test]
async fn the_binary_becomes_ready_and_exits_cleanly_on_sigterm() {
    let db = TestDatabase::new().await;
    let addr = process::free_addr();
    let mut child = Command::new(env!("CARGO_BIN_EXE_reseller-service"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", db.reseller_url().to_url_string())
        .env("RESELLER_HTTP_ADDR", addr.to_string())
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
