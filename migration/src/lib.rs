//! sea-orm migrations of csms, one `mYYYYMMDD_NNNNNN_<verb>_<noun>` module per change, each with
//! `down()`. Kept apart from `entity` (DESIGN: the two preludes together break `ColumnDef::new`).

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_create_chargers;
mod m20261125_000002_create_operation_log;
mod m20261125_000003_create_transactions;
mod m20261125_000004_create_ocpp_messages;
mod m20261201_000005_record_transaction_events;
mod m20261201_000006_make_samples_unique;
mod m20261201_000007_create_users;
mod m20261202_000008_create_stations;
mod m20261202_000009_create_orders;
mod m20261203_000010_create_provider_calls;
mod m20261204_000011_create_alarms;
mod m20261204_000012_index_stats;
mod m20261205_000013_index_stats_by_pile;
mod m20261206_000014_review_orders;
mod m20261206_000015_follow_refunds;
mod m20261206_000016_keep_bill_revisions;
mod m20261206_000017_audit_money;
mod m20261206_000018_share_between_nodes;
mod m20261206_000019_compact_samples;
mod m20261206_000020_roll_up_stats;
mod m20261207_000021_count_stats_later;
mod m20261207_000022_refuse_in_statements;
mod m20261207_000023_add_pile_protocol;
mod m20261207_000024_add_charging_limits;
mod m20261207_000025_create_reservations;
mod m20261207_000026_add_membership;
mod m20261208_000027_index_operation_log;
mod m20261208_000028_add_token_version;

/// Every migration, in order.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_chargers::Migration),
            Box::new(m20261125_000002_create_operation_log::Migration),
            Box::new(m20261125_000003_create_transactions::Migration),
            Box::new(m20261125_000004_create_ocpp_messages::Migration),
            Box::new(m20261201_000005_record_transaction_events::Migration),
            Box::new(m20261201_000006_make_samples_unique::Migration),
            Box::new(m20261201_000007_create_users::Migration),
            Box::new(m20261202_000008_create_stations::Migration),
            Box::new(m20261202_000009_create_orders::Migration),
            Box::new(m20261203_000010_create_provider_calls::Migration),
            Box::new(m20261204_000011_create_alarms::Migration),
            Box::new(m20261204_000012_index_stats::Migration),
            Box::new(m20261205_000013_index_stats_by_pile::Migration),
            Box::new(m20261206_000014_review_orders::Migration),
            Box::new(m20261206_000015_follow_refunds::Migration),
            Box::new(m20261206_000016_keep_bill_revisions::Migration),
            Box::new(m20261206_000017_audit_money::Migration),
            Box::new(m20261206_000018_share_between_nodes::Migration),
            Box::new(m20261206_000019_compact_samples::Migration),
            Box::new(m20261206_000020_roll_up_stats::Migration),
            Box::new(m20261207_000021_count_stats_later::Migration),
            Box::new(m20261207_000022_refuse_in_statements::Migration),
            Box::new(m20261207_000023_add_pile_protocol::Migration),
            Box::new(m20261207_000024_add_charging_limits::Migration),
            Box::new(m20261207_000025_create_reservations::Migration),
            Box::new(m20261207_000026_add_membership::Migration),
            Box::new(m20261208_000027_index_operation_log::Migration),
            Box::new(m20261208_000028_add_token_version::Migration),
        ]
    }
}
