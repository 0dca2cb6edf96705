//! Bounded, trimmed free text (names, venues, addresses) and e-mail
//! addresses.

use serde::{Deserialize, Serialize};

/// Trims `raw` and checks it has between `min` and `max` characters and no
/// control characters. `max` also bounds `raw` as sent, white space
/// included, so that it is exactly a JSON Schema `maxLength`.
pub fn bounded(raw: &str, min: usize, max: usize) -> Result<String, (&'static str, String)> {
    if raw.chars().count() > max {
        return Err(("too_long", format!("must have at most {max} characters")));
    }
    let value = raw.trim();
    let length = value.chars().count();
    if length < min {
        return Err(if min == 1 {
            ("required", "must not be empty".to_owned())
        } else {
            ("too_short", format!("must have at least {min} characters"))
        });
    }
    if length > max {
        return Err(("too_long", format!("must have at most {max} characters")));
    }
    if value.chars().any(char::is_control) {
        return Err((
            "invalid_characters",
            "must not contain control characters".to_owned(),
        ));
    }
    Ok(value.to_owned())
}

/// Like [`bounded`], for text of several lines (messages, notes): line
/// breaks and tabs are allowed, other control characters are not.
pub fn multiline(raw: &str, min: usize, max: usize) -> Result<String, (&'static str, String)> {
    let flat: String = raw
        .chars()
        .map(|c| {
            if matches!(c, '\n' | '\r' | '\t') {
                ' '
            } else {
                c
            }
        })
        .collect();
    bounded(&flat, min, max)?;
    Ok(raw.trim().to_owned())
}

/// An e-mail address: one `@`, a non-empty local part, a domain with a dot
/// and no empty labels, at most 254 characters. Stored as given (trimmed);
/// compared without regard to case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, (&'static str, String)> {
        let value = raw.trim();
        let invalid = || {
            (
                "invalid_email",
                "must be an e-mail address such as name@example.com".to_owned(),
            )
        };
        if value.is_empty() {
            return Err(("required", "must not be empty".to_owned()));
        }
        if value.len() > 254 || raw.chars().count() > 254 {
            return Err(("too_long", "must have at most 254 characters".to_owned()));
        }
        let (local, domain) = value.split_once('@').ok_or_else(invalid)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && local
                .chars()
                .all(|c| c.is_ascii_graphic() && c != '@' && c != '"');
        let domain_ok = domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
        if local_ok && domain_ok {
            Ok(Self(value.to_owned()))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_text_is_trimmed_and_checked() {
        assert_eq!(bounded("  Jakarta Fair ", 1, 20).unwrap(), "Jakarta Fair");
        assert_eq!(bounded("   ", 1, 20).unwrap_err().0, "required");
        assert_eq!(bounded("abc", 1, 2).unwrap_err().0, "too_long");
        // The limit counts what was sent, padding included.
        assert_eq!(bounded(" ab ", 1, 3).unwrap_err().0, "too_long");
        assert_eq!(
            bounded("a\u{0}b", 1, 20).unwrap_err().0,
            "invalid_characters"
        );
        // Characters, not bytes.
        assert!(bounded("ééé", 1, 3).is_ok());
    }

    #[test]
    fn multiline_text_keeps_line_breaks_but_not_other_controls() {
        assert_eq!(multiline(" a\r\nb\tc\n", 1, 20).unwrap(), "a\r\nb\tc");
        assert_eq!(multiline(" \n ", 1, 20).unwrap_err().0, "required");
        assert_eq!(
            multiline("a\u{0}b", 1, 20).unwrap_err().0,
            "invalid_characters"
        );
        assert_eq!(multiline("ab\ncd", 1, 4).unwrap_err().0, "too_long");
    }

    #[test]
    fn email_addresses_are_checked() {
        for ok in ["a@b.co", "first.last+tag@sub.example.com", " x@y.id "] {
            assert!(EmailAddress::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "plain",
            "@b.co",
            "a@b",
            "a@.co",
            "a@b..co",
            "a b@c.co",
            "a@-b.co",
            "a@b.co@d.co",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
    }
}
