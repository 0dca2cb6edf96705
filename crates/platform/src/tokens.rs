//! Sets of static bearer tokens (`INGEST_TOKENS`, `CORE_TOKENS`,
//! `INTERNAL_TOKEN`, `METRICS_TOKEN`). Only SHA-256 digests are kept in memory
//! and they are compared in constant time, so neither a timing side channel
//! nor a memory dump reveals a token.

use sha2::{Digest, Sha256};

/// Accepted tokens, held as digests.
#[derive(Clone)]
pub struct TokenSet {
    digests: Vec<[u8; 32]>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenSet({} tokens)", self.digests.len())
    }
}

/// The shortest token we accept: anything shorter is guessable.
pub const MIN_TOKEN_LEN: usize = 16;

impl TokenSet {
    /// Parses a comma-separated list; each token must be at least
    /// [`MIN_TOKEN_LEN`] visible ASCII characters.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut digests = Vec::new();
        for token in raw.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if token.len() < MIN_TOKEN_LEN {
                return Err(format!(
                    "every token must be at least {MIN_TOKEN_LEN} characters long"
                ));
            }
            if !token.bytes().all(|b| b.is_ascii_graphic()) {
                return Err("tokens may contain only visible ASCII characters".into());
            }
            digests.push(digest(token));
        }
        if digests.is_empty() {
            return Err("no token in the list".into());
        }
        Ok(Self { digests })
    }

    /// Whether `candidate` is one of the tokens. Every stored digest is
    /// compared, so the time taken does not depend on which one matched.
    pub fn contains(&self, candidate: &str) -> bool {
        let d = digest(candidate);
        self.digests
            .iter()
            .fold(false, |found, known| found | constant_time_eq(known, &d))
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Compares two equal-length byte strings without an early exit.
pub fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A new random token: 32 bytes from the OS, hex-encoded.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    // The OS random source failing is not something a caller can recover from.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut bytes).expect("the OS random number generator is unavailable");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_listed_tokens_and_refuses_others() {
        let set = TokenSet::parse("aaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbb").unwrap();
        assert!(set.contains("aaaaaaaaaaaaaaaa"));
        assert!(set.contains("bbbbbbbbbbbbbbbb"));
        assert!(!set.contains("cccccccccccccccc"));
        assert!(!set.contains(""));
    }

    #[test]
    fn refuses_short_or_empty_lists() {
        assert!(TokenSet::parse("short").is_err());
        assert!(TokenSet::parse(" , ").is_err());
    }

    #[test]
    fn debug_output_never_shows_tokens() {
        let set = TokenSet::parse("aaaaaaaaaaaaaaaa").unwrap();
        assert_eq!(format!("{set:?}"), "TokenSet(1 tokens)");
    }

    #[test]
    fn generated_tokens_are_long_and_distinct() {
        let (a, b) = (generate(), generate());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
