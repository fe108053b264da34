//! Id tags (1.6 idTag / 2.0.1 idToken): who may charge.

use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use entity::id_tag;
use sea_orm::{ActiveValue::Set, EntityTrait, TryInsertResult};

impl Store {
    /// The id tag `tag`.
    pub async fn id_tag(&self, tag: &str) -> Result<Option<id_tag::Model>, StoreError> {
        Ok(id_tag::Entity::find_by_id(tag).one(self.db()).await?)
    }

    /// Creates an id tag; `Conflict` when it exists.
    pub async fn create_id_tag(
        &self,
        tag: &str,
        status: &str,
        expiry_date: Option<DateTime<Utc>>,
        parent_id_tag: Option<String>,
    ) -> Result<id_tag::Model, StoreError> {
        let row = id_tag::ActiveModel {
            id_tag: Set(tag.to_owned()),
            status: Set(status.to_owned()),
            expiry_date: Set(expiry_date),
            parent_id_tag: Set(parent_id_tag),
            created_at: Set(Utc::now()),
        };
        let turn = self.write_turn().await;
        let inserted = id_tag::Entity::insert(row)
            .on_conflict_do_nothing_on([id_tag::Column::IdTag])
            .exec_without_returning(self.db())
            .await?;
        drop(turn);
        match inserted {
            TryInsertResult::Inserted(1) => self.id_tag(tag).await?.ok_or(StoreError::NotFound("id tag")),
            _ => Err(StoreError::Conflict("id tag")),
        }
    }
}
