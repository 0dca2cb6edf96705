//! Tests that span both services: the HTTP scaffold they share, their
//! separate schemas and roles, and readiness across a database restart.

#![allow(clippy::unwrap_used)] // tests state their expectations with unwrap

mod end_to_end;
mod readiness;
mod scaffold;
mod schemas;

use axum::Router;
use test_support::{admin_config, reseller_config, TestDatabase};

/// Both services' routes on one test database, migrated, plus `extra` routes
/// inside the standard layers (for behaviour no production route exhibits on
/// demand, such as a panic).
pub async fn both_apps(db: &TestDatabase, extra: fn() -> Router) -> Vec<(&'static str, Router)> {
    let reseller = reseller_service::AppState::new(reseller_config(db));
    reseller
        .db
        .migrate(&reseller_service::MIGRATOR)
        .await
        .expect("migrate reseller");
    let admin = admin_service::AppState::new(admin_config(db));
    admin
        .db
        .migrate(&admin_service::MIGRATOR)
        .await
        .expect("migrate admin");
    let limits = platform::http::HttpLimits {
        max_body_bytes: 1024,
        ..Default::default()
    };
    vec![
        (
            "reseller-service",
            platform::http::standard_layers(
                reseller_service::routes(reseller).merge(extra()),
                limits,
            ),
        ),
        (
            "admin-service",
            platform::http::standard_layers(admin_service::routes(admin).merge(extra()), limits),
        ),
    ]
}
