//! Ticket-sale events from the core order service (contract section 4):
//! structural validation, and the arithmetic every projection of them uses.
//!
//! Validation here needs no database: catalog references (reseller, show,
//! ticket types, currency) are checked by the service against its tables.

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::currency::Currency;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EventType {
    #[serde(rename = "order.created")]
    Created,
    #[serde(rename = "order.paid")]
    Paid,
    #[serde(rename = "order.cancelled")]
    Cancelled,
    #[serde(rename = "order.expired")]
    Expired,
    #[serde(rename = "order.refunded")]
    Refunded,
}

impl EventType {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "order.created" => Some(Self::Created),
            "order.paid" => Some(Self::Paid),
            "order.cancelled" => Some(Self::Cancelled),
            "order.expired" => Some(Self::Expired),
            "order.refunded" => Some(Self::Refunded),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "order.created",
            Self::Paid => "order.paid",
            Self::Cancelled => "order.cancelled",
            Self::Expired => "order.expired",
            Self::Refunded => "order.refunded",
        }
    }
}

/// An event as sent. Unknown fields are ignored: a producer adding a field
/// must not get its sales quarantined.
#[derive(Debug, Clone, Deserialize)]
pub struct SaleEventInput {
    pub event_id: Uuid,
    #[serde(rename = "type")]
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub reseller_id: Uuid,
    pub show_id: Uuid,
    pub order_id: Uuid,
    pub channel: String,
    pub currency: String,
    pub lines: Vec<LineInput>,
    pub customer_ref: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LineInput {
    pub ticket_type_id: Uuid,
    pub quantity: i64,
    pub unit_price_minor: i64,
}

/// A structurally valid event. Its serialisation is canonical (fixed field
/// order, UTC instants), so a hash of it tells a duplicate from a conflict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SaleEvent {
    pub event_id: Uuid,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub occurred_at: DateTime<Utc>,
    pub reseller_id: Uuid,
    pub show_id: Uuid,
    pub order_id: Uuid,
    pub channel: String,
    pub currency: Currency,
    pub lines: Vec<Line>,
    pub customer_ref: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub ticket_type_id: Uuid,
    pub quantity: i64,
    pub unit_price_minor: i64,
}

impl Line {
    pub fn amount_minor(&self) -> i64 {
        self.quantity.saturating_mul(self.unit_price_minor)
    }
}

/// Why an event was rejected: a stable code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub code: &'static str,
    pub message: String,
}

