//! Meldpunt's domain: the rules of incident management for Dutch school boards.
//!
//! Pure Rust without I/O, async or framework types. Time comes in as a value;
//! nothing in here reads a clock, a database or the network.

pub mod audit;
pub mod auth;
pub mod breach;
pub mod calendar;
pub mod ids;
pub mod incident;
pub mod lifecycle;
pub mod priority;
pub mod report;
pub mod sla;
pub mod validation;

pub use jiff::Timestamp;
