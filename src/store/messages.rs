//! The OCPP message log: frames exchanged with chargers.

use super::{Store, StoreError};
use chrono::{DateTime, Utc};
use entity::ocpp_message;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

/// One frame to log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    pub at: DateTime<Utc>,
    pub charger_id: String,
    pub direction: &'static str,
    pub message_type: &'static str,
    pub message_id: Option<String>,
    pub action: Option<String>,
    pub frame: String,
}

impl Store {
    /// Appends frames to the message log in one statement.
    pub async fn log_messages(&self, records: Vec<MessageRecord>) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let rows = records.into_iter().map(|r| ocpp_message::ActiveModel {
            at: Set(r.at),
            charger_id: Set(r.charger_id),
            direction: Set(r.direction.to_owned()),
            message_type: Set(r.message_type.to_owned()),
            message_id: Set(r.message_id),
            action: Set(r.action),
            frame: Set(r.frame),
            ..Default::default()
        });
        let _turn = self.write_turn().await;
        ocpp_message::Entity::insert_many(rows).exec_without_returning(self.db()).await?;
        Ok(())
    }

    /// A charger's logged frames, oldest first.
    pub async fn messages(&self, charger_id: &str) -> Result<Vec<ocpp_message::Model>, StoreError> {
        Ok(ocpp_message::Entity::find()
            .filter(ocpp_message::Column::ChargerId.eq(charger_id))
            .order_by_asc(ocpp_message::Column::Id)
            .all(self.db())
            .await?)
    }
}
