//! Login, throttling, session expiry, logout, disabled admins.

use axum::http::StatusCode;
use domain::admin::AdminRole;
use serde_json::json;
use test_support::TestRequest;

use crate::helpers::{TestApp, OWNER_EMAIL, PASSWORD};

#[tokio::test]
async fn an_owner_logs_in_and_the_session_says_who_it_is() {
    let app = TestApp::spawn().await;
    let login = app.login("Owner@Example.com", PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text());
    let body = login.json();
    let token = body["token"].as_str().unwrap();
    assert!(token.starts_with("ads_"));
    let expires_at: chrono::DateTime<chrono::Utc> =
        body["expires_at"].as_str().unwrap().parse().unwrap();
    let lifetime = expires_at - chrono::Utc::now();
    assert!(lifetime > chrono::Duration::minutes(479) && lifetime <= chrono::Duration::hours(8));
    assert_eq!(body["idle_timeout_seconds"], 1800);

    let me = app.call(TestRequest::get("/v1/me").bearer(token)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["email"], OWNER_EMAIL);
    assert_eq!(me.json()["role"], "owner");
    assert!(me.json().get("password_hash").is_none());

    // Only the token's hash is stored.
    let mut conn = app.db.superuser_connection().await;
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM admin.sessions WHERE token_hash = $1")
            .bind(token.as_bytes())
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_401_and_are_audited() {
    let app = TestApp::spawn().await;
    let wrong = app.login(OWNER_EMAIL, "not the password at all").await;
    let unknown = app.login("nobody@example.com", PASSWORD).await;
    for response in [&wrong, &unknown] {
        let body = response.assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
        assert_eq!(body["detail"], "Wrong e-mail or password.");
    }
    let last = app.last_audit().await;
    assert_eq!(last["action"], "auth.login_failed");
    assert_eq!(last["actor_type"], "anonymous");
    assert_eq!(last["target_id"], "nobody@example.com");
    assert_eq!(last["request_id"], unknown.header("x-request-id").unwrap());
}

#[tokio::test]
async fn an_account_is_throttled_after_five_failures_even_with_the_right_password() {
    let app = TestApp::spawn().await;
    for _ in 0..5 {
        let r = app.login(OWNER_EMAIL, "not the password at all").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let throttled = app.login(OWNER_EMAIL, PASSWORD).await;
    throttled.assert_problem(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    assert!(throttled.header("retry-after").is_some());
    assert_eq!(app.last_audit().await["action"], "auth.login_throttled");

    // Another account is not affected.
    app.session(AdminRole::Viewer).await;
    let other = app.login("viewer@example.com", "wrong password here").await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED);

    // Fifteen minutes later the account may try again.
    let mut conn = app.db.superuser_connection().await;
    sqlx::query("ALTER TABLE admin.audit_log DISABLE TRIGGER audit_log_append_only")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("UPDATE admin.audit_log SET occurred_at = occurred_at - interval '16 minutes'")
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        app.login(OWNER_EMAIL, PASSWORD).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_address_is_throttled_after_twenty_failures_across_accounts() {
    let app = TestApp::spawn().await;
    let attacker: std::net::SocketAddr = "203.0.113.7:40000".parse().unwrap();
    for n in 0..20 {
        let r = app
            .call(
                TestRequest::post("/v1/auth/login")
                    .from_peer(attacker)
                    .json(&json!({ "email": format!("guess{n}@example.com"), "password": "password1234" })),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let from_attacker = app
        .call(
            TestRequest::post("/v1/auth/login")
                .from_peer(attacker)
                .json(&json!({ "email": OWNER_EMAIL, "password": PASSWORD })),
        )
        .await;
    from_attacker.assert_problem(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    let elsewhere = app
        .call(
            TestRequest::post("/v1/auth/login")
                .from_peer("198.51.100.9:50000".parse().unwrap())
                .json(&json!({ "email": OWNER_EMAIL, "password": PASSWORD })),
        )
        .await;
    assert_eq!(elsewhere.status, StatusCode::OK);
    assert_eq!(app.last_audit().await["client_addr"], "198.51.100.9");
}

async fn expire(app: &TestApp, set: &str) {
    let mut conn = app.db.superuser_connection().await;
    sqlx::query(&format!("UPDATE admin.sessions SET {set}"))
        .execute(&mut conn)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_session_ends_after_thirty_idle_minutes() {
    let app = TestApp::spawn().await;
    let token = app.session(AdminRole::Viewer).await;
    expire(&app, "last_seen_at = now() - interval '29 minutes'").await;
    // Still live, and the request restarts the idle clock.
    assert_eq!(
        app.call(TestRequest::get("/v1/me").bearer(&token))
            .await
            .status,
        StatusCode::OK
    );
    expire(&app, "last_seen_at = now() - interval '31 minutes'").await;
    app.call(TestRequest::get("/v1/me").bearer(&token))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn a_session_ends_eight_hours_after_login_however_active() {
    let app = TestApp::spawn().await;
    let token = app.session(AdminRole::Viewer).await;
    expire(&app, "expires_at = now() + interval '1 minute'").await;
    assert_eq!(
        app.call(TestRequest::get("/v1/me").bearer(&token))
            .await
            .status,
        StatusCode::OK
    );
    expire(&app, "expires_at = now() - interval '1 second'").await;
    app.call(TestRequest::get("/v1/me").bearer(&token))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn logout_ends_the_session_at_once_and_only_that_one() {
    let app = TestApp::spawn().await;
    let first = app.session(AdminRole::Support).await;
    let second = app.session(AdminRole::Support).await;
    let out = app
        .call(TestRequest::post("/v1/auth/logout").bearer(&first))
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    app.call(TestRequest::get("/v1/me").bearer(&first))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(
        app.call(TestRequest::get("/v1/me").bearer(&second))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(app.last_audit().await["action"], "auth.logout");
}

#[tokio::test]
async fn a_disabled_admin_is_refused_at_once_and_cannot_log_in() {
    let app = TestApp::spawn().await;
    let owner = app.session(AdminRole::Owner).await;
    let create = app
        .call(TestRequest::post("/v1/admins").bearer(&owner).json(
            &json!({ "email": "agent@example.com", "password": PASSWORD, "role": "support" }),
        ))
        .await;
    assert_eq!(create.status, StatusCode::CREATED, "{}", create.text());
    let agent_id = create.json()["id"].as_str().unwrap().to_owned();
    let login = app.login("agent@example.com", PASSWORD).await;
    let agent = login.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.call(TestRequest::get("/v1/me").bearer(&agent))
            .await
            .status,
        StatusCode::OK
    );

    let disable = app
        .call(
            TestRequest::patch(format!("/v1/admins/{agent_id}"))
                .bearer(&owner)
                .json(&json!({ "disabled": true })),
        )
        .await;
    assert_eq!(disable.status, StatusCode::OK, "{}", disable.text());
    assert_eq!(disable.json()["disabled"], true);
    app.call(TestRequest::get("/v1/me").bearer(&agent))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    app.login("agent@example.com", PASSWORD)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn the_last_active_owner_cannot_be_demoted_or_disabled() {
    let app = TestApp::spawn().await;
    let owner = app.login(OWNER_EMAIL, PASSWORD).await.json();
    let token = owner["token"].as_str().unwrap();
    let id = owner["admin"]["id"].as_str().unwrap();
    for change in [json!({ "role": "viewer" }), json!({ "disabled": true })] {
        app.call(
            TestRequest::patch(format!("/v1/admins/{id}"))
                .bearer(token)
                .json(&change),
        )
        .await
        .assert_problem(StatusCode::CONFLICT, "last_owner");
    }
}

#[tokio::test]
async fn new_admins_need_a_valid_email_a_long_password_and_a_known_role() {
    let app = TestApp::spawn().await;
    let owner = app.session(AdminRole::Owner).await;
    for (body, field) in [
        (
            json!({ "email": "not-an-email", "password": PASSWORD, "role": "viewer" }),
            "email",
        ),
        (
            json!({ "email": "a@example.com", "password": "short", "role": "viewer" }),
            "password",
        ),
        (
            json!({ "email": "a@example.com", "password": PASSWORD, "role": "root" }),
            "role",
        ),
    ] {
        let r = app
            .call(TestRequest::post("/v1/admins").bearer(&owner).json(&body))
            .await;
        let problem = r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], field);
    }
    let dup =
        app.call(TestRequest::post("/v1/admins").bearer(&owner).json(
            &json!({ "email": "OWNER@example.com", "password": PASSWORD, "role": "viewer" }),
        ))
        .await;
    dup.assert_problem(StatusCode::CONFLICT, "email_taken");
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id_with_the_owasp_parameters() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.superuser_connection().await;
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM admin.admins WHERE email = $1")
            .bind(OWNER_EMAIL)
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
}

#[tokio::test]
async fn ended_sessions_are_purged_a_day_later_and_live_ones_kept() {
    let app = TestApp::spawn().await;
    let live = app.session(AdminRole::Viewer).await;
    let ended = app.session(AdminRole::Viewer).await;
    app.call(TestRequest::post("/v1/auth/logout").bearer(&ended))
        .await;
    expire(
        &app,
        "revoked_at = now() - interval '2 days' WHERE revoked_at IS NOT NULL",
    )
    .await;
    let (sessions, _) = admin_service::purge_expired(&app.state.db).await.unwrap();
    assert_eq!(sessions, 1);
    assert_eq!(
        app.call(TestRequest::get("/v1/me").bearer(&live))
            .await
            .status,
        StatusCode::OK
    );
}
