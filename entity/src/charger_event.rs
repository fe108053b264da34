//! `charger_events`: what chargers report that is not a status or a transaction (firmware and
//! diagnostics progress, security events, device-model reports, data transfers).

use sea_orm::entity::prelude::*;

/// One reported event, kept as the charger sent it.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "charger_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub charger_id: String,
    /// The action that reported it, e.g. `FirmwareStatusNotification`.
    pub kind: String,
    pub payload: Json,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
