//! The integration tests of admin-service: one binary, one module per area.

#![allow(clippy::unwrap_used)] // tests state their expectations with unwrap

mod audit;
mod helpers;
mod matrix;
mod metrics;
mod openapi;
mod refunds;
mod sessions;
mod smoke;
mod validation;
mod workflows;
