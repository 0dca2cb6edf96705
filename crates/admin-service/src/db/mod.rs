//! The SQL of admin-service, as free functions over `&mut PgConnection` so
//! they compose inside one transaction (a change and its audit row commit
//! together or not at all). Every statement is schema-qualified.

pub mod admins;

/// Where Idempotency-Key records are kept, per admin.
pub const IDEMPOTENCY: platform::idempotency::KeyStore = platform::idempotency::KeyStore {
    table: "admin.idempotency_keys",
    scope_column: "admin_id",
};

pub mod audit;
pub mod notices;
pub mod refunds;
pub mod sessions;
pub mod traffic;
