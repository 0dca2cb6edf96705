//! Password hashing with Argon2id at the OWASP minimum (m = 19 MiB, t = 2,
//! p = 1), in PHC string form so the parameters travel with each hash and can
//! be raised later. Hashing is CPU-bound, so it runs on the blocking pool.

use argon2::{
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};

use tokio::sync::Semaphore;

use crate::ApiError;

/// Hashes computed at once. Each takes 19 MiB and a core for tens of
/// milliseconds; a flood of logins waits here (up to the request timeout)
/// instead of exhausting memory.
const CONCURRENT_HASHES: usize = 4;
static HASHING: Semaphore = Semaphore::const_new(CONCURRENT_HASHES);

async fn on_blocking_pool<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let _permit = HASHING
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
}

fn hasher() -> Argon2<'static> {
    // The parameters are constants known to be valid.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes `password` with a fresh random salt.
pub async fn hash(password: String) -> Result<String, ApiError> {
    on_blocking_pool(move || {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| ApiError::Internal(e.to_string()))?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| ApiError::Internal(e.to_string()))?;
        hasher()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| ApiError::Internal(e.to_string()))
    })
    .await
}

/// A valid hash of a password nobody knows: verified against when the e-mail
/// is unknown, so that answer takes as long as a wrong password.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2Qm2jOjmb9Ka3rM8wC9XtAnIh1NpqsQqIBAzQ3kVG3A";

/// Whether `password` matches `stored` (or, with no stored hash, spends the
/// same time and answers false).
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, ApiError> {
    on_blocking_pool(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let parsed = PasswordHash::new(&stored)
            .map_err(|e| ApiError::Internal(format!("stored hash: {e}")))?;
        let matches = hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(known && matches)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only_and_names_argon2id() {
        let stored = hash("correct horse battery".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery".into(), Some(stored.clone()))
            .await
            .unwrap());
        assert!(!verify("wrong horse battery".into(), Some(stored))
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() {
        assert!(!verify("anything at all".into(), None).await.unwrap());
    }
}
