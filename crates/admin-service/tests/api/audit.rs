//! The audit log: one row per mutation, for every mutating route of the
//! route table (a route without a scenario here fails the walk, so a new
//! route cannot go unaudited), rows the service's own role cannot change, and
//! the listing's filters and pages.

use admin_service::http::{route_table, Access};
use axum::http::{Method, StatusCode};
use domain::admin::AdminRole;
use serde_json::{json, Value};
use test_support::{tokens, TestRequest};

use crate::helpers::{TestApp, OWNER_EMAIL, PASSWORD};

/// Sets up what one successful call of `method path` needs and returns that
/// call and the audit action it must record; `None` when this walk has no
/// scenario for the route.
async fn prepare(
    app: &TestApp,
    method: &Method,
    path: &str,
) -> Option<(TestRequest, &'static str)> {
    let owner = app.session(AdminRole::Owner).await;
    let support = app.session(AdminRole::Support).await;
    let post =
        |uri: String, token: &str, body: Value| TestRequest::post(uri).bearer(token).json(&body);
    let request = match (method.as_str(), path) {
        ("POST", "/v1/auth/login") => TestRequest::post("/v1/auth/login")
            .json(&json!({ "email": OWNER_EMAIL, "password": PASSWORD })),
        ("POST", "/v1/auth/logout") => TestRequest::post("/v1/auth/logout").bearer(&support),
        ("POST", "/v1/admins") => post(
            "/v1/admins".into(),
            &owner,
            json!({ "email": "new@example.com", "password": PASSWORD, "role": "viewer" }),
        ),
        ("PATCH", "/v1/admins/{admin_id}") => {
            app.session(AdminRole::Viewer).await;
            let id = app.admin_id(AdminRole::Viewer).await;
            TestRequest::patch(format!("/v1/admins/{id}"))
                .bearer(&owner)
                .json(&json!({ "disabled": false }))
        }
        ("POST", "/v1/resellers/{reseller_id}/approve") => {
            let r = app.register_reseller("Approve Me").await;
            post(format!("/v1/resellers/{}/approve", r.id), &owner, json!({}))
        }
        ("POST", "/v1/resellers/{reseller_id}/suspend") => {
            let r = app.register_reseller("Suspend Me").await;
            post(
                format!("/v1/resellers/{}/suspend", r.id),
                &owner,
                json!({ "reason": "chargebacks" }),
            )
        }
        ("POST", "/v1/resellers/{reseller_id}/reactivate") => {
            let r = app.register_reseller("Reactivate Me").await;
            let s = app
                .call(post(
                    format!("/v1/resellers/{}/suspend", r.id),
                    &owner,
                    json!({ "reason": "x" }),
                ))
                .await;
            assert_eq!(s.status, StatusCode::OK, "{}", s.text());
            post(
                format!("/v1/resellers/{}/reactivate", r.id),
                &owner,
                json!({}),
            )
        }
        ("PUT", "/v1/shows/{show_id}/traffic") => {
            let r = app.register_reseller("Traffic").await;
            let (show_id, _) = app.catalog(&r).await;
            TestRequest::put(format!("/v1/shows/{show_id}/traffic"))
                .bearer(&owner)
                .json(&json!({ "level": "high", "expected_peak_rps": 5000, "note": "presale" }))
        }
        ("POST", "/v1/support-tickets/{ticket_id}/assign") => {
            let r = app.register_reseller("Assign").await;
            let t = app.open_ticket(&r, None).await;
            let me = app.admin_id(AdminRole::Support).await;
            post(
                format!("/v1/support-tickets/{t}/assign"),
                &support,
                json!({ "assignee_id": me }),
            )
        }
        ("POST", "/v1/support-tickets/{ticket_id}/messages") => {
            let r = app.register_reseller("Reply").await;
            let t = app.open_ticket(&r, None).await;
            post(
                format!("/v1/support-tickets/{t}/messages"),
                &support,
                json!({ "body": "Looking into it." }),
            )
        }
        ("POST", "/v1/support-tickets/{ticket_id}/resolve") => {
            let r = app.register_reseller("Resolve").await;
            let t = app.open_ticket(&r, None).await;
            post(
                format!("/v1/support-tickets/{t}/resolve"),
                &support,
                json!({ "note": "Done." }),
            )
        }
        ("POST", "/v1/support-tickets/{ticket_id}/refunds") => {
            let (_, t, order) = refundable(app, "Refund").await;
            post(
                format!("/v1/support-tickets/{t}/refunds"),
                &support,
                json!({ "order_id": order, "reason": "show moved", "amount_minor": 150000 }),
            )
        }
        ("POST", "/v1/ingest/quarantine/{quarantine_id}/replay") => {
            let id = quarantined(app).await;
            TestRequest::post(format!("/v1/ingest/quarantine/{id}/replay")).bearer(&owner)
        }
        ("POST", "/internal/v1/refund-requests/{refund_id}/complete") => {
            let id = pending_refund(app, &support).await;
            TestRequest::post(format!("/internal/v1/refund-requests/{id}/complete"))
                .bearer(tokens::CORE)
        }
        ("POST", "/internal/v1/refund-requests/{refund_id}/fail") => {
            let id = pending_refund(app, &support).await;
            TestRequest::post(format!("/internal/v1/refund-requests/{id}/fail"))
                .bearer(tokens::CORE)
                .json(&json!({ "reason": "card expired" }))
        }
        _ => return None,
    };
    let action = match path {
        "/v1/auth/login" => "auth.login",
        "/v1/auth/logout" => "auth.logout",
        "/v1/admins" => "admin.create",
        "/v1/admins/{admin_id}" => "admin.update",
        "/v1/resellers/{reseller_id}/approve" => "reseller.approve",
        "/v1/resellers/{reseller_id}/suspend" => "reseller.suspend",
        "/v1/resellers/{reseller_id}/reactivate" => "reseller.reactivate",
        "/v1/shows/{show_id}/traffic" => "show.mark_traffic",
        "/v1/support-tickets/{ticket_id}/assign" => "ticket.assign",
        "/v1/support-tickets/{ticket_id}/messages" => "ticket.reply",
        "/v1/support-tickets/{ticket_id}/resolve" => "ticket.resolve",
        "/v1/support-tickets/{ticket_id}/refunds" => "refund.request",
        "/v1/ingest/quarantine/{quarantine_id}/replay" => "quarantine.replay",
        "/internal/v1/refund-requests/{refund_id}/complete" => "refund.complete",
        _ => "refund.fail",
    };
    Some((request, action))
}

