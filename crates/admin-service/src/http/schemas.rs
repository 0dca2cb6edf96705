//! What the OpenAPI document says about values whose rules a plain type
//! cannot carry, and the shapes of reseller-service's answers that
//! admin-service passes through as JSON (`serde_json::Value`). The types
//! here are never built: they only describe, and must follow
//! reseller-service's `Reseller`, `Ticket`, `Message`, `Show`,
//! `QuarantineEntry`, `ReplayOutcome` and `Overview`.

#![allow(dead_code)]

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use utoipa::{
    openapi::{schema::SchemaType, Object, ObjectBuilder, Type},
    ToSchema,
};
use uuid::Uuid;

use platform::Problem;

use crate::db::{refunds::RefundRequest, traffic::Designation};

/// What `str::trim` removes: Unicode `White_Space` (written out: regex `\s`
/// differs between dialects).
const SPACE: &str = r"\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";
/// Control characters (`char::is_control`: general category Cc).
const CONTROL: &str = r"\x00-\x1F\x7F-\x9F";

fn string(nullable: bool) -> ObjectBuilder {
    let ty = if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::new(Type::String)
    };
    ObjectBuilder::new().schema_type(ty)
}

/// The pattern of `domain::text::bounded(raw, min, max)` with `min` 0 or 1:
/// after trimming, at most `max` characters, none a control character.
/// The pattern counts the characters, so surrounding white space (which the
/// service trims away) does not count against `max`.
pub fn bounded_pattern(min: usize, max: usize) -> String {
    let edge = format!("[^{CONTROL}{SPACE}]");
    let inner = format!("[^{CONTROL}]");
    let text = format!("{edge}(?:{inner}{{0,{}}}{edge})?", max.saturating_sub(2));
    let text = if min == 0 {
        format!("(?:{text})?")
    } else {
        text
    };
    format!("^[{SPACE}]*{text}[{SPACE}]*$")
}

fn bounded(min: usize, max: usize, nullable: bool, description: &str) -> Object {
    string(nullable)
        .pattern(Some(bounded_pattern(min, max)))
        .description(Some(format!(
            "{description} Surrounding white space is trimmed; then {}at most {max} characters, no control characters.",
            if min == 0 { "" } else { "at least 1 and " }
        )))
        .build()
}

/// A suspension's reason.
pub fn suspension_reason() -> Object {
    bounded(
        1,
        500,
        false,
        "Why the reseller is suspended; shown to them.",
    )
}

/// A refund request's reason.
pub fn refund_reason() -> Object {
    bounded(1, 500, false, "Why the order is refunded.")
}

/// Why the core service could not carry a refund out.
pub fn failure_reason() -> Object {
    bounded(1, 500, false, "Why the refund could not be carried out.")
}

/// An admin's reply on a ticket.
pub fn reply_body() -> Object {
    bounded(1, 10_000, false, "The reply, one line.")
}

/// The note of a resolution.
pub fn resolution_note() -> Object {
    bounded(
        1,
        2_000,
        true,
        "Shown to the reseller as the last message; absent or null for none.",
    )
}

/// The note of a traffic mark.
pub fn traffic_note() -> Object {
    bounded(
        0,
        500,
        true,
        "For the core services' operators; empty, absent or null for none.",
    )
}

/// A new admin's e-mail address (`domain::text::EmailAddress`).
pub fn new_email() -> Object {
    let edge = format!("[{SPACE}]*");
    let label = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
    string(false)
        .pattern(Some(format!(
            "^{edge}[!#-?A-~]{{1,64}}@(?:{label}\\.)+{label}{edge}$"
        )))
        .max_length(Some(254))
        .description(Some(
            "An e-mail address: a local part of at most 64 visible ASCII characters (no `@` or `\"`), `@`, and a domain of at least two labels. Surrounding white space is trimmed; compared without regard to case.",
        ))
        .examples([Value::from("support@ticketing.example")])
        .build()
}

/// The e-mail address of a login: any text of 1 to 254 characters once
/// trimmed, without control characters (a wrong one is 401, like a wrong
/// password).
pub fn login_email() -> Object {
    string(false)
        .pattern(Some(bounded_pattern(1, 254)))
        .description(Some(
            "The admin's e-mail address, compared without regard to case. Surrounding white space is trimmed; then at least 1 and at most 254 characters, no control characters.",
        ))
        .examples([Value::from("owner@ticketing.example")])
        .build()
}

