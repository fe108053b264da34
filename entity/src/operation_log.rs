//! `operation_log`: every command sent to a charger, who sent it, and what came of it.

use sea_orm::entity::prelude::*;

/// One command and its outcome.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "operation_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    pub actor: String,
    pub charger_id: String,
    pub action: String,
    pub payload: Json,
    /// `Answered`, `CallError`, `Timeout`, `Offline`, `Invalid`, `QueueFull`, `Disconnected`.
    pub outcome: String,
    /// The charger's response payload, when it answered.
    pub response: Option<Json>,
    pub error: Option<String>,
    pub duration_ms: i32,
    /// The csms node the command was sent from.
    pub node: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
