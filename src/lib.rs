//! csms: an OCPP 1.6J / 2.0.1 central system with a charging business behind it.
//!
//! charger ─WebSocket─▶ `hub` (upgrade, session per connection) ─▶ `protocol` (frame, schema,
//! typed message) ─▶ `ocpp` (per-version translation) ─▶ `domain` (the business) ─▶ `store`.

pub mod api;
pub mod cluster;
pub mod config;
pub mod data_transfer;
#[cfg(feature = "demo")]
pub mod demo;
pub mod domain;
pub mod http_client;
pub mod hub;
pub mod kv;
pub mod metrics;
pub mod mqtt;
mod ocpp;
pub mod probe;
pub mod providers;
pub mod startup;
pub mod store;

/// The charger and charging areas at their earlier paths.
pub use domain::{chargers, charging};