/// Refuses a time-and-id cursor (24 bytes in base64url: the time in
/// microseconds from 1970, then the id) whose time is outside
/// `[0, 28 * 2^58)` µs, 1970 to about AD 257,000, like any cursor this
/// service did not hand out: the database could not compare with some
/// times, and none of these lists has a row before 1970. The documented
/// pattern (`^(?:[A-Zab][A-Za-z0-9_-]{31})?$`) says the same: the first
/// character holds the time's top six bits.
pub fn check_time_cursor(cursor: Option<&str>) -> Result<(), Problem> {
    let page = platform::pagination::PageQuery {
        limit: None,
        cursor: cursor.map(str::to_owned),
    };
    let in_range =
        |(at, _): (DateTime<Utc>, Uuid)| (0..(28i64 << 58)).contains(&at.timestamp_micros());
    match page.cursor_time_id()? {
        Some(position) if !in_range(position) => Err(Problem::new(
            axum::http::StatusCode::BAD_REQUEST,
            "invalid_query",
            "cursor: is not a cursor returned by this list",
        )
        .with_errors(vec![platform::FieldError::new(
            "cursor",
            "invalid_cursor",
            "is not a cursor returned by this list",
        )])),
        _ => Ok(()),
    }
}

/// `limit` and `cursor` of a list ordered by id, as documented (the handler
/// reads them with `platform::pagination::PageQuery`).
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IdPageParams {
    /// Page size: 1 to 500, 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^(?:[A-Za-z0-9_-]{22})?$")]
    cursor: Option<String>,
}

/// `after` and `limit` of a feed, as documented (the handler reads them with
/// `platform::feed::FeedQuery`).
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// `next_cursor` of the previous read; absent or empty for the start.
    #[param(pattern = "^(?:[A-Za-f][A-Za-z0-9_-]{10})?$")]
    after: Option<String>,
    /// Entries at most: 1 to 500, 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

/// A reseller account's status.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum ResellerStatus {
    Pending,
    Active,
    Suspended,
}

/// A support ticket's status.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum TicketStatus {
    Open,
    Resolved,
}

/// A quarantined event's status.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum QuarantineStatus {
    Open,
    Replayed,
}

/// A forced refund's status.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum RefundStatus {
    Pending,
    Completed,
    Failed,
}

/// A show's status.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum ShowStatus {
    Draft,
    Published,
    Cancelled,
}

/// What a ticket is about.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum TicketCategory {
    Refund,
    Complaint,
    Technical,
    Billing,
    Other,
}

/// Who wrote a message: the reseller, an admin, or the platform (a notice such as a refund's outcome).
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum MessageAuthor {
    Reseller,
    Admin,
    Platform,
}

/// What a replay did: `accepted` or `duplicate` (the entry is then `replayed`), `conflict` or `rejected` (it stays `open` with the new reason).
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum ReplayStatus {
    Accepted,
    Duplicate,
    Conflict,
    Rejected,
}

/// A reseller's billing address.
#[derive(Debug, ToSchema)]
pub struct Address {
    line1: String,
    #[schema(required = true)]
    line2: Option<String>,
    city: String,
    #[schema(required = true)]
    region: Option<String>,
    postal_code: String,
    /// ISO 3166-1 alpha-2.
    country: String,
}

/// Who a reseller is invoiced as.
#[derive(Debug, ToSchema)]
pub struct Billing {
    legal_name: String,
    billing_email: String,
    address: Address,
    #[schema(required = true)]
    tax_id: Option<String>,
}

