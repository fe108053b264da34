//! `transaction_events`: the OCPP 2.0.1 TransactionEvents applied to a transaction, each once.

use sea_orm::entity::prelude::*;

/// One applied TransactionEvent.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "transaction_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub transaction_id: i64,
    pub seq_no: i32,
    /// `Started`, `Updated` or `Ended`.
    pub event_type: String,
    /// Why the charger sent it (`triggerReason`: Authorized, MeterValuePeriodic, RemoteStop, …).
    pub trigger_reason: String,
    /// When it happened, by the charger's clock.
    pub at: DateTimeUtc,
    /// It happened while the charger was offline.
    pub offline: bool,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
