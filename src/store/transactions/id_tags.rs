//! Id tags (1.6 idTag / 2.0.1 idToken): who may charge.

use crate::domain::storage::Subject;
use crate::domain::users::records::Card;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use entity::id_tag;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TryInsertResult,
};

impl Store {
    /// The id tag `tag`.
    pub async fn id_tag(&self, tag: &str) -> Result<Option<Card>, StoreError> {
        Ok(id_tag::Entity::find_by_id(tag).one(self.db()).await?.map(Card::from))
    }

    /// The tags whose group (parent) is `parent`, in the order they were created.
    pub async fn id_tags_of(&self, parent: &str, offset: u64, limit: u64) -> Result<(Vec<Card>, u64), StoreError> {
        let query = id_tag::Entity::find().filter(id_tag::Column::ParentIdTag.eq(parent));
        let total = query.clone().count(self.db()).await?;
        let rows = query
            .order_by_asc(id_tag::Column::CreatedAt)
            .order_by_asc(id_tag::Column::IdTag)
            .offset(offset)
            .limit(limit)
            .all(self.db())
            .await?;
        Ok((crate::store::rows::all(rows), total))
    }

    /// Removes tag `tag` if its group is `parent`; whether it did.
    pub async fn delete_id_tag_of(&self, tag: &str, parent: &str) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        let deleted = id_tag::Entity::delete_many()
            .filter(id_tag::Column::IdTag.eq(tag))
            .filter(id_tag::Column::ParentIdTag.eq(parent))
            .exec(self.db())
            .await?;
        Ok(deleted.rows_affected > 0)
    }

    /// Creates an id tag; `Conflict` when it exists.
    pub async fn create_id_tag(
        &self,
        tag: &str,
        status: &str,
        expiry_date: Option<DateTime<Utc>>,
        parent_id_tag: Option<String>,
    ) -> Result<Card, StoreError> {
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
            TryInsertResult::Inserted(1) => self.id_tag(tag).await?.ok_or(StoreError::NotFound(Subject::IdTag)),
            _ => Err(StoreError::Conflict(Subject::IdTag)),
        }
    }
}
