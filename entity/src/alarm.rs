//! `alarms`: raised → acknowledged → cleared; `active_key` is unique while active.

use sea_orm::entity::prelude::*;

/// An alarm.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alarms")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The pile it concerns; none for a platform alarm (`ledger_mismatch`).
    pub charger_id: Option<String>,
    /// `over_temperature`, `voltage`, `offline`, `fault`, `meter_anomaly`, `ledger_mismatch` or
    /// `refund_abnormal`.
    pub kind: String,
    /// `high` or `medium`.
    pub level: String,
    /// `raised`, `acknowledged` or `cleared`.
    pub status: String,
    pub message: String,
    pub value: Option<String>,
    /// `<charger>/<kind>` while active, NULL once cleared.
    #[sea_orm(unique)]
    pub active_key: Option<String>,
    pub raised_at: DateTimeUtc,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub acknowledged_by: Option<String>,
    pub cleared_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
