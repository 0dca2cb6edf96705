//! Shows and ticket types: the rules that keep the catalog (the source of
//! truth for ticket stock) consistent.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::{currency::Currency, text, Violations};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ShowStatus {
    Draft,
    Published,
    Cancelled,
}

impl ShowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "draft" => Some(Self::Draft),
            "published" => Some(Self::Published),
            "cancelled" => Some(Self::Cancelled),
            _ => None,
        }
    }

    /// Allowed moves: draft to published or cancelled, published to
    /// cancelled. A cancelled show stays cancelled; a published one cannot go
    /// back to draft (tickets may have been sold).
    pub fn can_become(self, to: Self) -> bool {
        use ShowStatus::*;
        self == to
            || matches!(
                (self, to),
                (Draft, Published) | (Draft, Cancelled) | (Published, Cancelled)
            )
    }
}

/// How far ahead a show may be scheduled.
pub const MAX_SCHEDULE_AHEAD_DAYS: i64 = 5 * 366;

/// A show's schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub starts_at: DateTime<Utc>,
    pub sales_start_at: DateTime<Utc>,
    pub sales_end_at: DateTime<Utc>,
}

impl Schedule {
    /// Checks the schedule: sales open before they close, close no later than
    /// the show starts, and the show starts within five years. When
    /// `starts_at_changed`, the show must also start in the future.
    pub fn check(&self, now: DateTime<Utc>, starts_at_changed: bool) -> Violations {
        let mut v = Violations::new();
        if self.sales_end_at <= self.sales_start_at {
            v.add(
                "sales_end_at",
                "before_sales_start",
                "must be after sales_start_at",
            );
        }
        if self.sales_end_at > self.starts_at {
            v.add(
                "sales_end_at",
                "after_show_start",
                "must not be after starts_at",
            );
        }
        if starts_at_changed && self.starts_at <= now {
            v.add("starts_at", "in_the_past", "must be in the future");
        }
        if self.starts_at > now + Duration::days(MAX_SCHEDULE_AHEAD_DAYS) {
            v.add("starts_at", "too_far_ahead", "must be within five years");
        }
        v
    }
}

pub fn parse_show_name(raw: &str) -> Result<String, (&'static str, String)> {
    text::bounded(raw, 1, 200)
}

pub fn parse_venue(raw: &str) -> Result<String, (&'static str, String)> {
    text::bounded(raw, 1, 200)
}

pub fn parse_ticket_type_name(raw: &str) -> Result<String, (&'static str, String)> {
    text::bounded(raw, 1, 100)
}

/// The largest price we accept, in minor units (a sanity bound, not a
/// business rule: 10^12 minor units).
pub const MAX_PRICE_MINOR: i64 = 1_000_000_000_000;
/// The largest capacity of one ticket type.
pub const MAX_CAPACITY: i64 = 10_000_000;

pub fn check_price(price: i64) -> Result<i64, (&'static str, String)> {
    if price < 0 {
        Err(("negative", "must be 0 or more".to_owned()))
    } else if price > MAX_PRICE_MINOR {
        Err(("too_large", format!("must be at most {MAX_PRICE_MINOR}")))
    } else {
        Ok(price)
    }
}

pub fn check_capacity(capacity: i64) -> Result<i64, (&'static str, String)> {
    if capacity < 0 {
        Err(("negative", "must be 0 or more".to_owned()))
    } else if capacity > MAX_CAPACITY {
        Err(("too_large", format!("must be at most {MAX_CAPACITY}")))
    } else {
        Ok(capacity)
    }
}

pub fn parse_currency(raw: &str) -> Result<Currency, (&'static str, String)> {
    Currency::parse(raw)
}

/// Capacity may never drop below what is already sold.
pub fn capacity_covers_sold(capacity: i64, sold: i64) -> bool {
    capacity >= sold
}

/// Tickets still for sale; never negative, even if the core service
/// oversold.
pub fn available(capacity: i64, sold: i64) -> i64 {
    (capacity - sold).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(days: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000, 0).unwrap() + Duration::days(days)
    }

    #[test]
    fn a_sensible_schedule_passes() {
        let s = Schedule {
            starts_at: at(30),
            sales_start_at: at(1),
            sales_end_at: at(30),
        };
        assert!(s.check(at(0), true).is_empty());
    }

    #[test]
    fn schedule_rules_are_reported_by_field() {
        let s = Schedule {
            starts_at: at(-1),
            sales_start_at: at(5),
            sales_end_at: at(2),
        };
        let codes: Vec<&str> = s.check(at(0), true).0.iter().map(|v| v.code).collect();
        assert_eq!(
            codes,
            ["before_sales_start", "after_show_start", "in_the_past"]
        );
        let far = Schedule {
            starts_at: at(MAX_SCHEDULE_AHEAD_DAYS + 1),
            sales_start_at: at(1),
            sales_end_at: at(2),
        };
        assert_eq!(far.check(at(0), true).0[0].code, "too_far_ahead");
    }

    #[test]
    fn a_past_start_is_fine_when_it_did_not_change() {
        let s = Schedule {
            starts_at: at(-1),
            sales_start_at: at(-5),
            sales_end_at: at(-2),
        };
        assert!(s.check(at(0), false).is_empty());
    }

    #[test]
    fn status_moves_are_one_way() {
        use ShowStatus::*;
        assert!(Draft.can_become(Published));
        assert!(Published.can_become(Cancelled));
        assert!(!Published.can_become(Draft));
        assert!(!Cancelled.can_become(Published));
        assert!(Cancelled.can_become(Cancelled));
    }

    #[test]
    fn stock_arithmetic() {
        assert!(capacity_covers_sold(10, 10));
        assert!(!capacity_covers_sold(9, 10));
        assert_eq!(available(10, 3), 7);
        assert_eq!(available(10, 12), 0);
        assert!(check_price(-1).is_err());
        assert!(check_capacity(MAX_CAPACITY + 1).is_err());
    }
}
