//! The role x route matrix, walked from the service's own route table: every
//! route with no token, a core token, and each role's session answers exactly
//! what the contract's permissions say (viewer reads, support works tickets
//! and refunds, owner does all; feeds take a core token).

use admin_service::http::{route_table, Access};
use axum::http::{Method, StatusCode};
use domain::admin::AdminRole;
use serde_json::json;
use test_support::{tokens, TestRequest};
use uuid::Uuid;

use crate::helpers::TestApp;

/// The detail of the router's own 404 (no such path), which a real route
/// never answers.
const NO_ROUTE: &str = "No resource at this path.";

fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                Uuid::new_v4().to_string()
            } else {
                segment.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn allowed(access: Access, caller: Option<AdminRole>, core: bool) -> bool {
    match access {
        Access::Public => true,
        Access::Core => core,
        Access::Viewer => caller.is_some(),
        Access::Support => caller.is_some_and(|r| r.satisfies(AdminRole::Support)),
        Access::Owner => caller == Some(AdminRole::Owner),
    }
}

#[tokio::test]
async fn every_route_answers_exactly_its_permissions_for_every_caller() {
    let app = TestApp::spawn().await;
    let table = route_table();
    assert!(
        table.routes().len() >= 27,
        "the contract's routes are all registered"
    );
    for route in table.routes() {
        let callers: Vec<(&str, Option<AdminRole>, bool)> = vec![
            ("no token", None, false),
            ("core token", None, true),
            ("viewer", Some(AdminRole::Viewer), false),
            ("support", Some(AdminRole::Support), false),
            ("owner", Some(AdminRole::Owner), false),
        ];
        for (name, role, core) in callers {
            let mut request = TestRequest::new(route.method.clone(), concrete(route.path));
            if route.method != Method::GET {
                request = request.json(&json!({}));
            }
            if let Some(role) = role {
                // A fresh session each time: logout must not end the next call's.
                request = request.bearer(&app.session(role).await);
            } else if core {
                request = request.bearer(tokens::CORE);
            }
            let response = app.call(request).await;
            let label = format!("{} {} as {name}", route.method, route.path);
            let body: serde_json::Value =
                serde_json::from_slice(&response.body).unwrap_or_default();
            assert_ne!(body["detail"], NO_ROUTE, "{label}: not routed");
            assert_ne!(
                response.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{label}: wrong method"
            );
            assert!(
                !response.status.is_server_error(),
                "{label}: {}",
                response.text()
            );
            if allowed(route.access, role, core) {
                assert!(
                    response.status != StatusCode::UNAUTHORIZED
                        && response.status != StatusCode::FORBIDDEN,
                    "{label}: refused ({})",
                    response.text()
                );
            } else if role.is_some()
                && route.access != Access::Core
                && route.access != Access::Public
            {
                response.assert_problem(StatusCode::FORBIDDEN, "insufficient_role");
            } else {
                response.assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
            }
        }
    }
}

#[tokio::test]
async fn the_route_table_holds_the_contracts_admin_api() {
    let table = route_table();
    let has = |method: Method, path: &str, access: Access| {
        table
            .routes()
            .iter()
            .any(|r| r.method == method && r.path == path && r.access == access)
    };
    assert!(has(Method::POST, "/v1/auth/login", Access::Public));
    assert!(has(Method::POST, "/v1/admins", Access::Owner));
    assert!(has(
        Method::POST,
        "/v1/resellers/{reseller_id}/suspend",
        Access::Owner
    ));
    assert!(has(
        Method::PUT,
        "/v1/shows/{show_id}/traffic",
        Access::Owner
    ));
    assert!(has(
        Method::POST,
        "/v1/support-tickets/{ticket_id}/refunds",
        Access::Support
    ));
    assert!(has(Method::GET, "/v1/audit-log", Access::Viewer));
    assert!(has(
        Method::GET,
        "/internal/v1/refund-requests",
        Access::Core
    ));
    assert!(has(
        Method::GET,
        "/internal/v1/traffic-designations",
        Access::Core
    ));
}
