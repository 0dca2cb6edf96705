//! `cargo run -- demo`: the stack, filled with a realistic demo through the
//! services' own APIs: an owner admin, two approved resellers with shows and
//! ticket types, a few thousand sale events over the last three weeks sent
//! through the real ingest endpoint (some refunded), and a support ticket
//! about one order. It prints the credentials and ready-to-paste `curl`
//! commands. The credentials are kept in `demo.env` in the data directory; a
//! second run finds them and seeds nothing again.

use std::{fmt::Write as _, path::Path, time::Duration};

use serde_json::{json, Value};
use uuid::Uuid;

/// What the demo needs to reach the stack.
#[derive(Debug, Clone)]
pub struct Stack {
    pub reseller_url: String,
    pub admin_url: String,
    pub ingest_token: String,
    pub owner_email: String,
    pub owner_password: String,
}

/// Events sent per reseller.
const EVENTS_PER_RESELLER: usize = 1_500;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{0}")]
    Http(#[from] reqwest::Error),
    #[error("{what}: {status} {body}")]
    Refused {
        what: String,
        status: u16,
        body: String,
    },
    #[error("the stack did not become ready")]
    NotReady,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

struct Client {
    http: reqwest::Client,
}

impl Client {
    async fn send(
        &self,
        what: &str,
        method: reqwest::Method,
        url: String,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<Value, DemoError> {
        let mut request = self.http.request(method, url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            return Err(DemoError::Refused {
                what: what.to_owned(),
                status: status.as_u16(),
                body: text,
            });
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

async fn wait_ready(http: &reqwest::Client, base: &str) -> Result<(), DemoError> {
    for _ in 0..600 {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await {
            if r.status().is_success() {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(DemoError::NotReady)
}

/// A tiny deterministic generator, so every demo looks alike.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

struct Seller {
    id: String,
    key: String,
    /// (show_id, ticket_type_id, unit_price_minor)
    ticket_types: Vec<(String, String, i64)>,
}

/// Seeds the demo unless `demo.env` says it was seeded; prints what to try.
pub async fn run(stack: Stack, data_dir: &Path) -> Result<(), DemoError> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    wait_ready(&http, &stack.reseller_url).await?;
    wait_ready(&http, &stack.admin_url).await?;
    let saved = data_dir.join("demo.env");
    let keys = match std::fs::read_to_string(&saved) {
        Ok(text) => text
            .lines()
            .filter_map(|l| l.split_once('=').map(|(_, v)| v.to_owned()))
            .collect::<Vec<_>>(),
        Err(_) => {
            let client = Client { http };
            let sellers = seed(&client, &stack).await?;
            let text: String = sellers
                .iter()
                .enumerate()
                .map(|(n, s)| format!("DEMO_RESELLER_{}_KEY={}\n", n + 1, s.key))
                .collect();
            std::fs::write(&saved, text)?;
            sellers.into_iter().map(|s| s.key).collect()
        }
    };
    print_guide(&stack, &keys);
    Ok(())
}

async fn seed(client: &Client, stack: &Stack) -> Result<Vec<Seller>, DemoError> {
    use reqwest::Method;
    let (rs, ad) = (&stack.reseller_url, &stack.admin_url);
    let login = client
        .send(
            "login",
            Method::POST,
            format!("{ad}/v1/auth/login"),
            None,
            Some(json!({ "email": stack.owner_email, "password": stack.owner_password })),
        )
        .await;
    // The owner is created right after admin-service's migrations.
    let login = match login {
        Ok(v) => v,
        Err(_) => {
            tokio::time::sleep(Duration::from_secs(2)).await;
            client
                .send(
                    "login",
                    Method::POST,
                    format!("{ad}/v1/auth/login"),
                    None,
                    Some(json!({ "email": stack.owner_email, "password": stack.owner_password })),
                )
                .await?
        }
    };
    let admin = login["token"].as_str().unwrap_or_default().to_owned();
    let now = chrono::Utc::now();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut sellers = Vec::new();
    for (name, city, shows) in [
        (
            "Nusantara Tiket",
            "Jakarta",
            [
                ("Java Jazz Night", "JIExpo Kemayoran", 850_000),
                ("Rock in Senayan", "GBK Stadium", 1_200_000),
            ],
        ),
        (
            "Bali Live Events",
            "Denpasar",
            [
                ("Ubud Folk Festival", "Ubud Palace", 450_000),
                ("Sunset Sessions", "Uluwatu Cliff", 650_000),
            ],
        ),
    ] {
        let registered = client
            .send("register", Method::POST, format!("{rs}/v1/resellers"), None, Some(json!({
                "name": name,
                "contact_email": "ops@example.com",
                "billing": { "legal_name": format!("PT {name}"), "billing_email": "billing@example.com",
                    "address": { "line1": "Jl. Merdeka 1", "city": city, "postal_code": "10110", "country": "ID" } }
            })))
            .await?;
        let id = registered["reseller"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let key = registered["api_key"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        client
            .send(
                "approve",
                Method::POST,
                format!("{ad}/v1/resellers/{id}/approve"),
                Some(&admin),
                Some(json!({})),
            )
            .await?;
        let mut ticket_types = Vec::new();
        for (n, (show, venue, price)) in shows.into_iter().enumerate() {
            let created = client
                .send("show", Method::POST, format!("{rs}/v1/shows"), Some(&key), Some(json!({
                    "name": show, "venue": venue,
                    "starts_at": (now + chrono::Duration::days(30 + 14 * n as i64)).to_rfc3339(),
                    "sales_start_at": (now - chrono::Duration::days(25)).to_rfc3339(),
                    "sales_end_at": (now + chrono::Duration::days(29 + 14 * n as i64)).to_rfc3339(),
                })))
                .await?;
            let show_id = created["id"].as_str().unwrap_or_default().to_owned();
            for (tier, factor, capacity) in [("Festival", 1, 4000), ("VIP", 3, 400)] {
                let tt = client
                    .send("ticket type", Method::POST, format!("{rs}/v1/shows/{show_id}/ticket-types"), Some(&key), Some(json!({
                        "name": tier, "unit_price_minor": price * factor, "currency": "IDR", "capacity": capacity
                    })))
                    .await?;
                ticket_types.push((
                    show_id.clone(),
                    tt["id"].as_str().unwrap_or_default().to_owned(),
                    price * factor,
                ));
            }
            client
                .send(
                    "publish",
                    Method::PATCH,
                    format!("{rs}/v1/shows/{show_id}"),
                    Some(&key),
                    Some(json!({ "status": "published" })),
                )
                .await?;
        }
        sellers.push(Seller {
            id,
            key,
            ticket_types,
        });
    }

    // Sales over the last three weeks, a few refunded, in batches of 500.
    let mut first_order = None;
    for seller in &sellers {
        let mut events = Vec::new();
        while events.len() < EVENTS_PER_RESELLER {
            let (show_id, tt_id, price) =
                &seller.ticket_types[rng.below(seller.ticket_types.len() as u64) as usize];
            let minutes_ago = rng.below(21 * 24 * 60) as i64;
            let paid_at = now - chrono::Duration::minutes(minutes_ago);
            let order_id = Uuid::new_v4().to_string();
            let quantity = 1 + rng.below(4) as i64;
            let channel = ["web", "app", "partner"][rng.below(3) as usize];
            let event = |kind: &str, at: chrono::DateTime<chrono::Utc>, qty: i64| {
                json!({
                    "event_id": Uuid::new_v4().to_string(), "type": kind, "occurred_at": at.to_rfc3339(),
                    "reseller_id": seller.id, "show_id": show_id, "order_id": order_id, "channel": channel,
                    "currency": "IDR", "customer_ref": format!("cust-{}", rng_label(minutes_ago)),
                    "lines": [{ "ticket_type_id": tt_id, "quantity": qty, "unit_price_minor": price }]
                })
            };
            events.push(event("order.paid", paid_at, quantity));
            first_order.get_or_insert_with(|| order_id.clone());
            if rng.below(20) == 0 && minutes_ago > 60 {
                events.push(event(
                    "order.refunded",
                    paid_at + chrono::Duration::minutes(30),
                    1,
                ));
            }
        }
        for batch in events.chunks(500) {
            client
                .send(
                    "ingest",
                    Method::POST,
                    format!("{rs}/internal/v1/sale-events/batch"),
                    Some(&stack.ingest_token),
                    Some(json!({ "events": batch })),
                )
                .await?;
        }
    }

    if let (Some(seller), Some(order_id)) = (sellers.first(), first_order) {
        client
            .send("ticket", Method::POST, format!("{rs}/v1/support-tickets"), Some(&seller.key), Some(json!({
                "subject": "Customer asks for a refund", "category": "refund", "order_id": order_id,
                "message": "The customer cannot attend any more; could the platform refund one ticket?"
            })))
            .await?;
    }
    Ok(sellers)
}

fn rng_label(n: i64) -> i64 {
    n % 997
}

#[allow(clippy::print_stdout)] // the guide is this command's output
fn print_guide(stack: &Stack, keys: &[String]) {
    let (rs, ad) = (&stack.reseller_url, &stack.admin_url);
    let key = keys.first().map_or("rsk_...", String::as_str);
    let today = chrono::Utc::now().date_naive();
    let from = today - chrono::Duration::days(21);
    let to = today + chrono::Duration::days(1);
    let mut guide = String::new();
    let _ = writeln!(guide, "\ndemo ready");
    let _ = writeln!(
        guide,
        "  admin (owner)   {}  password {}",
        stack.owner_email, stack.owner_password
    );
    for (n, key) in keys.iter().enumerate() {
        let _ = writeln!(guide, "  reseller {}      API key {key}", n + 1);
    }
    let _ = writeln!(guide, "\ntry:");
    let _ = writeln!(guide, "  curl -s '{rs}/v1/reports/sales?from={from}&to={to}&granularity=day&tz=Asia/Jakarta' -H 'authorization: Bearer {key}'");
    let _ = writeln!(guide, "  curl -s '{rs}/v1/reports/sales/chart.svg?from={from}&to={to}&granularity=day&tz=Asia/Jakarta' -H 'authorization: Bearer {key}' -o sales.svg   # open sales.svg in a browser");
    let _ = writeln!(
        guide,
        "  curl -s '{rs}/v1/orders?limit=5' -H 'authorization: Bearer {key}'"
    );
    let _ = writeln!(guide, "  curl -s '{rs}/v1/reports/sales?from={from}&to={to}&granularity=none&group_by=show' -H 'authorization: Bearer {key}' -H 'accept: text/csv'");
    let _ = writeln!(guide, "  TOKEN=$(curl -s {ad}/v1/auth/login -H 'content-type: application/json' -d '{{\"email\":\"{}\",\"password\":\"{}\"}}' | sed 's/.*\"token\":\"\\([^\"]*\\)\".*/\\1/')", stack.owner_email, stack.owner_password);
    let _ = writeln!(
        guide,
        "  curl -s '{ad}/v1/support-tickets' -H \"authorization: Bearer $TOKEN\""
    );
    let _ = writeln!(guide, "  curl -s '{ad}/v1/reports/sales-overview?from={from}&to={to}' -H \"authorization: Bearer $TOKEN\"");
    let _ = writeln!(
        guide,
        "  curl -s '{ad}/v1/audit-log?limit=5' -H \"authorization: Bearer $TOKEN\""
    );
    print!("{guide}");
}
