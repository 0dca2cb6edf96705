//! Schemas of the OpenAPI document that no handler type can give directly:
//! request bodies as they are VALIDATED (the input types accept anything so
//! that every bad field is reported at once), the constrained strings the
//! domain checks, and the few borrowed response shapes.
//!
//! The string patterns mirror `domain::text`: a value is trimmed (Unicode
//! white space), then must have between `min` and `max` characters and no
//! control characters; `max` also bounds the value as sent (`maxLength`).
//! Pattern and lengths together say exactly that, so a value matches them
//! if and only if the service accepts it.

use chrono::{DateTime, Utc};
use domain::{
    catalog::{MAX_CAPACITY, MAX_PRICE_MINOR},
    currency,
};
use serde::Deserialize;
use utoipa::{
    openapi::{ObjectBuilder, RefOr, Schema, Type},
    IntoParams, PartialSchema, ToSchema,
};
use uuid::Uuid;

/// White space that trimming removes (`char::is_whitespace`).
const WS: &str = r"\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";
/// Control characters (`char::is_control`, Unicode category Cc).
const CTRL: &str = r"\x00-\x1F\x7F-\x9F";
/// Controls other than tab and line breaks.
const CTRL_MULTILINE: &str = r"\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F";

/// The pattern of `text::bounded(raw, 1, max)` (or `text::multiline`);
/// `optional`: white space alone is also accepted (taken as absent).
pub fn text_pattern(max: usize, multiline: bool, optional: bool) -> String {
    let ws = format!("[{WS}]");
    let visible = format!(r"[^{CTRL} \xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]");
    let inner = if multiline {
        format!("[^{CTRL_MULTILINE}]")
    } else {
        format!("[^{CTRL}]")
    };
    let core = format!(
        "{visible}(?:{inner}{{0,{}}}{visible})?",
        max.saturating_sub(2)
    );
    if optional {
        format!("^{ws}*(?:{core}{ws}*)?$")
    } else {
        format!("^{ws}*{core}{ws}*$")
    }
}

fn string_schema(description: String, min: usize, max: usize, pattern: String) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .min_length(Some(min))
        .max_length(Some(max))
        .pattern(Some(pattern))
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, $max:expr, $multiline:expr, $optional:expr, $example:literal) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                let max: usize = $max;
                let what = if $multiline { "Text of several lines" } else { "Text of one line" };
                let controls = if $multiline { " other than tabs and line breaks" } else { "" };
                let description = if $optional {
                    format!("{what}: at most {max} characters as sent; stored trimmed; no control characters{controls} inside; empty or white space alone counts as absent.")
                } else {
                    format!("{what}: at most {max} characters as sent; stored trimmed, which must leave at least one; no control characters{controls} inside.")
                };
                let min = if $optional { 0 } else { 1 };
                string_schema(description, min, max, text_pattern(max, $multiline, $optional))
                    .examples([serde_json::json!($example)])
                    .into()
            }
        }

        impl ToSchema for $name {}
    };
}

text_type!(
    /// A name or line of up to 200 characters.
    Text200, 200, false, false, "Jakarta Fair 2026"
);
text_type!(
    /// A name or line of up to 100 characters.
    Text100, 100, false, false, "VIP"
);
text_type!(
    /// A postal code.
    PostalCode, 20, false, false, "10220"
);
text_type!(
    /// A moderation reason.
    Text500, 500, false, false, "Chargebacks above the agreed threshold."
);
text_type!(
    /// An optional line of up to 200 characters.
    OptionalText200, 200, false, true, "Floor 3"
);
text_type!(
    /// An optional line of up to 100 characters.
    OptionalText100, 100, false, true, "DKI Jakarta"
);
text_type!(
    /// An optional tax id.
    TaxId, 64, false, true, "01.234.567.8-901.000"
);
text_type!(
    /// A support message.
    MessageText, domain::support::MAX_BODY_CHARS, true, false, "The show page shows the wrong venue."
);
text_type!(
    /// A resolution note.
    NoteText, domain::support::MAX_NOTE_CHARS, true, false, "Refunded through the payment provider."
);

/// An e-mail address as `text::EmailAddress` accepts it.
#[derive(Debug)]
pub struct Email;

