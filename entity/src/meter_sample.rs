//! `meter_samples`: every sampled value chargers report, units normalised (kWh → Wh, kW → W).

use sea_orm::entity::prelude::*;

/// One sampled value.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "meter_samples")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub transaction_id: Option<i64>,
    pub charger_id: String,
    pub evse_id: i32,
    pub connector_id: i32,
    pub sampled_at: DateTimeUtc,
    pub measurand: String,
    pub phase: Option<String>,
    pub context: String,
    pub location: String,
    pub unit: String,
    /// Exact decimal text in `unit`, or the raw text of a signed value.
    pub value: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
