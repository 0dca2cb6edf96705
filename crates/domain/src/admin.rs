//! The rules of the admin side: roles and what each may do, passwords worth
//! accepting, high-traffic levels, and how much of an order may still be
//! refunded.

/// An admin's role. `viewer` reads only; `support` also works tickets and
/// refunds; `owner` does everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(rename_all = "lowercase"))]
pub enum AdminRole {
    Viewer,
    Support,
    Owner,
}

impl AdminRole {
    pub const ALL: [AdminRole; 3] = [Self::Viewer, Self::Support, Self::Owner];

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "viewer" => Some(Self::Viewer),
            "support" => Some(Self::Support),
            "owner" => Some(Self::Owner),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Support => "support",
            Self::Owner => "owner",
        }
    }

    /// Whether this role may use a route that needs `required`.
    pub fn satisfies(self, required: AdminRole) -> bool {
        self >= required
    }
}

/// Shortest and longest accepted password (OWASP ASVS: at least 12, allow
/// long pass-phrases; the upper bound keeps hashing cheap to refuse).
pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 128;

/// Checks a new password's length; any characters are allowed.
pub fn check_password(raw: &str) -> Result<(), (&'static str, String)> {
    let length = raw.chars().count();
    if length < PASSWORD_MIN_CHARS {
        Err((
            "too_short",
            format!("must have at least {PASSWORD_MIN_CHARS} characters"),
        ))
    } else if length > PASSWORD_MAX_CHARS {
        Err((
            "too_long",
            format!("must have at most {PASSWORD_MAX_CHARS} characters"),
        ))
    } else {
        Ok(())
    }
}

/// How much traffic a show is expected to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(rename_all = "lowercase"))]
pub enum TrafficLevel {
    Normal,
    High,
    Extreme,
}

impl TrafficLevel {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "normal" => Some(Self::Normal),
            "high" => Some(Self::High),
            "extreme" => Some(Self::Extreme),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::High => "high",
            Self::Extreme => "extreme",
        }
    }
}

/// What is known about an order's money when a refund is requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundLedger {
    /// `quantity * unit_price_minor` of its paid lines.
    pub paid_minor: i64,
    /// Refunds already reflected in the ingested events.
    pub refunded_minor: i64,
    /// Forced refunds the core service reported complete; their
    /// `order.refunded` events may not have arrived yet.
    pub completed_requests_minor: i64,
    /// Forced refunds still waiting for the core service.
    pub pending_requests_minor: i64,
}

impl RefundLedger {
    /// The most that may still be refunded. A completed request is either
    /// already in `refunded_minor` or about to be, so the larger of the two
    /// counts, never their sum.
    pub fn refundable_minor(&self) -> i64 {
        let settled = self.refunded_minor.max(self.completed_requests_minor);
        (self.paid_minor - settled - self.pending_requests_minor).max(0)
    }

    /// The amount of a new request: `requested` (all that is left when
    /// absent), refused when it is not positive or exceeds what is left.
    pub fn check_request(&self, requested: Option<i64>) -> Result<i64, RefundRefusal> {
        let left = self.refundable_minor();
        match requested {
            _ if left == 0 => Err(RefundRefusal::NothingLeft),
            None => Ok(left),
            Some(amount) if amount <= 0 => Err(RefundRefusal::NotPositive),
            Some(amount) if amount > left => Err(RefundRefusal::ExceedsRefundable { left }),
            Some(amount) => Ok(amount),
        }
    }
}

/// Why a refund request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundRefusal {
    NothingLeft,
    NotPositive,
    ExceedsRefundable { left: i64 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_by_what_they_may_do() {
        assert!(AdminRole::Owner.satisfies(AdminRole::Support));
        assert!(AdminRole::Support.satisfies(AdminRole::Viewer));
        assert!(!AdminRole::Support.satisfies(AdminRole::Owner));
        assert!(!AdminRole::Viewer.satisfies(AdminRole::Support));
        for role in AdminRole::ALL {
            assert_eq!(AdminRole::parse(role.as_str()), Some(role));
        }
        assert_eq!(AdminRole::parse("root"), None);
    }

    #[test]
    fn passwords_are_checked_by_length_in_characters() {
        assert!(check_password("short").is_err());
        assert!(check_password("ééééééééééé").is_err());
        assert!(check_password("éééééééééééé").is_ok());
        assert!(check_password(&"x".repeat(129)).is_err());
    }

    fn ledger(paid: i64, refunded: i64, completed: i64, pending: i64) -> RefundLedger {
        RefundLedger {
            paid_minor: paid,
            refunded_minor: refunded,
            completed_requests_minor: completed,
            pending_requests_minor: pending,
        }
    }

    #[test]
    fn a_refund_may_not_exceed_what_is_left() {
        let l = ledger(10_000, 2_000, 0, 3_000);
        assert_eq!(l.refundable_minor(), 5_000);
        assert_eq!(l.check_request(None), Ok(5_000));
        assert_eq!(l.check_request(Some(5_000)), Ok(5_000));
        assert_eq!(
            l.check_request(Some(5_001)),
            Err(RefundRefusal::ExceedsRefundable { left: 5_000 })
        );
        assert_eq!(l.check_request(Some(0)), Err(RefundRefusal::NotPositive));
        assert_eq!(l.check_request(Some(-1)), Err(RefundRefusal::NotPositive));
    }

    #[test]
    fn a_completed_request_is_not_counted_twice_once_its_event_arrives() {
        // Completed for 4,000; the order.refunded event has not arrived yet.
        assert_eq!(ledger(10_000, 0, 4_000, 0).refundable_minor(), 6_000);
        // It has arrived: refunded_minor now holds the same 4,000.
        assert_eq!(ledger(10_000, 4_000, 4_000, 0).refundable_minor(), 6_000);
    }

    #[test]
    fn a_fully_refunded_order_has_nothing_left() {
        let l = ledger(10_000, 10_000, 0, 0);
        assert_eq!(l.check_request(None), Err(RefundRefusal::NothingLeft));
        assert_eq!(l.check_request(Some(1)), Err(RefundRefusal::NothingLeft));
    }
}