/// A reseller account, as reseller-service keeps it.
#[derive(Debug, ToSchema)]
pub struct Reseller {
    id: Uuid,
    name: String,
    contact_email: String,
    billing: Billing,
    status: ResellerStatus,
    /// Set while suspended.
    #[schema(required = true)]
    suspension_reason: Option<String>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// A show of any reseller, with admin-service's traffic mark.
#[derive(Debug, ToSchema)]
pub struct Show {
    id: Uuid,
    reseller_id: Uuid,
    name: String,
    venue: String,
    starts_at: DateTime<Utc>,
    sales_start_at: DateTime<Utc>,
    sales_end_at: DateTime<Utc>,
    status: ShowStatus,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// The show's mark, or null when it has none.
    #[schema(required = true)]
    traffic: Option<Designation>,
}

/// A support ticket.
#[derive(Debug, ToSchema)]
pub struct Ticket {
    id: Uuid,
    reseller_id: Uuid,
    subject: String,
    category: TicketCategory,
    status: TicketStatus,
    #[schema(required = true)]
    order_id: Option<Uuid>,
    /// The admin working the ticket.
    #[schema(required = true)]
    assignee_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    #[schema(required = true)]
    resolved_at: Option<DateTime<Utc>>,
}

/// One message of a ticket's conversation.
#[derive(Debug, ToSchema)]
pub struct TicketMessage {
    id: Uuid,
    ticket_id: Uuid,
    author: MessageAuthor,
    /// The writing admin, for `admin` messages.
    #[schema(required = true)]
    admin_id: Option<Uuid>,
    body: String,
    created_at: DateTime<Utc>,
}

/// A ticket with its conversation (oldest first) and its forced refunds.
#[derive(Debug, ToSchema)]
pub struct TicketDetail {
    id: Uuid,
    reseller_id: Uuid,
    subject: String,
    category: TicketCategory,
    status: TicketStatus,
    #[schema(required = true)]
    order_id: Option<Uuid>,
    #[schema(required = true)]
    assignee_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    #[schema(required = true)]
    resolved_at: Option<DateTime<Utc>>,
    messages: Vec<TicketMessage>,
    refunds: Vec<RefundRequest>,
}

/// A sale event the ingest rejected, kept for replay.
#[derive(Debug, ToSchema)]
pub struct QuarantineEntry {
    id: Uuid,
    #[schema(required = true)]
    event_id: Option<Uuid>,
    #[schema(required = true)]
    reseller_id: Option<Uuid>,
    /// Why it was rejected, e.g. `unknown_ticket_type`.
    code: String,
    message: String,
    /// The event as it was sent.
    event: Value,
    status: QuarantineStatus,
    times_seen: i32,
    first_seen_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    #[schema(required = true)]
    replayed_at: Option<DateTime<Utc>>,
}

/// What a replay did.
#[derive(Debug, ToSchema)]
pub struct ReplayOutcome {
    status: ReplayStatus,
    /// Why it still fails.
    code: Option<String>,
    message: Option<String>,
    entry: QuarantineEntry,
}

/// Sales figures in one currency.
#[derive(Debug, ToSchema)]
pub struct Figures {
    currency: String,
    paid_orders: i64,
    tickets_sold: i64,
    gross_minor: i64,
    refunded_tickets: i64,
    refunded_minor: i64,
    /// `gross_minor - refunded_minor`.
    net_minor: i64,
}

/// One reseller's sales on one local day in one currency.
#[derive(Debug, ToSchema)]
pub struct OverviewRow {
    day: NaiveDate,
    reseller_id: Uuid,
    currency: String,
    paid_orders: i64,
    tickets_sold: i64,
    gross_minor: i64,
    refunded_tickets: i64,
    refunded_minor: i64,
    net_minor: i64,
}

/// Sales across all resellers, per day and reseller, with totals per
/// currency.
#[derive(Debug, ToSchema)]
pub struct SalesOverview {
    rows: Vec<OverviewRow>,
    totals: Vec<Figures>,
}

/// Stands for the `Problem` schema that `platform::openapi::finish` puts in
/// the document (it replaces this one): what extra error responses refer to.
#[derive(Debug, ToSchema)]
#[schema(as = Problem)]
pub struct ProblemSchema {}

/// The `Idempotency-Key` of a creating POST (contract section 3).
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKeyHeader {
    /// Makes a retry safe: the same key with the same body within 24 hours
    /// answers the first response again; with another body, 422
    /// `idempotency_key_reused`. 1 to 255 visible ASCII characters.
    #[param(rename = "Idempotency-Key", value_type = String, min_length = 1, max_length = 255, pattern = "^[!-~]+$")]
    idempotency_key: Option<String>,
}
