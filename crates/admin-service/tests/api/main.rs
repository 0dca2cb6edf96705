//! The integration tests of admin-service: one binary, one module per area.

mod smoke;
