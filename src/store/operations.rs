//! The operation log: every command sent to a charger and its outcome.

use super::{Store, StoreError};
use crate::domain::chargers::records::OperationRecord;
use entity::operation_log;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

impl Store {
    /// Appends to the operation log. What came from a charger or a URL is kept as it was, but a
    /// NUL character, which PostgreSQL refuses, becomes U+FFFD.
    pub async fn log_operation(&self, record: OperationRecord) -> Result<(), StoreError> {
        let row = operation_row(record);
        let _turn = self.write_turn().await;
        operation_log::Entity::insert(row).exec_without_returning(self.db()).await?;
        Ok(())
    }

    /// The operations sent to a charger, newest first.
    pub async fn operations(&self, charger_id: &str) -> Result<Vec<operation_log::Model>, StoreError> {
        Ok(operation_log::Entity::find()
            .filter(operation_log::Column::ChargerId.eq(charger_id))
            .order_by_desc(operation_log::Column::Id)
            .all(self.db())
            .await?)
    }
}

/// The operation log's row of `record` (see `Store::log_operation`).
pub(super) fn operation_row(record: OperationRecord) -> operation_log::ActiveModel {
    operation_log::ActiveModel {
        at: Set(record.at),
        actor: Set(record.actor),
        // An operation on no charger is stored with an empty charger, as it always was.
        charger_id: Set(record.charger_id.map(String::from).unwrap_or_default()),
        action: Set(super::storable(&record.action)),
        payload: Set(super::storable_json(record.payload)),
        outcome: Set(record.outcome.to_owned()),
        response: Set(record.response.map(super::storable_json)),
        error: Set(record.error.as_deref().map(super::storable)),
        duration_ms: Set(record.duration_ms),
        node: Set(record.node),
        ..Default::default()
    }
}
