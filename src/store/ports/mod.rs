//! The store as each domain area's persistence port (see `domain::<area>::port`).

mod audit;
mod chargers;
mod charging;
mod ledger;
mod monitoring;
mod orders;
mod payments;
mod stations;
mod stats;
mod users;
