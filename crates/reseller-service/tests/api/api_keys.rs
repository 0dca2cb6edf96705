//! API keys: format and checksum, revocation, suspension.

use axum::http::StatusCode;
use serde_json::json;
use test_support::TestRequest;

use crate::helpers::TestApp;

#[tokio::test]
async fn a_mistyped_key_is_refused_and_never_reaches_the_database() {
    let app = TestApp::spawn().await;
    let r = app.register("Typo").await;
    let mut typo = r.key.clone().into_bytes();
    typo[10] = if typo[10] == b'x' { b'y' } else { b'x' };
    let typo = String::from_utf8(typo).unwrap();
    for bad in [typo.as_str(), "rsk_short", "sk_live_abc", ""] {
        app.call(TestRequest::get("/v1/me").bearer(bad))
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    app.call(TestRequest::get("/v1/me"))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn keys_are_listed_without_secrets_and_revocation_takes_effect_at_once() {
    let app = TestApp::spawn().await;
    let r = app.register("Keys").await;
    let created = app
        .call(
            TestRequest::post("/v1/api-keys")
                .bearer(&r.key)
                .json(&json!({ "name": "ci" })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let created = created.json();
    let second = created["api_key"].as_str().unwrap().to_owned();
    assert!(created["prefix"].as_str().unwrap().starts_with("rsk_"));
    assert_eq!(
        app.call(TestRequest::get("/v1/me").bearer(&second))
            .await
            .status,
        StatusCode::OK
    );

    let list = app
        .call(TestRequest::get("/v1/api-keys").bearer(&r.key))
        .await;
    let text = list.text();
    assert_eq!(list.json()["data"].as_array().unwrap().len(), 2);
    assert!(
        !text.contains(&second) && !text.contains(&r.key),
        "a secret was listed"
    );

    let revoked = app
        .call(
            TestRequest::delete(format!("/v1/api-keys/{}", created["id"].as_str().unwrap()))
                .bearer(&r.key),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    app.call(TestRequest::get("/v1/me").bearer(&second))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    let list = app
        .call(TestRequest::get("/v1/api-keys").bearer(&r.key))
        .await
        .json();
    assert!(list["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| !k["revoked_at"].is_null()));
}

#[tokio::test]
async fn the_last_active_key_cannot_be_revoked() {
    let app = TestApp::spawn().await;
    let r = app.register("Lonely").await;
    let keys = app
        .call(TestRequest::get("/v1/api-keys").bearer(&r.key))
        .await
        .json();
    let id = keys["data"][0]["id"].as_str().unwrap();
    app.call(TestRequest::delete(format!("/v1/api-keys/{id}")).bearer(&r.key))
        .await
        .assert_problem(StatusCode::CONFLICT, "last_active_key");
    app.call(
        TestRequest::post("/v1/api-keys")
            .bearer(&r.key)
            .json(&json!({ "name": "" })),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

#[tokio::test]
async fn last_used_at_is_recorded() {
    let app = TestApp::spawn().await;
    let r = app.register("Used").await;
    app.call(TestRequest::get("/v1/me").bearer(&r.key)).await;
    let mut used = false;
    for _ in 0..50 {
        let keys = app
            .call(TestRequest::get("/v1/api-keys").bearer(&r.key))
            .await
            .json();
        if !keys["data"][0]["last_used_at"].is_null() {
            used = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(used, "last_used_at was never set");
}

#[tokio::test]
async fn a_suspended_reseller_gets_403_on_every_authenticated_route() {
    let app = TestApp::spawn().await;
    let r = app.active_reseller("Suspended Soon").await;
    let show = app.create_show(&r, "Show").await;
    let show_id = show["id"].as_str().unwrap();
    let tt = app.create_ticket_type(&r, show_id, 10).await;
    let tt_id = tt["id"].as_str().unwrap();
    let keys = app
        .call(TestRequest::get("/v1/api-keys").bearer(&r.key))
        .await
        .json();
    let key_id = keys["data"][0]["id"].as_str().unwrap().to_owned();
    app.moderate(&r.id, "suspend", Some("fraud review")).await;

    let routes = [
        TestRequest::get("/v1/me"),
        TestRequest::patch("/v1/me").json(&json!({ "name": "x" })),
        TestRequest::get("/v1/api-keys"),
        TestRequest::post("/v1/api-keys").json(&json!({ "name": "x" })),
        TestRequest::delete(format!("/v1/api-keys/{key_id}")),
        TestRequest::get("/v1/shows"),
        TestRequest::post("/v1/shows").json(&crate::helpers::show("x")),
        TestRequest::get(format!("/v1/shows/{show_id}")),
        TestRequest::patch(format!("/v1/shows/{show_id}")).json(&json!({ "name": "x" })),
        TestRequest::get(format!("/v1/shows/{show_id}/ticket-types")),
        TestRequest::post(format!("/v1/shows/{show_id}/ticket-types")).json(&json!({})),
        TestRequest::get(format!("/v1/shows/{show_id}/ticket-types/{tt_id}")),
        TestRequest::patch(format!("/v1/shows/{show_id}/ticket-types/{tt_id}"))
            .json(&json!({ "capacity": 5 })),
    ];
    for request in routes {
        app.call(request.bearer(&r.key))
            .await
            .assert_problem(StatusCode::FORBIDDEN, "reseller_suspended");
    }

    app.moderate(&r.id, "reactivate", None).await;
    assert_eq!(
        app.call(TestRequest::get("/v1/me").bearer(&r.key))
            .await
            .status,
        StatusCode::OK
    );
}
