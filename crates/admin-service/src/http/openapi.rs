//! The service's OpenAPI 3.1 document, derived from the handlers' and types'
//! annotations; `platform::openapi::finish` adds what every service shares.

use platform::openapi::BearerScheme;
use serde_json::Value;
use utoipa::OpenApi;

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
    paths(),
    tags(
        (name = "sessions", description = "Login, logout and the caller."),
        (name = "admins", description = "Admin accounts (owners only)."),
        (name = "resellers", description = "Reseller moderation."),
        (name = "support", description = "The support queue."),
        (name = "refunds", description = "Forced refunds and the core service's feed of them."),
        (name = "traffic", description = "High-traffic marks on shows and their feed."),
        (name = "audit", description = "The audit log."),
        (name = "operations", description = "Health, readiness, metrics and this document."),
    ),
)]
struct ApiDoc;

/// The complete document.
pub fn document() -> Value {
    platform::openapi::finish(ApiDoc::openapi(), &[SESSION, CORE_TOKEN])
}
