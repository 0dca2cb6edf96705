//! The integration tests of reseller-service: one binary, one module per area.

#![allow(clippy::unwrap_used)] // tests state their expectations with unwrap

mod smoke;
