//! `ocpp_messages`: frames exchanged with chargers, as sent.

use sea_orm::entity::prelude::*;

/// One logged frame.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ocpp_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    pub charger_id: String,
    /// `in` (from the charger) or `out` (to it).
    pub direction: String,
    /// `CALL`, `CALLRESULT`, `CALLERROR`, or `INVALID` for what was not a frame.
    pub message_type: String,
    pub message_id: Option<String>,
    pub action: Option<String>,
    pub frame: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