impl PartialSchema for Email {
    fn schema() -> RefOr<Schema> {
        let pattern = format!(
            "^[{WS}]*[!#-?A-~]{{1,64}}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\\.)+[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?[{WS}]*$"
        );
        string_schema(
            "An e-mail address: a local part of 1 to 64 visible ASCII characters (no `@` or `\"`), `@`, and a domain of dot-separated labels (letters, digits, inner hyphens) with at least one dot; at most 254 characters.".into(),
            3,
            254,
            pattern,
        )
        .examples([serde_json::json!("billing@tiket.example")])
        .into()
    }
}
impl ToSchema for Email {}

fn enum_schema(description: &str, values: impl IntoIterator<Item = &'static str>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .enum_values(Some(values))
        .into()
}

/// An ISO 3166-1 alpha-2 country code in capitals.
#[derive(Debug)]
pub struct Country;
impl PartialSchema for Country {
    fn schema() -> RefOr<Schema> {
        enum_schema(
            "An ISO 3166-1 alpha-2 country code in capitals, e.g. `ID`.",
            currency::all_countries(),
        )
    }
}
impl ToSchema for Country {}

/// An active ISO 4217 currency code in capitals.
#[derive(Debug)]
pub struct CurrencyCode;
impl PartialSchema for CurrencyCode {
    fn schema() -> RefOr<Schema> {
        enum_schema(
            "An active ISO 4217 currency code in capitals, e.g. `IDR`.",
            currency::all_currencies(),
        )
    }
}
impl ToSchema for CurrencyCode {}

/// The problem document; `platform::openapi::finish` replaces this
/// placeholder with the shared `Problem` schema.
#[derive(Debug, ToSchema)]
#[schema(as = Problem)]
pub struct ProblemDoc {}

// ---------------------------------------------------------------- accounts

/// A postal address.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AddressInput)]
pub struct AddressBody {
    #[schema(value_type = Text200)]
    pub line1: String,
    #[schema(value_type = Option<OptionalText200>)]
    pub line2: Option<String>,
    #[schema(value_type = Text100)]
    pub city: String,
    #[schema(value_type = Option<OptionalText100>)]
    pub region: Option<String>,
    #[schema(value_type = PostalCode)]
    pub postal_code: String,
    #[schema(value_type = Country)]
    pub country: String,
}

/// Billing details; `tax_id` is optional.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = BillingInput)]
pub struct BillingBody {
    #[schema(value_type = Text200)]
    pub legal_name: String,
    #[schema(value_type = Email)]
    pub billing_email: String,
    pub address: AddressBody,
    #[schema(value_type = Option<TaxId>)]
    pub tax_id: Option<String>,
}

/// A registration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Registration, example = json!({
    "name": "Tiket Nusantara",
    "contact_email": "ops@tiket.example",
    "billing": {
        "legal_name": "PT Tiket Nusantara",
        "billing_email": "billing@tiket.example",
        "address": { "line1": "Jl. Sudirman 1", "city": "Jakarta", "postal_code": "10220", "country": "ID" },
        "tax_id": "01.234.567.8-901.000"
    }
}))]
pub struct RegistrationBody {
    #[schema(value_type = Text200)]
    pub name: String,
    #[schema(value_type = Email)]
    pub contact_email: String,
    pub billing: BillingBody,
}

/// A change to the caller's account: any subset of the fields; `billing`
/// is replaced as a whole. `null` leaves a field as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AccountPatch, example = json!({ "name": "Tiket Nusantara Group" }))]
pub struct AccountPatchBody {
    #[schema(value_type = Option<Text200>)]
    pub name: Option<String>,
    #[schema(value_type = Option<Email>)]
    pub contact_email: Option<String>,
    pub billing: Option<BillingBody>,
}

/// The answer to a registration.
#[derive(Debug, ToSchema)]
#[schema(as = Registered)]
pub struct RegisteredDoc {
    pub reseller: crate::db::resellers::Reseller,
    /// The first API key; shown only here, once.
    #[schema(example = "rsk_live_3f9a...")]
    pub api_key: String,
}

/// A new API key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewApiKey, example = json!({ "name": "box office" }))]
pub struct NewApiKeyBody {
    #[schema(value_type = Text100)]
    pub name: String,
}

