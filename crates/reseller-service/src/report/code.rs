//! A report row's currency as three bytes: a report has one row per bucket,
//! key and currency (an hourly report by ticket type, thousands), and a
//! `String` each was an allocation and a free per row. Every stored
//! currency came through `domain::currency::Currency::parse` (ticket types
//! have a check constraint, events are checked against their ticket type),
//! so three capitals is all a stored one can be; anything else is a decode
//! error rather than a silently different report.

use std::fmt;

use sqlx::{
    postgres::{PgTypeInfo, PgValueRef},
    Decode, Postgres, Type,
};

/// An ISO 4217 code as stored: three ASCII capitals.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CurrencyCode([u8; 3]);

impl CurrencyCode {
    /// The code, when `s` is three ASCII capitals.
    pub fn new(s: &str) -> Option<Self> {
        match s.as_bytes() {
            &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_uppercase) => Some(Self([a, b, c])),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &str {
        // Three ASCII capitals (`new` is the only constructor).
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl fmt::Display for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Type<Postgres> for CurrencyCode {
    fn type_info() -> PgTypeInfo {
        <&str as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <&str as Type<Postgres>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Postgres> for CurrencyCode {
    fn decode(value: PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let s = <&str as Decode<Postgres>>::decode(value)?;
        Self::new(s).ok_or_else(|| format!("stored currency {s:?} is not three capitals").into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_three_capitals_are_a_code() {
        assert_eq!(
            CurrencyCode::new("IDR").map(|c| c.to_string()),
            Some("IDR".into())
        );
        for bad in ["", "ID", "IDRX", "idr", "ÉUR", "I R"] {
            assert_eq!(CurrencyCode::new(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn codes_order_as_their_text() {
        let mut codes: Vec<_> = ["USD", "EUR", "IDR", "AED"]
            .into_iter()
            .filter_map(CurrencyCode::new)
            .collect();
        codes.sort();
        let text: Vec<_> = codes.iter().map(CurrencyCode::as_str).collect();
        assert_eq!(text, ["AED", "EUR", "IDR", "USD"]);
    }
}
