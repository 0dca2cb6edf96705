//! `TestApp`: admin-service in-process on a fresh database, and a real
//! reseller-service on a socket over the same database (each service in its
//! own schema and role), so every call admin-service makes crosses real HTTP.
//! Personas: admins of each role, resellers with a catalog, tickets, orders.

use std::net::SocketAddr;

use admin_service::{db, http::auth, AppState};
use axum::{http::StatusCode, Router};
use chrono::{Duration, Utc};
use domain::admin::AdminRole;
use serde_json::{json, Value};
use test_support::{
    admin_config, reseller_config, send, tokens, TestDatabase, TestRequest, TestResponse,
};
use tokio::sync::oneshot;
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery staple";
pub const OWNER_EMAIL: &str = "owner@example.com";

pub struct TestApp {
    pub db: TestDatabase,
    pub state: AppState,
    pub app: Router,
    pub reseller_url: String,
    http: reqwest::Client,
    _stop_reseller: oneshot::Sender<()>,
}

/// A reseller as its API key sees it.
#[derive(Debug, Clone)]
pub struct Reseller {
    pub id: String,
    pub key: String,
}

impl TestApp {
    pub async fn spawn() -> Self {
        test_support::logs::capture();
        let db = TestDatabase::new().await;
        let mut reseller = reseller_config(&db);
        reseller.registration_burst = 1000;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(reseller_service::run(reseller, listener, async {
            let _ = stopped.await;
        }));
        let reseller_url = format!("http://{addr}");
        let http = reqwest::Client::new();
        for _ in 0..300 {
            let ready = http.get(format!("{reseller_url}/readyz")).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let mut config = admin_config(&db);
        config.reseller_service_url = reseller_url.clone();
        let state = AppState::new(config);
        state.db.migrate(&admin_service::MIGRATOR).await.unwrap();
        admin_service::bootstrap::create_or_reset(
            &state.db,
            OWNER_EMAIL,
            PASSWORD,
            AdminRole::Owner,
        )
        .await
        .unwrap();
        Self {
            app: admin_service::app(state.clone()),
            state,
            db,
            reseller_url,
            http,
            _stop_reseller: stop,
        }
    }

    pub async fn call(&self, request: TestRequest) -> TestResponse {
        send(&self.app, request).await
    }

    /// Logs in through the API; the token.
    pub async fn login(&self, email: &str, password: &str) -> TestResponse {
        self.call(
            TestRequest::post("/v1/auth/login")
                .json(&json!({ "email": email, "password": password })),
        )
        .await
    }

    /// An admin of `role` (created on first use) and a fresh session token,
    /// made without the slow password hash of a login.
    pub async fn session(&self, role: AdminRole) -> String {
        let email = format!("{}@example.com", role.as_str());
        let mut conn = self.state.db.pool().acquire().await.unwrap();
        let admin_id = match db::admins::credentials(&mut conn, &email).await.unwrap() {
            Some((admin, _)) => admin.admin_id,
            None => {
                let hash = admin_service::password::hash(PASSWORD.to_owned())
                    .await
                    .unwrap();
                db::admins::insert(&mut conn, &email, &hash, role.as_str())
                    .await
                    .unwrap()
                    .unwrap()
                    .admin_id
            }
        };
        let token = auth::new_token().unwrap();
        db::sessions::create(&mut conn, admin_id, &auth::token_hash(&token))
            .await
            .unwrap();
        token
    }

    pub async fn admin_id(&self, role: AdminRole) -> Uuid {
        let email = format!("{}@example.com", role.as_str());
        let mut conn = self.state.db.pool().acquire().await.unwrap();
        db::admins::credentials(&mut conn, &email)
            .await
            .unwrap()
            .unwrap()
            .0
            .admin_id
    }

    /// Rows in the audit log.
    pub async fn audit_count(&self) -> i64 {
        let mut conn = self.db.superuser_connection().await;
        sqlx::query_scalar("SELECT count(*) FROM admin.audit_log")
            .fetch_one(&mut conn)
            .await
            .unwrap()
    }

    /// The newest audit row, outcome merged in, as the API shows it.
    pub async fn last_audit(&self) -> Value {
        let mut conn = self.state.db.pool().acquire().await.unwrap();
        let rows = db::audit::list(
            &mut conn,
            &db::audit::AuditFilter {
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        serde_json::to_value(&rows[0]).unwrap()
    }

    /// Calls reseller-service over its socket.
    pub async fn reseller_call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.reseller_url))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A reseller registered through reseller-service's public API (pending).
    pub async fn register_reseller(&self, name: &str) -> Reseller {
        let response = self
            .http
            .post(format!("{}/v1/resellers", self.reseller_url))
            .json(&registration(name))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 201);
        let body: Value = response.json().await.unwrap();
        Reseller {
            id: body["reseller"]["id"].as_str().unwrap().to_owned(),
            key: body["api_key"].as_str().unwrap().to_owned(),
        }
    }

