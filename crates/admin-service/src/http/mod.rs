//! The HTTP API of admin-service: one module per resource. Every route is
//! registered through [`RouteTable`], which records its method, path and who
//! may call it, so tests can walk the whole table (the role x route matrix,
//! one audit row per mutation) and a new route cannot be forgotten by them.

pub mod admins;
pub mod audit_log;
pub mod auth;
pub mod openapi;
pub mod overview;
pub mod quarantine;
pub mod refunds;
pub mod resellers;
pub mod schemas;
pub mod sessions;
pub mod shows;
pub mod tickets;
pub mod traffic_feed;

use axum::{
    http::Method,
    routing::{get, patch, post, put},
    Router,
};

use crate::AppState;

/// Who may call a route. The handler's extractor enforces it; the table
/// states it, and the route-matrix test checks the two agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No credentials (login).
    Public,
    /// Any admin session.
    Viewer,
    /// `support` or `owner`.
    Support,
    /// `owner` only.
    Owner,
    /// A core service with one of `CORE_TOKENS`.
    Core,
}

/// One registered route of this service.
pub type Route = platform::http::routes::Route<Access>;

/// The service's router being built, with the record of what it routes.
pub type RouteTable = platform::http::routes::RouteTable<AppState, Access>;

/// Every route of the service (health routes are added by the caller).
pub fn route_table() -> RouteTable {
    use Access::*;
    RouteTable::default()
        .add(
            Method::POST,
            "/v1/auth/login",
            Public,
            post(sessions::login),
        )
        .add(
            Method::POST,
            "/v1/auth/logout",
            Viewer,
            post(sessions::logout),
        )
        .add(Method::GET, "/v1/me", Viewer, get(sessions::get_me))
        .add(Method::GET, "/v1/admins", Owner, get(admins::list_admins))
        .add(
            Method::POST,
            "/v1/admins",
            Owner,
            post(admins::create_admin),
        )
        .add(
            Method::PATCH,
            "/v1/admins/{admin_id}",
            Owner,
            patch(admins::update_admin),
        )
        .add(
            Method::GET,
            "/v1/resellers",
            Viewer,
            get(resellers::list_resellers),
        )
        .add(
            Method::GET,
            "/v1/resellers/{reseller_id}",
            Viewer,
            get(resellers::get_reseller),
        )
        .add(
            Method::POST,
            "/v1/resellers/{reseller_id}/approve",
            Owner,
            post(resellers::approve_reseller),
        )
        .add(
            Method::POST,
            "/v1/resellers/{reseller_id}/suspend",
            Owner,
            post(resellers::suspend_reseller),
        )
        .add(
            Method::POST,
            "/v1/resellers/{reseller_id}/reactivate",
            Owner,
            post(resellers::reactivate_reseller),
        )
        .add(Method::GET, "/v1/shows", Viewer, get(shows::list_shows))
        .add(
            Method::PUT,
            "/v1/shows/{show_id}/traffic",
            Owner,
            put(shows::mark_show_traffic),
        )
        .add(
            Method::GET,
            "/v1/support-tickets",
            Viewer,
            get(tickets::list_tickets),
        )
        .add(
            Method::GET,
            "/v1/support-tickets/{ticket_id}",
            Viewer,
            get(tickets::get_ticket),
        )
        .add(
            Method::POST,
            "/v1/support-tickets/{ticket_id}/assign",
            Support,
            post(tickets::assign_ticket),
        )
        .add(
            Method::POST,
            "/v1/support-tickets/{ticket_id}/messages",
            Support,
            post(tickets::reply_to_ticket),
        )
        .add(
            Method::POST,
            "/v1/support-tickets/{ticket_id}/resolve",
            Support,
            post(tickets::resolve_ticket),
        )
        .add(
            Method::POST,
            "/v1/support-tickets/{ticket_id}/refunds",
            Support,
            post(refunds::request_refund),
        )
        .add(
            Method::GET,
            "/v1/ingest/quarantine",
            Viewer,
            get(quarantine::list_quarantine),
        )
        .add(
            Method::POST,
            "/v1/ingest/quarantine/{quarantine_id}/replay",
            Owner,
            post(quarantine::replay_quarantined),
        )
        .add(
            Method::GET,
            "/v1/audit-log",
            Viewer,
            get(audit_log::list_audit_log),
        )
        .add(
            Method::GET,
            "/v1/reports/sales-overview",
            Viewer,
            get(overview::sales_overview),
        )
        .add(
            Method::GET,
            "/internal/v1/traffic-designations",
            Core,
            get(traffic_feed::read_traffic_designations),
        )
        .add(
            Method::GET,
            "/internal/v1/refund-requests",
            Core,
            get(refunds::list_refund_requests),
        )
        .add(
            Method::POST,
            "/internal/v1/refund-requests/{refund_id}/complete",
            Core,
            post(refunds::complete_refund_request),
        )
        .add(
            Method::POST,
            "/internal/v1/refund-requests/{refund_id}/fail",
            Core,
            post(refunds::fail_refund_request),
        )
}

/// The service's routes with their state.
pub fn router(state: AppState) -> Router {
    route_table().into_router().with_state(state)
}
