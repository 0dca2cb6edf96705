//! The one reseller of a `reports` run, created over the public HTTP API:
//! registered, approved with the internal token, and given
//! `SHOWS x TICKET_TYPES` ticket types priced in IDR.

use serde_json::json;

use crate::{
    catalog::{self, Reseller, Show, TicketType},
    env::Service,
};

pub const SHOWS: usize = 20;
pub const TICKET_TYPES: usize = 5;
const PRICES: [i64; TICKET_TYPES] = [100_000, 150_000, 350_000, 750_000, 1_500_000];
/// Generous: sold never comes near it.
const CAPACITY: i64 = 10_000_000;

/// Registers and approves the reseller, then creates its catalog.
pub async fn create(client: &reqwest::Client, service: &Service) -> Result<Reseller, String> {
    let name = "Loadgen Reports Reseller";
    let body = catalog::post(
        client,
        service,
        "/v1/resellers",
        None,
        Some(&catalog::registration(name)),
    )
    .await?;
    let id = catalog::id_of(&body["reseller"], "reseller")?;
    let api_key = body["api_key"]
        .as_str()
        .ok_or("registration answered without api_key")?
        .to_owned();
    catalog::post(
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
    for s in 0..SHOWS {
        let body = catalog::post(
            client,
            service,
            "/v1/shows",
            Some(&reseller.api_key),
            Some(&catalog::show(&format!("Reports show {s}"))),
        )
        .await?;
        let mut show = Show {
            id: catalog::id_of(&body, "show")?,
            ticket_types: Vec::new(),
        };
        for (t, base) in PRICES.iter().enumerate() {
            let price = base + (s as i64 % 4) * 25_000;
            let body = catalog::post(
                client,
                service,
                &format!("/v1/shows/{}/ticket-types", show.id),
                Some(&reseller.api_key),
                Some(&json!({
                    "name": format!("Tier {t}"),
                    "unit_price_minor": price,
                    "currency": "IDR",
                    "capacity": CAPACITY,
                })),
            )
            .await?;
            show.ticket_types.push(TicketType {
                id: catalog::id_of(&body, "ticket type")?,
                unit_price_minor: body["unit_price_minor"].as_i64().unwrap_or(price),
            });
        }
        reseller.shows.push(show);
    }
    Ok(reseller)
}
