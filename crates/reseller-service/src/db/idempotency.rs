//! Where reseller-service keeps Idempotency-Key records (see
//! `platform::idempotency` for the scheme). The nil UUID scopes the public
//! registration endpoint.

use platform::idempotency::KeyStore;

pub const STORE: KeyStore = KeyStore {
    table: "reseller.idempotency_keys",
    scope_column: "reseller_id",
};
