//! The charger simulator: `SimCharger` speaks OCPP 1.6J or 2.0.1 to a CSMS over a real
//! WebSocket. It is the client of every integration test (and, with fleets and scenarios, the
//! load generator); `drivers` plays app users running whole charging orders over the REST API,
//! `nearby` loads the station search, `nodes` follows a fleet across csms nodes, and `crash`
//! kills csms under a fleet mid-session and checks that every order is billed once and right;
//! `mqtt` plays the piles that speak JSON over MQTT through a broker.

mod charger;
pub mod cpu;
pub mod crash;
pub mod drivers;
pub mod fleet;
pub mod http;
pub mod messages;
pub mod mqtt;
pub mod nearby;
pub mod nodes;
mod responder;
mod session;
pub mod sse;

pub use charger::{Connect, ReplayCount, SimCharger, SimError};
pub use responder::KeyStore;
pub use session::{SessionPlan, SessionReport};
