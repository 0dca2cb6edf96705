//! The service's OpenAPI 3.1 document, derived from the handlers' and types'
//! annotations; `platform::openapi::finish` adds what every service shares.

use platform::openapi::BearerScheme;
use serde_json::Value;
use utoipa::{
    openapi::{OpenApi as Document, Ref},
    Modify, OpenApi,
};

/// An admin's session token.
pub const SESSION: BearerScheme = BearerScheme {
    name: "admin_session",
    description: "An admin's session token (`ads_...`) from `POST /v1/auth/login`. What it may do depends on the admin's role: `viewer`, `support` or `owner`.",
};
/// A core service.
pub const CORE_TOKEN: BearerScheme = BearerScheme {
    name: "core_token",
    description:
        "One of `CORE_TOKENS`: the core order service reading feeds and reporting refunds.",
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "admin-service",
        description = "Platform admins log in, moderate resellers, work the support queue, force refunds that the core order service carries out, and mark shows that will see high traffic. Every change is audited.",
    ),
    paths(
        super::sessions::login,
        super::sessions::logout,
        super::sessions::get_me,
        super::admins::list_admins,
        super::admins::create_admin,
        super::admins::update_admin,
        super::resellers::list_resellers,
        super::resellers::get_reseller,
        super::resellers::approve_reseller,
        super::resellers::suspend_reseller,
        super::resellers::reactivate_reseller,
        super::shows::list_shows,
        super::shows::mark_show_traffic,
        super::tickets::list_tickets,
        super::tickets::get_ticket,
        super::tickets::assign_ticket,
        super::tickets::reply_to_ticket,
        super::tickets::resolve_ticket,
        super::refunds::request_refund,
        super::quarantine::list_quarantine,
        super::quarantine::replay_quarantined,
        super::audit_log::list_audit_log,
        super::overview::sales_overview,
        super::traffic_feed::read_traffic_designations,
        super::refunds::list_refund_requests,
        super::refunds::complete_refund_request,
        super::refunds::fail_refund_request,
    ),
    modifiers(&OptionalResolution),
    tags(
        (name = "sessions", description = "Login, logout and the caller."),
        (name = "admins", description = "Admin accounts (owners only)."),
        (name = "resellers", description = "Reseller moderation, their sales, and the sale events the ingest rejected."),
        (name = "support", description = "The support queue."),
        (name = "refunds", description = "Forced refunds and the core service's feed of them."),
        (name = "traffic", description = "High-traffic marks on shows and their feed."),
        (name = "audit", description = "The audit log."),
        (name = "operations", description = "Health, readiness, metrics and this document."),
    ),
)]
struct ApiDoc;

/// `POST /v1/support-tickets/{ticket_id}/resolve` takes an optional body:
/// utoipa says so only with an `Option` body, whose schema would then also
/// allow `null`, which the handler refuses. Keep `required` unset and the
/// schema the object's.
struct OptionalResolution;

impl Modify for OptionalResolution {
    fn modify(&self, openapi: &mut Document) {
        let body = openapi
            .paths
            .paths
            .get_mut("/v1/support-tickets/{ticket_id}/resolve")
            .and_then(|item| item.post.as_mut())
            .and_then(|operation| operation.request_body.as_mut());
        if let Some(body) = body {
            for content in body.content.values_mut() {
                content.schema = Some(Ref::from_schema_name("Resolution").into());
            }
        }
    }
}

/// The complete document.
pub fn document() -> Value {
    platform::openapi::finish(ApiDoc::openapi(), &[SESSION, CORE_TOKEN])
}
