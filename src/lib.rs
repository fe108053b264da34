//! csms: an OCPP 1.6J / 2.0.1 central system with a charging business behind it.
//!
//! charger ─WebSocket─▶ `hub` (upgrade, session per connection) ─▶ `protocol` (frame, schema,
//! typed message) ─▶ `ocpp` (per-version translation) ─▶ `chargers` (business) ─▶ `store`.

pub mod api;
pub mod chargers;
pub mod charging;
pub mod config;
pub mod data_transfer;
pub mod hub;
pub mod live;
mod ocpp;
pub mod startup;
pub mod store;
