//! `status_history`: every status a connector reported, in order.

use sea_orm::entity::prelude::*;

/// One reported status.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "status_history")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub charger_id: String,
    pub evse_id: i32,
    pub connector_id: i32,
    pub status: String,
    pub error_code: Option<String>,
    pub info: Option<String>,
    pub vendor_error_code: Option<String>,
    /// When the charger says the status began.
    pub status_at: DateTimeUtc,
    /// When csms received it.
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