/// A created API key with its secret, shown only in this response.
#[derive(Debug, ToSchema)]
#[schema(as = CreatedApiKey)]
pub struct CreatedKeyDoc {
    #[schema(inline)]
    #[serde(flatten)]
    pub key: crate::db::api_keys::ApiKey,
    /// The secret; shown only here, once.
    pub api_key: String,
}

// ----------------------------------------------------------------- catalog

/// The statuses a new show may have.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NewShowStatus {
    Draft,
    Published,
}

/// A new show. Rules JSON Schema cannot state: `sales_start_at <
/// sales_end_at <= starts_at`, `starts_at` in the future and within five
/// years (400 naming the field); publishing needs an approved (`active`)
/// reseller (403 `reseller_pending`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewShow, example = json!({
    "name": "Jakarta Fair 2026",
    "venue": "JIExpo Kemayoran",
    "starts_at": "2026-12-20T12:00:00Z",
    "sales_start_at": "2026-12-01T00:00:00Z",
    "sales_end_at": "2026-12-20T10:00:00Z",
    "status": "draft"
}))]
pub struct NewShowBody {
    #[schema(value_type = Text200)]
    pub name: String,
    #[schema(value_type = Text200)]
    pub venue: String,
    pub starts_at: DateTime<Utc>,
    pub sales_start_at: DateTime<Utc>,
    pub sales_end_at: DateTime<Utc>,
    /// `draft` when absent.
    #[schema(inline)]
    pub status: Option<NewShowStatus>,
}

/// A change to a show: any subset of the fields (`null` leaves one as it
/// is). The schedule rules of a new show apply to the result (`starts_at`
/// must be in the future only when it changes); status moves are `draft ->
/// published | cancelled`, `published -> cancelled` (else 409
/// `invalid_status_change`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ShowPatch, example = json!({ "status": "published" }))]
pub struct ShowPatchBody {
    #[schema(value_type = Option<Text200>)]
    pub name: Option<String>,
    #[schema(value_type = Option<Text200>)]
    pub venue: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub sales_start_at: Option<DateTime<Utc>>,
    pub sales_end_at: Option<DateTime<Utc>>,
    #[schema(value_type = Option<domain::catalog::ShowStatus>)]
    pub status: Option<String>,
}

/// A new ticket type.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewTicketType, example = json!({
    "name": "VIP", "unit_price_minor": 150000000, "currency": "IDR", "capacity": 200
}))]
pub struct NewTicketTypeBody {
    #[schema(value_type = Text100)]
    pub name: String,
    /// In minor units of `currency`.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub unit_price_minor: i64,
    #[schema(value_type = CurrencyCode)]
    pub currency: String,
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub capacity: i64,
}

/// A change to a ticket type: any subset of the fields (`null` leaves one
/// as it is). `capacity` below `sold` is 409 `capacity_below_sold`; the
/// currency cannot change once tickets are sold (409 `currency_locked`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TicketTypePatch, example = json!({ "capacity": 250 }))]
pub struct TicketTypePatchBody {
    #[schema(value_type = Option<Text100>)]
    pub name: Option<String>,
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub unit_price_minor: Option<i64>,
    #[schema(value_type = Option<CurrencyCode>)]
    pub currency: Option<String>,
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub capacity: Option<i64>,
}

const _: () = assert!(MAX_PRICE_MINOR == 1_000_000_000_000 && MAX_CAPACITY == 10_000_000);

// ----------------------------------------------------------------- support

/// A new support ticket with its first message.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewSupportTicket, example = json!({
    "subject": "Refund for order 0193...",
    "category": "refund",
    "message": "The customer was charged twice."
}))]
pub struct NewTicketBody {
    #[schema(value_type = Text200)]
    pub subject: String,
    #[schema(value_type = domain::support::SupportCategory)]
    pub category: String,
    /// One of the caller's orders (400 `unknown_order` otherwise).
    pub order_id: Option<Uuid>,
    #[schema(value_type = MessageText)]
    pub message: String,
}

/// A message on a ticket.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewSupportMessage, example = json!({ "body": "Any news?" }))]
pub struct MessageBody {
    #[schema(value_type = MessageText)]
    pub body: String,
}