    /// A show with one ticket type (IDR 150,000); (show_id, ticket_type_id).
    pub async fn catalog(&self, reseller: &Reseller) -> (String, String) {
        let now = Utc::now();
        let (status, show) = self
            .reseller_call(
                reqwest::Method::POST,
                "/v1/shows",
                &reseller.key,
                Some(json!({
                    "name": "Konser Akbar",
                    "venue": "Istora Senayan",
                    "starts_at": (now + Duration::days(60)).to_rfc3339(),
                    "sales_start_at": (now + Duration::days(1)).to_rfc3339(),
                    "sales_end_at": (now + Duration::days(59)).to_rfc3339(),
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{show}");
        let show_id = show["id"].as_str().unwrap().to_owned();
        let (status, tt) = self
            .reseller_call(
                reqwest::Method::POST,
                &format!("/v1/shows/{show_id}/ticket-types"),
                &reseller.key,
                Some(json!({ "name": "Regular", "unit_price_minor": 150000, "currency": "IDR", "capacity": 1000 })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{tt}");
        (show_id, tt["id"].as_str().unwrap().to_owned())
    }

    /// Sends sale events through the real ingest endpoint.
    /// Sends a batch written as text (say, with numbers no `f64` holds).
    pub async fn ingest_text(&self, batch: String) -> Value {
        let response = self
            .http
            .post(format!(
                "{}/internal/v1/sale-events/batch",
                self.reseller_url
            ))
            .bearer_auth(tokens::INGEST)
            .header("content-type", "application/json")
            .body(batch)
            .send()
            .await
            .expect("reseller-service answers");
        assert!(response.status().is_success(), "{}", response.status());
        response.json().await.expect("a JSON answer")
    }

    pub async fn ingest(&self, events: &[Value]) -> Value {
        let (status, body) = self
            .reseller_call(
                reqwest::Method::POST,
                "/internal/v1/sale-events/batch",
                tokens::INGEST,
                Some(json!({ "events": events })),
            )
            .await;
        assert!(status.is_success(), "{status} {body}");
        body
    }

    /// A paid order of `quantity` tickets; its id.
    pub async fn paid_order(
        &self,
        reseller: &Reseller,
        catalog: &(String, String),
        quantity: i64,
    ) -> String {
        let order_id = Uuid::new_v4().to_string();
        let body = self
            .ingest(&[sale_event(
                reseller,
                catalog,
                "order.paid",
                &order_id,
                quantity,
                Utc::now() - Duration::hours(1),
            )])
            .await;
        assert_eq!(body["accepted"], 1, "{body}");
        order_id
    }

    /// A ticket the reseller opens; its id.
    pub async fn open_ticket(&self, reseller: &Reseller, order_id: Option<&str>) -> String {
        let mut body = json!({ "subject": "Refund please", "category": "refund", "message": "The show moved; please refund." });
        if let Some(order_id) = order_id {
            body["order_id"] = json!(order_id);
        }
        let (status, ticket) = self
            .reseller_call(
                reqwest::Method::POST,
                "/v1/support-tickets",
                &reseller.key,
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{ticket}");
        ticket["id"].as_str().unwrap().to_owned()
    }
}

pub fn sale_event(
    reseller: &Reseller,
    (show_id, ticket_type_id): &(String, String),
    kind: &str,
    order_id: &str,
    quantity: i64,
    occurred_at: chrono::DateTime<Utc>,
) -> Value {
    json!({
        "event_id": Uuid::new_v4().to_string(),
        "type": kind,
        "occurred_at": occurred_at.to_rfc3339(),
        "reseller_id": reseller.id,
        "show_id": show_id,
        "order_id": order_id,
        "channel": "web",
        "currency": "IDR",
        "lines": [{ "ticket_type_id": ticket_type_id, "quantity": quantity, "unit_price_minor": 150000 }],
        "customer_ref": "cust-1"
    })
}

pub fn registration(name: &str) -> Value {
    json!({
        "name": name,
        "contact_email": "ops@example.com",
        "billing": {
            "legal_name": format!("{name} Ltd"),
            "billing_email": "billing@example.com",
            "address": { "line1": "Jl. Sudirman 1", "city": "Jakarta", "postal_code": "10220", "country": "ID" },
        }
    })
}
