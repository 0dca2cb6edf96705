//! Registration, the account, and moderation through the internal API.

use axum::http::StatusCode;
use serde_json::json;
use test_support::{tokens, TestRequest};

use crate::helpers::{registration, TestApp};

#[tokio::test]
async fn registration_answers_201_with_a_pending_reseller_and_a_key_shown_once() {
    let app = TestApp::spawn().await;
    let response = app
        .call(TestRequest::post("/v1/resellers").json(&registration("Nusantara Tix")))
        .await;
    assert_eq!(response.status, StatusCode::CREATED);
    let body = response.json();
    assert_eq!(body["reseller"]["status"], "pending");
    assert_eq!(body["reseller"]["billing"]["address"]["country"], "ID");
    assert!(body["api_key"].as_str().unwrap().starts_with("rsk_"));

    let me = app
        .call(TestRequest::get("/v1/me").bearer(body["api_key"].as_str().unwrap()))
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["id"], body["reseller"]["id"]);
    assert!(me.json().get("api_key").is_none());
}

#[tokio::test]
async fn an_empty_registration_names_every_missing_field() {
    let app = TestApp::spawn().await;
    let body = app
        .call(TestRequest::post("/v1/resellers").json(&json!({})))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "contact_email", "billing"]);
}

#[tokio::test]
async fn every_invalid_registration_field_is_reported_with_its_path() {
    let app = TestApp::spawn().await;
    let cases = [
        ("/name", json!(""), "name", "required"),
        ("/name", json!("x".repeat(201)), "name", "too_long"),
        (
            "/contact_email",
            json!("not-an-email"),
            "contact_email",
            "invalid_email",
        ),
        (
            "/billing/legal_name",
            json!("  "),
            "billing.legal_name",
            "required",
        ),
        (
            "/billing/billing_email",
            json!("a@b"),
            "billing.billing_email",
            "invalid_email",
        ),
        (
            "/billing/tax_id",
            json!("x".repeat(65)),
            "billing.tax_id",
            "too_long",
        ),
        (
            "/billing/address/line1",
            json!(""),
            "billing.address.line1",
            "required",
        ),
        (
            "/billing/address/line2",
            json!("x".repeat(201)),
            "billing.address.line2",
            "too_long",
        ),
        (
            "/billing/address/city",
            json!(""),
            "billing.address.city",
            "required",
        ),
        (
            "/billing/address/region",
            json!("x".repeat(101)),
            "billing.address.region",
            "too_long",
        ),
        (
            "/billing/address/postal_code",
            json!("x".repeat(21)),
            "billing.address.postal_code",
            "too_long",
        ),
        (
            "/billing/address/country",
            json!("Indonesia"),
            "billing.address.country",
            "invalid_country",
        ),
    ];
    for (pointer, value, field, code) in cases {
        let mut body = registration("Valid Name");
        let (parent, leaf) = pointer.rsplit_once('/').unwrap();
        body.pointer_mut(parent).unwrap()[leaf] = value;
        let problem = app
            .call(TestRequest::post("/v1/resellers").json(&body))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], field, "{pointer}: {problem}");
        assert_eq!(problem["errors"][0]["code"], code, "{pointer}: {problem}");
        assert!(problem["errors"][0]["message"].is_string());
    }
}

#[tokio::test]
async fn unknown_fields_and_wrong_types_are_refused() {
    let app = TestApp::spawn().await;
    let mut body = registration("X");
    body["plan"] = json!("gold");
    let problem = app
        .call(TestRequest::post("/v1/resellers").json(&body))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(problem["errors"][0]["code"], "unknown_field");

    let mut body = registration("X");
    body["billing"]["address"] = json!("Jakarta");
    let problem = app
        .call(TestRequest::post("/v1/resellers").json(&body))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "billing.address");
}

