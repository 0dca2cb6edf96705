//! `/readyz` follows the database: 503 while it is away, 200 again once it
//! is back, without restarting the service.

use std::time::{Duration, Instant};

use axum::{http::StatusCode, Router};
use test_support::{private_cluster, send, TestRequest};

async fn wait_for(app: &Router, status: StatusCode, limit: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if send(app, TestRequest::get("/readyz")).await.status == status {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_503_while_the_database_is_down_and_200_when_it_returns() {
    let mut cluster = private_cluster().await;

    let mut reseller_config = reseller_service::Config::from_env(&[
        (
            "DATABASE_URL",
            "postgres://placeholder@localhost/placeholder",
        ),
        ("LOG_FORMAT", "json"),
    ])
    .unwrap();
    reseller_config.database = cluster.reseller_url();
    let mut admin_config = admin_service::Config::from_env(&[
        (
            "DATABASE_URL",
            "postgres://placeholder@localhost/placeholder",
        ),
        ("LOG_FORMAT", "json"),
    ])
    .unwrap();
    admin_config.database = cluster.admin_url();

    let reseller = reseller_service::AppState::new(reseller_config);
    let admin = admin_service::AppState::new(admin_config);
    let migrations = [
        reseller.db.spawn_migrations(&reseller_service::MIGRATOR),
        admin.db.spawn_migrations(&admin_service::MIGRATOR),
    ];
    let apps = [reseller_service::app(reseller), admin_service::app(admin)];

    for app in &apps {
        assert!(
            wait_for(app, StatusCode::OK, Duration::from_secs(20)).await,
            "never ready"
        );
    }

    tokio::task::block_in_place(|| cluster.stop());
    for app in &apps {
        let response = send(app, TestRequest::get("/readyz")).await;
        response.assert_problem(StatusCode::SERVICE_UNAVAILABLE, "not_ready");
        assert!(response.header("retry-after").is_some());
    }

    tokio::task::block_in_place(|| cluster.start());
    for app in &apps {
        assert!(
            wait_for(app, StatusCode::OK, Duration::from_secs(10)).await,
            "not ready again within 10 s of the database returning"
        );
    }
    for task in migrations {
        task.abort();
    }
}
