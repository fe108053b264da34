//! The business: one folder per area, each owning its types and its rules. Services here call
//! the store to persist; the API and the OCPP handlers call these, never the store.

pub mod audit;
pub mod chargers;
pub mod charging;
pub mod events;
pub mod ids;
pub mod ledger;
pub mod membership;
pub mod monitoring;
pub mod nodes;
pub mod order_status;
pub mod orders;
pub mod payments;
pub mod reservations;
pub mod stations;
pub mod stats;
pub mod storage;
pub(crate) mod stored_text;
pub mod tariffs;
pub mod units;
pub mod users;
pub mod writes;
