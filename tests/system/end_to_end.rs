//! The whole flow over real sockets with both built binaries: a reseller
//! registers, an admin approves it, the reseller creates a show, sales are
//! ingested, the reseller opens a refund ticket, the admin forces the refund,
//! the core order service (this test) carries it out and sends
//! `order.refunded`, and the reseller's report shows the refund.

use std::{
    net::SocketAddr,
    path::PathBuf,
    process::{Child, Command},
    time::{Duration, Instant},
};

use chrono::Utc;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use test_support::{process, tokens, TestDatabase};
use uuid::Uuid;

const OWNER: &str = "owner@example.com";
const PASSWORD: &str = "a long enough owner password";

/// A service binary built next to this test (`cargo test --workspace`
/// builds every binary of the workspace).
fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --bins` (cargo test --workspace builds it)",
        path.display()
    );
    path
}

fn spawn(name: &str, env: &[(&str, String)]) -> Child {
    let mut command = Command::new(binary(name));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LOG_FORMAT", "json")
        .stdout(std::process::Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    command.spawn().unwrap()
}

struct Services {
    reseller: Child,
    admin: Child,
}

impl Drop for Services {
    fn drop(&mut self) {
        let _ = self.reseller.kill();
        let _ = self.admin.kill();
    }
}

async fn call(
    http: &Client,
    method: Method,
    url: String,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = http.request(method, url).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn wait_ready(addr: SocketAddr) {
    let ready = tokio::task::spawn_blocking(move || {
        process::wait_for_status(addr, "/readyz", 200, Duration::from_secs(60))
    })
    .await
    .unwrap();
    assert!(ready, "{addr} never became ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forced_refund_travels_from_ticket_to_core_service_to_the_resellers_report() {
    let db = TestDatabase::new().await;
    let reseller_addr = process::free_addr();
    let admin_addr = process::free_addr();
    let common = [
        ("CORE_TOKENS", tokens::CORE.to_owned()),
        ("INTERNAL_TOKEN", tokens::INTERNAL.to_owned()),
    ];
    let mut services = Services {
        reseller: spawn(
            "reseller-service",
            &[
                &common[..],
                &[
                    ("DATABASE_URL", db.reseller_url().to_url_string()),
                    ("RESELLER_HTTP_ADDR", reseller_addr.to_string()),
                    ("INGEST_TOKENS", tokens::INGEST.to_owned()),
                ],
            ]
            .concat(),
        ),
        admin: spawn(
            "admin-service",
            &[
                &common[..],
                &[
                    ("DATABASE_URL", db.admin_url().to_url_string()),
                    ("ADMIN_HTTP_ADDR", admin_addr.to_string()),
                    ("RESELLER_SERVICE_URL", format!("http://{reseller_addr}")),
                    ("ADMIN_BOOTSTRAP_EMAIL", OWNER.to_owned()),
                    ("ADMIN_BOOTSTRAP_PASSWORD", PASSWORD.to_owned()),
                ],
            ]
            .concat(),
        ),
    };
    wait_ready(reseller_addr).await;
    wait_ready(admin_addr).await;
    let http = Client::new();
    let rs = |path: &str| format!("http://{reseller_addr}{path}");
    let ad = |path: &str| format!("http://{admin_addr}{path}");

    // A reseller registers.
    let registered: Value = http
        .post(rs("/v1/resellers"))
        .json(&json!({
            "name": "Nusantara Tickets",
            "contact_email": "ops@nusantara.example",
            "billing": { "legal_name": "PT Nusantara", "billing_email": "billing@nusantara.example",
                         "address": { "line1": "Jl. Thamrin 1", "city": "Jakarta", "postal_code": "10310", "country": "ID" } }
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reseller_id = registered["reseller"]["id"].as_str().unwrap().to_owned();
    let key = registered["api_key"].as_str().unwrap().to_owned();

    // The bootstrap owner logs in (created right after the migrations) and approves it.
    let started = Instant::now();
    let token = loop {
        let response = http
            .post(ad("/v1/auth/login"))
            .json(&json!({ "email": OWNER, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::OK {
            let body: Value = response.json().await.unwrap();
            break body["token"].as_str().unwrap().to_owned();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the bootstrap owner never appeared"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let (status, approved) = call(
        &http,
        Method::POST,
        ad(&format!("/v1/resellers/{reseller_id}/approve")),
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["status"], "active");

    // The reseller creates a show and a ticket type.
    let now = Utc::now();
    let (status, show) = call(
        &http,
        Method::POST,
        rs("/v1/shows"),
        &key,
        Some(json!({
            "name": "Java Jazz", "venue": "JIExpo",
            "starts_at": (now + chrono::Duration::days(30)).to_rfc3339(),
            "sales_start_at": (now - chrono::Duration::days(1)).to_rfc3339(),
            "sales_end_at": (now + chrono::Duration::days(29)).to_rfc3339(),
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{show}");
    let show_id = show["id"].as_str().unwrap().to_owned();
    let (status, tt) = call(
        &http,
        Method::POST,
        rs(&format!("/v1/shows/{show_id}/ticket-types")),
        &key,
        Some(json!({
            "name": "Festival", "unit_price_minor": 750000, "currency": "IDR", "capacity": 500
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{tt}");
    let tt_id = tt["id"].as_str().unwrap().to_owned();

    // The core order service reports a paid order of 2 tickets.
    let order_id = Uuid::new_v4().to_string();
    let event = |kind: &str, quantity: i64| {
        json!({
            "event_id": Uuid::new_v4().to_string(), "type": kind,
            "occurred_at": Utc::now().to_rfc3339(), "reseller_id": reseller_id, "show_id": show_id,
            "order_id": order_id, "channel": "web", "currency": "IDR",
            "lines": [{ "ticket_type_id": tt_id, "quantity": quantity, "unit_price_minor": 750000 }]
        })
    };
    let (status, ingested) = call(
        &http,
        Method::POST,
        rs("/internal/v1/sale-events/batch"),
        tokens::INGEST,
        Some(json!({ "events": [event("order.paid", 2)] })),
    )
    .await;
    assert!(
        status.is_success() && ingested["accepted"] == 1,
        "{ingested}"
    );

    // The reseller asks for a refund.
    let (status, ticket) = call(
        &http,
        Method::POST,
        rs("/v1/support-tickets"),
        &key,
        Some(json!({
            "subject": "Customer cannot attend", "category": "refund", "order_id": order_id,
            "message": "Please refund one of the two tickets."
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    let ticket_id = ticket["id"].as_str().unwrap().to_owned();

    // The admin forces a refund of one ticket.
    let (status, refund) = call(&http, Method::POST, ad(&format!("/v1/support-tickets/{ticket_id}/refunds")), &token,
        Some(json!({ "order_id": order_id, "reason": "customer cannot attend", "amount_minor": 750000 }))).await;
    assert_eq!(status, StatusCode::CREATED, "{refund}");

    // The core order service picks it up, carries it out, and reports it.
    let (_, pending) = call(
        &http,
        Method::GET,
        ad("/internal/v1/refund-requests?status=pending"),
        tokens::CORE,
        None,
    )
    .await;
    assert_eq!(pending["data"].as_array().unwrap().len(), 1, "{pending}");
    assert_eq!(pending["data"][0]["amount_minor"], 750000);
    let refund_id = pending["data"][0]["id"].as_str().unwrap();
    let (status, done) = call(
        &http,
        Method::POST,
        ad(&format!(
            "/internal/v1/refund-requests/{refund_id}/complete"
        )),
        tokens::CORE,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let (status, ingested) = call(
        &http,
        Method::POST,
        rs("/internal/v1/sale-events/batch"),
        tokens::INGEST,
        Some(json!({ "events": [event("order.refunded", 1)] })),
    )
    .await;
    assert!(
        status.is_success() && ingested["accepted"] == 1,
        "{ingested}"
    );

    // The reseller's report shows the refund.
    let today = Utc::now().date_naive();
    let tomorrow = today + chrono::Duration::days(1);
    let (status, report) = call(
        &http,
        Method::GET,
        rs(&format!(
            "/v1/reports/sales?from={today}&to={tomorrow}&granularity=none"
        )),
        &key,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let totals = &report["totals"][0];
    assert_eq!(totals["gross_minor"], 1_500_000, "{report}");
    assert_eq!(totals["refunded_minor"], 750_000, "{report}");
    assert_eq!(totals["net_minor"], 750_000, "{report}");
    let (_, order) = call(
        &http,
        Method::GET,
        rs(&format!("/v1/orders/{order_id}")),
        &key,
        None,
    )
    .await;
    assert_eq!(order["status"], "partially_refunded", "{order}");

    // The ticket's conversation tells the reseller the refund was carried out.
    let started = Instant::now();
    loop {
        let (_, seen) = call(
            &http,
            Method::GET,
            rs(&format!("/v1/support-tickets/{ticket_id}")),
            &key,
            None,
        )
        .await;
        let told = seen["messages"].as_array().unwrap().iter().any(|m| {
            m["author"] == "platform"
                && m["body"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("carried out")
        });
        if told {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no notice in {seen}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Every admin step is in the audit log.
    let (_, audit) = call(
        &http,
        Method::GET,
        ad("/v1/audit-log?limit=500"),
        &token,
        None,
    )
    .await;
    let actions: Vec<&str> = audit["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["action"].as_str())
        .collect();
    for action in [
        "admin.bootstrap",
        "auth.login",
        "reseller.approve",
        "refund.request",
        "refund.complete",
    ] {
        assert!(
            actions.contains(&action),
            "{action} missing from {actions:?}"
        );
    }

    for child in [&mut services.reseller, &mut services.admin] {
        assert_eq!(
            process::terminate(child, Duration::from_secs(15)),
            Some(0),
            "a service did not stop cleanly"
        );
    }
}
