//! Pure domain types of the ticketing back office: identifiers, validated
//! values and the rules between them. No I/O, no framework: handlers parse raw
//! input into these types at the edge, and everything past the edge can rely
//! on them being valid.

pub mod admin;
pub mod api_key;
pub mod billing;
pub mod catalog;
pub mod currency;
pub mod reseller;
pub mod sale_event;
pub mod support;
pub mod text;
pub mod violation;

pub use violation::{Violation, Violations};
