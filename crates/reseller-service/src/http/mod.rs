//! The HTTP API of reseller-service: one module per resource, each with its
//! handlers and their request and response types.

pub mod api_keys;
pub mod auth;
pub mod catalog_feed;
pub mod csv;
pub mod ingest;
pub mod internal;
pub mod internal_catalog;
pub mod internal_reports;
pub mod internal_support;
pub mod openapi;
pub mod orders;
pub mod reports;
pub mod resellers;
pub mod schemas;
pub mod shows;
pub mod stream;
pub mod support;
pub mod support_tickets;
pub mod ticket_types;

use axum::{
    http::Method,
    routing::{delete, get, patch, post},
    Router,
};

use crate::AppState;

/// Who may call a route. The handler's extractor enforces it; the table
/// states it, so tests can walk every route of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No credentials (registration).
    Public,
    /// A reseller's API key; the reseller is the tenant.
    Reseller,
    /// admin-service with `INTERNAL_TOKEN`.
    Internal,
    /// The core order service with one of `INGEST_TOKENS`.
    Ingest,
    /// A core service reading a feed with one of `CORE_TOKENS`.
    Core,
}

/// One registered route of this service.
pub type Route = platform::http::routes::Route<Access>;

/// The service's router being built, with the record of what it routes.
pub type RouteTable = platform::http::routes::RouteTable<AppState, Access>;

/// Every route of the service (health, metrics and document routes are added
/// by the caller).
pub fn route_table() -> RouteTable {
    use Access::*;
    RouteTable::default()
        .add(
            Method::POST,
            "/v1/resellers",
            Public,
            post(resellers::register_reseller),
        )
        .add(Method::GET, "/v1/me", Reseller, get(resellers::get_me))
        .add(
            Method::PATCH,
            "/v1/me",
            Reseller,
            patch(resellers::update_me),
        )
        .add(
            Method::GET,
            "/v1/api-keys",
            Reseller,
            get(api_keys::list_api_keys),
        )
        .add(
            Method::POST,
            "/v1/api-keys",
            Reseller,
            post(api_keys::create_api_key),
        )
        .add(
            Method::DELETE,
            "/v1/api-keys/{key_id}",
            Reseller,
            delete(api_keys::revoke_api_key),
        )
        .add(Method::GET, "/v1/shows", Reseller, get(shows::list_shows))
        .add(
            Method::POST,
            "/v1/shows",
            Reseller,
            post(shows::create_show),
        )
        .add(
            Method::GET,
            "/v1/shows/{show_id}",
            Reseller,
            get(shows::get_show),
        )
        .add(
            Method::PATCH,
            "/v1/shows/{show_id}",
            Reseller,
            patch(shows::update_show),
        )
        .add(
            Method::GET,
            "/v1/shows/{show_id}/ticket-types",
            Reseller,
            get(ticket_types::list_ticket_types),
        )
        .add(
            Method::POST,
            "/v1/shows/{show_id}/ticket-types",
            Reseller,
            post(ticket_types::create_ticket_type),
        )
        .add(
            Method::GET,
            "/v1/shows/{show_id}/ticket-types/{ticket_type_id}",
            Reseller,
            get(ticket_types::get_ticket_type),
        )
        .add(
            Method::PATCH,
            "/v1/shows/{show_id}/ticket-types/{ticket_type_id}",
            Reseller,
            patch(ticket_types::update_ticket_type),
        )
        .add(
            Method::GET,
            "/internal/v1/resellers",
            Internal,
            get(internal::list_resellers),
        )
        .add(
            Method::GET,
            "/internal/v1/resellers/{reseller_id}",
            Internal,
            get(internal::get_reseller),
        )
        .add(
            Method::POST,
            "/internal/v1/resellers/{reseller_id}/approve",
            Internal,
            post(internal::approve_reseller),
        )
        .add(
            Method::POST,
            "/internal/v1/resellers/{reseller_id}/suspend",
            Internal,
            post(internal::suspend_reseller),
        )
        .add(
            Method::POST,
            "/internal/v1/resellers/{reseller_id}/reactivate",
            Internal,
            post(internal::reactivate_reseller),
        )
        .add(
            Method::GET,
            "/internal/v1/catalog-changes",
            Core,
            get(catalog_feed::read_catalog_changes),
        )
        .add(
            Method::POST,
            "/internal/v1/sale-events/batch",
            Ingest,
            post(ingest::ingest_sale_events),
        )
        .add(
            Method::GET,
            "/internal/v1/ingest/quarantine",
            Internal,
            get(ingest::list_quarantine),
        )
        .add(
            Method::POST,
            "/internal/v1/ingest/quarantine/{quarantine_id}/replay",
            Internal,
            post(ingest::replay_quarantined),
        )
        .add(
            Method::GET,
            "/v1/orders",
            Reseller,
            get(orders::list_orders),
        )
        .add(
            Method::GET,
            "/v1/orders/{order_id}",
            Reseller,
            get(orders::get_order),
        )
        .add(
            Method::GET,
            "/v1/reports/sales",
            Reseller,
            get(reports::sales_report),
        )
        .add(
            Method::GET,
            "/v1/reports/sales/chart.svg",
            Reseller,
            get(reports::sales_chart),
        )
        .add(
            Method::GET,
            "/v1/support-tickets",
            Reseller,
            get(support_tickets::list_support_tickets),
        )
        .add(
            Method::POST,
            "/v1/support-tickets",
            Reseller,
            post(support_tickets::create_support_ticket),
        )
        .add(
            Method::GET,
            "/v1/support-tickets/{ticket_id}",
            Reseller,
            get(support_tickets::get_support_ticket),
        )
        .add(
            Method::POST,
            "/v1/support-tickets/{ticket_id}/messages",
            Reseller,
            post(support_tickets::create_support_message),
        )
        .add(
            Method::GET,
            "/internal/v1/support-tickets",
            Internal,
            get(internal_support::list_ticket_queue),
        )
        .add(
            Method::GET,
            "/internal/v1/support-tickets/{ticket_id}",
            Internal,
            get(internal_support::get_ticket),
        )
        .add(
            Method::POST,
            "/internal/v1/support-tickets/{ticket_id}/assign",
            Internal,
            post(internal_support::assign_ticket),
        )
        .add(
            Method::POST,
            "/internal/v1/support-tickets/{ticket_id}/messages",
            Internal,
            post(internal_support::create_ticket_message),
        )
        .add(
            Method::POST,
            "/internal/v1/support-tickets/{ticket_id}/resolve",
            Internal,
            post(internal_support::resolve_ticket),
        )
        .add(
            Method::GET,
            "/internal/v1/resellers/{reseller_id}/orders/{order_id}",
            Internal,
            get(internal_catalog::get_reseller_order),
        )
        .add(
            Method::GET,
            "/internal/v1/shows",
            Internal,
            get(internal_catalog::list_all_shows),
        )
        .add(
            Method::GET,
            "/internal/v1/shows/{show_id}",
            Internal,
            get(internal_catalog::get_any_show),
        )
        .add(
            Method::GET,
            "/internal/v1/reports/sales-overview",
            Internal,
            get(internal_reports::sales_overview),
        )
}

/// The service's routes with their state.
pub fn router(state: AppState) -> Router {
    route_table().into_router().with_state(state)
}