/// A message from the platform: from an admin (`admin_id`), or from the
/// platform itself (`admin_id` absent or null).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewAdminMessage, example = json!({
    "admin_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c90", "body": "We are on it."
}))]
pub struct AdminMessageBody {
    pub admin_id: Option<Uuid>,
    #[schema(value_type = MessageText)]
    pub body: String,
}

/// Assigns a ticket to an admin, or unassigns it with `null`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Assignment, example = json!({ "assignee_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c90" }))]
pub struct AssignmentBody {
    #[schema(required = true)]
    pub assignee_id: Option<Uuid>,
}

/// Resolves a ticket, optionally with a closing note (posted as a message
/// by `admin_id`, or by the platform). The body may be empty.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Resolution, example = json!({ "note": "Refunded.", "admin_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c90" }))]
pub struct ResolutionBody {
    #[schema(value_type = Option<NoteText>)]
    pub note: Option<String>,
    pub admin_id: Option<Uuid>,
}

/// A moderation reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Suspension, example = json!({ "reason": "Chargebacks above the agreed threshold." }))]
pub struct SuspensionBody {
    #[schema(value_type = Text500)]
    pub reason: String,
}

// ------------------------------------------------------------------ ingest

/// A sale event (contract section 4). Unknown fields are ignored.
#[derive(Debug, ToSchema)]
#[schema(as = SaleEvent)]
pub struct SaleEventDoc {
    pub event_id: Uuid,
    #[schema(rename = "type", value_type = domain::sale_event::EventType)]
    pub kind: String,
    /// At most 5 minutes in the future.
    pub occurred_at: DateTime<Utc>,
    pub reseller_id: Uuid,
    pub show_id: Uuid,
    pub order_id: Uuid,
    #[schema(pattern = "^[a-z0-9_]{1,32}$")]
    pub channel: String,
    #[schema(value_type = CurrencyCode)]
    pub currency: String,
    #[schema(min_items = 1, max_items = 50)]
    pub lines: Vec<SaleLineDoc>,
    /// At most 128 characters, no NUL.
    #[schema(max_length = 128, pattern = "^[^\\x00]*$")]
    pub customer_ref: Option<String>,
}

/// A line of a sale event.
#[derive(Debug, ToSchema)]
#[schema(as = SaleEventLine)]
pub struct SaleLineDoc {
    pub ticket_type_id: Uuid,
    #[schema(minimum = 1, maximum = 1000)]
    pub quantity: i64,
    #[schema(minimum = 0)]
    pub unit_price_minor: i64,
}

/// A batch of sale events. Each event is checked on its own: one that is
/// not a valid [`SaleEvent`] (or names an unknown reseller, show, ticket
/// type or currency) is answered `rejected` in `results` and quarantined,
/// and the rest of the batch is still applied, so any JSON value is
/// accepted as an event here. At most 5000 events (more: 413).
#[derive(Debug, ToSchema)]
#[schema(as = SaleEventBatch)]
pub struct BatchDoc {
    /// 1 to 5000 events, each normally a `SaleEvent`.
    #[schema(min_items = 1, value_type = Vec<Value>)]
    pub events: Vec<serde_json::Value>,
}

/// The statuses of an order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Created,
    Paid,
    PartiallyRefunded,
    Refunded,
    Cancelled,
    Expired,
}

/// The statuses of a quarantined event.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuarantineStatus {
    Open,
    Replayed,
}

/// What became of one event.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventOutcome {
    Accepted,
    Duplicate,
    Conflict,
    Rejected,
}

// ------------------------------------------------------------ query strings

/// A page cursor over ids (22 base64url characters).
pub const UUID_CURSOR: &str = "^(?:[A-Za-z0-9_-]{22})?$";