#[tokio::test]
async fn registration_is_rate_limited_per_client_address() {
    let db = test_support::TestDatabase::new().await;
    let mut config = test_support::reseller_config(&db);
    config.registration_burst = 3;
    let state = reseller_service::AppState::new(config);
    state.db.migrate(&reseller_service::MIGRATOR).await.unwrap();
    let app = reseller_service::app(state);
    for i in 0..3 {
        let response = test_support::send(
            &app,
            TestRequest::post("/v1/resellers").json(&registration(&format!("R{i}"))),
        )
        .await;
        assert_eq!(response.status, StatusCode::CREATED);
    }
    let response = test_support::send(
        &app,
        TestRequest::post("/v1/resellers").json(&registration("R4")),
    )
    .await;
    response.assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert!(
        response
            .header("retry-after")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
}

#[tokio::test]
async fn a_reseller_updates_its_account_and_billing() {
    let app = TestApp::spawn().await;
    let me = app.register("Old Name").await;
    let mut billing = registration("x")["billing"].clone();
    billing["address"]["city"] = json!("Bandung");
    let response = app
        .call(
            TestRequest::patch("/v1/me")
                .bearer(&me.key)
                .header("if-match", "\"1\"")
                .json(&json!({ "name": "New Name", "billing": billing })),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let body = response.json();
    assert_eq!(body["name"], "New Name");
    assert_eq!(body["billing"]["address"]["city"], "Bandung");
    assert_eq!(body["version"], 2);
    assert_eq!(response.header("etag"), Some("\"2\""));

    app.call(
        TestRequest::patch("/v1/me")
            .bearer(&me.key)
            .header("if-match", "\"1\"")
            .json(&json!({ "name": "Lost" })),
    )
    .await
    .assert_problem(StatusCode::PRECONDITION_FAILED, "version_mismatch");
    app.call(
        TestRequest::patch("/v1/me")
            .bearer(&me.key)
            .json(&json!({ "contact_email": "nope" })),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

#[tokio::test]
async fn moderation_follows_the_lifecycle_and_reports_before_and_after() {
    let app = TestApp::spawn().await;
    let r = app.register("Lifecycle").await;
    let approved = app.moderate(&r.id, "approve", None).await.json();
    assert_eq!(approved["before"]["status"], "pending");
    assert_eq!(approved["after"]["status"], "active");

    let suspended = app
        .moderate(&r.id, "suspend", Some("chargebacks"))
        .await
        .json();
    assert_eq!(suspended["after"]["status"], "suspended");
    assert_eq!(suspended["after"]["suspension_reason"], "chargebacks");

    let reactivated = app.moderate(&r.id, "reactivate", None).await.json();
    assert_eq!(reactivated["after"]["status"], "active");
    assert!(reactivated["after"]["suspension_reason"].is_null());

    app.call(
        TestRequest::post(format!("/internal/v1/resellers/{}/approve", r.id))
            .bearer(tokens::INTERNAL),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    app.call(
        TestRequest::post(format!("/internal/v1/resellers/{}/suspend", r.id))
            .bearer(tokens::INTERNAL)
            .json(&json!({})),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

#[tokio::test]
async fn the_internal_api_requires_the_internal_token() {
    let app = TestApp::spawn().await;
    let r = app.register("Guarded").await;
    app.call(TestRequest::get("/internal/v1/resellers"))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    app.call(
        TestRequest::post(format!("/internal/v1/resellers/{}/approve", r.id)).bearer(tokens::CORE),
    )
    .await
    .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    // A reseller's own key is no internal token either.
    app.call(TestRequest::get("/internal/v1/resellers").bearer(&r.key))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn admins_list_and_search_resellers_through_the_internal_api() {
    let app = TestApp::spawn().await;
    let a = app.register("Alpha Tickets").await;
    app.register("Beta Events").await;
    app.moderate(&a.id, "approve", None).await;
    let all = app
        .call(TestRequest::get("/internal/v1/resellers").bearer(tokens::INTERNAL))
        .await
        .json();
    assert_eq!(all["data"].as_array().unwrap().len(), 2);
    let active = app
        .call(TestRequest::get("/internal/v1/resellers?status=active").bearer(tokens::INTERNAL))
        .await
        .json();
    assert_eq!(active["data"].as_array().unwrap().len(), 1);
    let found = app
        .call(TestRequest::get("/internal/v1/resellers?q=beta").bearer(tokens::INTERNAL))
        .await
        .json();
    assert_eq!(found["data"][0]["name"], "Beta Events");
    app.call(TestRequest::get("/internal/v1/resellers?status=sleeping").bearer(tokens::INTERNAL))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}
