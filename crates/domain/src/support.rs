//! Support tickets: a reseller's conversation with the platform's admins.
//!
//! A ticket is `open` until an admin resolves it; a reseller writing on a
//! resolved ticket reopens it (the problem is evidently not solved), while an
//! admin's or the platform's message leaves the status alone (a refund
//! notice must not reopen what an admin just resolved).

use serde::{Deserialize, Serialize};

use crate::text;

/// What a ticket is about, chosen by the reseller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SupportCategory {
    Refund,
    Complaint,
    Technical,
    Billing,
    Other,
}

impl SupportCategory {
    pub const ALL: [Self; 5] = [
        Self::Refund,
        Self::Complaint,
        Self::Technical,
        Self::Billing,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Refund => "refund",
            Self::Complaint => "complaint",
            Self::Technical => "technical",
            Self::Billing => "billing",
            Self::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, (&'static str, String)> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == raw)
            .ok_or_else(|| {
                (
                    "invalid_choice",
                    "must be one of refund, complaint, technical, billing, other".to_owned(),
                )
            })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Open,
    Resolved,
}

impl TicketStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Resolved => "resolved",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "open" => Some(Self::Open),
            "resolved" => Some(Self::Resolved),
            _ => None,
        }
    }

    /// The status after an admin resolves the ticket; `None` when it is
    /// already resolved.
    pub fn resolve(self) -> Option<Self> {
        match self {
            Self::Open => Some(Self::Resolved),
            Self::Resolved => None,
        }
    }

    /// The status after a message by `author`.
    pub fn after_message(self, author: MessageAuthor) -> Self {
        match author {
            MessageAuthor::Reseller => Self::Open,
            MessageAuthor::Admin | MessageAuthor::Platform => self,
        }
    }
}

/// Who wrote a message: the reseller, a named admin, or the platform itself
/// (a system notice such as the result of a refund).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MessageAuthor {
    Reseller,
    Admin,
    Platform,
}

impl MessageAuthor {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reseller => "reseller",
            Self::Admin => "admin",
            Self::Platform => "platform",
        }
    }
}

pub const MAX_SUBJECT_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 10_000;
pub const MAX_NOTE_CHARS: usize = 2_000;

/// A ticket's subject: one line of 1 to 200 characters.
pub fn parse_subject(raw: &str) -> Result<String, (&'static str, String)> {
    text::bounded(raw, 1, MAX_SUBJECT_CHARS)
}

/// A message body: 1 to 10,000 characters, line breaks and tabs allowed.
pub fn parse_body(raw: &str) -> Result<String, (&'static str, String)> {
    text::multiline(raw, 1, MAX_BODY_CHARS)
}

/// The note an admin may leave when resolving: 1 to 2,000 characters.
pub fn parse_note(raw: &str) -> Result<String, (&'static str, String)> {
    text::multiline(raw, 1, MAX_NOTE_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_round_trip_and_unknown_ones_are_refused() {
        for c in SupportCategory::ALL {
            assert_eq!(SupportCategory::parse(c.as_str()), Ok(c));
        }
        assert_eq!(
            SupportCategory::parse("Refund").unwrap_err().0,
            "invalid_choice"
        );
    }

    #[test]
    fn only_an_open_ticket_can_be_resolved() {
        assert_eq!(TicketStatus::Open.resolve(), Some(TicketStatus::Resolved));
        assert_eq!(TicketStatus::Resolved.resolve(), None);
    }

    #[test]
    fn only_the_reseller_reopens_a_resolved_ticket() {
        use MessageAuthor::*;
        let resolved = TicketStatus::Resolved;
        assert_eq!(resolved.after_message(Reseller), TicketStatus::Open);
        assert_eq!(resolved.after_message(Admin), resolved);
        assert_eq!(resolved.after_message(Platform), resolved);
        assert_eq!(TicketStatus::Open.after_message(Admin), TicketStatus::Open);
    }

    #[test]
    fn bodies_keep_their_lines_and_are_bounded() {
        assert_eq!(
            parse_body(" line 1\n\tline 2 ").unwrap(),
            "line 1\n\tline 2"
        );
        assert_eq!(parse_body("").unwrap_err().0, "required");
        assert_eq!(
            parse_body(&"x".repeat(MAX_BODY_CHARS + 1)).unwrap_err().0,
            "too_long"
        );
        assert_eq!(parse_subject("a\nb").unwrap_err().0, "invalid_characters");
        assert_eq!(parse_note("a\u{7}b").unwrap_err().0, "invalid_characters");
    }
}
