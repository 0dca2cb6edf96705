//! The service's OpenAPI 3.1 document, derived from the handlers' and types'
//! annotations; `platform::openapi::finish` adds what every service shares.

use platform::openapi::BearerScheme;
use serde_json::Value;
use utoipa::OpenApi;

/// A reseller's API key.
pub const API_KEY: BearerScheme = BearerScheme {
    name: "api_key",
    description: "A reseller's API key (`rsk_...`), from registration or `POST /v1/api-keys`. The reseller is the tenant.",
};
/// admin-service's token.
pub const INTERNAL_TOKEN: BearerScheme = BearerScheme {
    name: "internal_token",
    description: "`INTERNAL_TOKEN`: admin-service calling on behalf of an admin.",
};
/// The core order service pushing sale events.
pub const INGEST_TOKEN: BearerScheme = BearerScheme {
    name: "ingest_token",
    description: "One of `INGEST_TOKENS`: the core order service pushing sale events.",
};
/// A core service reading a feed.
pub const CORE_TOKEN: BearerScheme = BearerScheme {
    name: "core_token",
    description: "One of `CORE_TOKENS`: a core service reading a feed.",
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "reseller-service",
        description = "Resellers register, manage shows and ticket types, read their orders and sales reports, and talk to the platform through support tickets. The core order service pushes sale events here; admin-service moderates through the internal routes.",
    ),
    paths(),
    tags(
        (name = "accounts", description = "Registration, the caller's account and its API keys."),
        (name = "catalog", description = "Shows and ticket types; this service is the source of truth for ticket stock."),
        (name = "orders", description = "Orders made for the caller's shows."),
        (name = "reports", description = "Sales reports, as JSON, CSV or an SVG chart."),
        (name = "support", description = "Support tickets between a reseller and the platform."),
        (name = "ingest", description = "Sale events from the core order service."),
        (name = "feeds", description = "Feeds read by the core services."),
        (name = "internal", description = "What admin-service calls on behalf of an admin."),
        (name = "operations", description = "Health, readiness, metrics and this document."),
    ),
)]
struct ApiDoc;

/// The complete document.
pub fn document() -> Value {
    platform::openapi::finish(
        ApiDoc::openapi(),
        &[API_KEY, INTERNAL_TOKEN, INGEST_TOKEN, CORE_TOKEN],
    )
}
