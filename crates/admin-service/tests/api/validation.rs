//! Input the OpenAPI document refuses is refused, found by fuzzing it: a
//! body that is JSON but not an object, control characters in text that
//! reaches the database, and cursors this service never hands out.

use axum::http::StatusCode;
use domain::admin::AdminRole;
use serde_json::json;
use test_support::TestRequest;

use crate::helpers::{TestApp, OWNER_EMAIL};

#[tokio::test]
async fn a_body_must_be_a_json_object_not_a_struct_in_sequence_form() {
    let app = TestApp::spawn().await;
    let owner = app.session(AdminRole::Owner).await;
    app.session(AdminRole::Viewer).await;
    let viewer_id = app.admin_id(AdminRole::Viewer).await;
    let ticket = "/v1/support-tickets/0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c90";
    let cases = [
        TestRequest::patch(format!("/v1/admins/{viewer_id}")).json(&json!([null, null])),
        TestRequest::post("/v1/admins").json(&json!([
            "x@example.com",
            "long enough password",
            "owner"
        ])),
        TestRequest::post(format!("{ticket}/resolve")).json(&json!([null])),
        TestRequest::post(format!("{ticket}/refunds")).json(&json!([
            "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c90",
            "reason",
            null
        ])),
    ];
    for request in cases {
        let response = app.call(request.bearer(&owner)).await;
        let body = response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(
            body["errors"][0]["message"],
            "the body must be a JSON object"
        );
    }
    let login = app
        .call(TestRequest::post("/v1/auth/login").json(&json!([OWNER_EMAIL, "password"])))
        .await;
    login.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    // Nothing changed: the viewer is still a viewer.
    let me = app
        .call(TestRequest::get("/v1/admins").bearer(&owner))
        .await;
    let viewer = me.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == viewer_id.to_string())
        .cloned()
        .unwrap();
    assert_eq!(viewer["role"], "viewer");
}

#[tokio::test]
async fn a_login_email_with_a_control_character_is_422_not_a_database_error() {
    let app = TestApp::spawn().await;
    let response = app.login("owner\u{0}@example.com", "any password").await;
    let body = response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "email");
    assert_eq!(body["errors"][0]["code"], "invalid_email");
}

#[tokio::test]
async fn a_query_parameter_an_operation_does_not_take_is_400() {
    let app = TestApp::spawn().await;
    let owner = app.session(AdminRole::Owner).await;
    // What a fuzzer sent: known parameters with unknown ones, one unnamed.
    let body = app
        .call(TestRequest::get("/v1/shows?0=null&y=null&cursor=&limit=1&=").bearer(&owner))
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "invalid_query");
    assert_eq!(body["errors"][0]["field"], "0");
    assert_eq!(body["errors"][0]["code"], "unknown_parameter");
    let body = app
        .call(TestRequest::get("/v1/audit-log?actor=x").bearer(&owner))
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "invalid_query");
    assert_eq!(body["errors"][0]["field"], "actor");
}

#[tokio::test]
async fn audit_filters_refuse_control_characters_and_cursors_out_of_range() {
    let app = TestApp::spawn().await;
    let viewer = app.session(AdminRole::Viewer).await;
    // A NUL is refused for every query string before any handler runs.
    app.call(TestRequest::get("/v1/audit-log?target_id=a%00b").bearer(&viewer))
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "invalid_query");
    let control = app
        .call(TestRequest::get("/v1/audit-log?target_id=a%01b").bearer(&viewer))
        .await;
    let body = control.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(body["errors"][0]["code"], "invalid_characters");

    // 24 bytes whose time is 28 * 2^58 µs after 1970, past the documented
    // range (chrono still reads it: about AD 261,000).
    let mut bytes = (28i64 << 58).to_be_bytes().to_vec();
    bytes.extend_from_slice(&[0; 16]);
    let cursor = platform::pagination::base64url_encode(&bytes);
    let far = app
        .call(TestRequest::get(format!("/v1/audit-log?cursor={cursor}")).bearer(&viewer))
        .await;
    far.assert_problem(StatusCode::BAD_REQUEST, "invalid_query");

    let near = {
        let mut bytes = ((28i64 << 58) - 1).to_be_bytes().to_vec();
        bytes.extend_from_slice(&[0; 16]);
        platform::pagination::base64url_encode(&bytes)
    };
    let ok = app
        .call(TestRequest::get(format!("/v1/audit-log?cursor={near}")).bearer(&viewer))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
}

#[tokio::test]
async fn a_whole_number_written_with_a_fraction_is_an_integer() {
    let app = TestApp::spawn().await;
    let owner = app.session(AdminRole::Owner).await;
    // JSON Schema's `integer` admits 3135390.0; so does the service. The
    // show does not exist: 404 means the body was read.
    let show = "/v1/shows/0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c90/traffic";
    let whole = app
        .call(
            TestRequest::put(show)
                .bearer(&owner)
                .json(&json!({ "level": "high", "expected_peak_rps": 3135390.0 })),
        )
        .await;
    whole.assert_problem(StatusCode::NOT_FOUND, "not_found");
    for bad in [json!(1.5), json!("12"), json!(1e300)] {
        let response = app
            .call(
                TestRequest::put(show)
                    .bearer(&owner)
                    .json(&json!({ "level": "high", "expected_peak_rps": bad })),
            )
            .await;
        let body = response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(body["errors"][0]["field"], "expected_peak_rps", "{bad}");
    }
}

/// Fuzzer finding: a quarantined event holding `1e400` made reseller-service
/// answer 500, and admin-service, parsing what it passes on, could not read
/// it either: the list answered 503. Both now pass the event on as text.
#[tokio::test]
async fn a_quarantined_event_with_a_number_beyond_f64_is_listed_and_replayed() {
    let app = TestApp::spawn().await;
    let owner = app.session(AdminRole::Owner).await;
    let event_id = uuid::Uuid::new_v4();
    let body = app
        .ingest_text(format!(
            r#"{{"events":[{{"event_id":"{event_id}","quantity":1e400}}]}}"#
        ))
        .await;
    assert_eq!(body["rejected"], 1, "{body}");

    let huge = format!(r#""quantity": 1{}"#, "0".repeat(400));
    let list = app
        .call(TestRequest::get("/v1/ingest/quarantine?limit=499&status=open").bearer(&owner))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    assert!(list.text().contains(&huge), "{}", list.text());
    let id = list.text().split(r#""id":""#).nth(1).unwrap()[..36].to_owned();

    let replay = app
        .call(TestRequest::post(format!("/v1/ingest/quarantine/{id}/replay")).bearer(&owner))
        .await;
    assert_eq!(replay.status, StatusCode::OK, "{}", replay.text());
    assert!(replay.text().contains(r#""status":"rejected""#));
    let audit = app.last_audit().await;
    assert_eq!(audit["action"], "quarantine.replay", "{audit}");
    assert_eq!(audit["outcome"], "succeeded", "{audit}");
    assert!(audit["after"].as_str().unwrap().contains(&huge), "{audit}");
}