impl Rejection {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

pub const MAX_LINES: usize = 50;
pub const MAX_QUANTITY: i64 = 1000;
pub const MAX_CUSTOMER_REF: usize = 128;
pub const MAX_CHANNEL: usize = 32;
/// How far in the future `occurred_at` may be (clock skew).
pub const FUTURE_TOLERANCE_MINUTES: i64 = 5;

impl SaleEvent {
    /// Structural validation against the contract's limits.
    pub fn validate(input: SaleEventInput, now: DateTime<Utc>) -> Result<Self, Rejection> {
        let kind = EventType::parse(&input.kind).ok_or_else(|| {
            Rejection::new(
                "invalid_type",
                "type must be one of order.created, order.paid, order.cancelled, order.expired, order.refunded",
            )
        })?;
        let channel_ok = (1..=MAX_CHANNEL).contains(&input.channel.len())
            && input
                .channel
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !channel_ok {
            return Err(Rejection::new(
                "invalid_channel",
                "channel must be 1 to 32 characters of [a-z0-9_]",
            ));
        }
        let currency = Currency::parse(&input.currency).map_err(|_| {
            Rejection::new(
                "invalid_currency",
                "currency must be an active ISO 4217 code",
            )
        })?;
        if input.lines.is_empty() || input.lines.len() > MAX_LINES {
            return Err(Rejection::new(
                "invalid_lines",
                format!("an event has 1 to {MAX_LINES} lines"),
            ));
        }
        for (i, line) in input.lines.iter().enumerate() {
            if !(1..=MAX_QUANTITY).contains(&line.quantity) {
                return Err(Rejection::new(
                    "invalid_quantity",
                    format!("lines[{i}].quantity must be between 1 and {MAX_QUANTITY}"),
                ));
            }
            if line.unit_price_minor < 0 {
                return Err(Rejection::new(
                    "invalid_price",
                    format!("lines[{i}].unit_price_minor must be 0 or more"),
                ));
            }
        }
        if input
            .customer_ref
            .as_ref()
            .is_some_and(|r| r.chars().count() > MAX_CUSTOMER_REF || r.contains('\0'))
        {
            return Err(Rejection::new(
                "invalid_customer_ref",
                format!("customer_ref has at most {MAX_CUSTOMER_REF} characters and no NUL"),
            ));
        }
        if input.occurred_at > now + Duration::minutes(FUTURE_TOLERANCE_MINUTES) {
            return Err(Rejection::new(
                "occurred_in_future",
                format!(
                    "occurred_at is more than {FUTURE_TOLERANCE_MINUTES} minutes in the future"
                ),
            ));
        }
        Ok(Self {
            event_id: input.event_id,
            kind,
            occurred_at: input.occurred_at,
            reseller_id: input.reseller_id,
            show_id: input.show_id,
            order_id: input.order_id,
            channel: input.channel,
            currency,
            lines: input
                .lines
                .iter()
                .map(|l| Line {
                    ticket_type_id: l.ticket_type_id,
                    quantity: l.quantity,
                    unit_price_minor: l.unit_price_minor,
                })
                .collect(),
            customer_ref: input.customer_ref,
        })
    }
}

/// The start of the 15-minute UTC bucket holding `at`.
pub fn bucket_15m(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(Duration::minutes(15)).unwrap_or(at)
}

/// What an order's events say, whatever the order they arrived in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrderFacts {
    pub paid: bool,
    pub cancelled: bool,
    pub expired: bool,
    pub tickets_paid: i64,
    pub tickets_refunded: i64,
}

/// The status of an order, as a function of the *set* of its events, so it
/// converges whatever the arrival order. Precedence: money moved wins
/// (`refunded` when every paid ticket was refunded, `partially_refunded`,
/// `paid`), then `cancelled`, `expired`, and `created`. A refund that
/// arrives before its payment is kept and counted, and the status follows
/// once the payment arrives.
pub fn order_status(facts: OrderFacts) -> &'static str {
    if facts.paid {
        if facts.tickets_refunded > 0 && facts.tickets_refunded >= facts.tickets_paid {
            "refunded"
        } else if facts.tickets_refunded > 0 {
            "partially_refunded"
        } else {
            "paid"
        }
    } else if facts.cancelled {
        "cancelled"
    } else if facts.expired {
        "expired"
    } else {
        "created"
    }
}

/// What some events of one order contribute to its projection. Deltas
/// merge commutatively and associatively, so the projection is the same
/// whatever the order in which events (or batches) arrive, and concurrent
/// batches need no lock beyond the order's row. The database upsert mirrors
/// [`OrderDelta::merge`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderDelta {
    /// The earliest event (ties broken by event id) names the order's show,
    /// channel and currency.
    pub first_event_at: DateTime<Utc>,
    pub first_event_id: Uuid,
    pub show_id: Uuid,
    pub channel: String,
    pub currency: String,
    pub paid: bool,
    pub cancelled: bool,
    pub expired: bool,
    pub tickets: i64,
    pub gross_minor: i64,
    pub refunded_tickets: i64,
    pub refunded_minor: i64,
    pub created_event_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
    pub last_event_at: DateTime<Utc>,
    pub event_count: i32,
}