/// The query of `GET /v1/reports/sales`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SalesReportParams {
    /// Start (inclusive): an RFC 3339 instant or a `YYYY-MM-DD` date (local
    /// midnight in `tz`), on a 15-minute boundary. Must be before `to`.
    #[param(
        pattern = r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])(?:[Tt ](?:[01][0-9]|2[0-3]):(?:00|15|30|45):00(?:\.0+)?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):(?:00|15|30|45)))?$"
    )]
    pub from: String,
    /// End (exclusive), like `from`. The range covers at most 31 days for
    /// `15m`, 93 for `hour`, 1100 for `day`, 7320 otherwise.
    #[param(
        pattern = r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])(?:[Tt ](?:[01][0-9]|2[0-3]):(?:00|15|30|45):00(?:\.0+)?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):(?:00|15|30|45)))?$"
    )]
    pub to: String,
    /// An IANA time zone name the database knows, e.g. `Asia/Jakarta`;
    /// `UTC` when absent.
    #[param(
        pattern = r"^[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*$",
        max_length = 64
    )]
    pub tz: Option<String>,
    /// `day` when absent.
    #[param(inline)]
    pub granularity: Option<GranularityParam>,
    /// A comma list of `show`, `ticket_type`, `channel`.
    #[param(pattern = r"^(?:show|ticket_type|channel)(?:,(?:show|ticket_type|channel))*$")]
    pub group_by: Option<String>,
    pub show_id: Option<Uuid>,
    pub ticket_type_id: Option<Uuid>,
    #[param(pattern = "^[a-z0-9_]{1,32}$")]
    pub channel: Option<String>,
}

/// The query of `GET /v1/reports/sales/chart.svg`: that of the report, with
/// a time axis (`granularity` is not `none`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SalesChartParams {
    /// Like the report's `from`.
    #[param(
        pattern = r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])(?:[Tt ](?:[01][0-9]|2[0-3]):(?:00|15|30|45):00(?:\.0+)?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):(?:00|15|30|45)))?$"
    )]
    pub from: String,
    /// Like the report's `to`.
    #[param(
        pattern = r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])(?:[Tt ](?:[01][0-9]|2[0-3]):(?:00|15|30|45):00(?:\.0+)?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):(?:00|15|30|45)))?$"
    )]
    pub to: String,
    /// Like the report's `tz`.
    #[param(
        pattern = r"^[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*$",
        max_length = 64
    )]
    pub tz: Option<String>,
    /// `day` when absent.
    #[param(inline)]
    pub granularity: Option<ChartGranularity>,
    /// A comma list of `show`, `ticket_type`, `channel`.
    #[param(pattern = r"^(?:show|ticket_type|channel)(?:,(?:show|ticket_type|channel))*$")]
    pub group_by: Option<String>,
    pub show_id: Option<Uuid>,
    pub ticket_type_id: Option<Uuid>,
    #[param(pattern = "^[a-z0-9_]{1,32}$")]
    pub channel: Option<String>,
}

/// The size of a report's buckets.
#[derive(Debug, Deserialize, ToSchema)]
pub enum GranularityParam {
    #[serde(rename = "15m")]
    Minutes15,
    #[serde(rename = "hour")]
    Hour,
    #[serde(rename = "day")]
    Day,
    #[serde(rename = "week")]
    Week,
    #[serde(rename = "month")]
    Month,
    #[serde(rename = "none")]
    None,
}

/// The size of a chart's buckets.
#[derive(Debug, Deserialize, ToSchema)]
pub enum ChartGranularity {
    #[serde(rename = "15m")]
    Minutes15,
    #[serde(rename = "hour")]
    Hour,
    #[serde(rename = "day")]
    Day,
    #[serde(rename = "week")]
    Week,
    #[serde(rename = "month")]
    Month,
}

/// The query of `GET /internal/v1/reports/sales-overview`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OverviewParams {
    /// First day, `YYYY-MM-DD` (local in `tz`). Must be before `to`.
    #[param(pattern = r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$")]
    pub from: String,
    /// The day after the last, `YYYY-MM-DD`; at most 366 days after `from`.
    #[param(pattern = r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$")]
    pub to: String,
    /// Like the report's `tz`.
    #[param(
        pattern = r"^[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*$",
        max_length = 64
    )]
    pub tz: Option<String>,
    pub reseller_id: Option<Uuid>,
}

/// The query of a feed.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FeedParams {
    /// The `cursor` of the last entry read; absent to read from the start.
    #[param(pattern = "^(?:[A-Za-f][A-Za-z0-9_-]{10})?$")]
    pub after: Option<String>,
    /// Page size: 1 to 500, 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}
