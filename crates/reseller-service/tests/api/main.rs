//! The integration tests of reseller-service: one binary, one module per area.

mod smoke;
