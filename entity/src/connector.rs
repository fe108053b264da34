//! `connectors`: the current status of each connector (1.6: evse 0, connector = connectorId;
//! 2.0.1: the EVSE and the connector within it).

use sea_orm::entity::prelude::*;

/// A connector's current status.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "connectors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub charger_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub evse_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub connector_id: i32,
    /// The status as the charger spells it (`Available`, `Charging`, `Occupied`…).
    pub status: String,
    /// 1.6's error code (`NoError`, `GroundFailure`…).
    pub error_code: Option<String>,
    pub info: Option<String>,
    pub vendor_id: Option<String>,
    pub vendor_error_code: Option<String>,
    /// When the charger says the status began.
    pub status_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// The charger is `charger_id` (a foreign key with cascade, in the migration); no relation is
/// declared, so that the two entities do not name each other.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
