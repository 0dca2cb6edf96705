//! The format of reseller API keys: `rsk_` + 30 random base62 characters
//! (about 178 bits) + a 6-character base62 CRC-32 of those 30. The prefix
//! lets secret scanners recognise a leaked key; the checksum lets us reject
//! a mistyped key without a database lookup. Only a SHA-256 of the whole key
//! is ever stored.

/// The recognisable prefix of every key.
pub const PREFIX: &str = "rsk_";
const BODY_LEN: usize = 30;
const CHECK_LEN: usize = 6;
/// Total length of a key.
pub const KEY_LEN: usize = PREFIX.len() + BODY_LEN + CHECK_LEN;
const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A well-formed API key (format and checksum checked; not yet known to
/// exist).
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeySecret(String);

impl std::fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKeySecret({}…)", self.display_prefix())
    }
}

/// Why a presented key was refused before any lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyFormatError {
    #[error("not a reseller API key (expected the rsk_ prefix)")]
    Prefix,
    #[error("an API key has exactly {KEY_LEN} characters")]
    Length,
    #[error("an API key contains only letters and digits after its prefix")]
    Characters,
    #[error("the API key's checksum does not match: it was mistyped or truncated")]
    Checksum,
}

impl ApiKeySecret {
    /// Builds a key from random bytes (the caller supplies them, so this
    /// crate stays free of I/O). Bytes are mapped to base62 by rejection
    /// sampling, so every character is uniform.
    pub fn from_random(random: &[u8; 64]) -> Self {
        let mut body = String::with_capacity(BODY_LEN);
        for &byte in random.iter() {
            if body.len() == BODY_LEN {
                break;
            }
            // 248 = 4 * 62: values above would bias the low characters.
            if byte < 248 {
                body.push(ALPHABET[usize::from(byte % 62)] as char);
            }
        }
        // 64 bytes yield 30 accepted ones except with negligible probability;
        // should it happen, fill deterministically from the bytes again.
        let mut i = 0;
        while body.len() < BODY_LEN {
            body.push(ALPHABET[usize::from(random[i % 64] % 62)] as char);
            i += 1;
        }
        let check = base62_fixed(crc32(body.as_bytes()));
        Self(format!("{PREFIX}{body}{check}"))
    }

    pub fn parse(raw: &str) -> Result<Self, KeyFormatError> {
        let rest = raw.strip_prefix(PREFIX).ok_or(KeyFormatError::Prefix)?;
        if raw.len() != KEY_LEN {
            return Err(KeyFormatError::Length);
        }
        if !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(KeyFormatError::Characters);
        }
        let (body, check) = rest.split_at(BODY_LEN);
        if base62_fixed(crc32(body.as_bytes())) != check {
            return Err(KeyFormatError::Checksum);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The whole key, for showing once and hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `rsk_` and the first 6 characters: enough to tell keys apart in a
    /// list, far too little to guess the rest.
    pub fn display_prefix(&self) -> &str {
        &self.0[..PREFIX.len() + 6]
    }
}

fn base62_fixed(mut value: u32) -> String {
    let mut out = [b'0'; CHECK_LEN];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(value % 62) as usize];
        value /= 62;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// CRC-32 (IEEE 802.3), bitwise: keys are short and this runs once per
/// request.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> ApiKeySecret {
        let mut random = [0u8; 64];
        for (i, b) in random.iter_mut().enumerate() {
            *b = seed
                .wrapping_mul(31)
                .wrapping_add((i as u8).wrapping_mul(7));
        }
        ApiKeySecret::from_random(&random)
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn generated_keys_have_the_format_and_parse_back() {
        let k = key(1);
        assert_eq!(k.expose().len(), KEY_LEN);
        assert!(k.expose().starts_with("rsk_"));
        assert_eq!(ApiKeySecret::parse(k.expose()).unwrap(), k);
        assert_eq!(k.display_prefix().len(), 10);
        assert!(!format!("{k:?}").contains(&k.expose()[10..]));
    }

    #[test]
    fn a_single_typo_is_caught_by_the_checksum() {
        let k = key(2);
        let s = k.expose();
        for position in PREFIX.len()..KEY_LEN {
            let mut bytes = s.as_bytes().to_vec();
            bytes[position] = if bytes[position] == b'a' { b'b' } else { b'a' };
            let typo = String::from_utf8(bytes).unwrap();
            assert_eq!(
                ApiKeySecret::parse(&typo),
                Err(KeyFormatError::Checksum),
                "{typo}"
            );
        }
    }

    #[test]
    fn malformed_keys_are_refused_by_kind() {
        let k = key(3);
        assert_eq!(
            ApiKeySecret::parse("sk_live_x"),
            Err(KeyFormatError::Prefix)
        );
        assert_eq!(
            ApiKeySecret::parse(&k.expose()[..KEY_LEN - 1]),
            Err(KeyFormatError::Length)
        );
        let mut bad = k.expose().to_owned();
        bad.replace_range(5..6, "-");
        assert_eq!(ApiKeySecret::parse(&bad), Err(KeyFormatError::Characters));
    }
}
