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
            .is_some_and(|r| r.chars().count() > MAX_CUSTOMER_REF)
        {
            return Err(Rejection::new(
                "invalid_customer_ref",
                format!("customer_ref has at most {MAX_CUSTOMER_REF} characters"),
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

/// One stored event of an order, as the projection needs it.
#[derive(Debug, Clone)]
pub struct OrderEvent {
    pub event_id: Uuid,
    pub kind: EventType,
    pub occurred_at: DateTime<Utc>,
    pub show_id: Uuid,
    pub channel: String,
    pub currency: String,
    pub lines: Vec<Line>,
}

/// The projection of one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderSummary {
    pub show_id: Uuid,
    pub channel: String,
    pub currency: String,
    pub status: &'static str,
    pub tickets: i64,
    pub gross_minor: i64,
    pub refunded_tickets: i64,
    pub refunded_minor: i64,
    /// When the order was created: its `order.created` event, else its
    /// earliest event.
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub first_event_at: DateTime<Utc>,
    pub last_event_at: DateTime<Utc>,
    pub event_count: i32,
}

/// Summarises all events of one order. The result depends only on the set
/// of events: show, channel and currency come from the earliest event (ties
/// broken by event id), totals are sums, the status follows [`order_status`].
pub fn summarize_order(events: &[OrderEvent]) -> Option<OrderSummary> {
    let first = events.iter().min_by_key(|e| (e.occurred_at, e.event_id))?;
    let mut facts = OrderFacts::default();
    let (mut gross, mut refunded_minor) = (0i64, 0i64);
    for e in events {
        let quantity: i64 = e.lines.iter().map(|l| l.quantity).sum();
        let amount: i64 = e
            .lines
            .iter()
            .map(Line::amount_minor)
            .fold(0, i64::saturating_add);
        match e.kind {
            EventType::Paid => {
                facts.paid = true;
                facts.tickets_paid += quantity;
                gross = gross.saturating_add(amount);
            }
            EventType::Refunded => {
                facts.tickets_refunded += quantity;
                refunded_minor = refunded_minor.saturating_add(amount);
            }
            EventType::Cancelled => facts.cancelled = true,
            EventType::Expired => facts.expired = true,
            EventType::Created => {}
        }
    }
    let at = |kind| {
        events
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.occurred_at)
            .min()
    };
    Some(OrderSummary {
        show_id: first.show_id,
        channel: first.channel.clone(),
        currency: first.currency.clone(),
        status: order_status(facts),
        tickets: facts.tickets_paid,
        gross_minor: gross,
        refunded_tickets: facts.tickets_refunded,
        refunded_minor,
        created_at: at(EventType::Created).unwrap_or(first.occurred_at),
        paid_at: at(EventType::Paid),
        first_event_at: first.occurred_at,
        last_event_at: events
            .iter()
            .map(|e| e.occurred_at)
            .max()
            .unwrap_or(first.occurred_at),
        event_count: i32::try_from(events.len()).unwrap_or(i32::MAX),
    })
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
    fn an_order_summary_does_not_depend_on_event_order() {
        let t0 = now();
        let line = |q| Line {
            ticket_type_id: Uuid::nil(),
            quantity: q,
            unit_price_minor: 100,
        };
        let ev = |n: u128, kind, minutes, lines: Vec<Line>| OrderEvent {
            event_id: Uuid::from_u128(n),
            kind,
            occurred_at: t0 + Duration::minutes(minutes),
            show_id: Uuid::nil(),
            channel: "web".into(),
            currency: "IDR".into(),
            lines,
        };
        let events = vec![
            ev(1, EventType::Created, 0, vec![line(3)]),
            ev(2, EventType::Paid, 5, vec![line(3)]),
            ev(3, EventType::Refunded, 60, vec![line(1)]),
        ];
        let forward = summarize_order(&events).unwrap();
        let mut reversed = events.clone();
        reversed.reverse();
        assert_eq!(summarize_order(&reversed).unwrap(), forward);
        assert_eq!(forward.status, "partially_refunded");
        assert_eq!((forward.tickets, forward.gross_minor), (3, 300));
        assert_eq!((forward.refunded_tickets, forward.refunded_minor), (1, 100));
        assert_eq!(forward.paid_at, Some(t0 + Duration::minutes(5)));
        // Refund first, payment missing: the refund is kept.
        let early = summarize_order(&events[2..]).unwrap();
        assert_eq!((early.status, early.refunded_tickets), ("created", 1));
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
