//! The integration tests of csms, one binary: the real server on port 0 with a database of its
//! own, driven by the simulator over real sockets; one module per feature.

#![allow(clippy::unwrap_used)]
// a test that cannot unwrap has failed
// The payment tests pay through the providers' sandboxes: built with the `sandbox` feature only
// (`cargo test --no-default-features` leaves them out, and the helpers only they use).
#![cfg_attr(not(feature = "sandbox"), allow(dead_code))]

mod alarm_kinds;
mod api_transactions;
mod audit;
mod business;
mod charger_tags;
mod chargers;
mod charging_limits;
mod charging_limits_mqtt;
mod cluster;
mod cluster_drain;
mod cluster_failover;
mod cluster_faults;
mod commands;
mod crash_fleet;
mod credit;
mod dashboard_browser;
mod data_transfer;
mod deploy_files;
mod errata;
mod exactly_once;
mod fleet;
mod group_commit;
mod health;
mod helpers;
mod limits;
mod live;
mod membership;
mod meter_faults;
mod metrics;
mod money_races;
mod monitoring;
mod mqtt_cluster;
mod mqtt_drivers;
mod mqtt_helpers;
mod mqtt_piles;
mod mqtt_tls;
#[cfg(feature = "sandbox")]
mod notify_listener;
mod open_files;
mod openapi;
mod operations_log;
mod order_guards;
mod order_recovery;
mod order_rules;
mod orders;
mod orders_201;
#[cfg(feature = "sandbox")]
mod payments_alipay;
mod payments_config;
#[cfg(feature = "sandbox")]
mod payments_currency;
#[cfg(feature = "sandbox")]
mod payments_flow;
#[cfg(feature = "sandbox")]
mod payments_notices;
#[cfg(feature = "sandbox")]
mod payments_rules;
#[cfg(feature = "sandbox")]
mod payments_unionpay;
#[cfg(feature = "sandbox")]
mod payments_wechat;
#[cfg(feature = "sandbox")]
mod payments_windows;
mod pile_qr;
#[cfg(feature = "sandbox")]
mod refunds_alipay;
#[cfg(feature = "sandbox")]
mod refunds_flow;
#[cfg(feature = "sandbox")]
mod refunds_unionpay;
#[cfg(feature = "sandbox")]
mod refunds_wechat;
mod reservations;
mod retention;
mod sample_partitions;
mod sample_storage;
mod sample_upgrade;
mod schemas;
mod settlement_races;
mod sign_out;
mod simulated_sessions;
mod staff_and_events;
mod stations;
mod stats;
mod stats_csv;
mod stats_rollup;
mod stats_seed;
mod tariff_preview;
mod test_databases;
mod transactions;
mod transactions_201;
mod users;
mod users_http;
