//! `TestApp`: reseller-service on a fresh database, called in-process, with
//! persona helpers.

use axum::{http::StatusCode, Router};
use chrono::{Duration, Utc};
use reseller_service::AppState;
use serde_json::{json, Value};
use test_support::{reseller_config, send, tokens, TestDatabase, TestRequest, TestResponse};

pub struct TestApp {
    pub db: TestDatabase,
    pub app: Router,
}

/// A registered reseller and its first API key.
#[derive(Debug, Clone)]
pub struct Persona {
    pub id: String,
    pub key: String,
}

impl TestApp {
    pub async fn spawn() -> Self {
        test_support::logs::capture();
        let db = TestDatabase::new().await;
        let mut config = reseller_config(&db);
        config.registration_burst = 1000;
        let state = AppState::new(config);
        state.db.migrate(&reseller_service::MIGRATOR).await.unwrap();
        Self {
            app: reseller_service::app(state),
            db,
        }
    }

    pub async fn call(&self, request: TestRequest) -> TestResponse {
        send(&self.app, request).await
    }

    /// Registers a reseller (pending).
    pub async fn register(&self, name: &str) -> Persona {
        let response = self
            .call(TestRequest::post("/v1/resellers").json(&registration(name)))
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
        let body = response.json();
        Persona {
            id: body["reseller"]["id"].as_str().unwrap().to_owned(),
            key: body["api_key"].as_str().unwrap().to_owned(),
        }
    }

    /// Registers and approves a reseller.
    pub async fn active_reseller(&self, name: &str) -> Persona {
        let persona = self.register(name).await;
        self.moderate(&persona.id, "approve", None).await;
        persona
    }

    pub async fn moderate(
        &self,
        reseller_id: &str,
        action: &str,
        reason: Option<&str>,
    ) -> TestResponse {
        let mut request =
            TestRequest::post(format!("/internal/v1/resellers/{reseller_id}/{action}"))
                .bearer(tokens::INTERNAL);
        if let Some(reason) = reason {
            request = request.json(&json!({ "reason": reason }));
        }
        let response = self.call(request).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text());
        response
    }

    /// Asserts that each request `routes` makes is refused with 401 without
    /// a token, with a wrong one, and with `who`'s API key.
    pub async fn assert_internal_only(&self, who: &Persona, routes: impl Fn() -> Vec<TestRequest>) {
        for credential in [None, Some("wrong-token-0123456789"), Some(who.key.as_str())] {
            for (n, request) in routes().into_iter().enumerate() {
                let request = match credential {
                    Some(token) => request.bearer(token),
                    None => request,
                };
                let response = self.call(request).await;
                assert_eq!(
                    response.status,
                    StatusCode::UNAUTHORIZED,
                    "route {n} with {credential:?}: {}",
                    response.text()
                );
                response.assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
            }
        }
    }

    pub async fn create_show(&self, who: &Persona, name: &str) -> Value {
        let response = self
            .call(
                TestRequest::post("/v1/shows")
                    .bearer(&who.key)
                    .json(&show(name)),
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
        response.json()
    }

    pub async fn create_ticket_type(&self, who: &Persona, show_id: &str, capacity: i64) -> Value {
        let response = self
            .call(
                TestRequest::post(format!("/v1/shows/{show_id}/ticket-types"))
                    .bearer(&who.key)
                    .json(&json!({ "name": "Regular", "unit_price_minor": 150000, "currency": "IDR", "capacity": capacity })),
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
        response.json()
    }
}

pub fn registration(name: &str) -> Value {
    json!({
        "name": name,
        "contact_email": "ops@example.com",
        "billing": {
            "legal_name": format!("{name} Ltd"),
            "billing_email": "billing@example.com",
            "address": { "line1": "Jl. Sudirman 1", "city": "Jakarta", "postal_code": "10220", "country": "ID" },
            "tax_id": "01.234.567.8-901.000"
        }
    })
}

pub fn show(name: &str) -> Value {
    let now = Utc::now();
    json!({
        "name": name,
        "venue": "Istora Senayan",
        "starts_at": (now + Duration::days(60)).to_rfc3339(),
        "sales_start_at": (now + Duration::days(1)).to_rfc3339(),
        "sales_end_at": (now + Duration::days(59)).to_rfc3339(),
    })
}

/// xorshift64*: deterministic per seed, no dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}
