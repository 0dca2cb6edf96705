//! Moderation taking effect on the reseller side, the support queue, and the
//! high-traffic marks with their feed.

use axum::http::StatusCode;
use domain::admin::AdminRole;
use serde_json::json;
use test_support::{tokens, TestRequest};
use uuid::Uuid;

use crate::helpers::TestApp;

#[tokio::test]
async fn a_suspended_resellers_keys_are_refused_on_their_next_request() {
    let app = TestApp::spawn().await;
    let owner = app.session(AdminRole::Owner).await;
    let r = app.register_reseller("Suspendable").await;
    let (status, _) = app
        .reseller_call(reqwest::Method::GET, "/v1/me", &r.key, None)
        .await;
    assert_eq!(status, StatusCode::OK);

    let missing_reason = app
        .call(
            TestRequest::post(format!("/v1/resellers/{}/suspend", r.id))
                .bearer(&owner)
                .json(&json!({})),
        )
        .await;
    missing_reason.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let suspended = app
        .call(
            TestRequest::post(format!("/v1/resellers/{}/suspend", r.id))
                .bearer(&owner)
                .json(&json!({ "reason": "chargebacks" })),
        )
        .await;
    assert_eq!(
        suspended.status,
        StatusCode::OK,
        "{} {}",
        suspended.text(),
        test_support::logs::captured()
    );
    assert_eq!(suspended.json()["status"], "suspended");
    let (status, body) = app
        .reseller_call(reqwest::Method::GET, "/v1/me", &r.key, None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "reseller_suspended");

    let row = app.last_audit().await;
    assert_eq!(row["action"], "reseller.suspend");
    assert_eq!(row["reason"], "chargebacks");
    assert_eq!(row["before"]["status"], "pending");
    assert_eq!(row["after"]["status"], "suspended");

    // Suspending twice is the reseller-service's 409, passed on and audited as failed.
    let twice = app
        .call(
            TestRequest::post(format!("/v1/resellers/{}/suspend", r.id))
                .bearer(&owner)
                .json(&json!({ "reason": "again" })),
        )
        .await;
    twice.assert_problem(StatusCode::CONFLICT, "invalid_transition");
    assert_eq!(app.last_audit().await["outcome"], "failed");

    let back = app
        .call(
            TestRequest::post(format!("/v1/resellers/{}/reactivate", r.id))
                .bearer(&owner)
                .json(&json!({})),
        )
        .await;
    assert_eq!(back.json()["status"], "active");
    let (status, _) = app
        .reseller_call(reqwest::Method::GET, "/v1/me", &r.key, None)
        .await;
    assert_eq!(status, StatusCode::OK);

    // Unknown reseller: 404.
    app.call(
        TestRequest::post(format!("/v1/resellers/{}/approve", Uuid::new_v4()))
            .bearer(&owner)
            .json(&json!({})),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
    let listed = app
        .call(TestRequest::get("/v1/resellers?status=active&q=suspend").bearer(&owner))
        .await
        .json();
    assert_eq!(listed["data"][0]["id"], r.id.as_str());
}

#[tokio::test]
async fn support_assigns_replies_and_resolves_and_the_reseller_sees_the_conversation() {
    let app = TestApp::spawn().await;
    let support = app.session(AdminRole::Support).await;
    let viewer = app.session(AdminRole::Viewer).await;
    let r = app.register_reseller("Asker").await;
    let ticket = app.open_ticket(&r, None).await;
    let me = app.admin_id(AdminRole::Support).await;

    let queue = app
        .call(
            TestRequest::get(format!(
                "/v1/support-tickets?status=open&reseller_id={}",
                r.id
            ))
            .bearer(&viewer),
        )
        .await
        .json();
    assert_eq!(queue["data"][0]["id"], ticket.as_str());

    // A viewer cannot assign a ticket to itself; nobody can assign to a viewer.
    let to_viewer = app
        .call(
            TestRequest::post(format!("/v1/support-tickets/{ticket}/assign"))
                .bearer(&support)
                .json(&json!({ "assignee_id": app.admin_id(AdminRole::Viewer).await })),
        )
        .await;
    to_viewer.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let assigned = app
        .call(
            TestRequest::post(format!("/v1/support-tickets/{ticket}/assign"))
                .bearer(&support)
                .json(&json!({ "assignee_id": me })),
        )
        .await;
    assert_eq!(assigned.json()["assignee_id"], json!(me));
    let mine = app
        .call(TestRequest::get(format!("/v1/support-tickets?assignee_id={me}")).bearer(&viewer))
        .await
        .json();
    assert_eq!(mine["data"].as_array().unwrap().len(), 1);

    let reply = app
        .call(
            TestRequest::post(format!("/v1/support-tickets/{ticket}/messages"))
                .bearer(&support)
                .json(&json!({ "body": "We are on it." })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    assert_eq!(reply.json()["author"], "admin");
    let resolved = app
        .call(TestRequest::post(format!("/v1/support-tickets/{ticket}/resolve")).bearer(&support))
        .await;
    assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.text());
    assert_eq!(resolved.json()["status"], "resolved");

    let (_, seen) = app
        .reseller_call(
            reqwest::Method::GET,
            &format!("/v1/support-tickets/{ticket}"),
            &r.key,
            None,
        )
        .await;
    assert_eq!(seen["status"], "resolved");
    let bodies: Vec<_> = seen["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].clone())
        .collect();
    assert!(bodies.contains(&json!("We are on it.")), "{bodies:?}");

    // Another reseller's key cannot read it.
    let other = app.register_reseller("Nosy").await;
    let (status, _) = app
        .reseller_call(
            reqwest::Method::GET,
            &format!("/v1/support-tickets/{ticket}"),
            &other.key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn traffic_marks_follow_the_feed_in_commit_order_once_per_change() {
    let app = TestApp::spawn().await;
    let owner = app.session(AdminRole::Owner).await;
    let r = app.register_reseller("Busy").await;
    let (show_id, _) = app.catalog(&r).await;
    let mark = |body: serde_json::Value| {
        TestRequest::put(format!("/v1/shows/{show_id}/traffic"))
            .bearer(&owner)
            .json(&body)
    };
    let first = app
        .call(mark(json!({ "level": "high", "expected_peak_rps": 2000 })))
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    assert_eq!(first.json()["reseller_id"], r.id.as_str());
    app.call(mark(json!({ "level": "high", "expected_peak_rps": 2000 })))
        .await; // unchanged
    app.call(mark(
        json!({ "level": "extreme", "expected_peak_rps": 50000, "note": "presale" }),
    ))
    .await;
    app.call(mark(json!({ "level": "loud" })))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    app.call(mark(json!({ "level": "high", "expected_peak_rps": -1 })))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    app.call(
        TestRequest::put(format!("/v1/shows/{}/traffic", Uuid::new_v4()))
            .bearer(&owner)
            .json(&json!({ "level": "high" })),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");

    let feed = app
        .call(TestRequest::get("/internal/v1/traffic-designations?limit=1").bearer(tokens::CORE))
        .await
        .json();
    assert_eq!(feed["data"][0]["level"], "high");
    let cursor = feed["next_cursor"].as_str().unwrap().to_owned();
    let rest = app
        .call(
            TestRequest::get(format!("/internal/v1/traffic-designations?after={cursor}"))
                .bearer(tokens::CORE),
        )
        .await
        .json();
    assert_eq!(
        rest["data"].as_array().unwrap().len(),
        1,
        "an unchanged mark adds nothing"
    );
    assert_eq!(rest["data"][0]["level"], "extreme");
    assert_eq!(rest["data"][0]["note"], "presale");
    let end = rest["next_cursor"].as_str().unwrap().to_owned();
    let idle = app
        .call(
            TestRequest::get(format!("/internal/v1/traffic-designations?after={end}"))
                .bearer(tokens::CORE),
        )
        .await
        .json();
    assert_eq!(idle["data"].as_array().unwrap().len(), 0);
    assert_eq!(idle["next_cursor"], end.as_str());

    let shows = app
        .call(TestRequest::get("/v1/shows").bearer(&owner))
        .await
        .json();
    assert_eq!(shows["data"][0]["traffic"]["level"], "extreme");
}

#[tokio::test]
async fn admins_see_platform_sales_per_day_and_reseller() {
    let app = TestApp::spawn().await;
    let viewer = app.session(AdminRole::Viewer).await;
    let r = app.register_reseller("Seller").await;
    let catalog = app.catalog(&r).await;
    app.paid_order(&r, &catalog, 3).await;
    let today = chrono::Utc::now().date_naive();
    let from = today - chrono::Duration::days(1);
    let to = today + chrono::Duration::days(1);
    let overview = app
        .call(
            TestRequest::get(format!("/v1/reports/sales-overview?from={from}&to={to}"))
                .bearer(&viewer),
        )
        .await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.text());
    let body = overview.json();
    let tickets: i64 = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["tickets_sold"].as_i64().unwrap())
        .sum();
    assert_eq!(tickets, 3);
    assert_eq!(body["totals"][0]["gross_minor"], 450000);
    let bad = app
        .call(
            TestRequest::get("/v1/reports/sales-overview?from=2026-01-02&to=2026-01-01")
                .bearer(&viewer),
        )
        .await;
    assert!(bad.status.is_client_error(), "{}", bad.text());
}
