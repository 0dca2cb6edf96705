//! The integration tests of reseller-service: one binary, one module per area.

#![allow(clippy::unwrap_used)] // tests state their expectations with unwrap

mod accounts;
mod api_keys;
mod catalog;
mod catalog_feed;
mod database_errors;
mod helpers;
mod idempotency;
mod ingest;
mod ingest_property;
mod internal_reads;
mod metrics;
mod migrations;
mod openapi;
mod replica;
mod reports;
mod reports_property;
mod secrets;
mod smoke;
mod support_tickets;
mod tenancy;
