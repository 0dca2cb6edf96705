//! The catalog the events refer to, created over the public HTTP API the way
//! a reseller would: register, get approved (internal token), create shows
//! and ticket types with the reseller's API key.

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::env::Service;

/// Registration is rate-limited to 10 per client address at once.
pub const RESELLERS: usize = 10;
pub const SHOWS_PER_RESELLER: usize = 5;
pub const TICKET_TYPES_PER_SHOW: usize = 3;
/// Generous: the most a ticket type may have.
const CAPACITY: i64 = 10_000_000;
const PRICES: [i64; 3] = [150_000, 350_000, 750_000];

#[derive(Debug, Clone)]
pub struct TicketType {
    pub id: Uuid,
    pub unit_price_minor: i64,
}

#[derive(Debug, Clone)]
pub struct Show {
    pub id: Uuid,
    pub ticket_types: Vec<TicketType>,
}

#[derive(Debug, Clone)]
pub struct Reseller {
    pub id: Uuid,
    pub api_key: String,
    pub shows: Vec<Show>,
}

#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub resellers: Vec<Reseller>,
}

/// A show with its reseller, for picking.
#[derive(Debug, Clone, Copy)]
pub struct ShowRef<'a> {
    pub reseller_id: Uuid,
    pub show_id: Uuid,
    pub ticket_types: &'a [TicketType],
}

impl Catalog {
    /// Every show with at least one ticket type; the first is the hot one.
    pub fn shows(&self) -> Vec<ShowRef<'_>> {
        self.resellers
            .iter()
            .flat_map(|r| {
                r.shows.iter().map(|s| ShowRef {
                    reseller_id: r.id,
                    show_id: s.id,
                    ticket_types: &s.ticket_types,
                })
            })
            .filter(|s| !s.ticket_types.is_empty())
            .collect()
    }
}

/// Creates `RESELLERS x SHOWS_PER_RESELLER x TICKET_TYPES_PER_SHOW`.
pub async fn create(client: &reqwest::Client, service: &Service) -> Result<Catalog, String> {
    let mut catalog = Catalog::default();
    for r in 0..RESELLERS {
        let name = format!("Loadgen Reseller {r}");
        let body = post(
            client,
            service,
            "/v1/resellers",
            None,
            Some(&registration(&name)),
        )
        .await?;
        let id = id_of(&body["reseller"], "reseller")?;
        let api_key = body["api_key"]
            .as_str()
            .ok_or("registration answered without api_key")?
            .to_owned();
        post(
            client,
            service,
            &format!("/internal/v1/resellers/{id}/approve"),
            Some(&service.internal_token),
            None,
        )
        .await?;
        let mut reseller = Reseller {
            id,
            api_key,
            shows: Vec::new(),
        };
        for s in 0..SHOWS_PER_RESELLER {
            let body = post(
                client,
                service,
                "/v1/shows",
                Some(&reseller.api_key),
                Some(&show(&format!("Show {r}-{s}"))),
            )
            .await?;
            let mut show = Show {
                id: id_of(&body, "show")?,
                ticket_types: Vec::new(),
            };
            for (t, base_price) in PRICES.iter().enumerate().take(TICKET_TYPES_PER_SHOW) {
                let price = base_price + (s as i64) * 25_000;
                let name = ["Regular", "VIP", "Backstage"][t % 3];
                let body = post(
                    client,
                    service,
                    &format!("/v1/shows/{}/ticket-types", show.id),
                    Some(&reseller.api_key),
                    Some(&json!({
                        "name": name,
                        "unit_price_minor": price,
                        "currency": "IDR",
                        "capacity": CAPACITY,
                    })),
                )
                .await?;
                show.ticket_types.push(TicketType {
                    id: id_of(&body, "ticket type")?,
                    unit_price_minor: body["unit_price_minor"].as_i64().unwrap_or(price),
                });
            }
            reseller.shows.push(show);
        }
        catalog.resellers.push(reseller);
    }
    Ok(catalog)
}

pub async fn post(
    client: &reqwest::Client,
    service: &Service,
    path: &str,
    bearer: Option<&str>,
    body: Option<&Value>,
) -> Result<Value, String> {
    let mut request = client.post(format!("{}{path}", service.base_url));
    if let Some(body) = body {
        request = request.json(body);
    }
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("POST {path}: {e}"))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| format!("POST {path}: reading the answer: {e}"))?;
    if !status.is_success() {
        return Err(format!("POST {path} answered {status}: {}", clip(&text)));
    }
    serde_json::from_str(&text).map_err(|e| format!("POST {path}: the answer is not JSON: {e}"))
}

pub fn id_of(value: &Value, what: &str) -> Result<Uuid, String> {
    value["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("the created {what} has no id: {}", clip(&value.to_string())))
}

/// At most 300 characters of a body, for error messages.
pub fn clip(text: &str) -> String {
    let mut clipped: String = text.chars().take(300).collect();
    if clipped.len() < text.len() {
        clipped.push('…');
    }
    clipped
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
