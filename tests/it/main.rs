//! The integration tests of csms, one binary: the real server on port 0 with a database of its
//! own, driven by the simulator over real sockets; one module per feature.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod api_transactions;
mod business;
mod chargers;
mod commands;
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
mod meter_faults;
mod metrics;
mod money_races;
mod monitoring;
mod notify_listener;
mod open_files;
mod openapi;
mod order_guards;
mod order_recovery;
mod order_rules;
mod orders;
mod orders_201;
mod payments_alipay;
mod payments_config;
mod payments_currency;
mod payments_flow;
mod payments_notices;
mod payments_rules;
mod payments_unionpay;
mod payments_wechat;
mod payments_windows;
mod refunds_alipay;
mod refunds_flow;
mod refunds_unionpay;
mod refunds_wechat;
mod retention;
mod schemas;
mod simulated_sessions;
mod staff_and_events;
mod stations;
mod stats;
mod stats_seed;
mod test_databases;
mod transactions;
mod transactions_201;
mod users;
mod users_http;
