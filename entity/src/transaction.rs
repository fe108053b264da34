//! `transactions`: charging sessions as the chargers report them.

use sea_orm::entity::prelude::*;

/// A charging transaction.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "transactions")]
pub struct Model {
    /// Ours; the transactionId of OCPP 1.6.
    #[sea_orm(primary_key)]
    pub id: i64,
    pub charger_id: String,
    pub evse_id: i32,
    pub connector_id: i32,
    /// OCPP 2.0.1's transactionId, chosen by the charger.
    pub charger_transaction_id: Option<String>,
    pub id_tag: Option<String>,
    pub started_at: DateTimeUtc,
    pub meter_start_wh: Option<i64>,
    pub stopped_at: Option<DateTimeUtc>,
    pub meter_stop_wh: Option<i64>,
    /// meter stop − meter start, once both are known.
    pub energy_wh: Option<i64>,
    pub stop_reason: Option<String>,
    /// `Active`, `Completed` or `Stale` (closed by a newer start on its connector).
    pub status: String,
    /// The highest 2.0.1 seqNo applied.
    pub last_seq_no: Option<i32>,
    /// Some of its events happened while the charger was offline (2.0.1 `offline`).
    pub offline: bool,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