fn earliest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl OrderDelta {
    /// The contribution of one event.
    pub fn of(e: &SaleEvent) -> Self {
        let quantity: i64 = e.lines.iter().map(|l| l.quantity).sum();
        let amount = e
            .lines
            .iter()
            .map(Line::amount_minor)
            .fold(0i64, i64::saturating_add);
        let (paid, refunded) = (e.kind == EventType::Paid, e.kind == EventType::Refunded);
        Self {
            first_event_at: e.occurred_at,
            first_event_id: e.event_id,
            show_id: e.show_id,
            channel: e.channel.clone(),
            currency: e.currency.to_string(),
            paid,
            cancelled: e.kind == EventType::Cancelled,
            expired: e.kind == EventType::Expired,
            tickets: if paid { quantity } else { 0 },
            gross_minor: if paid { amount } else { 0 },
            refunded_tickets: if refunded { quantity } else { 0 },
            refunded_minor: if refunded { amount } else { 0 },
            created_event_at: (e.kind == EventType::Created).then_some(e.occurred_at),
            paid_at: paid.then_some(e.occurred_at),
            last_event_at: e.occurred_at,
            event_count: 1,
        }
    }

    /// Folds `other` in.
    pub fn merge(&mut self, other: &Self) {
        if (other.first_event_at, other.first_event_id) < (self.first_event_at, self.first_event_id)
        {
            self.first_event_at = other.first_event_at;
            self.first_event_id = other.first_event_id;
            self.show_id = other.show_id;
            self.channel.clone_from(&other.channel);
            self.currency.clone_from(&other.currency);
        }
        self.paid |= other.paid;
        self.cancelled |= other.cancelled;
        self.expired |= other.expired;
        self.tickets += other.tickets;
        self.gross_minor = self.gross_minor.saturating_add(other.gross_minor);
        self.refunded_tickets += other.refunded_tickets;
        self.refunded_minor = self.refunded_minor.saturating_add(other.refunded_minor);
        self.created_event_at = earliest(self.created_event_at, other.created_event_at);
        self.paid_at = earliest(self.paid_at, other.paid_at);
        self.last_event_at = self.last_event_at.max(other.last_event_at);
        self.event_count += other.event_count;
    }

    pub fn status(&self) -> &'static str {
        order_status(OrderFacts {
            paid: self.paid,
            cancelled: self.cancelled,
            expired: self.expired,
            tickets_paid: self.tickets,
            tickets_refunded: self.refunded_tickets,
        })
    }

    /// When the order was created: its `order.created` event, else its
    /// earliest event.
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_event_at.unwrap_or(self.first_event_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SaleEventInput {
        SaleEventInput {
            event_id: Uuid::nil(),
            kind: "order.paid".into(),
            occurred_at: DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
            reseller_id: Uuid::nil(),
            show_id: Uuid::nil(),
            order_id: Uuid::nil(),
            channel: "web".into(),
            currency: "IDR".into(),
            lines: vec![LineInput {
                ticket_type_id: Uuid::nil(),
                quantity: 2,
                unit_price_minor: 150_000,
            }],
            customer_ref: None,
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000, 0).unwrap()
    }

    #[test]
    fn a_valid_event_passes() {
        let event = SaleEvent::validate(input(), now()).unwrap();
        assert_eq!(event.kind, EventType::Paid);
        assert_eq!(event.lines[0].amount_minor(), 300_000);
    }

    #[test]
    fn each_limit_has_its_code() {
        type Mutation = Box<dyn Fn(&mut SaleEventInput)>;
        let cases: Vec<(Mutation, &str)> = vec![
            (
                Box::new(|e| e.kind = "order.shipped".into()),
                "invalid_type",
            ),
            (Box::new(|e| e.channel = "Web".into()), "invalid_channel"),
            (Box::new(|e| e.channel = String::new()), "invalid_channel"),
            (Box::new(|e| e.channel = "x".repeat(33)), "invalid_channel"),
            (
                Box::new(|e| e.currency = "RUPIAH".into()),
                "invalid_currency",
            ),
            (Box::new(|e| e.lines.clear()), "invalid_lines"),
            (
                Box::new(|e| e.lines = vec![e.lines[0].clone(); 51]),
                "invalid_lines",
            ),
            (Box::new(|e| e.lines[0].quantity = 0), "invalid_quantity"),
            (Box::new(|e| e.lines[0].quantity = 1001), "invalid_quantity"),
            (
                Box::new(|e| e.lines[0].unit_price_minor = -1),
                "invalid_price",
            ),
            (
                Box::new(|e| e.customer_ref = Some("x".repeat(129))),
                "invalid_customer_ref",
            ),
            (
                // PostgreSQL text cannot hold NUL.
                Box::new(|e| e.customer_ref = Some("a\0b".into())),
                "invalid_customer_ref",
            ),
            (
                Box::new(|e| e.occurred_at = now() + Duration::minutes(6)),
                "occurred_in_future",
            ),
        ];
        for (mutate, code) in cases {
            let mut e = input();
            mutate(&mut e);
            assert_eq!(SaleEvent::validate(e, now()).unwrap_err().code, code);
        }
        let mut e = input();
        e.occurred_at = now() + Duration::minutes(4);
        assert!(SaleEvent::validate(e, now()).is_ok());
    }

    #[test]
    fn buckets_are_15_minutes_in_utc() {
        let t = DateTime::parse_from_rfc3339("2026-11-25T10:29:59+07:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(bucket_15m(t).to_rfc3339(), "2026-11-25T03:15:00+00:00");
    }

    #[test]
    fn order_deltas_merge_to_the_same_projection_in_any_order() {
        let t0 = now();
        let event = |n: u128, kind: &str, minutes: i64, quantity: i64| {
            let mut e = input();
            e.event_id = Uuid::from_u128(n);
            e.kind = kind.into();
            e.occurred_at = t0 + Duration::minutes(minutes);
            e.lines[0].quantity = quantity;
            e.lines[0].unit_price_minor = 100;
            SaleEvent::validate(e, t0 + Duration::days(1)).unwrap()
        };
        let events = [
            event(1, "order.created", 0, 3),
            event(2, "order.paid", 5, 3),
            event(3, "order.refunded", 60, 1),
            event(4, "order.refunded", 90, 2),
        ];
        let fold = |order: &[usize]| {
            let mut delta = OrderDelta::of(&events[order[0]]);
            for &i in &order[1..] {
                delta.merge(&OrderDelta::of(&events[i]));
            }
            delta
        };
        let forward = fold(&[0, 1, 2, 3]);
        for order in [[3, 2, 1, 0], [2, 0, 3, 1], [1, 3, 0, 2]] {
            assert_eq!(fold(&order), forward);
        }
        assert_eq!(forward.status(), "refunded");
        assert_eq!(
            (forward.tickets, forward.gross_minor, forward.refunded_minor),
            (3, 300, 300)
        );
        assert_eq!(forward.created_at(), t0);
        assert_eq!(forward.first_event_id, Uuid::from_u128(1));
        // A refund seen before its payment: kept, and the status waits.
        let early = fold(&[2]);
        assert_eq!((early.status(), early.refunded_tickets), ("created", 1));
        let partial = fold(&[2, 1]);
        assert_eq!(partial.status(), "partially_refunded");
    }

    #[test]
    fn status_precedence_is_independent_of_arrival() {
        let f = |paid, cancelled, expired, tickets_paid, tickets_refunded| OrderFacts {
            paid,
            cancelled,
            expired,
            tickets_paid,
            tickets_refunded,
        };
        assert_eq!(order_status(f(false, false, false, 0, 0)), "created");
        assert_eq!(order_status(f(false, false, true, 0, 0)), "expired");
        assert_eq!(order_status(f(false, true, true, 0, 0)), "cancelled");
        assert_eq!(order_status(f(true, true, false, 2, 0)), "paid");
        assert_eq!(
            order_status(f(true, false, false, 4, 1)),
            "partially_refunded"
        );
        assert_eq!(order_status(f(true, false, false, 4, 4)), "refunded");
        // A refund seen before its payment: not lost, and the status waits.
        assert_eq!(order_status(f(false, false, false, 0, 2)), "created");
    }
}
