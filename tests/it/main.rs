//! The integration tests of csms, one binary: the real server on port 0 with a database of its
//! own, driven by the simulator over real sockets; one module per feature.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod api_transactions;
mod business;
mod chargers;
mod commands;
mod data_transfer;
mod errata;
mod exactly_once;
mod fleet;
mod group_commit;
mod health;
mod helpers;
mod limits;
mod money_races;
mod open_files;
mod order_rules;
mod orders;
mod schemas;
mod simulated_sessions;
mod stations;
mod test_databases;
mod transactions;
mod transactions_201;
mod users;
