//! The service's OpenAPI 3.1 document, derived from the handlers' and types'
//! annotations; `platform::openapi::finish` adds what every service shares.

use platform::openapi::BearerScheme;
use serde_json::Value;
use utoipa::OpenApi;

use super::schemas;

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
    paths(
        super::resellers::register_reseller,
        super::resellers::get_me,
        super::resellers::update_me,
        super::api_keys::list_api_keys,
        super::api_keys::create_api_key,
        super::api_keys::revoke_api_key,
        super::shows::list_shows,
        super::shows::create_show,
        super::shows::get_show,
        super::shows::update_show,
        super::ticket_types::list_ticket_types,
        super::ticket_types::create_ticket_type,
        super::ticket_types::get_ticket_type,
        super::ticket_types::update_ticket_type,
        super::internal::list_resellers,
        super::internal::get_reseller,
        super::internal::approve_reseller,
        super::internal::suspend_reseller,
        super::internal::reactivate_reseller,
        super::catalog_feed::read_catalog_changes,
        super::ingest::ingest_sale_events,
        super::ingest::list_quarantine,
        super::ingest::replay_quarantined,
        super::orders::list_orders,
        super::orders::get_order,
        super::reports::sales_report,
        super::reports::sales_chart,
        super::support_tickets::list_support_tickets,
        super::support_tickets::create_support_ticket,
        super::support_tickets::get_support_ticket,
        super::support_tickets::create_support_message,
        super::internal_support::list_ticket_queue,
        super::internal_support::get_ticket,
        super::internal_support::assign_ticket,
        super::internal_support::create_ticket_message,
        super::internal_support::resolve_ticket,
        super::internal_catalog::get_reseller_order,
        super::internal_catalog::list_all_shows,
        super::internal_catalog::get_any_show,
        super::internal_reports::sales_overview,
    ),
    components(schemas(
        schemas::Text200,
        schemas::Text100,
        schemas::PostalCode,
        schemas::Text500,
        schemas::OptionalText200,
        schemas::OptionalText100,
        schemas::TaxId,
        schemas::MessageText,
        schemas::NoteText,
        schemas::Email,
        schemas::Country,
        schemas::CurrencyCode,
        schemas::SaleEventDoc,
        schemas::SaleLineDoc,
    )),
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
    let mut doc = platform::openapi::finish(
        ApiDoc::openapi(),
        &[API_KEY, INTERNAL_TOKEN, INGEST_TOKEN, CORE_TOKEN],
    );
    add_validation_responses(&mut doc);
    parameters_are_never_null(&mut doc);
    doc
}

/// A header or query parameter is absent or a string, never JSON `null`;
/// utoipa writes an optional (`Option<T>`) parameter as nullable, and a
/// client generating from that sends the text `null` (which the service
/// rightly refuses, e.g. as an `If-Match`). Absence is `required: false`.
fn parameters_are_never_null(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for operation in item.values_mut().filter_map(Value::as_object_mut) {
            let Some(parameters) = operation
                .get_mut("parameters")
                .and_then(Value::as_array_mut)
            else {
                continue;
            };
            for parameter in parameters {
                let Some(types) = parameter
                    .pointer_mut("/schema/type")
                    .filter(|t| t.is_array())
                else {
                    continue;
                };
                let kept: Vec<Value> = types
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|t| *t != "null")
                    .cloned()
                    .collect();
                *types = match <[Value; 1]>::try_from(kept) {
                    Ok([single]) => single,
                    Err(several) => Value::Array(several),
                };
            }
        }
    }
}

const VALIDATION: &str = "The body or query is well-formed but a field breaks a rule \
    (`validation_failed`); `errors` names each field.";

/// This service answers a body or query whose fields break a rule with 422
/// `validation_failed` (400 is for what cannot be read at all): documents it
/// on every operation that takes a body or a query, in the shape `finish`
/// gave the operation's 400.
fn add_validation_responses(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for operation in item.values_mut().filter_map(Value::as_object_mut) {
            let takes_query = operation
                .get("parameters")
                .and_then(Value::as_array)
                .is_some_and(|p| p.iter().any(|p| p["in"] == "query"));
            if !(takes_query || operation.contains_key("requestBody")) {
                continue;
            }
            let Some(responses) = operation
                .get_mut("responses")
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            match responses.get_mut("422") {
                Some(existing) => {
                    let also = existing["description"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    existing["description"] = format!("{VALIDATION} Also: {also}").into();
                }
                None => {
                    if let Some(mut response) = responses.get("400").cloned() {
                        response["description"] = VALIDATION.into();
                        responses.insert("422".into(), response);
                    }
                }
            }
        }
    }
}
