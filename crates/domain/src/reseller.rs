//! Resellers: registration input and the status lifecycle
//! `pending -> active -> suspended -> active`, driven by platform admins.

use serde::{Deserialize, Serialize};

use crate::{
    billing::{Billing, BillingInput},
    text::{self, EmailAddress},
    Violations,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ResellerStatus {
    /// Registered; may set up shows but not publish them.
    Pending,
    Active,
    /// Refused on every authenticated route.
    Suspended,
}

impl ResellerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Suspended => "suspended",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(Self::Pending),
            "active" => Some(Self::Active),
            "suspended" => Some(Self::Suspended),
            _ => None,
        }
    }
}

/// An admin's moderation decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moderation {
    Approve,
    Suspend,
    Reactivate,
}

impl Moderation {
    /// The status after this decision, or `None` when it does not apply to
    /// `from` (approving an active reseller, reactivating a pending one).
    pub fn apply(self, from: ResellerStatus) -> Option<ResellerStatus> {
        use ResellerStatus::*;
        match (self, from) {
            (Self::Approve, Pending) => Some(Active),
            (Self::Suspend, Pending | Active) => Some(Suspended),
            (Self::Reactivate, Suspended) => Some(Active),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Suspend => "suspend",
            Self::Reactivate => "reactivate",
        }
    }
}

/// Registration as sent by a client.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationInput {
    pub name: Option<String>,
    pub contact_email: Option<String>,
    pub billing: Option<BillingInput>,
}

/// A validated registration.
#[derive(Debug, Clone)]
pub struct Registration {
    pub name: String,
    pub contact_email: EmailAddress,
    pub billing: Billing,
}

pub fn parse_name(raw: &str) -> Result<String, (&'static str, String)> {
    text::bounded(raw, 1, 200)
}

impl Registration {
    pub fn parse(input: &RegistrationInput) -> Result<Self, Violations> {
        let mut v = Violations::new();
        let name = match &input.name {
            Some(s) => v.check("name", parse_name(s)),
            None => {
                v.add("name", "required", "is required");
                None
            }
        };
        let contact_email = match &input.contact_email {
            Some(s) => v.check("contact_email", EmailAddress::parse(s)),
            None => {
                v.add("contact_email", "required", "is required");
                None
            }
        };
        let billing = match &input.billing {
            Some(b) => match Billing::parse(b) {
                Ok(b) => Some(b),
                Err(inner) => {
                    v.nest("billing", inner);
                    None
                }
            },
            None => {
                v.add("billing", "required", "is required");
                None
            }
        };
        match (name, contact_email, billing) {
            (Some(name), Some(contact_email), Some(billing)) if v.is_empty() => Ok(Self {
                name,
                contact_email,
                billing,
            }),
            _ => Err(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ResellerStatus::*;

    #[test]
    fn moderation_follows_the_lifecycle() {
        assert_eq!(Moderation::Approve.apply(Pending), Some(Active));
        assert_eq!(Moderation::Suspend.apply(Active), Some(Suspended));
        assert_eq!(Moderation::Suspend.apply(Pending), Some(Suspended));
        assert_eq!(Moderation::Reactivate.apply(Suspended), Some(Active));
        assert_eq!(Moderation::Approve.apply(Active), None);
        assert_eq!(Moderation::Approve.apply(Suspended), None);
        assert_eq!(Moderation::Reactivate.apply(Pending), None);
        assert_eq!(Moderation::Suspend.apply(Suspended), None);
    }

    #[test]
    fn an_empty_registration_reports_every_top_level_field() {
        let fields: Vec<String> = Registration::parse(&RegistrationInput::default())
            .unwrap_err()
            .0
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(fields, ["name", "contact_email", "billing"]);
    }
}
