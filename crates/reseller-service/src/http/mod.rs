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
pub mod orders;
pub mod reports;
pub mod resellers;
pub mod shows;
pub mod support;
pub mod support_tickets;
pub mod ticket_types;

use axum::{
    routing::{delete, get, post},
    Router,
};

use crate::AppState;

/// Every route of the service (health routes are added by the caller).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/resellers", post(resellers::register_reseller))
        .route("/v1/me", get(resellers::get_me).patch(resellers::update_me))
        .route(
            "/v1/api-keys",
            get(api_keys::list_api_keys).post(api_keys::create_api_key),
        )
        .route("/v1/api-keys/{key_id}", delete(api_keys::revoke_api_key))
        .route("/v1/shows", get(shows::list_shows).post(shows::create_show))
        .route(
            "/v1/shows/{show_id}",
            get(shows::get_show).patch(shows::update_show),
        )
        .route(
            "/v1/shows/{show_id}/ticket-types",
            get(ticket_types::list_ticket_types).post(ticket_types::create_ticket_type),
        )
        .route(
            "/v1/shows/{show_id}/ticket-types/{ticket_type_id}",
            get(ticket_types::get_ticket_type).patch(ticket_types::update_ticket_type),
        )
        .route("/internal/v1/resellers", get(internal::list_resellers))
        .route(
            "/internal/v1/resellers/{reseller_id}",
            get(internal::get_reseller),
        )
        .route(
            "/internal/v1/resellers/{reseller_id}/approve",
            post(internal::approve_reseller),
        )
        .route(
            "/internal/v1/resellers/{reseller_id}/suspend",
            post(internal::suspend_reseller),
        )
        .route(
            "/internal/v1/resellers/{reseller_id}/reactivate",
            post(internal::reactivate_reseller),
        )
        .route(
            "/internal/v1/catalog-changes",
            get(catalog_feed::read_catalog_changes),
        )
        .route(
            "/internal/v1/sale-events/batch",
            post(ingest::ingest_sale_events),
        )
        .route(
            "/internal/v1/ingest/quarantine",
            get(ingest::list_quarantine),
        )
        .route(
            "/internal/v1/ingest/quarantine/{quarantine_id}/replay",
            post(ingest::replay_quarantined),
        )
        .route("/v1/orders", get(orders::list_orders))
        .route("/v1/orders/{order_id}", get(orders::get_order))
        .route("/v1/reports/sales", get(reports::sales_report))
        .route("/v1/reports/sales/chart.svg", get(reports::sales_chart))
        .route(
            "/v1/support-tickets",
            get(support_tickets::list_support_tickets).post(support_tickets::create_support_ticket),
        )
        .route(
            "/v1/support-tickets/{ticket_id}",
            get(support_tickets::get_support_ticket),
        )
        .route(
            "/v1/support-tickets/{ticket_id}/messages",
            post(support_tickets::create_support_message),
        )
        .route(
            "/internal/v1/support-tickets",
            get(internal_support::list_ticket_queue),
        )
        .route(
            "/internal/v1/support-tickets/{ticket_id}",
            get(internal_support::get_ticket),
        )
        .route(
            "/internal/v1/support-tickets/{ticket_id}/assign",
            post(internal_support::assign_ticket),
        )
        .route(
            "/internal/v1/support-tickets/{ticket_id}/messages",
            post(internal_support::create_ticket_message),
        )
        .route(
            "/internal/v1/support-tickets/{ticket_id}/resolve",
            post(internal_support::resolve_ticket),
        )
        .route(
            "/internal/v1/resellers/{reseller_id}/orders/{order_id}",
            get(internal_catalog::get_reseller_order),
        )
        .route("/internal/v1/shows", get(internal_catalog::list_all_shows))
        .route(
            "/internal/v1/shows/{show_id}",
            get(internal_catalog::get_any_show),
        )
        .route(
            "/internal/v1/reports/sales-overview",
            get(internal_reports::sales_overview),
        )
        .with_state(state)
}
