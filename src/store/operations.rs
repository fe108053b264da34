//! The operation log: every command sent to a charger and every operator's action, with its
//! outcome.

use super::{Store, StoreError};
use crate::domain::chargers::records::{OperationEntry, OperationFilter, OperationRecord};
use entity::operation_log;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

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

impl Store {
    /// The operations `filter` lets through, newest first, `limit` from `offset`, and how many
    /// there are (each filter has its index: actor, charger, action, each with the time).
    pub async fn operations_page(
        &self,
        filter: &OperationFilter,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<OperationEntry>, u64), StoreError> {
        let total = filtered(filter).count(self.db()).await?;
        let rows = filtered(filter)
            .order_by_desc(operation_log::Column::At)
            .order_by_desc(operation_log::Column::Id)
            .offset(offset)
            .limit(limit)
            .all(self.db())
            .await?;
        Ok((rows.into_iter().map(entry).collect(), total))
    }
}

fn filtered(filter: &OperationFilter) -> Select<operation_log::Entity> {
    let mut query = operation_log::Entity::find();
    if let Some(actor) = &filter.actor {
        query = query.filter(operation_log::Column::Actor.eq(actor.as_str()));
    }
    if let Some(charger_id) = &filter.charger_id {
        query = query.filter(operation_log::Column::ChargerId.eq(charger_id.as_str()));
    }
    if let Some(action) = &filter.action {
        query = query.filter(operation_log::Column::Action.eq(action.as_str()));
    }
    if let Some(from) = filter.from {
        query = query.filter(operation_log::Column::At.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(operation_log::Column::At.lt(to));
    }
    query
}

fn entry(row: operation_log::Model) -> OperationEntry {
    OperationEntry {
        id: row.id,
        at: row.at,
        actor: row.actor,
        // Stored empty when the operation concerned no charger.
        charger_id: Some(row.charger_id).filter(|c| !c.is_empty()),
        action: row.action,
        payload: row.payload,
        outcome: row.outcome,
        response: row.response,
        error: row.error,
        duration_ms: row.duration_ms,
        node: row.node,
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
