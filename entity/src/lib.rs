//! sea-orm entities of csms, one file per table (the tables are made by the `migration` crate).

pub mod alarm;
pub mod charger;
pub mod charger_event;
pub mod cluster_lease;
pub mod cluster_node;
pub mod connector;
pub mod id_tag;
pub mod ledger_entry;
pub mod member_level;
pub mod membership_run;
pub mod meter_sample;
pub mod ocpp_message;
pub mod operation_log;
pub mod order;
pub mod payment;
pub mod provider_call;
pub mod refund;
pub mod reservation;
pub mod station;
pub mod status_history;
pub mod tariff;
pub mod transaction;
pub mod transaction_event;
pub mod user;