/// A reseller with a paid order of 2 tickets (300,000 IDR) and a ticket
/// about it: (reseller, ticket_id, order_id).
pub async fn refundable(app: &TestApp, name: &str) -> (crate::helpers::Reseller, String, String) {
    let r = app.register_reseller(name).await;
    let catalog = app.catalog(&r).await;
    let order = app.paid_order(&r, &catalog, 2).await;
    let ticket = app.open_ticket(&r, Some(&order)).await;
    (r, ticket, order)
}

async fn pending_refund(app: &TestApp, support: &str) -> String {
    let (_, t, order) = refundable(app, "Pending").await;
    let r = app
        .call(
            TestRequest::post(format!("/v1/support-tickets/{t}/refunds"))
                .bearer(support)
                .json(&json!({ "order_id": order, "reason": "duplicate charge" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_owned()
}

/// An event the ingest rejected (its currency is not its ticket type's).
async fn quarantined(app: &TestApp) -> String {
    let r = app.register_reseller("Quarantine").await;
    let catalog = app.catalog(&r).await;
    let mut event = crate::helpers::sale_event(
        &r,
        &catalog,
        "order.paid",
        &uuid::Uuid::new_v4().to_string(),
        1,
        chrono::Utc::now(),
    );
    event["currency"] = json!("USD");
    let body = app.ingest(&[event]).await;
    assert_eq!(body["results"][0]["status"], "rejected", "{body}");
    let (_, list) = app
        .reseller_call(
            reqwest::Method::GET,
            "/internal/v1/ingest/quarantine?status=open",
            tokens::INTERNAL,
            None,
        )
        .await;
    list["data"][0]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_mutating_route_writes_exactly_one_audit_row() {
    let app = TestApp::spawn().await;
    let table = route_table();
    let mut walked = 0;
    for route in table.routes().iter().filter(|r| r.method != Method::GET) {
        let label = format!("{} {}", route.method, route.path);
        let Some((request, action)) = prepare(&app, &route.method, route.path).await else {
            panic!("{label} has no audit scenario: add one to tests/api/audit.rs");
        };
        let before = app.audit_count().await;
        let response = app.call(request).await;
        assert!(
            response.status.is_success(),
            "{label}: {} {}",
            response.status,
            response.text()
        );
        let after = app.audit_count().await;
        assert_eq!(after - before, 1, "{label}: one audit row per call");
        let row = app.last_audit().await;
        assert_eq!(row["action"], action, "{label}");
        assert_eq!(row["outcome"], "succeeded", "{label}: {row}");
        assert_eq!(
            row["request_id"],
            response.header("x-request-id").unwrap(),
            "{label}"
        );
        match route.access {
            Access::Core => assert_eq!(row["actor_type"], "core", "{label}"),
            _ => assert_eq!(row["actor_type"], "admin", "{label}"),
        }
        walked += 1;
    }
    assert!(walked >= 15, "walked {walked} mutating routes");
}

#[tokio::test]
async fn the_service_role_can_neither_update_nor_delete_audit_rows() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.login(OWNER_EMAIL, "wrong password!!").await.status,
        StatusCode::UNAUTHORIZED
    );
    let mut conn = app.state.db.pool().acquire().await.unwrap();
    for statement in [
        "UPDATE admin.audit_log SET action = 'nothing'",
        "DELETE FROM admin.audit_log",
        "TRUNCATE admin.audit_log",
        "UPDATE admin.audit_outcomes SET outcome = 'failed'",
        "DELETE FROM admin.audit_outcomes",
    ] {
        let error = sqlx::query(statement)
            .execute(&mut *conn)
            .await
            .unwrap_err();
        let code = error
            .as_database_error()
            .and_then(|e| e.code())
            .unwrap_or_default();
        assert_eq!(code, "42501", "{statement}: {error}"); // insufficient_privilege
    }
    // Even a superuser is stopped by the trigger.
    let mut superuser = app.db.superuser_connection().await;
    assert!(sqlx::query("DELETE FROM admin.audit_log")
        .execute(&mut superuser)
        .await
        .is_err());
    // The owner's creation and the failed login, untouched.
    assert_eq!(app.audit_count().await, 2);
}

#[tokio::test]
async fn the_audit_log_filters_by_actor_action_target_and_time_and_pages() {
    let app = TestApp::spawn().await;
    let owner = app.session(AdminRole::Owner).await;
    let r = app.register_reseller("Filtered").await;
    let approve = app
        .call(
            TestRequest::post(format!("/v1/resellers/{}/approve", r.id))
                .bearer(&owner)
                .json(&json!({})),
        )
        .await;
    assert_eq!(approve.status, StatusCode::OK, "{}", approve.text());
    for n in 0..3 {
        app.login(&format!("x{n}@example.com"), "wrong password!!")
            .await;
    }
    let list = |q: String| {
        let owner = owner.clone();
        let app = &app;
        async move {
            app.call(TestRequest::get(format!("/v1/audit-log?{q}")).bearer(&owner))
                .await
                .json()
        }
    };
    let by_target = list(format!("target_type=reseller&target_id={}", r.id)).await;
    let rows = by_target["data"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["action"], "reseller.approve");
    assert_eq!(rows[0]["before"]["status"], "pending");
    assert_eq!(rows[0]["after"]["status"], "active");
    assert_eq!(rows[0]["actor_role"], "owner");

    let failures = list("action=auth.login_failed&limit=2".into()).await;
    assert_eq!(failures["data"].as_array().unwrap().len(), 2);
    assert_eq!(failures["data"][0]["target_id"], "x2@example.com");
    let cursor = failures["next_cursor"].as_str().unwrap();
    let rest = list(format!("action=auth.login_failed&limit=2&cursor={cursor}")).await;
    assert_eq!(rest["data"].as_array().unwrap().len(), 1);
    assert_eq!(rest["data"][0]["target_id"], "x0@example.com");
    assert!(rest["next_cursor"].is_null());

    let owner_id = app.admin_id(AdminRole::Owner).await;
    let by_actor = list(format!("actor_id={owner_id}")).await;
    assert!(by_actor["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["actor_id"] == json!(owner_id)));
    let future = list("from=2999-01-01T00:00:00Z".into()).await;
    assert_eq!(future["data"].as_array().unwrap().len(), 0);
    let reversed = app
        .call(
            TestRequest::get("/v1/audit-log?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z")
                .bearer(&owner),
        )
        .await;
    reversed.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}
